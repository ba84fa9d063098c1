"""Blocking: the candidate pairs worth scoring, found by joins on shared keys, never all pairs.

Second step of :func:`pipeline.dedupe.resolve` (after :mod:`.features`). Each rule is a
self-join of the feature frame on one key (a tuple of feature columns; list columns are
exploded). Strong keys (email, phone, LinkedIn slug) find the pairs a contact app would;
the name rules find what they miss — LinkedIn rows without email, alumni rows with only a
name, an address and a class year, nicknames, typos and maiden names.

A block larger than its rule's cap is skipped: a key shared by hundreds of records (a
switchboard number, "Smith" + "J") says nothing about any one pair, and the tighter rules
still cover those records.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Rule:
    """A blocking rule: join on ``keys`` (a column name or an expression per key), skip blocks > ``cap``."""

    name: str
    keys: tuple[str | pl.Expr, ...]
    cap: int
    #: Only pairs where at least one side matches this filter (e.g. the side given only as an initial).
    one_side: pl.Expr | None = None


def default_rules(strong_cap: int = 60, name_cap: int = 25, fuzzy_cap: int = 12) -> list[Rule]:
    """The rule set; order matters only for the ``rule`` label a pair is reported under.

    Caps follow from the model: a name shared by more than ``name_cap`` records can never
    merge two records on its own (its term-frequency weight is too low), so such pairs
    need a second shared value — and the two-key rules (family + employer, given + postal
    code, …) find exactly those.
    """
    first4 = pl.col("f").str.slice(0, 4)
    last4 = pl.col("f").str.slice(-4)
    return [
        Rule("linkedin", ("slug",), strong_cap),
        Rule("email", ("emails",), strong_cap),
        Rule("phone", ("phones",), strong_cap),
        Rule("name", ("g_keys", "f"), name_cap),
        Rule("name_phonetic", ("g_keys", "f_sk"), name_cap),
        Rule("initial_family", ("g_init", "f"), name_cap, one_side=pl.col("g_is_init")),
        Rule("family_org", ("f", "org"), name_cap),
        Rule("given_org", ("g_keys", "org"), name_cap),
        Rule("family_postal", ("f", "postal"), name_cap),
        Rule("given_postal", ("g_keys", "postal"), name_cap),
        Rule("family_class_year", ("f", "cyear"), name_cap),
        Rule("given_class_year", ("g_keys", "cyear"), fuzzy_cap),
        Rule("given_birthday", ("g_keys", "bday"), name_cap),
        Rule("postal_birth_year", ("postal", "byear"), name_cap),
        Rule("family_initial", ("f", "g_init"), fuzzy_cap),
        Rule("given_family_prefix", ("g", first4.alias("f4")), fuzzy_cap),
        Rule("given_family_suffix", ("g", last4.alias("fl4")), fuzzy_cap),
    ]


def _key_exprs(rule: Rule) -> list[pl.Expr]:
    return [pl.col(k) if isinstance(k, str) else k for k in rule.keys]


def _rule_pairs(feats: pl.DataFrame, rule: Rule, active: pl.Series | None) -> pl.DataFrame:
    keys = _key_exprs(rule)
    df = feats.select(pl.col("i"), *keys)
    key_names = df.columns[1:]
    if active is not None:
        df = df.with_columns(active.alias("_active"))
    if rule.one_side is not None:
        df = df.with_columns(feats.select(rule.one_side.fill_null(False).alias("_side")))
    for name in key_names:
        if df.schema[name] == pl.List(pl.String):
            df = df.explode(name)
    df = df.drop_nulls(key_names).unique(["i", *key_names])
    size = pl.len().over(key_names)
    keep = (size >= 2) & (size <= rule.cap)
    if active is not None:
        keep = keep & pl.col("_active").any().over(key_names)
    if rule.one_side is not None:
        keep = keep & pl.col("_side").any().over(key_names)
    df = df.filter(keep)
    pairs = df.join(df, on=key_names, suffix="_b")
    cond = pl.col("i") < pl.col("i_b")
    if active is not None:
        cond = cond & (pl.col("_active") | pl.col("_active_b"))
    if rule.one_side is not None:
        cond = cond & (pl.col("_side") | pl.col("_side_b"))
    return pairs.filter(cond).select(pl.col("i"), pl.col("i_b").alias("j")).unique()


def candidate_pairs(
    feats: pl.DataFrame, rules: list[Rule] | None = None, active: pl.Series | None = None
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Candidate pairs ``i < j`` with the first rule that found each; and pairs found per rule.

    ``active`` (bool per record) limits the work to pairs with at least one active record,
    which is how an incremental run avoids re-comparing settled records.
    """
    rules = rules or default_rules()
    found: list[pl.DataFrame] = []
    per_rule: dict[str, int] = {}
    for n, rule in enumerate(rules):
        pairs = _rule_pairs(feats, rule, active)
        per_rule[rule.name] = pairs.height
        found.append(pairs.with_columns(pl.lit(n, dtype=pl.UInt8).alias("rule")))
    schema = {"i": pl.UInt32, "j": pl.UInt32, "rule": pl.UInt8}
    if not found:
        return pl.DataFrame(schema=schema), per_rule
    allp = pl.concat(found).cast(schema)
    out = allp.group_by("i", "j").agg(pl.col("rule").min()).sort("i", "j")
    return out, per_rule


def rule_names(rules: list[Rule] | None = None) -> list[str]:
    """Names of the rules, indexed by a pair's ``rule`` code."""
    return [r.name for r in (rules or default_rules())]

"""Blocking: the candidate pairs worth scoring, found by joins on shared keys, never all pairs.

Second step of :func:`pipeline.dedupe.resolve` (after :mod:`.features`). Each rule turns
every record into zero or more 64-bit block keys (the hash of the rule's key values; list
columns such as emails are exploded, and a key may take its value from alternative columns
— a family name *or* a previous family name, an employer *or* the employer label of a work
email). All rules' keys go into one long ``(key, record)`` frame and a single self-join on
the key yields the pairs, de-duplicated once. Strong keys (email, phone, LinkedIn slug) find
the pairs a contact app would; the name rules find what they miss — LinkedIn rows without
email, alumni rows with only a name, an address and a class year, nicknames, typos and
maiden names.

A block larger than its rule's cap is skipped (Splink's answer to the same problem is a
limit on comparisons per block): a key shared by hundreds of records (a switchboard number,
"Smith" + "J") says nothing about any one pair, and the two-key rules still cover those
records. Blocking recall is measured by ``bench/dedupe.py``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import polars as pl

Key = str | pl.Expr


@dataclass(frozen=True)
class Rule:
    """A blocking rule: records meet when they share a value of every key (any alternative of each).

    ``keys`` holds, per key position, the alternative columns or expressions it may take its
    value from; blocks larger than ``cap`` are skipped.
    """

    name: str
    keys: tuple[tuple[Key, ...], ...]
    cap: int
    #: Only pairs where at least one side matches this filter (e.g. the side given only as an initial).
    one_side: pl.Expr | None = None


def default_rules(strong_cap: int = 60, name_cap: int = 12, fuzzy_cap: int = 8) -> list[Rule]:
    """The rule set; order matters only for the ``rule`` label a pair is reported under.

    Caps follow from the model: a name shared by more than ``name_cap`` records can never
    merge two records on its own (its term-frequency weight is too low), so such pairs
    need a second shared value — and the two-key rules (family + employer, given + postal
    code, …) find exactly those.
    """
    family = ("f", "f_alt", "f_alt2")
    employer = ("org_c", "dom0", "dom1")
    first4 = pl.col("f").str.slice(0, 4).alias("f4")
    last4 = pl.col("f").str.slice(-4).alias("fl4")
    return [
        Rule("linkedin", (("slug",),), strong_cap),
        Rule("email", (("emails",),), strong_cap),
        Rule("phone", (("phones",),), strong_cap),
        # Same skeleton covers same spelling; a previous family name counts as the family name.
        Rule("name", (("g_keys",), ("f_sk", "f_alt_sk", "f_alt2_sk")), name_cap),
        Rule("initial_family", (("g_init",), ("f",)), name_cap, one_side=pl.col("g_is_init")),
        Rule("family_org", (family[:2], employer), name_cap),
        Rule("given_org", (("g_keys",), employer[:2]), fuzzy_cap),
        Rule("family_postal", (family[:2], ("postal",)), name_cap),
        Rule("given_postal", (("g_keys",), ("postal",)), name_cap),
        Rule("given_birthday", (("g_keys",), ("bday",)), name_cap),
        Rule("given_family_prefix", (("g",), (first4,)), fuzzy_cap),
        # A typo in the first four letters of the family name; the rarest case, so the tightest cap.
        Rule("given_family_suffix", (("g",), (last4,)), fuzzy_cap // 2),
    ]


def _expr(key: Key, n: int) -> pl.Expr:
    return (pl.col(key) if isinstance(key, str) else key).alias(f"k{n}")


def _rule_keys(feats: pl.DataFrame, code: int, rule: Rule) -> pl.DataFrame:
    """``(key, i)`` for one rule: every record's block keys over all alternatives, deduplicated."""
    parts = []
    for variant in itertools.product(*rule.keys):
        df = feats.select(pl.col("i"), *(_expr(k, n) for n, k in enumerate(variant)))
        names = df.columns[1:]
        lists = [c for c in names if isinstance(df.schema[c], pl.List)]
        # Drop rows without a value before exploding: most alternative columns are mostly empty.
        df = df.drop_nulls([c for c in names if c not in lists])
        for name in lists:
            df = df.explode(name)
        df = df.drop_nulls(lists)
        # The rule code is part of the key, so blocks of different rules never mix.
        key = pl.struct(pl.lit(code, pl.UInt8).alias("r"), *names).hash().alias("key")
        parts.append(df.select(pl.col("i"), key))
    # A record can reach one key twice (family and previous family alike): count it once.
    keys = pl.concat(parts).unique() if len(parts) > 1 else parts[0]
    sizes = keys.group_by("key").len().filter((pl.col("len") >= 2) & (pl.col("len") <= rule.cap))
    return keys.join(sizes.select("key"), on="key").with_columns(pl.lit(code, pl.UInt8).alias("rule"))


def candidate_pairs(
    feats: pl.DataFrame, rules: list[Rule] | None = None, active: pl.Series | None = None
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Candidate pairs ``i < j`` with the first rule that found each; and pairs found per rule.

    ``active`` (bool per record) limits the work to pairs with at least one active record,
    which is how an incremental run avoids re-comparing settled records.
    """
    rules = rules or default_rules()
    schema = {"i": pl.UInt32, "j": pl.UInt32, "rule": pl.UInt8}
    blocks = []
    for code, rule in enumerate(rules):
        keys = _rule_keys(feats, code, rule)
        flags = []
        if rule.one_side is not None:
            side = feats.select(rule.one_side.fill_null(False)).to_series()
            keys = keys.with_columns(side.gather(keys["i"]).alias("_side"))
            keys = keys.filter(pl.col("_side").any().over("key"))
            flags.append("_side")
        blocks.append((keys, flags))
    long = pl.concat(
        [k.with_columns(*(pl.lit(False).alias(f) for f in ("_side",) if f not in fl)) for k, fl in blocks]
    )
    if active is not None:
        long = long.with_columns(active.gather(long["i"]).alias("_active"))
        long = long.filter(pl.col("_active").any().over("key"))
    pairs = long.join(long.select("key", pl.col("i").alias("j"), *_flag_cols(long, "_b")), on="key")
    cond = pl.col("i") < pl.col("j")
    cond = cond & (
        pl.col("rule").is_in([c for c, r in enumerate(rules) if r.one_side is None])
        | pl.col("_side")
        | pl.col("_side_b")
    )
    if active is not None:
        cond = cond & (pl.col("_active") | pl.col("_active_b"))
    pairs = pairs.filter(cond).select("i", "j", "rule")
    counts = pairs.group_by("rule").len()
    per_rule = {r.name: 0 for r in rules}
    for code, cnt in counts.iter_rows():
        per_rule[rules[code].name] = cnt
    # One row per pair, labelled with the first rule that found it.
    out = (
        pairs.with_columns(pair_key(pl.col("i"), pl.col("j")).alias("_pk"))
        .group_by("_pk")
        .agg(pl.col("rule").min())
        .sort("_pk")
        .select(
            (pl.col("_pk") // 2**32).cast(pl.UInt32).alias("i"),
            (pl.col("_pk") % 2**32).cast(pl.UInt32).alias("j"),
            "rule",
        )
    )
    return out.cast(schema), per_rule


def pair_key(i: pl.Expr, j: pl.Expr) -> pl.Expr:
    """One UInt64 per pair of record indexes (cheaper to group and join on than two columns)."""
    return i.cast(pl.UInt64) * 2**32 + j.cast(pl.UInt64)


def _flag_cols(long: pl.DataFrame, suffix: str) -> list[pl.Expr]:
    return [pl.col(c).alias(c + suffix) for c in ("_side", "_active") if c in long.columns]


def rule_names(rules: list[Rule] | None = None) -> list[str]:
    """Names of the rules, indexed by a pair's ``rule`` code."""
    return [r.name for r in (rules or default_rules())]

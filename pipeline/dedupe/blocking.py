"""Blocking: the candidate pairs worth scoring, found by joins on shared keys, never all pairs.

Second step of :func:`pipeline.dedupe.resolve` (after :mod:`.features`). Each rule turns
every record into zero or more 64-bit block keys (the hash of the rule's key values; list
columns such as emails are exploded, and a key may take its value from alternative columns
— a family name *or* a previous family name, an employer *or* the employer label of a work
email). All rules' keys go into one long ``(key, record)`` frame, sorted once; a block's
pairs are then the positions ``k`` and ``k + d`` (``d`` < cap) that hold the same key — a
few vectorized numpy passes, no self-join — and the pairs are de-duplicated once. Strong
keys (email, phone, LinkedIn slug) find the pairs a contact app would; the name rules find
what they miss — LinkedIn rows without email, alumni rows with only a name, an address and
a class year, nicknames, typos and maiden names.

A block larger than its rule's cap is skipped (Splink's answer to the same problem is a
limit on comparisons per block): a key shared by hundreds of records (a switchboard number,
"Smith" + "J") says nothing about any one pair, and the two-key rules still cover those
records. Blocking recall is measured by ``bench/dedupe.py``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import polars as pl

from pipeline.threads import helper_threads

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
    first3 = pl.col("f").str.slice(0, 3).alias("f3")
    given2 = pl.col("g").str.slice(0, 2).alias("g2")
    given3 = pl.col("g").str.slice(0, 3).alias("g3")
    given1 = pl.col("g").str.slice(0, 1).alias("g1")
    first2 = pl.col("f").str.slice(0, 2).alias("f2")
    grad = pl.coalesce(pl.col("cyear"), pl.col("bday").str.slice(0, 4).cast(pl.Int32, strict=False) + 22)
    graduation = (grad.alias("grad"), (grad + 1).alias("grad1"))
    no_contact, any_order, initials, bday_alone, house = _member_keys()
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
        # Records without contact points (member lists, old CRM exports): an address or a birth date
        # with a name typo'd past the name rules.
        Rule("postal_birthday", (("postal",), ("bday",)), name_cap),
        Rule("postal_family_prefix", (("postal",), (first3,)), fuzzy_cap),
        Rule("birthday_given_prefix", (("bday",), (given2,)), fuzzy_cap),
        # A birth date with either name part: a replaced given name beside a mistyped postcode, and
        # given and family name swapped with a typo in one of them.
        Rule("birthday_name", (("bday",), ("g", "f")), fuzzy_cap),
        Rule("name_any_order", ((any_order,),), name_cap),
        Rule("postal_initials", (("postal",), (initials,)), fuzzy_cap),
        # Member directories: a class year with the untyped half of the name, or with both names'
        # first three letters (a typo past the fourth letter of each).
        # (a graduation year: the class year, or the birth year + 22, within a year of each other).
        Rule("name_class_year", (("g_keys",), family[:2], graduation), name_cap),
        # With a mistyped name part: only for a record with no contact point, whose partner nothing
        # else would find (in a contact book these blocks are mostly strangers of one class).
        Rule("family_class_year", (family[:2], (given1,), graduation), name_cap, one_side=no_contact),
        Rule("given_class_year", (("g_keys",), (first2,), graduation), fuzzy_cap, one_side=no_contact),
        Rule("name_prefixes", ((given3,), (first3,)), fuzzy_cap),
        # One address (house number, street, town) or one street and birth date, whatever the names:
        # a record keyed in again with both names mistyped or swapped.
        Rule("address", (("street",), ("city",)), name_cap),
        Rule("street_birthday", (("street",), ("bday",)), fuzzy_cap),
        # The birth date with the town, or with the house number: the street and the postcode mistyped.
        Rule("city_birthday", (("city",), (bday_alone,)), fuzzy_cap),
        Rule("house_birthday", ((house,), (bday_alone,)), fuzzy_cap),
    ]


def _member_keys() -> tuple[pl.Expr, ...]:
    """Keys of the member-list rules: whether a record has no contact point, the name in either order,
    both initials in either order, and the birth date and house number of a record without a contact
    point."""
    no_contact = pl.col("e0").is_null() & pl.col("p0").is_null() & pl.col("slug").is_null()
    # Given and family name in either order ("Nguyen Sophie" / "Sophie Nguyen").
    any_order = (
        pl.when(pl.col("g") < pl.col("f"))
        .then(pl.concat_str("g", "f", separator=" "))
        .otherwise(pl.concat_str("f", "g", separator=" "))
        .alias("gf_any_order")
    )
    # Both names' initials in either order ("Webb Sma" / "Sam Webb": swapped, and a typo in each), for
    # records without a contact point only (no key at all for the others: a contact book's blocks would
    # be strangers, and the keys cost memory at a million records).
    initials = (
        pl.when(~no_contact)
        .then(None)
        .when(pl.col("g").str.slice(0, 1) < pl.col("f").str.slice(0, 1))
        .then(pl.concat_str(pl.col("g").str.slice(0, 1), pl.col("f").str.slice(0, 1)))
        .otherwise(pl.concat_str(pl.col("f").str.slice(0, 1), pl.col("g").str.slice(0, 1)))
        .alias("initials_any_order")
    )
    # The birth date of a record without a contact point, for the address rules below (no key for the
    # others: a contact book's records are found by their contact points, and keys cost memory).
    bday_alone = pl.when(no_contact).then(pl.col("bday")).alias("bday_no_contact")
    house = pl.when(no_contact).then(pl.col("street").str.extract(r"^(\d+)", 1)).alias("house_number")
    return no_contact, any_order, initials, bday_alone, house


_MIX = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9)


class _Hashes:
    """64-bit hashes of feature columns (lists: per element), computed once per column per run."""

    def __init__(self, feats: pl.DataFrame):
        self.feats = feats
        self.cache: dict[str, pl.Series] = {}

    def __call__(self, key: Key) -> pl.Series:
        expr = pl.col(key) if isinstance(key, str) else key
        name = key if isinstance(key, str) else key.meta.output_name()
        if name not in self.cache:
            values = self.feats.select(expr).to_series()
            if isinstance(values.dtype, pl.List):
                hashed = values.list.eval(pl.element().hash())
            else:
                hashed = pl.select(
                    pl.when(pl.lit(values).is_not_null()).then(pl.lit(values).hash())
                ).to_series()
            self.cache[name] = hashed
        return self.cache[name]


def _rule_keys(hashes: _Hashes, code: int, rule: Rule) -> tuple:
    """``(records, keys)`` (numpy) for one rule: every record's block keys over all alternatives."""
    import numpy as np

    rows, keys = [], []
    n = hashes.feats.height
    for variant in itertools.product(*rule.keys):
        df = pl.DataFrame({f"k{m}": hashes(k) for m, k in enumerate(variant)}).with_columns(
            pl.int_range(0, n, dtype=pl.UInt32).alias("i")
        )
        names = [c for c in df.columns if c != "i"]
        lists = [c for c in names if isinstance(df.schema[c], pl.List)]
        # Drop rows without a value before exploding: most alternative columns are mostly empty.
        df = df.drop_nulls([c for c in names if c not in lists])
        for name in lists:
            df = df.explode(name)
        df = df.drop_nulls(lists)
        # Mix the column hashes and the rule code into one key (numpy multiplication wraps around),
        # so blocks of different rules never mix.
        key = np.full(df.height, code + 1, dtype=np.uint64)
        for m, name in enumerate(names):
            key = (key ^ df[name].to_numpy()) * np.uint64(_MIX[m % len(_MIX)])
        rows.append(df["i"].to_numpy())
        keys.append(key)
    return np.concatenate(rows), np.concatenate(keys)


def _block_pairs(rows, key, cap: int, n: int, keep=None) -> tuple:
    """Pairs ``(i, j)`` (numpy) of records that share a key in a block of 2..``cap`` records, for one rule.

    A block's pairs are the positions ``k`` and ``k + d`` of the keys sorted by (key, record) that
    hold the same key. The sort is a *value* sort of one 64-bit number per key — the key's top
    bits over the record index — which is several times faster than an argsort; a separate
    sort of the full keys proves that no two keys share those top bits (if two do, this rule
    falls back to the exact (key, record) argsort).
    """
    import numpy as np

    bits = np.uint64(max(int(n - 1).bit_length(), 1))
    packed = np.sort(((key >> bits) << bits) | rows)
    group = packed >> bits
    full = np.sort(key)
    if np.any((group[1:] == group[:-1]) & (full[1:] != full[:-1])):
        order = np.lexsort((rows, key))
        rows, group = rows[order], key[order]
        full = group
    else:
        rows = packed & ((np.uint64(1) << bits) - np.uint64(1))
    del packed
    # A record can reach one key twice (family and previous family alike): count it once.
    fresh = np.ones(len(group), dtype=bool)
    fresh[1:] = (group[1:] != group[:-1]) | (rows[1:] != rows[:-1])
    rows, group = rows[fresh], group[fresh]
    if keep is not None:  # the whole (key, record) index, sorted, for later incremental runs
        keep(full[fresh], rows)
    del full
    # Block sizes from the runs of equal keys; blocks of one record or over the cap go.
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    sizes = np.diff(np.r_[starts, len(group)])
    fits = (sizes >= 2) & (sizes <= cap)
    starts, sizes = starts[fits], sizes[fits]
    # Positions of the kept blocks, and how many later members each position has in its block.
    take = np.repeat(starts, sizes) + (np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes))
    later = np.repeat(sizes, sizes) - 1 - (take - np.repeat(starts, sizes))
    rows = rows[take].astype(np.uint32)  # record indexes: the pairs of every rule are held until deduped
    # Every pair (k, k + d) of one block is one pair i < j (sorted by record within the block):
    # no self pairs, no mirrored pairs; each pass only visits positions with a k + d in their block.
    firsts, seconds = [], []
    idx = np.flatnonzero(later > 0)
    d = 1
    while len(idx):
        firsts.append(rows[idx])
        seconds.append(rows[idx + d])
        d += 1
        idx = idx[later[idx] >= d]
    empty = np.zeros(0, dtype=np.uint32)
    return (np.concatenate(firsts), np.concatenate(seconds)) if firsts else (empty, empty)


def candidate_pairs(
    feats: pl.DataFrame,
    rules: list[Rule] | None = None,
    active: pl.Series | None = None,
    keep_keys=None,
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Candidate pairs ``i < j`` with the first rule that found each; and pairs found per rule.

    ``active`` (bool per record) limits the work to pairs with at least one active record,
    which is how an incremental run avoids re-comparing settled records. ``keep_keys(code,
    keys, rows)``, if given, receives each rule's distinct (key, record) entries sorted by key
    (numpy; called from helper threads): the index :mod:`.key_index` keeps for later runs.
    """
    import numpy as np

    rules = rules or default_rules()
    hashes = _Hashes(feats)

    def one_rule(code: int, rule: Rule) -> tuple:
        rows, key = _rule_keys(hashes, code, rule)
        keep = None if keep_keys is None else (lambda keys, rows: keep_keys(code, keys, rows))
        return _block_pairs(rows.astype(np.uint64), key, rule.cap, feats.height, keep)

    # Rules are independent and their work (polars, numpy sorts) runs without the GIL: two at a time.
    with helper_threads(2) as pool:
        found = list(pool.map(one_rule, range(len(rules)), rules))
    firsts = [i for i, _j in found]
    seconds = [j for _i, j in found]
    codes = [np.full(len(i), code, dtype=np.uint8) for code, (i, _j) in enumerate(found)]
    del found
    return unique_pairs(feats, rules, active, firsts, seconds, codes)


def unique_pairs(feats: pl.DataFrame, rules: list[Rule], active, firsts, seconds, codes) -> tuple:
    """The pairs of every rule, filtered (one-side rules, ``active``) and de-duplicated once."""
    import numpy as np

    schema = {"i": pl.UInt32, "j": pl.UInt32, "rule": pl.UInt8}
    sides = {
        n: feats.select(r.one_side.fill_null(False)).to_series().to_numpy()
        for n, r in enumerate(rules)
        if r.one_side is not None
    }
    flags = None if active is None else active.to_numpy()
    counts = np.zeros(len(rules), dtype=np.int64)
    # One row per pair, labelled with the first rule that found it: pack (i, j, rule) in 64 bits
    # (28 + 28 + 8; a quarter of a billion records), one part at a time (the parts' own index
    # arrays go as they are packed), then sort once and keep the first of each pair.
    packed = []
    while firsts:
        i, j, code = firsts.pop(0), seconds.pop(0), codes.pop(0)
        keep = np.ones(len(i), dtype=bool)
        for n, side in sides.items():
            keep &= (code != n) | side[i] | side[j]
        if flags is not None:
            keep &= flags[i] | flags[j]
        i, j, code = i[keep].astype(np.uint64), j[keep].astype(np.uint64), code[keep]
        counts += np.bincount(code, minlength=len(rules))
        packed.append((i << np.uint64(36)) | (j << np.uint64(8)) | code.astype(np.uint64))
        del i, j, code, keep
    per_rule = dict(zip((r.name for r in rules), counts.tolist(), strict=True))
    packed = np.concatenate(packed) if packed else np.zeros(0, dtype=np.uint64)
    if not len(packed):
        return pl.DataFrame(schema=schema), per_rule
    packed.sort()  # in place (np.sort, not np.unique: numpy 2's unique is hash-based and much slower here)
    first = np.ones(len(packed), dtype=bool)
    first[1:] = (packed[1:] >> np.uint64(8)) != (packed[:-1] >> np.uint64(8))
    packed = packed[first]
    out = pl.DataFrame(
        {
            "i": (packed >> np.uint64(36)).astype(np.uint32),
            "j": ((packed >> np.uint64(8)) & np.uint64(2**28 - 1)).astype(np.uint32),
            "rule": (packed & np.uint64(255)).astype(np.uint8),
        }
    )
    return out.cast(schema), per_rule


def record_keys(feats: pl.DataFrame, rules: list[Rule], codes: list[int] | None = None) -> list[tuple]:
    """Per rule (of ``codes``, default all), ``(records, keys)`` (numpy): every record's block keys,
    as :func:`candidate_pairs` makes them."""
    hashes = _Hashes(feats)
    return [_rule_keys(hashes, code, rules[code]) for code in (codes or range(len(rules)))]


def pair_key(i: pl.Expr, j: pl.Expr) -> pl.Expr:
    """One UInt64 per pair of record indexes (cheaper to group and join on than two columns)."""
    return i.cast(pl.UInt64) * 2**32 + j.cast(pl.UInt64)


def rule_names(rules: list[Rule] | None = None) -> list[str]:
    """Names of the rules, indexed by a pair's ``rule`` code."""
    return [r.name for r in (rules or default_rules())]

"""Names: parts filled both ways, shouting fixed, credentials moved, matching keys derived.

Column flow (vectorized; Python only on distinct irregular values, see
:mod:`pipeline.normalize.nameparse`):

1. Hygiene on every name column.
2. A *shouted* record (no lower-case letter in any name field, at least three capitals)
   has its name fields re-cased (``ROBERT MCDONALD`` → ``Robert McDonald``).
3. When the source gave parts (given or family name), they are kept as written except
   that credentials/suffixes in the family name move to ``suffix`` (``"Lee, MBA"``) and a
   title or quoted nickname in the given name moves to ``prefix``/``nickname``.
4. When it gave only ``full_name``, the parts come from it: ``"Given [Middle] Family"``
   in plain capitalised words by a regex over the column, everything else by the parser.
5. A missing ``full_name`` is built from the parts (prefix given middle family suffix).
6. Keys: ``given_key`` (folded given name mapped to its formal name when it is a known
   nickname: Bob → robert), ``family_key`` (folded family name) and ``name_key``
   (``"given family"`` folded). ``given_name`` itself is never replaced, and ``nickname``
   is only filled when the source wrote one (a quoted ``"Bob"`` in the name).
"""

from __future__ import annotations

import functools

import polars as pl

from pipeline.normalize.nameparse import (
    CREDENTIALS,
    PARTICLES,
    PREFIXES,
    SUFFIXES,
    fix_case,
    is_credential,
    parse_name,
    split_family,
    split_given,
)
from pipeline.normalize.nicknames import nickname_table
from pipeline.normalize.text import clean_text, fold_series

NAME_COLUMNS = ("full_name", "given_name", "middle_name", "family_name", "prefix", "suffix", "nickname")
_CASED = ("full_name", "given_name", "middle_name", "family_name", "nickname")
_WORD = r"\p{Lu}[\p{L}\p{M}'’-]*"
_FAST_FULL = rf"^({_WORD})(?: ({_WORD}|\p{{Lu}}\.))? ({_WORD})$"


def _last_word(s: pl.Series) -> pl.Series:
    return s.str.extract(r"(\S+)$", 1).str.to_lowercase().str.replace_all(r"[.,]", "")


def _first_word(s: pl.Series) -> pl.Series:
    return s.str.extract(r"^(\S+)", 1).str.to_lowercase().str.replace_all(r"[.,]", "")


def _narrow(mask: pl.Series, fn) -> pl.Series:
    """``mask`` with its true rows re-decided by ``fn(row indices) -> Boolean Series``."""
    idx = mask.arg_true()
    if idx.len() == 0:
        return mask
    return mask.clone().scatter(idx, fn(idx).fill_null(False))


def _per_distinct(cols: dict[str, pl.Series], mask: pl.Series, inputs, fn, outputs) -> None:
    """Run ``fn`` once per distinct input tuple of the masked rows; scatter outputs back."""
    idx = mask.fill_null(False).arg_true()
    if idx.len() == 0:
        return
    rows = list(zip(*(cols[c].gather(idx).to_list() for c in inputs), strict=True))
    results = {key: fn(*key) for key in set(rows)}
    for j, out in enumerate(outputs):
        values = pl.Series([results[r][j] for r in rows], dtype=pl.String)
        cols[out] = cols[out].clone().scatter(idx, values)


def _joined(*values: str | None, sep: str = " ") -> str | None:
    return sep.join(v for v in values if v) or None


def _shouting(cols: dict[str, pl.Series], directory: bool = False) -> pl.Series:
    """Rows whose name fields have no lower-case letter and at least three capitals (or the
    other way round), unless the whole name is one short word (an acronym such as "IBM").

    Each column is only looked at on the rows still in question, so ordinary rows cost one
    regex pass over their first non-empty name field.
    """
    mask = _all_one_case(cols, upper=True)
    if directory:  # the other way round: all lower case ("mitchell green", as CRMs export)
        mask = mask | _all_one_case(cols, upper=False)
    return _narrow(mask, functools.partial(_not_acronym, cols)) if mask.any() else mask


def _all_one_case(cols: dict[str, pl.Series], *, upper: bool) -> pl.Series:
    """Rows whose name fields hold no letter of the other case and at least three of this one.

    Each column is only looked at on the rows still in question: a cheap ASCII test first,
    then the Unicode classes on the few rows left.
    """
    other_ascii, other, this = ("[a-z]", r"\p{Ll}", r"\p{Lu}") if upper else ("[A-Z]", r"\p{Lu}", r"\p{Ll}")
    mask = pl.Series([True] * len(cols["full_name"]), dtype=pl.Boolean)
    for c in _CASED:
        col = cols[c]
        mask = _narrow(mask, lambda idx, col=col: ~col.gather(idx).str.contains(other_ascii).fill_null(False))

    def exact(idx: pl.Series) -> pl.Series:
        sub = pl.DataFrame({c: cols[c].gather(idx) for c in _CASED})
        return sub.select(
            ~pl.any_horizontal(pl.col(c).str.contains(other).fill_null(False) for c in _CASED)
            & (pl.sum_horizontal(pl.col(c).str.count_matches(this).fill_null(0) for c in _CASED) >= 3)
        )[:, 0]

    return _narrow(mask, exact) if mask.any() else mask


def _not_acronym(cols: dict[str, pl.Series], idx: pl.Series) -> pl.Series:
    """False where the whole name is one word of at most four letters ("IBM", "NASA"): an
    acronym, or a name typed that way on purpose."""
    sub = pl.DataFrame({c: cols[c].gather(idx) for c in _CASED})
    words = pl.concat_str([pl.col(c) for c in _CASED], separator=" ", ignore_nulls=True)
    words = words.str.split(" ").list.eval(pl.element().filter(pl.element() != "")).list.unique()
    short = (words.list.len() == 1) & (words.list.first().str.len_chars() <= 4)
    return sub.select(~short)[:, 0]


def _recase_shouted_family(cols: dict[str, pl.Series]) -> None:
    fam, giv = cols["family_name"], cols["given_name"]
    # A cheap pass first: most family names hold a lower-case ASCII letter and are done.
    shouted = _narrow(
        (~fam.str.contains("[a-z]") & giv.is_not_null()).fill_null(False),
        lambda idx: (
            ~fam.gather(idx).str.contains(r"\p{Ll}")
            & (fam.gather(idx).str.count_matches(r"\p{Lu}") >= 2)
            & giv.gather(idx).str.contains(r"\p{Ll}")
        ).fill_null(False),
    )
    if not shouted.any():
        return
    idx = shouted.arg_true()
    old = fam.gather(idx)
    _per_distinct(cols, shouted, ["family_name"], lambda v: (fix_case(v, family=True),), ["family_name"])
    new = cols["family_name"].gather(idx)
    full = cols["full_name"].gather(idx)
    # Few, irregular rows: plain Python (polars can't replace by a per-row pattern).
    fixed = pl.Series(
        [
            f.replace(o, n_) if f else f
            for f, o, n_ in zip(full.to_list(), old.to_list(), new.to_list(), strict=True)
        ],
        dtype=pl.String,
    )
    cols["full_name"] = cols["full_name"].clone().scatter(idx, fixed)


def _directory_full_name(cols: dict[str, pl.Series]) -> None:
    """``full_name`` "Family, Given …" → built from the parts, when the text before the comma is
    the family name (so "Van Damme, Jr." or "Lee, MBA" keep their comma)."""
    full, fam = cols["full_name"], cols["family_name"]
    directory = _narrow(
        full.str.contains(",", literal=True).fill_null(False)
        & fam.is_not_null()
        & cols["given_name"].is_not_null(),
        lambda idx: (
            full.gather(idx).str.split(",").list.first().str.strip_chars().str.to_lowercase()
            == fam.gather(idx).str.to_lowercase()
        ).fill_null(False),
    )
    if directory.any():
        cols["full_name"] = cols["full_name"].clone().scatter(directory.arg_true(), None)


def _parse_full(cols: dict[str, pl.Series], need: pl.Series, shouting: pl.Series) -> None:
    """Fill the parts from ``full_name`` on the ``need`` rows: regex for the plain
    "Given [Middle] Family" form, the parser for the rest (per distinct value).
    """
    idx = need.arg_true()
    full = cols["full_name"].gather(idx)
    # Capture-free: a DFA-only ``contains`` decides the form, a split takes the words.
    words = full.str.split(" ")
    plain = full.str.contains(_FAST_FULL)
    g = words.list.first()
    f = words.list.last()
    m = (
        words.list.get(1, null_on_oob=True)
        .to_frame("m")
        .select(pl.when(pl.lit(words.list.len()) == 3).then(pl.col("m")))[:, 0]
    )
    g = g.to_frame("g").select(pl.when(pl.lit(plain)).then(pl.col("g")))[:, 0]
    blocked = CREDENTIALS | SUFFIXES | PARTICLES
    fast = (
        g.is_not_null()
        & ~g.str.to_lowercase().str.strip_chars_end(".").is_in(PREFIXES)
        & ~f.str.to_lowercase().str.strip_chars_end(".").is_in(blocked)
        & ~m.str.to_lowercase().str.strip_chars_end(".").is_in(blocked).fill_null(False)
    ).fill_null(False)
    hit = idx.filter(fast)
    if hit.len():
        for column, values in (("given_name", g), ("middle_name", m), ("family_name", f)):
            cols[column] = cols[column].clone().scatter(hit, values.filter(fast))

    def parse(text, shouted, prefix, suffix, nickname):
        p = parse_name(text, shouting=shouted)
        return (
            _joined(prefix, p.prefix),
            p.given,
            p.middle,
            p.family,
            _joined(suffix, p.suffix, sep=", "),
            nickname or p.nickname,
        )

    slow = need.clone().scatter(hit, False) if hit.len() else need
    cols["__shouted"] = shouting
    _per_distinct(
        cols,
        slow,
        ["full_name", "__shouted", "prefix", "suffix", "nickname"],
        parse,
        ["prefix", "given_name", "middle_name", "family_name", "suffix", "nickname"],
    )
    del cols["__shouted"]


def normalize_names(
    frame: pl.DataFrame, *, directory: bool = False
) -> tuple[dict[str, pl.Series], dict[str, pl.Series]]:
    """``(name columns, key columns)`` for the frame; empty dicts when it has no names.

    :param directory: the names come from a directory or CRM export (an alumni list), not an
        address book a person typed: all-lower-case names are recased too, and a full name in
        directory order ("Peña, Anaïs") is turned to the order people are called by.
    """
    if not any(c in frame.columns for c in NAME_COLUMNS):
        return {}, {}
    n = frame.height
    cols = {
        c: clean_text(frame[c]) if c in frame.columns else pl.Series(c, [None] * n, dtype=pl.String)
        for c in NAME_COLUMNS
    }
    shouting = _fix_shouting(cols, directory)
    raw_family = cols["family_name"]
    _move_family_suffixes(cols)
    _move_given_prefixes(cols)
    # 4. Parts from full_name where the source gave none.
    has_parts = cols["given_name"].is_not_null() | cols["family_name"].is_not_null()
    need = (~has_parts & cols["full_name"].is_not_null()).fill_null(False)
    if need.any():
        _parse_full(cols, need, shouting)
    # 4b. A family name shouted beside a given name that isn't ("GÓMEZ, Björn", "Anaïs PEÑA"):
    # the directory convention of capitals for the surname, recased like a shouted record.
    _recase_shouted_family(cols)
    # 4c. A full name in directory order ("Peña, Anaïs") reads as the person is called.
    if directory:
        _directory_full_name(cols)
    _fill_full_name(cols, raw_family)
    return {c: s.alias(c) for c, s in cols.items()}, _name_keys(cols)


def _fix_shouting(cols: dict[str, pl.Series], directory: bool) -> pl.Series:
    """2. Re-case the name fields of shouted records; returns which records shouted."""
    shouting = _shouting(cols, directory)
    for c in _CASED:
        _per_distinct(
            cols,
            shouting & cols[c].is_not_null(),
            [c],
            lambda v, _c=c: (fix_case(v, family=_c == "family_name"),),
            [c],
        )
    return shouting


def _move_family_suffixes(cols: dict[str, pl.Series]) -> None:
    """3a. Credentials or suffixes inside the family name ("Lee, MBA", "Smith Jr") move to ``suffix``."""
    fam = cols["family_name"]
    fam_fix = _narrow(
        fam.str.contains("[, ]").fill_null(False),
        lambda idx: (
            fam.gather(idx).str.contains(",", literal=True)
            | _last_word(fam.gather(idx)).is_in(CREDENTIALS | SUFFIXES)
        ),
    )

    def family(value, suffix, given):
        chunks = value.split(",")
        if given is None and len(chunks) > 1 and chunks[0].strip() and chunks[1].strip():
            # "SMITH, CHARLES" in a family column with the given column blank: directory order.
            if not all(is_credential(t, after_comma=True) for t in chunks[1].split()):
                given, value = chunks[1].strip(), ", ".join([chunks[0], *chunks[2:]])
        new_family, moved = split_family(value)
        return new_family, _joined(suffix, moved, sep=", "), given

    _per_distinct(
        cols,
        fam_fix,
        ["family_name", "suffix", "given_name"],
        family,
        ["family_name", "suffix", "given_name"],
    )


def _move_given_prefixes(cols: dict[str, pl.Series]) -> None:
    """3b. A title or quoted nickname inside the given name ("Dr. Robert", 'Robert "Bob"') moves out."""
    giv = cols["given_name"]
    giv_fix = _narrow(
        giv.str.contains(r"[ \"“(]").fill_null(False),
        lambda idx: giv.gather(idx).str.contains(r"[\"“(]") | _first_word(giv.gather(idx)).is_in(PREFIXES),
    )

    def given(value, prefix, nickname):
        new_prefix, new_given, nick = split_given(value)
        return new_given, _joined(prefix, new_prefix), nickname or nick

    _per_distinct(
        cols, giv_fix, ["given_name", "prefix", "nickname"], given, ["given_name", "prefix", "nickname"]
    )


def _fill_full_name(cols: dict[str, pl.Series], raw_family: pl.Series) -> None:
    """5. ``full_name`` from the parts where the source gave none; a family field written
    "Van Damme, Jr." keeps its comma before the suffix."""
    missing = cols["full_name"].is_null()
    if not missing.any():
        return
    parts = ("prefix", "given_name", "middle_name", "family_name", "suffix")
    idx = missing.arg_true()
    frame = pl.DataFrame({c: cols[c].gather(idx) for c in parts})
    comma = raw_family.gather(idx).str.contains(",", literal=True).fill_null(False)
    if comma.any():
        joint = pl.when(pl.lit(comma)).then(pl.lit(", ")).otherwise(pl.lit(" "))
        built = frame.select(
            pl.concat_str([pl.col(c) for c in parts[:-1]], separator=" ", ignore_nulls=True)
            + pl.when(pl.col("suffix").is_null()).then(pl.lit("")).otherwise(joint + pl.col("suffix"))
        )[:, 0].str.strip_chars_start(" ,")
    else:
        built = frame.select(pl.concat_str([pl.col(c) for c in parts], separator=" ", ignore_nulls=True))[
            :, 0
        ]
    built = built.to_frame("b").select(pl.when(pl.col("b") != "").then(pl.col("b")))[:, 0]
    cols["full_name"] = cols["full_name"].clone().scatter(idx, built)


def _name_keys(cols: dict[str, pl.Series]) -> dict[str, pl.Series]:
    """6. ``name_key``, ``given_key`` and ``family_key`` from the finished name columns."""
    given_f = fold_series(cols["given_name"])
    family_f = fold_series(cols["family_name"])
    keys = pl.DataFrame({"g": given_f, "f": family_f}).select(
        pl.col("g").replace(nickname_table()).alias("given_key"),
        pl.col("f").alias("family_key"),
        pl.concat_str(["g", "f"], separator=" ", ignore_nulls=True).alias("name_key"),
    )
    name_key = keys["name_key"]
    name_key = name_key.to_frame("k").select(pl.when(pl.col("k") != "").then(pl.col("k")))[:, 0]
    # No name parts at all (a full name of digits or emoji): fold the full name itself.
    no_key = (name_key.is_null() & cols["full_name"].is_not_null()).fill_null(False)
    if no_key.any():
        idx = no_key.arg_true()
        name_key = name_key.clone().scatter(idx, fold_series(cols["full_name"].gather(idx)))
    return {
        "name_key": name_key.alias("name_key"),
        "given_key": keys["given_key"],
        "family_key": keys["family_key"],
    }

"""Matching features: canonical records → one comparable, folded row per record.

First step of :func:`pipeline.dedupe.resolve`. Everything here is a polars expression over
the whole frame; the only per-value Python is the nickname lookup, run once per *unique*
given name. The features are computed from the canonical name fields themselves (so the
engine works whether or not normalization already added ``given_key``); a ``given_key``
column, when present, only widens the nickname key set.

Row ``i`` of the feature frame is row ``i`` of the records frame; blocking, scoring and
clustering all address records by that index.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl

#: Letters NFKD does not decompose into ASCII.
_SPECIAL = {"ß": "ss", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "æ": "ae", "Æ": "ae", "œ": "oe", "đ": "d"}
_SPECIAL.update({"Đ": "d", "þ": "th", "ı": "i"})
_PREFIXES = r"(?i)^(?:(?:dr|mr|mrs|ms|miss|mx|prof|sir|rev|hon)\.?\s+)+"
_SUFFIX_WORDS = r"(?:jr|sr|ii|iii|iv|phd|md|esq|cpa|mba|dds|jd)\b\.?"
_LEGAL = r"\s+(?:inc|llc|ltd|gmbh|corp|corporation|co|plc|ag|sa|bv|nv|limited|company)$"

#: Spelling variants that transliteration and typing habits produce (Müller/Mueller,
#: Aleksandr/Alexander, Sergei/Sergey): collapsed in the *skeleton*, never in the folded name.
_SKELETON_RULES = [
    ("ue", "u"),
    ("oe", "o"),
    ("ae", "a"),
    ("ks", "x"),
    ("ph", "f"),
    ("kh", "h"),
    ("ck", "k"),
    ("th", "t"),
    ("sch", "sh"),
    ("tch", "ch"),
    ("dzh", "j"),
    ("zh", "j"),
    ("w", "v"),
    ("y", "i"),
    ("ii", "i"),
    ("c", "k"),
    ("q", "k"),
    ("z", "s"),
]


def fold(expr: pl.Expr) -> pl.Expr:
    """Lower-case ASCII letters only: accents stripped (José→jose), punctuation and spaces gone."""
    return (
        expr.str.replace_many(_SPECIAL)
        .str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_lowercase()
        .str.replace_all(r"[^a-z]", "")
        .replace("", None)
    )


def skeleton(expr: pl.Expr) -> pl.Expr:
    """A coarse phonetic key of a folded name: variants of one spelling share it."""
    out = expr
    for old, new in _SKELETON_RULES:
        out = out.str.replace_all(old, new, literal=True)
    # Doubled letters are the commonest typo and transliteration difference (Aleksandr/Alexandr).
    return _dedouble(out)


def _dedouble(expr: pl.Expr) -> pl.Expr:
    for letter in "abdefgiklmnoprstuv":
        expr = expr.str.replace_all(letter * 2 + "+", letter)
    return expr


@lru_cache(maxsize=1)
def _nicknamer():  # pragma: no cover - trivial
    from nicknames import NickNamer

    return NickNamer()


def nickname_keys(names: pl.Series) -> pl.Series:
    """Per folded given name, the names it may stand for: itself plus its longer canonical forms.

    Two given names are nickname-equivalent when their key sets meet: Bob and Rob meet at
    Robert, Bill and William at William. Only forms at least as long as the name itself
    count (a nickname points to the formal name, not to other nicknames), which keeps a
    common formal name such as "john" to a single key. Run once per unique name.
    """
    namer = _nicknamer()
    uniques = names.drop_nulls().unique()
    keys = [
        sorted({n} | {c for c in namer.canonicals_of(n) if c.isalpha() and len(c) >= len(n)})
        for n in uniques.to_list()
    ]
    table = pl.DataFrame({"n": uniques, "k": pl.Series(keys, dtype=pl.List(pl.String))})
    return (
        pl.DataFrame({"n": names}).join(table, on="n", how="left", maintain_order="left")["k"].alias("g_keys")
    )


def _col(records: pl.DataFrame, name: str, dtype: pl.DataType = pl.String) -> pl.Expr:
    if name in records.columns:
        return pl.col(name).cast(dtype, strict=False)
    return pl.lit(None, dtype=dtype)


def _parsed_names(records: pl.DataFrame) -> pl.DataFrame:
    """Given, middle, family and suffix, from the name parts or else from ``full_name``."""
    full = _col(records, "full_name").str.strip_chars().str.replace(_PREFIXES, "")
    comma = full.str.contains(",")
    # "Smith, John Q." is family-first unless the comma only introduces a suffix ("John Smith, Jr.").
    suffix_comma = full.str.contains(r"(?i),\s*" + _SUFFIX_WORDS + r"(?:\s|,|$)")
    plain = full.str.replace_all(r"(?i),?\s+" + _SUFFIX_WORDS, "").str.replace_all(",", " ")
    tokens = plain.str.split(" ").list.eval(pl.element().filter(pl.element() != ""))
    fam_first = comma & ~suffix_comma
    parts = full.str.split(",")
    ff_given_tokens = parts.list.get(1, null_on_oob=True).str.strip_chars().str.split(" ")
    given_full = pl.when(fam_first).then(ff_given_tokens.list.first()).otherwise(tokens.list.first())
    family_full = (
        pl.when(fam_first)
        .then(parts.list.first())
        .otherwise(pl.when(tokens.list.len() > 1).then(tokens.list.last()))
    )
    middle_full = (
        pl.when(fam_first)
        .then(ff_given_tokens.list.get(1, null_on_oob=True))
        .otherwise(pl.when(tokens.list.len() > 2).then(tokens.list.get(1)))
    )
    suffix_src = pl.coalesce(
        _col(records, "suffix"),
        _col(records, "family_name").str.extract(r"(?i)\b(" + _SUFFIX_WORDS + r")$", 1),
        full.str.extract(r"(?i)(?:\s|,)(" + _SUFFIX_WORDS + r")(?:\s|,|$)", 1),
    )
    family_raw = _col(records, "family_name").str.replace(r"(?i),?\s+" + _SUFFIX_WORDS + "$", "")
    return records.select(
        pl.coalesce(_col(records, "given_name"), given_full).alias("given_raw"),
        pl.coalesce(_col(records, "middle_name"), middle_full).alias("middle_raw"),
        pl.coalesce(family_raw, family_full).alias("family_raw"),
        suffix_src.str.to_lowercase().str.replace_all(r"[^a-z]", "").alias("sfx_raw"),
    )


NAME_INPUTS = ("full_name", "given_name", "middle_name", "family_name", "suffix", "given_key")


def _per_unique(records: pl.DataFrame, inputs: list[str], derive) -> pl.DataFrame:
    """``derive`` (a frame → frame function) run once per unique combination of ``inputs``, mapped back."""
    source = records.select(inputs)
    uniq = source.unique()
    derived = derive(uniq)
    return source.join(derived, on=inputs, how="left", nulls_equal=True, maintain_order="left").drop(inputs)


def _name_features(uniq: pl.DataFrame) -> pl.DataFrame:
    names = pl.concat([uniq, _parsed_names(uniq)], how="horizontal")
    feats = names.with_columns(
        # First given token only: "Mary Ann" and "Mary" are the same person far more often than not.
        fold(pl.col("given_raw").str.strip_chars().str.split(" ").list.first()).alias("g"),
        fold(pl.col("middle_raw")).str.slice(0, 1).alias("m_init"),
        fold(pl.col("family_raw")).alias("f"),
        pl.col("sfx_raw")
        .replace({"junior": "jr", "senior": "sr", "2nd": "ii", "3rd": "iii"})
        .replace("", None)
        .alias("sfx"),
    ).with_columns(
        pl.col("g").str.slice(0, 1).alias("g_init"),
        (pl.col("g").str.len_chars() == 1).alias("g_is_init"),
        skeleton(pl.col("f")).alias("f_sk"),
        skeleton(pl.col("g")).alias("g_sk"),
    )
    full_given = feats["g"].filter(~feats["g_is_init"].fill_null(True)).unique()
    table = pl.DataFrame({"g": full_given}).with_columns(nickname_keys(full_given))
    feats = feats.join(table, on="g", how="left", maintain_order="left")
    if "given_key" in uniq.columns:
        extra = fold(pl.col("given_key").cast(pl.String))
        feats = feats.with_columns(
            pl.concat_list(pl.col("g_keys"), extra)
            .list.drop_nulls()
            .list.unique()
            .list.sort()
            .alias("g_keys")
        )
    return feats.drop("given_raw", "middle_raw", "family_raw", "sfx_raw")


def _one(records: pl.DataFrame, column: str, expr, dtype: pl.DataType = pl.String) -> pl.DataFrame:
    if column not in records.columns:
        return pl.DataFrame({column: pl.Series([None] * records.height, dtype=dtype)}).select(
            expr(pl.col(column))
        )
    return _per_unique(
        records.select(pl.col(column).cast(dtype, strict=False)),
        [column],
        lambda u: u.with_columns(expr(pl.col(column)).alias(f"_{column}")),
    )


def build_features(records: pl.DataFrame) -> pl.DataFrame:
    """One feature row per record, row ``i`` = record ``i`` (see module docstring for columns).

    String work runs once per unique value (or unique name tuple) and is joined back: a
    million records hold far fewer distinct names, employers and streets.
    """
    name_inputs = [c for c in NAME_INPUTS if c in records.columns]
    if not name_inputs:
        records = records.with_columns(pl.lit(None, dtype=pl.String).alias("full_name"))
        name_inputs = ["full_name"]
    names = _per_unique(records.select(pl.col(name_inputs).cast(pl.String)), name_inputs, _name_features)

    def postal(c):
        return c.str.to_uppercase().str.replace_all(r"[^0-9A-Z]", "").str.slice(0, 5).replace("", None)

    feats = pl.concat(
        [
            records.select(_col(records, "record_id").alias("rid"), _col(records, "source").alias("source")),
            names,
            records.select(
                _email_list(records).alias("emails"),
                _col(records, "phones", pl.List(pl.String))
                .list.eval(
                    pl.element().str.replace_all(r"[^\d+]", "").filter(pl.element().str.len_chars() > 3)
                )
                .alias("phones"),
            ),
            _one(
                records,
                "linkedin_url",
                lambda c: c.str.to_lowercase().str.extract(r"linkedin\.com/in/([^/?#]+)", 1),
            ).rename(lambda _: "slug"),
            _one(records, "organization", _org_key).rename(lambda _: "org"),
            _one(records, "postal_code", postal).rename(lambda _: "postal"),
            _one(records, "city", fold).rename(lambda _: "city"),
            _one(records, "street", _street_key).rename(lambda _: "street"),
            records.select(
                _col(records, "birthday").str.extract(r"^(\d{4}-\d{2}-\d{2})", 1).alias("bday"),
                _col(records, "birthday").str.extract(r"(\d{2}-\d{2})$", 1).alias("bmd"),
                _col(records, "class_year", pl.Int32).alias("cyear"),
            ),
        ],
        how="horizontal",
    )
    feats = feats.with_columns(pl.col("bday").str.slice(0, 4).cast(pl.Int32, strict=False).alias("byear"))
    return feats.with_row_index("i")


def _email_list(records: pl.DataFrame) -> pl.Expr:
    emails = _col(records, "emails", pl.List(pl.String)).list.eval(
        pl.element().str.to_lowercase().str.strip_chars()
    )
    # Gmail ignores dots and +tags and treats googlemail.com as gmail.com; no other provider does.
    return emails.list.eval(
        pl.when(pl.element().str.contains(r"@(?:gmail|googlemail)\.com$"))
        .then(
            pl.element().str.extract(r"^([^@+]*)", 1).str.replace_all(".", "", literal=True)
            + pl.lit("@gmail.com")
        )
        .otherwise(pl.element())
    )


def _org_key(expr: pl.Expr) -> pl.Expr:
    # Legal suffixes go only when something is left ("Plan A" stays "plan a"; "Acme Inc" → "acme").
    lowered = (
        expr.str.replace_many(_SPECIAL)
        .str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_lowercase()
        .str.replace_all(r"&", " and ")
        .str.replace_all(r"[^a-z0-9 ]", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )
    stripped = lowered.str.replace(_LEGAL, "")
    return pl.when(stripped.str.len_chars() > 0).then(stripped).otherwise(lowered).replace("", None)


def _street_key(expr: pl.Expr) -> pl.Expr:
    lowered = expr.str.to_lowercase().str.replace_all(r"[^a-z0-9 ]", " ")
    for word, short in (("street", "st"), ("avenue", "ave"), ("road", "rd"), ("drive", "dr"), ("lane", "ln")):
        lowered = lowered.str.replace_all(rf"\b{word}\b", short)
    return lowered.str.replace_all(r"\s+", "").replace("", None)

"""Matching features: canonical records → one comparable, folded row per record.

First step of :func:`pipeline.dedupe.resolve`. Everything here is a polars expression over
the whole frame, and every piece of string work runs once per *unique value* of one
column (a million records hold only thousands of distinct given names, tens of thousands
of family names and a few thousand employers) and is joined back. The only per-value Python
is the nickname lookup.

The features are computed from the canonical name fields themselves (so the engine works
whether or not normalization already added ``given_key``); a ``given_key`` column, when
present, only widens the nickname key set.

Row ``i`` of the feature frame is row ``i`` of the records frame; blocking, scoring and
clustering all address records by that index. Columns:

* ``g``, ``f``: given (first token) and family name folded to ASCII letters; ``g_id``,
  ``f_id``, ``org_id``: dense codes of ``g``, ``f``, ``org`` (comparisons are computed once
  per unique pair of codes); ``g_keys``: nickname keys; ``g_init``, ``g_is_init``,
  ``g_sk``, ``f_sk`` (phonetic skeletons), ``m_init``, ``sfx`` (jr/sr/ii/iii/iv);
* ``f_alt``: a previous family name (maiden name from ``extra``, or the other half of a
  double-barrelled or "Smith (Jones)" name);
* ``emails``, ``phones`` (lists) and ``e0..e3``, ``p0..p3`` (hashes of the first four that are
  personal: a value on the records of three or more family names
  (:data:`.contact_keys.SHARED_BY`) — a switchboard, a team inbox — is left out of the
  hashes, so it never counts as "shared");
* ``slug`` (LinkedIn), ``org`` (legal suffix removed when something is left), ``org_c``
  (``org`` without spaces), ``dom0``/``dom1`` (employer labels of non-freemail email
  domains: ``jane@acmelabs.com`` → ``acmelabs``), ``postal``, ``city``, ``street``,
  ``bday``, ``bmd``, ``cyear``, ``lst`` (hash of the file the record came from). (No record id or birth
  year: no later step reads them.)
"""

from __future__ import annotations

from functools import partial

import polars as pl

from pipeline.dedupe.contact_keys import (
    email_list,
    employer_domains,
    org_key,
    per_value,
    personal,
    street_key,
)
from pipeline.normalize.nicknames import nickname_keys
from pipeline.normalize.text import fold_expr
from pipeline.threads import helper_threads

_PREFIXES = r"(?i)^(?:(?:dr|mr|mrs|ms|miss|mx|prof|sir|rev|hon)\.?\s+)+"
_SUFFIX_WORDS = r"(?:jr|sr|ii|iii|iv|phd|md|esq|cpa|mba|dds|jd)\b\.?"

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

HASHED = {"emails": "e", "phones": "p"}
HASH_SLOTS = 4


def skeleton(expr: pl.Expr) -> pl.Expr:
    """A coarse phonetic key of a folded name (ASCII letters only): variants of one spelling share it.

    Literal replacements over the whole column (left to right, non-overlapping) by
    :data:`_SKELETON_RULES`, then doubled letters — the commonest typo and transliteration
    difference (Aleksandr/Alexandr) — collapsed.
    """
    for old, new in _SKELETON_RULES:
        expr = expr.str.replace_all(old, new, literal=True)
    for letter in "abcdefghijklmnopqrstuvwxyz":
        expr = expr.str.replace_all(letter + "{2,}", letter)
    return expr


def _col(records: pl.DataFrame, name: str, dtype: pl.DataType = pl.String) -> pl.Expr:
    if name in records.columns:
        return pl.col(name).cast(dtype, strict=False)
    return pl.lit(None, dtype=dtype)


def _parse_full(full: pl.Series) -> pl.DataFrame:
    """Given, middle, family and suffix from unique full names ("Smith, John Q.", "Dr. Ann Lee Jr.")."""
    frame = full.alias("full").to_frame()
    name = pl.col("full").str.strip_chars().str.replace(_PREFIXES, "")
    comma = name.str.contains(",")
    # "Smith, John Q." is family-first unless the comma only introduces a suffix ("John Smith, Jr.").
    suffix_comma = name.str.contains(r"(?i),\s*" + _SUFFIX_WORDS + r"(?:\s|,|$)")
    plain = name.str.replace_all(r"(?i),?\s+" + _SUFFIX_WORDS, "").str.replace_all(",", " ")
    tokens = plain.str.split(" ").list.eval(pl.element().filter(pl.element() != ""))
    fam_first = comma & ~suffix_comma
    parts = name.str.split(",")
    ff_given = parts.list.get(1, null_on_oob=True).str.strip_chars().str.split(" ")
    return frame.select(
        pl.when(fam_first).then(ff_given.list.first()).otherwise(tokens.list.first()).alias("given_full"),
        pl.when(fam_first)
        .then(ff_given.list.get(1, null_on_oob=True))
        .otherwise(pl.when(tokens.list.len() > 2).then(tokens.list.get(1)))
        .alias("middle_full"),
        pl.when(fam_first)
        .then(parts.list.first())
        .otherwise(pl.when(tokens.list.len() > 1).then(tokens.list.last()))
        .alias("family_full"),
        name.str.extract(r"(?i)(?:\s|,)(" + _SUFFIX_WORDS + r")(?:\s|,|$)", 1).alias("sfx_full"),
    )


def _given_table(given: pl.Series) -> pl.DataFrame:
    """Folded first given token, its code, skeleton, initial and nickname keys, per unique raw given name."""
    g = given.to_frame("raw").select(
        fold_expr(pl.col("raw").str.strip_chars().str.split(" ").list.first(), letters_only=True).alias("g")
    )
    folded = g["g"].drop_nulls().unique().sort()
    table = folded.to_frame("g").with_columns(
        pl.int_range(0, folded.len(), dtype=pl.UInt32).alias("g_id"),
        skeleton(pl.col("g")).alias("g_sk"),
        pl.col("g").str.slice(0, 1).alias("g_init"),
        (pl.col("g").str.len_chars() == 1).alias("g_is_init"),
        nickname_keys(folded),
    )
    table = table.with_columns(pl.when(~pl.col("g_is_init")).then(pl.col("g_keys")).alias("g_keys"))
    return g.join(table, on="g", how="left", maintain_order="left")


def _generation(expr: pl.Expr) -> pl.Expr:
    return (
        expr.str.to_lowercase()
        .str.replace_all(r"[^a-z0-9]", "")
        .replace({"junior": "jr", "senior": "sr", "2nd": "ii", "3rd": "iii"})
        .replace("", None)
    )


def _family_table(family: pl.Series) -> pl.DataFrame:
    """Folded family name, a previous/alternative one and a trailing suffix, per unique raw family name."""
    frame = family.to_frame("raw")
    raw = pl.col("raw")
    sfx = raw.str.extract(r"(?i)\b(" + _SUFFIX_WORDS + r")$", 1)
    base = raw.str.replace(r"(?i),?\s+" + _SUFFIX_WORDS + "$", "")
    # "Smith (Jones)" / "Smith née Jones": the bracketed or née part is a previous name.
    paren = base.str.extract(r"\(([^)]+)\)", 1)
    nee = base.str.extract(r"(?i)\bn[ée]e\s+(\S+)", 1)
    main = base.str.replace(r"\s*\([^)]*\)", "").str.replace(r"(?i)\s+n[ée]e\s+\S+", "")
    # A double-barrelled name ("García-López", "Smith-Jones") is often recorded as either half.
    halves = main.str.split("-")
    alt = pl.coalesce(fold_expr(paren, letters_only=True), fold_expr(nee, letters_only=True))
    out = frame.select(
        fold_expr(main, letters_only=True).alias("f"),
        alt.alias("_alt1"),
        pl.when(halves.list.len() == 2)
        .then(fold_expr(halves.list.first(), letters_only=True))
        .alias("_alt2"),
        pl.when(halves.list.len() == 2).then(fold_expr(halves.list.last(), letters_only=True)).alias("_alt3"),
        _generation(sfx).alias("_fsfx"),
    )
    folded = out["f"].drop_nulls().unique().sort()
    table = folded.to_frame("f").with_columns(
        pl.int_range(0, folded.len(), dtype=pl.UInt32).alias("f_id"), skeleton(pl.col("f")).alias("f_sk")
    )
    return out.join(table, on="f", how="left", maintain_order="left")


def _name_columns(records: pl.DataFrame) -> pl.DataFrame:
    given = records.select(_col(records, "given_name").str.strip_chars().replace("", None)).to_series()
    middle = records.select(_col(records, "middle_name").str.strip_chars().replace("", None)).to_series()
    family = records.select(_col(records, "family_name").str.strip_chars().replace("", None)).to_series()
    suffix = records.select(_col(records, "suffix")).to_series()
    full = records.select(_col(records, "full_name")).to_series()
    # Parse the full name only where it can add something: a missing part or a suffix written into it.
    need = pl.DataFrame({"full": full, "g": given, "f": family, "s": suffix}).select(
        pl.when(
            pl.col("g").is_null()
            | pl.col("f").is_null()
            | (pl.col("s").is_null() & pl.col("full").str.contains(r"(?i)\b(?:jr|sr|ii|iii|iv)\b"))
        ).then(pl.col("full"))
    )
    parsed = per_value(need.to_series(), _parse_full)
    frame = pl.DataFrame({"given": given, "middle": middle, "family": family, "suffix": suffix}).hstack(
        parsed
    )
    generation = {
        c: per_value(frame[c], lambda u: u.to_frame("s").select(_generation(pl.col("s")))).to_series()
        for c in ("suffix", "sfx_full")
    }
    # A full name that is only the family name ("Sandman" beside family "Sandman") names no given name.
    lowered = pl.col("given_full").str.to_lowercase()
    only_family = (lowered == pl.col("family").str.to_lowercase()).fill_null(False)
    frame = frame.select(
        pl.coalesce("given", pl.when(~only_family).then(pl.col("given_full"))).alias("given"),
        pl.coalesce("middle", "middle_full").alias("middle"),
        pl.coalesce("family", "family_full").alias("family"),
        pl.coalesce(pl.lit(generation["suffix"]), pl.lit(generation["sfx_full"])).alias("sfx"),
    )
    g = per_value(frame["given"], _given_table)
    f = per_value(frame["family"], _family_table)
    m = per_value(
        frame["middle"],
        lambda u: u.to_frame("m").select(fold_expr(pl.col("m"), letters_only=True).str.slice(0, 1)),
    )
    maiden = records.select(
        fold_expr(_col(records, "extra").str.json_path_match("$.maiden_name"), letters_only=True).alias(
            "maiden"
        )
    ).to_series()
    return pl.concat(
        [
            g,
            pl.DataFrame({"m_init": m.to_series()}),
            f.select("f", "f_id", "f_sk"),
            pl.DataFrame(
                {"sfx": pl.select(pl.coalesce(pl.lit(frame["sfx"]), pl.lit(f["_fsfx"]))).to_series()}
            ),
        ],
        how="horizontal",
    ).with_columns(
        pl.coalesce(pl.lit(maiden), pl.lit(f["_alt1"]), pl.lit(f["_alt2"])).alias("f_alt"),
        pl.lit(f["_alt3"]).alias("f_alt2"),
    )


def _code(values: pl.Series) -> pl.Series:
    """Dense code of a string column: index into its sorted unique non-null values."""

    def codes(uniq: pl.Series) -> pl.DataFrame:
        # ``per_value`` hands the values over unordered: their rank among themselves is the code.
        return uniq.to_frame("v").select((pl.col("v").rank("ordinal") - 1).cast(pl.UInt32).alias("code"))

    return per_value(values, codes).to_series()


def value_table(feats: pl.DataFrame, col: str) -> pl.Series:
    """The sorted unique non-null values of ``col``: row ``k`` is the value with code ``k``."""
    code = f"{col}_id"
    if code not in feats.columns:
        return feats[col].drop_nulls().unique().sort()
    # From the codes: one row per code (a hash pass over integers), then ordered by code — the same
    # table as sorting the unique strings, at a tenth of the cost.
    first = feats[code].arg_unique()
    codes, values = feats[code].gather(first), feats[col].gather(first)
    present = codes.is_not_null()
    return values.filter(present).gather(codes.filter(present).arg_sort())


def _given_keys(names: pl.DataFrame, records: pl.DataFrame) -> pl.Series:
    """Nickname keys, widened by normalization's ``given_key`` where the records carry one.

    Computed once per distinct (given name, given_key) and joined back on their hash: a store's
    records always carry ``given_key``, and folding and list work per record is too slow.
    """
    if "given_key" not in records.columns:
        return names["g_keys"]
    pairs = pl.DataFrame(
        {"g_keys": names["g_keys"], "g": names["g"], "gk": records["given_key"].cast(pl.String)}
    )
    key = pairs.select(pl.struct("g", "gk").hash().alias("h")).to_series()
    first = key.arg_unique()
    table = pairs.gather(first).select(
        key.gather(first).alias("h"),
        pl.concat_list(pl.col("g_keys"), fold_expr(pl.col("gk"), letters_only=True))
        .list.drop_nulls()
        .list.unique()
        .list.sort()
        .alias("g_keys"),
    )
    return key.to_frame("h").join(table, on="h", how="left", maintain_order="left")["g_keys"]


#: The record columns the features are built from.
INPUTS = (
    "given_name",
    "middle_name",
    "family_name",
    "suffix",
    "full_name",
    "given_key",
    "extra",
    "emails",
    "phones",
    "linkedin_url",
    "organization",
    "postal_code",
    "city",
    "street",
    "birthday",
    "class_year",
    "source_file",
    "source",
)


def build_features(records: pl.DataFrame) -> pl.DataFrame:
    """One feature row per record, row ``i`` = record ``i`` (see module docstring for columns)."""
    # Only the columns read below: a store's other long-string columns merely present slow every select.
    records = records.select(c for c in INPUTS if c in records.columns)

    # The name columns (much of it per-value Python and small-frame work that keeps one core busy)
    # are built in a second thread while this one does the contact fields; polars releases the GIL.
    with helper_threads() as pool:
        pending = pool.submit(_name_columns, records)
        feats = _contact_columns(records)
        names = pending.result()
    names = names.with_columns(_given_keys(names, records))
    feats = pl.concat([names, feats], how="horizontal")
    alt_sk = {
        f"{c}_sk": per_value(feats[c], lambda u: u.to_frame("a").select(skeleton(pl.col("a")))).to_series()
        for c in ("f_alt", "f_alt2")
    }
    order = [c for c in feats.columns if c not in _DERIVED]
    feats = feats.with_columns(**alt_sk).select(*order, *alt_sk, *_DERIVED)
    for col, p in HASHED.items():
        # Each value hashed once inside its list, then the first slots taken out of the hash lists:
        # taking strings out of the lists first would build four string columns only to hash them.
        # A null value stays null, so "no value" never equals "no value".
        hashed = pl.select(
            pl.lit(personal(feats, col)).list.eval(
                pl.when(pl.element().is_not_null()).then(pl.element().hash())
            )
        ).to_series()
        feats = feats.with_columns(
            pl.lit(hashed).list.get(k, null_on_oob=True).alias(f"{p}{k}") for k in range(HASH_SLOTS)
        )
        del hashed
    return feats.with_row_index("i")


#: Columns :func:`_contact_columns` derives from the others (after them in the feature frame).
_DERIVED = ("org_c", "dom0", "dom1", "org_id")


def _contact_columns(records: pl.DataFrame) -> pl.DataFrame:
    """The contact and context columns (everything but the names)."""

    def one(column: str, expr, dtype: pl.DataType = pl.String) -> pl.Series:
        values = records.select(_col(records, column, dtype)).to_series()
        return per_value(values, lambda u: u.to_frame("v").select(expr(pl.col("v")))).to_series()

    def postal(c: pl.Expr) -> pl.Expr:
        return c.str.to_uppercase().str.replace_all(r"[^0-9A-Z]", "").str.slice(0, 5).replace("", None)

    emails = records.select(email_list(records).alias("emails"))
    feats = pl.concat(
        [
            emails,
            records.select(
                _col(records, "phones", pl.List(pl.String))
                .list.eval(
                    pl.element().str.replace_all(r"[^\d+]", "").filter(pl.element().str.len_chars() > 3)
                )
                .alias("phones"),
            ),
            pl.DataFrame(
                {
                    # Nearly every URL is distinct: no point in mapping unique values.
                    "slug": records.select(
                        _col(records, "linkedin_url")
                        .str.to_lowercase()
                        .str.extract(r"linkedin\.com/in/([^/?#]+)", 1)
                    ).to_series(),
                    "org": one("organization", org_key),
                    "postal": one("postal_code", postal),
                    "city": one("city", partial(fold_expr, letters_only=True)),
                    "street": one("street", street_key),
                }
            ),
            records.select(
                _col(records, "birthday").str.extract(r"^(\d{4}-\d{2}-\d{2})", 1).alias("bday"),
                _col(records, "birthday").str.extract(r"(\d{2}-\d{2})$", 1).alias("bmd"),
                _col(records, "class_year", pl.Int32).alias("cyear"),
                # The file a record came from (its source where unknown), for "one file lists them twice".
                pl.coalesce(_col(records, "source_file"), _col(records, "source")).hash().alias("lst"),
            ),
        ],
        how="horizontal",
    )
    domains = employer_domains(feats["emails"])
    return feats.with_columns(
        pl.col("org").str.replace_all(" ", "", literal=True).alias("org_c"),
        domains.list.get(0, null_on_oob=True).alias("dom0"),
        domains.list.get(1, null_on_oob=True).alias("dom1"),
        _code(feats["org"]).alias("org_id"),
    )

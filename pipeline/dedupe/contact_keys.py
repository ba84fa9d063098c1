"""Contact-field keys for matching: emails, employers, streets — what kith knows those fields mean.

Helpers of :mod:`.features` (first step of :func:`pipeline.dedupe.resolve`): Gmail's dot and
``+tag`` folding, the employer label of a work-email domain, employer names without legal
suffixes, street-type abbreviations, and the filter that keeps a switchboard or team inbox
from counting as a personal identifier. All are polars expressions or joins over whole
columns.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from pipeline.normalize.text import FOLD_LETTERS

_LEGAL = r"\s+(?:inc|llc|ltd|gmbh|corp|corporation|co|plc|ag|sa|bv|nv|limited|company|l\s?p|s\s?a\s?s)$"
#: Mail providers whose domain says nothing about an employer.
FREEMAIL = (
    "gmail googlemail yahoo ymail hotmail outlook live msn icloud me mac aol proton protonmail pm gmx "
    "web mail yandex qq 163 126 comcast verizon att sbcglobal zoho fastmail hey tutanota"
).split()
#: Domain labels that are never the employer: top-level and second-level registry parts, and the
#: RFC 2606 documentation domains (example.com) whose sub-domains stand in for real employers.
_DOMAIN_NOISE = "com org net edu gov io co uk de fr us ca au info biz example mail email corp".split()


#: A number or address on the records of this many different family names belongs to no one person.
SHARED_BY = 3


def personal(feats: pl.DataFrame, col: str) -> pl.Series:
    """``col`` (emails or phones) without the values several families share: a company switchboard or
    a team inbox on the cards of three colleagues identifies none of them. A household landline
    (one family name) stays; the household override deals with it."""
    # Family names counted by their dense code where the features have one (the same count, cheaper).
    family = "f_id" if "f_id" in feats.columns else "f"
    held = feats.select(pl.col(col), family).with_row_index("_r").explode(col).drop_nulls(col)
    shared = held.group_by(col).agg(pl.col(family).n_unique().alias("n")).filter(pl.col("n") >= SHARED_BY)
    if shared.is_empty():
        return feats[col]
    kept = (
        held.join(shared.select(col), on=col, how="anti", maintain_order="left")
        .group_by("_r", maintain_order=True)
        .agg(col)
    )
    rows = pl.DataFrame({"_r": pl.int_range(0, feats.height, dtype=pl.UInt32, eager=True)})
    out = rows.join(kept, on="_r", how="left", maintain_order="left")[col]
    return out.fill_null(pl.lit([], dtype=pl.List(pl.String)))


def employer_domains(emails: pl.Series) -> pl.Series:
    """Per record, the employer label of each non-freemail email domain (``jane@acmelabs.com`` → acmelabs)."""
    exploded = emails.to_frame("e").with_row_index("_r").explode("e").drop_nulls("e")

    def label(u: pl.Series) -> pl.DataFrame:
        labels = u.to_frame("d").select(
            pl.col("d")
            .str.split(".")
            .list.eval(pl.element().filter(~pl.element().is_in(_DOMAIN_NOISE)))
            .list.last()
            .alias("label")
        )
        return labels.select(pl.when(~pl.col("label").is_in(FREEMAIL)).then(pl.col("label")).alias("label"))

    exploded = exploded.with_columns(
        per_value(exploded["e"].str.extract(r"@(.+)$", 1), label).to_series().alias("label")
    )
    grouped = (
        exploded.drop_nulls("label")
        .unique(["_r", "label"], maintain_order=True)
        .group_by("_r", maintain_order=True)
        .agg("label")
    )
    full = pl.DataFrame({"_r": pl.int_range(0, emails.len(), dtype=pl.UInt32, eager=True)})
    return full.join(grouped, on="_r", how="left", maintain_order="left")["label"]


def email_list(records: pl.DataFrame) -> pl.Expr:
    emails = (
        pl.col("emails").cast(pl.List(pl.String))
        if "emails" in records.columns
        else pl.lit(None, dtype=pl.List(pl.String))
    ).list.eval(pl.element().str.to_lowercase().str.strip_chars())
    # Gmail ignores dots and +tags and treats googlemail.com as gmail.com; no other provider does.
    return emails.list.eval(
        pl.when(pl.element().str.ends_with("@gmail.com") | pl.element().str.ends_with("@googlemail.com"))
        .then(
            pl.element().str.extract(r"^([^@+]*)", 1).str.replace_all(".", "", literal=True)
            + pl.lit("@gmail.com")
        )
        .otherwise(pl.element())
    )


def org_key(expr: pl.Expr) -> pl.Expr:
    # Legal suffixes go only when something is left ("Plan A" stays "plan a"; "Acme Inc" → "acme").
    lowered = (
        expr.str.replace_many(FOLD_LETTERS)
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


#: Street-type words and their usual abbreviations, so "Banksia Street" and "Banksia St" are one key.
#: Abbreviations are written out (not the other way round): a typo in the long word ("cerscent") then
#: stays a typo or two away from it.
STREET_WORDS = (
    ("street", "st"),
    ("avenue", "ave"),
    ("road", "rd"),
    ("drive", "dr"),
    ("lane", "ln"),
    ("place", "pl"),
    ("crescent", "cres"),
    ("circuit", "cct"),
    ("close", "cl"),
    ("court", "ct"),
    ("parade", "pde"),
    ("terrace", "tce"),
    ("grove", "gr"),
    ("highway", "hwy"),
    ("square", "sq"),
    ("boulevard", "blvd"),
    ("esplanade", "esp"),
    ("parkway", "pkwy"),
    ("circle", "cir"),
    ("way", "way"),
)


def street_key(expr: pl.Expr) -> pl.Expr:
    """The first line of a street address (house number and street), folded: "12 Banksia St, Unit 4" →
    ``12banksiastreet``; the whole value when its first part holds no street name (", Coolinda").

    Lines keyed in the other way round ("17 Annesley, Horsley Crescent" for "17 Horsley Crescent,
    Annesley") give the same key: when only the second part names a kind of street, it is the street,
    with the first part's house number.
    """
    parts = expr.str.to_lowercase().str.split(",")
    first, second = parts.list.first(), parts.list.get(1, null_on_oob=True)
    kind = r"\b(" + "|".join(w for pair in STREET_WORDS for w in pair) + r")\b"
    # A kind written out and run into the street's name ("7 Endeavourstreet") still names a street.
    glued = r"[a-z](" + "|".join(word for word, _ in STREET_WORDS if len(word) > 4) + r")\b"
    named = first.str.contains(kind) | first.str.contains(glued)
    swapped = first.str.contains(r"^\s*\d") & ~named & second.str.contains(kind)
    number = first.str.extract(r"^\s*(\d+)", 1)
    line = (
        pl.when(swapped.fill_null(False))
        .then(pl.concat_str(number, second, separator=" "))
        .when(first.str.contains(r"[a-z]"))
        .then(first)
        .otherwise(expr.str.to_lowercase())
    )
    lowered = line.str.replace_all(r"[^a-z0-9 ]", " ")
    for word, short in STREET_WORDS:
        lowered = lowered.str.replace_all(rf"\b{short}\b", word)
    return lowered.str.replace_all(r"\s+", "").replace("", None)


def per_value(values: pl.Series, derive: Callable[[pl.Series], pl.DataFrame]) -> pl.DataFrame:
    """``derive`` (unique non-null values → a frame of outputs, one row per value) mapped back to ``values``.

    The unique values are found, and mapped back, by the value's 64-bit hash (a hash pass over
    integers instead of a unique and a join on the strings themselves, which cost several times
    as much); ``derive`` gets them in no particular order. Rows whose value is null get nulls.
    """
    hashes = values.hash().alias("_h")
    uniq = values.gather(hashes.arg_unique()).drop_nulls()
    out = derive(uniq).with_columns(uniq.hash().alias("_h"))
    mapped = hashes.to_frame().join(out, on="_h", how="left", maintain_order="left")
    present = values.is_not_null()
    return mapped.drop("_h").select(
        pl.when(pl.lit(present)).then(pl.col(c)).alias(c) for c in out.columns if c != "_h"
    )

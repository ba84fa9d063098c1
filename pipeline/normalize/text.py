"""Text hygiene and accent folding: the first and the last step of normalization.

Every text column an importer hands the core goes through :func:`clean_text` before any
field-specific work (NFC, zero-width and exotic spaces, trimming, empty → null), and the
matching keys (``name_key`` and friends, built in :mod:`pipeline.normalize.names`) are made
with :func:`fold_expr`. Both are vectorized polars; the costly Unicode work is done only on
the values that are not plain ASCII, which in real contact lists is a small minority.
"""

from __future__ import annotations

import polars as pl

#: Invisible characters that carry no meaning in a contact field: zero-width space, word
#: joiner, BOM, Mongolian vowel separator, soft hyphen. ZWJ/ZWNJ (U+200D/U+200C) are kept
#: inside a value because emoji sequences and Persian/Indic spelling need them; they are
#: only trimmed at the edges.
ZERO_WIDTH = "[\u200b\u2060\ufeff\u180e\u00ad]"
#: Non-breaking and typographic spaces, turned into a plain space.
ODD_SPACES = "[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]"
_EDGE_JOINERS = "^[\u200c\u200d\\s]+|[\u200c\u200d\\s]+$"

#: Letters that NFKD does not decompose, spelled the way a person would type them in ASCII
#: (both cases: dedupe's organization key applies the table before lower-casing).
FOLD_LETTERS = {
    "ß": "ss",
    "ẞ": "ss",
    "æ": "ae",
    "Æ": "ae",
    "ø": "o",
    "Ø": "o",
    "œ": "oe",
    "Œ": "oe",
    "ł": "l",
    "Ł": "l",
    "đ": "d",
    "Đ": "d",
    "ð": "d",
    "Ð": "d",
    "þ": "th",
    "Þ": "th",
    "ı": "i",
    "ŀ": "l",
    "Ŀ": "l",
    "ħ": "h",
    "Ħ": "h",
}


def non_ascii(s: pl.Series) -> pl.Series:
    """Mask of values that contain a byte outside ASCII (cheap: a length comparison)."""
    return s.str.len_bytes() != s.str.len_chars()


def on_subset(s: pl.Series, mask: pl.Series, fn) -> pl.Series:
    """Apply ``fn`` (Series → Series of the same dtype) only where ``mask`` is true.

    ``when/then`` would evaluate ``fn`` over the whole column; gathering the few rows that
    need the work and scattering the result back is what keeps a million rows cheap.
    """
    idx = mask.fill_null(False).arg_true()
    if idx.len() == 0:
        return s
    return s.clone().scatter(idx, fn(s.gather(idx)))


def _unicode_clean(s: pl.Series) -> pl.Series:
    return (
        s.str.normalize("NFC")
        .str.replace_all(ZERO_WIDTH, "")
        .str.replace_all(ODD_SPACES, " ")
        .str.replace_all(_EDGE_JOINERS, "")
    )


def _clean(s: pl.Series, single_line: bool) -> pl.Series:
    s = on_subset(s, non_ascii(s), _unicode_clean)
    if single_line:
        messy = s.str.contains(r"[\t\n\r\f\v]|  ")
        s = on_subset(s, messy, lambda sub: sub.str.replace_all(r"\s+", " "))
    else:
        s = on_subset(s, s.str.contains("\r", literal=True), lambda sub: sub.str.replace_all("\r\n?", "\n"))
    s = s.str.strip_chars()
    return s.to_frame("s").select(pl.when(pl.col("s").str.len_bytes() > 0).then(pl.col("s")))[:, 0]


def clean_text(s: pl.Series, *, single_line: bool = True) -> pl.Series:
    """NFC, invisible characters removed, odd spaces made plain, trimmed, empty → null.

    :param single_line: also collapse runs of whitespace (tabs, line breaks) into one space;
        multi-line fields such as ``notes`` and ``street`` keep their line breaks.

    A column whose values repeat (organization, city, degree…) is cleaned once per
    distinct value: a sample decides, so the cost of finding the distinct values is only
    paid where it pays off.
    """
    if s.dtype == pl.Null:
        return s.cast(pl.String)
    name = s.name
    if len(s) >= 50_000:
        sample = s.head(20_000).drop_nulls()
        if sample.len() and sample.n_unique() * 5 < sample.len():
            distinct = s.drop_nulls().unique()
            cleaned = _clean(distinct, single_line)
            return s.replace_strict(distinct, cleaned, default=None, return_dtype=pl.String).alias(name)
    return _clean(s, single_line).alias(name)


def fold_expr(expr: pl.Expr, *, letters_only: bool = False) -> pl.Expr:
    """The matching form of a text: lower-case, accents removed, punctuation and emoji gone.

    ``"José O'Neil-Smith 🚀"`` → ``"jose oneil smith"``. Apostrophes and dots vanish (so
    ``O'Neil`` = ``ONeil`` and ``J.R.`` = ``JR``); any other non-letter, non-digit becomes
    a space; spaces are collapsed; an empty result is null.

    :param letters_only: keep only the ASCII letters (``"josoneilsmith"``-style keys dedupe
        compares name parts on: no spaces, digits or letters outside a-z).
    """
    out = (
        expr.str.to_lowercase()
        .str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.replace_many(list(FOLD_LETTERS), list(FOLD_LETTERS.values()))
        .str.replace_all(r"['’‘`´.]", "")
    )
    if letters_only:
        out = out.str.replace_all(r"[^a-z]", "")
    else:
        out = out.str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()
    return pl.when(out.str.len_bytes() > 0).then(out)


def fold_series(s: pl.Series) -> pl.Series:
    """:func:`fold_expr` over a Series; the heavy Unicode steps only on non-ASCII values, and
    each distinct value folded once when values repeat (names do)."""
    if s.dtype == pl.Null:
        return s.cast(pl.String)
    distinct = s.drop_nulls().unique()
    if distinct.len() * 2 <= s.len():
        return s.replace_strict(distinct, _fold_values(distinct), default=None, return_dtype=pl.String)
    return _fold_values(s)


def _fold_values(s: pl.Series) -> pl.Series:
    ascii_fold = (
        s.str.to_lowercase()
        .str.replace_all(r"['`.]", "")
        .str.replace_all(r"[^a-z0-9]+", " ")
        .str.strip_chars()
    )
    mask = non_ascii(s)
    idx = mask.fill_null(False).arg_true()
    if idx.len():
        folded = pl.select(fold_expr(pl.lit(s.gather(idx)))).to_series()
        ascii_fold = ascii_fold.clone().scatter(idx, folded)
    return pl.select(pl.when(ascii_fold.str.len_bytes() > 0).then(ascii_fold)).to_series().alias(s.name)


def fold(text: str | None) -> str | None:
    """Per-value :func:`fold_expr` (same code path, so keys made here match the frame's)."""
    if text is None:
        return None
    return fold_series(pl.Series([text], dtype=pl.String))[0]


#: Separator between the pieces of a multi-valued cell once its own separators are unified.
SEP = "\x1f"


def map_pieces(cells: pl.Series, process) -> tuple[pl.Series, pl.Series]:
    """Per-piece work on multi-valued cells, returned as two ``List(String)`` columns.

    :param cells: one text per row, pieces separated by :data:`SEP` (null: nothing).
    :param process: ``pieces -> (kept, aside)``, two String Series aligned with ``pieces``
        (null: nothing on that side), run once over every piece of every row.
    :return: ``(kept, aside)`` lists per row, in source order, a piece repeated within a
        cell kept once; never null (an empty list).

    Most cells hold one value: those rows are handled as plain columns, and only the few
    multi-valued cells are exploded and grouped back.
    """
    n = len(cells)
    multi = cells.str.contains(SEP, literal=True).fill_null(False)
    single = cells.to_frame("c").select(pl.when(~pl.lit(multi)).then(pl.col("c")))[:, 0]
    rows = multi.arg_true()
    spread = pl.DataFrame({"row": rows, "p": cells.gather(rows).str.split(SEP)}).explode("p")
    pieces = pl.concat([single, spread["p"]]).str.strip_chars()
    pieces = pieces.to_frame("p").select(pl.when(pl.col("p") != "").then(pl.col("p")))[:, 0]
    kept, aside = process(pieces)
    empty = pl.lit([], dtype=pl.List(pl.String))
    out = pl.DataFrame({"k": kept.head(n), "a": aside.head(n)}).select(
        kept=pl.when(pl.col("k").is_null()).then(empty).otherwise(pl.concat_list("k")),
        aside=pl.when(pl.col("a").is_null()).then(empty).otherwise(pl.concat_list("a")),
    )
    if rows.len():
        spread = pl.DataFrame({"row": spread["row"], "k": kept.slice(n), "a": aside.slice(n)})
        grouped = (
            spread.with_columns(
                kf=pl.struct("row", "k").is_first_distinct(), af=pl.struct("row", "a").is_first_distinct()
            )
            .group_by("row", maintain_order=True)
            .agg(
                pl.col("k").filter(pl.col("kf") & pl.col("k").is_not_null()),
                pl.col("a").filter(pl.col("af") & pl.col("a").is_not_null()),
            )
        )
        full = pl.DataFrame({"row": pl.int_range(n, dtype=pl.UInt32, eager=True)}).join(
            grouped, on="row", how="left", maintain_order="left"
        )
        out = pl.DataFrame([out["kept"], out["aside"], full["k"], full["a"]]).select(
            kept=pl.when(pl.lit(multi)).then(pl.col("k")).otherwise(pl.col("kept")),
            aside=pl.when(pl.lit(multi)).then(pl.col("a")).otherwise(pl.col("aside")),
        )
    return out["kept"], out["aside"]

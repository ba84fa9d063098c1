"""E-mail addresses: split, cleaned, syntax-checked, de-duplicated — all vectorized.

A cell may hold several addresses (Google's ``" ::: "``, ``;``, ``,``, line breaks), a
``mailto:`` link or a display form (``"Smith, Robert" <rs@example.com>``). The result is a
``List(String)`` of lower-cased addresses in source order, first = preferred, without
duplicates. A piece that fails the syntax check is *not* dropped: it is returned, as
written, in a second list that the entry point stores in the row's ``extra`` under
``"invalid_emails"`` with a warning.

The check is deliberately pragmatic (what mail providers accept, not all of RFC 5322):
dot-atom local part, a domain of dot-separated labels and a top-level label of two or
more letters (or an IDN ``xn--`` label); internationalized letters are allowed.
"""

from __future__ import annotations

import polars as pl

from pipeline.normalize.text import clean_text

SEP = "\x1f"
# A display form: optional (possibly quoted, possibly comma-holding) name, then <address>.
_DISPLAY_RE = r'(?:"[^"]*"|[^<>;,\n"\x1f])*<\s*([^<>\s]*)\s*>'
_SPLIT_RE = r"\s*(?:;|,|:::|\n|\r|\t|\x1f)\s*"
_ATOM = r"[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?"
VALID_RE = rf"^{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+(?:\p{{L}}{{2,63}}|xn--[a-z0-9-]{{1,59}})$"


def _pieces(s: pl.Series) -> pl.Series:
    """Cell text (or list of texts) → list of trimmed, non-empty pieces as written."""
    if s.dtype == pl.Null:
        return pl.Series(s.name, [None] * len(s), dtype=pl.List(pl.String))
    if isinstance(s.dtype, pl.List):
        if s.dtype.inner == pl.Null:
            return s.cast(pl.List(pl.String))
        s = s.list.join(SEP, ignore_nulls=True)
    s = clean_text(s, single_line=False)
    s = s.str.replace_all(_DISPLAY_RE, "$1").str.replace_all(r"(?i)mailto:", "")
    parts = s.str.replace_all(_SPLIT_RE, SEP).str.split(SEP)
    return parts.list.eval(pl.element().str.strip_chars().filter(pl.element().str.strip_chars() != ""))


def _candidate(el: pl.Expr) -> pl.Expr:
    # Stray wrapping a person types or a program leaves: quotes, angle brackets, trailing dot.
    return el.str.strip_chars("\"'<>()[] ").str.strip_chars_end(".").str.to_lowercase()


def _is_valid(cand: pl.Expr) -> pl.Expr:
    return cand.str.contains(VALID_RE) & ~cand.str.contains("..", literal=True) & (cand.str.len_chars() <= 254)


def normalize_emails(s: pl.Series) -> tuple[pl.Series, pl.Series]:
    """``(emails, invalid)``: canonical address lists, and the pieces that failed the check.

    Both are ``List(String)`` and never null (an empty list where there is nothing).
    """
    parts = _pieces(s)
    el = pl.element()
    frame = pl.DataFrame({"p": parts})
    out = frame.select(
        pl.col("p")
        .list.eval(_candidate(el).filter(_is_valid(_candidate(el))))
        .list.unique(maintain_order=True)
        .fill_null([])
        .alias("emails"),
        pl.col("p").list.eval(el.filter(~_is_valid(_candidate(el)))).fill_null([]).alias("invalid"),
    )
    return out["emails"].alias(s.name), out["invalid"]


def is_valid_email(text: str) -> bool:
    """Whether ``text`` (after the same clean-up as the column) passes the syntax check."""
    return bool(pl.select(_is_valid(_candidate(pl.lit(text, dtype=pl.String)))).item())


def normalize_email(text: str | None) -> str | None:
    """One address in canonical form, or None if it is not a valid address."""
    if text is None:
        return None
    emails, _ = normalize_emails(pl.Series([text], dtype=pl.String))
    values = emails[0].to_list()
    return values[0] if values else None

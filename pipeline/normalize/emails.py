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

from pipeline.normalize.text import SEP, clean_text, map_pieces, non_ascii, on_subset

# A display form: optional (possibly quoted, possibly comma-holding) name, then <address>.
_DISPLAY_RE = r'(?:"[^"]*"|[^<>;,\n"\x1f])*<\s*([^<>\s]*)\s*>'
_SPLIT_RE = r"\s*(?:;|,|:::|\n|\r|\t|\x1f)\s*"
_ATOM = r"[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?"
#: The syntax check. Label and top-level lengths are left unbounded: bounded repeats of
#: Unicode classes make the regex automaton huge and slow, and the 254-character total
#: limit is checked separately.
VALID_RE = rf"^{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+(?:\p{{L}}{{2,}}|xn--[a-z0-9-]+)$"
#: The same check for plain-ASCII addresses (nearly all of them), several times faster.
_ASCII_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ASCII_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_ASCII_VALID_RE = rf"^{_ASCII_ATOM}(?:\.{_ASCII_ATOM})*@(?:{_ASCII_LABEL}\.)+(?:[a-z]{{2,}}|xn--[a-z0-9-]+)$"


def _cells(s: pl.Series) -> pl.Series:
    """Cell text (or list of texts) → one text per cell, pieces separated by SEP."""
    if s.dtype == pl.Null:
        return pl.Series(s.name, [None] * len(s), dtype=pl.String)
    if isinstance(s.dtype, pl.List):
        if s.dtype.inner == pl.Null:
            return pl.Series(s.name, [None] * len(s), dtype=pl.String)
        s = s.list.join(SEP, ignore_nulls=True)
    s = clean_text(s, single_line=False)
    s = on_subset(s, s.str.contains("<", literal=True), lambda sub: sub.str.replace_all(_DISPLAY_RE, "$1"))
    s = on_subset(s, s.str.contains(":", literal=True), lambda sub: sub.str.replace_all(r"(?i)mailto:", ""))
    return on_subset(s, s.str.contains(r"[;,:\n\r\t\x1f]"), lambda sub: sub.str.replace_all(_SPLIT_RE, SEP))


def _candidate(el: pl.Expr) -> pl.Expr:
    # Stray wrapping a person types or a program leaves: quotes, angle brackets, trailing dot.
    return el.str.strip_chars("\"'<>()[] ").str.strip_chars_end(".").str.to_lowercase()


def _valid(cand: pl.Series) -> pl.Series:
    ok = cand.str.contains(_ASCII_VALID_RE)
    ok = on_subset(
        ok, non_ascii(cand), lambda _: cand.filter(non_ascii(cand).fill_null(False)).str.contains(VALID_RE)
    )
    return (ok & ~cand.str.contains("..", literal=True) & (cand.str.len_bytes() <= 254)).fill_null(False)


def _is_valid(cand: pl.Expr) -> pl.Expr:
    return (
        cand.str.contains(VALID_RE) & ~cand.str.contains("..", literal=True) & (cand.str.len_chars() <= 254)
    )


def normalize_emails(s: pl.Series) -> tuple[pl.Series, pl.Series]:
    """``(emails, invalid)``: canonical address lists, and the pieces that failed the check.

    Both are ``List(String)`` and never null (an empty list where there is nothing).
    """

    def process(pieces: pl.Series) -> tuple[pl.Series, pl.Series]:
        frame = pieces.to_frame("p").with_columns(c=_candidate(pl.col("p")))
        frame = frame.with_columns(ok=_valid(frame["c"]))
        out = frame.select(
            kept=pl.when(pl.col("ok")).then(pl.col("c")),
            aside=pl.when(~pl.col("ok")).then(pl.col("p")),
        )
        return out["kept"], out["aside"]

    emails, invalid = map_pieces(_cells(s), process)
    return emails.alias(s.name), invalid


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

"""Making written text safe to open: spreadsheet formula injection and header injection.

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or their fullwidth forms ``＝ ＋ － ＠``),
a tab or a carriage return is run as a formula by Excel, LibreOffice and Google Sheets
when a CSV is opened (OWASP "CSV injection"). Every writer passes text cells through
:func:`neutralise_formula`; xlsx writers additionally write such cells as explicit strings.
Phone numbers in E.164 (``+12065550142``) are data, not formulas, and are left alone so
they stay usable.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

#: Fullwidth ＝ ＋ － ＠ too: spreadsheets with East Asian input turn them into the ASCII ones.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
#: How list cells are joined in CSV and spreadsheet output.
LIST_SEPARATOR = "; "
#: A phone number (E.164 or national form, optional extension): data that starts with "+", not a formula.
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()./-]{5,}(?:\s*(?:;ext=|x|ext\.?)\s*[0-9]+)?$")


def looks_like_formula(text: str) -> bool:
    """True when a spreadsheet would evaluate ``text`` instead of showing it."""
    return bool(text) and text.startswith(FORMULA_TRIGGERS) and not PHONE_PATTERN.match(text)


def neutralise_formula(value: object) -> object:
    """Prefix a formula-looking string with ``'`` so it is shown as text; other values pass through."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


def single_line(text: str) -> str:
    """Collapse CR/LF and other line breaks to spaces: for email headers and other one-line fields."""
    return re.sub(r"[\r\n\u0085\u2028\u2029]+", " ", text).strip()


# --- the same guard as polars expressions, for whole columns ----------------------------------

_TRIGGER_REGEX = "^[" + re.escape("".join(FORMULA_TRIGGERS)) + "]"


def guarded(text: pl.Expr, exempt: pl.Expr | None = None) -> pl.Expr:
    """The formula guard of :func:`pipeline.safety.neutralise_formula` as a polars expression.

    Text that starts with ``= + - @``, tab or CR gets a ``'`` in front, unless it is a phone
    number (``+12065550142`` stays usable) or ``exempt`` is true for the row.
    """
    import polars as pl

    risky = text.str.contains(_TRIGGER_REGEX) & ~text.str.contains(PHONE_PATTERN.pattern)
    if exempt is not None:
        risky = risky & ~exempt
    return pl.when(risky).then(pl.lit("'") + text).otherwise(text)


def csv_ready(frame: pl.DataFrame, exempt: dict[str, pl.Expr] | None = None) -> pl.DataFrame:
    """Every cell as safe CSV text, vectorized: lists joined with ``"; "``, dates ISO, text guarded.

    A joined list cell is left alone when every item is a phone number
    (``+12065550142; +442079460958``); otherwise it is guarded as a whole.
    """
    import polars as pl

    exempt = exempt or {}
    joined: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.List):
            joined.append(pl.col(name).cast(pl.List(pl.String)).list.join(LIST_SEPARATOR).alias(name))
        elif dtype == pl.Date:
            joined.append(pl.col(name).dt.to_string("%Y-%m-%d").alias(name))
    ready = frame.with_columns(joined) if joined else frame
    texts = [n for n, t in frame.schema.items() if t == pl.String or isinstance(t, pl.List)]
    # One cheap first-character pass; the phone test and the guard run only on columns it flags.
    hits = [pl.col(n).str.contains(_TRIGGER_REGEX).any() for n in texts]
    flagged = ready.select(hits).row(0) if texts else ()
    exprs = []
    for name, hit in zip(texts, flagged, strict=True):
        if not hit:
            continue
        if isinstance(frame.schema[name], pl.List):
            items = frame.get_column(name).cast(pl.List(pl.String))
            all_phones = items.list.eval(pl.element().str.contains(PHONE_PATTERN.pattern)).list.all()
            exprs.append(guarded(pl.col(name), pl.lit(all_phones)).alias(name))
        else:
            exprs.append(guarded(pl.col(name), exempt.get(name)).alias(name))
    ready = ready.with_columns(exprs) if exprs else ready
    return ready.rename({c: str(neutralise_formula(c)) for c in ready.columns if looks_like_formula(c)})

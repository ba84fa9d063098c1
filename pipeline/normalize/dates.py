"""Dates, birthdays and class years: whatever the source wrote → ``pl.Date`` / ISO text / Int32.

Accepted forms: ISO dates and timestamps (``2024-03-15``, ``2024-03-15T10:22:33Z``), basic
ISO (``20240315``), LinkedIn's ``15 Mar 2024`` and other English month-name forms
(``March 15, 2024``, ``15-Mar-24``), numeric ``03/15/2021`` / ``15.03.2021`` / ``2021/03/15``,
Excel serial day numbers (five digits, e.g. ``45366`` = 2024-03-15), and year-less
birthdays (``--04-15``, ``--0415``, ``April 15``, Apple's ``1604-04-15``).

Day/month order of numeric dates follows the workspace region: month first in the US and
the few places that write dates that way (:data:`MONTH_FIRST`), day first elsewhere; when
the region's order gives an impossible date (``03/15`` day-first) the other order is used.
Dotted dates (``15.03.2021``) are always day first. Two-digit years are read as the most
recent year no more than five years ahead. Outlook's empty-date marker ``0/0/00`` is null.

The common forms (ISO and ``15 Mar 2024``) are parsed by polars over the whole column; the
remaining *distinct* values go through :func:`_parse_one` in Python.
"""

from __future__ import annotations

import datetime as dt
import re

import polars as pl

from pipeline.normalize.text import clean_text

#: Regions whose numeric dates put the month first.
MONTH_FIRST = frozenset({"US", "PR", "GU", "VI", "AS", "MP", "UM", "PH", "FM", "MH", "PW"})
#: Apple writes a year-less birthday with this placeholder year.
APPLE_NO_YEAR = 1604
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EMPTY = re.compile(r"^0{1,4}([/.\-])0{1,2}(?:\1)0{1,4}$|^0$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.,]*(?:Z|[+-]\d{2}:?\d{2})?)?$")
_BASIC = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YEARLESS = re.compile(r"^--(\d{2})-?(\d{2})$")
_NUMERIC = re.compile(r"^(\d{1,4})([/.\-])(\d{1,2})\2(\d{1,4})$")
_NUMERIC_NO_YEAR = re.compile(r"^(\d{1,2})([/.])(\d{1,2})$")
_EXCEL = re.compile(r"^(\d{5})(?:\.\d+)?$")
_ORD = r"(?:st|nd|rd|th)?"
_DAY_MONTH = re.compile(rf"^(\d{{1,2}}){_ORD}[\s\-/.]*([A-Za-z]{{3,9}})\.?(?:,?[\s\-/.]+(\d{{2}}|\d{{4}}))?$")
_MONTH_DAY = re.compile(rf"^([A-Za-z]{{3,9}})\.?[\s\-/.]*(\d{{1,2}}){_ORD}(?:,?[\s\-/.]+(\d{{2}}|\d{{4}}))?$")
_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for name in names
}


def expand_year(yy: int, *, today: dt.date | None = None) -> int:
    """A two-digit year as the latest year ending in ``yy`` at most five years from now."""
    horizon = (today or dt.date.today()).year + 5
    year = horizon - ((horizon - yy) % 100)
    return year


def _year(text: str) -> int:
    return expand_year(int(text)) if len(text) <= 2 else int(text)


def _ymd(y: int, m: int, d: int) -> tuple[str, object] | None:
    if y == APPLE_NO_YEAR:
        return _md(m, d)
    if not 1800 <= y <= 2200:
        return None
    try:
        return ("date", dt.date(y, m, d))
    except ValueError:
        return None


def _md(m: int, d: int) -> tuple[str, object] | None:
    try:
        dt.date(2000, m, d)  # a leap year, so --02-29 is a real birthday
    except ValueError:
        return None
    return ("yearless", f"--{m:02d}-{d:02d}")


def _parse_one(text: str, month_first: bool) -> tuple[str, object] | None:
    """``("date", date)``, ``("yearless", "--MM-DD")``, ``("empty", None)`` or None (not a date)."""
    t = text.strip()
    if _EMPTY.match(t):
        return ("empty", None)
    if m := _ISO.match(t) or _BASIC.match(t):
        return _ymd(int(m[1]), int(m[2]), int(m[3]))
    if m := _YEARLESS.match(t):
        return _md(int(m[1]), int(m[2]))
    if m := _NUMERIC.match(t):
        a, sep, b, c = m[1], m[2], m[3], m[4]
        if len(a) == 4:
            return _ymd(int(a), int(b), int(c))
        if len(c) == 3 or len(a) == 3:
            return None
        y = _year(c)
        first_month = month_first and sep != "."
        order = [(int(a), int(b)), (int(b), int(a))] if first_month else [(int(b), int(a)), (int(a), int(b))]
        for mo, d in order:
            if (got := _ymd(y, mo, d)) is not None:
                return got
        return None
    if m := _NUMERIC_NO_YEAR.match(t):
        a, sep, b = int(m[1]), m[2], int(m[3])
        first_month = month_first and sep != "."
        return _md(a, b) if first_month else _md(b, a)
    if m := _EXCEL.match(t):
        return ("date", _EXCEL_EPOCH + dt.timedelta(days=int(m[1])))
    for pattern, day_group, month_group in ((_DAY_MONTH, 1, 2), (_MONTH_DAY, 2, 1)):
        if (m := pattern.match(t)) and (month := _MONTHS.get(m[month_group].lower())):
            day = int(m[day_group])
            return _ymd(_year(m[3]), month, day) if m[3] else _md(month, day)
    return None


def parse_date_column(s: pl.Series, region: str) -> tuple[pl.Series, pl.Series, pl.Series]:
    """``(dates, yearless, bad)`` for a text column.

    ``dates`` is ``pl.Date`` (null where there is no full date), ``yearless`` the
    ``--MM-DD`` text of values that have no year, ``bad`` is true where a non-empty value
    is neither.
    """
    n = len(s)
    if s.dtype == pl.Date:
        return s, pl.Series([None] * n, dtype=pl.String), pl.Series([False] * n, dtype=pl.Boolean)
    if s.dtype in (pl.Datetime("us"), pl.Datetime("ns"), pl.Datetime("ms")) or isinstance(
        s.dtype, pl.Datetime
    ):
        return s.dt.date(), pl.Series([None] * n, dtype=pl.String), pl.Series([False] * n, dtype=pl.Boolean)
    s = clean_text(s.cast(pl.String))
    # A date column repeats itself (a few thousand distinct days in a million rows): parse
    # each distinct value once, then map back through its position.
    distinct = s.drop_nulls().unique()
    col = pl.col("s")
    iso_form = col.str.contains(r"^\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")
    iso = pl.when(iso_form).then(col.str.slice(0, 10))
    fast = distinct.to_frame("s").with_columns(
        d=pl.coalesce(
            iso.str.strptime(pl.Date, "%Y-%m-%d", strict=False),
            col.str.strptime(pl.Date, "%d %b %Y", strict=False),
        )
    )
    fast = fast.select(pl.when(pl.col("d").dt.year().is_between(1800, 2200)).then(pl.col("d")))[:, 0]
    month_first = (region or "").upper() in MONTH_FIRST
    values = distinct.to_list()
    parsed = [
        ("date", d) if d is not None else _parse_one(v, month_first)
        for v, d in zip(values, fast.to_list(), strict=True)
    ]
    slow_dates = pl.Series([p[1] if p and p[0] == "date" else None for p in parsed], dtype=pl.Date)
    slow_md = pl.Series([p[1] if p and p[0] == "yearless" else None for p in parsed], dtype=pl.String)
    slow_bad = pl.Series([p is None for p in parsed], dtype=pl.Boolean)
    position = s.replace_strict(distinct, pl.int_range(len(distinct), eager=True), default=None)
    dates = slow_dates.gather(position)
    yearless = slow_md.gather(position)
    bad = slow_bad.gather(position).fill_null(False)
    return dates.alias(s.name), yearless, bad


def parse_date(text: str | None, region: str) -> dt.date | None:
    """A full date from one value (same code path as the column), else None."""
    if text is None:
        return None
    dates, _, _ = parse_date_column(pl.Series([text], dtype=pl.String), region)
    return dates[0]


def birthday_column(s: pl.Series, region: str) -> tuple[pl.Series, pl.Series]:
    """``(birthday, bad)``: ISO ``YYYY-MM-DD`` or year-less ``--MM-DD`` text."""
    dates, yearless, bad = parse_date_column(s, region)
    text = dates.dt.strftime("%Y-%m-%d")
    return text.fill_null(yearless).alias(s.name), bad


def parse_birthday(text: str | None, region: str) -> str | None:
    """``YYYY-MM-DD`` or ``--MM-DD`` for one value, else None."""
    if text is None:
        return None
    out, _ = birthday_column(pl.Series([text], dtype=pl.String), region)
    return out[0]


def connected_on_column(s: pl.Series, region: str) -> tuple[pl.Series, pl.Series]:
    """``(connected_on, bad)``: a ``pl.Date``; a year-less value counts as bad (kept in extra)."""
    dates, yearless, bad = parse_date_column(s, region)
    return dates, bad | yearless.is_not_null()


_CLASS_RE = re.compile(r"^(?:class\s+of\s+)?['’‘]?(\d{2}|\d{4})(?:\.0+)?$", re.IGNORECASE)
_YEAR_IN_TEXT = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


def parse_class_year(value: str | int | None) -> int | None:
    """``'98`` → 1998, ``Class of 2006`` → 2006, ``2006`` → 2006; None if not a year."""
    if value is None:
        return None
    if isinstance(value, int | float):
        if value != value or value != int(value):  # NaN or a fraction
            return None
        value = int(value)
        year = expand_year(value) if 0 <= value <= 99 else value
        return year if 1900 <= year <= 2100 else None
    t = " ".join(value.split())
    if m := _CLASS_RE.match(t):
        return parse_class_year(int(m[1]))
    found = _YEAR_IN_TEXT.findall(t)
    return int(found[0]) if len(set(found)) == 1 else None


def class_year_column(s: pl.Series) -> tuple[pl.Series, pl.Series]:
    """``(class_year Int32, bad)``; per distinct value (a directory has few class years)."""
    if s.dtype == pl.Null:
        return s.cast(pl.Int32), pl.Series([False] * len(s), dtype=pl.Boolean)
    if s.dtype != pl.String:
        s = s.cast(pl.Float64) if s.dtype == pl.Float64 else s.cast(pl.Int64)
    else:
        s = clean_text(s)
    todo = s.drop_nulls().unique()
    years = pl.Series([parse_class_year(v) for v in todo.to_list()], dtype=pl.Int32)
    out = s.replace_strict(todo, years, default=None, return_dtype=pl.Int32)
    bad = out.is_null() & s.is_not_null()
    return out.alias(s.name), bad

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

#: Fullwidth ＝ ＋ － ＠ too: spreadsheets with East Asian input turn them into the ASCII ones.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
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

"""Shared openpyxl helpers: every xlsx kith writes goes through these (exports and reports).

What they guarantee, so each writer does not have to remember:

- **No formula injection.** openpyxl stores any string that starts with ``=`` as a
  formula (``data_type 'f'``), in normal and write-only mode alike. :func:`safe_value`
  writes formula-looking text (``= + - @``, tab, CR at the start) as an explicit string
  cell (``data_type 's'``) that Excel shows and never evaluates; the text itself is kept
  as the user gave it. Phone numbers such as ``+12065550142`` are plain text anyway.
- **Cells Excel accepts.** Control characters that make openpyxl raise (or Excel call the
  file corrupt) are removed, and text is cut at Excel's 32,767-character cell limit.
- **A real table.** A bold, filled header row, frozen below the header, an auto-filter
  over the written range, column widths that fit the content, ``yyyy-mm-dd`` dates.
- **It prints.** :func:`print_setup`: landscape, scaled to one page wide (as many pages tall as
  it takes), the header row repeated on every page, a footer with the sheet name and page
  numbers; a sheet with a chart prints the chart whole beside its table.

Workbooks are write-only (streaming: rows are appended once, widths and frozen panes
must be set before the first row) and saved atomically through
:func:`pipeline.fileio.atomic_path`. Charts work in write-only mode.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.fileio import atomic_path
from pipeline.safety import FORMULA_TRIGGERS, looks_like_formula

if TYPE_CHECKING:
    import polars as pl
    from openpyxl import Workbook
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MAX_CELL_CHARS = 32_767
MAX_ROWS = 1_048_576  # Excel's rows per sheet, header included
MIN_WIDTH = 6.0
MAX_WIDTH = 60.0
#: Rows looked at to size columns; a million-row sheet needs no more to pick a width.
WIDTH_SAMPLE_ROWS = 5_000
#: Characters Excel refuses in cell text (XML 1.0 forbids them; openpyxl raises on them).
ILLEGAL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_ILLEGAL = re.compile(ILLEGAL_CHARACTERS)
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")

HEADER_FILL_COLOR = "DDEBF7"
#: Rough size of a default column and row in centimetres, to reach a chart's far corner.
COLUMN_CM = 1.7
ROW_CM = 0.5


def new_workbook() -> Workbook:
    """A streaming (write-only) workbook with no sheets yet."""
    from openpyxl import Workbook

    return Workbook(write_only=True)


def sheet_title(text: str) -> str:
    """A valid sheet title: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = _SHEET_TITLE_BAD.sub(" ", text).strip().strip("'") or "Sheet"
    return cleaned[:31]


def clean_text(text: str) -> str:
    """Text Excel accepts: no forbidden control characters, at most 32,767 characters."""
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub("", text)
    return text[:MAX_CELL_CHARS]


def text_cell(ws: WriteOnlyWorksheet, text: str, **style: Any):
    """A cell holding ``text`` as an explicit string, whatever it starts with."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"  # openpyxl made it a formula if it starts with "="; undo that
    for name, value in style.items():
        setattr(cell, name, value)
    return cell


def safe_value(ws: WriteOnlyWorksheet, value: Any) -> Any:
    """What to append for ``value``: the value itself, or an explicit-string cell for formula-like text."""
    if isinstance(value, str):
        value = clean_text(value)
        if value[:1] == "=" or looks_like_formula(value):
            return text_cell(ws, value)
    return value


def styled_cell(ws: WriteOnlyWorksheet, value: Any, **style: Any):
    """A cell with a style (``number_format``, ``font``, ``alignment`` …), safe like :func:`safe_value`."""
    from openpyxl.cell import Cell, WriteOnlyCell

    value = safe_value(ws, value)
    if not isinstance(value, Cell):
        value = WriteOnlyCell(ws, value=value)
    for name, setting in style.items():
        setattr(value, name, setting)
    return value


def assign(cell: Any, value: Any) -> None:
    """Set a normal-mode worksheet cell to ``value`` safely (the normal-mode twin of :func:`safe_value`)."""
    if isinstance(value, str):
        value = clean_text(value)
        cell.value = value
        if value[:1] == "=" or looks_like_formula(value):
            cell.data_type = "s"
    else:
        cell.value = value


def header_cells(ws: WriteOnlyWorksheet, names: Sequence[str]) -> list:
    """The header row: bold on a light fill, safe text."""
    from openpyxl.styles import Alignment, Font, PatternFill

    font = Font(bold=True)
    fill = PatternFill("solid", start_color=HEADER_FILL_COLOR, end_color=HEADER_FILL_COLOR)
    align = Alignment(vertical="center")
    return [styled_cell(ws, str(name), font=font, fill=fill, alignment=align) for name in names]


def _display_length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 16
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, float):
        return min(len(f"{value:,.2f}"), 15)
    text = str(value)
    # A wrapped multi-line cell is as wide as its longest line.
    return max((len(line) for line in text.splitlines()), default=0)


def fit_widths(header: Sequence[str], rows: Iterable[Sequence[Any]], cap: float = MAX_WIDTH) -> list[float]:
    """Column widths (Excel character units) that fit the header and the first rows, capped."""
    widths = [float(len(str(name))) + 3 for name in header]  # room for the filter button
    for index, row in enumerate(rows):
        if index >= WIDTH_SAMPLE_ROWS:
            break
        for col, value in enumerate(row):
            if col < len(widths):
                widths[col] = max(widths[col], _display_length(value) + 2.0)
    return [min(max(w, MIN_WIDTH), cap) for w in widths]


def print_setup(ws: Any, *, title_rows: str | None = "1:1", landscape: bool = True) -> None:
    """Make the sheet print legibly: one page wide, header repeated, numbered pages.

    In write-only mode call it before the first row is appended (the fit-to-page flag is written
    with the sheet's first bytes).
    """
    from openpyxl.worksheet.page import PageMargins

    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as the rows need
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6, header=0.3, footer=0.3)
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.right.text = "Page &P of &N"


def print_with_chart(
    ws: Any, columns: int, rows: int, anchor_col: int, width_cm: float, height_cm: float
) -> None:
    """Print the table (``columns`` × ``rows``) and a chart anchored at column ``anchor_col`` (1-based,
    row 2) on the same page width: the print area reaches the chart's far corner, so scaling to one
    page wide never cuts the chart in two, and it starts on the first page."""
    from openpyxl.utils import get_column_letter

    last_col = max(columns, anchor_col + math.ceil(width_cm / COLUMN_CM))
    last_row = max(rows, 2 + math.ceil(height_cm / ROW_CM))
    ws.print_area = f"A1:{get_column_letter(last_col)}{last_row}"


def set_widths(ws: WriteOnlyWorksheet, widths: Sequence[float]) -> None:
    """Column widths; in write-only mode call this before the first row is appended."""
    from openpyxl.utils import get_column_letter

    for index, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(index)].width = round(width, 1)


def write_table(
    wb: Workbook,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    widths: Sequence[float] | None = None,
    formats: dict[int, str] | None = None,
    wrap: Iterable[int] = (),
) -> WriteOnlyWorksheet:
    """A sheet holding one table: styled frozen header, filters, fitted widths, safe cells.

    :param formats: column index (0-based) → number format, e.g. ``{3: "0%"}``; dates get
        ``yyyy-mm-dd`` without asking.
    :param wrap: column indexes whose text wraps (multi-line messages).
    """
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(sheet_title(title))
    print_setup(ws)
    set_widths(ws, widths or fit_widths(header, rows))
    ws.freeze_panes = "A2"
    ws.append(header_cells(ws, header))
    formats = dict(formats or {})
    wrapped = set(wrap)
    wrap_style = Alignment(wrap_text=True, vertical="top")
    styled = set(formats) | wrapped
    for row in rows:
        out = []
        for col, value in enumerate(row):
            if col in styled and value is not None:
                style: dict[str, Any] = {}
                if col in formats:
                    style["number_format"] = formats[col]
                if col in wrapped:
                    style["alignment"] = wrap_style
                out.append(styled_cell(ws, value, **style))
            else:
                out.append(date_or_safe(ws, value))
        ws.append(out)
    last = get_column_letter(max(len(header), 1))
    ws.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    return ws


def date_or_safe(ws: WriteOnlyWorksheet, value: Any) -> Any:
    """Dates with the house date format; everything else through :func:`safe_value`."""
    if isinstance(value, dt.datetime):
        return styled_cell(ws, value, number_format=DATETIME_FORMAT)
    if isinstance(value, dt.date):
        return styled_cell(ws, value, number_format=DATE_FORMAT)
    return safe_value(ws, value)


def prepare_frame(frame: pl.DataFrame, list_separator: str = "; ") -> pl.DataFrame:
    """A frame ready for cells, vectorized: lists joined, text cleaned and cut to Excel's limit."""
    import polars as pl

    exprs = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.List):
            col = pl.col(name).cast(pl.List(pl.String)).list.join(list_separator)
        elif dtype == pl.String:
            col = pl.col(name)
        else:
            continue
        exprs.append(col.str.replace_all(ILLEGAL_CHARACTERS, "").str.slice(0, MAX_CELL_CHARS).alias(name))
    return frame.with_columns(exprs) if exprs else frame


def frame_widths(frame: pl.DataFrame) -> list[float]:
    """Column widths for a frame, measured in polars over a sample of its rows."""
    import polars as pl

    sample = frame.head(WIDTH_SAMPLE_ROWS)
    widths = []
    for name, dtype in sample.schema.items():
        if dtype == pl.Date:
            longest = 10
        elif dtype == pl.Datetime:
            longest = 16
        else:
            # The longest line of each cell (a wrapped cell is as wide as its longest line).
            lengths = sample[name].cast(pl.String).str.split("\n").list.eval(pl.element().str.len_chars())
            longest = int(lengths.list.max().max() or 0)
        widths.append(min(max(float(max(longest, len(name) + 1)) + 2, MIN_WIDTH), MAX_WIDTH))
    return widths


def write_frame_sheet(wb: Workbook, title: str, frame: pl.DataFrame) -> WriteOnlyWorksheet:
    """One sheet holding ``frame`` as a table (see :func:`write_table`), streaming row by row.

    Only the cells that need one (dates, formula-looking text) become cell objects; the
    rest are appended as plain values, which keeps large exports fast.
    """
    import polars as pl
    from openpyxl.utils import get_column_letter

    prepared = prepare_frame(frame)
    ws = wb.create_sheet(sheet_title(title))
    print_setup(ws)
    set_widths(ws, frame_widths(prepared))
    ws.freeze_panes = "A2"
    ws.append(header_cells(ws, prepared.columns))
    text_cols = [i for i, d in enumerate(prepared.dtypes) if d == pl.String]
    date_cols = [i for i, d in enumerate(prepared.dtypes) if d in (pl.Date, pl.Datetime)]
    risky = tuple(FORMULA_TRIGGERS)
    for batch in prepared.iter_slices(10_000):
        for row in batch.iter_rows():
            values = list(row)
            for i in text_cols:
                value = values[i]
                if value and value[0] in risky:
                    values[i] = safe_value(ws, value)
            for i in date_cols:
                if values[i] is not None:
                    values[i] = date_or_safe(ws, values[i])
            ws.append(values)
    last = get_column_letter(max(prepared.width, 1))
    ws.auto_filter.ref = f"A1:{last}{prepared.height + 1}"
    return ws


def open_readback(path: Path):
    """A read-only openpyxl workbook of an xlsx kith wrote and now reads back (a review sheet's
    decisions, followups.xlsx's Done ticks): the file may have been edited, or planted in a
    report folder, so it gets the limits every imported workbook gets (InputError past them).

    The sheets' declared ``<dimension>`` is dropped: openpyxl would otherwise walk every cell
    of a claimed ``A1:XFD1048576`` (17 billion of them) instead of the cells the file holds.
    """
    from openpyxl import load_workbook

    from pipeline.limits import check_workbook

    check_workbook(Path(path))
    wb = load_workbook(path, read_only=True, data_only=True)
    for ws in wb.worksheets:
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()
    return wb


def save_workbook(wb: Workbook, path: Path) -> Path:
    """Save atomically (temporary name, then rename) with owner-only permissions."""
    with atomic_path(Path(path)) as tmp:
        wb.save(tmp)
    return Path(path)

"""The ``duplicates.xlsx`` review sheet: uncertain pairs out, the user's decisions back in.

Written by the ``duplicates`` exporter into each week's report folder from the run's review
pairs: one row per pair, the two records side by side (name, emails, phones, employer,
title, location, details, source), the match probability and its reasons, and a
**Decision** drop-down (same / different / skip).

Read back by the exporter's ``read_feedback`` (every run's feedback stage, and ``kith
review --from-sheet FILE``). Rows are matched by the record ids in the last two columns,
never by position, so sorting or filtering the sheet in Excel is harmless.
"""

from __future__ import annotations

from pathlib import Path

from pipeline import xlsx
from pipeline.dedupe.review import describe
from pipeline.errors import InputError
from pipeline.fileio import atomic_path, file_hash
from pipeline.safety import looks_like_formula

SHEET_FILE = "duplicates.xlsx"
SHEET_TITLE = "Review"
MAX_PAIRS = 10_000
MAX_SHEET_BYTES = 64 * 1024 * 1024
CHOICES = ("same", "different", "skip")
_ANSWERS = {
    "same": "same",
    "s": "same",
    "yes": "same",
    "different": "different",
    "d": "different",
    "not same": "different",
    "no": "different",
    "skip": "skip",
    "k": "skip",
}

#: (header stem, how to show one record); each becomes an "(A)" and a "(B)" column.
SIDE_FIELDS = ("Name", "Emails", "Phones", "Organization", "Title", "Location", "Details", "Source")
HEADERS = [
    "Decision",
    "Probability",
    *(f"{stem} ({side})" for stem in SIDE_FIELDS for side in "AB"),
    "Reasons",
    "Record A",
    "Record B",
]


def _safe(cell, value: object) -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.value = value
    if isinstance(value, str) and looks_like_formula(value):
        cell.data_type = "s"  # shown as text, never run as a formula


def write_review_sheet(rows: list[dict], path: Path) -> int:
    """Write ``duplicates.xlsx`` at ``path`` (atomically) from review pairs (see
    :func:`pipeline.dedupe.review.review_rows`); returns the number of pairs in it."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    xlsx.print_setup(ws)
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for number, row in enumerate(rows, 2):
        a, b = describe(row["a"]), describe(row["b"])
        values: list[object] = [None, round(float(row["probability"]), 4)]
        for stem in SIDE_FIELDS:
            values += [a[stem], b[stem]]
        values += ["; ".join(row["reasons"]), row["record_a"], row["record_b"]]
        for column, value in enumerate(values, 1):
            _safe(ws.cell(row=number, column=column), value)
        ws.cell(row=number, column=2).number_format = "0.0%"
    last = max(len(rows) + 1, 2)
    choice = DataValidation(
        type="list",
        formula1='"' + ",".join(CHOICES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Decision",
        error="Choose same, different or skip.",
    )
    ws.add_data_validation(choice)
    choice.add(f"A2:A{last}")
    highlight = PatternFill("solid", fgColor="FFF2CC")
    for number in range(2, len(rows) + 2):
        ws.cell(row=number, column=1).fill = highlight
    widths = {1: 12, 2: 11, len(HEADERS) - 2: 60}
    for column in range(1, len(HEADERS) + 1):
        letter = ws.cell(row=1, column=column).column_letter
        ws.column_dimensions[letter].width = widths.get(column, 24)
    for row_cells in ws.iter_rows(min_row=2, max_row=len(rows) + 1):
        for cell in row_cells:
            cell.alignment = Alignment(vertical="top", wrap_text=cell.column > 2)
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{ws.cell(row=1, column=len(HEADERS)).column_letter}{last}"

    help_ws = wb.create_sheet("How to use")
    xlsx.print_setup(help_ws, title_rows=None)
    for line in (
        "Each row of the Review sheet is two contact records kith thinks may be the same person.",
        "Pick a Decision: same (merge them), different (never merge them), or skip (decide later).",
        "Save the file where it is; the next `kith run` applies it, or run:",
        f"    kith review --from-sheet {SHEET_FILE}",
        "Decisions are kept in the store and always win; `kith merge` and `kith split` undo them.",
        "Rows are matched by the Record A / Record B ids: sorting or filtering the sheet is fine.",
    ):
        _safe(help_ws.cell(row=help_ws.max_row + (1 if help_ws["A1"].value else 0), column=1), line)
    help_ws.column_dimensions["A"].width = 100
    with atomic_path(Path(path)) as tmp:
        wb.save(tmp)
    return len(rows)


def file_digest(path: Path) -> str:
    """SHA-256 of a filled sheet: a file is applied once per content."""
    return file_hash(path)[0]


def read_sheet_decisions(path: Path) -> tuple[list[tuple[str, str, str]], list[str]]:
    """The same/different decisions filled into a review sheet, and a warning per unreadable row.

    Returns ``[(record_a, record_b, decision), ...]`` (skip and blank rows left out).
    Raises InputError naming the file when it is not a review sheet at all.
    """
    from pipeline.xlsx import open_readback

    path = Path(path)
    name = path.name
    try:
        if path.stat().st_size > MAX_SHEET_BYTES:
            raise InputError(f"{path}: too large for a review sheet ({path.stat().st_size:,} bytes)")
        wb = open_readback(path)  # the limits imports get: a planted sheet must not stall a run
    except FileNotFoundError:
        raise InputError(f"{path}: not found") from None
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - zip, XML and openpyxl errors all mean "not readable"
        raise InputError(f"{path}: not a readable .xlsx review sheet ({type(exc).__name__}: {exc})") from None
    try:
        ws = wb[SHEET_TITLE] if SHEET_TITLE in wb.sheetnames else wb.worksheets[0]
        found: list[tuple[str, str, str]] = []
        warnings: list[str] = []
        columns: dict[str, int] | None = None
        for number, row in enumerate(ws.iter_rows(values_only=True), 1):
            cells = ["" if v is None else str(v).strip() for v in row]
            if columns is None:
                lowered = [c.casefold() for c in cells]
                if {"decision", "record a", "record b"} <= set(lowered):
                    columns = {c: lowered.index(c) for c in ("decision", "record a", "record b")}
                elif number >= 10:
                    break
                continue
            get = {k: (cells[i] if i < len(cells) else "") for k, i in columns.items()}
            raw = get["decision"]
            if not raw:
                continue
            answer = _ANSWERS.get(raw.casefold())
            place = f"{name} {ws.title}!A{number}"
            if answer is None:
                warnings.append(
                    f"{place}: {raw!r} is not same, different or skip; the row was left undecided"
                )
            elif answer != "skip":
                if not get["record a"] or not get["record b"]:
                    warnings.append(f"{place}: the Record A / Record B ids are missing; the row was ignored")
                else:
                    found.append((get["record a"], get["record b"], answer))
        if columns is None:
            raise InputError(
                f"{path}: no header with Decision, Record A and Record B: not a kith review sheet"
            )
        return found, warnings
    finally:
        wb.close()


def report_sheets(reports_dir: Path) -> list[Path]:
    """Review sheets in the report folders (``reports/<week>/duplicates.xlsx``), oldest week first."""
    if not Path(reports_dir).is_dir():
        return []
    return sorted(
        (p for p in Path(reports_dir).glob(f"*/{SHEET_FILE}") if not p.parent.name.startswith(".")),
        key=lambda p: p.parent.name,
    )

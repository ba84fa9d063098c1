"""``followups.xlsx``: the checklist as a spreadsheet, and reading its Done column back.

One sheet "Follow-ups": Due, Person, Email, Action, Why, Draft, Status, Done, Task; the
header frozen, an auto-filter, widths that fit, overdue rows highlighted, and Done a
drop-down (``yes``). Every text cell that a spreadsheet would run as a formula is
neutralised and written as an explicit string. A second sheet says how to use it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipeline import xlsx
from pipeline.contracts import Task
from pipeline.fileio import atomic_path
from pipeline.safety import looks_like_formula, neutralise_formula
from pipeline.xlsx import clean_text

SHEET = "Follow-ups"
COLUMNS = ("Due", "Person", "Email", "Action", "Why", "Draft", "Status", "Done", "Task")
MAX_WIDTH = {"Action": 60, "Why": 60, "Draft": 70, "Person": 30, "Email": 34, "Task": 40}
DONE_WORDS = {"yes", "y", "x", "done", "✓", "✔", "true", "1", "ja", "oui", "sí", "si"}
OVERDUE_FILL = "FFC7CE"
OVERDUE_FONT = "9C0006"


def _put(ws, row: int, column: int, value: object):
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        value = clean_text(value)  # a control character in a name must not make the file unwritable
        risky = looks_like_formula(value)
        cell.value = neutralise_formula(value)
        if risky:
            cell.data_type = "s"  # explicit string: never a formula, whatever the text
    else:
        cell.value = value
    return cell


def task_row(task: Task, as_of: dt.date) -> list[object]:
    draft = f"Subject: {task.draft.subject}\n\n{task.draft.body.rstrip()}"
    if task.draft_file:  # written once, by the report that owns the message
        draft = f"File: {task.draft_file}\n\n{draft}"
    why = str(task.why)
    if task.notes:
        why = why + "\n" + "\n".join(task.notes)
    return [
        task.due,
        task.person_name,
        task.email or "",
        task.action,
        why,
        draft,
        task.status(as_of),
        "",
        task.key,
    ]


def write_xlsx(path: Path, tasks: list[Task], as_of: dt.date, week: str) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    xlsx.print_setup(ws)
    bold = Font(bold=True)
    for c, name in enumerate(COLUMNS, 1):
        _put(ws, 1, c, name).font = bold
    widths = {name: len(name) + 2 for name in COLUMNS}
    fill = PatternFill("solid", start_color=OVERDUE_FILL, end_color=OVERDUE_FILL)
    red = Font(bold=True, color=OVERDUE_FONT)
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, task in enumerate(tasks, 2):
        for c, value in enumerate(task_row(task, as_of), 1):
            cell = _put(ws, r, c, value)
            cell.alignment = wrap
            name = COLUMNS[c - 1]
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
                text_width = 10
            else:
                text_width = max((len(line) for line in str(value).splitlines()), default=0)
            widths[name] = max(widths[name], min(text_width + 2, MAX_WIDTH.get(name, 40)))
            if task.overdue:
                cell.fill = fill
        if task.overdue:
            ws.cell(row=r, column=COLUMNS.index("Status") + 1).font = red
    for c, name in enumerate(COLUMNS, 1):
        ws.column_dimensions[get_column_letter(c)].width = widths[name]
    ws.freeze_panes = "A2"
    last_row = max(len(tasks) + 1, 2)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{last_row}"
    done_col = get_column_letter(COLUMNS.index("Done") + 1)
    validation = DataValidation(
        type="list",
        formula1='"yes,no"',
        allow_blank=True,
        showErrorMessage=False,  # "x" or "done" typed by hand are read back too
        promptTitle="Done?",
        prompt="Pick yes when the task is done; kith reads it back on the next run.",
    )
    validation.add(f"{done_col}2:{done_col}{max(last_row, 200)}")
    ws.add_data_validation(validation)

    about = wb.create_sheet("About")
    xlsx.print_setup(about, title_rows=None, landscape=False)
    for r, (key, value) in enumerate(
        [
            ("Week", week),
            ("As of", as_of),
            ("Open tasks", len(tasks)),
            ("Overdue", sum(t.overdue for t in tasks)),
            ("How to use", "Set Done to yes for what you did; next week's run reads it back."),
            ("Or", "Run: kith done TASK (the Task column)."),
        ],
        1,
    ):
        _put(about, r, 1, key).font = bold
        cell = _put(about, r, 2, value)
        if isinstance(value, dt.date):
            cell.number_format = "yyyy-mm-dd"
    about.column_dimensions["A"].width = 12
    about.column_dimensions["B"].width = 70
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def read_done(path: Path) -> set[str]:
    """Task keys whose Done cell is ticked in a followups.xlsx (ours, possibly edited by hand)."""
    from pipeline.xlsx import open_readback

    try:
        wb = open_readback(path)  # the limits imports get: an edited or planted file must not stall a run
    except Exception:  # a damaged or foreign file: nothing to read back, never a failed run
        return set()
    try:
        if SHEET not in wb.sheetnames:
            return set()
        rows = wb[SHEET].iter_rows(values_only=True)
        header = [str(c or "").strip().casefold() for c in next(rows, ())]
        if "done" not in header or "task" not in header:
            return set()
        done_at, key_at = header.index("done"), header.index("task")
        keys = set()
        for row in rows:
            if len(row) <= max(done_at, key_at):
                continue
            done, key = row[done_at], row[key_at]
            if key and (done is True or str(done or "").strip().casefold() in DONE_WORDS):
                keys.add(str(key).strip().lstrip("'"))
        return keys
    finally:
        wb.close()

"""An unchanged week: the same inputs, journal and as-of date find the week's folder written from
the same state and write nothing; a tick, a journal entry, another day or a missing file do.

The workspace is the stories' job search (tests/fixtures/stories, invented people, example.com).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from openpyxl import load_workbook

from pipeline.cli import build_app
from tests.test_stories import CONFIG, STORIES  # the stories' job search

app = build_app()
WEEK = "2026-W49"


def _workspace(runner, tmp_path) -> Path:
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    for name in ("Connections.csv", "google_contacts.csv"):
        shutil.copy(STORIES / name, ws / name)
    (ws / "kith.toml").write_text(CONFIG, encoding="utf-8")
    return ws


def _run(runner, ws: Path, as_of: str = "2026-12-01") -> dict:
    result = runner.invoke(app, ["-w", str(ws), "run", "--as-of", as_of, "--json"])
    assert result.exit_code in (0, 3), result.output
    return json.loads(result.stdout)


def _snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in folder.rglob("*")
        if p.is_file()
    }


def _open_tasks(folder: Path) -> dict[str, str | None]:
    sheet = load_workbook(folder / "followups.xlsx")["Follow-ups"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    return {r["Task"]: r["Done"] for r in rows if r["Task"]}


def _tick(folder: Path, key: str) -> None:
    """Type "yes" in the Done column, as a person does in Excel."""
    book = load_workbook(folder / "followups.xlsx")
    sheet = book["Follow-ups"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("Task")].value == key:
            row[header.index("Done")].value = "yes"
    book.save(folder / "followups.xlsx")


def test_an_unchanged_week_writes_nothing_and_says_so(runner, tmp_path):
    ws = _workspace(runner, tmp_path)
    folder = ws / "reports" / WEEK
    assert _run(runner, ws)["reports"] == "written"
    # A meeting logged after the import: a journal entry changes the state, and makes a task.
    logged = runner.invoke(app, ["-w", str(ws), "log", "meeting", "Amara Okafor", "--date", "2026-11-30"])
    assert logged.exit_code == 0, logged.output
    first = _run(runner, ws)
    assert first["reports"] == "written" and first["state"] and "followups.xlsx" in first["outputs"]
    before = _snapshot(folder)

    again = _run(runner, ws)
    assert again["reports"] == "unchanged" and again["state"] == first["state"]
    assert [i["status"] for i in again["inputs"]] == ["unchanged", "unchanged"] and first["tasks"] > 0
    assert again["outputs"] == first["outputs"] and again["tasks"] == first["tasks"]
    assert again["report_dir"] == str(folder) and "reports" not in again["durations"]
    assert _snapshot(folder) == before  # not one file rewritten, run.json included

    # A tick in this week's spreadsheet is read by the feedback stage: the state changed.
    tasks = _open_tasks(folder)
    key = next(iter(tasks))
    _tick(folder, key)
    ticked = _run(runner, ws)
    assert ticked["reports"] == "written" and ticked["state"] != first["state"]
    assert key not in _open_tasks(folder) and ticked["tasks"] == first["tasks"] - 1
    assert _run(runner, ws)["reports"] == "unchanged"

    # Another day of the same week and a deleted file each write the week again.
    assert _run(runner, ws, "2026-12-02")["reports"] == "written"
    assert _run(runner, ws, "2026-12-02")["reports"] == "unchanged"
    (folder / "followups.md").unlink()
    assert _run(runner, ws, "2026-12-02")["reports"] == "written" and (folder / "followups.md").is_file()


def test_code_changed_in_place_writes_the_week_again(runner, tmp_path):
    """An editable install or a ``git pull`` changes kith's or a plugin's code without moving the
    version: the week is written again. Here a loose ``plugins_dir`` exporter is edited."""
    ws = _workspace(runner, tmp_path)
    plugins = ws / "local_plugins"
    plugins.mkdir()
    exporter = plugins / "hello_note.py"
    source = """from pathlib import Path
from pipeline import hookimpl

class Hello:
    name = "hello"
    description = "one line"

    def write(self, context):
        path = Path(context.out_dir) / "hello.txt"
        path.write_text(GREETING, encoding="utf-8")
        return [path]

GREETING = "{greeting}"

@hookimpl
def register_exporters():
    return [Hello()]
"""
    exporter.write_text(source.format(greeting="hello"), encoding="utf-8")
    config = ws / "kith.toml"
    settings = config.read_text(encoding="utf-8")
    config.write_text('plugins_dir = "local_plugins"\n' + settings, encoding="utf-8")
    folder = ws / "reports" / WEEK
    assert _run(runner, ws)["reports"] == "written"
    assert (folder / "hello.txt").read_text(encoding="utf-8") == "hello"
    assert _run(runner, ws)["reports"] == "unchanged"

    exporter.write_text(source.format(greeting="hello again"), encoding="utf-8")
    assert _run(runner, ws)["reports"] == "written"
    assert (folder / "hello.txt").read_text(encoding="utf-8") == "hello again"
    assert _run(runner, ws)["reports"] == "unchanged"


def test_the_code_roots_are_the_core_and_every_plugins_package():
    from pipeline.manager import make_plugin_manager
    from pipeline.run.state import code_roots

    roots = code_roots(make_plugin_manager(entry_points=False, disabled=()).get_plugins())
    names = {root.name for root in roots}
    assert {"pipeline", "plugins"} <= names and all(root.exists() for root in roots)

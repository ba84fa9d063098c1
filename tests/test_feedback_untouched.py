"""The feedback stage opens only the files a person may have filled in: ``run.json`` stamps each
file an exporter reads back (size, mtime, SHA-256) as written, and a file whose stamp still
matches is skipped; one ticked in Excel, or changed in any byte, is read as before.

The workspace is the stories' job search (tests/fixtures/stories, invented people, example.com).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import plugins.duplicates as duplicates
import plugins.followups as followups
from pipeline.run.folders import untouched
from tests.test_unchanged_week import WEEK, _open_tasks, _run, _tick, _workspace, app


def _count_reads(monkeypatch) -> list[str]:
    """Record every checklist and review sheet the exporters open."""
    opened: list[str] = []
    read_done, read_sheet = followups.read_done, duplicates.read_sheet_decisions

    def done(path):
        opened.append(Path(path).name)
        return read_done(path)

    def sheet(path):
        opened.append(Path(path).name)
        return read_sheet(path)

    monkeypatch.setattr(followups, "read_done", done)
    monkeypatch.setattr(duplicates, "read_sheet_decisions", sheet)
    return opened


def test_run_json_stamps_the_files_read_back(runner, tmp_path):
    ws = _workspace(runner, tmp_path)
    first = _run(runner, ws)
    folder = ws / "reports" / WEEK
    written = json.loads((folder / "run.json").read_text(encoding="utf-8"))["written"]
    assert "followups.xlsx" in written and "duplicates.xlsx" in written
    assert not any(name.startswith("drafts") for name in written)  # only the exporters' own files
    assert "contacts.csv" not in written  # contacts reads nothing back: not hashed
    stamp = written["followups.xlsx"]
    data = (folder / "followups.xlsx").read_bytes()
    assert stamp["size"] == len(data) and stamp["sha256"] == hashlib.sha256(data).hexdigest()
    assert stamp["mtime_ns"] == (folder / "followups.xlsx").stat().st_mtime_ns
    assert set(written) <= set(first["outputs"])
    assert untouched(folder / "followups.xlsx") and untouched(folder / "duplicates.xlsx")


def test_untouched_files_are_not_opened_and_a_ticked_one_is(runner, tmp_path, monkeypatch):
    ws = _workspace(runner, tmp_path)
    folder = ws / "reports" / WEEK
    # A meeting logged makes a follow-up task, so the checklist has a row to tick.
    logged = runner.invoke(app, ["-w", str(ws), "log", "meeting", "Amara Okafor", "--date", "2026-11-30"])
    assert logged.exit_code == 0, logged.output
    first = _run(runner, ws)
    assert first["tasks"] > 0
    opened = _count_reads(monkeypatch)

    again = _run(runner, ws, "2026-12-02")  # the same week, another day: written again
    assert again["reports"] == "written" and opened == []
    assert again["tasks"] == first["tasks"]

    key = next(iter(_open_tasks(folder)))
    _tick(folder, key)
    ticked = _run(runner, ws, "2026-12-03")
    assert opened.count("followups.xlsx") == 1 and "duplicates.xlsx" not in opened
    assert ticked["tasks"] == first["tasks"] - 1 and key not in _open_tasks(folder)


def test_any_change_to_size_mtime_or_bytes_makes_a_file_read(runner, tmp_path):
    ws = _workspace(runner, tmp_path)
    _run(runner, ws)
    sheet = ws / "reports" / WEEK / "followups.xlsx"
    stat = sheet.stat()
    os.utime(sheet, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # saved again, same bytes
    assert not untouched(sheet)
    os.utime(sheet, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert untouched(sheet)
    data = bytearray(sheet.read_bytes())
    data[-1] ^= 0xFF  # one byte differs, same size, mtime put back
    sheet.write_bytes(bytes(data))
    os.utime(sheet, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert not untouched(sheet)
    (sheet.parent / "run.json").write_text("{not json", encoding="utf-8")
    assert not untouched(sheet.parent / "duplicates.xlsx")  # no readable stamp: read it

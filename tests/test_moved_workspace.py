"""A workspace folder moved (or synced to another machine) keeps knowing its inputs: the store
names the paths inside its own folder relative to it."""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing

from typer.testing import CliRunner

from pipeline.cli import build_app
from pipeline.store import Store

HEADER = "Member ID,First Name,Last Name,Email\n"


def _workspace(tmp_path, runner, app):
    ws = tmp_path / "networking"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    (ws / "in").mkdir()
    members = ws / "in" / "members.csv"
    members.write_text(HEADER + "M1,Ana,Lima,ana.lima@example.com\nM2,Ben,Okoro,ben.okoro@example.com\n")
    with (ws / "kith.toml").open("a") as fh:
        fh.write('\n[[inputs]]\npath = "in/members.csv"\nimporter = "alumni"\n')
    assert runner.invoke(app, ["-w", str(ws), "run", "--as-of", "2026-11-02"]).exit_code == 0
    return ws


def _ids(store: Store) -> dict[str, str]:
    """Member id → record id."""
    rows = store.records().select("extra", "record_id").iter_rows()
    return {json.loads(extra)["source_id"]: record_id for extra, record_id in rows}


def _move_and_edit(tmp_path, ws):
    moved = tmp_path / "Documents" / "networking"
    moved.parent.mkdir()
    shutil.move(ws, moved)
    (moved / "in" / "members.csv").write_text(
        HEADER + "M1,Ana,Lima,ana.lima@newjob.example.com\nM2,Ben,Okoro,ben.okoro@example.com\n"
    )
    return moved


def test_a_changed_export_in_a_moved_workspace_replaces_its_source(tmp_path):
    runner, app = CliRunner(), build_app()
    ws = _workspace(tmp_path, runner, app)
    with Store(ws / "kith.db") as store:
        before = _ids(store)
        assert [row[0] for row in store.conn.execute("SELECT path FROM sources")] == ["in/members.csv"]
        assert store.sources()["path"].to_list() == [str((ws / "in" / "members.csv").resolve())]
    moved = _move_and_edit(tmp_path, ws)
    assert runner.invoke(app, ["-w", str(moved), "run", "--as-of", "2026-11-09"]).exit_code == 0
    with Store(moved / "kith.db") as store:
        records = store.records()
        assert records.height == 2  # the new export replaced the old one (not 4 records)
        assert store.sources().height == 1
        assert _ids(store) == before
        assert records.filter(record_id=before["M1"])["emails"].to_list() == [["ana.lima@newjob.example.com"]]


def test_a_store_from_before_relative_paths_is_upgraded_on_open_and_then_moves(tmp_path, monkeypatch):
    runner, app = CliRunner(), build_app()
    with monkeypatch.context() as older:  # what an older kith wrote: absolute paths, ids keyed by them
        older.setattr(Store, "key", lambda self, path: path)
        older.setattr(Store, "_relative_paths", lambda self, conn: None)
        ws = _workspace(tmp_path, runner, app)
    absolute = str((ws / "in" / "members.csv").resolve())
    with closing(sqlite3.connect(ws / "kith.db")) as conn:
        assert [row[0] for row in conn.execute("SELECT path FROM source_paths")] == [absolute]
    with Store(ws / "kith.db") as store:
        seen = [row[0] for row in store.conn.execute("SELECT path FROM source_paths")]
        assert seen == ["in/members.csv"]
        before = _ids(store)
    moved = _move_and_edit(tmp_path, ws)
    plan = runner.invoke(app, ["-w", str(moved), "run", "--as-of", "2026-11-09", "--dry-run", "--json"])
    assert '"would import (changed)"' in plan.stdout, plan.output
    assert runner.invoke(app, ["-w", str(moved), "run", "--as-of", "2026-11-09"]).exit_code == 0
    with Store(moved / "kith.db") as store:
        assert store.sources().height == 1
        # its records keep their ids: the source's first path, as the older kith named it, keys them
        assert _ids(store) == before

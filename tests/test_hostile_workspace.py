"""A workspace or input from a stranger: special files, a symlinked lock, templates that try to run
code, bad settings, fullwidth formula triggers, a world-readable kith.toml.

Each test is one item of issue 21 ("hostile workspaces"); docs/reliability.md lists them.
"""

from __future__ import annotations

import csv
import json
import os
import stat
from pathlib import Path

import polars as pl
import pytest

from pipeline.cli import build_app
from pipeline.config import parse_config
from pipeline.errors import ConfigError, KithError
from pipeline.followups import FollowupSettings
from pipeline.followups.templates import render_draft
from pipeline.importing import import_file
from pipeline.lock import WorkspaceBusy, workspace_lock
from pipeline.store import Store
from pipeline.workspace import Workspace, load_config

app = build_app()
ALUMNI = "First Name,Last Name,Email\nMaria,Gonzalez,maria.gonzalez@example.com\n"


def _one_line_error(result, *needles: str) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("kith: error: ")
    for needle in needles:
        assert needle in lines[0]
    assert "Traceback" not in result.output
    return lines[0]


# --- special files -------------------------------------------------------------------------------


def test_a_device_is_refused_with_one_line(runner, workspace):
    result = runner.invoke(app, ["-w", str(workspace.root), "import", "--json", "/dev/zero"])
    assert result.exit_code == 2
    (outcome,) = json.loads(result.output)["files"]
    assert outcome["error"] == "/dev/zero: is a device, not a regular file; kith imports only ordinary files"


def test_a_fifo_is_refused_without_opening_it(workspace, pm, tmp_path):
    fifo = tmp_path / "contacts.csv"
    os.mkfifo(fifo)
    with Store(workspace.store_path) as store:
        outcome = import_file(store, pm, fifo)  # opening it would block: no writer ever comes
    assert outcome.status == "failed"
    assert outcome.exit_code == 2
    assert (
        outcome.error
        == f"{fifo}: is a named pipe (FIFO), not a regular file; kith imports only ordinary files"
    )


def test_a_symlink_to_a_regular_file_still_imports(workspace, pm, tmp_path):
    real = tmp_path / "alumni.csv"
    real.write_text(ALUMNI)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    with Store(workspace.store_path) as store:
        outcome = import_file(store, pm, link)
    assert (outcome.status, outcome.records) == ("imported", 1)


# --- the workspace lock --------------------------------------------------------------------------


def test_a_symlinked_lock_is_refused_and_its_target_untouched(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    root = tmp_path / "ws"
    root.mkdir()
    (root / "kith.lock").symlink_to("../victim.txt")
    with pytest.raises(KithError, match=r"kith\.lock: is a symbolic link, not kith's lock file"):
        with workspace_lock(root / "kith.lock"):
            pass
    assert victim.read_text() == "precious\n"


def test_a_lock_that_is_a_folder_is_one_line_through_the_cli(runner, workspace):
    (workspace.root / "kith.lock").mkdir()
    result = runner.invoke(app, ["-w", str(workspace.root), "run", "--as-of", "2026-11-26"])
    assert result.exit_code == 1
    _one_line_error(result, "kith.lock: is a folder, not kith's lock file")


def test_a_symlinked_lock_is_refused_under_no_plugins(runner, workspace, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (workspace.root / "kith.lock").symlink_to(victim)
    result = runner.invoke(
        app, ["-w", str(workspace.root), "--no-plugins", "report", "--as-of", "2026-11-26"]
    )
    assert result.exit_code == 1
    assert "is a symbolic link" in result.output
    assert victim.read_text() == "precious\n"


def test_the_lock_is_a_private_regular_file(tmp_path):
    old = os.umask(0)
    try:
        with workspace_lock(tmp_path / "kith.lock", "kith test"):
            assert "kith test, pid" in (tmp_path / "kith.lock").read_text()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "kith.lock").stat().st_mode) == 0o600


def test_a_full_disk_while_writing_the_lock_costs_nothing_but_the_holders_note(tmp_path, monkeypatch):
    """The note naming the holder only informs a second run: a refused write keeps the lock, no traceback."""
    import errno

    def full(*_args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full)
    with workspace_lock(tmp_path / "kith.lock"):
        monkeypatch.undo()
        with pytest.raises(WorkspaceBusy, match="another kith run is in progress"):
            with workspace_lock(tmp_path / "kith.lock"):
                pass


# --- templates are data, not code ----------------------------------------------------------------

PAYLOAD = "Subject: hi\n\n{{ cycler.__init__.__globals__.os.popen('touch %s').read() }}\n"


def test_a_template_cannot_reach_python(tmp_path):
    marker = tmp_path / "pwned"
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "thank_you.txt").write_text(PAYLOAD % marker)
    with pytest.raises(ConfigError, match=r"thank_you\.txt: access to attribute '__init__'.* is unsafe"):
        render_draft("thank_you.txt", {"first_name": "Maria"}, [folder])
    assert not marker.exists()


def test_outcome_drafts_render_in_the_sandbox_too(tmp_path):
    from plugins.outcome_report.drafts import _environment

    marker = tmp_path / "pwned"
    folder = tmp_path / "templates"
    folder.mkdir()
    payload = "{{ cycler.__init__.__globals__.os.popen('touch " + str(marker) + "') }}"
    (folder / "outcome_subject.txt").write_text(payload)
    import jinja2

    with pytest.raises(jinja2.exceptions.SecurityError):
        _environment([folder]).get_template("outcome_subject.txt").render()
    assert not marker.exists()


def test_no_plugins_ignores_workspace_templates_and_says_so(runner, workspace):
    templates = workspace.root / "templates"
    templates.mkdir()
    (templates / "thank_you.txt").write_text("Subject: from the folder\n\nhello\n")
    settings = FollowupSettings.from_workspace(
        Workspace(workspace.root, load_config(workspace.config_path), builtins_only=True)
    )
    assert settings.template_dirs == []
    assert FollowupSettings.from_workspace(workspace).template_dirs == [templates]
    result = runner.invoke(app, ["-w", str(workspace.root), "--no-plugins", "export", "records", "-o", "-"])
    assert result.exit_code == 0, result.output
    assert "kith: note: --no-plugins: the workspace's templates are ignored" in result.output


# --- settings ------------------------------------------------------------------------------------


def test_an_unknown_region_is_refused_naming_the_key():
    with pytest.raises(ConfigError, match=r"\[workspace\] 'region' must be a two-letter country code.*'XX'"):
        parse_config({"workspace": {"region": "XX"}})
    assert parse_config({"workspace": {"region": "gb"}}).region == "GB"


def test_negative_weeks_are_refused_naming_the_key():
    settings = FollowupSettings.from_dict({"check_in": {"weeks": -1}})
    with pytest.raises(
        ConfigError,
        match=r"\[followups\.check_in\] 'weeks' must be 0 or more .*got -1",
    ):
        settings.for_rule("check_in", {"weeks": 6})
    assert (
        FollowupSettings.from_dict({"check_in": {"weeks": 0}}).for_rule("check_in", {"weeks": 6})["weeks"]
        == 0
    )


def test_a_kith_toml_that_is_not_utf8_is_one_line(runner, workspace):
    workspace.config_path.write_bytes('[workspace]\nschool = "Universit\xe9"\n'.encode("latin-1"))
    result = runner.invoke(app, ["-w", str(workspace.root), "export", "records", "-o", "-"])
    assert result.exit_code == 2
    _one_line_error(result, "kith.toml: is not UTF-8 text (byte 31)")


def test_init_writes_a_private_kith_toml_under_umask_000(runner, tmp_path):
    old = os.umask(0)
    try:
        result = runner.invoke(app, ["init", str(tmp_path / "ws")])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((tmp_path / "ws" / "kith.toml").stat().st_mode) == 0o600


# --- fullwidth formula triggers ------------------------------------------------------------------

FULLWIDTH = ["\uff1dHYPERLINK(1)", "\uff0bcmd", "\uff0d2+3", "\uff20SUM(A1)", "+12065550142", "Ana"]


def test_fullwidth_triggers_are_neutralised_in_csv(tmp_path):
    from plugins.contacts.formats import CsvFormat

    CsvFormat().write(pl.DataFrame({"full_name": FULLWIDTH}), tmp_path / "out.csv")
    with open(tmp_path / "out.csv", newline="", encoding="utf-8-sig") as handle:
        cells = [row[0] for row in csv.reader(handle)][1:]
    assert cells == ["'" + v for v in FULLWIDTH[:4]] + ["+12065550142", "Ana"]


def test_fullwidth_triggers_are_strings_in_xlsx(tmp_path):
    from openpyxl import load_workbook

    from plugins.contacts.formats import XlsxFormat

    path = tmp_path / "out.xlsx"
    XlsxFormat().write(pl.DataFrame({"full_name": FULLWIDTH}), path)
    ws = load_workbook(path).active
    cells = [ws.cell(row=i, column=1) for i in range(2, 2 + len(FULLWIDTH))]
    assert [c.value for c in cells] == FULLWIDTH
    assert all(c.data_type == "s" for c in cells)
    # openpyxl reads inline strings back as "s"; the raw XML must hold no formula at all.
    import zipfile

    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet


# --- a full disk, a read-only workspace: one line and exit 1, never a traceback -------------------


@pytest.fixture
def full_disk(monkeypatch, workspace):
    """The store exists; from now on no connection may grow it: SQLite's own "disk is full"."""
    from pipeline import store as store_module

    store_module.Store(workspace.store_path).close()
    connect = store_module.Store._connect

    def capped(self):
        conn = connect(self)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        return conn

    monkeypatch.setattr(store_module.Store, "_connect", capped)


def _records(root: Path) -> int:
    import sqlite3

    with sqlite3.connect(root / "kith.db") as conn:
        return conn.execute("SELECT count(*) FROM records").fetchone()[0]


def _alumni_rows(count: int) -> str:
    rows = [f"Person{i},Example{i},person{i}@example.com" for i in range(count)]
    return "First Name,Last Name,Email\n" + "\n".join(rows) + "\n"


def test_disk_full_during_import_is_one_line_and_the_store_untouched(runner, workspace, full_disk):
    (workspace.root / "first.csv").write_text(ALUMNI)
    (workspace.root / "big.csv").write_text(_alumni_rows(3000))
    root = str(workspace.root)
    result = runner.invoke(app, ["-w", root, "import", str(workspace.root / "big.csv")])
    assert result.exit_code == 1, result.output
    _one_line_error(result, f"{workspace.store_path}: the disk is full (database or disk is full)")
    assert _records(workspace.root) == 0


def test_disk_full_during_log_is_one_line(runner, workspace, full_disk):
    # the store opens with room to spare in its pages: a long note needs new ones
    note = "Met at the alumni mixer. " * 8000
    result = runner.invoke(app, ["-w", str(workspace.root), "log", "met", "Maria Gonzalez", "-m", note])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("kith: error:")]
    assert len(errors) == 1 and "the disk is full (database or disk is full)" in errors[0]
    assert "Traceback" not in result.output


def test_disk_full_during_run_is_one_line(runner, workspace, full_disk):
    (workspace.root / "alumni.csv").write_text(_alumni_rows(3000))
    workspace.config_path.write_text('[[inputs]]\npath = "alumni.csv"\n')
    result = runner.invoke(app, ["-w", str(workspace.root), "run", "--as-of", "2026-11-26"])
    assert result.exit_code == 1, result.output
    assert "the disk is full" in result.output
    assert "Traceback" not in result.output


def test_a_read_only_workspace_is_one_line(runner, workspace, monkeypatch):
    import errno
    import tempfile

    def read_only(*_args, dir=None, **_kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), dir)

    (workspace.root / "alumni.csv").write_text(ALUMNI)
    assert (
        runner.invoke(
            app, ["-w", str(workspace.root), "import", str(workspace.root / "alumni.csv")]
        ).exit_code
        == 0
    )
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    result = runner.invoke(app, ["-w", str(workspace.root), "report", "--as-of", "2026-11-26"])
    assert result.exit_code == 1, result.output
    _one_line_error(result, "Read-only file system")


def test_init_on_a_file_is_a_usage_error_naming_it(runner, tmp_path):
    export = tmp_path / "Connections.csv"
    export.write_text("First Name,Last Name\nAna,Lima\n", encoding="utf-8")
    result = runner.invoke(app, ["init", str(export)])
    assert result.exit_code == 2
    assert f"{export}: is a file; kith init takes a folder" in result.output
    assert export.read_text(encoding="utf-8") == "First Name,Last Name\nAna,Lima\n"


def test_a_file_where_the_reports_folder_goes_is_named(runner, workspace):
    (workspace.root / "reports").rmdir()
    (workspace.root / "reports").write_text("notes\n", encoding="utf-8")
    result = runner.invoke(app, ["-w", str(workspace.root), "report", "--as-of", "2026-11-26"])
    assert result.exit_code == 2
    assert f"{workspace.root / 'reports'}: is a file where kith needs a folder" in result.output
    ran = runner.invoke(app, ["-w", str(workspace.root), "run", "--as-of", "2026-11-26"])
    assert ran.exit_code == 1 and "is a file where kith needs a folder" in ran.output
    assert (workspace.root / "reports").read_text(encoding="utf-8") == "notes\n"

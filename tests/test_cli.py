"""The CLI through typer's CliRunner: init, import (--json), export records, plugins."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pipeline.cli import build_app

app = build_app()

FIXTURE_PLUGINS = Path(__file__).parent / "fixture_plugins"


def _init(runner, tmp_path) -> Path:
    ws = tmp_path / "ws"
    result = runner.invoke(app, ["init", str(ws)])
    assert result.exit_code == 0, result.output
    assert (ws / "kith.toml").is_file() and (ws / "reports").is_dir()
    return ws


def test_init_import_export_round(runner, tmp_path, samples):
    ws = _init(runner, tmp_path)
    sample = samples / "linkedin" / "Connections.csv"
    result = runner.invoke(app, ["-w", str(ws), "import", str(sample), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["records"] == 50 and summary["rejects"] == 1
    (file_summary,) = summary["files"]
    assert file_summary["status"] == "imported" and file_summary["importer"] == "linkedin"
    assert file_summary["rejects"] == [
        {"ref": "row 38", "reason": "restricted profile: the row has only a connection date"}
    ]
    assert set(file_summary) >= {"path", "importer", "status", "records", "rejects", "error"}
    assert (ws / "kith.db").is_file()

    again = runner.invoke(app, ["-w", str(ws), "import", str(sample), "--json"])
    assert json.loads(again.stdout)["files"][0]["status"] == "unchanged"

    exported = runner.invoke(app, ["-w", str(ws), "export", "records", "--format", "jsonl", "--out", "-"])
    assert exported.exit_code == 0
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert len(lines) == 50  # the second import added nothing
    maria = next(r for r in lines if r["full_name"] == "Maria Gonzalez")
    assert maria["emails"] == ["maria.gonzalez@example.com"] and maria["connected_on"] == "2026-01-12"
    assert maria["source"] == "linkedin" and maria["source_ref"] == "row 6"


def test_workspace_found_upward_and_from_env(runner, tmp_path, samples, monkeypatch):
    ws = _init(runner, tmp_path)
    nested = ws / "inbox" / "week1"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    result = runner.invoke(app, ["import", str(samples / "linkedin" / "Connections.csv")])
    assert result.exit_code == 0, result.output
    assert "50 records imported, 1 rejected." in result.stdout
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KITH_WORKSPACE", str(ws))
    out = runner.invoke(app, ["export", "records", "--format", "csv", "--out", str(tmp_path / "r.csv")])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "r.csv").read_bytes().startswith(b"\xef\xbb\xbfrecord_id,")


def test_no_workspace_is_one_line_and_exit_2(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["import", "x.csv"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "kith init" in result.stderr


def test_unreadable_and_unknown_files_exit_2_but_others_import(runner, tmp_path, samples):
    ws = _init(runner, tmp_path)
    (tmp_path / "notes.txt").write_text("just some notes\n")
    result = runner.invoke(
        app,
        [
            "-w",
            str(ws),
            "import",
            str(samples / "linkedin" / "Connections.csv"),
            str(tmp_path / "notes.txt"),
            str(tmp_path / "missing.csv"),
            "--json",
        ],
    )
    assert result.exit_code == 2
    files = {Path(f["path"]).name: f for f in json.loads(result.stdout)["files"]}
    assert files["Connections.csv"]["status"] == "imported"
    assert (
        "no importer recognises" in files["notes.txt"]["error"] and "linkedin" in files["notes.txt"]["error"]
    )
    assert files["missing.csv"]["error"].endswith("missing.csv: file not found")


def test_strict_fails_a_file_with_rejects(runner, tmp_path, samples):
    ws = _init(runner, tmp_path)
    result = runner.invoke(
        app, ["-w", str(ws), "import", "--strict", str(samples / "linkedin" / "Connections.csv")]
    )
    assert result.exit_code == 1
    assert "--strict" in result.stdout
    exported = runner.invoke(app, ["-w", str(ws), "export", "records", "--out", "-"])
    assert exported.stdout == ""


def test_as_unknown_importer_names_the_installed_ones(runner, tmp_path, samples):
    ws = _init(runner, tmp_path)
    result = runner.invoke(
        app, ["-w", str(ws), "import", "--as", "nope", str(samples / "linkedin" / "Connections.csv")]
    )
    assert result.exit_code == 2
    assert "no importer named 'nope'" in result.stdout + result.stderr


def test_plugins_lists_builtins_and_a_broken_plugin(runner, tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    shutil.copy(FIXTURE_PLUGINS / "broken_on_import.py", plugins / "broken_on_import.py")
    result = runner.invoke(app, ["--plugins-dir", str(plugins), "plugins", "--json"])
    assert result.exit_code == 0, result.output
    infos = {i["name"]: i for i in json.loads(result.stdout)}
    assert infos["linkedin"]["provides"] == ["importer:linkedin"] and infos["linkedin"]["error"] is None
    assert "this plugin is broken on purpose" in infos["broken_on_import"]["error"]
    table = runner.invoke(app, ["--plugins-dir", str(plugins), "plugins"])
    assert "broken_on_import" in table.stdout and "failed" in table.stdout


def test_version(runner):
    from pipeline import __version__

    result = runner.invoke(app, ["--version"])
    assert result.stdout.strip() == f"kith {__version__}"


def test_a_fresh_workspace_says_what_to_do_next(runner, tmp_path):
    """A new user's first `kith run` and `kith journal` say how to add inputs and entries,
    not an empty table."""
    ws = _init(runner, tmp_path)
    run = runner.invoke(app, ["-w", str(ws), "run", "--as-of", "2026-11-26"])
    assert run.exit_code == 0, run.output
    assert "kith.toml lists no [[inputs]]" in run.output and "kith import PATH" in run.output
    assert "┃" not in run.output  # no empty table of inputs
    journal = runner.invoke(app, ["-w", str(ws), "journal"])
    assert journal.exit_code == 0 and journal.output.startswith("No journal entries yet")
    about = runner.invoke(app, ["-w", str(ws), "journal", "--json"])
    assert json.loads(about.stdout) == {"entries": [], "outcome": None}


def test_import_quiet_prints_nothing_unless_a_file_fails(runner, tmp_path, samples):
    ws = _init(runner, tmp_path)
    sample = samples / "linkedin" / "Connections.csv"
    quiet = runner.invoke(app, ["-w", str(ws), "import", str(sample), "-q"])
    assert quiet.exit_code == 0 and quiet.output == ""
    assert runner.invoke(app, ["-w", str(ws), "people", "--json"]).exit_code == 0
    broken = tmp_path / "notes.csv"
    broken.write_bytes(b"\x00\x01\x02 not a contact file")
    failed = runner.invoke(app, ["-w", str(ws), "import", str(broken), "--quiet"])
    assert failed.exit_code == 2 and "notes.csv" in failed.output

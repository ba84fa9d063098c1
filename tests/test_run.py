"""`kith run`: the weekly batch — idempotent, atomic reports, cron exit codes, one run at a time."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from pipeline.cli import build_app
from pipeline.config import parse_config
from pipeline.errors import ConfigError
from pipeline.lock import WorkspaceBusy, workspace_lock
from pipeline.run import Run, iso_week
from pipeline.testing import make_workspace, plugin_manager

app = build_app()

AS_OF = "2026-11-26"


def _workspace(tmp_path, fixtures, extra_inputs: str = "") -> Path:
    root = tmp_path / "ws"
    inbox = root / "inbox"
    inbox.mkdir(parents=True)
    shutil.copy(fixtures / "linkedin" / "Connections_2020_no_url.csv", inbox / "Connections.csv")
    config = f"""
[workspace]
region = "US"

[[inputs]]
path = "inbox/*.csv"
channel = "linkedin"
tags = ["2026 search"]
{extra_inputs}
"""
    make_workspace(root, config=config)
    return root


def _run(runner, root, *args):
    return runner.invoke(app, ["-w", str(root), "run", "--as-of", AS_OF, "--json", *args])


def run_batch(workspace, pm, as_of):
    """``kith run`` from Python: every stage, under the lock."""
    with Run.open(workspace, pm, as_of=as_of, lock="kith run") as run:
        return run.weekly()


def test_iso_week():
    assert iso_week(dt.date(2026, 11, 26)) == "2026-W48"
    assert iso_week(dt.date(2027, 1, 1)) == "2026-W53"


def test_run_imports_writes_run_json_and_second_run_changes_nothing(runner, tmp_path, fixtures):
    root = _workspace(tmp_path, fixtures)
    first = _run(runner, root)
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["week"] == "2026-W48" and report["records_imported"] == 2
    assert [i["status"] for i in report["inputs"]] == ["imported"]
    run_json = root / "reports" / "2026-W48" / "run.json"
    saved = json.loads(run_json.read_text())
    assert saved["inputs"][0]["content_hash"] == report["inputs"][0]["content_hash"]
    assert saved["kith_version"] and "import" in saved["durations"]

    second = _run(runner, root)
    assert second.exit_code == 0
    again = json.loads(second.stdout)
    assert [i["status"] for i in again["inputs"]] == ["unchanged"] and again["records_imported"] == 0

    exported = runner.invoke(app, ["-w", str(root), "export", "records", "--out", "-"])
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert len(rows) == 2 and all(r["tags"] == ["2026 search"] for r in rows)


def test_changed_input_is_reimported(runner, tmp_path, fixtures):
    root = _workspace(tmp_path, fixtures)
    _run(runner, root)
    csv = root / "inbox" / "Connections.csv"
    csv.write_text(csv.read_text() + "Grace,Okafor,,Litware,Recruiter,01 Feb 2021\n")
    result = _run(runner, root)
    report = json.loads(result.stdout)
    assert report["inputs"][0]["status"] == "imported" and report["records_imported"] == 3


def test_missing_input_fails_and_leaves_last_good_reports(runner, tmp_path, fixtures):
    root = _workspace(tmp_path, fixtures)
    assert _run(runner, root).exit_code == 0
    before = (root / "reports" / "2026-W48" / "run.json").read_text()
    config = (root / "kith.toml").read_text().replace('path = "inbox/*.csv"', 'path = "inbox/missing.csv"')
    (root / "kith.toml").write_text(config)

    failed = runner.invoke(app, ["-w", str(root), "run", "--as-of", AS_OF])
    assert failed.exit_code == 1
    assert "missing.csv" in failed.stderr and "matches no file" in failed.stderr
    assert (root / "reports" / "2026-W48" / "run.json").read_text() == before

    partial = _run(runner, root, "--keep-going")
    assert partial.exit_code == 3
    report = json.loads(partial.stdout)
    assert report["inputs"][0]["status"] == "failed" and "missing.csv" in report["errors"][0]
    assert not list((root / "reports").glob(".2026-W48*")), "no staging folder left behind"


def test_rejects_give_exit_3(runner, tmp_path, fixtures):
    root = _workspace(tmp_path, fixtures)
    shutil.copy(fixtures / "linkedin" / "Connections_preamble.csv", root / "inbox" / "More.csv")
    result = _run(runner, root)
    assert result.exit_code == 3
    assert json.loads(result.stdout)["rejects"] == 1


def test_second_concurrent_run_refuses_clearly(runner, tmp_path, fixtures):
    root = _workspace(tmp_path, fixtures)
    with workspace_lock(root / "kith.lock"):
        result = runner.invoke(app, ["-w", str(root), "run", "--as-of", AS_OF])
    assert result.exit_code == 1
    assert "another kith run is in progress" in result.stderr and "pid" in result.stderr
    with pytest.raises(WorkspaceBusy), workspace_lock(root / "kith.lock"), workspace_lock(root / "kith.lock"):
        pass


def test_failing_exporter_leaves_previous_reports(tmp_path, fixtures):
    root = _workspace(tmp_path, fixtures)

    class Good:
        name, description = "good", "writes a file"

        def write(self, context):
            path = context.out_dir / "good.txt"
            path.write_text(f"as of {context.as_of}")
            return [path]

    class Bad:
        name, description = "bad", "fails halfway"

        def write(self, context):
            (context.out_dir / "half.txt").write_text("half")
            raise RuntimeError("disk full")

    from pipeline import hookimpl

    class GoodPlugin:
        @hookimpl
        def register_exporters(self):
            return [Good()]

    class BadPlugin:
        @hookimpl
        def register_exporters(self):
            return [Bad()]

    from pipeline.workspace import find_workspace

    workspace = find_workspace(root)
    only_linkedin = ("plugins.linkedin",)
    good_pm = plugin_manager([("goodplugin", GoodPlugin())], builtins=only_linkedin)
    run_batch(workspace, good_pm, as_of=dt.date(2026, 11, 26))
    week = root / "reports" / "2026-W48"
    assert (week / "good.txt").read_text() == "as of 2026-11-26"

    both = [("goodplugin", GoodPlugin()), ("badplugin", BadPlugin())]
    bad_pm = plugin_manager(both, builtins=only_linkedin)
    with pytest.raises(Exception, match=r"exporter 'bad' \(plugin 'badplugin'\) failed: disk full"):
        run_batch(workspace, bad_pm, as_of=dt.date(2026, 11, 26))
    assert sorted(p.name for p in week.iterdir()) == ["good.txt", "run.json"]
    assert not list((root / "reports").glob(".2026-W48*"))


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ({"workspace": {"region": "United States"}}, "'region' must be a two-letter country code"),
        ({"inputs": [{"importer": "linkedin"}]}, r"\[\[inputs\]\] #1 needs a 'path'"),
        ({"inputs": [{"path": "a.csv", "channel": "party"}]}, r"#1 'channel' must be one of"),
        (
            {"inputs": [{"path": "a.csv", "mapping": {"Pref Mail": "email"}}]},
            r"'mapping.Pref Mail' names unknown",
        ),
        ({"workspace": {"stroe": "x.db"}}, r"\[workspace\] unknown key 'stroe'"),
        ({"exporters": [{"options": 1}]}, r"\[\[exporters\]\] #1 needs a 'name'"),
        ({"inputz": []}, "unknown top-level key 'inputz'"),
        (
            {"inputs": [{"path": "a.csv", "importr": "alumni"}]},
            r"\[\[inputs\]\] #1 unknown key 'importr' \(did you mean 'importer'\?\)",
        ),
        ({"inputs": [{"path": "a.csv", "chanel": "alumni"}]}, r"unknown key 'chanel'"),
    ],
)
def test_config_errors_name_the_key(toml, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(toml, "kith.toml")


def test_other_input_keys_are_still_importer_settings():
    config = parse_config({"inputs": [{"path": "a.vcf", "workers": 1, "sheet": "Members"}]}, "kith.toml")
    assert config.inputs[0].settings == {"workers": 1, "sheet": "Members"}


def test_unknown_exporter_in_config_names_it(runner, tmp_path, fixtures):
    root = _workspace(tmp_path, fixtures, '[[exporters]]\nname = "weekly_pdf"\n')
    result = runner.invoke(app, ["-w", str(root), "run", "--as-of", AS_OF])
    assert result.exit_code == 1
    assert "'weekly_pdf', which is not installed" in result.stderr


def test_dry_run_writes_nothing(runner, tmp_path, fixtures):
    root = _workspace(tmp_path, fixtures)
    result = _run(runner, root, "--dry-run")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["inputs"][0]["status"] == "would import (new)"
    assert not (root / "reports" / "2026-W48").exists()
    assert not (root / "kith.db").exists() or _records(runner, root) == 0
    shown = runner.invoke(app, ["-w", str(root), "run", "--as-of", AS_OF, "--dry-run"]).stdout
    (row,) = [line for line in shown.splitlines() if "Connections.csv" in line]
    assert row.split()[-3:] == ["-", "│", "-"]  # the plan has no counts yet: not "0 records"


def _records(runner, root) -> int:
    return len(runner.invoke(app, ["-w", str(root), "export", "records", "--out", "-"]).stdout.splitlines())


def test_a_skipped_file_is_said_in_run_json_not_loose_on_stderr_under_quiet(runner, tmp_path, fixtures):
    """A cron log stays empty on a good week; run.json still says contacts.vcf was skipped."""
    root = _workspace(tmp_path, fixtures, '[[exporters]]\nname = "vcard"\nmax_people = 1\n')
    quiet = runner.invoke(app, ["-w", str(root), "run", "--as-of", AS_OF, "--quiet"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.output == ""
    saved = json.loads((root / "reports" / "2026-W48" / "run.json").read_text(encoding="utf-8"))
    (warning,) = saved["warnings"]
    assert warning.startswith("vcard: ") and "contacts.vcf not written" in warning
    loud = runner.invoke(app, ["-w", str(root), "run", "--as-of", "2026-12-03"])  # the next week
    assert f"warning: {warning}" in loud.output
    report = runner.invoke(app, ["-w", str(root), "report", "--as-of", AS_OF, "--json"])
    assert json.loads(report.stdout)["warnings"] == [warning]

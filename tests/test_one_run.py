"""One run, one direction: one plugin manager per process, tasks computed once, counts that match the
files, a dry run that is the real run's plan, sources known by content, and ``--no-plugins`` that holds
for every command."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline.cli import build_app
from pipeline.store import Store

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_inputs"
AS_OF = "2026-11-26"

SPY = """
from pathlib import Path
Path(__file__).with_name("spy-was-imported").write_text("yes")
from pipeline import hookimpl

@hookimpl
def register_exporters():
    return []
"""


@pytest.fixture
def sample_ws(tmp_path) -> Path:
    """A copy of the repository's sample workspace (kith.toml over sample_inputs/)."""
    root = tmp_path / "ws"
    root.mkdir()
    shutil.copy(ROOT / "kith.toml", root / "kith.toml")
    shutil.copytree(SAMPLES, root / "sample_inputs")
    return root


def _invoke(runner, root: Path, *args: str, env: dict | None = None):
    return runner.invoke(build_app(), ["-w", str(root), *args], env=env)


def _statuses(report: dict) -> list[tuple[str, str]]:
    """(file, what happened) per input file, with a dry run's phrases mapped onto the real run's."""
    out = []
    for item in report["inputs"]:
        status = item["status"]
        status = "imported" if status.startswith("would import") else status.split(" (")[0]
        out.append((Path(item["path"]).name, status))
    return out


# --- --no-plugins ------------------------------------------------------------------------------


@pytest.fixture
def spied_ws(tmp_path) -> Path:
    root = tmp_path / "ws"
    (root / "plugins").mkdir(parents=True)
    (root / "plugins" / "spy.py").write_text(SPY, encoding="utf-8")
    shutil.copy(SAMPLES / "linkedin" / "Connections.csv", root / "Connections.csv")
    (root / "kith.toml").write_text(
        'plugins_dir = "plugins"\n\n[[inputs]]\npath = "Connections.csv"\n', encoding="utf-8"
    )
    return root


COMMANDS = [
    ("import", "{root}/Connections.csv"),
    ("run", "--as-of", AS_OF),
    ("report", "--as-of", AS_OF),
    ("export", "people", "--format", "csv", "--out", "{root}/people.csv"),
    ("dedupe",),
    ("people",),
    ("plugins",),
]


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
@pytest.mark.parametrize("how", ["--no-plugins", "KITH_DISABLE_PLUGINS"])
def test_no_plugins_loads_no_plugin_module_in_any_command(runner, spied_ws, command, how):
    marker = spied_ws / "plugins" / "spy-was-imported"
    args = [part.format(root=spied_ws) for part in command]
    if how == "--no-plugins":
        result = runner.invoke(build_app(), ["-w", str(spied_ws), "--no-plugins", *args])
    else:
        result = _invoke(runner, spied_ws, *args, env={"KITH_DISABLE_PLUGINS": "spy"})
    assert result.exit_code in (0, 3), result.output
    assert not marker.exists(), f"kith {command[0]} {how} imported a plugin module"


def test_without_the_switch_the_workspace_plugin_does_load(runner, spied_ws):
    """The control for the test above: the spy is a working plugin."""
    result = _invoke(runner, spied_ws, "plugins", "--json")
    assert result.exit_code == 0
    assert "spy" in {p["name"] for p in json.loads(result.stdout)}
    assert (spied_ws / "plugins" / "spy-was-imported").exists()


# --- one manager, tasks once, counts that match -------------------------------------------------


def test_one_run_builds_one_plugin_manager_and_computes_tasks_once(runner, sample_ws, monkeypatch):
    import pipeline.cli.context as context
    import pipeline.run.stages as stages

    managers, computed = [], []
    real_manager, real_compute = context.make_plugin_manager, stages.compute_tasks

    def counting_manager(*args, **kwargs):
        managers.append(kwargs)
        return real_manager(*args, **kwargs)

    def counting_compute(*args, **kwargs):
        computed.append(args[2])
        return real_compute(*args, **kwargs)

    monkeypatch.setattr(context, "make_plugin_manager", counting_manager)
    monkeypatch.setattr(stages, "compute_tasks", counting_compute)
    import pipeline.manager as manager

    monkeypatch.setattr(manager, "make_plugin_manager", lambda *a, **k: pytest.fail("a second manager"))
    result = _invoke(runner, sample_ws, "run", "--as-of", AS_OF, "--json")
    assert result.exit_code == 3, result.output  # the samples hold rejected rows on purpose
    assert len(managers) == 1 and len(computed) == 1


def test_run_json_counts_equal_what_the_files_hold(runner, sample_ws):
    result = _invoke(runner, sample_ws, "run", "--as-of", AS_OF, "--json")
    report = json.loads(result.stdout)
    week = sample_ws / "reports" / report["week"]
    saved = json.loads((week / "run.json").read_text(encoding="utf-8"))
    assert saved["tasks"] == report["tasks"] and saved["people"] == report["people"]

    checklist = load_workbook(week / "followups.xlsx")["Follow-ups"]
    open_tasks = [row for row in checklist.iter_rows(min_row=2, values_only=True) if any(row)]
    # Each open task has one draft: its own in drafts/, or (outcome tasks) the outcome report's.
    own = list((week / "drafts").glob("*.eml"))
    outcome_rows = [row for row in open_tasks if str(row[-1] or "").startswith("outcome_report:")]
    assert report["tasks"] == len(open_tasks) == len(own) + len(outcome_rows) > 0
    assert len(list((week / "outcome-drafts").glob("*.eml"))) >= len(outcome_rows)
    with open(week / "contacts.csv", encoding="utf-8-sig", newline="") as handle:
        assert report["people"] == len(list(csv.DictReader(handle))) > 0
    review = load_workbook(week / "duplicates.xlsx")["Review"]
    pairs = [row for row in review.iter_rows(min_row=2, values_only=True) if any(row)]
    assert report["review"] == len(pairs)
    with Store(sample_ws / "kith.db") as store:
        assert report["records_imported"] == store.count("records")
        assert report["rejects"] == store.count("rejects") > 0
        assert report["people"] == store.count("people")


# --- the dry run is the plan ---------------------------------------------------------------------


def test_dry_run_plan_equals_the_real_run_first_time_and_after_changes(runner, sample_ws):
    def plan_then_run() -> tuple[list, list]:
        planned = _invoke(runner, sample_ws, "run", "--as-of", AS_OF, "--json", "--dry-run")
        assert planned.exit_code == 0, planned.output
        done = _invoke(runner, sample_ws, "run", "--as-of", AS_OF, "--json")
        assert done.exit_code in (0, 3), done.output
        return _statuses(json.loads(planned.stdout)), _statuses(json.loads(done.stdout))

    plan, real = plan_then_run()
    assert plan == real and {s for _, s in real} == {"imported"}

    # one file edited, one input re-mapped, one unchanged copy listed from another folder
    google = sample_ws / "sample_inputs" / "google" / "contacts.csv"
    google.write_text(google.read_text(encoding="utf-8-sig") + "Zed,,Quill,,,,,,,,,,,,,,\n", encoding="utf-8")
    copy = sample_ws / "elsewhere" / "Connections.csv"
    copy.parent.mkdir()
    shutil.copy(sample_ws / "sample_inputs" / "linkedin" / "Connections.csv", copy)
    config = (sample_ws / "kith.toml").read_text(encoding="utf-8")
    config = config.replace(
        'path = "sample_inputs/outlook/contacts.csv"\nimporter = "outlook_csv"',
        'path = "sample_inputs/outlook/contacts.csv"\nimporter = "outlook_csv"\ntags = ["outlook"]',
    )
    config += '\n[[inputs]]\npath = "elsewhere/Connections.csv"\nimporter = "linkedin"\n'
    (sample_ws / "kith.toml").write_text(config, encoding="utf-8")

    plan, real = plan_then_run()
    assert plan == real
    assert dict(real)["contacts.csv"] in ("imported",)  # both csvs: the edited google, the re-tagged outlook
    assert [s for name, s in real if name == "contacts.csv"] == ["imported", "imported"]
    assert real[-1] == ("Connections.csv", "unchanged")  # same content as the LinkedIn input
    assert [s for _, s in real].count("imported") == 2


# --- source identity ------------------------------------------------------------------------------


def _records(root: Path) -> int:
    with Store(root / "kith.db") as store:
        return store.count("records")


def test_the_same_content_from_two_paths_is_one_source_and_an_edited_copy_replaces_it(runner, tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    downloads = tmp_path / "Downloads" / "Connections.csv"
    downloads.parent.mkdir()
    shutil.copy(SAMPLES / "linkedin" / "Connections.csv", downloads)
    (root / "kith.toml").write_text('[[inputs]]\npath = "inputs/Connections.csv"\n', encoding="utf-8")
    first = _invoke(runner, root, "import", str(downloads), "--json")
    assert first.exit_code == 0, first.output
    imported = _records(root)

    (root / "inputs").mkdir()
    shutil.copy(downloads, root / "inputs" / "Connections.csv")
    again = json.loads(_invoke(runner, root, "run", "--as-of", AS_OF, "--json").stdout)
    assert again["inputs"][0]["status"] == "unchanged" and _records(root) == imported

    edited = root / "inputs" / "Connections.csv"
    edited.write_text(
        edited.read_text(encoding="utf-8") + "Zora,Quint,,Fabrikam,Analyst,02 Dec 2026\n", encoding="utf-8"
    )
    changed = json.loads(_invoke(runner, root, "run", "--as-of", "2026-12-03", "--json").stdout)
    assert changed["inputs"][0]["status"] == "imported"
    assert _records(root) == imported + 1  # replaced, not added beside the first import
    with Store(root / "kith.db") as store:
        assert store.count("sources") == 1
        assert store.count("source_paths") == 2
    # and the old path, unchanged there, does not bring the old version back
    back = json.loads(_invoke(runner, root, "import", str(downloads), "--json").stdout)
    assert back["files"][0]["status"] == "unchanged" and _records(root) == imported + 1


def test_an_edited_mapping_remaps_the_input_and_force_reimports(runner, tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "members.csv").write_text(
        "First Name,Last Name,Pref Mail\nLena,Fischer,lena.fischer@example.org\n", encoding="utf-8"
    )
    (root / "kith.toml").write_text(
        '[[inputs]]\npath = "members.csv"\nimporter = "alumni"\n', encoding="utf-8"
    )

    def emails() -> list:
        exported = _invoke(runner, root, "export", "records", "--format", "jsonl", "--out", "-")
        return [json.loads(line)["emails"] for line in exported.stdout.splitlines()]

    assert json.loads(_invoke(runner, root, "run", "--as-of", AS_OF, "--json").stdout)["exit_code"] == 0
    before = emails()
    (root / "kith.toml").write_text(
        '[[inputs]]\npath = "members.csv"\nimporter = "alumni"\n\n[inputs.mapping]\n"Pref Mail" = "emails"\n',
        encoding="utf-8",
    )
    dry = json.loads(_invoke(runner, root, "run", "--as-of", AS_OF, "--json", "--dry-run").stdout)
    assert dry["inputs"][0]["status"] == "would import (reshaped)"
    remapped = json.loads(_invoke(runner, root, "run", "--as-of", AS_OF, "--json").stdout)
    assert remapped["inputs"][0]["status"] == "imported"
    assert before == [None] and emails() == [["lena.fischer@example.org"]]

    same = json.loads(_invoke(runner, root, "run", "--as-of", AS_OF, "--json").stdout)
    assert same["inputs"][0]["status"] == "unchanged"
    forced = json.loads(
        _invoke(runner, root, "import", str(root / "members.csv"), "--force", "--json").stdout
    )
    assert forced["files"][0]["status"] == "imported"


def test_the_weeks_tasks_are_stored_and_open_tasks_shows_them(runner, sample_ws):
    import sqlite3

    report = json.loads(_invoke(runner, sample_ws, "run", "--as-of", AS_OF, "--json").stdout)
    with sqlite3.connect(sample_ws / "kith.db") as conn:
        stored = conn.execute("SELECT count(*) FROM tasks WHERE week = ?", (report["week"],)).fetchone()[0]
        open_now = conn.execute("SELECT task_key FROM open_tasks").fetchall()
    assert stored >= report["tasks"] == len(open_now) > 0

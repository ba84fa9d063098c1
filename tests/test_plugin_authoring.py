"""Writing a plugin, end to end: scaffold, entry-point discovery, the example package, the docs' loose file.

The slow test installs examples/kith-eventbrite and three scaffolded packages with pip into a
temporary virtual environment (sharing this one's packages) and runs their own tests and
`kith import` there: discovery by entry point, as a user gets it.
"""

from __future__ import annotations

import email
import email.policy
import importlib
import json
import os
import re
import shutil
import site
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import pipeline
from pipeline import registry
from pipeline.cli import build_app
from pipeline.errors import UsageError
from pipeline.scaffold import KINDS, PluginNames, hook_specs, scaffold_plugin
from pipeline.store import Store
from pipeline.testing import add_records, make_workspace, plugin_manager

app = build_app()

ROOT = Path(pipeline.__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "kith-eventbrite"
DOCS = ROOT / "docs" / "plugins.md"


# --- scaffold ------------------------------------------------------------------------


def test_plugin_new_writes_a_package_with_its_entry_point(runner, tmp_path):
    result = runner.invoke(app, ["plugin", "new", "Meetup", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    root = tmp_path / "kith-meetup"
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert files == [
        "README.md",
        "kith_meetup.py",
        "pyproject.toml",
        "tests/fixtures/sample.csv",
        "tests/test_kith_meetup.py",
    ]
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert project["project"]["name"] == "kith-meetup"
    assert project["project"]["entry-points"]["kith"] == {"meetup": "kith_meetup"}
    assert project["tool"]["setuptools"]["py-modules"] == ["kith_meetup"]
    module = (root / "kith_meetup.py").read_text()
    assert 'NAME = "meetup"' in module and "class MeetupImporter" in module and "{{" not in module
    assert "an importer plugin named 'meetup'" in result.stdout and "pip install -e" in result.stdout


@pytest.mark.parametrize(
    ("typed", "plugin", "dist", "module", "cls"),
    [
        ("meetup", "meetup", "kith-meetup", "kith_meetup", "Meetup"),
        ("Badge-Scan", "badge_scan", "kith-badge-scan", "kith_badge_scan", "BadgeScan"),
        ("kith-crm_dump2", "crm_dump2", "kith-crm-dump2", "kith_crm_dump2", "CrmDump2"),
    ],
)
def test_plugin_names_are_derived_from_what_was_typed(typed, plugin, dist, module, cls):
    names = PluginNames.from_text(typed)
    assert (names.plugin, names.dist, names.module, names.cls) == (plugin, dist, module, cls)


@pytest.mark.parametrize("bad", ["9lives", "my plugin", "crm/dump", "", "x!"])
def test_bad_plugin_names_are_one_clear_error(runner, tmp_path, bad):
    result = runner.invoke(app, ["plugin", "new", bad, "--dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "must start with a letter" in result.stderr
    assert not any(tmp_path.iterdir())


def test_plugin_new_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "kith-meetup").mkdir()
    (tmp_path / "kith-meetup" / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="already exists and is not empty"):
        scaffold_plugin("meetup", "importer", tmp_path)
    assert (tmp_path / "kith-meetup" / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize(
    ("kind", "files", "module"),
    [
        (
            "importer",
            [
                "README.md",
                "kith_thanks.py",
                "pyproject.toml",
                "tests/fixtures/sample.csv",
                "tests/test_kith_thanks.py",
            ],
            "kith_thanks.py",
        ),
        (
            "exporter",
            ["README.md", "kith_thanks.py", "pyproject.toml", "tests/test_kith_thanks.py"],
            "kith_thanks.py",
        ),
        (
            "rule",
            [
                "README.md",
                "kith_thanks/__init__.py",
                "kith_thanks/templates/thanks.txt",
                "pyproject.toml",
                "tests/test_kith_thanks.py",
            ],
            "kith_thanks/__init__.py",
        ),
    ],
)
def test_every_kind_scaffolds_a_package_implementing_its_hook(tmp_path, kind, files, module):
    assert set(KINDS) == {"importer", "exporter", "rule"}
    scaffold = scaffold_plugin("thanks", kind, tmp_path)
    assert sorted(p.as_posix() for p in scaffold.files) == files
    written = sorted(p.relative_to(scaffold.root).as_posix() for p in scaffold.root.rglob("*") if p.is_file())
    assert written == files
    source = (scaffold.root / module).read_text()
    assert f"@hookimpl\ndef {KINDS[kind]}()" in source and 'NAME = "thanks"' in source
    for path in files:  # every scaffold placeholder filled; Jinja2's spaced {{ x }} left alone
        assert not re.search(r"\{\{\w+\}\}", (scaffold.root / path).read_text()), path
    project = tomllib.loads((scaffold.root / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["kith"] == {"thanks": "kith_thanks"}


def test_rule_scaffold_ships_its_draft_template_as_package_data(tmp_path):
    scaffold = scaffold_plugin("email-nudge", "rule", tmp_path)
    project = tomllib.loads((scaffold.root / "pyproject.toml").read_text())
    assert project["tool"]["setuptools"] == {
        "packages": ["kith_email_nudge", "kith_email_nudge.templates"],
        "package-data": {"kith_email_nudge.templates": ["*.txt"]},
    }
    template = (scaffold.root / "kith_email_nudge" / "templates" / "email_nudge.txt").read_text()
    assert template.startswith(
        "Subject: Following up on my e-mail of {{ sent_on }}\n\nHi {{ person.first_name }},"
    )
    source = (scaffold.root / "kith_email_nudge" / "__init__.py").read_text()
    assert "class EmailNudgeRule:" in source and "[followups.email_nudge]" in source


# --- discovery by entry point, in this process ----------------------------------------


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """Install a package folder by hand: its folder on sys.path and a dist-info with its entry points.

    This is what pip does for an editable install, minus pip; importlib.metadata finds it
    exactly as it finds a pip-installed distribution.
    """
    modules: list[str] = []

    def install(package: Path) -> None:
        project = tomllib.loads((package / "pyproject.toml").read_text())["project"]
        site_dir = tmp_path / "site-packages"
        info = site_dir / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
        )
        lines = [f"{name} = {value}" for name, value in project["entry-points"]["kith"].items()]
        (info / "entry_points.txt").write_text("[kith]\n" + "\n".join(lines) + "\n")
        monkeypatch.syspath_prepend(str(site_dir))
        monkeypatch.syspath_prepend(str(package))
        modules.extend(project["entry-points"]["kith"].values())
        importlib.invalidate_caches()

    try:
        yield install
    finally:
        for module in modules:
            sys.modules.pop(module, None)


def test_scaffolded_importer_is_found_by_entry_point_and_used_by_kith_import(runner, tmp_path, installed):
    scaffold = scaffold_plugin("meetup", "importer", tmp_path / "src")
    installed(scaffold.root)
    ws = make_workspace(tmp_path / "ws")
    sample = scaffold.root / "tests" / "fixtures" / "sample.csv"

    listed = runner.invoke(app, ["-w", str(ws.root), "plugins", "--json"])
    assert listed.exit_code == 0, listed.output
    infos = {info["name"]: info for info in json.loads(listed.stdout)}
    assert infos["meetup"] == {
        "name": "meetup",
        "version": "0.1.0",
        "origin": "entry point kith_meetup (kith-meetup 0.1.0)",
        "hooks": ["register_importers"],
        "provides": ["importer:meetup"],
        "error": None,
    }
    assert infos["linkedin"]["origin"] == "built-in" and infos["linkedin"]["hooks"] == ["register_importers"]

    result = runner.invoke(app, ["-w", str(ws.root), "import", str(sample), "--json"])
    assert result.exit_code == 0, result.output
    [outcome] = json.loads(result.stdout)["files"]
    assert (outcome["importer"], outcome["status"], outcome["records"]) == ("meetup", "imported", 3)
    assert outcome["rejects"] == [{"ref": "row 6", "reason": "no name, e-mail or phone in this row"}]
    with Store(ws.store_path) as store:
        names = sorted(store.records()["full_name"].to_list())
    assert names == ["Amara Okafor", "Lena Fischer", "Tomás Herrera"]


def test_scaffolded_rule_is_found_by_entry_point_and_drafts_in_kith_report(runner, tmp_path, installed):
    scaffold = scaffold_plugin("nudge", "rule", tmp_path / "src")
    installed(scaffold.root)
    ws = make_workspace(tmp_path / "ws", config='[workspace]\nowner_name = "Jordan Rivera"\n')
    add_records(ws, [{"full_name": "Amara Okafor", "emails": "amara.okafor@example.com"}])

    listed = runner.invoke(app, ["-w", str(ws.root), "plugins", "--json"])
    infos = {info["name"]: info for info in json.loads(listed.stdout)}
    assert infos["nudge"]["origin"] == "entry point kith_nudge (kith-nudge 0.1.0)"
    assert infos["nudge"]["hooks"] == ["register_followup_rules"]
    assert infos["nudge"]["provides"] == ["followup rule:nudge"]

    command = ["-w", str(ws.root), "log", "email", "Amara Okafor", "-d", "2026-03-02", "-m", "the opening"]
    logged = runner.invoke(app, command)
    assert logged.exit_code == 0, logged.output
    entry = int(re.search(r"Logged #(\d+)", logged.stdout).group(1))
    out = tmp_path / "report"
    report = ["-w", str(ws.root), "report", "followups", "--as-of", "2026-03-09", "--out", str(out)]
    result = runner.invoke(app, report)
    assert result.exit_code == 0, result.output
    checklist = (out / "followups.md").read_text()
    assert "- [ ] Follow up with Amara Okafor on your e-mail of 2026-03-02 — Amara Okafor" in checklist
    assert f"task: `nudge:{entry}`" in checklist
    [draft] = (out / "drafts").glob(f"*nudge-{entry}.eml")
    message = email.message_from_bytes(draft.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Following up on my e-mail of Monday, March 2"
    assert "my e-mail of Monday, March 2 about the opening." in message.get_content()

    done = runner.invoke(app, ["-w", str(ws.root), "done", f"nudge:{entry}", "--as-of", "2026-03-09"])
    assert done.exit_code == 0, done.output
    again = runner.invoke(app, [*report[:-1], str(tmp_path / "after")])
    assert again.exit_code == 0, again.output
    assert "0 open, 0 overdue" in (tmp_path / "after" / "followups.md").read_text()


def test_no_plugins_and_disable_plugins_leave_an_installed_plugin_out(
    runner, tmp_path, installed, monkeypatch
):
    scaffold = scaffold_plugin("meetup", "importer", tmp_path / "src")
    installed(scaffold.root)
    sample = (scaffold.root / "tests" / "fixtures" / "sample.csv").read_bytes()
    ws = make_workspace(tmp_path / "ws", {"members.csv": sample})
    members = str(ws.root / "members.csv")

    # Without plugins the file is not the meetup importer's (a generic built-in may take it).
    safe = runner.invoke(app, ["-w", str(ws.root), "--no-plugins", "import", members, "--json"])
    assert json.loads(safe.stdout)["files"][0]["importer"] != "meetup"
    (ws.root / "members.csv").write_bytes(sample + b"Bo Lindqvist,bo.lindqvist@example.com,,,,,\n")
    trusted = runner.invoke(app, ["-w", str(ws.root), "import", members, "--json"])
    assert json.loads(trusted.stdout)["files"][0]["importer"] == "meetup"

    (ws.root / "members.csv").write_bytes(sample + b"Ana Reyes,ana.reyes@example.com,,,,,\n")
    monkeypatch.setenv("KITH_DISABLE_PLUGINS", "meetup")
    disabled = runner.invoke(app, ["-w", str(ws.root), "import", members, "--json"])
    assert json.loads(disabled.stdout)["files"][0]["importer"] != "meetup"
    listed = runner.invoke(app, ["-w", str(ws.root), "plugins", "--json"])
    assert all("importer:meetup" not in info["provides"] for info in json.loads(listed.stdout))


# --- the docs' loose-file example ---------------------------------------------------


def _docs_example(name: str) -> str:
    """The fenced block right after ``<!-- example: NAME -->`` in docs/plugins.md."""
    match = re.search(rf"<!-- example: {re.escape(name)} -->\n```\w*\n(.*?)```", DOCS.read_text(), re.S)
    assert match, f"docs/plugins.md has no example {name}"
    return match.group(1)


def test_docs_loose_plugin_works_from_plugins_dir(runner, tmp_path):
    ws = make_workspace(
        tmp_path / "ws",
        {"plugins/badge_scans.py": _docs_example("badge_scans.py"), "scans.csv": _docs_example("scans.csv")},
        config='plugins_dir = "plugins"\n',
    )
    listed = runner.invoke(app, ["-w", str(ws.root), "plugins", "--json"])
    infos = {info["name"]: info for info in json.loads(listed.stdout)}
    assert infos["badge_scans"]["origin"] == f"plugins_dir {ws.root / 'plugins' / 'badge_scans.py'}"
    assert (
        infos["badge_scans"]["provides"] == ["importer:badge_scans"] and infos["badge_scans"]["error"] is None
    )

    result = runner.invoke(app, ["-w", str(ws.root), "import", str(ws.root / "scans.csv"), "--json"])
    assert result.exit_code == 0, result.output
    [outcome] = json.loads(result.stdout)["files"]
    assert (outcome["importer"], outcome["records"]) == ("badge_scans", 2)
    assert outcome["rejects"] == [{"ref": "row 4", "reason": "no name and no e-mail"}]
    with Store(ws.store_path) as store:
        records = store.records()
    assert records["emails"].to_list() == [["amara.okafor@example.com"], ["lena.fischer@example.org"]]
    assert set(records["channel"]) == {"meeting"}
    assert json.loads(records["extra"][0]) == {"source_id": "B-1042", "Scanned At": "2026-05-14 10:02"}


def test_plugin_hooks_prints_and_updates_the_reference(runner, tmp_path):
    printed = runner.invoke(app, ["plugin", "hooks"])
    assert printed.exit_code == 0
    for name in hook_specs():
        assert f"#### `{name}`" in printed.stdout
    stale = tmp_path / "plugins.md"
    text = DOCS.read_text()
    begin, end = text.index("<!-- hooks:begin"), text.index("<!-- hooks:end -->")
    stale.write_text(text[: text.index("\n", begin) + 1] + "\nout of date\n\n" + text[end:])
    updated = runner.invoke(app, ["plugin", "hooks", "--update", str(stale)])
    assert updated.exit_code == 0 and "updated" in updated.stdout
    assert stale.read_text() == text


# --- plugin hygiene through the CLI --------------------------------------------------


def _with_plugin(tmp_path, module: str, files: dict[str, str]) -> Path:
    ws = make_workspace(tmp_path / "ws", files, config='plugins_dir = "plugins"\n')
    (ws.root / "plugins").mkdir(exist_ok=True)
    shutil.copy(ROOT / "tests" / "fixture_plugins" / f"{module}.py", ws.root / "plugins" / f"{module}.py")
    return ws.root


def test_plugin_raising_in_read_fails_only_that_file_and_leaves_the_store_as_it_was(
    runner, tmp_path, samples
):
    ws = _with_plugin(tmp_path, "misbehaving", {"people.txt": "version 1"})
    first = runner.invoke(app, ["-w", str(ws), "import", "--as", "two_people", str(ws / "people.txt")])
    assert first.exit_code == 0, first.output
    (ws / "people.txt").write_text("version 2")
    linkedin = samples / "linkedin" / "Connections.csv"
    result = runner.invoke(
        app, ["-w", str(ws), "import", "--as", "exploding", str(ws / "people.txt"), "--json"]
    )
    assert result.exit_code == 1
    [outcome] = json.loads(result.stdout)["files"]
    assert outcome["status"] == "failed"
    assert (
        "importer 'exploding' (plugin 'misbehaving') failed: unexpected token at byte 812" in outcome["error"]
    )
    # The earlier version's records and source row are untouched; other files still import.
    with Store(ws / "kith.db") as store:
        assert sorted(store.records()["full_name"]) == ["Ada Lovelace", "Grace Hopper"]
        assert store.count("sources") == 1
    other = runner.invoke(app, ["-w", str(ws), "import", str(linkedin), "--json"])
    assert other.exit_code == 0 and json.loads(other.stdout)["records"] == 50


@pytest.mark.parametrize(
    ("importer", "expected"),
    [
        ("numeric_emails", "importer 'numeric_emails' returned column 'emails' as Int64, expected text"),
        ("no_places", "importer 'no_places' returned rows without 'source_ref'"),
        ("reject_without_place", "importer 'reject_without_place' returned a reject without a place"),
        ("core_column", "importer 'core_column' returned unknown column 'record_id' (the core sets it)"),
    ],
)
def test_wrong_shapes_fail_at_the_boundary_naming_importer_and_column(runner, tmp_path, importer, expected):
    ws = _with_plugin(tmp_path, "shape_errors", {"x.csv": "a,b\n1,2\n"})
    result = runner.invoke(app, ["-w", str(ws), "import", "--as", importer, str(ws / "x.csv"), "--json"])
    assert result.exit_code == 1
    assert expected in json.loads(result.stdout)["files"][0]["error"]
    with Store(ws / "kith.db") as store:
        assert store.count("records") == 0 and store.count("sources") == 0


def test_hook_register_importers_collects_every_plugins_importers():
    from tests.fixture_plugins import misbehaving

    pm = plugin_manager([("misbehaving", misbehaving)])
    found = registry.importers(pm)
    assert {"linkedin", "exploding", "wrong_column", "wrong_type", "two_people"} <= set(found)
    assert registry.owner_of(pm, "importer", "two_people") == "misbehaving"
    assert registry.owner_of(pm, "importer", "linkedin") == "linkedin"


# --- pip-installed, in a separate interpreter -----------------------------------------


def _venv_with_our_packages(where: Path) -> Path:
    """A venv whose interpreter also sees this environment's packages (kith, polars, pip, pytest).

    ``--system-site-packages`` would expose the *base* interpreter's packages, not this
    venv's, so a .pth file adds our site-packages (processing their .pth files too).
    """
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, capture_output=True
        )
    except (subprocess.CalledProcessError, OSError) as exc:
        pytest.skip(f"cannot create a virtual environment here: {exc}")
    python = where / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    lines = [f"import site; site.addsitedir({d!r})" for d in site.getsitepackages() if Path(d).is_dir()]
    (Path(purelib) / "_kith_parent_env.pth").write_text("\n".join(lines) + "\n")
    return python


def _run(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KITH_", "PYTHON"))}
    env |= {"PYTHONPATH": str(ROOT), "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    return subprocess.run([str(python), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_pip_installed_plugins_pass_their_tests_and_are_used_by_kith(tmp_path):
    """examples/kith-eventbrite and freshly scaffolded importer, exporter and rule packages, pip-installed."""
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", ".*")
    packages = [
        Path(shutil.copytree(EXAMPLE, src / "kith-eventbrite", ignore=ignore)),
        scaffold_plugin("meetup", "importer", src).root,
        scaffold_plugin("weekly-csv", "exporter", src).root,
        scaffold_plugin("email-nudge", "rule", src).root,
    ]
    python = _venv_with_our_packages(tmp_path / "venv")

    editable = [arg for package in packages for arg in ("-e", str(package))]
    offline = ["--no-deps", "--no-build-isolation", "--no-index"]
    pip = _run(python, "-m", "pip", "install", "-q", *offline, *editable, cwd=src)
    assert pip.returncode == 0, pip.stdout + pip.stderr

    # Each package's own tests, unmodified, against the installed packages.
    folders = [str(package / "tests") for package in packages]
    tests = _run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *folders, cwd=src)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert re.search(r"\b11 passed\b", tests.stdout), tests.stdout

    listed = _run(python, "-m", "pipeline", "plugins", "--json", cwd=src)
    assert listed.returncode == 0, listed.stderr
    infos = {info["name"]: info for info in json.loads(listed.stdout)}
    assert infos["eventbrite"]["origin"] == "entry point kith_eventbrite (kith-eventbrite 0.1.0)"
    assert infos["eventbrite"]["version"] == "0.1.0" and infos["eventbrite"]["provides"] == [
        "importer:eventbrite"
    ]
    assert infos["weekly_csv"]["provides"] == ["exporter:weekly_csv"]
    assert infos["email_nudge"]["provides"] == ["followup rule:email_nudge"]

    ws = make_workspace(tmp_path / "ws")
    attendees = src / "kith-eventbrite" / "tests" / "fixtures" / "attendees.csv"
    members = src / "kith-meetup" / "tests" / "fixtures" / "sample.csv"
    command = ["pipeline", "-w", str(ws.root), "import", str(attendees), str(members), "--json"]
    imported = _run(python, "-m", *command, cwd=src)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    files = {Path(f["path"]).name: f for f in json.loads(imported.stdout)["files"]}
    assert (files["attendees.csv"]["importer"], files["attendees.csv"]["records"]) == ("eventbrite", 9)
    assert files["attendees.csv"]["rejects"][0]["ref"] == "row 4"
    assert (files["sample.csv"]["importer"], files["sample.csv"]["records"]) == ("meetup", 3)
    with Store(ws.store_path) as store:
        records = store.records()
    tagged = records.filter(records["source"] == "eventbrite").explode("tags")["tags"]
    assert "ticket: Speaker" in tagged.to_list()

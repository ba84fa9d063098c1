"""Privacy and untrusted input: owner-only files, no records in messages, plugins off on request.

* ``kith.db`` (and its WAL files), the lock file, report folders, reports and drafts are
  created readable by the owner only (0600 files, 0700 folders), even under a permissive
  umask.
* Errors, rejects, warnings and plugin tracing say at most a name and a place: never a
  record's email address or phone number (kith has no ``--verbose``; ``KITH_TRACE_PLUGINS``
  is the only extra output, and hooks carry no records).
* ``--no-plugins`` loads the built-ins only: a ``plugins_dir`` plugin is not even imported;
  ``KITH_DISABLE_PLUGINS`` blocks named plugins.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest

from pipeline.cli import build_app
from pipeline.testing import make_workspace

app = build_app()

SAMPLES = Path(__file__).parent.parent / "sample_inputs"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
PHONE = re.compile(r"\d{3}\D{0,2}555\D?\d{4}")


@pytest.fixture
def permissive_umask():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_store_reports_and_drafts_are_owner_only(tmp_path, runner, permissive_umask):
    config = f"""
[workspace]
region = "US"
owner_name = "Jordan Rivera"
owner_email = "jordan.rivera@example.com"

[[inputs]]
path = "{SAMPLES / "linkedin" / "Connections.csv"}"
importer = "linkedin"

[[inputs]]
path = "{SAMPLES / "journal" / "journal.xlsx"}"
importer = "journal"
"""
    root = tmp_path / "ws"
    make_workspace(root, config=config)
    result = runner.invoke(app, ["-w", str(root), "run", "--as-of", "2026-11-26", "--quiet"])
    assert result.exit_code in (0, 3), result.output
    assert _mode(root / "kith.db") == 0o600
    for side in ("kith.db-wal", "kith.db-shm", "kith.lock"):
        if (root / side).exists():
            assert _mode(root / side) == 0o600, side
    index = root / "kith.db.dedupe-index"
    assert _mode(index) == 0o700 and all(_mode(p) == 0o700 for p in index.iterdir() if p.is_dir())
    week = root / "reports" / "2026-W48"
    assert _mode(root / "reports") == 0o700 and _mode(week) == 0o700
    written = list(week.rglob("*"))
    assert any(p.suffix == ".eml" for p in written), "the run drafted messages"
    for path in written:
        assert _mode(path) == (0o700 if path.is_dir() else 0o600), path
    out = tmp_path / "exports" / "records.csv"
    result = runner.invoke(app, ["-w", str(root), "export", "records", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0
    assert _mode(out) == 0o600 and _mode(out.parent) == 0o700


BAD_ROWS = (
    "Constituent ID,First Name,Last Name,Email,Phone,Employer\r\n"
    "A-1,Ada,Lovelace,ada.lovelace@example.com,(206) 555-0142,Northwind\r\n"
    ",,,,,Contoso Ltd\r\n"  # nothing but an employer: a reject
)
BROKEN_QUOTE = (
    "Constituent ID,First Name,Last Name,Email,Phone,Employer\r\n"
    'A-2,"Grace,Hopper,grace.hopper@example.org,312-555-0177,Contoso\r\n'
    "A-3,Alan,Turing,alan.turing@example.com,503-555-0163,Fabrikam\r\n"
)
BROKEN_CARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Katherine Johnson\r\nEMAIL:katherine.johnson@example.com\r\n"
    "TEL:206-555-0199\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nEMAIL:no.name@example.com\r\n"
    "TEL:206-555-0198\r\nBEGIN:VCARD\r\nFN:Edsger Dijkstra\r\nEND:VCARD\r\n"
)


@pytest.mark.parametrize("trace", [False, True], ids=["plain", "KITH_TRACE_PLUGINS"])
def test_messages_name_the_place_never_the_record(tmp_path, runner, monkeypatch, trace):
    if trace:
        monkeypatch.setenv("KITH_TRACE_PLUGINS", "1")
    files = {"rejects.csv": BAD_ROWS, "broken_quote.csv": BROKEN_QUOTE, "broken.vcf": BROKEN_CARD}
    workspace = make_workspace(tmp_path / "ws", files)
    paths = [str(workspace.root / name) for name in files]
    human = runner.invoke(app, ["-w", str(workspace.root), "import", *paths])
    other = make_workspace(tmp_path / "other")
    machine = runner.invoke(app, ["-w", str(other.root), "import", *paths, "--json"])
    assert human.exit_code == 0  # every file is readable: the bad rows are rejects, not failures
    said = human.output + (human.stderr if human.stderr_bytes is not None else "")
    summary = json.loads(machine.stdout)
    messages = [f["error"] or "" for f in summary["files"]]
    messages += [r["ref"] + " " + r["reason"] for f in summary["files"] for r in f["rejects"]]
    messages += [w["message"] for f in summary["files"] for w in f["warnings"]]
    assert any("row 3" in m for m in messages)  # the row with nothing but an employer
    assert any(m.startswith("row 2 ") and "stray quote" in m for m in messages)  # Grace's broken quote
    for text in [said, *messages]:
        assert not EMAIL.findall(text.replace(str(tmp_path), "")), text
        assert not PHONE.findall(text), text
    assert "Contoso" not in said and "Grace" not in said


PLUGIN = """
from pathlib import Path
Path(__file__).with_suffix(".loaded").write_text("imported")
from pipeline import hookimpl

class Evil:
    name = "evil"
    description = "a plugin from a stranger"
    def sniff(self, path, head):
        return 1.0
    def read(self, path, options):
        raise RuntimeError("should never run")

@hookimpl
def register_importers():
    return [Evil()]
"""


def test_no_plugins_loads_built_ins_only(tmp_path, runner):
    root = tmp_path / "ws"
    make_workspace(root, {"plugins/evil.py": PLUGIN}, config='plugins_dir = "plugins"\n')
    marker = root / "plugins" / "evil.loaded"
    result = runner.invoke(app, ["-w", str(root), "--no-plugins", "plugins", "--json"])
    assert result.exit_code == 0
    names = {p["name"] for p in json.loads(result.stdout)}
    assert "evil" not in names and {"linkedin", "vcard", "alumni"} <= names
    assert not marker.exists(), "--no-plugins must not even import a plugins_dir file"
    result = runner.invoke(app, ["-w", str(root), "plugins", "--json"])
    assert "evil" in {p["name"] for p in json.loads(result.stdout)} and marker.exists()


def test_kith_disable_plugins_blocks_named_plugins(tmp_path, runner, monkeypatch):
    monkeypatch.setenv("KITH_DISABLE_PLUGINS", "linkedin, evil")
    root = tmp_path / "ws"
    make_workspace(root, {"plugins/evil.py": PLUGIN}, config='plugins_dir = "plugins"\n')
    result = runner.invoke(app, ["-w", str(root), "plugins", "--json"])
    # Blocked plugins are listed as disabled and provide nothing.
    provides = {p["name"]: p["provides"] for p in json.loads(result.stdout)}
    assert provides.get("linkedin", ["(disabled)"]) == ["(disabled)"] == provides.get("evil", ["(disabled)"])
    assert provides["vcard"]
    assert not (root / "plugins" / "evil.loaded").exists()
    connections = SAMPLES / "linkedin" / "Connections.csv"
    result = runner.invoke(app, ["-w", str(root), "import", str(connections), "--as", "linkedin"])
    assert result.exit_code == 2 and "no importer named 'linkedin'" in " ".join(result.output.split())

"""Runs where POSIX-only modules are missing (Windows), and on paths with spaces and non-ASCII letters.

The CLI runs in a child Python whose ``import fcntl`` fails (a meta path hook installed by a
``sitecustomize``), as on Windows: init, import, run and people on a copy of the sample inputs
under a workspace, input folders and a report folder named with spaces, accents and CJK.
The workspace lock is the OS's: a killed holder frees it at once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.fileio import slug
from pipeline.lock import WorkspaceBusy, workspace_lock
from tests.corpus.measure import ROOT, child_env, kith_command

NO_FCNTL = """
import sys

class _NoPosix:
    def find_spec(self, name, path=None, target=None):
        if name in ("fcntl", "termios", "pty", "tty"):
            raise ImportError(f"No module named {name!r} (blocked: testing a Windows-like Python)")
        return None

sys.modules.pop("fcntl", None)
sys.meta_path.insert(0, _NoPosix())
"""

CONFIG = """
[workspace]
store = "données/kith.db"
reports = "Rapports hebdo/été 2026"
region = "US"
owner_name = "Jordan Rivera"
owner_email = "jordan.rivera@example.com"

[[inputs]]
path = "entrées/LinkedIn export (2026)/Connections é.csv"
importer = "linkedin"

[[inputs]]
path = "entrées/téléphone 联系人/*.vcf"
channel = "social"

[[inputs]]
path = "entrées/journal de recherche.xlsx"
importer = "journal"
"""


def _no_fcntl_env(tmp_path: Path) -> dict[str, str]:
    hook = tmp_path / "site hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(NO_FCNTL, encoding="utf-8")
    env = child_env()
    env["PYTHONPATH"] = f"{hook}{os.pathsep}{env['PYTHONPATH']}"
    env["PYTHONIOENCODING"] = "utf-8"
    # Windows' default text encoding is its ANSI code page: every open() of kith's must say UTF-8.
    env |= {"PYTHONWARNDEFAULTENCODING": "1", "PYTHONWARNINGS": "always::EncodingWarning"}
    return env


def _kith(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(kith_command(*args), env=env, cwd=ROOT, capture_output=True, timeout=300)


def test_the_cli_runs_without_fcntl_on_paths_with_spaces_and_accents(tmp_path):
    env = _no_fcntl_env(tmp_path)
    blocked = subprocess.run([sys.executable, "-c", "import fcntl"], env=env, capture_output=True)
    assert blocked.returncode != 0 and b"blocked" in blocked.stderr, "the hook must hide fcntl"

    root = tmp_path / "Mes contacts – Zoë Ünal 联系"
    samples = ROOT / "sample_inputs"
    inbox = root / "entrées"
    (inbox / "LinkedIn export (2026)").mkdir(parents=True)
    shutil.copy(
        samples / "linkedin" / "Connections.csv", inbox / "LinkedIn export (2026)" / "Connections é.csv"
    )
    shutil.copytree(samples / "vcard", inbox / "téléphone 联系人")
    shutil.copy(samples / "journal" / "journal.xlsx", inbox / "journal de recherche.xlsx")

    init = _kith(env, "init", str(root))
    assert init.returncode == 0, init.stderr.decode()
    (root / "kith.toml").write_text(CONFIG, encoding="utf-8")

    extra = root / "à importer" / "Google contacts 2026.csv"
    extra.parent.mkdir()
    shutil.copy(samples / "google" / "contacts.csv", extra)
    imported = _kith(env, "-w", str(root), "import", str(extra), "--as", "google_csv", "--json")
    assert imported.returncode == 0, imported.stderr.decode()
    assert json.loads(imported.stdout)["files"][0]["path"] == str(extra)

    run = _kith(env, "-w", str(root), "run", "--as-of", "2026-11-26", "--json")
    err = run.stderr.decode()
    assert run.returncode in (0, 3), err  # 3: the sample vCards hold a reject on purpose
    assert "Traceback" not in err
    ours = [line for line in err.splitlines() if "EncodingWarning" in line and str(ROOT) in line]
    assert not [line for line in ours if "site-packages" not in line], ours
    week = root / "Rapports hebdo" / "été 2026" / "2026-W48"
    summary = json.loads((week / "run.json").read_text(encoding="utf-8"))
    paths = {Path(i["path"]).name: i["status"] for i in summary["inputs"]}
    assert paths["Connections é.csv"] == "imported" and paths["journal de recherche.xlsx"] == "imported"
    assert any(name.endswith(".vcf") for name in paths)
    checklist = (week / "followups.md").read_text(encoding="utf-8")
    assert "Maria Gonzalez" in checklist and "Priya Raman" in checklist
    assert any((week / "drafts").glob("*.eml"))
    assert (root / "données" / "kith.db").is_file()

    people = _kith(env, "-w", str(root), "people", "Gonzalez")
    assert people.returncode == 0 and "Maria Gonzalez" in people.stdout.decode("utf-8")


HOLD = """
import sys, time
from pathlib import Path
from pipeline.lock import workspace_lock
with workspace_lock(Path(sys.argv[1]) / "kith.lock"):
    print("held", flush=True)
    time.sleep(120)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_killed_holder_frees_the_lock_at_once_and_the_holder_is_named(tmp_path):
    root = tmp_path / "espace de travail é"
    root.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(root)], env=child_env(), cwd=ROOT, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout.readline().strip() == b"held"
        with pytest.raises(WorkspaceBusy, match=rf"kith run, pid {holder.pid}, started"):
            with workspace_lock(root / "kith.lock"):
                pass
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        started = time.monotonic()
        with workspace_lock(root / "kith.lock", "kith report"):
            text = (root / "kith.lock").read_bytes().decode()
            assert f"kith report, pid {os.getpid()}" in text
        assert time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.wait()
    assert (root / "kith.lock").read_bytes() == b"", "the description goes when the lock is released"


def test_a_lock_path_that_is_a_folder_is_one_clear_error(tmp_path):
    (tmp_path / "kith.lock").mkdir()
    with pytest.raises(Exception, match=r"kith\.lock") as caught:
        with workspace_lock(tmp_path / "kith.lock"):
            pass
    assert "\n" not in str(caught.value)


@pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="O_NOFOLLOW is POSIX")
def test_a_symlinked_lock_is_refused_and_its_target_untouched(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("keep me\n", encoding="utf-8")
    (tmp_path / "kith.lock").symlink_to(target)
    with pytest.raises(Exception, match=r"kith\.lock: is a symbolic link, not kith's lock file"):
        with workspace_lock(tmp_path / "kith.lock"):
            pass
    assert target.read_text(encoding="utf-8") == "keep me\n"


# --- file names -----------------------------------------------------------------------------

WINDOWS_FORBIDDEN = set('<>:"/\\|?*')


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("José Müller", "josé-müller"),
        ("Jose\u0301 Mu\u0308ller", "josé-müller"),  # decomposed (macOS) input: the same NFC slug
        ("李小龙", "李小龙"),
        ("प्रिया शर्मा", "प्रिया-शर्मा"),  # Devanagari vowel signs are marks, kept
        ("Jonathan O'Neil", "jonathan-o-neil"),
        ("Mary_Ann", "mary_ann"),
        ('a<b>c:d"e/f\\g|h?i*j', "a-b-c-d-e-f-g-h-i-j"),
        ("  Dr. J. R. R. Tolkien.  ", "dr-j-r-r-tolkien"),
        ("..", "contact"),
        ("🎉 🎉", "contact"),
        (None, "contact"),
        ("CON", "con_"),
        ("Lpt1", "lpt1_"),
        ("x" * 100, "x" * 40),
    ],
)
def test_one_slug_rule_for_every_file_name(name, expected):
    result = slug(name)
    assert result == expected
    assert not WINDOWS_FORBIDDEN & set(result) and not result.endswith((".", " ")) and len(result) <= 40


def test_both_draft_folders_name_files_with_the_same_slug(tmp_path):
    from pipeline.contracts import Draft, Task, Why
    from plugins.followups.text import write_eml
    from plugins.outcome_report.drafts import write_drafts
    from plugins.outcome_report.model import build_outcome_report
    from tests.test_outcome_report import AS_OF, JOURNAL, OUTCOME, OWNER, PEOPLE

    report = build_outcome_report(PEOPLE, JOURNAL, OUTCOME, AS_OF, OWNER)
    helpers = [h for h in report.helpers if h.email]
    helpers[0].name, helpers[1].name = "李小龙", "José Müller"
    outcome = {p.name for p in write_drafts(report, tmp_path / "outcome-drafts")}
    assert {"01-李小龙.eml", "02-josé-müller.eml"} <= outcome

    followups = set()
    for key, name in (("thank_you:4", "李小龙"), ("referral:thank_referrer:7", "José Müller")):
        task = Task(
            key=key, due=dt.date(2026, 11, 10), person_id="p1", person_name=name,
            email="bruce@example.com", action="Thank", why=Why((4,), "met"),
            draft=Draft("Thanks", "Thank you."), rule=key.split(":")[0], overdue_after=dt.date(2026, 11, 13),
        )  # fmt: skip
        followups.add(write_eml(tmp_path / "drafts", task, "Jordan Rivera", "jordan.rivera@example.com").name)
    assert followups == {
        "2026-11-10-李小龙-thank_you-4.eml",
        "2026-11-10-josé-müller-referral-thank_referrer-7.eml",
    }
    assert all((tmp_path / "drafts" / name).is_file() for name in followups)


def test_piped_output_is_utf8_whatever_the_code_page(tmp_path):
    """Windows writes pipes in its ANSI code page (cp1252 here): kith writes UTF-8 there instead."""
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "FN:李小龙",
        "N:李;小龙;;;",
        "EMAIL:bruce.lee@example.com",
        "END:VCARD",
    ]
    card = "\r\n".join(lines) + "\r\n"
    (tmp_path / "李小龙.vcf").write_text(card, encoding="utf-8")
    env = child_env(PYTHONIOENCODING="cp1252")
    root = str(tmp_path / "ws")
    for args in (("init", root), ("-w", root, "import", str(tmp_path / "李小龙.vcf"))):
        done = subprocess.run(kith_command(*args), env=env, cwd=ROOT, capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    table = subprocess.run(kith_command("-w", root, "people"), env=env, cwd=ROOT, capture_output=True)
    listed = subprocess.run(
        kith_command("-w", root, "people", "--json"), env=env, cwd=ROOT, capture_output=True
    )
    assert table.returncode == 0 and "李小龙" in table.stdout.decode("utf-8")
    assert [p["name"] for p in json.loads(listed.stdout.decode("utf-8"))] == ["李小龙"]

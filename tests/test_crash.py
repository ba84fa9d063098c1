"""Crash safety: SIGKILL `kith import` and `kith run` at random moments; the store and reports hold.

Each kill lands somewhere in a real child process (start-up, reading, normalizing, the
store transaction, writing reports). Afterwards the store must pass ``PRAGMA
integrity_check`` and hold each source either as it was before that import or as it is
after — the ``sources`` row, its ``record_count``, its content hash and the records
actually present always agree, never half a file. The input alternates between a big
version (over 20,000 rows: the ADBC bulk path) and a small one (``sqlite3``), so both
write paths are killed. For ``kith run``, the previous week's report folder is never
touched and this week's folder is either absent or complete, never half-written.

The kill moments are seeded (``random.Random(11)``) so a failure can be replayed; they
fall between the end of start-up and a little past a full run's length, where the work is.
The import and run kill loops run side by side (two cores) to keep the suite quick.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from pipeline.testing import make_workspace
from tests.corpus.measure import ROOT, child_env, kith_command

SEED = 11
IMPORT_KILLS = 10
RUN_KILLS = 10
#: Seconds a child takes to start (python, polars, plugins) before it touches anything.
STARTUP = 0.9
HEADER = "Constituent ID,First Name,Last Name,Class Yr,Email,Phone,Employer\n"
GIVEN = ["Ada", "Grace", "Alan", "Katherine", "Edsger", "Barbara", "Donald", "Frances", "Niklaus", "Radia"]
FAMILY = ["Lovelace", "Hopper", "Turing", "Johnson", "Dijkstra", "Liskov", "Knuth", "Allen", "Wirth"]


def alumni_csv(rows: int, version: str) -> str:
    rng = random.Random(rows)
    lines = [HEADER]
    for n in range(rows):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        lines.append(
            f"{version}-{n},{given},{family},{1960 + n % 60},{given.lower()}.{family.lower()}{n}@example.com,"
            f"206-555-{n % 10000:04d},Employer {n % 97}\n"
        )
    return "".join(lines)


VERSIONS = {"big": (21_000, "B"), "small": (2_000, "S"), "tiny": (600, "T"), "medium": (1_500, "M")}


def _content(name: str) -> bytes:
    rows, tag = VERSIONS[name]
    return alumni_csv(rows, tag).encode()


def _state(db: Path, source: Path) -> tuple[str | None, int]:
    """``(content hash, records)`` of ``source`` in the store, checking that everything agrees."""
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        row = conn.execute(
            "SELECT source_id, content_hash, record_count FROM sources WHERE path = ?",
            (source.resolve().relative_to(db.parent.resolve()).as_posix(),),  # inside: kept relative
        ).fetchone()
        orphans = conn.execute(
            "SELECT count(*) FROM records WHERE source_id NOT IN (SELECT source_id FROM sources)"
        ).fetchone()[0]
        assert orphans == 0, "records without their source row: half an import"
        if row is None:
            return None, 0
        present = conn.execute("SELECT count(*) FROM records WHERE source_id = ?", (row[0],)).fetchone()[0]
        assert present == row[2], f"sources says {row[2]} records, the store holds {present}"
        return row[1], present


def _kill_at(args: list[str], delay: float) -> int | None:
    """Start ``args``, SIGKILL it after ``delay`` seconds (if still running); its exit code or None."""
    proc = subprocess.Popen(
        args, env=child_env(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err, err.decode(errors="replace")[-2000:]
    return None if proc.returncode == -signal.SIGKILL else proc.returncode


def _timed(args: list[str]) -> float:
    started = time.monotonic()
    result = subprocess.run(args, env=child_env(), cwd=ROOT, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    return time.monotonic() - started


def killed_imports(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    workspace = make_workspace(tmp_path / "ws")
    source = workspace.root / "alumni.csv"
    hashes = {name: hashlib.sha256(_content(name)).hexdigest() for name in ("big", "small")}
    counts = {hashes[name]: VERSIONS[name][0] for name in hashes}
    args = kith_command("-w", str(workspace.root), "import", str(source), "--as", "alumni")

    full = {}
    for name in ("big", "small"):  # complete imports: how long each takes here, and the first state
        source.write_bytes(_content(name))
        full[name] = _timed(args)
        assert _state(workspace.store_path, source) == (hashes[name], counts[hashes[name]])

    outcomes = {"killed": 0, "finished": 0}
    # Timing on a shared machine varies: keep going (bounded) until enough kills landed mid-import.
    for number in range(IMPORT_KILLS * 3):
        if number >= IMPORT_KILLS and outcomes["killed"] >= IMPORT_KILLS // 3:
            break
        before = _state(workspace.store_path, source)
        name = "small" if before[0] == hashes["big"] else "big"  # every import replaces the source
        source.write_bytes(_content(name))
        delay = rng.uniform(STARTUP, full[name] * 0.95)
        code = _kill_at(args, delay)
        outcomes["killed" if code is None else "finished"] += 1
        after = _state(workspace.store_path, source)
        assert after in (before, (hashes[name], counts[hashes[name]])), (
            f"kill {number} at {delay:.2f}s: {after}"
        )
        if code is not None:
            assert code == 0 and after[0] == hashes[name]
    # Every kill must leave a whole store, and enough of them must have landed mid-import.
    assert outcomes["killed"] >= IMPORT_KILLS // 3, outcomes


RUN_CONFIG = """
[workspace]
region = "US"

[[inputs]]
path = "inbox/*.csv"
importer = "alumni"
channel = "alumni"
"""


def killed_runs(tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    root = tmp_path / "ws"
    # Runs (import, dedupe, reports) alternate two small files: the big ADBC path is the import loop's.
    workspace = make_workspace(root, {"inbox/alumni.csv": _content("tiny")}, config=RUN_CONFIG)
    source = root / "inbox" / "alumni.csv"
    last_week = kith_command("-w", str(root), "run", "--as-of", "2026-11-19", "--quiet")
    this_week = kith_command("-w", str(root), "run", "--as-of", "2026-11-26", "--quiet")
    _timed(last_week)
    previous = root / "reports" / "2026-W47"
    snapshot = {p.name: p.read_bytes() for p in previous.iterdir()}
    assert "run.json" in snapshot
    source.write_bytes(_content("medium"))
    full = _timed(this_week)

    for number in range(RUN_KILLS):
        source.write_bytes(_content("tiny" if number % 2 == 0 else "medium"))
        delay = rng.uniform(STARTUP, full * 1.05)
        code = _kill_at(this_week, delay)
        assert code in (None, 0), f"run {number} exited {code}"
        _state(workspace.store_path, source)  # integrity, and sources agree with records
        assert {p.name: p.read_bytes() for p in previous.iterdir()} == snapshot, "last week's reports changed"
        current = root / "reports" / "2026-W48"
        if current.exists():
            report = json.loads((current / "run.json").read_text(encoding="utf-8"))
            missing = [o for o in report["outputs"] if not (current / o).exists()]
            assert not missing, f"kill {number} at {delay:.2f}s left a half-written week: {missing}"
    # After any number of kills, one clean run finishes and cleans up after the killed ones.
    _timed(this_week)
    assert json.loads((root / "reports" / "2026-W48" / "run.json").read_text())["exit_code"] == 0
    leftovers = [p.name for p in (root / "reports").iterdir() if p.name.startswith(".")]
    assert leftovers == [], leftovers


@pytest.fixture(scope="module")
def kill_loops(tmp_path_factory) -> dict[str, Future]:
    pool = ThreadPoolExecutor(max_workers=2)
    futures = {
        "import": pool.submit(killed_imports, tmp_path_factory.mktemp("kill-import")),
        "run": pool.submit(killed_runs, tmp_path_factory.mktemp("kill-run")),
    }
    yield futures
    pool.shutdown(wait=True)


def test_killed_imports_leave_each_source_before_or_after(kill_loops):
    kill_loops["import"].result(timeout=300)


def test_killed_runs_keep_the_store_whole_and_the_last_reports(kill_loops):
    kill_loops["run"].result(timeout=300)


def test_a_run_killed_between_its_two_renames_gets_its_folder_back(tmp_path):
    """The one moment a week's folder is missing: the next run puts the previous one back first."""
    from pipeline.run.folders import recover_interrupted

    reports = tmp_path / "reports"
    (reports / ".2026-W48.old-4242").mkdir(parents=True)
    (reports / ".2026-W48.old-4242" / "run.json").write_text("{}")
    (reports / ".2026-W48.tmp-4243").mkdir()
    (reports / ".2026-W48.tmp-4243" / "half.csv").write_text("x")
    recover_interrupted(reports)
    assert sorted(p.name for p in reports.iterdir()) == ["2026-W48"]
    assert (reports / "2026-W48" / "run.json").read_text() == "{}"

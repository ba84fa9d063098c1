"""Two kith processes on one workspace: imports wait their turn, a second batch run refuses.

Imports take no workspace lock: each file is one ``BEGIN IMMEDIATE`` transaction and a
second writer waits (SQLite ``busy_timeout``, 120 s) instead of failing with "database is
locked". ``kith run`` holds ``kith.lock`` for the whole batch; a second run stops at once
with a message naming the holder.
"""

from __future__ import annotations

import subprocess
import sys
import time

from pipeline.store import Store
from pipeline.testing import make_workspace
from tests.corpus.measure import ROOT, child_env, kith_command
from tests.test_crash import alumni_csv


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(args, env=child_env(), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_two_imports_at_once_both_land(tmp_path):
    """Big files (ADBC path) written at the same moment: both complete, nothing lost, no lock error."""
    files = {"first.csv": alumni_csv(21_000, "F"), "second.csv": alumni_csv(20_500, "S")}
    workspace = make_workspace(tmp_path / "ws", files)
    root = str(workspace.root)
    procs = [_start(kith_command("-w", root, "import", f"{root}/{name}", "--as", "alumni")) for name in files]
    results = [p.communicate(timeout=180) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        text = (out + err).decode(errors="replace")
        assert proc.returncode == 0, text[-2000:]
        assert "locked" not in text and "Traceback" not in text
    with Store(workspace.store_path) as store:
        sources = store.sources()
        assert sorted(sources["record_count"].to_list()) == [20_500, 21_000]
        assert store.count("records") == 41_500


def test_the_same_file_imported_twice_at_once_is_stored_once(tmp_path):
    workspace = make_workspace(tmp_path / "ws", {"same.csv": alumni_csv(3_000, "X")})
    args = kith_command("-w", str(workspace.root), "import", str(workspace.root / "same.csv"), "--json")
    procs = [_start(args) for _ in range(2)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
        assert b"locked" not in out + err
    with Store(workspace.store_path) as store:
        assert store.count("sources") == 1
        assert store.count("records") == 3_000


HOLD = """
import sys, time
from pathlib import Path
from pipeline.lock import workspace_lock
with workspace_lock(Path(sys.argv[1]) / "kith.lock"):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_second_run_refuses_while_one_holds_the_workspace(tmp_path):
    workspace = make_workspace(tmp_path / "ws", {"inbox/a.csv": alumni_csv(50, "A")})
    (workspace.root / "kith.toml").write_text('[[inputs]]\npath = "inbox/*.csv"\nimporter = "alumni"\n')
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(workspace.root)], env=child_env(), cwd=ROOT, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout.readline().strip() == b"held"
        started = time.monotonic()
        second = subprocess.run(
            kith_command("-w", str(workspace.root), "run"), env=child_env(), cwd=ROOT, capture_output=True
        )
        assert time.monotonic() - started < 30, "the second run must not wait"
    finally:
        holder.kill()
        holder.wait()
    err = second.stderr.decode()
    assert second.returncode == 1
    assert "another kith run is in progress" in err and f"pid {holder.pid}" in err
    assert "Traceback" not in err and err.count("\n") == 1
    assert not (workspace.root / "reports").exists() or not any((workspace.root / "reports").iterdir())

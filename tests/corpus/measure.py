"""Run ``kith`` in a child process and measure it: wall time and peak resident memory.

Used by the corpus tests (bounded time and memory per bad input) and ``bench/corpus.py``.
The child is reaped with ``os.wait4`` so its own ``ru_maxrss`` is known, not the maximum
over every child this process ever had. On Linux that figure still starts at the *parent's*
peak (the child is vforked from this process and its maximum is kept across exec: a test
process at 1.9 GB made every child "use" 1.9 GB), so there the peak is the child's own
``VmHWM`` from ``/proc``, read while it runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Measured:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float
    timed_out: bool = False


def kith_command(*args: str) -> list[str]:
    """The command line for ``kith ARGS`` from this checkout (not whatever is installed)."""
    return [sys.executable, "-m", "pipeline", *args]


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KITH_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def _high_water_kib(pid: int) -> int:
    """The process's own peak resident memory since its exec (Linux ``VmHWM``); 0 where unknown."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def run_measured(
    args: list[str],
    *,
    timeout: float = 120,
    env: dict[str, str] | None = None,
    address_space: int | None = None,
) -> Measured:
    """Run ``args``; kill it after ``timeout`` seconds. Output is read from temp files, not pipes.

    :param address_space: a hard ``RLIMIT_AS`` for the child, in bytes: past it allocations fail
        (a native abort or a MemoryError), so a test sees an overrun instead of a slow machine.
    """

    def limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            args,
            stdout=out,
            stderr=err,
            env=env or child_env(),
            cwd=ROOT,
            preexec_fn=limit if address_space else None,
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            os.kill(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        peak_kib = 0
        try:
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                peak_kib = max(peak_kib, _high_water_kib(proc.pid))
                time.sleep(0.02)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        return Measured(
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            seconds,
            (peak_kib or usage.ru_maxrss) / 1024,
            timed_out.is_set(),
        )

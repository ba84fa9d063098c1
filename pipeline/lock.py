"""One writer at a time per workspace: an advisory lock file held for a whole batch run.

``kith run`` takes the lock without waiting; a second run on the same workspace stops
at once with a clear message naming the process that holds it. The lock is released by
the kernel when the process ends, even on SIGKILL, so a crash never leaves it stuck.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import KithError


class WorkspaceBusy(KithError):
    """Another kith process holds the workspace lock."""


@contextlib.contextmanager
def workspace_lock(path: Path, what: str = "kith run") -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for the block, or raise WorkspaceBusy at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise WorkspaceBusy(
                f"{path.parent}: another kith run is in progress ({holder}); try again when it finishes"
            ) from None
        stamp = dt.datetime.now().isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{what}, pid {os.getpid()}, started {stamp}".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)

"""One writer at a time per workspace: an advisory lock file held for a whole batch run.

``kith run`` takes the lock without waiting; a second run on the same workspace stops
at once with a clear message naming the process that holds it. The lock is released by
the kernel when the process ends, even on SIGKILL, so a crash never leaves it stuck.

The lock file is opened without following a symbolic link (``O_NOFOLLOW``): a workspace
from a stranger could hold ``kith.lock -> ../victim.txt``, which truncating the lock would
empty. A link, a folder or anything but a regular file is refused with one line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import KithError


class WorkspaceBusy(KithError):
    """Another kith process holds the workspace lock."""


@contextlib.contextmanager
def workspace_lock(path: Path, what: str = "kith run") -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for the block, or raise WorkspaceBusy at once."""
    fd = _open_lock(path)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise WorkspaceBusy(
                f"{path.parent}: another kith run is in progress ({holder}); try again when it finishes"
            ) from None
        stamp = dt.datetime.now().isoformat(timespec="seconds")
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{what}, pid {os.getpid()}, started {stamp}".encode(), 0)
        except OSError as exc:
            raise KithError(f"{path}: cannot write the workspace lock ({exc.strerror or exc})") from None
        try:
            yield
        finally:
            with contextlib.suppress(OSError):  # a full disk must not hide the block's own outcome
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _open_lock(path: Path) -> int:
    """The lock file's descriptor: created 0600, never through a symbolic link, only a regular file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise KithError(
                f"{path}: is a symbolic link, not kith's lock file; remove it and try again"
            ) from None
        if exc.errno == errno.EISDIR:
            raise KithError(f"{path}: is a folder, not kith's lock file; remove it and try again") from None
        raise KithError(f"{path}: cannot open the workspace lock ({exc.strerror or exc})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise KithError(f"{path}: is not a regular file, so not kith's lock file; remove it and try again")
    return fd

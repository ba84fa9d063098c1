"""One writer at a time per workspace: an OS file lock on ``kith.lock`` held for a whole batch run.

``kith run`` takes the lock without waiting; a second run on the same workspace stops
at once with a clear message naming the process that holds it. The lock is the
operating system's (``flock`` on POSIX, ``LockFileEx`` on Windows, through ``filelock``),
released by the kernel when the process ends, even on SIGKILL, so a crash never leaves it
stuck. ``filelock`` opens the file with ``O_NOFOLLOW`` and never truncates a holder's file,
so the holder's description written into it survives a second run's attempt.

A workspace from a stranger could hold ``kith.lock -> ../victim.txt``, which writing the
holder's description would empty: a link, a folder or anything but a regular file is
refused with one line before anything is opened.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import stat
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import KithError
from pipeline.fileio import FILE_MODE

#: The holder's description starts here: Windows locks byte 0, which no other process may read.
_HOLDER_OFFSET = 1


class WorkspaceBusy(KithError):
    """Another kith process holds the workspace lock."""


def _holder(path: Path) -> str:
    """Who holds the lock, as the holder wrote it (best effort: the file is only informative)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return ""
    try:
        os.lseek(fd, _HOLDER_OFFSET, os.SEEK_SET)
        return os.read(fd, 200).decode("utf-8", "replace").strip()
    except OSError:
        return ""
    finally:
        os.close(fd)


def _refuse_strangers(path: Path) -> None:
    """A KithError when ``path`` exists and is not a regular file (a link, a folder, a device)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise KithError(f"{path}: cannot open the workspace lock ({exc.strerror or exc})") from None
    if stat.S_ISLNK(mode):
        raise KithError(f"{path}: is a symbolic link, not kith's lock file; remove it and try again")
    if stat.S_ISDIR(mode):
        raise KithError(f"{path}: is a folder, not kith's lock file; remove it and try again")
    if not stat.S_ISREG(mode):
        raise KithError(f"{path}: is not a regular file, so not kith's lock file; remove it and try again")


@contextlib.contextmanager
def workspace_lock(path: Path, what: str = "kith run") -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for the block, or raise WorkspaceBusy at once."""
    with warnings.catch_warnings():
        # Only where fcntl is missing off Windows (never a supported platform): filelock warns on import.
        warnings.simplefilter("ignore")
        from filelock import FileLock, Timeout, has_fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    _refuse_strangers(path)
    held: list[int] = []

    def stamp(fd: int) -> None:
        held.append(fd)
        started = dt.datetime.now().isoformat(timespec="seconds")
        # The description only informs a second run: a platform that refuses a write keeps the lock.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"\n{what}, pid {os.getpid()}, started {started}\n".encode())

    # fallback_to_soft=False: a marker file instead of an OS lock would outlive a killed run. Only a
    # POSIX without fcntl gets the soft lock anyway, and it lends no descriptor to describe the holder.
    native = sys.platform == "win32" or has_fcntl
    options: dict = {"fallback_to_soft": False, "on_acquired": stamp} if native else {}
    lock = FileLock(path, timeout=0, mode=FILE_MODE, **options)
    try:
        lock.acquire()
    except Timeout:
        holder = _holder(path) or "another process"
        raise WorkspaceBusy(
            f"{path.parent}: another kith run is in progress ({holder}); try again when it finishes"
        ) from None
    except OSError as exc:
        raise KithError(f"{path}: cannot take the workspace lock ({exc.strerror or exc})") from None
    try:
        yield
    finally:
        if held:
            with contextlib.suppress(OSError):
                os.ftruncate(held[-1], 0)
        lock.release()

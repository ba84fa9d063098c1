"""One writer at a time per workspace: an OS file lock on ``kith.lock`` held for a whole batch run.

``kith run`` takes the lock without waiting; a second run on the same workspace stops
at once with a clear message naming the process that holds it. The lock is the
operating system's (``flock`` on POSIX, ``LockFileEx`` on Windows, through ``filelock``),
released by the kernel when the process ends, even on SIGKILL, so a crash never leaves it
stuck. ``filelock`` never truncates a holder's file, so the holder's description written
into it survives a second run's attempt.

The lock file is never opened through a symbolic link (``O_NOFOLLOW``, and a look at the
path first): a workspace from a stranger could hold ``kith.lock -> ../victim.txt``, which
truncating the lock would empty. A link, a folder or anything but a regular file is
refused with one line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
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


def _refuse_non_file(path: Path, mode: int | None = None, code: int | None = None) -> None:
    """One line for a lock path that is a link, a folder or anything but a regular file."""
    if code == errno.ELOOP or (mode is not None and stat.S_ISLNK(mode)):
        raise KithError(f"{path}: is a symbolic link, not kith's lock file; remove it and try again")
    if code == errno.EISDIR or (mode is not None and stat.S_ISDIR(mode)):
        raise KithError(f"{path}: is a folder, not kith's lock file; remove it and try again")
    if mode is not None and not stat.S_ISREG(mode):
        raise KithError(f"{path}: is not a regular file, so not kith's lock file; remove it and try again")


def _check_path(path: Path) -> None:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise KithError(f"{path}: cannot open the workspace lock ({exc.strerror or exc})") from None
    _refuse_non_file(path, mode)


def _write_at(fd: int, data: bytes, offset: int) -> None:
    if hasattr(os, "pwrite"):
        os.pwrite(fd, data, offset)
    else:  # Windows
        os.lseek(fd, offset, os.SEEK_SET)
        os.write(fd, data)


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


@contextlib.contextmanager
def workspace_lock(path: Path, what: str = "kith run") -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for the block, or raise WorkspaceBusy at once."""
    with warnings.catch_warnings():
        # Only where fcntl is missing off Windows (never a supported platform): filelock warns on import.
        warnings.simplefilter("ignore")
        from filelock import FileLock, Timeout, has_fcntl

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KithError(f"{path}: cannot open the workspace lock ({exc.strerror or exc})") from None
    _check_path(path)
    held: list[int] = []
    failed: list[OSError] = []

    def stamp(fd: int) -> None:
        held.append(fd)
        started = dt.datetime.now().isoformat(timespec="seconds")
        try:
            os.ftruncate(fd, 0)
            _write_at(fd, f"\n{what}, pid {os.getpid()}, started {started}\n".encode(), 0)
        except OSError as exc:  # raised below, once filelock has recorded the hold it must release
            failed.append(exc)

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
        _refuse_non_file(path, code=exc.errno)  # swapped in after the look above
        raise KithError(f"{path}: cannot open the workspace lock ({exc.strerror or exc})") from None
    if failed:
        lock.release()
        error = failed[0]
        raise KithError(f"{path}: cannot write the workspace lock ({error.strerror or error})") from None
    try:
        yield
    finally:
        if held:
            with contextlib.suppress(OSError):  # a full disk must not hide the block's own outcome
                os.ftruncate(held[-1], 0)
        lock.release()

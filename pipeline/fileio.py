"""Writing output files atomically, private to the owner (and the one chunked file hash).

Every report and export is written to a temporary file in the target's folder and renamed
into place only when complete, so a crash or an exception never leaves a half-written
file where the last good one was.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from pipeline.errors import UsageError

#: Reports and stores hold personal data: owner-only permissions on POSIX.
FILE_MODE = 0o600
DIR_MODE = 0o700


#: Names Windows reserves for devices, with or without an extension (``con.eml`` is the console too).
_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"]
    + [f"{dev}{n}" for dev in ("com", "lpt") for n in [*"123456789", "\u00b9", "\u00b2", "\u00b3"]]
)


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or unicodedata.category(ch)[0] == "M"  # M: marks of Indic scripts


def slug(text: str | None, limit: int = 40, fallback: str = "contact") -> str:
    """The one way kith turns a name into part of a file name: ``José Müller`` → ``josé-müller``.

    Letters and digits of every script are kept (NFC, lower case: ``李小龙`` stays ``李小龙``);
    every other run of characters becomes one ``-``; no leading or trailing ``-``, ``.`` or
    space; at most ``limit`` characters; never a name Windows reserves (``con``, ``lpt1``);
    ``fallback`` when nothing is left (a name of only emoji or punctuation).
    """
    text = unicodedata.normalize("NFC", text or "").lower()
    # Anything else (< > : " / \\ | ? *, controls, spaces, dots, emoji) separates words.
    kept = "".join(
        ch if ch.isalnum() or ch == "_" or unicodedata.category(ch)[0] == "M" else " " for ch in text
    )
    result = "-".join(kept.split())[:limit].strip("-_. ")
    if not result:
        return fallback
    return f"{result}_" if result in _RESERVED else result


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed; new folders are owner-only."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    except (FileExistsError, NotADirectoryError):
        # a file stands where a folder goes: name it, not errno's bare "File exists"
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), path)
        raise UsageError(f"{blocker}: is a file where kith needs a folder") from None
    return path


@contextlib.contextmanager
def atomic_write(path: Path, mode: str = "w", **open_kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing; rename it over ``path`` on success.

    On an exception the temporary file is removed and ``path`` is left untouched.
    ``mode`` is ``"w"`` (text; pass ``encoding``/``newline``) or ``"wb"``.
    """
    path = Path(path)
    ensure_private_dir(path.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        if hasattr(os, "fchmod"):  # POSIX-only before Python 3.13; mkstemp's file is owner-only anyway
            os.fchmod(fd, FILE_MODE)
        if "b" not in mode:
            open_kwargs.setdefault("encoding", "utf-8")
        with os.fdopen(fd, mode, **open_kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` for libraries that write by file name (openpyxl's ``save``).

    Renamed over ``path`` when the block succeeds; removed on an exception.
    """
    path = Path(path)
    ensure_private_dir(path.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def file_hash(path: Path) -> tuple[str, int]:
    """SHA-256 of the file's content and its size, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size

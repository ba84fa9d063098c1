"""Report folders that are never half-written: a staging sibling renamed into place, and recovery.

A week's folder (``reports/2026-W48/``) is filled in a temporary sibling
(``.2026-W48.tmp-<pid>``) and swapped in with two renames only when everything was written;
a failure removes the staging folder and leaves the last good folder untouched.
:func:`recover_interrupted` undoes what a run killed between the two renames left behind.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.fileio import DIR_MODE, ensure_private_dir, file_hash


def fill_folder(out_dir: Path, fill: Callable[[Path], list[str]], *, keep_others: bool = False) -> list[str]:
    """Call ``fill(staging)`` (it returns the paths it wrote, relative to the folder) and swap the
    staging folder into ``out_dir``; with ``keep_others`` the entries of ``out_dir`` that
    ``fill`` did not write are carried over. Returns ``fill``'s paths."""
    ensure_private_dir(out_dir.parent)
    staging = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=DIR_MODE)
    try:
        written = fill(staging)
        if keep_others and out_dir.is_dir():
            _carry_over(out_dir, staging)
        _swap_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return written


def carried_over(old: Path, staging: Path) -> tuple[str, ...]:
    """The files :func:`fill_folder` with ``keep_others`` will carry from ``old`` into ``staging``
    as it stands now (relative paths): whole entries ``staging`` does not have yet."""
    if not old.is_dir():
        return ()
    files = []
    for entry in sorted(old.iterdir()):
        if (staging / entry.name).exists():
            continue
        inside = sorted(p for p in entry.rglob("*") if p.is_file()) if entry.is_dir() else [entry]
        files += [p.relative_to(old).as_posix() for p in inside]
    return tuple(files)


def _carry_over(old: Path, staging: Path) -> None:
    for entry in old.iterdir():
        if (staging / entry.name).exists():
            continue
        if entry.is_dir():
            shutil.copytree(entry, staging / entry.name)
        else:
            shutil.copy2(entry, staging / entry.name)


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` by ``staging`` with two renames; the old folder goes only after."""
    retired = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
    if out_dir.exists():
        os.replace(out_dir, retired)
    os.replace(staging, out_dir)
    shutil.rmtree(retired, ignore_errors=True)


def recover_interrupted(reports_dir: Path) -> None:
    """Undo what a killed run left in ``reports_dir`` (call under the workspace lock).

    A run killed between the two renames of a swap leaves the week's previous folder as
    ``.<week>.old-<pid>`` and no ``<week>``: put it back. Staging folders of killed runs
    (``.<week>.tmp-<pid>``) are half-written: remove them.
    """
    if not reports_dir.is_dir():
        return
    for leftover in sorted(reports_dir.glob(".*.old-*")):
        week = reports_dir / leftover.name[1:].rsplit(".old-", 1)[0]
        if week.exists():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            os.replace(leftover, week)
    for leftover in reports_dir.glob(".*.tmp-*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)


def file_stamp(path: Path) -> dict[str, Any]:
    """Size, modification time (ns) and SHA-256 of ``path``: what :func:`untouched` compares."""
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": file_hash(path)[0]}


def untouched(path: Path) -> bool:
    """Whether ``path`` is still exactly the file kith wrote: its folder's ``run.json`` holds
    its stamp and size, mtime and SHA-256 all match (a person who opened and saved it, or any
    other writer, makes it read again)."""
    path = Path(path)
    try:
        saved = json.loads((path.parent / "run.json").read_text(encoding="utf-8"))
        stamp = saved.get("written", {}).get(path.name)
        stat = path.stat()
    except (OSError, ValueError, AttributeError):
        return False
    if not isinstance(stamp, dict):
        return False
    if stamp.get("size") != stat.st_size or stamp.get("mtime_ns") != stat.st_mtime_ns:
        return False
    return stamp.get("sha256") == file_hash(path)[0]

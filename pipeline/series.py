"""Dated exports of one directory: the files an ``[[inputs]]`` glob matches that are the same
export made on other days are one source, and the newest replaces the one before it.

Files are one series when one ``[[inputs]]`` entry's glob matches them, they are read with the
same shape (importer, mapping, channel, tags, …), they start with the same header row, and their
names are the same once digits and punctuation are set aside (``members_2026-11-02.csv`` and
``members_2026-11-09.csv``; ``Connections.csv`` and ``Connections (1).csv``). Only a file never
seen before continues a series; newest means last modified, then last by name. See README
"Which files are new".
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from pathlib import Path

from pipeline.importing import FilePlan
from pipeline.store import SourceRow, Store

#: Bytes read for the header row; a header longer than this is no series.
HEAD_BYTES = 64 * 1024
_DELIMITERS = (",", ";", "\t", "|")
_BINARY_STARTS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


def series_of(path: Path) -> str | None:
    """A digest of the header row and the name without digits and punctuation; None for a file that
    has no delimited header row (a workbook, a vCard: a folder of those is many sources)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError:
        return None
    if head.startswith(_BINARY_STARTS):
        return None
    # UTF-16 exports: dropping the zero bytes leaves the ASCII header readable.
    text = head.replace(b"\x00", b"").decode("utf-8", errors="replace").lstrip("\ufeff\ufffe")
    lines = text.splitlines()
    whole = lines if len(head) < HEAD_BYTES else lines[:-1]  # the last line read may be cut short
    # blank rows above the header (",,,," from a spreadsheet) are not the header
    header = next((line for line in whole if re.search(r"\w", line)), None)
    if header is None or not any(d in header for d in _DELIMITERS):
        return None
    name = re.sub(r"[\W\d_]+", "", path.stem.casefold())
    cells = re.sub(r"[\s\"']+", "", header.casefold())
    return hashlib.sha256(f"{name}\x1f{cells}".encode()).hexdigest()[:16]


def follow_series(store: Store, plans: list[FilePlan], pattern: str) -> None:
    """Mark the plans of one ``[[inputs]]`` glob ``pattern``: the newest never-seen export of each
    series replaces the series' source (``newer``), older never-seen ones are ``superseded``."""
    groups: dict[tuple[str, str], list[FilePlan]] = {}
    for plan in plans:
        if plan.status in ("failed", "same content"):
            continue
        plan.series = series_of(plan.path)
        if plan.series is not None:
            groups.setdefault((plan.shape, plan.series), []).append(plan)
    for (shape, series), members in groups.items():
        fresh = sorted((p for p in members if p.status == "new"), key=_age)
        if not fresh:
            continue
        newest = fresh[-1]
        for older in fresh[:-1]:
            older.status, older.newer = "superseded", newest.path
        current = _series_source(store, store.key(pattern), shape, series)
        if current is None:
            continue
        source, latest = current
        if latest.is_file() and _age_of(latest) > _age(newest):
            newest.status, newest.newer = "superseded", latest  # an old export dropped in late
        else:
            newest.status, newest.source = "newer", source


def _series_source(store: Store, pattern: str, shape: str, series: str) -> tuple[SourceRow, Path] | None:
    """The source the series' last export went into, and the path that export was read from."""
    for source, seen in store.series_sources(shape, series):
        if fnmatch.fnmatch(seen, pattern):
            return source, store.root / seen  # an absolute seen path stays itself
    return None


def _age(plan: FilePlan) -> tuple[int, str]:
    return _age_of(plan.path)


def _age_of(path: Path) -> tuple[int, str]:
    try:
        return path.stat().st_mtime_ns, path.name
    except OSError:
        return 0, path.name

"""A copy of the people table beside the store, so a run reads a million people from one file.

Reading every person from SQLite costs seconds at 10^6 people (thirty columns, lists as JSON
text); an Arrow IPC file of the same frame reads in a fraction of that. On disk, beside the
store (``<store>.people/``): ``base-<generation>.arrow``, the people as :func:`pipeline.people.
load_people` read them (every column, in ``person_id`` order), uncompressed so that it is
memory-mapped when read: the frame's buffers are the file's pages, nothing is decoded or copied.

Which people it holds is said by the store, not the file. Every writer of the ``people`` table
calls :func:`note_people_written` in its own transaction; that keeps a *chain* in ``meta``:

* ``generations`` — a random token per write since the chain started (a full rewrite, or a
  write that did not say which people it touched, starts a new chain);
* ``ids`` — every person written (inserted, replaced or deleted) since the chain started;
* ``shape`` — the people table's ``count(*)`` and ``max(rowid)`` after the last write.

A base named after a generation in the chain is patched: the people in ``ids`` are dropped from
it and read again from SQLite (the ones still there), merged back in ``person_id`` order. A base
of any other generation, a chain whose shape is not the table's (a writer that did not call
:func:`note_people_written`), or a patch larger than :data:`MAX_PATCH_SHARE` of the people is
ignored: the people are read from SQLite and a new base is written (temporary name, then
renamed, so a killed run leaves the old one or the new one, never half of one). A writer that
rewrites every person (a whole resolve) writes the base from its own frame beside its inserts:
:func:`write_pending` to a name no read takes, then :func:`adopt` once its write is noted.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.fileio import atomic_write

log = logging.getLogger("kith.people")

#: The ``meta`` key of the chain of people writes (see the module docstring).
CHAIN_KEY = "people_changes"
#: Below this many people the SQLite read is quick: no file is written.
MIN_PEOPLE = 100_000
#: A patch of more than this share of the people reads everyone again (and writes a new base).
MAX_PATCH_SHARE = 0.02
#: The chain starts again past this many people or writes (its text lives in ``meta``).
MAX_CHAIN_IDS = 200_000
MAX_CHAIN_GENERATIONS = 100


@dataclass(frozen=True)
class Chain:
    """The people writes since a chain started (see the module docstring)."""

    generations: tuple[str, ...]
    ids: tuple[str, ...]
    shape: tuple[int, int]

    @property
    def current(self) -> str:
        return self.generations[-1]


def snapshot_dir(db_path: Path) -> Path:
    """Where the people snapshot of the store at ``db_path`` lives."""
    return db_path.with_name(db_path.name + ".people")


def _shape(conn: Any) -> tuple[int, int]:
    count, last = conn.execute("SELECT count(*), max(rowid) FROM people").fetchone()
    return int(count or 0), int(last or 0)


def _parse(text: str | None) -> Chain | None:
    try:
        data = json.loads(text) if text else None
        return Chain(tuple(data["generations"]), tuple(data["ids"]), tuple(data["shape"]))  # type: ignore[arg-type]
    except (ValueError, TypeError, KeyError):
        return None


def _stored_chain(conn: Any) -> Chain | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (CHAIN_KEY,)).fetchone()
    return _parse(row[0] if row else None)


def note_people_written(conn: Any, ids: Iterable[str] | None) -> None:
    """Record, in the writer's transaction ``conn``, that the people ``ids`` were written (``None``:
    any or every person, as a full rewrite does). Call it after the writes."""
    before = _stored_chain(conn)
    token = secrets.token_hex(8)
    shape = _shape(conn)
    if ids is None or before is None:
        chain = Chain((token,), (), shape)
    else:
        written = sorted({*before.ids, *(str(i) for i in ids)})
        chain = Chain((*before.generations, token), tuple(written), shape)
        if len(written) > MAX_CHAIN_IDS or len(chain.generations) > MAX_CHAIN_GENERATIONS:
            chain = Chain((token,), (), shape)
    value = json.dumps({"generations": chain.generations, "ids": chain.ids, "shape": chain.shape})
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (CHAIN_KEY, value),
    )


def current_chain(conn: Any) -> Chain | None:
    """The chain, when the people table is still as its last noted write left it; else None."""
    chain = _stored_chain(conn)
    return chain if chain is not None and chain.shape == _shape(conn) else None


def _base(folder: Path, chain: Chain) -> Path | None:
    for generation in reversed(chain.generations):
        path = folder / f"base-{generation}.arrow"
        if path.is_file():
            return path
    return None


def _open(path: Path, columns: Sequence[str]) -> pl.DataFrame:
    """The ``columns`` of the snapshot at ``path``, memory-mapped: the frame's buffers are the
    file's pages (read on first touch), not a copy of them."""
    import pyarrow as pa
    import pyarrow.ipc

    table = pyarrow.ipc.open_file(pa.memory_map(str(path))).read_all()
    return pl.from_arrow(table.select(list(columns)))  # type: ignore[return-value]


def read(
    db_path: Path,
    chain: Chain,
    columns: Sequence[str],
    rows_of: Callable[[list[str]], pl.DataFrame],
) -> pl.DataFrame | None:
    """The people (``columns``, ``person_id`` first) from the snapshot patched with the people
    written since it, ``rows_of(ids)`` reading those from the store; None when there is no usable
    snapshot."""
    path = _base(snapshot_dir(db_path), chain)
    if path is None:
        return None
    try:
        base = _open(path, columns)
    except Exception as exc:  # noqa: BLE001 - a damaged cache is read again from the store
        log.debug("people snapshot %s unreadable (%s): reading the store", path, exc)
        return None
    if path.name == f"base-{chain.current}.arrow":
        return base
    if len(chain.ids) > MAX_PATCH_SHARE * max(base.height, 1):
        return None
    again = rows_of(list(chain.ids)).select(base.columns).cast(base.schema).sort("person_id")
    return _patched(base, pl.Series("person_id", chain.ids, dtype=pl.String), again)


def _without(frame: pl.DataFrame, ids: pl.Series) -> pl.DataFrame:
    """``frame`` (sorted by ``person_id``) less the rows of ``ids``, as slices of it (no copy)."""
    keys, wanted = frame["person_id"], ids.sort()
    if keys.is_empty():
        return frame
    places = keys.search_sorted(wanted, side="left").cast(pl.Int64)
    inside = places.clip(upper_bound=len(keys) - 1)
    rows = places.filter((places < len(keys)) & (keys.gather(inside) == wanted)).to_list()
    parts, start = [], 0
    for row in rows:
        parts.append(frame.slice(start, row - start))
        start = row + 1
    parts.append(frame.slice(start))
    return pl.concat(parts, rechunk=False)


def _patched(base: pl.DataFrame, written: pl.Series, again: pl.DataFrame) -> pl.DataFrame:
    """``base`` less the people ``written``, plus their rows as they are now (``again``, sorted),
    in ``person_id`` order. Slices of ``base`` between the places the rows go, joined once:
    polars' ``merge_sorted`` compares row by row and took seconds over a million people."""
    kept = _without(base, written)
    places = kept["person_id"].search_sorted(again["person_id"], side="left").to_list()
    parts, start = [], 0
    for row, place in enumerate(places):
        parts += [kept.slice(start, place - start), again.slice(row, 1)]
        start = place
    parts.append(kept.slice(start))
    return pl.concat(parts, rechunk=False)


def save(db_path: Path, chain: Chain, people: pl.DataFrame) -> None:
    """Write ``people`` (every column, as read at ``chain``'s current generation) as the base, and
    remove older bases. A failure only costs the next run a read of the store (it is logged, not
    raised: the write may run beside the exporters, where nothing would see it)."""
    folder = snapshot_dir(db_path)
    path = folder / f"base-{chain.current}.arrow"
    try:
        with atomic_write(path, "wb") as handle:
            people.write_ipc(handle, compression="uncompressed")
    except Exception as exc:  # noqa: BLE001 - a full disk, a file where the folder goes: a cache
        log.warning("could not write the people snapshot %s: %s", path, exc)
        return
    _remove_others(path)


def write_pending(db_path: Path, people: pl.DataFrame) -> Path | None:
    """Write ``people`` (every column, as a read of the store would give them) to a file beside
    the bases that no read takes, for :func:`adopt` to name once the writer knows its generation:
    the write can run beside the writer's own transaction. None when it could not be written
    (logged, as :func:`save` does)."""
    path = snapshot_dir(db_path) / f".pending-{secrets.token_hex(8)}.arrow"
    try:
        with atomic_write(path, "wb") as handle:
            people.write_ipc(handle, compression="uncompressed")
    except Exception as exc:  # noqa: BLE001 - a cache: the next read of everyone writes one
        log.warning("could not write the people snapshot %s: %s", path, exc)
        return None
    return path


def adopt(db_path: Path, pending: Path, chain: Chain) -> None:
    """Make the file :func:`write_pending` wrote the base of ``chain``'s current generation, and
    remove older bases."""
    path = snapshot_dir(db_path) / f"base-{chain.current}.arrow"
    try:
        os.replace(pending, path)
    except OSError as exc:
        log.warning("could not write the people snapshot %s: %s", path, exc)
        discard(pending)
        return
    _remove_others(path)


def discard(pending: Path | None) -> None:
    """Remove a file :func:`write_pending` wrote that will not be adopted."""
    if pending is not None:
        with contextlib.suppress(OSError):
            pending.unlink(missing_ok=True)


def _remove_others(path: Path) -> None:
    for old in path.parent.glob("base-*.arrow"):
        if old != path:
            with contextlib.suppress(OSError):  # still mapped by a reader (Windows): next time
                old.unlink(missing_ok=True)

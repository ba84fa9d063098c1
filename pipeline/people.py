"""People: what reports and the journal work with — one row per human, after dedupe.

:func:`load_people` is the one way the rest of kith reads people. When dedupe has run it
reads the ``people`` table (merged fields, all emails and phones, the records behind each
person); before that, every record stands for its own person, so reports work from the
first import on.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor

import polars as pl

from pipeline import people_snapshot
from pipeline.schema import CANONICAL, LIST_STR, STR
from pipeline.store import RECORD_COLUMNS, Store

#: Canonical fields a person carries (merged by survivorship), in order.
PERSON_FIELDS = [
    name for name in CANONICAL if name not in {"record_id", "source", "source_file", "source_ref", "extra"}
]

#: The people frame: ``person_id``, the merged fields, then where they came from.
PEOPLE_COLUMNS: dict[str, pl.DataType] = {
    "person_id": STR,
    **{name: CANONICAL[name] for name in PERSON_FIELDS},
    "record_ids": LIST_STR,
    "sources": LIST_STR,
    "provenance": STR,  # JSON object: field -> record_id the merged value came from
}


def first_name(given: str | None, nickname: str | None, name: str) -> str:
    """What to call someone in a message: the name they go by (``nickname``, a directory's
    preferred name) before their formal given name, else the first word of ``name``."""
    for value in (nickname, given):
        if value and value.strip():
            return value.strip().split()[0] if value is given else value.strip()
    words = name.split()
    return words[0] if words and not name.startswith("(") else "there"


def identity_person_id(record_id: pl.Expr) -> pl.Expr:
    """The person id of a record that stands alone (before dedupe, or never matched)."""
    return pl.lit("p_") + record_id


def people_from_records(records: pl.DataFrame) -> pl.DataFrame:
    """Every record as its own person (no dedupe); the person columns ``records`` has (it needs
    ``record_id`` and ``source``)."""
    frame = records.with_columns(
        identity_person_id(pl.col("record_id")).alias("person_id"),
        pl.concat_list(pl.col("record_id")).alias("record_ids"),
        pl.concat_list(pl.col("source")).alias("sources"),
        pl.lit(None, STR).alias("provenance"),
    )
    return frame.select([pl.col(n).cast(t) for n, t in PEOPLE_COLUMNS.items() if n in frame.columns])


def has_people_table(store: Store) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'people'"
    return store.conn.execute(query).fetchone() is not None


def load_people(
    store: Store, columns: Sequence[str] | None = None, *, beside: Executor | None = None
) -> pl.DataFrame:
    """All people with :data:`PEOPLE_COLUMNS` (from dedupe when it has run, else one per record).

    With ``columns``, only ``person_id`` and those columns are read (in the same order of
    people), so a step that needs three columns of a million people does not read thirty.
    The whole frame is cached on the store until anything is written to it (by this
    connection or another process), so the readers of one run read a million people once.
    A million people are read from the snapshot beside the store when it still holds them
    (:mod:`pipeline.people_snapshot`). A new snapshot, when one is written, is written on
    ``beside`` (a :func:`pipeline.threads.helper_threads` pool) while the caller goes on, if given.
    """
    if columns is not None:
        wanted = list(dict.fromkeys(["person_id", *columns]))
        whole = _cached(store)
        return whole.select(wanted) if whole is not None else _read_people(store, wanted)
    cached = _cached(store)
    if cached is not None:
        return cached
    frame = _read_people(store, list(PEOPLE_COLUMNS), save=True, beside=beside)
    # The version after the read: a columnar read reopens the store's connection.
    store._people_cache = (_version(store), frame)  # type: ignore[attr-defined]
    return frame


def _version(store: Store) -> tuple[int, int, int]:
    return (
        id(store.conn),
        store.conn.total_changes,
        store.conn.execute("PRAGMA data_version").fetchone()[0],
    )


def _cached(store: Store) -> pl.DataFrame | None:
    cached = getattr(store, "_people_cache", None)
    return cached[1] if cached is not None and cached[0] == _version(store) else None


def _read_people(
    store: Store, columns: list[str], *, save: bool = False, beside: Executor | None = None
) -> pl.DataFrame:
    """``columns`` of every person: from the snapshot when it holds them, else from the store
    (and, with ``save`` and every column read, written as the next snapshot, on ``beside`` if given)."""
    schema = {n: PEOPLE_COLUMNS[n] for n in columns}
    if has_people_table(store):
        chain = people_snapshot.current_chain(store.conn)
        if chain is not None:
            rows_of = functools.partial(_rows_by_id, store, columns=columns)
            frame = people_snapshot.read(store.path, chain, columns, rows_of)
            if frame is not None:  # the casts are no-ops on a snapshot kith wrote
                return frame.select([pl.col(n).cast(t) for n, t in schema.items()])
        frame = store.scan("people", columns, schema, key="person_id")
        frame = frame.select([pl.col(n).cast(t) for n, t in schema.items()])
        if save and chain is not None and frame.height >= people_snapshot.MIN_PEOPLE:
            if beside is None:
                people_snapshot.save(store.path, chain, frame)
            else:  # a gigabyte and its fsync at 10^6 people, written while the exporters run
                beside.submit(people_snapshot.save, store.path, chain, frame)
        return frame
    needed = [c for c in ("record_id", "source", *columns) if c in RECORD_COLUMNS]
    records = store.scan("records", list(dict.fromkeys(needed)), RECORD_COLUMNS, key="rowid")
    return people_from_records(records).select(columns)


def people_rows(
    store: Store, person_ids: Iterable[str], columns: Sequence[str] | None = None
) -> pl.DataFrame:
    """The people among ``person_ids`` (any order; unknown ids are left out), looked up by key
    instead of reading everyone: what a step that names a few people (the journal's) needs."""
    wanted = list(dict.fromkeys(["person_id", *(columns or PEOPLE_COLUMNS)]))
    ids = sorted(set(person_ids))
    whole = _cached(store)
    if whole is not None:
        return whole.filter(pl.col("person_id").is_in(ids)).select(wanted)
    return _rows_by_id(store, ids, wanted)


def _rows_by_id(store: Store, ids: list[str], columns: list[str]) -> pl.DataFrame:
    """The people among ``ids`` read by key from the store (``person_id`` first)."""
    wanted = list(dict.fromkeys(["person_id", *columns]))
    schema = {n: PEOPLE_COLUMNS[n] for n in wanted}
    people = has_people_table(store)
    frames = []
    for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
        chunk = ids[start : start + 900]
        marks = ", ".join("?" * len(chunk))
        if people:
            sql = f"SELECT {', '.join(wanted)} FROM people WHERE person_id IN ({marks})"
            frames.append(store.query_frame(sql, tuple(chunk), schema))
        else:
            keys = tuple(i.removeprefix("p_") for i in chunk)
            sql = f"SELECT {', '.join(RECORD_COLUMNS)} FROM records WHERE record_id IN ({marks})"
            frames.append(people_from_records(store.query_frame(sql, keys, RECORD_COLUMNS)).select(wanted))
    if not frames:
        return pl.DataFrame(schema=schema)
    return pl.concat(frames).select([pl.col(n).cast(t) for n, t in schema.items()])


def person_of_records(store: Store) -> pl.DataFrame:
    """``record_id → person_id`` for every record (identity before dedupe)."""
    if has_people_table(store):
        people = load_people(store)
        return people.select("person_id", pl.col("record_ids").alias("record_id")).explode("record_id")
    return store.records().select("record_id", identity_person_id(pl.col("record_id")).alias("person_id"))

"""Dedupe's bulk store I/O through the ADBC driver gives exactly what the ``sqlite3`` path gives.

The same seeded store is resolved twice, once with every read and write through ``sqlite3`` and
once through ADBC's Arrow fetch and ingest (forced by lowering the row threshold): people, ids,
assignments and the review queue must be identical on the first run, after new records arrive
(the incremental write), and the unchanged re-run must be recognised from the ADBC run's stamp.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
from pathlib import Path

import polars as pl
import pytest

from bench.contacts_gen import generate
from pipeline.dedupe import storage
from pipeline.people import load_people
from pipeline.store import RECORD_COLUMNS, Store

pytest.importorskip("adbc_driver_sqlite")


def _add_source(store: Store, frame: pl.DataFrame, name: str) -> None:
    frame = frame.with_columns(
        [pl.lit(None, dtype=t).alias(c) for c, t in RECORD_COLUMNS.items() if c not in frame.columns]
    )
    store.replace_source(
        path=f"{name}.csv",
        importer=name,
        content_hash=f"hash-{name}-{frame.height}",
        size=frame.height,
        records=frame.select(list(RECORD_COLUMNS)),
        rejects=[],
        info={},
    )


def _state(store: Store) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    return (
        load_people(store).sort("person_id"),
        storage.load_assignments(store).sort("record_id"),
        storage.load_review_queue(store),
    )


@pytest.fixture(scope="module")
def seeded():
    records, _ = generate(2_400, seed=11)
    return records.head(2_300), records.tail(100).with_columns(source=pl.col("source") + "_new")


def _resolve(path: Path, threshold: int, monkeypatch) -> storage.DedupeRun:
    monkeypatch.setattr(storage, "ADBC_MIN_ROWS", threshold)
    monkeypatch.setattr(storage, "READ_SLICE", 500)  # the columnar run reads its records in slices
    with Store(path) as store:
        return storage.dedupe_store(store)


def _two_stores(tmp_path: Path, records: pl.DataFrame, one: str, other: str) -> tuple[Path, Path]:
    """Two stores holding ``records`` (a source per generator source): ``<one>/`` and a copy."""
    first, second = tmp_path / one / "kith.db", tmp_path / other / "kith.db"
    with Store(first) as store:
        for (source,), part in records.group_by("source", maintain_order=True):
            _add_source(store, part, source)
    second.parent.mkdir()
    shutil.copy(first, second)
    return first, second


def test_columnar_and_row_paths_write_the_same_people(tmp_path, seeded, monkeypatch):
    first, later = seeded
    rows_db, arrow_db = _two_stores(tmp_path, first, "rows", "arrow")

    ingested: list[str] = []
    real_ingest = storage._ArrowConn.ingest
    monkeypatch.setattr(
        storage._ArrowConn,
        "ingest",
        lambda self, table, frame: (ingested.append(table), real_ingest(self, table, frame)),
    )
    for step in ("first", "new records"):
        by_rows = _resolve(rows_db, 10**9, monkeypatch)
        by_arrow = _resolve(arrow_db, 0, monkeypatch)
        assert by_arrow.people == by_rows.people and by_arrow.review == by_rows.review, step
        with Store(rows_db) as a, Store(arrow_db) as b:
            for left, right in zip(_state(a), _state(b), strict=True):
                assert left.equals(right), step
            people = _state(b)[0]
            assert people.height == by_rows.people and (people["record_ids"].list.len() > 1).any()
            if step == "first":
                _add_source(a, later, "late")
                _add_source(b, later, "late")
    assert by_arrow.stats["settled_records"] == first.height  # the incremental path was taken
    # Both runs ingested people (the first run's in slices of READ_SLICE rows) and the queue.
    assert ingested.count("people") > 2 and ingested.count("review_queue") == 2
    # The stamp the ADBC run wrote is the one the next (sqlite3) check computes: nothing to do.
    again = _resolve(arrow_db, 0, monkeypatch)
    assert again.stats == {"unchanged": True} and again.people == by_rows.people


def test_work_beside_the_engine_writes_what_the_inline_run_writes(tmp_path, seeded, monkeypatch):
    """A first run hashes its fingerprints and orders its record ids on a helper thread while the
    engine runs, and encodes each next slice of people while SQLite ingests this one: the same
    tables as the run doing it all in turn."""
    first, _ = seeded
    inline_db, beside_db = _two_stores(tmp_path, first, "inline", "beside")
    hashed_on_main: list[bool] = []
    real = storage.fingerprints

    def fingerprints(records):
        hashed_on_main.append(threading.current_thread() is threading.main_thread())
        return real(records)

    monkeypatch.setattr(storage, "fingerprints", fingerprints)
    monkeypatch.setattr(storage, "THREADED_ROWS", 10**9)
    _resolve(inline_db, 0, monkeypatch)
    monkeypatch.setattr(storage, "THREADED_ROWS", 0)
    _resolve(beside_db, 0, monkeypatch)
    assert hashed_on_main == [True, False]
    with Store(inline_db) as a, Store(beside_db) as b:
        for left, right in zip(_state(a), _state(b), strict=True):
            assert left.height > 0 and left.equals(right)
        order = "SELECT record_id FROM assignments ORDER BY rowid"
        assert a.conn.execute(order).fetchall() == b.conn.execute(order).fetchall()


def test_records_read_in_slices_are_the_records_read_at_once(tmp_path, seeded, monkeypatch):
    first, _ = seeded
    with Store(tmp_path / "kith.db") as store:
        for (source,), part in first.group_by("source", maintain_order=True):
            _add_source(store, part, source)
        store.conn.execute("DELETE FROM records WHERE rowid % 7 = 3")  # gaps in the rowids
        store.conn.commit()
        at_once = storage.records_for_dedupe(store)
        monkeypatch.setattr(storage, "ADBC_MIN_ROWS", 0)
        readers: list[tuple[bool, object]] = []
        real_query = storage._query

        def query(*args, **kwargs):
            on_main = threading.current_thread() is threading.main_thread()
            readers.append((on_main, kwargs.get("conn")))
            return real_query(*args, **kwargs)

        monkeypatch.setattr(storage, "_query", query)
        # Uneven slices, and slices that end exactly at the last record (an empty slice after it).
        for size in (333, at_once.height):
            monkeypatch.setattr(storage, "READ_SLICE", size)
            with storage._columnar(store, store.count("records")):
                sliced = storage.records_for_dedupe(store)
            assert sliced.height == at_once.height > 1_900, size
            assert sliced.rechunk().equals(at_once), size
            if size == 333:
                # Each slice is read beside the copy of the last, on two connections (SQLite on two cores).
                assert len(readers) >= 5 and not any(on_main for on_main, _ in readers)
                assert len({id(conn) for _, conn in readers}) == 2
    assert sliced["emails"].list.len().sum() > 0 and sliced["class_year"].is_not_null().any()


def test_records_read_after_a_write_in_the_run_see_that_write(tmp_path, seeded, monkeypatch):
    """A second connection would read the store as committed: once the run's own transaction
    has changed anything, every slice is read on the run's connection."""
    first, _ = seeded
    monkeypatch.setattr(storage, "ADBC_MIN_ROWS", 0)
    monkeypatch.setattr(storage, "READ_SLICE", 333)
    with Store(tmp_path / "kith.db") as store:
        _add_source(store, first, "directory")
        with storage._columnar(store, store.count("records")), store.transaction() as conn:
            assert storage.records_for_dedupe(store).height == first.height
            conn.execute("DELETE FROM records WHERE rowid % 5 = 0")
            read = storage.records_for_dedupe(store)
            left = conn.execute("SELECT count(*) FROM records").fetchone()[0]
        assert read.height == left < first.height


def test_crash_inside_the_columnar_write_leaves_previous_people(tmp_path, seeded, monkeypatch):
    first, later = seeded
    path = tmp_path / "kith.db"
    with Store(path) as store:
        _add_source(store, first, "directory")
    _resolve(path, 0, monkeypatch)
    with Store(path) as store:
        before = _state(store)
        _add_source(store, later, "late")
    real = storage._insert_frame

    def crash(conn, table, frame):
        real(conn, table, frame)
        if table == "assignments":  # people already written inside the transaction
            raise OSError("disk full")

    monkeypatch.setattr(storage, "_insert_frame", crash)
    with pytest.raises(OSError, match="disk full"), Store(path) as store:
        storage.dedupe_store(store)
    with Store(path) as store:
        for old, now in zip(before, _state(store), strict=True):
            assert old.equals(now)
        assert store.conn.execute("SELECT count(*) FROM records").fetchone()[0] == first.height + later.height


def test_a_whole_resolve_writes_its_pages_once_and_a_crash_in_it_leaves_previous_people(
    tmp_path, seeded, monkeypatch
):
    """The first (and a full) columnar resolve rewrites every person through a rollback journal
    instead of the WAL; an incremental one keeps the WAL; a crash inside the whole write rolls
    back to the people before it, and the store is in WAL mode again."""
    first, later = seeded
    path = tmp_path / "kith.db"
    with Store(path) as store:
        _add_source(store, first, "directory")
    modes: list[str] = []
    real_once = storage._written_once

    @contextlib.contextmanager
    def recorded(cur):
        with real_once(cur):
            cur.execute("PRAGMA journal_mode")
            modes.append(cur.fetchone()[0])
            yield

    monkeypatch.setattr(storage, "_written_once", recorded)
    _resolve(path, 0, monkeypatch)
    assert modes == ["delete"]
    with Store(path) as store:
        _add_source(store, later, "late")
    _resolve(path, 0, monkeypatch)
    assert modes == ["delete"]  # the incremental write went through the WAL
    with Store(path) as store:
        before = _state(store)
    real = storage._insert_frame

    def crash(conn, table, frame):
        real(conn, table, frame)
        if table == "assignments":
            raise OSError("disk full")

    monkeypatch.setattr(storage, "_insert_frame", crash)
    with pytest.raises(OSError, match="disk full"), Store(path) as store:
        storage.dedupe_store(store, full=True)
    assert modes == ["delete", "delete"]
    with Store(path) as store:
        for old, now in zip(before, _state(store), strict=True):
            assert old.equals(now)
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

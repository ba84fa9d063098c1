"""The store: one transaction per import, idempotent re-imports, owner-only files."""

from __future__ import annotations

import stat

import polars as pl
import pytest

from pipeline.contracts import Reject
from pipeline.schema import conform
from pipeline.store import RECORD_COLUMNS, Store
from pipeline.testing import import_through_core, make_workspace
from tests.fixture_plugins import misbehaving

TWO_PEOPLE = [("misbehaving", misbehaving)]


def _records(n: int, duplicate_at: int | None = None) -> pl.DataFrame:
    ids = [f"r{i}" for i in range(n)]
    if duplicate_at is not None:
        ids[duplicate_at] = ids[0]
    frame = pl.DataFrame(
        {
            "record_id": ids,
            "source_ref": [f"row {i + 2}" for i in range(n)],
            "full_name": [f"Person {i}" for i in range(n)],
            "emails": [[f"p{i}@example.com"] for i in range(n)],
        }
    )
    return conform(frame, RECORD_COLUMNS)


@pytest.mark.parametrize("bulk_path", ["adbc", "sqlite3"])
def test_failure_halfway_through_a_write_leaves_the_store_as_it_was(tmp_path, monkeypatch, bulk_path):
    import pipeline.store

    monkeypatch.setattr(pipeline.store, "ADBC_MIN_ROWS", 20_000 if bulk_path == "adbc" else 10**9)
    with Store(tmp_path / "kith.db") as store:
        store.replace_source(
            path="/a.csv", importer="t", content_hash="h1", size=1, records=_records(10), rejects=[], info={}
        )
        # 60,000 rows: the first 50,000-row batch is written before the duplicate id fails the second.
        with pytest.raises(Exception, match="UNIQUE constraint failed: records.record_id"):
            store.replace_source(
                path="/a.csv",
                importer="t",
                content_hash="h2",
                size=1,
                records=_records(60_000, duplicate_at=55_000),
                rejects=[Reject("row 9", "bad")],
                info={},
            )
        assert store.count("records") == 10
        assert store.source_by_path("/a.csv").content_hash == "h1"
        assert store.count("rejects") == 0
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize("rows", [3, 25_000])
def test_records_round_trip_with_types(tmp_path, rows, monkeypatch):
    import pipeline.store

    monkeypatch.setattr(pipeline.store, "INGEST_SLICE_ROWS", 7_000)  # 25,000 rows: four slices, in order
    frame = _records(rows).with_columns(
        pl.lit("2024-03-15").str.to_date().alias("connected_on"),
        pl.lit(2006, pl.Int32).alias("class_year"),
        pl.lit(["alumni", "2026 search", "Zoë’s “list” — ☕"]).alias("tags"),
    )
    with Store(tmp_path / "kith.db") as store:
        store.replace_source(
            path="/a", importer="t", content_hash="h", size=1, records=frame, rejects=[], info={}
        )
        back = store.records()
    assert back.schema == frame.schema
    assert back.to_dicts() == frame.to_dicts()


def test_store_file_is_owner_only(tmp_path):
    Store(tmp_path / "kith.db").close()
    assert stat.S_IMODE((tmp_path / "kith.db").stat().st_mode) == 0o600


def test_reimport_of_the_same_file_is_a_no_op(tmp_path):
    ws = make_workspace(tmp_path, {"people.txt": "anything"})
    first = import_through_core(ws, "people.txt", importer="two_people", plugins=TWO_PEOPLE)
    second = import_through_core(ws, "people.txt", importer="two_people", plugins=TWO_PEOPLE)
    assert first.outcome.status == "imported" and second.outcome.status == "unchanged"
    assert second.records.height == 2
    with Store(ws.store_path) as store:
        assert store.count("records") == 2 and store.count("sources") == 1


def test_changed_file_replaces_its_records_and_keeps_ids(tmp_path):
    ws = make_workspace(tmp_path, {"people.txt": "version 1"})
    first = import_through_core(ws, "people.txt", importer="two_people", plugins=TWO_PEOPLE)
    (tmp_path / "people.txt").write_text("version 2")
    second = import_through_core(ws, "people.txt", importer="two_people", plugins=TWO_PEOPLE)
    assert second.outcome.status == "imported"
    assert sorted(first.records["record_id"]) == sorted(second.records["record_id"])
    with Store(ws.store_path) as store:
        assert store.count("records") == 2


def test_same_content_under_another_name_is_not_imported_twice(tmp_path):
    ws = make_workspace(tmp_path, {"a.txt": "same", "copy of a.txt": "same"})
    import_through_core(ws, "a.txt", importer="two_people", plugins=TWO_PEOPLE)
    again = import_through_core(ws, "copy of a.txt", importer="two_people", plugins=TWO_PEOPLE)
    assert again.outcome.status == "unchanged" and "already imported" in again.outcome.error
    with Store(ws.store_path) as store:
        assert store.count("records") == 2


def test_importer_raising_fails_that_file_with_the_plugin_name_and_stores_nothing(tmp_path):
    ws = make_workspace(tmp_path, {"x.csv": "a,b\n"})
    result = import_through_core(ws, "x.csv", importer="exploding", plugins=TWO_PEOPLE)
    assert result.outcome.status == "failed"
    assert "importer 'exploding' (plugin 'misbehaving')" in result.outcome.error
    assert "unexpected token at byte 812" in result.outcome.error
    with Store(ws.store_path) as store:
        assert store.count("records") == 0 and store.count("sources") == 0


@pytest.mark.parametrize(
    ("importer", "message"), [("wrong_column", "favourite_colour"), ("wrong_type", "list")]
)
def test_wrong_shapes_are_rejected_at_the_boundary(tmp_path, importer, message):
    ws = make_workspace(tmp_path, {"x.csv": "a,b\n"})
    result = import_through_core(ws, "x.csv", importer=importer, plugins=TWO_PEOPLE)
    assert result.outcome.status == "failed"
    assert message in result.outcome.error and repr(importer) in result.outcome.error


def test_record_ids_tell_identical_rows_apart_and_the_first_keeps_its_id():
    from pipeline.importing import record_ids

    once = record_ids(pl.DataFrame({"full_name": ["Ada Lovelace", "Grace Hopper"]}), "/a.csv", "t").to_list()
    twice = record_ids(
        pl.DataFrame({"full_name": ["Ada Lovelace", "Grace Hopper", "Ada Lovelace"]}), "/a.csv", "t"
    )
    assert twice.n_unique() == 3
    assert twice.to_list()[:2] == once  # a duplicate appearing later moves no existing id
    other_file = record_ids(pl.DataFrame({"full_name": ["Ada Lovelace"]}), "/b.csv", "t").to_list()
    assert other_file[0] != once[0]


def _indexes(store: Store) -> dict[str, int]:
    """Index name → unique, for the records table."""
    return {row[1]: row[2] for row in store.conn.execute("PRAGMA index_list(records)")}


def test_a_bulk_load_builds_the_record_indexes_after_the_rows(tmp_path, monkeypatch):
    """A big file into an empty table: the indexes are dropped and built once after the rows are
    in; a smaller file into the bigger table keeps them; unique ids are still enforced."""
    import pipeline.store

    monkeypatch.setattr(pipeline.store, "ADBC_MIN_ROWS", 20)
    rebuilt: list[list[str]] = []
    real = pipeline.store._droppable_indexes

    def droppable(*args):
        rebuilt.append(real(*args))
        return rebuilt[-1]

    monkeypatch.setattr(pipeline.store, "_droppable_indexes", droppable)
    with Store(tmp_path / "kith.db") as store:
        assert _indexes(store) == {"records_id": 1, "records_source": 0}
        store.replace_source(
            path="/a.csv", importer="t", content_hash="h", size=1, records=_records(50), rejects=[], info={}
        )
        smaller = _records(30).with_columns(pl.col("record_id") + "b")
        store.replace_source(
            path="/b.csv", importer="t", content_hash="h2", size=1, records=smaller, rejects=[], info={}
        )
        assert rebuilt == [["records_id", "records_source"], []]
        assert _indexes(store) == {"records_id": 1, "records_source": 0} and store.count("records") == 80
        with pytest.raises(Exception, match="UNIQUE constraint failed: records.record_id"):
            store.replace_source(
                path="/c.csv", importer="t", content_hash="h3", size=1, records=smaller, rejects=[], info={}
            )
        assert store.count("records") == 80


def test_a_store_with_the_old_primary_key_gets_no_second_index(tmp_path):
    """Stores made before keep ``record_id TEXT PRIMARY KEY`` (its index cannot be dropped): no
    records_id index is added beside it and bulk loads keep the indexes as they are."""
    import sqlite3

    from pipeline.store import _BASE_TABLES, _records_table_sql

    path = tmp_path / "kith.db"
    old = _records_table_sql().replace("record_id TEXT NOT NULL", "record_id TEXT PRIMARY KEY")
    with sqlite3.connect(path) as conn:
        conn.executescript(_BASE_TABLES + old)
    conn.close()
    with Store(path) as store:
        assert "records_id" not in _indexes(store)
        assert any(name.startswith("sqlite_autoindex_records") for name in _indexes(store))
        records = _records(25_000)
        store.replace_source(
            path="/a.csv", importer="t", content_hash="h", size=1, records=records, rejects=[], info={}
        )
        assert store.count("records") == 25_000 and "records_id" not in _indexes(store)

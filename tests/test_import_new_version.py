"""A source imported again writes only what changed: the directory an alumni office downloads
every week with a few hundred new members rewrites those rows, not a million.

Each record's ``fingerprint`` (a hash of its stored content) is kept in the records table. A new
version of a known source keeps the rows whose fingerprint is stored under their id already
(rowids too), writes the edited and new ones and deletes the ones it no longer has; the store
then holds exactly what importing the version into a fresh store holds. A version whose first
slice mostly changed (a store from before fingerprints, a new normalization) is written whole.
Dedupe compares the stored fingerprints with its assignments', so it reads only the changed
records; the fingerprint it computes from a stored record is the stored one (checked on the
shared real-world corpus too).
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

import pipeline.store
from pipeline.contracts import ImportOptions
from pipeline.dedupe import storage
from pipeline.importing import import_file
from pipeline.people import load_people
from pipeline.schema import CANONICAL
from pipeline.store import Store, encode_for_sql, fingerprint
from pipeline.testing import plugin_manager

ROWS = 120
HEADER = "Constituent ID,First,Last Name,Class Yr,E-mail Address,Cell,Employer,City/State"
REALWORLD = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "realworld"


def _row(i: int, employer: str = "Contoso Ltd") -> str:
    return (
        f'C{i},Ann{i},Lee{i % 9},{1980 + i % 30},ann{i}@example.com,206 555 {i:04d},{employer},"Seattle, WA"'
    )


def _write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _directory(path: Path) -> Path:
    return _write(path, [_row(i) for i in range(ROWS)])


def _next_week(path: Path, gone: int = ROWS - 1) -> Path:
    """Row 7's employer edited, row ``gone`` left out, two new members at the end."""
    rows = [_row(i, "Fabrikam Inc" if i == 7 else "Contoso Ltd") for i in range(ROWS) if i != gone]
    return _write(path, [*rows, _row(ROWS), _row(ROWS + 1)])


@pytest.fixture(autouse=True)
def bulk(monkeypatch):
    """The columnar write a directory-sized file takes, at the size of a test file."""
    monkeypatch.setattr(pipeline.store, "ADBC_MIN_ROWS", 10)
    monkeypatch.setattr(pipeline.store, "INGEST_SLICE_ROWS", 50)


def _import(db: Path, csv: Path) -> None:
    with Store(db) as store:
        outcome = import_file(
            store, plugin_manager(), csv, options=ImportOptions(region="US"), as_name="alumni"
        )
    assert outcome.status == "imported", outcome.error


def _rows(db: Path) -> dict[str, tuple]:
    """record_id → (rowid, fingerprint, the stored record without them)."""
    with Store(db) as store:
        cur = store.conn.execute("SELECT rowid, * FROM records")
        names = [d[0] for d in cur.description]
        found = {}
        for row in cur.fetchall():
            record = dict(zip(names, row, strict=True))
            rowid, print_ = record.pop("rowid"), record.pop("fingerprint")
            record.pop("source_id")
            found[record["record_id"]] = (rowid, print_, record)
    return found


def _contents(rows: dict[str, tuple]) -> dict[str, dict]:
    return {rid: record for rid, (_, _, record) in rows.items()}


def test_a_new_version_writes_only_its_changes(tmp_path):
    csv = _directory(tmp_path / "alumni.csv")
    db = tmp_path / "ws" / "kith.db"
    _import(db, csv)
    before = _rows(db)
    _import(db, _next_week(csv))
    after = _rows(db)
    fresh = tmp_path / "fresh" / "kith.db"
    _import(fresh, csv)  # the same version into a store that never saw the old one
    assert _contents(after) == _contents(_rows(fresh))
    assert len(after) == ROWS + 1
    top = max(rowid for rowid, _, _ in before.values())
    kept = [rid for rid in after if rid in before and after[rid][1] == before[rid][1]]
    assert len(kept) == ROWS - 2  # all but the edited and the gone member
    assert all(after[rid][0] == before[rid][0] for rid in kept)  # untouched rows were not rewritten
    written = sorted(after[rid][2]["organization"] for rid in after if after[rid][0] > top)
    assert written == ["Contoso Ltd", "Contoso Ltd", "Fabrikam Inc"]  # two new members, one edit
    assert {after[rid][2]["given_name"] for rid in after if after[rid][0] > top} == {
        "Ann7",
        "Ann120",
        "Ann121",
    }
    assert "Ann119" not in {record["given_name"] for _, _, record in after.values()}


def test_rows_whose_place_in_the_file_moved_keep_their_rows_with_the_new_place(tmp_path):
    """A member left out of the middle moves every later row up one: those rows are not written
    again, they get their new place (``row 101`` → ``row 100``) where they are."""
    csv = _directory(tmp_path / "alumni.csv")
    db = tmp_path / "ws" / "kith.db"
    _import(db, csv)
    before = _rows(db)
    _import(db, _next_week(csv, gone=100))
    after = _rows(db)
    top = max(rowid for rowid, _, _ in before.values())
    fresh = tmp_path / "fresh" / "kith.db"
    _import(fresh, csv)
    assert _contents(after) == _contents(_rows(fresh))
    written = {after[rid][2]["given_name"] for rid in after if after[rid][0] > top}
    assert written == {"Ann7", "Ann120", "Ann121"}  # the edit and the new ones only
    below = [
        rid
        for rid in after
        if rid in before and before[rid][2]["given_name"] in {f"Ann{i}" for i in range(101, ROWS)}
    ]
    assert len(below) == ROWS - 101
    assert all(after[rid][0] == before[rid][0] for rid in below)  # the same rows,
    assert all(after[rid][2]["source_ref"] != before[rid][2]["source_ref"] for rid in below)  # moved up


@pytest.fixture
def whole_writes(monkeypatch):
    """The heights of the versions written whole (every record ingested, indexes rebuilt)."""
    heights: list[int] = []
    real = pipeline.store._ingest_records

    def counted(cur, records, source_id):
        heights.append(records.height)
        return real(cur, records, source_id)

    monkeypatch.setattr(pipeline.store, "_ingest_records", counted)
    return heights


def test_a_version_that_changed_most_records_is_written_whole(tmp_path, whole_writes):
    csv = _directory(tmp_path / "alumni.csv")
    db = tmp_path / "ws" / "kith.db"
    _import(db, csv)
    _import(db, _next_week(csv))
    assert whole_writes == [ROWS]  # the first import; next week's was a diff
    _write(csv, [_row(i, "Woodgrove Bank") for i in range(ROWS)])
    _import(db, csv)
    assert whole_writes == [ROWS, ROWS]
    after = _rows(db)
    assert len(after) == ROWS
    assert {record["organization"] for _, _, record in after.values()} == {"Woodgrove Bank"}
    with Store(db) as store:
        indexes = {
            row[0] for row in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
    assert {"records_id", "records_source"} <= indexes


def test_a_store_from_before_fingerprints_is_written_whole_once(tmp_path, whole_writes):
    csv = _directory(tmp_path / "alumni.csv")
    db = tmp_path / "ws" / "kith.db"
    _import(db, csv)
    with Store(db) as store, store.transaction() as conn:
        conn.execute("UPDATE records SET fingerprint = NULL")  # as an older kith left it
    _import(db, _next_week(csv))
    assert whole_writes == [ROWS, ROWS + 1]
    after = _rows(db)
    assert all(print_ for _, print_, _ in after.values())
    top = max(rowid for rowid, _, _ in after.values())
    _write(csv, [*csv.read_text(encoding="utf-8").splitlines()[1:], _row(ROWS + 2)])
    _import(db, csv)
    again = _rows(db)
    assert [rid for rid in again if again[rid][0] > top] == [rid for rid in again if rid not in after]
    assert len(again) == len(after) + 1


@pytest.mark.parametrize("compare", ["sqlite", "polars"])
def test_dedupe_reads_only_the_changed_records_and_resolves_as_a_whole_run(tmp_path, monkeypatch, compare):
    if compare == "polars":  # the directory-sized comparison of fingerprints
        monkeypatch.setattr(storage, "COMPARE_IN_POLARS_ROWS", 0)
    csv, inc, whole = _resolved_twice(tmp_path)
    _next_week(csv)
    runs, read = {}, []
    for db in (inc, whole):
        with _imported_again(db, csv, whole) as store:
            if db == inc:
                runs[db] = _counting_reads(monkeypatch, store, read)
            else:
                runs[db] = storage.dedupe_store(store)
    assert max(read) < ROWS // 2  # the changed records and their partners' people, not the directory
    assert runs[inc].stats["incremental"] is True
    assert runs[inc].stats["examined_records"] == 3  # the edited member and the two new ones
    for db in (inc, whole):
        with Store(db) as store:
            stored = dict(store.conn.execute("SELECT record_id, fingerprint FROM records").fetchall())
            assigned = dict(store.conn.execute("SELECT record_id, fingerprint FROM assignments").fetchall())
        assert stored == assigned
    tables = []
    for db in (inc, whole):
        with Store(db) as store:
            tables.append(
                (storage.load_assignments(store).sort("record_id"), store.query_frame("SELECT * FROM people"))
            )
    assert tables[0][0].equals(tables[1][0])
    assert tables[0][1].sort("person_id").equals(tables[1][1].sort("person_id"))


@pytest.mark.parametrize("gone", [ROWS - 1, 50])
def test_a_member_left_out_and_nothing_else_is_gone_from_the_people(tmp_path, gone):
    """A week whose only change is a member who left the directory (at its end, or in the middle,
    moving the rows below): the member's person, assignment and review pairs go, as a whole run
    over the same records says."""
    csv, inc, whole = _resolved_twice(tmp_path)
    with Store(inc) as store:
        people_before = store.count("people")
    _write(csv, [_row(i) for i in range(ROWS) if i != gone])
    tables = []
    for db in (inc, whole):
        with _imported_again(db, csv, whole) as store:
            storage.dedupe_store(store)
            names = {n for (n,) in store.conn.execute("SELECT full_name FROM people").fetchall()}
            assert store.count("assignments") == store.count("records") == ROWS - 1
            assert store.count("people") == people_before - 1 and f"Ann{gone} Lee{gone % 9}" not in names
            tables.append(
                (storage.load_assignments(store).sort("record_id"), load_people(store).sort("person_id"))
            )
    assert tables[0][0].equals(tables[1][0]) and tables[0][1].equals(tables[1][1])


def test_a_store_resolved_with_places_in_its_fingerprints_is_upgraded_once(tmp_path):
    """Fingerprints used to hold each row's place: a store resolved then keeps its people settled —
    its assignments and records get today's fingerprints on the next resolve, and next week's run
    examines the changed members only."""
    csv = _directory(tmp_path / "alumni.csv")
    db = tmp_path / "ws" / "kith.db"
    _import(db, csv)
    with Store(db) as store:
        storage.dedupe_store(store)
        records = storage.records_for_dedupe(store)
        encoded = encode_for_sql(records.select(list(CANONICAL)))
        legacy = dict(zip(records["record_id"], fingerprint(encoded, with_place=True), strict=True))
        with store.transaction() as conn:  # as the kith before this one left it
            for table in ("records", "assignments"):
                conn.executemany(
                    f"UPDATE {table} SET fingerprint = ? WHERE record_id = ?",
                    [(f, r) for r, f in legacy.items()],
                )
            conn.execute("DELETE FROM meta WHERE key = ?", (storage.FINGERPRINTS_KEY,))
    _import(db, _next_week(csv))  # (a row whose place moved this very week is examined once more)
    with Store(db) as store:
        run = storage.dedupe_store(store)
        stored = dict(store.conn.execute("SELECT record_id, fingerprint FROM records").fetchall())
        assigned = dict(store.conn.execute("SELECT record_id, fingerprint FROM assignments").fetchall())
    assert run.stats["incremental"] is True and run.stats["examined_records"] == 3
    assert stored == assigned and not set(stored.values()) & set(legacy.values())


def _resolved_twice(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The directory imported and resolved, and a copy of that store: (csv, inc, whole)."""
    csv = _directory(tmp_path / "alumni.csv")
    inc = tmp_path / "inc" / "kith.db"
    _import(inc, csv)
    with Store(inc) as store:
        storage.dedupe_store(store)
    whole = tmp_path / "whole" / "kith.db"
    whole.parent.mkdir()
    shutil.copy(inc, whole)
    return csv, inc, whole


@contextlib.contextmanager
def _imported_again(db: Path, csv: Path, whole: Path) -> Iterator[Store]:
    """``csv`` imported into ``db`` again, its store open; ``whole``'s key index removed, so its
    next resolve reads every record."""
    _import(db, csv)
    with Store(db) as store:
        if db == whole:
            with store.transaction() as conn:
                store.set_meta(storage.INDEX_KEY, "", conn)
        yield store


def _counting_reads(monkeypatch, store: Store, read: list[int]) -> storage.DedupeRun:
    """``dedupe_store`` with the height of every records read it makes put in ``read``."""
    real = storage.records_for_dedupe

    def counted(*args, **kwargs):
        frame = real(*args, **kwargs)
        read.append(frame.height)
        return frame

    with monkeypatch.context() as patched:
        patched.setattr(storage, "records_for_dedupe", counted)
        return storage.dedupe_store(store)


@pytest.mark.skipif(not (REALWORLD / "expected.json").exists(), reason="no shared corpus here")
def test_dedupe_computes_the_stored_fingerprint_of_every_real_world_record(tmp_path):
    """Files other people's software wrote: the fingerprint dedupe computes from a stored record is
    the one stored with it, or every such record would be examined again on every run."""
    db = tmp_path / "ws" / "kith.db"
    cases = json.loads((REALWORLD / "expected.json").read_text(encoding="utf-8"))["files"]
    with Store(db) as store:
        for case in cases:
            path = REALWORLD / case["file"]
            import_file(store, plugin_manager(), path, options=ImportOptions(region="US"))
        records = storage.records_for_dedupe(store)
        stored = store.query_frame("SELECT record_id, fingerprint FROM records")
    assert records.height == sum(case["contacts"] for case in cases)  # every file's contacts
    computed = pl.DataFrame({"record_id": records["record_id"], "fingerprint": storage.fingerprints(records)})
    assert stored.null_count().row(0) == (0, 0)
    assert computed.sort("record_id").equals(stored.sort("record_id").cast(pl.String))

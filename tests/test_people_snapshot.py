"""The people snapshot beside the store (:mod:`pipeline.people_snapshot`) never shows stale people.

A few-hundred-person workspace (the stories' job search plus 300 generated LinkedIn connections;
invented people, example.com) is run with the snapshot on for any size. After every way people
change — a new input resolved incrementally, a journal contact, a merge, a split, a full dedupe, a
writer that does not note its write — the reports written from the snapshot are byte for byte the
ones written from a read of the store that bypasses it, and the frames are equal.
"""

from __future__ import annotations

import functools
import os
import shutil
import sqlite3
from pathlib import Path

import polars as pl
import pytest

from bench.batch import make_linkedin
from pipeline import people_snapshot
from pipeline.cli import build_app
from pipeline.people import PEOPLE_COLUMNS, load_people
from pipeline.store import Store
from pipeline.workspace import find_workspace
from tests.test_report_reads import _contents
from tests.test_stories import CONFIG, STORIES

app = build_app()
DAY = "2026-12-17"


@pytest.fixture
def ws(runner, tmp_path, monkeypatch) -> Path:
    """A run workspace whose people the snapshot holds (written for any size)."""
    monkeypatch.setattr(people_snapshot, "MIN_PEOPLE", 0)
    monkeypatch.setattr(people_snapshot, "MAX_PATCH_SHARE", 1.0)
    root = _workspace(runner, tmp_path / "ws", rows=300, seed=3)
    kith(runner, root, "run", "--as-of", DAY)
    return root


def _workspace(runner, root: Path, rows: int, seed: int) -> Path:
    """A new workspace over the story exports and a generated LinkedIn export of ``rows`` rows."""
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    for name in ("Connections.csv", "google_contacts.csv"):
        shutil.copy(STORIES / name, root / name)
    make_linkedin(root / "More.csv", rows, seed=seed)
    config = CONFIG + '\n[[inputs]]\npath = "More.csv"\nimporter = "linkedin"\n'
    (root / "kith.toml").write_text(config, encoding="utf-8")
    return root


def kith(runner, root: Path, *args: str) -> str:
    result = runner.invoke(app, ["-w", str(root), *args])
    assert result.exit_code in (0, 3), result.output
    return result.output


def _files(folder: Path) -> dict[str, object]:
    """Every file's bytes, a workbook's cells (its zip entries carry the time they were written;
    a calendar its DTSTAMP, so it is left out)."""
    found = _contents(folder)
    found.update({str(p.relative_to(folder)): p.read_bytes() for p in folder.glob("*.csv")})
    return found


def _fresh(store: Store) -> pl.DataFrame:
    """Every person straight from the ``people`` table (no cache, no snapshot)."""
    schema = dict(PEOPLE_COLUMNS)
    frame = store.query_frame(f"SELECT {', '.join(schema)} FROM people ORDER BY person_id", schema=schema)
    return frame.select([pl.col(n).cast(t) for n, t in schema.items()])


def assert_snapshot_is_current(
    runner, root: Path, tmp_path: Path, monkeypatch, *, used: bool = True, run_folder: Path | None = None
) -> None:
    """Reports and frames from the snapshot equal those read around it; ``used``: it was read.
    ``run_folder``: a week's folder ``kith run`` wrote, which must hold the same files too."""
    reads: list[bool] = []
    real = people_snapshot.read

    def counted(*args, **kwargs):
        got = real(*args, **kwargs)
        reads.append(got is not None)
        return got

    monkeypatch.setattr(people_snapshot, "read", counted)
    kith(runner, root, "report", "--as-of", DAY, "-o", str(tmp_path / "with"))
    assert set(reads) == {True} if used else True not in reads
    with Store(find_workspace(root).store_path) as store:
        whole = load_people(store)
        assert whole.equals(_fresh(store)) and whole.schema == _fresh(store).schema
        some = load_people(store, ["emails", "tags"])
        assert some.equals(_fresh(store).select(some.columns))
    monkeypatch.setattr(people_snapshot, "read", lambda *a, **k: None)
    kith(runner, root, "report", "--as-of", DAY, "-o", str(tmp_path / "without"))
    monkeypatch.setattr(people_snapshot, "read", real)
    with_snapshot, without = _files(tmp_path / "with"), _files(tmp_path / "without")
    assert "contacts.csv" in with_snapshot and with_snapshot == without
    if run_folder is not None:  # the weekly page tells what the run did, so it is not compared
        written = {k: v for k, v in _files(run_folder).items() if k != "index.html"}
        assert "contacts.csv" in written and written == {k: without[k] for k in written}
    shutil.rmtree(tmp_path / "with")
    shutil.rmtree(tmp_path / "without")


def _bases(root: Path) -> list[str]:
    folder = people_snapshot.snapshot_dir(find_workspace(root).store_path)
    return sorted(p.name for p in folder.glob("base-*.arrow"))


def test_the_run_writes_a_snapshot_the_reports_read(runner, ws, tmp_path, monkeypatch):
    assert len(_bases(ws)) == 1
    folder = people_snapshot.snapshot_dir(find_workspace(ws).store_path)
    if os.name == "posix":  # people's data: owner-only, like the store
        assert folder.stat().st_mode & 0o777 == 0o700
        assert (folder / _bases(ws)[0]).stat().st_mode & 0o777 == 0o600
    assert_snapshot_is_current(runner, ws, tmp_path, monkeypatch)


def test_people_changed_by_a_run_a_log_a_merge_a_split_and_a_dedupe_are_read_again(
    runner, ws, tmp_path, monkeypatch
):
    base = _bases(ws)
    # a new input: the incremental resolve writes the new and touched people, noted in the chain
    make_linkedin(ws / "Newer.csv", 40, seed=8)
    with (ws / "kith.toml").open("a", encoding="utf-8") as config:
        config.write('\n[[inputs]]\npath = "Newer.csv"\nimporter = "linkedin"\n')
    kith(runner, ws, "run", "--as-of", DAY)
    assert _bases(ws) == base  # not rewritten: patched on every read
    assert_snapshot_is_current(runner, ws, tmp_path, monkeypatch, run_folder=ws / "reports" / "2026-W51")
    # a journal contact nobody imported becomes a person of its own
    kith(runner, ws, "log", "met", "Quentin Zephyrine", "--date", "2026-12-10", "--new")
    assert_snapshot_is_current(runner, ws, tmp_path, monkeypatch)
    with Store(find_workspace(ws).store_path) as store:
        people = _fresh(store)
    assert "Quentin Zephyrine" in people["full_name"].to_list()
    singles = people.filter(pl.col("record_ids").list.len() == 1)["person_id"]
    kith(runner, ws, "merge", singles[0], singles[1])
    assert_snapshot_is_current(runner, ws, tmp_path, monkeypatch)
    with Store(find_workspace(ws).store_path) as store:
        merged = _fresh(store).filter(pl.col("record_ids").list.len() > 1)["person_id"]
    kith(runner, ws, "split", merged[0])
    assert_snapshot_is_current(runner, ws, tmp_path, monkeypatch)
    kith(runner, ws, "dedupe", "--full")  # a full rewrite starts a new chain and writes its base
    assert _bases(ws) != base and len(_bases(ws)) == 1
    assert_snapshot_is_current(runner, ws, tmp_path, monkeypatch)


def test_a_write_that_does_not_note_itself_is_never_hidden_by_the_snapshot(runner, ws, tmp_path, monkeypatch):
    path = find_workspace(ws).store_path
    with sqlite3.connect(path) as conn:
        columns = list(PEOPLE_COLUMNS)
        row = ["p_zz_unnoted", "Ursula Unnoted", *[None] * (len(columns) - 2)]
        conn.execute(
            f"INSERT INTO people ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", row
        )
    assert_snapshot_is_current(runner, ws, tmp_path, monkeypatch, used=False)
    with Store(path) as store:
        assert "p_zz_unnoted" in load_people(store)["person_id"].to_list()


def test_a_damaged_or_half_written_snapshot_is_not_read(runner, ws, tmp_path, monkeypatch):
    folder = people_snapshot.snapshot_dir(find_workspace(ws).store_path)
    (base,) = folder.glob("base-*.arrow")
    base.write_bytes(base.read_bytes()[:100])  # cut short
    (folder / ".base-0123.arrow.abc.tmp").write_bytes(b"half")  # what a killed writer leaves
    assert_snapshot_is_current(runner, ws, tmp_path, monkeypatch, used=False)


def test_a_patch_drops_the_written_people_and_places_their_rows_in_order():
    base = pl.DataFrame({"person_id": ["p_b", "p_d", "p_f", "p_h"], "full_name": ["B", "D", "F", "H"]})
    # p_b changed, p_h merged away, p_a / p_e / p_z new, p_q written and gone before this read
    written = pl.Series("person_id", ["p_h", "p_b", "p_a", "p_e", "p_z", "p_q"])
    again = pl.DataFrame({"person_id": ["p_a", "p_b", "p_e", "p_z"], "full_name": ["A", "B2", "E", "Z"]})
    patched = people_snapshot._patched(base, written, again)
    assert patched.rows() == [
        ("p_a", "A"),
        ("p_b", "B2"),
        ("p_d", "D"),
        ("p_e", "E"),
        ("p_f", "F"),
        ("p_z", "Z"),
    ]
    assert people_snapshot._patched(base.clear(), written, again).equals(again)


def test_a_snapshot_that_cannot_be_written_costs_only_the_next_read(runner, ws, tmp_path, monkeypatch):
    folder = people_snapshot.snapshot_dir(find_workspace(ws).store_path)
    shutil.rmtree(folder)
    folder.write_text("a file where the snapshot folder goes", encoding="utf-8")
    assert_snapshot_is_current(runner, ws, tmp_path, monkeypatch, used=False)
    assert folder.is_file()


def test_the_reports_stage_writes_a_new_snapshot_beside_the_exporters(runner, ws, monkeypatch):
    """The first read of everyone writes the base on a helper thread while the exporters go on;
    the stage waits for it, so the base is whole when the run ends."""
    import threading

    for base in people_snapshot.snapshot_dir(find_workspace(ws).store_path).glob("base-*.arrow"):
        base.unlink()
    real, threads = people_snapshot.save, []

    def recorded(*args, **kwargs):
        threads.append(threading.current_thread() is threading.main_thread())
        real(*args, **kwargs)

    monkeypatch.setattr(people_snapshot, "save", recorded)
    kith(runner, ws, "report", "--as-of", DAY)
    assert threads == [False] and len(_bases(ws)) == 1
    with Store(find_workspace(ws).store_path) as store:  # outside a run: written in place
        store._people_cache = None
        for base in people_snapshot.snapshot_dir(store.path).glob("base-*.arrow"):
            base.unlink()
        load_people(store)
    assert threads == [False, True] and len(_bases(ws)) == 1


def _current_base(store: Store) -> pl.DataFrame:
    chain = people_snapshot.current_chain(store.conn)
    assert chain is not None
    path = people_snapshot.snapshot_dir(store.path) / f"base-{chain.current}.arrow"
    assert path.is_file(), "the resolve wrote no snapshot of the people it wrote"
    return people_snapshot._open(path, list(PEOPLE_COLUMNS))


def test_a_full_resolve_writes_the_snapshot_of_the_people_it_wrote(runner, ws, monkeypatch):
    """A full resolve saves the frame it wrote as the base, equal column for column to the table
    read back (lists, dates, provenance text, order), so nothing reads the people back after it."""
    for base in people_snapshot.snapshot_dir(find_workspace(ws).store_path).glob("base-*.arrow"):
        base.unlink()
    kith(runner, ws, "dedupe", "--full")
    with Store(find_workspace(ws).store_path) as store:
        base, fresh = _current_base(store), _fresh(store)
        assert base.height == fresh.height > 300
        assert base.schema == fresh.schema
        for name in fresh.columns:
            assert base[name].equals(fresh[name]), name


def test_the_first_run_reports_read_the_snapshot_the_resolve_wrote(runner, tmp_path, monkeypatch):
    """The first ``kith run`` reads no person back from the table: its reports stage maps the
    resolve's snapshot, and writes none of its own."""
    monkeypatch.setattr(people_snapshot, "MIN_PEOPLE", 0)
    root = _workspace(runner, tmp_path / "first", rows=200, seed=5)
    scans: list[str] = []
    real_scan = Store.scan

    def counted(self, table, *args, **kwargs):
        scans.append(table)
        return real_scan(self, table, *args, **kwargs)

    monkeypatch.setattr(Store, "scan", counted)
    saved: list[str] = []
    for name in ("save", "write_pending"):
        real = getattr(people_snapshot, name)
        monkeypatch.setattr(people_snapshot, name, functools.partial(_called, saved, name, real))
    kith(runner, root, "run", "--as-of", DAY)
    assert "people" not in scans and saved == ["write_pending"]
    assert [
        p.name for p in people_snapshot.snapshot_dir(find_workspace(root).store_path).iterdir()
    ] == _bases(root)
    with Store(find_workspace(root).store_path) as store:
        assert _current_base(store).equals(_fresh(store))


def _called(log: list[str], name: str, real, *args, **kwargs):
    log.append(name)
    return real(*args, **kwargs)


def test_a_resolve_that_fails_after_the_snapshot_was_written_leaves_no_file(runner, ws, monkeypatch):
    """The snapshot is written beside the inserts; an insert that fails takes it away, and the
    base the store's chain names is still the one read."""
    from pipeline.dedupe import storage

    folder = people_snapshot.snapshot_dir(find_workspace(ws).store_path)
    before = sorted(p.name for p in folder.iterdir())
    real = storage._insert_frame

    def failing(conn, table, frame):
        if table == "assignments":
            raise OSError("disk on fire")
        return real(conn, table, frame)

    monkeypatch.setattr(storage, "_insert_frame", failing)
    result = runner.invoke(app, ["-w", str(ws), "dedupe", "--full"])
    assert result.exit_code != 0
    assert sorted(p.name for p in folder.iterdir()) == before

"""A large file with a source key on every row is normalized a slice at a time while the store
writes the slice before: the records, their ids and row order, the rejects and the warnings are
those of the whole file normalized at once, and a slice that fails rolls the whole write back."""

from __future__ import annotations

import polars as pl
import pytest

import pipeline.importing
import pipeline.store
from pipeline.contracts import ImportOptions
from pipeline.importing import import_file
from pipeline.store import Store
from pipeline.testing import plugin_manager

ROWS = 230


def _alumni_csv(path) -> None:
    """Alumni rows with what normalization keeps aside (invalid e-mails, a control character,
    shouted names, unreadable phones) spread over the slices, and source ids repeated across
    slice boundaries (their records are told apart by order of appearance)."""
    lines = ["Constituent ID,First,Last Name,Class Yr,E-mail Address,Cell,Employer,Notes"]
    for i in range(ROWS):
        cid = f"C{i % 150}" if i % 7 else f"C{i}"  # rows 150.. repeat ids first seen in earlier slices
        first, last = ("MARIA", "GONZALEZ") if i % 11 == 0 else (f"Ann{i}", "Lee")
        email = f"ann..{i}@example.com" if i % 13 == 0 else f"ann{i}@example.com"
        phone = f"+1 206 555 {i:04d} 999" if i % 17 == 0 else f"206 555 {i:04d}"
        notes = "tab\x07bell" if i % 50 == 1 else ""
        year = "'87" if i % 5 == 0 else "1990"
        lines.append(f"{cid},{first},{last},{year},{email},{phone},Contoso,{notes}")
    lines.append("Total,,,,,,,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _import(tmp_path, name: str) -> tuple[list[tuple], list[tuple], list[tuple[str, str]]]:
    csv = tmp_path / "alumni.csv"
    if not csv.exists():
        _alumni_csv(csv)
    with Store(tmp_path / f"{name}.db") as store:
        outcome = import_file(
            store, plugin_manager(), csv, options=ImportOptions(region="US"), as_name="alumni"
        )
        assert outcome.status == "imported", outcome.error
        records = store.conn.execute("SELECT rowid, * FROM records ORDER BY rowid").fetchall()
        rejects = store.conn.execute("SELECT rowid, * FROM rejects ORDER BY rowid").fetchall()
    return records, rejects, outcome.warnings


@pytest.fixture
def normalize_calls(monkeypatch):
    """How many frames normalization was called on."""
    calls: list[int] = []
    real = pipeline.importing.normalize_records

    def counted(frame, **kwargs):
        calls.append(frame.height)
        return real(frame, **kwargs)

    monkeypatch.setattr(pipeline.importing, "normalize_records", counted)
    return calls


@pytest.mark.parametrize("bulk", [False, True], ids=["sqlite3", "adbc-threads"])
def test_slices_store_what_the_whole_file_stores(tmp_path, monkeypatch, normalize_calls, bulk):
    whole = _import(tmp_path, "whole")
    assert normalize_calls == [ROWS]
    monkeypatch.setattr(pipeline.importing, "NORMALIZE_SLICE_ROWS", 60)
    if bulk:  # the ADBC ingest with the next slice made on a helper thread
        monkeypatch.setattr(pipeline.store, "ADBC_MIN_ROWS", 10)
        monkeypatch.setattr(pipeline.store, "THREADED_ROWS", 10)
    normalize_calls.clear()
    sliced = _import(tmp_path, "sliced")
    assert normalize_calls == [30, 60, 60, 60, 20]  # half a slice first
    records, rejects, warnings = sliced
    assert len(records) == ROWS and records[0][0] == 1
    assert records == whole[0]
    assert rejects == whole[1] and len(rejects) == 0
    assert warnings == whole[2]
    assert any("invalid email" in message for _ref, message in warnings)
    assert any("control characters" in message for _ref, message in warnings)
    assert any("phone number not understood" in message for _ref, message in warnings)


def test_a_file_with_rows_without_a_source_key_is_normalized_whole(tmp_path, monkeypatch, normalize_calls):
    csv = tmp_path / "alumni.csv"
    _alumni_csv(csv)
    text = csv.read_text(encoding="utf-8").replace("\nC3,", "\n,", 1)  # one row without an id
    csv.write_text(text, encoding="utf-8")
    monkeypatch.setattr(pipeline.importing, "NORMALIZE_SLICE_ROWS", 60)
    records, _rejects, _warnings = _import(tmp_path, "fingerprints")
    assert normalize_calls == [ROWS]
    assert len(records) == ROWS


@pytest.mark.parametrize("bulk", [False, True], ids=["sqlite3", "adbc-threads"])
def test_a_slice_that_fails_rolls_the_whole_write_back(tmp_path, monkeypatch, bulk):
    monkeypatch.setattr(pipeline.importing, "NORMALIZE_SLICE_ROWS", 60)
    if bulk:
        monkeypatch.setattr(pipeline.store, "ADBC_MIN_ROWS", 10)
        monkeypatch.setattr(pipeline.store, "THREADED_ROWS", 10)
    real = pipeline.importing.normalize_records
    calls: list[int] = []

    def third_fails(frame, **kwargs):
        calls.append(frame.height)
        if len(calls) == 3:
            raise pipeline.importing.SchemaError("a slice went wrong")
        return real(frame, **kwargs)

    monkeypatch.setattr(pipeline.importing, "normalize_records", third_fails)
    csv = tmp_path / "alumni.csv"
    _alumni_csv(csv)
    with Store(tmp_path / "kith.db") as store:
        outcome = import_file(store, plugin_manager(), csv, as_name="alumni")
        assert outcome.status == "failed" and "a slice went wrong" in str(outcome.error)
        assert store.count("records") == 0 and store.count("sources") == 0
    assert len(calls) == 3


def test_occurrences_number_repeated_keys_in_order():
    from pipeline.importing import _occurrences

    keys = pl.Series(["k:a", "k:b", "k:a", "k:c", "k:a", "k:b"])
    assert _occurrences(keys).to_list() == [0, 0, 1, 0, 2, 1]
    assert _occurrences(pl.Series(["k:a", "k:b"])).to_list() == [0, 0]

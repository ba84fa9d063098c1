"""The import's shortcuts give what the general path gives: record ids built from the fingerprint
only where a row has no id of its own, the line-count proof that no cell spans lines."""

from __future__ import annotations

import hashlib

import polars as pl

from pipeline import tabular
from pipeline.importing import record_ids


def _expected(key: str, n: int) -> str:
    return hashlib.sha256(f"alumni\x1f/w/a.csv\x1f{key}\x1f{n}".encode()).hexdigest()[:20]


def test_record_ids_mix_rows_with_and_without_a_source_key():
    frame = pl.DataFrame(
        {
            "source_key": ["A1", None, None, "A1", None],
            "full_name": ["Ann Lee", "Bo Ng", "Bo Ng", "Ann Lee", None],
            "emails": [["ann@example.com"], ["bo@example.com"], ["bo@example.com"], [], None],
        }
    )
    ids = record_ids(frame, "/w/a.csv", "alumni").to_list()
    assert ids == [
        _expected("k:A1", 0),
        _expected("f:Bo Ng\x1fbo@example.com", 0),
        _expected("f:Bo Ng\x1fbo@example.com", 1),
        _expected("k:A1", 1),
        _expected("f:\x1f", 0),
    ]


def test_record_ids_without_any_source_key_are_fingerprints():
    frame = pl.DataFrame({"full_name": ["Cy Oh"], "emails": [["cy@example.com", "c2@example.com"]]})
    assert record_ids(frame, "/w/a.csv", "alumni").to_list() == [
        _expected("f:Cy Oh\x1fcy@example.com,c2@example.com", 0)
    ]


def _read(path):
    head = tabular.sniff_delimited(path)
    return head, tabular.read_delimited(path, head, stray=[])


def test_one_line_per_row_is_proved_by_counting_lines(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text('Name,Email\nAnn Lee,ann@example.com\n\n"Lee, Bo",bo@example.com\n', encoding="utf-8")
    head, frame = _read(path)
    assert frame.height == 4
    assert tabular._one_line_each(path, head, 0, frame.height)
    path.write_text("Name,Email\nAnn Lee,ann@example.com", encoding="utf-8")  # no final newline
    head, frame = _read(path)
    assert tabular._one_line_each(path, head, 0, frame.height)


def test_a_cell_spanning_lines_is_not_taken_for_one_line_per_row(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text('Name,Notes\nAnn Lee,"met at\nthe fair"\nBo Ng,\n', encoding="utf-8")
    head, frame = _read(path)
    assert frame.height == 3
    assert frame["column_1"][1] == "met at\nthe fair"
    assert not tabular._one_line_each(path, head, 0, frame.height)


def test_alumni_extra_skips_members_empty_in_every_row(tmp_path):
    from pipeline.contracts import ImportOptions
    from plugins.alumni import AlumniImporter

    path = tmp_path / "alumni.csv"
    path.write_text(
        "First,Last Name,Email,Cell,Favourite Color,Shoe Size\n"
        "Ann,Lee,ann@example.com,206 555 0100,,\n"
        'Bo,Ng,Home,206 555 0101,"teal ""dark""",\n',
        encoding="utf-8",
    )
    extra = AlumniImporter().read(path, ImportOptions()).records["extra"].to_list()
    assert extra == [None, '{"Email":"Home","Favourite Color":"teal \\"dark\\""}']


def test_inline_helper_threads_run_each_call_in_the_calling_thread():
    import threading

    import pytest

    from pipeline.threads import helper_threads

    def fail():
        raise ValueError("bad row")

    with helper_threads(inline=True) as pool:
        where = pool.submit(lambda: threading.current_thread().name)
        failed = pool.submit(fail)
    assert where.result() == threading.current_thread().name
    with pytest.raises(ValueError, match="bad row"):
        failed.result()


def test_a_bulk_write_leaves_columns_null_in_every_row_to_sqlite(tmp_path, monkeypatch):
    import pipeline.store
    from pipeline.schema import conform
    from pipeline.store import RECORD_COLUMNS, Store

    monkeypatch.setattr(pipeline.store, "ADBC_MIN_ROWS", 100)
    monkeypatch.setattr(pipeline.store, "INGEST_SLICE_ROWS", 150)  # several slices, encoded ahead
    n = 400
    frame = pl.DataFrame(
        {
            "record_id": [f"r{i}" for i in range(n)],
            "full_name": [f"Ann Lee {i}" for i in range(n)],
            "emails": [[f"a{i}@example.com"] if i % 2 else [] for i in range(n)],
            "notes": [None] * (n - 1) + ["met at the fair"],
        }
    )
    with Store(tmp_path / "kith.db") as store:
        store.replace_source(
            path="/a.csv",
            importer="t",
            content_hash="h",
            size=1,
            records=conform(frame, RECORD_COLUMNS),
            rejects=[],
            info={},
        )
        rows = store.conn.execute(
            "SELECT record_id, full_name, emails, notes, typeof(street), typeof(birthday) "
            "FROM records ORDER BY rowid"
        ).fetchall()
    assert len(rows) == n
    assert rows[0] == ("r0", "Ann Lee 0", "[]", None, "null", "null")
    assert rows[1] == ("r1", "Ann Lee 1", '["a1@example.com"]', None, "null", "null")
    assert rows[-1] == ("r399", "Ann Lee 399", '["a399@example.com"]', "met at the fair", "null", "null")

"""Small hostile files that used to cost gigabytes or crash natively (issue 21), generated here.

Blank-line padding, far cells addressed every way calamine accepts, a card with 190,000
e-mail addresses, zips with a million entries, a stray quote that folded rows together.
Every case must end in records, rejects with their place, or one clear error.
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from pathlib import Path

import polars as pl
import pytest

from pipeline import registry
from pipeline.contracts import ImportOptions

FIXTURES = Path(__file__).parent / "fixtures"
NEWLINES = 2_000_000


def _read(pm, name: str, path: Path):
    started = time.perf_counter()
    result = registry.importers(pm)[name].read(path, ImportOptions())
    return result, time.perf_counter() - started


def _head(fixture: str, lines: int) -> list[bytes]:
    return (FIXTURES / fixture).read_bytes().split(b"\n")[:lines]


def _records(fixture: str, count: int) -> list[bytes]:
    """The first ``count`` records of a fixture, each re-written as one CSV line (notes may span lines)."""
    data = (FIXTURES / fixture).read_bytes()
    encoding = "utf-8-sig" if not data.startswith(b"\xff\xfe") else "utf-16"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        encoding, text = "cp1252", data.decode("cp1252")
    rows = list(csv.reader(io.StringIO(text)))[:count]
    out = []
    for row in rows:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow([cell.replace("\n", " ") for cell in row])
        out.append(buffer.getvalue().encode(encoding if encoding != "utf-8-sig" else "utf-8"))
    return out


# --- blank lines ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("importer", "fixture"),
    [
        ("google_csv", "google/contacts.csv"),
        ("outlook_csv", "outlook/contacts.csv"),
        ("thunderbird_csv", "thunderbird/contacts.csv"),
    ],
)
def test_address_books_skip_millions_of_blank_lines_cheaply(pm, tmp_path, importer, fixture):
    header, first, second = _records(fixture, 3)
    path = tmp_path / "contacts.csv"
    path.write_bytes(header + b"\n" + first + b"\n" + b"\n" * NEWLINES + second + b"\n" + b"\r\n" * NEWLINES)
    result, seconds = _read(pm, importer, path)
    # Row numbers count the blank lines, as a spreadsheet would show them.
    assert result.records["source_ref"].to_list() == ["row 2", f"row {NEWLINES + 3}"]
    assert seconds < 10
    plain = tmp_path / "plain.csv"
    plain.write_bytes(header + b"\n" + first + b"\n" + second + b"\n")
    expected, _ = _read(pm, importer, plain)
    assert result.records.drop("source_ref").equals(expected.records.drop("source_ref"))


def test_blank_lines_inside_a_quoted_note_are_kept(pm, tmp_path):
    header = b"First Name,Last Name,Notes,E-mail 1 - Value"
    note = b'"met at the fair' + b"\n" * 30_000 + b'see you"'
    rows = [
        header,
        b"Ana,Lima,hi,ana@example.com",
        b"Bo,Ek," + note + b",bo@example.com",
        b"Cy,Do,,cy@example.com",
    ]
    path = tmp_path / "google.csv"
    path.write_bytes(b"\n".join(rows) + b"\n" * 20_000)
    result, _ = _read(pm, "google_csv", path)
    frame = result.records
    assert frame["given_name"].to_list() == ["Ana", "Bo", "Cy"]
    assert frame.filter(pl.col("given_name") == "Bo")["notes"].item() == (
        "met at the fair" + "\n" * 30_000 + "see you"
    )
    assert frame["source_ref"].to_list() == ["row 2", "row 3", "row 4"]


def _linkedin_lines() -> list[bytes]:
    return _head("linkedin/Connections_preamble.csv", 7)  # preamble, header, two rows


def test_linkedin_skips_millions_of_blank_lines_with_true_line_numbers(pm, tmp_path):
    lines = _linkedin_lines()
    path = tmp_path / "Connections.csv"
    path.write_bytes(b"\n".join(lines[:6]) + b"\n" + b"\n" * NEWLINES + lines[6] + b"\n" + b"\n" * NEWLINES)
    result, seconds = _read(pm, "linkedin", path)
    assert result.records["source_ref"].to_list() == ["row 5", "row 6", f"row {NEWLINES + 7}"]
    assert result.info["blank_rows_skipped"] == 2 * NEWLINES
    assert seconds < 10


def test_linkedin_zip_of_newlines_is_cheap(pm, tmp_path):
    lines = _linkedin_lines()
    path = tmp_path / "Basic_LinkedInDataExport.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Connections.csv", b"\n".join(lines) + b"\n" * (20 * NEWLINES))
    assert path.stat().st_size < 200_000
    result, seconds = _read(pm, "linkedin", path)
    assert result.records["source_ref"].to_list() == [
        "Connections.csv row 5",
        "Connections.csv row 6",
        "Connections.csv row 7",
    ]
    assert seconds < 15

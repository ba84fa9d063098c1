"""Nothing the user gave is lost: every non-empty source cell of a CSV ends up in a canonical
field, in ``extra``, in a reject's raw line, or in the listed skipped rows (titles, notes).

A cell counts when it holds a letter or digit (a lone ``;`` says nothing); a list cell
(``Alumni;Mentors`` → two tags) is kept when each of its values is. A hypothesis property
over generated CSV files in the shapes directories and address books
have: known and unknown headers, values with commas, quotes, line breaks, ``@``, digits and
accents, blank cells, and rows with one field more than the header (an unquoted comma),
which must become rejects keeping the whole row.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.contracts import ImportOptions, ImportResult
from plugins.alumni import AlumniImporter
from plugins.outlook_csv import IMPORTER as OUTLOOK

#: Alumni-directory headers (canonical, pseudo and unknown ones).
ALUMNI_HEADERS = [
    "Constituent ID", "First Name", "Last Name", "Preferred Name", "Name", "Email", "Email 2", "Mobile",
    "Home Phone", "Employer", "Job Title", "Department", "Street", "Address Line 2", "Street Number",
    "Suburb", "State", "Postcode", "Country", "Class Year", "Degree", "Notes", "Major", "Favourite Colour",
    "Region Code", "Vorname", "Ort",
]  # fmt: skip
#: Outlook's always-present signature columns, then optional ones (not the noise defaults).
OUTLOOK_REQUIRED = ["First Name", "Last Name", "E-mail Address", "Business Phone"]
OUTLOOK_OPTIONAL = [
    "Title", "Middle Name", "Suffix", "Company", "Department", "Job Title", "Business Street",
    "Business City", "Business Postal Code", "Home Street", "Home City", "Mobile Phone", "Home Phone",
    "Business Fax", "E-mail 2 Address", "Notes", "Web Page", "Categories", "Referred By", "User 1",
]  # fmt: skip

_ALPHABET = st.sampled_from(
    list("abcdeXYZ ñéü0123456789@.,;'\"-()+:#/\n") + ["Ana", "Lee", " 206 555 0100 ", "x@example.com"]
)
CELL = st.one_of(st.just(""), st.lists(_ALPHABET, min_size=1, max_size=6).map("".join))


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _strings(value) -> list[str]:
    """Every text inside a value: lists, JSON objects in text, nested dicts."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)] + list(value)
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    text = str(value)
    found = [text]
    if text.startswith("{"):
        try:
            found += _strings(json.loads(text))
        except ValueError:
            pass
    return found


def _bag(result: ImportResult) -> list[str]:
    bag: list[str] = []
    for row in result.records.iter_rows(named=True):
        for value in row.values():
            bag += _strings(value)
    for reject in result.rejects:
        bag += _strings(reject.raw)
        if reject.raw and not reject.raw.startswith("{"):
            bag += next(csv.reader([reject.raw]), [])  # the raw line's own fields, unquoted
    for skipped in result.info.get("skipped_rows", []):
        bag += _strings(skipped.get("text"))
    return bag


def _lost(header: list[str], rows: list[list[str]], result: ImportResult) -> list[str]:
    """Cells with a letter or digit (a cell of bare separators says nothing) found nowhere;
    a list cell ("Alumni;Mentors" → two tags) counts as kept when each of its values is."""
    bag = _bag(result)

    def kept(text: str) -> bool:
        return any(text in value for value in bag)

    lost = []
    for row in rows:
        for cell in row:
            text = cell.strip()
            if not re.search(r"\w", text) or text in header or kept(text):
                continue
            pieces = [p.strip() for p in re.split(r"[;,\n]|:::", text) if re.search(r"\w", p)]
            if not pieces or not all(kept(p) for p in pieces):
                lost.append(text)
    return lost


def _rows(width: int, cell=CELL):
    row = st.lists(cell, min_size=width, max_size=width)
    # One row in four has a field more than the header: an unquoted comma somewhere upstream.
    longer = st.lists(cell, min_size=width + 1, max_size=width + 1).filter(lambda r: r[-1].strip() != "")
    return st.lists(st.one_of(row, row, row, longer), min_size=1, max_size=8)


@st.composite
def alumni_files(draw):
    header = draw(st.lists(st.sampled_from(ALUMNI_HEADERS), min_size=3, max_size=9, unique=True))
    header = ["First Name", "Email", *[h for h in header if h not in ("First Name", "Email")]]
    return header, draw(_rows(len(header)))


@st.composite
def outlook_files(draw):
    optional = draw(st.lists(st.sampled_from(OUTLOOK_OPTIONAL), max_size=8, unique=True))
    header = OUTLOOK_REQUIRED + optional
    return header, draw(_rows(len(header), CELL))


def _read(importer, data: bytes) -> ImportResult:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "contacts.csv"
        path.write_bytes(data)
        return importer.read(path, ImportOptions())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alumni_files())
def test_every_alumni_cell_is_kept_somewhere(case):
    header, rows = case
    result = _read(AlumniImporter(), _csv(header, rows))
    assert _lost(header, rows, result) == []
    for row, reject in _long_rows(rows, len(header), result):
        assert reject is not None, f"row with {len(row)} fields was not rejected"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(outlook_files())
def test_every_outlook_cell_is_kept_somewhere(case):
    header, rows = case
    result = _read(OUTLOOK, _csv(header, rows))
    assert _lost(header, rows, result) == []


def _long_rows(rows: list[list[str]], width: int, result: ImportResult):
    """Each row longer than the header with the reject for it (None if it was imported instead)."""
    by_ref = {r.ref: r for r in result.rejects}
    for number, row in enumerate(rows, start=2):
        if len(row) > width:
            yield row, by_ref.get(f"row {number}")

"""Small hostile files that used to cost gigabytes or crash natively (issue 21), generated here.

Blank-line padding, far cells addressed every way calamine accepts, a card with 190,000
e-mail addresses, zips with a million entries, a stray quote that folded rows together.
Every case must end in records, rejects with their place, or one clear error.
"""

from __future__ import annotations

import csv
import io
import re
import time
import zipfile
from pathlib import Path

import polars as pl
import pytest

from pipeline import registry, tabular
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


# --- workbooks: far cells every way calamine accepts them ------------------------------------------


def _xlsx(
    sheet: str, sheet_part: str = "xl/worksheets/sheet1.xml", extra: dict[str, str] | None = None
) -> bytes:
    """A one-sheet workbook whose sheet lives at ``sheet_part`` (the relationships point there)."""
    from tests.corpus import make_corpus as corpus

    target = sheet_part.removeprefix("xl/")
    parts = {
        "[Content_Types].xml": corpus._CT.replace("/xl/worksheets/sheet1.xml", "/" + sheet_part),
        "_rels/.rels": corpus._RELS,
        "xl/workbook.xml": corpus._WORKBOOK,
        "xl/_rels/workbook.xml.rels": corpus._WORKBOOK_RELS.replace("worksheets/sheet1.xml", target),
        sheet_part: sheet,
        **(extra or {}),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _alumni_sheet(tail: str = "", cell_ref: bool = True) -> str:
    from tests.corpus import make_corpus as corpus

    rows = corpus.grid_rows([corpus.ALUMNI_HEADER, "A-1,Ana,Lima,2001,ana.lima@example.com,,Contoso Ltd"])
    xml = corpus.sheet_xml(rows)
    if not cell_ref:
        xml = re.sub(r' r="[A-Z]+[0-9]+"', "", xml)
    return xml.replace("</sheetData>", tail + "</sheetData>")


FAR = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
FAR_CELL_VARIANTS = {
    "sheet moved to xl/sheet1.xml": _xlsx(_alumni_sheet(FAR), "xl/sheet1.xml"),
    "r with spaces": _xlsx(_alumni_sheet(FAR.replace('c r="', 'c r = "'))),
    "lower-case r": _xlsx(_alumni_sheet(FAR.replace("XFD1048576", "xfd1048576"))),
    "no r at all": _xlsx(
        _alumni_sheet(
            "<row>" + '<c t="inlineStr"><is><t>y</t></is></c>' * 16_384 + "</row>"
            '<row r="1048576"><c t="inlineStr"><is><t>x</t></is></c></row>',
            cell_ref=False,
        )
    ),
}


@pytest.mark.parametrize("variant", sorted(FAR_CELL_VARIANTS))
def test_far_cell_variants_are_refused_before_calamine(tmp_path, variant):
    from pipeline.errors import InputError
    from pipeline.limits import check_workbook

    path = tmp_path / "alumni.xlsx"
    path.write_bytes(FAR_CELL_VARIANTS[variant])
    with pytest.raises(InputError) as refused:
        check_workbook(path)
    message = str(refused.value)
    assert message == (
        f"{path}: sheet1 spans 1,048,576 rows × 16,384 columns = 17,179,869,184 cells, over the "
        "50,000,000-cell limit (KITH_MAX_CELLS); a stray cell far away?"
    )
    assert "\n" not in message


def test_a_workbook_whose_cells_have_no_references_still_imports(workspace, pm, tmp_path):
    from pipeline.importing import import_file
    from pipeline.store import Store

    path = tmp_path / "alumni.xlsx"
    path.write_bytes(_xlsx(_alumni_sheet(cell_ref=False), "xl/sheet1.xml"))
    with Store(workspace.store_path) as store:
        outcome = import_file(store, pm, path)
        names = store.records()["full_name"].to_list()
    assert (outcome.status, outcome.records, outcome.error) == ("imported", 1, None)
    assert names == ["Ana Lima"]


def test_too_many_shared_strings_are_refused(tmp_path, monkeypatch):
    from pipeline.errors import InputError
    from pipeline.limits import check_workbook

    monkeypatch.setenv("KITH_MAX_SHARED_STRINGS", "1000")
    strings = "".join(f"<si><t>value {i}</t></si>" for i in range(1001))
    sst = f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{strings}</sst>'
    path = tmp_path / "alumni.xlsx"
    path.write_bytes(_xlsx(_alumni_sheet(), extra={"xl/sharedStrings.xml": sst}))
    with pytest.raises(InputError, match=r"holds (at least )?1,001 shared strings, over the 1,000 limit"):
        check_workbook(path)
    monkeypatch.setenv("KITH_MAX_SHARED_STRINGS", "1001")
    check_workbook(path)


def test_a_linkedin_zip_with_too_many_entries_is_refused_before_listing(workspace, pm, tmp_path, monkeypatch):
    from pipeline.importing import import_file
    from pipeline.store import Store

    monkeypatch.setenv("KITH_MAX_ZIP_MEMBERS", "500")
    path = tmp_path / "Basic_LinkedInDataExport.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Connections.csv", b"\n".join(_linkedin_lines()) + b"\n")
        for number in range(600):
            archive.writestr(f"padding/{number}.txt", b"")
    with Store(workspace.store_path) as store:
        outcome = import_file(store, pm, path)
    assert outcome.error == f"{path}: zip holds 601 entries, over the limit of 500 (KITH_MAX_ZIP_MEMBERS)"
    assert outcome.exit_code == 2


def test_zip64_entry_counts_are_read(tmp_path):
    from pipeline.limits import zip_entry_count

    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for number in range(70_000):  # past 65,535: the count lives in the zip64 record
            archive.writestr(f"{number}", b"")
    assert zip_entry_count(path) == 70_000


# --- files kith reads back -------------------------------------------------------------------------


def _review_sheet(tmp_path: Path, tail: str = "") -> Path:
    """A duplicates.xlsx as kith writes it (openpyxl), with a lying dimension and an optional far cell."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Review"
    ws.append(["Decision", "Record A", "Record B", "Name A", "Name B"])
    ws.append(["same", "rec-a1", "rec-b1", "Maria Gonzalez", "María González"])
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    path = tmp_path / "duplicates.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', data.decode())
                data = text.replace("</sheetData>", tail + "</sheetData>").encode()
            target.writestr(info, data)
    return path


def test_a_review_sheet_with_a_lying_dimension_reads_at_once(tmp_path):
    from plugins.duplicates.sheet import read_sheet_decisions

    started = time.perf_counter()
    decisions, warnings = read_sheet_decisions(_review_sheet(tmp_path))
    assert decisions == [("rec-a1", "rec-b1", "same")]
    assert warnings == []
    assert time.perf_counter() - started < 5


def test_a_review_sheet_with_a_far_cell_is_refused_like_an_import(tmp_path):
    from pipeline.errors import InputError
    from plugins.duplicates.sheet import read_sheet_decisions

    path = _review_sheet(tmp_path, FAR)
    with pytest.raises(InputError, match=r"duplicates\.xlsx: sheet1 spans 1,048,576 rows × 16,384 columns"):
        read_sheet_decisions(path)


def test_followups_done_ticks_from_a_hostile_sheet_are_ignored_quickly(tmp_path):
    from plugins.followups.xlsx import read_done

    path = _review_sheet(tmp_path, FAR)
    started = time.perf_counter()
    assert read_done(path) == set()
    assert time.perf_counter() - started < 5


# --- control characters --------------------------------------------------------------------------


def test_control_characters_are_removed_at_normalization_and_kept_in_extra():
    import json

    from pipeline.normalize import normalize_records
    from pipeline.schema import validate_raw

    raw = validate_raw(
        pl.DataFrame(
            {
                "source_ref": ["row 2", "row 3"],
                "given_name": ["Quinn\x01", "Ana"],
                "family_name": ["Lee", "Lima"],
                "organization": ["Acme\x07 Corp\x9b", "Contoso"],
                "notes": ["first\x0bsecond", None],
                "emails": [["quinn\x00@example.com"], ["ana@example.com"]],
            }
        ),
        "test",
    )
    result = normalize_records(raw, region="US")
    frame = result.frame
    assert frame["given_name"].to_list() == ["Quinn", "Ana"]
    assert frame["full_name"].to_list() == ["Quinn Lee", "Ana Lima"]
    assert frame["organization"].to_list() == ["Acme Corp", "Contoso"]
    assert frame["notes"].to_list() == ["first second", None]
    assert frame["emails"].to_list() == [["quinn@example.com"], ["ana@example.com"]]
    extra = json.loads(frame["extra"][0])
    assert extra["given_name_as_written"] == "Quinn\x01"
    assert extra["organization_as_written"] == "Acme\x07 Corp\x9b"
    assert extra["emails_as_written"] == ["quinn\x00@example.com"]
    assert frame["extra"][1] is None
    assert ("row 2", "control characters removed, the value as written kept in extra") in result.warnings
    assert not any(ref == "row 3" for ref, _ in result.warnings)


def test_every_xlsx_writer_takes_control_characters(tmp_path):
    from openpyxl import Workbook, load_workbook

    from pipeline import xlsx
    from plugins.contacts.formats import XlsxFormat
    from plugins.followups.xlsx import _put

    hostile = "Quinn\x01 \x1b[31mLee"
    wb = Workbook()
    _put(wb.active, 1, 1, hostile)
    _put(wb.active, 1, 2, "=cmd\x02")
    wb.save(tmp_path / "followups.xlsx")
    assert [c.value for c in load_workbook(tmp_path / "followups.xlsx").active[1]] == [
        "Quinn [31mLee",
        "'=cmd",
    ]
    XlsxFormat().write(pl.DataFrame({"full_name": [hostile], "tags": [["a\x03"]]}), tmp_path / "export.xlsx")
    book = xlsx.new_workbook()
    xlsx.write_table(book, "T", ["Name\x04"], [[hostile]])
    xlsx.save_workbook(book, tmp_path / "table.xlsx")
    assert load_workbook(tmp_path / "export.xlsx").active["A2"].value == "Quinn [31mLee"
    assert load_workbook(tmp_path / "table.xlsx").active["A1"].value == "Name"


# --- one card with 190,000 e-mail addresses --------------------------------------------------------

MANY = 190_000


def test_one_card_with_190000_emails_is_capped_with_the_rest_in_extra(runner, workspace, tmp_path):
    import json

    from pipeline.cli import build_app

    app = build_app()

    emails = "".join(f"EMAIL:{i}@a.test\r\n" for i in range(MANY))  # 3.4 MB, like the reported card
    card = f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Robin Hale\r\nN:Hale;Robin;;;\r\n{emails}END:VCARD\r\n"
    path = tmp_path / "robin.vcf"
    path.write_text(card)
    assert path.stat().st_size < 4 * 1024**2  # under the per-card limit: it is imported, not rejected
    root = str(workspace.root)
    started = time.perf_counter()
    result = runner.invoke(app, ["-w", root, "import", "--json", str(path)])
    assert result.exit_code == 0, result.output
    (outcome,) = json.loads(result.output)["files"]
    assert outcome["records"] == 1
    message = "more than 100 values in emails: the first 100 kept, the rest in extra"
    assert [w["message"] for w in outcome["warnings"]] == [message]
    exported = runner.invoke(app, ["-w", root, "export", "records", "-f", "jsonl"])
    (record,) = [json.loads(line) for line in exported.output.splitlines()]
    assert record["emails"] == [f"{i}@a.test" for i in range(100)]
    extra = record["extra"] if isinstance(record["extra"], dict) else json.loads(record["extra"])
    rest = extra["emails_beyond_limit"]
    assert rest == [f"{i}@a.test" for i in range(100, MANY)]  # nothing lost
    google = tmp_path / "google.csv"
    result = runner.invoke(app, ["-w", root, "export", "records", "-f", "google-csv", "-o", str(google)])
    assert result.exit_code == 0, result.output
    with open(google, newline="", encoding="utf-8-sig") as handle:
        header, row = list(csv.reader(handle))
    assert [h for h in header if h.startswith("E-mail") and h.endswith("Value")] == [
        f"E-mail {n} - Value" for n in range(1, 11)
    ]
    assert row[header.index("E-mail 10 - Value")].split(" ::: ") == [f"{i}@a.test" for i in range(9, 100)]
    assert time.perf_counter() - started < 60


def test_google_csv_columns_are_capped_and_nothing_dropped():
    from plugins.contacts.google import GOOGLE_MAX_GROUPS, google_contacts_frame

    phones = [f"+1206555{n:04d}" for n in range(25)]
    frame = google_contacts_frame(
        pl.DataFrame({"given_name": ["Robin", "Ana"], "phones": [phones, ["+12065550100"]]})
    )
    values = [c for c in frame.columns if c.startswith("Phone") and c.endswith("Value")]
    assert len(values) == GOOGLE_MAX_GROUPS == 10
    robin = frame.row(0, named=True)
    kept = [robin[f"Phone {n} - Value"] for n in range(1, 10)] + robin["Phone 10 - Value"].split(" ::: ")
    assert kept == phones
    assert frame.row(1, named=True)["Phone 10 - Value"] is None


# --- a stray quote must not fold rows together -----------------------------------------------------

FIRST = ["Robert", "Priya", "Chen", "Olga", "Tomás", "Aisha", "Lars", "Mei", "Kwame", "Sofia"]


def _linkedin_rows(count: int) -> list[str]:
    rows = []
    for i in range(count):
        name = FIRST[i % len(FIRST)]
        company = '"Fabrikam, Inc."' if i % 7 == 3 else "Contoso Ltd"
        url = f"https://www.linkedin.com/in/{name.lower()}-{i}"
        rows.append(f"{name},Example{i},{url},,{company},Senior Engineer,15 Mar 2024")
    return rows


def test_a_stray_quote_in_linkedin_is_a_reject_not_folded_rows(pm, tmp_path):
    lines = _linkedin_lines()[:4]  # the preamble and the header (line 4)
    rows = _linkedin_rows(50)
    rows[11] = rows[11].replace(",Contoso Ltd,", ',"Contoso Ltd,')  # the stray quote, on line 16
    path = tmp_path / "Connections.csv"
    path.write_bytes(b"\n".join(lines) + b"\n" + "\n".join(rows).encode() + b"\n")
    result, _ = _read(pm, "linkedin", path)
    assert [(r.ref, r.reason) for r in result.rejects] == [("row 16", tabular.STRAY_QUOTE)]
    frame = result.records
    assert frame.height == 49
    assert set(frame["organization"].drop_nulls()) == {"Contoso Ltd", "Fabrikam, Inc."}
    assert frame["source_ref"].to_list() == [f"row {n}" for n in range(5, 55) if n != 16]


def test_a_stray_quote_in_an_address_book_is_a_reject(pm, tmp_path):
    header = "First Name,Last Name,Organization Name,Notes,E-mail 1 - Value"
    rows = [
        f"{name},Example{i},Contoso Ltd,,{name.lower()}{i}@example.com" for i, name in enumerate(FIRST * 3)
    ]
    rows[4] = rows[4].replace(",Contoso Ltd,", ',"Contoso Ltd,')
    rows[8] = rows[8].replace(",,", ',"met at the fair,\nlikes sailing",')  # a real multi-line note stays
    path = tmp_path / "contacts.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    result, _ = _read(pm, "google_csv", path)
    assert [(r.ref, r.reason) for r in result.rejects] == [("line 6", tabular.STRAY_QUOTE)]
    frame = result.records
    assert frame.height == 29
    assert set(frame["organization"]) == {"Contoso Ltd"}
    assert "met at the fair,\nlikes sailing" in frame["notes"].to_list()


def test_a_planted_review_sheet_in_an_old_report_folder_does_not_stop_dedupe(runner, workspace, tmp_path):
    from pipeline.cli import build_app

    app = build_app()
    data = tmp_path / "alumni.csv"
    data.write_text("First Name,Last Name,Email\nMaria,Gonzalez,maria.gonzalez@example.com\n")
    root = str(workspace.root)
    assert runner.invoke(app, ["-w", root, "import", str(data)]).exit_code == 0
    week = workspace.reports_dir / "2026-W47"
    week.mkdir(parents=True)
    _review_sheet(tmp_path, FAR).rename(week / "duplicates.xlsx")
    started = time.perf_counter()
    result = runner.invoke(app, ["-w", root, "dedupe"])
    assert result.exit_code == 0, result.output
    assert "its decisions were not read" in result.output
    assert time.perf_counter() - started < 30

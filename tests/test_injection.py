"""Nothing we write can run: formula injection in csv, xlsx and google-csv, header injection in .eml.

A contact named ``=HYPERLINK("http://evil.example","x")`` (and the other OWASP CSV
injection triggers: ``+ - @``, tab, CR) must come out inert in every format, while E.164
phone numbers such as ``+12065550142`` stay usable. A CR/LF in a name must not add an
email header.
"""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook

from pipeline.cli import build_app
from pipeline.people import PEOPLE_COLUMNS
from pipeline.safety import csv_ready
from pipeline.testing import export_frame
from plugins.outcome_report import write_report
from plugins.outcome_report.model import Owner, build_outcome_report

app = build_app()

EVIL = '=HYPERLINK("http://evil.example","x")'
PAYLOADS = {
    "full_name": EVIL,
    "given_name": EVIL,
    "organization": "@SUM(A1)",
    "title": "-2+3",
    "department": "+cmd|' /C calc'!A0",
    "notes": "\t=1+1",
    "city": "\r=1+1",
}
PHONES = ["+12065550142", "+1 (206) 555-0142"]


def evil_people() -> pl.DataFrame:
    rows = [
        {
            "person_id": "p_evil",
            **PAYLOADS,
            "emails": ["evil@example.com"],
            "phones": PHONES,
            "tags": ["=1+2"],
            "channel": "linkedin",
            "record_ids": ["r_evil"],
        },
        {
            "person_id": "p_crlf",
            "full_name": "Eve Example\r\nBcc: victim@example.org",
            "given_name": "Eve",
            "emails": ["eve@example.com"],
            "phones": ["+442079460958"],
            "record_ids": ["r_crlf"],
        },
    ]
    return pl.DataFrame([{k: r.get(k) for k in PEOPLE_COLUMNS} for r in rows], schema=PEOPLE_COLUMNS)


def _csv_rows(path: Path, encoding: str) -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


def _assert_inert_csv(cells: list[str]) -> None:
    for cell in cells:
        if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
            # Only phone numbers may start like a formula: digits and punctuation, no function to call.
            assert re.fullmatch(r"[+0-9 ()./;-]+", cell), f"live formula in CSV cell {cell!r}"


def test_csv_neutralises_every_trigger_and_keeps_phones(tmp_path):
    path = tmp_path / "people.csv"
    export_frame(evil_people(), "csv", path)
    evil = _csv_rows(path, "utf-8-sig")[0]
    for column, payload in PAYLOADS.items():
        assert evil[column] == "'" + payload, column
    assert evil["tags"] == "'=1+2"
    assert evil["phones"] == "+12065550142; +1 (206) 555-0142"
    _assert_inert_csv([v for row in _csv_rows(path, "utf-8-sig") for v in row.values()])


def test_joined_cell_with_one_bad_part_is_neutralised():
    frame = pl.DataFrame(
        {
            "phones": [
                ["+12065550142", "+442079460958"],
                ["+12065550142", "=cmd()"],
                ["+12065550142", "HYPERLINK(1)"],
            ]
        }
    )
    assert csv_ready(frame)["phones"].to_list() == [
        "+12065550142; +442079460958",
        "'+12065550142; =cmd()",
        "'+12065550142; HYPERLINK(1)",
    ]
    text = pl.DataFrame({"t": ["-2+3", "+1 (206) 555-0142", "@x", "plain", None]})
    assert csv_ready(text)["t"].to_list() == ["'-2+3", "+1 (206) 555-0142", "'@x", "plain", None]


def test_google_csv_is_inert(tmp_path):
    path = tmp_path / "google.csv"
    export_frame(evil_people(), "google-csv", path)
    evil = _csv_rows(path, "utf-8")[0]
    assert evil["First Name"] == "'" + EVIL and evil["Organization Name"] == "'@SUM(A1)"
    assert evil["Organization Title"] == "'-2+3" and evil["Notes"] == "'\t=1+1"
    assert evil["Labels"] == "* myContacts ::: =1+2"  # starts with "*": not a formula
    assert evil["Phone 1 - Value"] == "+12065550142" and evil["Phone 2 - Value"] == "+1 (206) 555-0142"
    _assert_inert_csv([v for row in _csv_rows(path, "utf-8") for v in row.values()])


def _no_formulas(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert "<f>" not in z.read(name).decode(), f"formula element in {name}"
    wb = load_workbook(path)
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"


def test_xlsx_writes_formula_text_as_strings(tmp_path):
    path = tmp_path / "people.xlsx"
    export_frame(evil_people(), "xlsx", path)
    _no_formulas(path)
    ws = load_workbook(path).active
    header = [c.value for c in ws[1]]
    evil = {header[i]: cell for i, cell in enumerate(ws[2])}
    for column, payload in PAYLOADS.items():
        expected = payload.replace("\r", "\n") if payload.startswith("\r") else payload  # XML normalises CR
        assert evil[column].value == expected and evil[column].data_type == "s", column
    assert evil["phones"].value == "+12065550142; +1 (206) 555-0142"


def test_eml_and_outcome_workbook_are_inert(tmp_path):
    journal = pl.DataFrame(
        {
            "entry_id": [1, 2],
            "date": [dt.date(2026, 2, 3), dt.date(2026, 2, 4)],
            "kind": ["meeting", "call"],
            "person_id": ["p_evil", "p_crlf"],
            "via_person_id": [None, None],
            "to_person_id": [None, None],
            "channel": [None, None],
            "note": ['=WEBSERVICE("http://evil.example")', None],
            "source": ["cli", "cli"],
        },
        schema_overrides={"via_person_id": pl.String, "to_person_id": pl.String, "channel": pl.String},
    )

    @dataclass
    class Outcome:
        text: str
        date: dt.date

    owner = Owner("Jordan\r\nBcc: boss@example.org", "jordan@example.com")
    report = build_outcome_report(
        evil_people(),
        journal,
        Outcome("=accepted a job with Contoso", dt.date(2026, 3, 1)),
        dt.date(2026, 3, 9),
        owner,
    )
    written = write_report(report, tmp_path)
    _no_formulas(written[0])
    helpers = load_workbook(written[0])["Helpers"]
    assert helpers["A2"].value == EVIL and helpers["A2"].data_type == "s"
    assert helpers["F2"].value == '=WEBSERVICE("http://evil.example")' and helpers["F2"].data_type == "s"

    drafts = sorted((tmp_path / "outcome-drafts").glob("*.eml"))
    assert [p.name for p in drafts] == [
        "01-hyperlink-http-evil-example-x.eml",
        "02-eve-example-bcc-victim-example-org.eml",
    ]
    for path in drafts:
        raw = path.read_bytes()
        header_block = raw.split(b"\r\n\r\n", 1)[0]
        names = [
            line.split(b":", 1)[0]
            for line in header_block.split(b"\r\n")
            if not line.startswith((b" ", b"\t"))
        ]
        assert b"Bcc" not in names and names.count(b"To") == 1
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert message["Bcc"] is None and "\n" not in str(message["To"]) and "\n" not in str(message["From"])
    eve = email.message_from_bytes(drafts[1].read_bytes(), policy=email.policy.default)
    assert eve["To"].addresses[0].addr_spec == "eve@example.com"
    assert eve["To"].addresses[0].display_name == "Eve Example Bcc: victim@example.org"
    assert eve["From"].addresses[0].display_name == "Jordan Bcc: boss@example.org"
    evil = email.message_from_bytes(drafts[0].read_bytes(), policy=email.policy.default)
    assert evil["To"].addresses[0].display_name == EVIL  # quoted, plain text, never a link
    assert evil.get_content_type() == "text/plain"


def test_vcf_keeps_names_as_text_and_crlf_cannot_add_properties(tmp_path):
    from pipeline.contracts import ImportOptions
    from plugins.vcard.read import read_vcards

    path = tmp_path / "people.vcf"
    export_frame(evil_people(), "vcf", path)
    text = path.read_bytes().decode("utf-8")
    assert text.count("BEGIN:VCARD") == 2
    lines = text.split("\r\n")
    assert not any(line.startswith("Bcc") for line in lines)  # the CR/LF in Eve's name was escaped
    back = read_vcards(path, ImportOptions()).records
    # vCard is not a spreadsheet: the name is plain text, exactly as given, never a link.
    assert back["full_name"].to_list()[0] == EVIL
    assert back["phones"].to_list()[0] == PHONES


@pytest.fixture
def evil_workspace(workspace):
    from pipeline.testing import import_through_core

    (workspace.root / "Connections.csv").write_text(
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        '"=HYPERLINK(""http://evil.example"",""x"")",Smith,,evil@example.com,@SUM(A1),-2+3,12 Jan 2026\n'
        "Maria,Gonzalez,,maria.gonzalez@example.com,Fabrikam Inc.,\"+cmd|' /C calc'!A0\",12 Jan 2026\n",
        encoding="utf-8",
    )
    import_through_core(workspace, "Connections.csv")
    return workspace


@pytest.mark.parametrize("fmt", ["csv", "google-csv", "xlsx", "vcf"])
def test_imported_evil_contact_exports_inert_through_the_cli(runner, evil_workspace, tmp_path, fmt):
    out = tmp_path / f"people.{fmt}"
    result = runner.invoke(
        app, ["-w", str(evil_workspace.root), "export", "people", "-f", fmt, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    if fmt == "vcf":
        text = out.read_bytes().decode("utf-8")
        assert text.count("BEGIN:VCARD") == 2 and "TITLE:+cmd|' /C calc'!A0\r\n" in text
    elif fmt == "xlsx":
        _no_formulas(out)
        values = [c.value for row in load_workbook(out).active.iter_rows() for c in row]
        assert EVIL + " Smith" in values and "+cmd|' /C calc'!A0" in values
    else:
        rows = _csv_rows(out, "utf-8-sig" if fmt == "csv" else "utf-8")
        _assert_inert_csv([v for row in rows for v in row.values()])
        # normalization reads the parenthesis as a nickname; every part stays inert
        assert any(v.startswith("'=HYPERLINK") for row in rows for v in row.values())

"""Exports that open anywhere: csv (utf-8-sig), xlsx, vcf, jsonl, google-csv, and the contacts exporter.

Every written file is read back (csv with the csv module and polars, xlsx with openpyxl)
and compared with what went in.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import stat
import sys
import types
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook

from pipeline import hookimpl, registry, xlsx
from pipeline.cli import build_app
from pipeline.errors import ConfigError, PluginError, UsageError
from pipeline.manager import BUILTIN_PLUGINS
from pipeline.people import PEOPLE_COLUMNS
from pipeline.store import Store
from pipeline.testing import export_context, export_frame, import_through_core, plugin_manager
from plugins.contacts.google import GOOGLE_HEAD

app = build_app()

LONG_NOTE = "Met at the Example University alumni mixer.\nAsked about data roles; follow up in March."


def people_frame() -> pl.DataFrame:
    rows = [
        {
            "person_id": "p_1",
            "full_name": "José Núñez",
            "given_name": "José",
            "family_name": "Núñez",
            "emails": ["jose.nunez@example.com", "jnunez@example.org"],
            "phones": ["+12065550142", "+442079460958"],
            "organization": "Fabrikam Inc.",
            "title": "Director of Product",
            "street": "1 Main St",
            "city": "Seattle",
            "region": "WA",
            "postal_code": "98101",
            "country": "US",
            "linkedin_url": "https://www.linkedin.com/in/jose-nunez",
            "class_year": 2004,
            "birthday": "--04-15",
            "connected_on": dt.date(2026, 1, 12),
            "channel": "alumni",
            "tags": ["2026 search", "Alumni"],
            "notes": LONG_NOTE,
            "record_ids": ["r_a", "r_b"],
            "sources": ["linkedin", "vcard"],
            "provenance": '{"full_name":"r_a"}',
        },
        {
            "person_id": "p_2",
            "full_name": "Ken Watanabe",
            "given_name": "Ken",
            "family_name": "Watanabe",
            "emails": [],
            "phones": ["(206) 555-0100 ext 7"],
            "organization": "Contoso Ltd",
            "record_ids": ["r_c"],
            "sources": ["linkedin"],
        },
        {"person_id": "p_3", "full_name": "Prince", "emails": ["prince@example.com"], "record_ids": ["r_d"]},
    ]
    return pl.DataFrame([{k: r.get(k) for k in PEOPLE_COLUMNS} for r in rows], schema=PEOPLE_COLUMNS)


# --- csv ------------------------------------------------------------------------------


def test_csv_is_utf8_sig_and_round_trips(tmp_path):
    path = tmp_path / "people.csv"
    assert export_frame(people_frame(), "csv", path) == str(path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbfperson_id,full_name,")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(PEOPLE_COLUMNS)
    jose = rows[0]
    assert (
        jose["full_name"] == "José Núñez" and jose["emails"] == "jose.nunez@example.com; jnunez@example.org"
    )
    assert jose["phones"] == "+12065550142; +442079460958"  # E.164 stays usable, no quote prefix
    assert jose["connected_on"] == "2026-01-12" and jose["class_year"] == "2004"
    assert jose["birthday"] == "'--04-15"  # Excel would compute -(-4)-15; Google's file keeps it (below)
    assert jose["notes"] == LONG_NOTE
    assert rows[1]["emails"] == "" and rows[1]["phones"] == "(206) 555-0100 ext 7"
    again = pl.read_csv(path, infer_schema=False)  # polars strips the BOM too
    assert again.columns[0] == "person_id" and again["full_name"].to_list() == [
        "José Núñez",
        "Ken Watanabe",
        "Prince",
    ]


def test_jsonl_keeps_lists_and_dates(tmp_path):
    path = tmp_path / "people.jsonl"
    export_frame(people_frame(), "jsonl", path)
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert first["emails"] == ["jose.nunez@example.com", "jnunez@example.org"]
    assert first["connected_on"] == "2026-01-12" and first["tags"] == ["2026 search", "Alumni"]


def _jsonl_per_row(frame: pl.DataFrame) -> list[str]:
    """The jsonl writer as it was, one Python dict per row: the reference for the vectorized one."""
    lines = []
    for row in frame.iter_rows(named=True):
        if isinstance(row.get("extra"), str):
            try:
                row["extra"] = json.loads(row["extra"])
            except ValueError:
                pass
        row = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}
        lines.append(json.dumps(row, ensure_ascii=False))
    return lines


def test_jsonl_written_by_polars_says_what_the_per_row_writer_said(tmp_path):
    records = pl.DataFrame(
        {
            "record_id": ["r1", "r2", "r3", "r4"],
            "full_name": ['Zoë "Z" O\'Brien', "line\nbreak\ttab\x01", None, "Ünïcode ☕ \u2028"],
            "emails": [["z@example.com", "z2@example.com"], [], None, ['a"b@example.com']],
            "class_year": [1998, None, 2004, None],
            "connected_on": [dt.date(2024, 3, 15), None, dt.date(1999, 12, 31), None],
            "extra": ['{"Alumni ID": "A-17", "n": [1, 2]}', "not json {", None, "null"],
        },
        schema_overrides={"class_year": pl.Int32},
    )
    for frame in (records, people_frame()):
        path = tmp_path / "out.jsonl"
        export_frame(frame, "jsonl", path)
        lines = path.read_text(encoding="utf-8").split("\n")  # not splitlines: U+2028 is inside a value
        assert lines.pop() == ""
        expected = _jsonl_per_row(frame)
        assert [list(json.loads(line)) for line in lines] == [list(json.loads(e)) for e in expected]
        assert [json.loads(line) for line in lines] == [json.loads(e) for e in expected]
    assert json.loads(lines[0]) != {} and len(lines) == people_frame().height


# --- xlsx -----------------------------------------------------------------------------


def test_xlsx_has_a_real_table(tmp_path):
    path = tmp_path / "people.xlsx"
    export_frame(people_frame(), "xlsx", path, sheet="People")
    wb = load_workbook(path)
    assert wb.sheetnames == ["People"]
    ws = wb["People"]
    header = [c.value for c in ws[1]]
    assert header == list(PEOPLE_COLUMNS)
    assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb.endswith(xlsx.HEADER_FILL_COLOR)
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, len(header)).column_letter}4"
    col = {name: i + 1 for i, name in enumerate(header)}
    assert ws.cell(2, col["full_name"]).value == "José Núñez"
    assert ws.cell(2, col["emails"]).value == "jose.nunez@example.com; jnunez@example.org"
    assert ws.cell(2, col["phones"]).value == "+12065550142; +442079460958"
    assert ws.cell(2, col["class_year"]).value == 2004
    connected = ws.cell(2, col["connected_on"])
    assert connected.value == dt.datetime(2026, 1, 12) and connected.number_format == "yyyy-mm-dd"
    assert ws.cell(4, col["connected_on"]).value is None
    widths = {name: ws.column_dimensions[ws.cell(1, i).column_letter].width for name, i in col.items()}
    assert widths["emails"] >= len("jose.nunez@example.com; jnunez@example.org")
    assert widths["notes"] == xlsx.MAX_WIDTH or widths["notes"] >= len(LONG_NOTE.splitlines()[0])
    assert widths["class_year"] < 20 and widths["provenance"] <= xlsx.MAX_WIDTH


def test_xlsx_cells_excel_accepts(tmp_path):
    frame = pl.DataFrame({"notes": ["bell\x07 and null\x00 gone", "x" * 40_000], "n": [1, 2]})
    path = tmp_path / "odd.xlsx"
    export_frame(frame, "xlsx", path)
    ws = load_workbook(path).active
    assert ws["A2"].value == "bell and null gone"
    assert len(ws["A3"].value) == xlsx.MAX_CELL_CHARS


def test_xlsx_refuses_more_rows_than_excel_holds(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 3)
    with pytest.raises(UsageError, match="3 rows do not fit in an Excel sheet .* export csv instead"):
        export_frame(people_frame(), "xlsx", tmp_path / "big.xlsx")
    assert not (tmp_path / "big.xlsx").exists()


def test_failed_write_keeps_the_last_good_file(tmp_path, monkeypatch):
    path = tmp_path / "people.xlsx"
    export_frame(people_frame(), "xlsx", path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(xlsx, "write_frame_sheet", boom)
    with pytest.raises(PluginError, match=r"format 'xlsx' \(plugin 'contacts'\) failed: disk full"):
        export_frame(people_frame(), "xlsx", path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["people.xlsx"]  # no temporary file left


# --- google-csv -----------------------------------------------------------------------


def test_google_contacts_csv(tmp_path):
    path = tmp_path / "google.csv"
    export_frame(people_frame(), "google-csv", path)
    raw = path.read_bytes()
    assert raw.startswith(b"First Name,Middle Name,Last Name,Phonetic First Name,")  # no BOM for Google
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames
        rows = list(reader)
    assert header[: len(GOOGLE_HEAD)] == GOOGLE_HEAD
    assert "E-mail 2 - Value" in header and "E-mail 3 - Value" not in header  # as many as used
    assert "Phone 2 - Value" in header and "Phone 3 - Label" not in header
    jose, ken, prince = rows
    assert (jose["First Name"], jose["Last Name"], jose["Organization Name"]) == (
        "José",
        "Núñez",
        "Fabrikam Inc.",
    )
    assert jose["E-mail 1 - Label"] == "* Other" and jose["E-mail 1 - Value"] == "jose.nunez@example.com"
    assert jose["E-mail 2 - Label"] == "Other" and jose["E-mail 2 - Value"] == "jnunez@example.org"
    assert jose["Phone 1 - Value"] == "+12065550142" and jose["Phone 2 - Value"] == "+442079460958"
    assert jose["Labels"] == "* myContacts ::: 2026 search ::: Alumni"
    assert jose["Birthday"] == "--04-15" and jose["Notes"] == LONG_NOTE
    assert (
        jose["Address 1 - Formatted"] == "1 Main St\nSeattle WA 98101\nUS"
        and jose["Address 1 - City"] == "Seattle"
    )
    assert jose["Website 1 - Label"] == "Profile"
    assert jose["Website 1 - Value"] == "https://www.linkedin.com/in/jose-nunez"
    assert ken["E-mail 1 - Label"] == "" and ken["E-mail 1 - Value"] == "" and ken["Labels"] == "* myContacts"
    assert ken["Address 1 - Label"] == ""
    assert prince["First Name"] == "Prince" and prince["Last Name"] == ""  # no guessing at a split


# --- vcf ------------------------------------------------------------------------------


def test_vcf_uses_the_vcard_plugin(tmp_path, monkeypatch):
    calls = []

    def write_vcards(frame, path, version="3.0"):
        calls.append((frame.height, version, Path(path)))
        Path(path).write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nEND:VCARD\r\n", encoding="utf-8")

    monkeypatch.setitem(sys.modules, "plugins.vcard.write", types.SimpleNamespace(write_vcards=write_vcards))
    path = tmp_path / "people.vcf"
    export_frame(people_frame(), "vcf", path)
    assert calls == [(3, "3.0", path)]
    assert path.read_text(encoding="utf-8").startswith("BEGIN:VCARD")


def test_vcf_without_the_vcard_plugin_says_so(tmp_path):
    without_vcard = plugin_manager(builtins=[b for b in BUILTIN_PLUGINS if b != "plugins.vcard"])
    with pytest.raises(UsageError, match="unknown format 'vcf'; choose one of csv, google-csv, jsonl, xlsx"):
        export_frame(people_frame(), "vcf", tmp_path / "x.vcf", pm=without_vcard)
    assert not (tmp_path / "x.vcf").exists()


def test_unknown_format_is_a_usage_error(tmp_path):
    with pytest.raises(
        UsageError, match="unknown format 'ods'; choose one of csv, google-csv, jsonl, vcf, xlsx"
    ):
        export_frame(people_frame(), "ods", tmp_path / "x.ods")


# --- CLI ------------------------------------------------------------------------------


@pytest.fixture
def imported(workspace, samples):
    (workspace.root / "Connections.csv").write_bytes((samples / "linkedin" / "Connections.csv").read_bytes())
    import_through_core(workspace, "Connections.csv")
    return workspace


def test_cli_export_people_formats(runner, imported, tmp_path):
    ws = str(imported.root)
    out = tmp_path / "people.csv"
    result = runner.invoke(app, ["-w", ws, "export", "people", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote 50 people to" in result.stderr
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    maria = next(r for r in rows if r["full_name"] == "Maria Gonzalez")
    assert maria["person_id"].startswith("p_") and maria["sources"] == "linkedin"
    assert maria["emails"] == "maria.gonzalez@example.com" and maria["connected_on"] == "2026-01-12"

    book = tmp_path / "people.xlsx"
    result = runner.invoke(app, ["-w", ws, "export", "people", "-f", "xlsx", "-o", str(book)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(book)["People"]
    assert sheet.max_row == 51 and sheet["A1"].value == "person_id"

    google = runner.invoke(app, ["-w", ws, "export", "people", "--format", "google-csv"])
    assert google.exit_code == 0 and google.stdout.startswith("First Name,Middle Name,Last Name,")
    assert "Maria,,Gonzalez," in google.stdout


def test_cli_export_records_keeps_jsonl_default_and_gains_xlsx(runner, imported):
    ws = str(imported.root)
    default = runner.invoke(app, ["-w", ws, "export", "records"])
    assert default.exit_code == 0 and json.loads(default.stdout.splitlines()[0])["source"] == "linkedin"
    binary = runner.invoke(app, ["-w", ws, "export", "records", "--format", "xlsx", "--out", "-"])
    assert binary.exit_code == 0 and binary.stdout_bytes.startswith(b"PK\x03\x04")
    bad = runner.invoke(app, ["-w", ws, "export", "people", "--format", "ods"])
    assert bad.exit_code == 2 and "unknown format 'ods'" in bad.stderr


# --- the contacts exporter -----------------------------------------------------------


def test_contacts_exporter_writes_every_format(imported, pm, tmp_path, monkeypatch, caplog):
    exporter = registry.exporters(pm)["contacts"]
    with Store(imported.store_path) as store:
        written = exporter.write(export_context(store, tmp_path / "out", dt.date(2026, 3, 9)))
    # contacts.vcf is the vcard exporter's file, so it is not in the defaults
    assert [p.name for p in written] == ["contacts.csv", "contacts.xlsx", "contacts-google.csv"]
    without_vcard = plugin_manager(builtins=[b for b in BUILTIN_PLUGINS if b != "plugins.vcard"])
    with Store(imported.store_path) as store, caplog.at_level(logging.WARNING, logger="kith.contacts"):
        day = dt.date(2026, 3, 9)
        asked = export_context(store, tmp_path / "vcf", day, options={"formats": ["vcf"]}, pm=without_vcard)
        assert exporter.write(asked) == []
    assert "skipping vcf" in caplog.text and "vCard plugin" in caplog.text
    assert load_workbook(written[1])["Contacts"].max_row == 51
    with written[2].open(encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 50


def test_contacts_exporter_options(imported, pm, tmp_path):
    exporter = registry.exporters(pm)["contacts"]
    with Store(imported.store_path) as store:
        context = export_context(
            store, tmp_path, dt.date(2026, 3, 9), options={"formats": ["csv"], "basename": "alumni"}
        )
        assert exporter.write(context) == [tmp_path / "alumni.csv"]
        context.options = {"formats": ["pdf"]}
        with pytest.raises(ConfigError, match="unknown format 'pdf'"):
            exporter.write(context)
        context.options = {"basename": "../escape"}
        with pytest.raises(ConfigError, match="plain file name"):
            exporter.write(context)


def test_vcf_round_trips_through_the_vcard_plugin(tmp_path):
    from pipeline.contracts import ImportOptions
    from plugins.vcard.read import read_vcards

    path = tmp_path / "people.vcf"
    export_frame(people_frame(), "vcf", path)
    text = path.read_text(encoding="utf-8")
    assert text.count("BEGIN:VCARD") == 3 and "VERSION:3.0" in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    back = read_vcards(path, ImportOptions()).records
    jose = back.row(0, named=True)
    assert jose["full_name"] == "José Núñez" and jose["organization"] == "Fabrikam Inc."
    assert jose["emails"] == ["jose.nunez@example.com", "jnunez@example.org"]
    assert jose["phones"] == ["+12065550142", "+442079460958"]
    assert back["full_name"].to_list() == ["José Núñez", "Ken Watanabe", "Prince"]


def test_cli_export_people_vcf(runner, imported, tmp_path):
    out = tmp_path / "people.vcf"
    result = runner.invoke(app, ["-w", str(imported.root), "export", "people", "-f", "vcf", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_bytes().decode("utf-8")
    assert text.count("BEGIN:VCARD") == 50 and "FN:Maria Gonzalez\r\n" in text


def test_contacts_exporter_includes_vcf_when_asked_and_the_vcard_plugin_is_there(imported, pm, tmp_path):
    exporter = registry.exporters(pm)["contacts"]
    formats = {"formats": ["csv", "xlsx", "vcf", "google-csv"]}
    with Store(imported.store_path) as store:
        written = exporter.write(export_context(store, tmp_path, dt.date(2026, 3, 9), options=formats))
    assert [p.name for p in written] == [
        "contacts.csv",
        "contacts.xlsx",
        "contacts.vcf",
        "contacts-google.csv",
    ]
    assert written[2].read_bytes().count(b"BEGIN:VCARD") == 50


@pytest.mark.parametrize(
    ("limit", "skipped", "kept"),
    [
        ("DEFAULT_XLSX_MAX_PEOPLE", ("xlsx", "contacts.xlsx"), ["contacts.csv", "contacts-google.csv"]),
        # more than one Google account holds: a Google CSV nobody could import
        ("GOOGLE_MAX_CONTACTS", ("google-csv", "contacts-google.csv"), ["contacts.csv", "contacts.xlsx"]),
    ],
)
def test_contacts_exporter_skips_by_default_what_a_big_directory_cannot_use(
    imported, pm, tmp_path, monkeypatch, caplog, limit, skipped, kept
):
    import plugins.contacts as contacts

    monkeypatch.setattr(contacts, limit, 10)
    fmt, name = skipped
    exporter = registry.exporters(pm)["contacts"]
    with Store(imported.store_path) as store, caplog.at_level(logging.WARNING, logger="kith.contacts"):
        written = exporter.write(export_context(store, tmp_path / "big", dt.date(2026, 3, 9)))
        both = {"formats": ["csv", fmt]}
        asked = exporter.write(export_context(store, tmp_path / "asked", dt.date(2026, 3, 9), options=both))
    assert [p.name for p in written] == kept
    assert not (tmp_path / "big" / name).exists()
    assert f"skipping {name}" in caplog.text
    assert [p.name for p in asked] == ["contacts.csv", name]
    assert (tmp_path / "asked" / name).stat().st_size > 1000


# --- formats come from plugins ----------------------------------------------------------------


class TsvFormat:
    name = "tsv"
    suffix = ".tsv"
    description = "tab-separated names (a third-party format)"

    def write(self, frame, path, *, sheet="Contacts"):
        Path(path).write_text("\n".join(frame["full_name"].to_list()) + "\n", encoding="utf-8")


class TsvPlugin:
    @hookimpl
    def register_formats(self):
        return [TsvFormat()]


def test_hook_register_formats(tmp_path):
    pm = plugin_manager([("tsv_plugin", TsvPlugin())])
    formats = registry.formats(pm)
    assert {"csv", "xlsx", "jsonl", "google-csv", "vcf", "tsv"} <= set(formats)
    assert registry.owner_of(pm, "format", "tsv") == "tsv_plugin"
    assert registry.owner_of(pm, "format", "google-csv") == "contacts"
    assert registry.owner_of(pm, "format", "vcf") == "vcard"
    export_frame(people_frame(), "tsv", tmp_path / "people.tsv", pm=pm)
    assert (tmp_path / "people.tsv").read_text(encoding="utf-8").splitlines()[0] == people_frame()[
        "full_name"
    ][0]
    clash = TsvFormat()
    clash.name = "csv"

    class Clash:
        @hookimpl
        def register_formats(self):
            return [clash]

    clashing = plugin_manager([("clash", Clash())])
    assert "csv" in registry.formats(clashing)
    assert registry.owner_of(clashing, "format", "csv") == "contacts"  # the built-in keeps its name
    (failed,) = [f for f in clashing.failed if f.name == "clash"]
    assert "two formats are named 'csv'" in failed.error


def test_contacts_keep_provenance_only_for_people_of_several_records(imported, pm, tmp_path):
    """A person of one record: every field is that record's (record_ids names it), so the
    human-facing contacts files leave provenance blank; a merged person's says which record gave what."""
    from plugins.contacts import _merged_provenance_only

    people = pl.DataFrame(
        {
            "person_id": ["p_one", "p_two"],
            "record_ids": [["r_a"], ["r_b", "r_c"]],
            "provenance": ['{"full_name":"r_a"}', '{"full_name":"r_b","emails":"r_c"}'],
        }
    )
    assert _merged_provenance_only(people)["provenance"].to_list() == [
        None,
        '{"full_name":"r_b","emails":"r_c"}',
    ]
    exporter = registry.exporters(pm)["contacts"]
    with Store(imported.store_path) as store:
        context = export_context(store, tmp_path, dt.date(2026, 3, 9), options={"formats": ["csv"]})
        (path,) = exporter.write(context)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 50 and all(r["provenance"] == "" and r["record_ids"] for r in rows)


def test_contacts_provenance_keeps_the_frame_chunked_as_it_was():
    """The blanked provenance column is chunked as the other columns are (a people frame read in
    pages has one chunk a page): a when/then joins the leading chunks without a merged person,
    and the next with_columns over columns chunked apart copies every column of a million people."""
    from plugins.contacts import _merged_provenance_only

    def page(ids: list[list[str]]) -> pl.DataFrame:
        return pl.DataFrame({"record_ids": ids, "provenance": [f"{{{len(i)}}}" for i in ids]})

    people = pl.concat([page([["a"]] * 3), page([["b"]] * 3), page([["c", "d"]] * 3)], rechunk=False)
    out = _merged_provenance_only(people)
    assert [len(c) for c in out["provenance"].get_chunks()] == [3, 3, 3]
    assert out["provenance"].to_list() == [None] * 6 + ["{2}"] * 3
    patched = pl.concat([page([["a"]]), page([["b", "c"]])] * 40, rechunk=False)  # a slice per change
    assert _merged_provenance_only(patched)["provenance"].to_list() == [None, "{2}"] * 40

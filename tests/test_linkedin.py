"""LinkedIn Connections.csv: preamble found by content, quirks kept, zip accepted."""

from __future__ import annotations

import json
import zipfile

import pytest

from pipeline.importing import pick_importer
from pipeline.testing import (
    assert_conforms,
    assert_rejects_have_places,
    check_importer,
    import_through_core,
    make_workspace,
)
from pipeline.textio import read_head


def _import(tmp_path, fixtures, name):
    ws = make_workspace(tmp_path / "ws")
    return import_through_core(ws, fixtures / "linkedin" / name)


def _by_name(records):
    return {row["full_name"]: row for row in records.iter_rows(named=True)}


def test_preamble_rows_quirks_and_rejects(tmp_path, fixtures):
    result = _import(tmp_path, fixtures, "Connections_preamble.csv")
    assert result.outcome.status == "imported" and result.outcome.importer == "linkedin"
    assert_conforms(result.records)
    people = _by_name(result.records)
    assert len(people) == 5
    assert {"Maria Gonzalez", "Jürgen Müller", "Ken Watanabe"} <= set(people)
    maria = people["Maria Gonzalez"]
    assert maria["emails"] == ["maria.gonzalez@example.com"]
    assert maria["organization"] == "Fabrikam Inc."
    assert maria["connected_on"].isoformat() == "2026-01-12"
    assert maria["channel"] == "linkedin"
    assert maria["source_ref"] == "row 5"
    jurgen = people["Jürgen Müller"]
    assert jurgen["organization"] == "Müller, Schmidt & Co. KG"  # quoted comma intact
    assert jurgen["linkedin_url"] == "https://www.linkedin.com/in/juergen-mueller"
    aisha = next(p for n, p in people.items() if n.startswith("Aisha"))
    assert "🚀" in aisha["full_name"]  # emoji intact
    assert aisha["linkedin_url"] == "https://www.linkedin.com/in/aishabello"
    # one restricted-profile row, reported with its line; blank padding rows are not rejects
    assert [(r.ref, "connection date" in r.reason) for r in result.outcome.rejects] == [("row 10", True)]
    assert_rejects_have_places(result.outcome)
    assert result.outcome.info["blank_rows_skipped"] == 2


def test_bom_and_note_spanning_lines(tmp_path, fixtures):
    result = _import(tmp_path, fixtures, "Connections_bom_multiline_note.csv")
    people = _by_name(result.records)
    assert set(people) == {"Sofia de la Cruz", "Dana Whitfield"}
    assert people["Sofia de la Cruz"]["title"].endswith("Integration, Embedded and API Strategy")
    assert people["Sofia de la Cruz"]["source_ref"] == "row 7"
    # "Self-Employed" is not an employer; it is kept in extra, not dropped
    assert people["Dana Whitfield"]["organization"] is None
    assert json.loads(people["Dana Whitfield"]["extra"]) == {"company": "Self-Employed"}


def test_old_header_without_url(tmp_path, fixtures):
    result = _import(tmp_path, fixtures, "Connections_2020_no_url.csv")
    people = _by_name(result.records)
    assert people["Elizabeth Harper"]["emails"] == ["liz.harper@example.com"]
    assert people["Robert Kowalski"]["linkedin_url"] is None
    assert people["Robert Kowalski"]["connected_on"].isoformat() == "2020-03-15"


def test_german_header(tmp_path, fixtures):
    result = _import(tmp_path, fixtures, "Connections_de.csv")
    row = result.records.row(0, named=True)
    assert (row["given_name"], row["family_name"], row["organization"]) == (
        "Jürgen",
        "Müller",
        "Müller, Schmidt & Co. KG",
    )
    assert row["connected_on"].isoformat() == "2022-04-03"


def test_preamble_only_is_one_clear_error(tmp_path, fixtures):
    ws = make_workspace(tmp_path / "ws")
    result = import_through_core(
        ws, fixtures / "linkedin" / "Connections_preamble_only.csv", importer="linkedin"
    )
    assert result.outcome.status == "failed"
    assert "no LinkedIn header row" in result.outcome.error
    assert "Connections_preamble_only.csv" in result.outcome.error


def test_export_zip_is_read_directly(tmp_path, fixtures):
    archive = tmp_path / "Basic_LinkedInDataExport_11-20-2026.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(fixtures / "linkedin" / "Connections_preamble.csv", "Connections.csv")
        zf.writestr("Profile.csv", "First Name,Last Name\nSam,Example\n")
    ws = make_workspace(tmp_path / "ws")
    result = import_through_core(ws, archive)
    assert result.outcome.importer == "linkedin" and result.outcome.status == "imported"
    assert result.records.height == 5
    assert result.records["source_ref"][0] == "Connections.csv row 5"


def test_zip_without_connections_is_not_claimed(tmp_path, pm):
    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.txt", "hello")
    with pytest.raises(Exception, match="no importer recognises"):
        pick_importer(pm, archive, read_head(archive))


def test_sample_export_imports_every_connection(tmp_path, samples):
    ws = make_workspace(tmp_path / "ws")
    result = import_through_core(ws, samples / "linkedin" / "Connections.csv")
    assert result.outcome.status == "imported"
    assert result.records.height == 50
    assert len(result.outcome.rejects) == 1
    assert result.records["linkedin_url"].str.starts_with("https://www.linkedin.com/in/").all()
    assert result.records["record_id"].n_unique() == 50


def test_record_ids_are_stable_when_rows_move(tmp_path, fixtures):
    text = (fixtures / "linkedin" / "Connections_2020_no_url.csv").read_text()
    header, first, second = text.strip().split("\n")
    ws = make_workspace(tmp_path / "ws", {"c.csv": f"{header}\n{first}\n{second}\n"})
    before = dict(import_through_core(ws, "c.csv").records.select("full_name", "record_id").iter_rows())
    (ws.root / "c.csv").write_text(f"{header}\n{second}\n{first}\n")
    after = dict(import_through_core(ws, "c.csv").records.select("full_name", "record_id").iter_rows())
    assert before == after


def test_linkedin_passes_the_same_checks_as_any_plugin(tmp_path, samples):
    ws = make_workspace(tmp_path / "ws")
    result = check_importer(ws, samples / "linkedin" / "Connections.csv", "linkedin")
    assert result.records.height == 50 and [r.ref for r in result.outcome.rejects] == ["row 38"]


def test_a_row_with_an_unquoted_comma_is_a_reject_kept_whole_not_shifted(tmp_path, fixtures):
    imported = _import(tmp_path, fixtures, "Connections_unquoted_comma.csv")
    people = _by_name(imported.records)
    assert set(people) == {"Priya Raman", "Marcus Hale"}
    assert people["Marcus Hale"]["organization"] == "Northwind Traders"
    (reject,) = imported.outcome.rejects
    assert reject.ref == "row 6"
    assert reject.raw == (
        "Ana,Ortega, MBA,https://www.linkedin.com/in/ana-ortega-example,,Fabrikam,Product Lead,03 Feb 2024"
    )
    assert "more fields than the header" in reject.reason

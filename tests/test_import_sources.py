"""Sources users have: a Google Takeout zip, standard input (``kith import -``), ``--as`` forcing."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.cli import build_app
from pipeline.testing import import_through_core, make_workspace

app = build_app()

FIX = Path(__file__).parent / "fixtures"
TAKEOUT = FIX / "google" / "takeout-20260301T101500Z-001.zip"


def test_google_takeout_zip_imports_directly_one_record_per_contact_labels_as_tags(tmp_path):
    imported = import_through_core(make_workspace(tmp_path / "ws"), TAKEOUT)
    assert imported.outcome.importer == "google_takeout" and imported.outcome.status == "imported"
    rows = {r["full_name"]: r for r in imported.records.to_dicts()}
    assert list(rows) == [
        "Lena Brandt",
        "Kwame Osei",
        "Ilona Varga",
    ]  # Family/Starred copies are not new people
    assert rows["Kwame Osei"]["tags"] == ["Family"] and rows["Lena Brandt"]["tags"] == ["Starred"]
    assert rows["Lena Brandt"]["linkedin_url"] == "https://www.linkedin.com/in/lena-brandt-example"
    assert rows["Lena Brandt"]["phones"] == ["+12065550131"]
    assert rows["Ilona Varga"]["notes"] == "Met at the spring alumni mixer"
    assert rows["Kwame Osei"]["source_ref"] == "Contacts/All Contacts/All Contacts.vcf card 2 (line 11)"
    assert set(imported.outcome.info["members"]) == {
        "Contacts/All Contacts/All Contacts.vcf",
        "Contacts/Family/Family.vcf",
        "Contacts/Starred/Starred.vcf",
    }


def _init(runner, tmp_path) -> Path:
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    return ws


def test_import_dash_reads_standard_input_and_sniffs_it(runner, tmp_path):
    ws = _init(runner, tmp_path)
    card = (FIX / "vcard" / "google_3.0.vcf").read_bytes()
    result = runner.invoke(app, ["-w", str(ws), "import", "-", "--json"], input=card)
    assert result.exit_code == 0, result.output
    (summary,) = json.loads(result.stdout)["files"]
    assert (summary["path"], summary["importer"], summary["status"]) == ("-", "vcard", "imported")
    assert summary["records"] > 0
    csv = (FIX / "thunderbird" / "contacts.csv").read_bytes()
    result = runner.invoke(app, ["-w", str(ws), "import", "-", "--json"], input=csv)
    (summary,) = json.loads(result.stdout)["files"]
    assert (summary["importer"], summary["status"]) == ("thunderbird_csv", "imported")
    again = runner.invoke(app, ["-w", str(ws), "import", "-", "--json"], input=csv)
    assert json.loads(again.stdout)["files"][0]["status"] == "unchanged"  # same content, already in


def test_empty_standard_input_is_named_as_such_not_as_a_temporary_file(runner, tmp_path):
    ws = _init(runner, tmp_path)
    result = runner.invoke(app, ["-w", str(ws), "import", "-", "--json"], input=b"")
    assert result.exit_code == 2
    (summary,) = json.loads(result.stdout)["files"]
    assert (summary["path"], summary["error"]) == ("-", "- (standard input): is empty (0 bytes)")
    shown = runner.invoke(app, ["-w", str(ws), "import", "-"], input=b"")
    assert "- (standard input): is empty (0 bytes)" in shown.output and "kith-stdin" not in shown.output


def test_as_forces_an_importer_that_maps_what_it_can_and_warns(runner, tmp_path):
    ws = _init(runner, tmp_path)
    google = FIX / "google" / "contacts.csv"
    result = runner.invoke(app, ["-w", str(ws), "import", str(google), "--as", "outlook_csv", "--json"])
    assert result.exit_code == 0, result.output
    (summary,) = json.loads(result.stdout)["files"]
    assert (summary["importer"], summary["status"]) == ("outlook_csv", "imported")
    assert any("not an Outlook CSV header" in w["message"] for w in summary["warnings"])
    imported = import_through_core(make_workspace(tmp_path / "other"), google, importer="outlook_csv")
    first = imported.records.row(0, named=True)
    assert (first["given_name"], first["family_name"]) == (
        "Robert",
        "Kowalski",
    )  # Outlook has these columns too
    assert "E-mail 1 - Value" in json.loads(first["extra"])  # Google's own columns kept, not dropped


def test_as_with_nothing_to_read_is_still_one_clear_error(runner, tmp_path):
    ws = _init(runner, tmp_path)
    csv = FIX / "meetup" / "attendees.csv"
    result = runner.invoke(app, ["-w", str(ws), "import", str(csv), "--as", "vcard", "--json"])
    (summary,) = json.loads(result.stdout)["files"]
    assert summary["status"] == "failed" and "attendees.csv" in summary["error"]

"""Sniff tests: each spreadsheet importer claims its own files and none claims the others'."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugins.alumni import AlumniImporter
from plugins.google_csv import IMPORTER as GOOGLE
from plugins.outlook_csv import IMPORTER as OUTLOOK
from plugins.thunderbird_csv import IMPORTER as THUNDERBIRD

FIX = Path(__file__).parent / "fixtures"
IMPORTERS = {i.name: i for i in (AlumniImporter(), GOOGLE, OUTLOOK, THUNDERBIRD)}

OWNER = {
    "alumni/directory.xlsx": "alumni",
    "alumni/raisers_edge_latin1.csv": "alumni",
    "alumni/messy_headers.csv": "alumni",
    "google/contacts.csv": "google_csv",
    "google/legacy_utf16.csv": "google_csv",
    "outlook/contacts.csv": "outlook_csv",
    "outlook/kontakte_de.csv": "outlook_csv",
    "thunderbird/contacts.csv": "thunderbird_csv",
    "alumni/foreign/Connections.csv": None,  # LinkedIn's importer
    "alumni/foreign/Verbindungen.csv": None,
    "alumni/foreign/contacts.vcf": None,  # vCard's importer
}


def scores(relative: str) -> dict[str, float]:
    path = FIX / relative
    head = path.read_bytes()[: 64 * 1024]
    return {name: importer.sniff(path, head) for name, importer in IMPORTERS.items()}


@pytest.mark.parametrize(("relative", "owner"), OWNER.items())
def test_each_importer_claims_only_its_own_files(relative, owner):
    got = scores(relative)
    for name, score in got.items():
        assert 0.0 <= score <= 1.0
        if name == owner:
            assert score >= 0.8, (name, got)
        else:
            assert score <= 0.1, (name, got)


def test_address_book_sniffers_outrank_the_generic_alumni_one():
    for relative, owner in OWNER.items():
        if owner and owner != "alumni":
            got = scores(relative)
            assert max(got, key=got.get) == owner


def test_generic_csv_with_google_like_columns_is_not_stolen(tmp_path):
    # A hand-made list using a couple of Google-ish names is still a generic directory.
    path = tmp_path / "list.csv"
    path.write_text("First Name,Last Name,Email,Class Year\nAnn,Lee,ann@example.com,2001\n")
    head = path.read_bytes()
    got = {name: importer.sniff(path, head) for name, importer in IMPORTERS.items()}
    assert got["alumni"] >= 0.5
    assert got["google_csv"] == got["outlook_csv"] == got["thunderbird_csv"] == 0.0


def test_binary_and_empty_files_are_nobodys(tmp_path):
    blob = tmp_path / "photo.csv"
    blob.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    for path in (blob, empty):
        head = path.read_bytes()
        assert all(importer.sniff(path, head) == 0.0 for importer in IMPORTERS.values())


def test_plugins_register_their_importers_through_the_manager():
    from pipeline.manager import make_plugin_manager
    from pipeline.registry import importers

    modules = ("plugins.alumni", "plugins.google_csv", "plugins.outlook_csv", "plugins.thunderbird_csv")
    pm = make_plugin_manager(builtins=modules, entry_points=False, disabled=())
    assert pm.failed == []
    found = importers(pm)
    assert set(found) == {"alumni", "google_csv", "google_takeout", "outlook_csv", "thunderbird_csv"}
    assert all(importer.description for importer in found.values())


def test_workbook_sniff_reads_only_the_first_strings(tmp_path):
    import openpyxl

    from pipeline.tabular import workbook_head_texts

    wb = openpyxl.Workbook()
    wb.active.append(["Quarterly budget"])
    wb.active.append(["Account", "Amount", "Quarter"])
    wb.save(tmp_path / "budget.xlsx")
    path = tmp_path / "budget.xlsx"
    assert workbook_head_texts(path)[:2] == ["Quarterly budget", "Account"]
    assert AlumniImporter().sniff(path, path.read_bytes()[:65536]) == 0.0
    alumni = FIX / "alumni" / "directory.xlsx"
    assert "Class Yr" in workbook_head_texts(alumni)

"""The spreadsheet importers through the real core: detection, validation, normalization, store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import plugins.alumni
import plugins.google_csv
import plugins.outlook_csv
import plugins.thunderbird_csv
from pipeline.testing import assert_conforms, assert_rejects_have_places, import_through_core, make_workspace

FIX = Path(__file__).parent / "fixtures"
OURS = [
    ("alumni", plugins.alumni),
    ("google_csv", plugins.google_csv),
    ("outlook_csv", plugins.outlook_csv),
    ("thunderbird_csv", plugins.thunderbird_csv),
]


@pytest.mark.parametrize(
    ("relative", "importer", "count"),
    [
        ("alumni/directory.xlsx", "alumni", 40),
        ("alumni/raisers_edge_latin1.csv", "alumni", 4),
        ("google/legacy_utf16.csv", "google_csv", 2),
        ("outlook/kontakte_de.csv", "outlook_csv", 1),
        ("thunderbird/contacts.csv", "thunderbird_csv", 2),
    ],
)
def test_detected_and_stored(tmp_path, relative, importer, count):
    workspace = make_workspace(tmp_path / "ws", config='[workspace]\nschool = "Springfield University"\n')
    shutil.copy(FIX / relative, workspace.root / Path(relative).name)
    result = import_through_core(
        workspace, Path(relative).name, plugins=[p for p in OURS if not _builtin(p[0])]
    )
    assert result.outcome.status == "imported", result.outcome.error
    assert result.outcome.importer == importer
    assert result.outcome.records == count == result.records.height
    assert_conforms(result.records)
    assert_rejects_have_places(result.outcome)
    assert set(result.records["source"].unique()) == {importer}


def test_alumni_records_after_normalization(tmp_path):
    workspace = make_workspace(tmp_path / "ws", config='[workspace]\nschool = "Springfield University"\n')
    shutil.copy(FIX / "alumni" / "directory.xlsx", workspace.root / "directory.xlsx")
    result = import_through_core(workspace, "directory.xlsx", plugins=[p for p in OURS if not _builtin(p[0])])
    maria = result.records.filter(result.records["family_name"] == "Gonzalez").row(0, named=True)
    assert maria["class_year"] == 2009 and maria["school"] == "Springfield University"
    assert maria["channel"] == "alumni" and maria["source_ref"] == "Alumni!5"
    assert "maria.gonzalez@example.com" in maria["emails"]
    tagged = result.records.filter(result.records["tags"].list.contains("deceased"))
    assert tagged["family_name"].to_list() == ["Whitfield"]


def _builtin(name: str) -> bool:
    from pipeline.manager import BUILTIN_PLUGINS

    return f"plugins.{name}" in BUILTIN_PLUGINS

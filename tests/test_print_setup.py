"""Every workbook kith writes prints: landscape (portrait for a short About sheet), one page wide,
the header row repeated, numbered pages, and each chart inside the print area beside its table so
scaling to one page wide never cuts it in two."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, range_boundaries

from pipeline.cli import build_app

ROOT = Path(__file__).resolve().parent.parent
WEEK = "2026-W48"
#: (workbook, sheet) → whether it is a table whose header row repeats on every page
SHEETS = {
    ("contacts.xlsx", "Contacts"): True,
    ("duplicates.xlsx", "Review"): True,
    ("duplicates.xlsx", "How to use"): False,
    ("followups.xlsx", "Follow-ups"): True,
    ("followups.xlsx", "About"): False,
    ("outcome-report.xlsx", "Summary"): False,
    ("outcome-report.xlsx", "Helpers"): True,
    ("outcome-report.xlsx", "Referral chains"): True,
    ("outcome-report.xlsx", "Channels"): True,
    ("outcome-report.xlsx", "Activity"): True,
}


@pytest.fixture(scope="module")
def week(tmp_path_factory) -> Path:
    from typer.testing import CliRunner

    root = tmp_path_factory.mktemp("print") / "ws"
    root.mkdir()
    shutil.copy(ROOT / "kith.toml", root / "kith.toml")
    shutil.copytree(ROOT / "sample_inputs", root / "sample_inputs")
    result = CliRunner().invoke(build_app(), ["-w", str(root), "run", "--as-of", "2026-11-26", "--json"])
    assert result.exit_code == 3, result.output
    return root / "reports" / WEEK


def test_every_sheet_of_every_workbook_has_a_print_setup(week):
    found = {(p.name, ws.title) for p in week.glob("*.xlsx") for ws in load_workbook(p).worksheets}
    assert found == set(SHEETS)  # a new workbook or sheet must be added here, with its print setup
    for (name, title), table in SHEETS.items():
        ws = load_workbook(week / name)[title]
        setup = ws.page_setup
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True, (name, title)
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), (name, title)
        assert setup.orientation == ("portrait" if title == "About" else "landscape"), (name, title)
        assert ws.print_title_rows == ("$1:$1" if table else None), (name, title)
        assert ws.oddFooter.right.text == "Page &P of &N" and ws.oddFooter.left.text == "&A"
        assert ws.page_margins.left == ws.page_margins.right == 0.4


def test_charts_sit_inside_the_print_area_on_the_first_page(week):
    wb = load_workbook(week / "outcome-report.xlsx")
    for title, anchor in (("Channels", "I2"), ("Activity", "H2")):
        ws = wb[title]
        (chart,) = ws._charts
        marker = chart.anchor._from
        assert (marker.col + 1, marker.row + 1) == (column_index_from_string(anchor[0]), 2)
        area = ws.print_area.split("!")[1].replace("$", "")
        first_col, first_row, last_col, last_row = range_boundaries(area)
        assert (first_col, first_row) == (1, 1)
        # the chart's far corner (width and height in cm over default cells) is inside the area
        assert last_col >= marker.col + 1 + chart.width / 1.7 and last_col >= ws.max_column
        assert last_row >= 2 + chart.height / 0.5 and last_row >= ws.max_row
        assert chart.height <= 12  # shorter than a landscape page: it never spans a page break


def test_an_export_to_xlsx_prints_too(tmp_path):
    import polars as pl

    from pipeline.manager import make_plugin_manager
    from pipeline.registry import formats

    frame = pl.DataFrame(
        {"name": ["Ana Lima", "Ben Okafor"], "email": ["ana@example.com", "ben@example.com"]}
    )
    path = tmp_path / "people.xlsx"
    formats(make_plugin_manager(entry_points=False))["xlsx"].write(frame, path, sheet="People")
    ws = load_workbook(path)["People"]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows == "$1:$1"

"""Alumni csv cells holding a line break and a delimiter, quoted as Excel and Python write them."""

from __future__ import annotations

import csv

import pytest

from pipeline.contracts import ImportOptions
from plugins.alumni import AlumniImporter


@pytest.mark.parametrize(
    ("header", "blank", "rows", "field", "value"),
    [
        # after blank rows: the cell's second line ",," is not a row left by a stray quote
        (
            ["First Name", "Email", "Constituent ID", "Last Name", "Preferred Name"],
            6,
            [[""] * 4 + ["\n,,"]],
            "nickname",
            "\n,,",
        ),
        # semicolons inside quoted cells of a comma file: the header's commas decide the delimiter
        (
            ["First Name", "Email", "Constituent ID", "Last Name"],
            0,
            [["", ";", "\n;", "\n;"]],
            "family_name",
            "\n;",
        ),
    ],
)
def test_quoted_cells_with_line_breaks_and_delimiters_are_read(tmp_path, header, blank, rows, field, value):
    path = tmp_path / "contacts.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *([[""] * len(header)] * blank), *rows])
    result = AlumniImporter().read(path, ImportOptions())
    assert result.info["delimiter"] == ","
    assert not result.rejects and not result.info.get("stray_quote_lines")
    assert result.records[field].to_list() == [value]
    assert result.records["source_ref"].to_list() == [f"row {blank + 2}"]

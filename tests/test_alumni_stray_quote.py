"""A stray quote in an alumni directory's csv: the line is a reject with its place and raw text, the rows
after it stay rows (never folded into one cell), whether the quote is closed further down or never."""

from __future__ import annotations

import pytest

from pipeline.testing import import_through_core, make_workspace

HEADER = "First Name,Last Name,Email,Company,Class Year\n"
ROWS = [
    "Maria,Gonzalez,maria.gonzalez@example.com,Northwind,2009\n",
    "Robert,Kowalski,bob.kowalski@example.org,Contoso,2006\n",
    "Priya,Raman,priya.raman@example.com,Fabrikam,2011\n",
    "Ken,Watanabe,ken.watanabe@example.org,Litware,2008\n",
]


@pytest.mark.parametrize(
    ("broken", "rejected"),
    [
        ({0: ',"Northwind,'}, ["row 2"]),  # opened and never closed
        ({0: ',"Northwind,', 2: 'Fabrikam",'}, ["row 2", "row 4"]),  # closed two rows later
    ],
)
def test_a_stray_quote_is_a_reject_and_the_rows_after_it_stay_rows(tmp_path, broken, rejected):
    rows = list(ROWS)
    for index, fragment in broken.items():
        if fragment.startswith(","):
            rows[index] = rows[index].replace(",Northwind,", fragment)
        else:
            rows[index] = rows[index].replace("Fabrikam,", fragment)
    workspace = make_workspace(tmp_path / "ws", {"alumni.csv": HEADER + "".join(rows)})
    result = import_through_core(workspace, "alumni.csv", importer="alumni")
    assert result.outcome.status == "imported", result.outcome.error
    assert [r.ref for r in result.outcome.rejects] == rejected
    assert all("stray quote" in r.reason and r.raw and '"' in r.raw for r in result.outcome.rejects)
    kept = sorted(result.records["family_name"].to_list())
    assert kept == sorted(
        {"Gonzalez", "Kowalski", "Raman", "Watanabe"}
        - {ROWS[int(ref.split()[1]) - 2].split(",")[1] for ref in rejected}
    )
    assert all("\n" not in (value or "") for value in result.records["organization"].to_list())

"""The worst small inputs of issue 21, run by real ``kith`` children under a 1.5 GiB address-space limit.

Each used to abort natively (calamine's ``memory allocation of 549755813888 bytes failed``)
or grow to gigabytes. Under ``RLIMIT_AS`` an overrun cannot hide as a slow run: it is an
abort, a ``MemoryError`` or a traceback, and this test fails. Every input is generated
here, small on disk.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from pipeline.testing import make_workspace
from tests.corpus.measure import ROOT, child_env, kith_command, run_measured
from tests.test_hostile_files import (
    FAR,
    FAR_CELL_VARIANTS,
    FIXTURES,
    _alumni_sheet,
    _records,
    _review_sheet,
    _xlsx,
)

LIMIT = int(1.5 * 1024**3)
SECONDS = 240


def _worst_inputs(folder: Path) -> dict[str, str]:
    """File name → what its outcome must say (an error, or "imported")."""
    folder.mkdir()
    expected: dict[str, str] = {}
    for number, data in enumerate(FAR_CELL_VARIANTS.values(), 1):
        (folder / f"far_cell_{number}.xlsx").write_bytes(data)
        expected[f"far_cell_{number}.xlsx"] = "17,179,869,184 cells, over the 50,000,000-cell limit"
    for name, fixture in (("outlook.csv", "outlook/contacts.csv"), ("google.csv", "google/contacts.csv")):
        header, row = _records(fixture, 2)
        (folder / name).write_bytes(header + b"\n" + row + b"\n" + b"\n" * 5_000_000)
        expected[name] = "imported"
    linkedin = (FIXTURES / "linkedin/Connections_preamble.csv").read_bytes().split(b"\n")[:6]
    (folder / "Connections.csv").write_bytes(b"\n".join(linkedin) + b"\n" * 50_000_000)
    expected["Connections.csv"] = "imported"
    with zipfile.ZipFile(folder / "Basic_LinkedInDataExport.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Connections.csv", b"\n".join(linkedin) + b"\n" * 250_000_000)
    expected["Basic_LinkedInDataExport.zip"] = "imported"
    with zipfile.ZipFile(folder / "Complete_LinkedInDataExport.zip", "w") as archive:
        archive.writestr("Connections.csv", b"\n".join(linkedin) + b"\n")
        for number in range(20_000):
            archive.writestr(f"messages/{number}.csv", b"")
    expected["Complete_LinkedInDataExport.zip"] = "zip holds 20,001 entries, over the limit of 10,000"
    emails = "".join(f"EMAIL:{i}@a.test\r\n" for i in range(190_000))
    card = f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Robin Hale\r\nN:Hale;Robin;;;\r\n{emails}END:VCARD\r\n"
    (folder / "robin.vcf").write_text(card)
    expected["robin.vcf"] = "imported"
    sst = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    # Distinct strings (a repeated one would be refused as a zip bomb first, by its compression ratio).
    sst += b"".join(b"<si><t>%d</t></si>" % i for i in range(10_000_001)) + b"</sst>"
    (folder / "strings.xlsx").write_bytes(_xlsx(_alumni_sheet(), extra={"xl/sharedStrings.xml": sst}))
    expected["strings.xlsx"] = "shared strings, over the 10,000,000 limit"
    return expected


def _generated(folder: Path) -> dict[str, str]:
    """:func:`_worst_inputs`, made in a child process.

    Building them takes about a gigabyte, and Linux hands a parent's peak resident size to
    every child it forks (``ru_maxrss`` survives ``exec``): made here, they would inflate the
    peak of every ``kith`` child measured after this test, in this one and in others.
    """
    code = (
        "import json\nfrom pathlib import Path\nfrom tests.test_bounded_memory import _worst_inputs\n"
        f"print(json.dumps(_worst_inputs(Path({str(folder)!r}))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=child_env(),
    )
    return json.loads(done.stdout)


def test_worst_inputs_end_cleanly_under_a_1_5_gib_address_space(tmp_path):
    expected = _generated(tmp_path / "inbox")
    assert sum(p.stat().st_size for p in (tmp_path / "inbox").iterdir()) < 100 * 1024**2
    workspace = make_workspace(tmp_path / "ws")
    root = str(workspace.root)
    imported = run_measured(
        kith_command("-w", root, "import", str(tmp_path / "inbox"), "--json"),
        timeout=SECONDS,
        address_space=LIMIT,
    )
    assert not imported.timed_out
    assert imported.returncode == 2, imported.stderr[-2000:]  # some files refused, none crashed
    for marker in ("Traceback", "panicked", "memory allocation", "MemoryError"):
        assert marker not in imported.stderr, imported.stderr[-2000:]
    outcomes = {Path(f["path"]).name: f for f in json.loads(imported.stdout)["files"]}
    assert set(outcomes) == set(expected)
    for name, want in expected.items():
        got = outcomes[name]
        if want == "imported":
            assert got["status"] == "imported" and got["records"] >= 1, got
        else:
            assert got["status"] == "failed" and want in got["error"], got
            assert "\n" not in got["error"]

    # The capped card exports in bounded columns; the planted review sheet is refused at once.
    exported = run_measured(
        kith_command("-w", root, "export", "records", "-f", "google-csv", "-o", str(tmp_path / "g.csv")),
        timeout=SECONDS,
        address_space=LIMIT,
    )
    assert exported.returncode == 0, exported.stderr[-2000:]
    header = (tmp_path / "g.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert len(header) < 100
    sheet = _review_sheet(tmp_path, FAR)
    reviewed = run_measured(
        kith_command("-w", root, "review", "--from-sheet", str(sheet)), timeout=60, address_space=LIMIT
    )
    assert reviewed.returncode == 2, reviewed.stderr[-2000:]
    assert reviewed.stderr.strip().startswith("kith: error: ") and "16,384 columns" in reviewed.stderr
    assert len(reviewed.stderr.strip().splitlines()) == 1
    for run in (imported, exported, reviewed):
        assert run.peak_mb < LIMIT / 1024**2

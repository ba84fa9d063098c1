"""The bad-input corpus: every broken, hostile or huge file gives a clear outcome, and the store holds.

Each case of ``tests/corpus/expected.toml`` is imported through the real core into a
workspace that already holds a good file; a failing file must fail with one line naming
the file and saying what is wrong, and leave the store exactly as it was. The big
generated files (50 MB line, a million blank rows, a 2 GB zip bomb) run in one child
process, so their time and peak memory are measured and bounded, and a native crash
(calamine aborting) would show as a signal instead of taking pytest down.
"""

from __future__ import annotations

import json
import sqlite3
import tomllib
from pathlib import Path

import pytest

from pipeline.cli import build_app
from pipeline.contracts import ImportOptions
from pipeline.importing import import_file
from pipeline.store import Store
from pipeline.testing import make_workspace, plugin_manager
from tests.corpus.make_corpus import FILES, small_files, write_big
from tests.corpus.measure import kith_command, run_measured

app = build_app()

CORPUS = Path(__file__).parent / "corpus"
CASES = tomllib.loads((CORPUS / "expected.toml").read_text(encoding="utf-8"))["case"]
SMALL = [c for c in CASES if not c.get("generated")]
BIG = [c for c in CASES if c.get("generated")]
GOOD = "Constituent ID,First Name,Last Name,E-mail Address\r\nG-1,Ada,Lovelace,ada@example.com\r\n"

#: Bounds for the whole big-file child process (five files; measured ~25 s / ~600 MB here).
BIG_SECONDS = 120
BIG_PEAK_MB = 1500


def _case_id(case: dict) -> str:
    return case["file"] + (f"--as-{case['as']}" if case.get("as") else "")


def _snapshot(db: Path) -> tuple:
    """Everything the store holds about sources, records and rejects (to prove a failure changed nothing)."""
    with sqlite3.connect(db) as conn:
        return tuple(
            conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
            for table in ("sources", "records", "rejects")
        )


def test_committed_corpus_matches_its_generator():
    """tests/corpus/files holds exactly what make_corpus.py writes (regenerate, don't hand-edit)."""
    expected = small_files()
    assert sorted(p.name for p in FILES.iterdir()) == sorted(expected)
    for name, data in expected.items():
        assert (FILES / name).read_bytes() == data, name
    assert {c["file"] for c in SMALL} == set(expected), "every committed file has an expected outcome"


@pytest.fixture(scope="module")
def corpus_workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    workspace = make_workspace(root / "ws", {"good.csv": GOOD})
    pm = plugin_manager()
    with Store(workspace.store_path) as store:
        outcome = import_file(store, pm, workspace.resolve("good.csv"), options=ImportOptions(region="US"))
    assert outcome.status == "imported" and outcome.records == 1
    return workspace, pm


@pytest.mark.parametrize("case", SMALL, ids=_case_id)
def test_corpus_file_gives_its_expected_outcome(case, corpus_workspace, tmp_path):
    workspace, pm = corpus_workspace
    path = tmp_path / case["file"]
    path.write_bytes((FILES / case["file"]).read_bytes())
    before = _snapshot(workspace.store_path)
    with Store(workspace.store_path) as store:
        outcome = import_file(store, pm, path, options=ImportOptions(region="US"), as_name=case.get("as"))
        try:
            _check_outcome(case, outcome, path)
        finally:
            if outcome.status == "imported":
                store.remove_source(str(path.resolve()))
    if case["outcome"] == "error":
        assert _snapshot(workspace.store_path) == before, "a failed file changed the store"


def _check_outcome(case: dict, outcome, path: Path) -> None:
    if case["outcome"] == "error":
        assert outcome.status == "failed", outcome.to_json()
        error = outcome.error or ""
        assert case["message"] in error
        assert error.startswith(str(path)), "the error names the file first"
        assert "\n" not in error and "Traceback" not in error and len(error) < 400
        assert outcome.exit_code == 2
        return
    assert outcome.status == "imported", outcome.error
    assert outcome.importer == case["importer"]
    assert outcome.records == case["records"]
    assert len(outcome.rejects) == case["rejects"]
    if "message" in case:
        said = [r.reason for r in outcome.rejects] + [m for _, m in outcome.warnings]
        assert any(case["message"] in text for text in said), said


def test_every_corpus_file_at_once_through_the_cli(tmp_path, runner):
    """One `kith import` of the whole corpus: exit 2, a line per failed file, no traceback, good ones kept."""
    workspace = make_workspace(tmp_path / "ws")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in small_files():
        (inbox / name).write_bytes((FILES / name).read_bytes())
    result = runner.invoke(app, ["-w", str(workspace.root), "import", str(inbox), "--json"])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    summary = json.loads(result.stdout)
    by_name = {Path(f["path"]).name: f for f in summary["files"]}
    for case in (c for c in SMALL if not c.get("as")):
        got = by_name[case["file"]]
        if got["status"] == "unchanged":  # three empty files share one content hash: imported once
            assert case["file"].startswith("empty.") and "same content as" in got["error"], got
            continue
        if case["outcome"] == "error":
            assert got["status"] == "failed" and case["message"] in got["error"], got
        else:
            assert got["status"] == "imported" and got["records"] == case["records"], got
    assert "Traceback" not in result.stdout + result.stderr
    imported = sum(c["records"] for c in SMALL if c["outcome"] == "import" and not c.get("as"))
    with Store(workspace.store_path) as store:
        assert store.count("records") == imported


def test_big_corpus_in_bounded_time_and_memory(tmp_path):
    """The generated giants, imported by a real `kith import` child: no crash, expected outcomes, bounded."""
    big = write_big(tmp_path / "big")
    workspace = make_workspace(tmp_path / "ws")
    args = kith_command("-w", str(workspace.root), "import", *map(str, big.values()), "--json")
    result = run_measured(args, timeout=BIG_SECONDS)
    assert not result.timed_out, f"took over {BIG_SECONDS} s"
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and "panicked" not in result.stderr
    assert result.peak_mb < BIG_PEAK_MB, f"peak {result.peak_mb:.0f} MB"
    by_name = {Path(f["path"]).name: f for f in json.loads(result.stdout)["files"]}
    for case in BIG:
        got = by_name[case["file"]]
        if case["outcome"] == "error":
            assert got["status"] == "failed" and case["message"] in got["error"], got
            continue
        assert got["status"] == "imported", got
        assert (got["importer"], got["records"], len(got["rejects"])) == (
            case["importer"],
            case["records"],
            case["rejects"],
        )
        if "message" in case:
            assert any(case["message"] in r["reason"] for r in got["rejects"]), got["rejects"]
    with Store(workspace.store_path) as store:
        notes = store.conn.execute("SELECT max(length(notes)), max(length(extra)) FROM records").fetchone()
        assert notes[0] is None or notes[0] < 1024 * 1024, "the 50 MB line never reaches the store"
        wide = store.conn.execute(
            "SELECT extra FROM records WHERE source_file LIKE '%wide_1000_columns.csv' LIMIT 1"
        ).fetchone()[0]
        assert json.loads(wide)["Custom Field 992"] == "v0.992", "1,000 columns: nothing dropped"


# --- content: what imported files actually hold ---------------------------------------------------


def _import(tmp_path, name: str, as_name: str | None = None):
    workspace = make_workspace(tmp_path / "ws")
    path = tmp_path / name
    path.write_bytes((FILES / name).read_bytes())
    with Store(workspace.store_path) as store:
        outcome = import_file(
            store, plugin_manager(), path, options=ImportOptions(region="US"), as_name=as_name
        )
        records = store.records()
    assert outcome.status == "imported", outcome.error
    return outcome, records


def test_utf16_without_bom_is_decoded(tmp_path):
    _, records = _import(tmp_path, "utf16_no_bom.csv")
    assert "María" in records["given_name"].to_list()


def test_a_windows_1252_row_far_down_a_utf8_file_is_decoded(tmp_path):
    outcome, records = _import(tmp_path, "mixed_encoding.csv")
    row = records.filter(records["family_name"] == "Müller")
    assert row["given_name"].to_list() == ["Zoë"] and row["organization"].to_list() == ["Café Olé"]


def test_legacy_vcard_bytes_are_decoded(tmp_path):
    _, records = _import(tmp_path, "cp1252_vcard21.vcf")
    assert records["full_name"].to_list() == ["Zoë Müller", "François Dupont", "José Peña", "Renée Côté"]


def test_deeply_folded_lines_are_unfolded(tmp_path):
    _, records = _import(tmp_path, "deep_folding.vcf")
    assert records["notes"][0] == "start" + "x" * 20_000


def test_truncated_vcard_keeps_whole_cards_and_rejects_the_cut_one(tmp_path):
    outcome, records = _import(tmp_path, "truncated.vcf")
    assert sorted(records["full_name"].to_list()) == ["Ada Lovelace", "Grace Hopper"]
    assert outcome.rejects[0].ref.startswith("card 3")


def test_truncated_linkedin_keeps_the_cut_row(tmp_path):
    _, records = _import(tmp_path, "truncated_linkedin.csv")
    assert sorted(records["organization"].drop_nulls().to_list()) == ["Contoso Ltd", "Fabrikam, Inc"]


def test_formula_cells_are_data_in_the_store_and_neutralised_on_export(tmp_path, runner):
    _, records = _import(tmp_path, "formula_cells.csv")
    assert records["given_name"][0].startswith("=HYPERLINK")  # data, kept as written
    out = tmp_path / "records.csv"
    result = runner.invoke(
        app, ["-w", str(tmp_path / "ws"), "export", "records", "--format", "csv", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text and ',"=HYPERLINK' not in text
    assert "'@SUM(A1)" in text


def test_column_limit_is_configurable(tmp_path, monkeypatch):
    monkeypatch.setenv("KITH_MAX_COLUMNS", "500")
    big = write_big(tmp_path / "big", ["wide_1000_columns.csv"])
    workspace = make_workspace(tmp_path / "ws")
    with Store(workspace.store_path) as store:
        outcome = import_file(store, plugin_manager(), big["wide_1000_columns.csv"])
        assert store.count("records") == 0
    assert outcome.status == "failed"
    assert "1,000 fields in its first line, over the 500-column limit (KITH_MAX_COLUMNS)" in outcome.error
    with Store(workspace.store_path) as store:
        forced = import_file(store, plugin_manager(), big["wide_1000_columns.csv"], as_name="alumni")
    assert "a row has 1,000 fields, over the 500-column limit (KITH_MAX_COLUMNS)" in forced.error


def test_xlsx_inflate_limit_is_configurable(tmp_path, monkeypatch):
    """A workbook within the default limits is refused under a lower one: the limit is really applied."""
    monkeypatch.setenv("KITH_MAX_XLSX_INFLATED", "1K")
    path = tmp_path / "header_only.xlsx"
    path.write_bytes((FILES / "header_only.xlsx").read_bytes())
    workspace = make_workspace(tmp_path / "ws")
    with Store(workspace.store_path) as store:
        outcome = import_file(store, plugin_manager(), path)
    assert (
        outcome.status == "failed" and "over the 1,024-byte limit (KITH_MAX_XLSX_INFLATED)" in outcome.error
    )


def test_a_bad_limit_setting_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("KITH_MAX_CELLS", "lots")
    path = tmp_path / "far_cell.xlsx"
    path.write_bytes((FILES / "far_cell.xlsx").read_bytes())
    workspace = make_workspace(tmp_path / "ws")
    with Store(workspace.store_path) as store:
        outcome = import_file(store, plugin_manager(), path)
    assert outcome.status == "failed" and "limit 'lots' is not a size" in outcome.error


def test_vcard_writer_cannot_be_injected_by_line_breaks():
    """CR/LF in a name or note is escaped (``\\n``), so a record can't add properties or cards."""
    from plugins.vcard.write import card_text

    text = card_text(
        {
            "full_name": "Eve Example\r\nEMAIL:attacker@example.org",
            "given_name": "Eve",
            "family_name": "Example",
            "emails": ["eve@example.com"],
            "notes": "hello\r\nEND:VCARD\r\nBEGIN:VCARD\r\nFN:Injected",
        }
    )
    lines = text.split("\r\n")
    assert sum(line.startswith("BEGIN:VCARD") for line in lines) == 1
    assert not any(line.startswith(("FN:Injected", "EMAIL:attacker")) for line in lines)
    assert "FN:Eve Example\\nEMAIL:attacker@example.org" in lines

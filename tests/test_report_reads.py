"""Reports read what they use: the same files as when every stage read every person whole.

People are read through Arrow in pages (:meth:`pipeline.store.Store.scan`) and by column
(``people_columns``); the follow-up stage looks up the people the journal names by id and reads
everyone only when a rule asks. These tests pin that none of it changes a report: the frames equal
the ``sqlite3`` read, and the stories' job search (journal, referral, outcome; invented people,
example.com) writes the same follow-ups, drafts, outcome report and contacts either way.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook

import pipeline.store as store_module
from bench.contacts_gen import generate
from pipeline.cli import build_app
from pipeline.dedupe import storage
from pipeline.manager import make_plugin_manager
from pipeline.people import load_people, people_rows
from pipeline.run import Run
from pipeline.run.data import RunData
from pipeline.run.stages import configured_exporters
from pipeline.store import RECORD_COLUMNS, Store
from pipeline.workspace import find_workspace
from tests.test_stories import CONFIG, STORIES

pytest.importorskip("adbc_driver_sqlite")
app = build_app()


def _seeded_store(path: Path) -> Store:
    records, _ = generate(1_200, seed=5)
    records = records.with_columns(
        [pl.lit(None, dtype=t).alias(c) for c, t in RECORD_COLUMNS.items() if c not in records.columns]
    )
    store = Store(path)
    for (source,), part in records.group_by("source", maintain_order=True):
        store.replace_source(
            path=f"{source}.csv",
            importer=source,
            content_hash=f"hash-{source}",
            size=part.height,
            records=part.select(list(RECORD_COLUMNS)),
            rejects=[],
            info={},
        )
    return store


def _read_both(store: Store, monkeypatch, columns=None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The people read through sqlite3 rows, then through Arrow in pages of 250 rows."""
    monkeypatch.setattr(store_module, "ADBC_MIN_ROWS", 10**9)
    store._people_cache = None
    by_rows = load_people(store, columns)
    monkeypatch.setattr(store_module, "ADBC_MIN_ROWS", 0)
    monkeypatch.setattr(store_module, "SCAN_CHUNK_ROWS", 250)
    store._people_cache = None
    return by_rows, load_people(store, columns)


@pytest.mark.parametrize("deduped", [False, True], ids=["before dedupe", "after dedupe"])
def test_people_through_arrow_pages_equal_the_row_read(tmp_path, monkeypatch, deduped):
    store = _seeded_store(tmp_path / "kith.db")
    try:
        if deduped:
            monkeypatch.setattr(storage, "ADBC_MIN_ROWS", 10**9)
            storage.dedupe_store(store)
        by_rows, by_arrow = _read_both(store, monkeypatch)
        assert by_arrow.height == by_rows.height > 500  # several pages
        assert by_arrow.equals(by_rows)
        assert by_arrow.schema == by_rows.schema
        assert by_arrow["emails"].list.len().sum() > 0 and by_arrow["class_year"].drop_nulls().len() > 0
        some, arrow_some = _read_both(store, monkeypatch, ["channel", "tags"])
        assert some.columns == ["person_id", "channel", "tags"] and arrow_some.equals(some)
        assert some.equals(by_rows.select(some.columns))
        ids = by_rows["person_id"].gather([3, 400, 550]).to_list()
        store._people_cache = None
        looked_up = people_rows(store, [*ids, "p_nobody"]).sort("person_id")
        assert looked_up.equals(by_rows.filter(pl.col("person_id").is_in(ids)).sort("person_id"))
    finally:
        store.close()


def test_the_follow_up_stage_reads_no_one_whole(runner, tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    for name in ("Connections.csv", "google_contacts.csv"):
        shutil.copy(STORIES / name, ws / name)
    (ws / "kith.toml").write_text(CONFIG, encoding="utf-8")
    workspace = find_workspace(ws)
    pm = make_plugin_manager()
    with Run.open(workspace, pm, as_of=dt.date(2026, 12, 1)) as run:
        run.import_inputs(run.plan_inputs())
        run.resolve_people()
        scanned: list[str] = []
        real = Store.scan

        def counted(self, table, *args, **kwargs):
            scanned.append(table)
            return real(self, table, *args, **kwargs)

        monkeypatch.setattr(Store, "scan", counted)
        assert run.plan_followups() == []
        assert scanned == []  # no journal: nobody is read
        run.write_reports(configured_exporters(workspace, pm), tmp_path / "out")
        assert scanned == ["people"]  # the contacts exporter, once for the whole run

    # With a journal: the people it names are looked up by id, still nobody is read whole.
    result = runner.invoke(app, ["-w", str(ws), "log", "met", "Priya Raman", "--date", "2026-11-20"])
    assert result.exit_code == 0, result.output
    scanned.clear()
    with Run.open(workspace, pm, as_of=dt.date(2026, 12, 1)) as run:
        tasks = run.plan_followups()
        assert [t.person_name for t in tasks] == ["Priya Raman"] and tasks[0].email
        assert scanned == []


def _story_workspace(runner, tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    for name in ("Connections.csv", "google_contacts.csv"):
        shutil.copy(STORIES / name, ws / name)
    (ws / "kith.toml").write_text(CONFIG, encoding="utf-8")

    def kith(*args: str) -> None:
        result = runner.invoke(app, ["-w", str(ws), *args])
        assert result.exit_code in (0, 3), result.output

    kith("run", "--as-of", "2026-12-01")
    kith("log", "referral", "Amara Okafor", "--to", "Kenji Watanabe", "--date", "2026-12-01")
    kith("log", "meeting", "Kenji Watanabe", "--date", "2026-12-08", "--note", "coffee")
    kith("log", "met", "Priya Raman", "--date", "2026-12-02")
    kith("log", "email", "Elizabeth Harper", "--date", "2026-10-01")
    kith("log", "met", "Hugo Lindqvist", "--date", "2026-12-01")
    kith("outcome", "accepted a job with Contoso", "--date", "2026-12-16")
    kith("dedupe")
    return ws


def _contents(folder: Path) -> dict[str, object]:
    """Every file of a report folder: text as text, workbooks as their cells."""
    found: dict[str, object] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = str(path.relative_to(folder))
        if path.suffix == ".xlsx":
            book = load_workbook(path)
            found[name] = {s.title: list(s.iter_rows(values_only=True)) for s in book.worksheets}
        elif path.suffix in (".csv", ".md", ".eml", ".txt", ".vcf", ".html"):
            found[name] = path.read_bytes()
    return found


def test_reports_are_the_same_as_when_everyone_was_read_whole(runner, tmp_path, monkeypatch):
    """The old flow (the planner handed the whole people frame, exporters reading it, rows through
    ``sqlite3``) and the new one (by id, by column, Arrow pages) write the same reports."""
    ws = _story_workspace(runner, tmp_path)
    workspace = find_workspace(ws)
    pm = make_plugin_manager()
    day = dt.date(2026, 12, 17)

    def write(out: Path) -> dict[str, object]:
        """Every exporter; then, in a run of its own, those that read a few columns (with no
        contacts exporter reading everyone whole first)."""
        exporters = configured_exporters(workspace, pm)
        few = [(n, o) for n, o in exporters if n not in ("contacts", "vcard")]
        for folder, chosen in (("all", exporters), ("few", few)):
            with Run.open(workspace, pm, as_of=day) as run:
                run.plan_followups()
                run.write_reports(chosen, out / folder)
        return _contents(out)

    monkeypatch.setattr(store_module, "ADBC_MIN_ROWS", 0)  # every people read through Arrow
    monkeypatch.setattr(store_module, "SCAN_CHUNK_ROWS", 7)  # in pages of 7
    new = write(tmp_path / "new")
    monkeypatch.undo()

    def whole(self, data):  # what the planner did before: everyone, every column, up front
        from pipeline.followups import compute_tasks

        return compute_tasks(
            self.store,
            self.pm,
            self.as_of,
            self.followup_settings,
            people=data.people,
            journal=data.journal,
            include_done=True,
        )

    monkeypatch.setattr(Run, "_compute_tasks", whole)
    monkeypatch.setattr(RunData, "people_columns", lambda self, columns: self.people)  # every column
    monkeypatch.setattr(store_module, "ADBC_MIN_ROWS", 10**9)
    old = write(tmp_path / "old")
    assert sorted(new) == sorted(old)
    wanted = {"all/contacts.csv", "all/contacts-google.csv", "few/followups.md", "few/outcome-report.xlsx"}
    assert wanted <= set(new) and any(name.startswith("few/outcome-drafts/") for name in new)
    cells = [str(c) for row in old["few/followups.xlsx"]["Follow-ups"] for c in row if c]
    assert any(c.startswith("outcome_report:") for c in cells) and any(
        c.startswith("referral:") for c in cells
    )
    for name in old:
        assert new[name] == old[name], name


def test_a_scanned_page_holds_none_of_its_arrow_batch(tmp_path, monkeypatch):
    """Each page's text is copied out of the Arrow batch it was read in: a page keeping one text
    column (the emails' JSON, say, is decoded into new lists) would otherwise keep every column's
    raw text of the batch alive, about a third of a million people's frame."""
    import gc

    import pyarrow as pa

    def page() -> pl.DataFrame:
        table = pa.table(
            {
                "full_name": [f"Person number {i} of the page" for i in range(5_000)],
                "emails": ['["a@x"]'] * 5_000,
            }
        )
        return pl.from_arrow(table)

    before = pa.total_allocated_bytes()
    kept = store_module.owned_text(page()).select("full_name")
    gc.collect()
    assert (
        pa.total_allocated_bytes() == before and kept["full_name"][4_999] == "Person number 4999 of the page"
    )
    del kept

    pages = []
    monkeypatch.setattr(store_module, "owned_text", lambda frame: pages.append(frame.height) or frame)
    monkeypatch.setattr(store_module, "ADBC_MIN_ROWS", 0)
    monkeypatch.setattr(store_module, "SCAN_CHUNK_ROWS", 250)
    store = _seeded_store(tmp_path / "kith.db")
    try:
        people = load_people(store)
    finally:
        store.close()
    assert sum(pages) == people.height > 500 and len(pages) > 2

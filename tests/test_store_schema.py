"""The store as a database: the views open in plain SQLite, week's tasks are kept, an old store upgrades.

Built from the sample inputs with ``kith run``; every view is read with the stdlib ``sqlite3``
module (no kith code on that connection) and, when installed, the ``sqlite3`` shell.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import build_app
from pipeline.followups.engine import compute_tasks
from pipeline.followups.settings import FollowupSettings
from pipeline.followups.state import mark_done
from pipeline.store import SCHEMA_VERSION, Store
from pipeline.store_schema import view_sql
from pipeline.testing import plugin_manager
from pipeline.workspace import find_workspace

app = build_app()
REPO = Path(__file__).parent.parent
OLD_STORE = Path(__file__).parent / "fixtures" / "store" / "store-0.1.0.sql"
AS_OF = dt.date(2026, 11, 26)
VIEWS = set(view_sql(True))


def _rows(db: Path, sql: str, params: tuple = ()) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory) -> Path:
    """The sample workspace after ``kith run --as-of 2026-11-26``, with the week's tasks saved."""
    root = tmp_path_factory.mktemp("sample") / "ws"
    root.mkdir()
    shutil.copytree(REPO / "sample_inputs", root / "sample_inputs")
    shutil.copy(REPO / "kith.toml", root / "kith.toml")
    result = CliRunner().invoke(app, ["-w", str(root), "run", "--as-of", AS_OF.isoformat()])
    assert result.exit_code in (0, 3), result.output  # 3: some sample rows are rejects, on purpose
    workspace = find_workspace(root)
    with Store(workspace.store_path) as store:
        tasks = compute_tasks(
            store, plugin_manager(), AS_OF, FollowupSettings.from_workspace(workspace), include_done=True
        )
        assert store.save_tasks("2026-W48", tasks) == len(tasks) > 5
    return workspace.store_path


def test_every_view_opens_in_plain_sqlite(sample_store):
    names = {r["name"] for r in _rows(sample_store, "SELECT name FROM sqlite_master WHERE type = 'view'")}
    assert names == VIEWS
    for view in VIEWS:
        assert _rows(sample_store, f"SELECT * FROM {view}"), f"{view} is empty"


def test_people_view_shows_emails_and_phones_as_text(sample_store):
    maria = _rows(sample_store, "SELECT * FROM people_view WHERE full_name = 'Maria Gonzalez'")
    assert len(maria) == 1, "dedupe merged Maria's records into one person"
    row = maria[0]
    assert row["emails"] == "maria.gonzalez@example.com; mgonzalez@northwind.example.com"
    assert "+12065550142" in row["phones"].split("; ")
    assert row["record_count"] >= 2 and "linkedin" in row["sources"]
    assert row["person_id"].startswith("p")


def test_journal_view_names_people_referrers_and_referred(sample_store):
    rows = _rows(sample_store, "SELECT * FROM journal_view ORDER BY entry_id")
    assert {r["person"] for r in rows} >= {"Maria Gonzalez", "Ken Watanabe", "Priya Raman"}
    referral = [r for r in rows if r["kind"] == "referral" and r["person"] == "Maria Gonzalez"]
    assert referral and referral[0]["to"] == "Ken Watanabe"
    people = {r["person_id"] for r in _rows(sample_store, "SELECT person_id FROM people_view")}
    assert all(r["person_id"] in people for r in rows)


def test_open_tasks_lists_the_weeks_tasks_not_done(sample_store):
    open_rows = _rows(sample_store, "SELECT * FROM open_tasks ORDER BY due, task_key")
    keys = [r["task_key"] for r in open_rows]
    assert "thank_you:6" in keys  # Priya Raman's thank-you after the 2026-11-09 meeting
    priya = next(r for r in open_rows if r["task_key"] == "thank_you:6")
    assert priya["person_name"] == "Priya Raman" and priya["kind"] == "thank_you"
    assert priya["due"] == "2026-11-10" and priya["overdue"] == 1 and priya["week"] == "2026-W48"
    with Store(sample_store) as store:
        mark_done(store, ["thank_you:6"])
    assert "thank_you:6" not in {
        r["task_key"] for r in _rows(sample_store, "SELECT task_key FROM open_tasks")
    }
    stored = _rows(sample_store, "SELECT * FROM tasks WHERE task_key = 'thank_you:6'")
    assert stored and stored[0]["title"].startswith("Send Priya Raman a thank-you")


def test_review_queue_view_names_both_records(sample_store):
    rows = _rows(sample_store, "SELECT * FROM review_queue_view ORDER BY rank")
    raw = _rows(sample_store, "SELECT * FROM review_queue ORDER BY rank")
    assert len(rows) == len(raw) > 0
    assert all(r["name_a"] or r["name_b"] for r in rows)
    assert rows[0]["probability"] >= rows[-1]["probability"]


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="the sqlite3 shell is not installed")
def test_the_sqlite3_shell_reads_the_views(sample_store):
    for view in sorted(VIEWS):
        out = subprocess.run(
            ["sqlite3", "-readonly", str(sample_store), f"SELECT count(*) FROM {view};"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert int(out.stdout.strip()) > 0, view
    out = subprocess.run(
        [
            "sqlite3",
            "-readonly",
            str(sample_store),
            "SELECT emails FROM people_view WHERE full_name = 'Maria Gonzalez';",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "maria.gonzalez@example.com; mgonzalez@northwind.example.com"


def test_save_tasks_replaces_the_week_and_keeps_other_weeks(tmp_path):
    from pipeline.contracts import Draft, Task, Why

    def task(key: str, name: str, due: str) -> Task:
        day = dt.date.fromisoformat(due)
        return Task(
            key=key, due=day, person_id="p1", person_name=name, email=None, action=f"Thank {name}",
            why=Why((3,), f"{name}: meeting"), draft=Draft("s", "b"), rule=key.split(":")[0],
            overdue_after=day + dt.timedelta(days=3),
        )  # fmt: skip

    with Store(tmp_path / "kith.db") as store:
        twice = [task("thank_you:1", "Ana Lima", "2026-11-17")] * 2  # a key is stored once a week
        assert store.save_tasks("2026-W47", twice) == 1
        store.save_tasks("2026-W48", [task("thank_you:1", "Ana Lima", "2026-11-17")])
        assert store.save_tasks("2026-W48", [task("check_in:2", "Bo Chen", "2026-11-25")]) == 1
    rows = _rows(tmp_path / "kith.db", "SELECT week, task_key, why, done FROM tasks ORDER BY week")
    assert rows == [
        {"week": "2026-W47", "task_key": "thank_you:1", "why": "Ana Lima: meeting (journal #3)", "done": 0},
        {"week": "2026-W48", "task_key": "check_in:2", "why": "Bo Chen: meeting (journal #3)", "done": 0},
    ]
    assert [r["task_key"] for r in _rows(tmp_path / "kith.db", "SELECT * FROM open_tasks")] == ["check_in:2"]


def test_a_store_from_the_previous_version_upgrades_on_open(tmp_path):
    """A dump of a store kith 0.1.0 wrote (sample batch, one task done, one entry logged by hand)."""
    db = tmp_path / "kith.db"
    old = sqlite3.connect(db)
    old.executescript(OLD_STORE.read_text(encoding="utf-8"))
    old.close()
    assert not _rows(db, "SELECT name FROM sqlite_master WHERE type = 'view'")
    before = _rows(db, "SELECT count(*) AS n FROM records")[0]["n"]
    with Store(db) as store:
        assert store.get_meta("schema_version") == str(SCHEMA_VERSION)
    with Store(db):  # a second open changes nothing
        pass
    assert {r["name"] for r in _rows(db, "SELECT name FROM sqlite_master WHERE type = 'view'")} == VIEWS
    assert _rows(db, "SELECT count(*) AS n FROM records")[0]["n"] == before
    maria = _rows(db, "SELECT emails FROM people_view WHERE full_name = 'Maria Gonzalez'")
    assert maria == [{"emails": "maria.gonzalez@example.com; mgonzalez@northwind.example.com"}]
    logged = _rows(db, "SELECT person, kind, note FROM journal_view WHERE source = 'cli'")
    assert logged == [{"person": "Priya Raman", "kind": "note", "note": "sent slides"}]
    assert _rows(db, "SELECT key FROM task_state") == [{"key": "check_in:3"}]
    assert _rows(db, "SELECT count(*) AS n FROM tasks")[0]["n"] == 0
    assert not _rows(db, "PRAGMA foreign_key_check")


def test_views_before_the_first_dedupe_stand_each_record_for_a_person(tmp_path, fixtures):
    root = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    csv = fixtures / "linkedin" / "Connections_2020_no_url.csv"
    result = runner.invoke(app, ["-w", str(root), "import", str(csv), "--as", "linkedin"])
    assert result.exit_code == 0, result.output
    db = find_workspace(root).store_path
    assert not _rows(db, "SELECT 1 FROM sqlite_master WHERE name = 'people' AND type = 'table'")
    people = _rows(db, "SELECT person_id, full_name, record_count FROM people_view ORDER BY full_name")
    records = _rows(db, "SELECT record_id, full_name FROM records ORDER BY full_name")
    assert [p["person_id"] for p in people] == ["p_" + r["record_id"] for r in records]
    assert all(p["record_count"] == 1 for p in people)


def test_docs_schema_describes_every_table_view_and_column(sample_store):
    text = (REPO / "docs" / "schema.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^### `(\w+)`\n(.*?)(?=^### |^## |\Z)", text, flags=re.M | re.S))
    objects = _rows(
        sample_store,
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name != 'sqlite_sequence'",
    )
    missing = []
    for name in (o["name"] for o in objects):
        if name not in sections:
            missing.append(name)
            continue
        for column in _rows(sample_store, f"PRAGMA table_info({name})"):
            if f"`{column['name']}`" not in sections[name]:
                missing.append(f"{name}.{column['name']}")
    assert not missing, f"docs/schema.md does not describe {missing}"

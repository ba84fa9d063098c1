"""The store as a database a person can open: every stage's tables, the ``tasks`` table, the views.

Called by :class:`pipeline.store.Store` when it opens a file, inside the same transaction as
the base tables, so any SQLite tool (the ``sqlite3`` shell, Datasette, DB Browser) finds the
whole schema from the first ``kith import`` on. The stage modules still own their DDL (the
journal, dedupe and follow-up modules); this module only runs it early. ``people`` is the
exception: dedupe creates it on its first run (until then every record stands for its own
person), so the views come in two variants and are built again when ``people`` appears.

Views are dropped and created again whenever their definition or that variant changed (a
``meta`` key remembers which), so a store written by an older kith upgrades on open.
``docs/schema.md`` describes every table and view.
"""

from __future__ import annotations

import hashlib
import sqlite3

#: meta key: which view definitions the store holds (a digest of the SQL).
VIEWS_KEY = "schema.views"

TASKS_DDL = """
CREATE TABLE IF NOT EXISTS tasks (
    week TEXT NOT NULL,
    task_key TEXT NOT NULL,
    person_id TEXT,
    person_name TEXT,
    email TEXT,
    kind TEXT NOT NULL,
    due TEXT NOT NULL,
    overdue_after TEXT,
    title TEXT NOT NULL,
    why TEXT,
    done INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
    written_at TEXT NOT NULL,
    PRIMARY KEY (week, task_key)
);
CREATE INDEX IF NOT EXISTS tasks_key ON tasks(task_key);
"""


def _joined(column: str) -> str:
    """A JSON list column as ``a; b`` text (json_each keeps the list's order)."""
    return f"(SELECT group_concat(value, '; ') FROM json_each({column}))"


_PERSON_COLUMNS = (
    "full_name, given_name, family_name, nickname, organization, title, department, "
    "city, region, country, {emails} AS emails, {phones} AS phones, linkedin_url, "
    "school, degree, class_year, channel, {tags} AS tags, notes"
)


def _people_view(has_people: bool) -> str:
    person = _PERSON_COLUMNS.format(emails=_joined("emails"), phones=_joined("phones"), tags=_joined("tags"))
    if has_people:
        return (
            f"SELECT person_id, {person}, {_joined('sources')} AS sources, "
            "json_array_length(record_ids) AS record_count, record_ids FROM people"
        )
    # Before the first dedupe every record is its own person, as pipeline.people.load_people says.
    return (
        f"SELECT 'p_' || record_id AS person_id, {person}, source AS sources, "
        "1 AS record_count, json_array(record_id) AS record_ids FROM records"
    )


def _record_person(has_people: bool) -> str:
    """record_id → person_id, as :func:`pipeline.people.person_of_records` maps it."""
    if has_people:
        # assignments holds exactly people.record_ids of the last dedupe run, indexed by record.
        return "SELECT record_id, person_id FROM assignments"
    return "SELECT record_id, 'p_' || record_id AS person_id FROM records"


def _journal_view(has_people: bool) -> str:
    # Lookups by primary key only (assignments.record_id, people.person_id, records.record_id):
    # a journal of hundreds of entries stays instant over a million records.
    def name(column: str) -> str:
        record = f"(SELECT r.full_name FROM records r WHERE r.record_id = j.{column})"
        if not has_people:
            return record
        person = (
            f"(SELECT p.full_name FROM assignments a JOIN people p USING (person_id) "
            f"WHERE a.record_id = j.{column})"
        )
        return f"coalesce({person}, {record})"

    if has_people:
        person_id = "(SELECT a.person_id FROM assignments a WHERE a.record_id = j.record_id)"
    else:
        person_id = "(SELECT 'p_' || r.record_id FROM records r WHERE r.record_id = j.record_id)"
    return (
        f"SELECT j.entry_id, j.date, j.kind, {name('record_id')} AS person, {person_id} AS person_id, "
        f'{name("via_record_id")} AS via, {name("to_record_id")} AS "to", j.channel, j.note, j.source, '
        "j.place, j.record_id, j.via_record_id, j.to_record_id FROM journal j"
    )


# --- every stage's tables (the stage modules create them through these) ------------------------

DEDUPE_DDL = """
CREATE TABLE IF NOT EXISTS decisions (
    record_a TEXT NOT NULL,
    record_b TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('same', 'different')),
    decided_at TEXT NOT NULL,
    "by" TEXT NOT NULL,
    PRIMARY KEY (record_a, record_b),
    CHECK (record_a < record_b)
);
CREATE TABLE IF NOT EXISTS assignments (
    record_id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL,
    fingerprint TEXT
);
CREATE INDEX IF NOT EXISTS assignments_person ON assignments(person_id);
CREATE TABLE IF NOT EXISTS review_queue (
    rank INTEGER PRIMARY KEY,
    record_a TEXT NOT NULL,
    record_b TEXT NOT NULL,
    person_a TEXT,
    person_b TEXT,
    probability REAL NOT NULL,
    reasons TEXT NOT NULL
);
"""

TASK_STATE_DDL = """
CREATE TABLE IF NOT EXISTS task_state (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    source TEXT NOT NULL
);
"""

JOURNAL_DDL = """
CREATE TABLE IF NOT EXISTS journal (
    entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
    date TEXT NOT NULL,
    kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    via_record_id TEXT,
    to_record_id TEXT,
    channel TEXT,
    note TEXT,
    source TEXT NOT NULL DEFAULT 'cli',
    source_key TEXT,
    place TEXT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS journal_source_key ON journal(source, source_key);
CREATE INDEX IF NOT EXISTS journal_record ON journal(record_id);
CREATE TABLE IF NOT EXISTS journal_outcome (
    source TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    date TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""

ALIAS_DDL = """
CREATE TABLE IF NOT EXISTS journal_alias (record_id TEXT PRIMARY KEY, anchor TEXT NOT NULL);
"""

_OPEN_TASKS = """
SELECT t.due, t.task_key, t.person_name, t.email, t.kind, t.title, t.why,
       CASE WHEN t.overdue_after < date('now') THEN 1 ELSE 0 END AS overdue,
       t.person_id, t.week
FROM tasks t
LEFT JOIN task_state s ON s.key = t.task_key
WHERE t.week = (SELECT max(week) FROM tasks) AND t.done = 0 AND coalesce(s.status, '') != 'done'
"""

_REVIEW_QUEUE_VIEW = """
SELECT q.rank, round(q.probability, 3) AS probability,
       ra.full_name AS name_a, rb.full_name AS name_b,
       ra.organization AS organization_a, rb.organization AS organization_b,
       {emails_a} AS emails_a, {emails_b} AS emails_b,
       q.reasons, q.record_a, q.record_b, q.person_a, q.person_b
FROM review_queue q
LEFT JOIN records ra ON ra.record_id = q.record_a
LEFT JOIN records rb ON rb.record_id = q.record_b
"""


def view_sql(has_people: bool) -> dict[str, str]:
    """Each view's SELECT, for a store with (or without yet) the ``people`` table."""
    return {
        "record_people": _record_person(has_people),
        "people_view": _people_view(has_people),
        "journal_view": _journal_view(has_people),
        "open_tasks": _OPEN_TASKS.strip(),
        "review_queue_view": _REVIEW_QUEUE_VIEW.format(
            emails_a=_joined("ra.emails"), emails_b=_joined("rb.emails")
        ).strip(),
    }


def _stage_ddl() -> str:
    return JOURNAL_DDL + ALIAS_DDL + DEDUPE_DDL + TASK_STATE_DDL + TASKS_DDL


def _has_people(conn: sqlite3.Connection) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'people'"
    return conn.execute(query).fetchone() is not None


def _run(conn: sqlite3.Connection, ddl: str) -> None:
    for statement in ddl.split(";"):
        if statement.strip():
            conn.execute(statement)


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create every stage's tables and the views; inside the caller's write transaction."""
    _run(conn, _stage_ddl())
    ensure_views(conn)


def ensure_views(conn: sqlite3.Connection) -> None:
    """(Re)create the views when their definition or the people variant changed; else a no-op."""
    views = view_sql(_has_people(conn))
    digest = hashlib.sha1(repr(sorted(views.items())).encode(), usedforsecurity=False).hexdigest()
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (VIEWS_KEY,)).fetchone()
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    if row and row[0] == digest and present >= views.keys():
        return
    for name in views:
        conn.execute(f"DROP VIEW IF EXISTS {name}")
    for name, select in views.items():
        conn.execute(f"CREATE VIEW {name} AS {select}")
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (VIEWS_KEY, digest),
    )

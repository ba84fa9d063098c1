"""Turning imported journal spreadsheets into journal rows (see :mod:`pipeline.journal`).

An importer hands journal rows to the core in ``ImportResult.info["journal"]``, a list of
objects::

    {"key": "<stable fingerprint of the row>", "place": "Sheet1!5", "date": "2026-11-05",
     "kind": "met", "person": "<source_ref of the person's record>", "via": ..., "to": ...,
     "channel": "alumni", "note": "..."}

and optionally ``info["journal_outcome"] = {"text": ..., "date": ...}``. The core stores
``info`` with the source; :func:`sync_imported` reads it back whenever the set of sources
changed (a meta fingerprint), and in one transaction upserts every imported entry by
``(file, key)`` — so an entry keeps its id, and its follow-ups their done-state, across
re-imports — and deletes entries whose file or row is gone.

Anchors: each person the sheet mentions has a record of its own in the journal's source.
When that person's email or name (nickname-aware, no fuzzy guessing) matches exactly one
person from *other* sources, the entry is anchored to that person's record instead, so
"Maria Gonzalez" in the journal is the Maria from LinkedIn before dedupe has run. Those
re-anchored journal records are listed in ``journal_alias`` so that name lookups
(:func:`matchable_people`) don't offer them as a second "Maria Gonzalez".
"""

from __future__ import annotations

import hashlib
import json

import polars as pl

from pipeline.journal.match import find_person, people_index
from pipeline.journal.model import CHANNELS, KINDS, ensure_journal_tables, now_text
from pipeline.people import load_people
from pipeline.store import Store

META_KEY = "journal_sync"
ALIAS_DDL = """
CREATE TABLE IF NOT EXISTS journal_alias (record_id TEXT PRIMARY KEY, anchor TEXT NOT NULL);
"""


def _fingerprint(store: Store) -> str:
    rows = store.conn.execute("SELECT source_id, content_hash FROM sources ORDER BY source_id").fetchall()
    text = json.dumps(rows)
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _journal_sources(store: Store) -> list[tuple[int, str, dict]]:
    found = []
    for source_id, path, info in store.conn.execute(
        "SELECT source_id, path, info FROM sources WHERE info LIKE '%\"journal%' ORDER BY source_id"
    ):
        try:
            data = json.loads(info or "{}")
        except ValueError:
            continue
        if isinstance(data, dict) and (data.get("journal") or data.get("journal_outcome")):
            found.append((int(source_id), str(path), data))
    return found


def _anchors(store: Store, source_id: int, index: pl.DataFrame) -> tuple[dict[str, str], dict[str, str]]:
    """source_ref of each person record in the journal's source → (anchor record id, own record id)."""
    own = store.records("WHERE source_id = ?", (source_id,)).select(
        "record_id", "source_ref", "full_name", "emails"
    )
    others = index.filter(~pl.col("record_id").is_in(own["record_id"].implode()))
    anchors: dict[str, str] = {}
    records = dict(zip(own["source_ref"].to_list(), own["record_id"].to_list(), strict=True))
    for row in own.iter_rows(named=True):
        anchor = row["record_id"]
        queries = [f"<{e}>" for e in row["emails"] or []] + ([row["full_name"]] if row["full_name"] else [])
        for query in queries:
            match = find_person(None, query, index=others, fuzzy=False)
            if match.status == "one" and match.how.split(",")[0] in {"email", "name", "nickname"}:
                anchor = match.person.record_id
                break
        anchors[row["source_ref"]] = anchor
    return anchors, records


def sync_imported(store: Store, *, force: bool = False) -> None:
    """Bring journal rows in line with the imported journal files (cheap when nothing changed)."""
    ensure_journal_tables(store)
    store.ensure_tables(ALIAS_DDL)
    fingerprint = _fingerprint(store)
    if not force and store.get_meta(META_KEY) == fingerprint:
        return
    sources = _journal_sources(store)
    index = people_index(load_people(store)) if sources else None
    rows = []
    outcomes = []
    aliases: dict[str, str] = {}
    for source_id, path, info in sources:
        anchors, own = _anchors(store, source_id, index)
        aliases.update({own[ref]: anchor for ref, anchor in anchors.items() if own[ref] != anchor})
        for entry in info.get("journal") or []:
            person = anchors.get(entry.get("person"))
            if not person or entry.get("kind") not in KINDS or not entry.get("date"):
                continue
            channel = entry.get("channel") if entry.get("channel") in CHANNELS else None
            rows.append(
                (
                    entry["date"],
                    entry["kind"],
                    person,
                    anchors.get(entry.get("via")),
                    anchors.get(entry.get("to")),
                    channel,
                    entry.get("note"),
                    path,
                    entry["key"],
                    entry.get("place"),
                )
            )
        outcome = info.get("journal_outcome")
        if isinstance(outcome, dict) and outcome.get("text") and outcome.get("date"):
            outcomes.append((path, outcome["text"], outcome["date"]))
    now = now_text()
    with store.transaction() as conn:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS journal_keep (source TEXT, source_key TEXT)")
        conn.execute("DELETE FROM journal_keep")
        conn.executemany("INSERT INTO journal_keep VALUES (?, ?)", [(r[7], r[8]) for r in rows])
        conn.execute(
            "DELETE FROM journal WHERE source != 'cli' AND NOT EXISTS (SELECT 1 FROM journal_keep k "
            "WHERE k.source = journal.source AND k.source_key = journal.source_key)"
        )
        conn.executemany(
            "INSERT INTO journal(date, kind, record_id, via_record_id, to_record_id, channel, note, source, "
            "source_key, place, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(source, source_key) DO UPDATE SET date = excluded.date, kind = excluded.kind, "
            "record_id = excluded.record_id, via_record_id = excluded.via_record_id, "
            "to_record_id = excluded.to_record_id, channel = excluded.channel, note = excluded.note, "
            "place = excluded.place",
            [(*r, now) for r in rows],
        )
        conn.execute("DELETE FROM journal_alias")
        conn.executemany("INSERT INTO journal_alias(record_id, anchor) VALUES (?, ?)", list(aliases.items()))
        conn.execute("DELETE FROM journal_outcome WHERE source != 'cli'")
        conn.executemany(
            "INSERT INTO journal_outcome(source, text, date, created_at) VALUES (?, ?, ?, ?)",
            [(*o, now) for o in outcomes],
        )
        store.set_meta(META_KEY, fingerprint, conn)


def matchable_people(store: Store) -> pl.DataFrame:
    """People for matching a name typed by the user: without the journal's own records of people
    that the sync anchored to an existing contact (they would make every such name ambiguous)."""
    sync_imported(store)
    people = load_people(store)
    aliased = [row[0] for row in store.conn.execute("SELECT record_id FROM journal_alias")]
    if not aliased:
        return people
    only_aliases = pl.col("record_ids").list.eval(pl.element().is_in(aliased)).list.all()
    return people.filter(~only_aliases)

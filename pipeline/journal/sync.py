"""The run's journal stage: imported journal rows become journal entries (see :mod:`pipeline.journal`).

An importer hands journal rows to the core as typed :class:`pipeline.contracts.JournalRow`
objects (``ImportResult.journal``) and optionally a
:class:`~pipeline.contracts.JournalOutcomeRow`; the import stores them with their source
(tables ``imported_journal`` / ``imported_outcome``). :func:`sync_imported` — the stage,
run by ``kith import``, ``kith run``, ``kith report`` and the journal commands, never by a
read — brings the journal in line whenever the set of sources changed (a meta
fingerprint): in one transaction it upserts every imported entry by ``(file, key)`` — so an
entry keeps its id, and its follow-ups their done-state, across re-imports — and deletes
entries whose file or row is gone.

Anchors: each person the sheet mentions has a record of its own in the journal's source.
When that person's email or name (nickname-aware, no fuzzy guessing) matches exactly one
person from *other* sources, the entry is anchored to that person's record instead, so
"Maria Gonzalez" in the journal is the Maria from LinkedIn before dedupe has run. Those
re-anchored journal records are listed in ``journal_alias`` so that name lookups
(:func:`matchable_people`) don't offer them as a second "Maria Gonzalez". The other mentions
(people the journal names for the first time) become people at once when dedupe has run
before (:func:`pipeline.journal.contacts.add_singleton_person`), so ``kith people`` and the
next ``kith log`` find them without waiting for the next dedupe.
"""

from __future__ import annotations

import hashlib
import json

import polars as pl

from pipeline.journal.contacts import add_singleton_person
from pipeline.journal.match import find_person, people_index
from pipeline.journal.model import CHANNELS, KINDS, ensure_journal_tables, now_text
from pipeline.people import has_people_table, load_people
from pipeline.store import Store
from pipeline.store_schema import ALIAS_DDL

META_KEY = "journal_sync"
MIGRATED_KEY = "journal_typed_rows"


def _fingerprint(store: Store) -> str:
    rows = store.conn.execute("SELECT source_id, content_hash FROM sources ORDER BY source_id").fetchall()
    text = json.dumps(rows)
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _journal_sources(store: Store) -> list[tuple[int, str, list[dict], dict | None]]:
    """Every source that carried journal rows or an outcome: id, path, rows, outcome."""
    rows: dict[int, list[dict]] = {}
    for row in store.conn.execute(
        "SELECT source_id, key, place, date, kind, person, via, to_ref, channel, note "
        "FROM imported_journal ORDER BY source_id, rowid"
    ):
        keys = ("key", "place", "date", "kind", "person", "via", "to", "channel", "note")
        rows.setdefault(int(row[0]), []).append(dict(zip(keys, row[1:], strict=True)))
    outcomes = {
        int(source_id): {"text": text, "date": date}
        for source_id, text, date in store.conn.execute("SELECT source_id, text, date FROM imported_outcome")
    }
    ids = sorted(set(rows) | set(outcomes))
    paths = dict(store.conn.execute("SELECT source_id, path FROM sources"))
    return [(i, str(paths[i]), rows.get(i, []), outcomes.get(i)) for i in ids if i in paths]


def _migrate_info_journal(store: Store) -> None:
    """Stores from before typed journal rows kept them as JSON in ``sources.info``: move them once."""
    if store.get_meta(MIGRATED_KEY):
        return
    moved_rows, moved_outcomes = [], []
    for source_id, info in store.conn.execute(
        "SELECT source_id, info FROM sources WHERE info LIKE '%\"journal%' "
        "AND source_id NOT IN (SELECT source_id FROM imported_journal)"
    ):
        try:
            data = json.loads(info or "{}")
        except ValueError:
            continue
        for entry in data.get("journal") or [] if isinstance(data, dict) else []:
            if isinstance(entry, dict) and entry.get("key") and entry.get("person") and entry.get("date"):
                moved_rows.append(
                    (
                        source_id,
                        *(entry.get(k) for k in ("key", "place", "date", "kind", "person", "via", "to")),
                    )
                    + (entry.get("channel"), entry.get("note"))
                )
        outcome = data.get("journal_outcome") if isinstance(data, dict) else None
        if isinstance(outcome, dict) and outcome.get("text") and outcome.get("date"):
            moved_outcomes.append((source_id, outcome["text"], outcome["date"]))
    with store.transaction() as conn:
        conn.executemany(
            "INSERT OR IGNORE INTO imported_journal(source_id, key, place, date, kind, person, via, to_ref, "
            "channel, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            moved_rows,
        )
        conn.executemany("INSERT OR IGNORE INTO imported_outcome VALUES (?, ?, ?)", moved_outcomes)
        store.set_meta(MIGRATED_KEY, "1", conn)


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
    _migrate_info_journal(store)
    fingerprint = _fingerprint(store)
    if not force and store.get_meta(META_KEY) == fingerprint:
        return
    sources = _journal_sources(store)
    index = people_index(load_people(store)) if sources else None
    rows = []
    outcomes = []
    aliases: dict[str, str] = {}
    for source_id, path, entries, outcome in sources:
        anchors, own = _anchors(store, source_id, index)
        aliases.update({own[ref]: anchor for ref, anchor in anchors.items() if own[ref] != anchor})
        for entry in entries:
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
        if outcome is not None:
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
    if has_people_table(store) and sources:
        ids = [source_id for source_id, *_ in sources]
        marks = ", ".join("?" * len(ids))
        alone = store.records(
            f"WHERE source_id IN ({marks}) AND record_id NOT IN (SELECT record_id FROM assignments)",
            tuple(ids),
        )
        add_singleton_person(store, alone.filter(~pl.col("record_id").is_in(list(aliases))))


def matchable_people(store: Store) -> pl.DataFrame:
    """People for matching a name typed by the user: without the journal's own records of people
    that the journal stage anchored to an existing contact (they would make every such name
    ambiguous). Reads only: the journal stage has run before."""
    people = load_people(store)
    if not store.has_table("journal_alias"):
        return people
    aliased = [row[0] for row in store.conn.execute("SELECT record_id FROM journal_alias")]
    if not aliased:
        return people
    only_aliases = pl.col("record_ids").list.eval(pl.element().is_in(aliased)).list.all()
    return people.filter(~only_aliases)

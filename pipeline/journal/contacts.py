"""New contacts made from the journal: ``kith log met "Xavier Quinn"`` for someone not yet known.

The person becomes a real canonical record through the same steps every importer's output
takes (:func:`pipeline.schema.validate_raw` → :func:`pipeline.normalize.normalize_records`
→ stable record id → :func:`pipeline.schema.conform` → :meth:`pipeline.store.Store.replace_source`),
in one source named :data:`MANUAL_SOURCE` with importer ``manual``, so dedupe, ``kith
people`` and every report see them like any imported contact.

Once dedupe has run, people are read from its ``people`` table, which would not know the
new record until the next dedupe; so the contact is also written there at once as a person
of its own (:func:`add_singleton_person`), under the id dedupe itself would give it, and the
next mention of the name finds it.
"""

from __future__ import annotations

import hashlib
import json

import polars as pl

from pipeline.dedupe.ids import new_person_id
from pipeline.importing import record_ids
from pipeline.normalize import normalize_records
from pipeline.people import PEOPLE_COLUMNS, has_people_table, people_from_records
from pipeline.people_snapshot import note_people_written
from pipeline.schema import conform, validate_raw
from pipeline.store import RECORD_COLUMNS, Store, encode_for_sql

MANUAL_SOURCE = "manual:journal"
MANUAL_IMPORTER = "manual"


def _name_parts(name: str) -> tuple[str | None, str | None]:
    words = name.split()
    if len(words) < 2:
        return (words[0] if words else None), None
    return " ".join(words[:-1]), words[-1]


def add_manual_contact(
    store: Store,
    *,
    name: str | None,
    email: str | None = None,
    channel: str | None = None,
    note: str | None = None,
    region: str,
) -> str:
    """Create one contact in the ``manual:journal`` source; return its record id."""
    existing = store.records("WHERE source_file = ?", (MANUAL_SOURCE,))
    number = existing.height + 1
    given, family = _name_parts(name or "")
    raw = pl.DataFrame(
        {
            "source_ref": [f"kith log #{number}"],
            # The creation counter keeps two different people of the same name apart.
            "source_key": [f"{number}"],
            "full_name": [name or None],
            "given_name": [given],
            "family_name": [family],
            "emails": [email],
            "channel": [channel],
            "notes": [note],
        },
        schema={
            "source_ref": pl.String,
            "source_key": pl.String,
            "full_name": pl.String,
            "given_name": pl.String,
            "family_name": pl.String,
            "emails": pl.String,
            "channel": pl.String,
            "notes": pl.String,
        },
    )
    frame = normalize_records(validate_raw(raw, MANUAL_IMPORTER), region=region).frame
    frame = frame.with_columns(
        record_ids(frame, MANUAL_SOURCE, MANUAL_IMPORTER),
        pl.lit(MANUAL_IMPORTER).alias("source"),
        pl.lit(MANUAL_SOURCE).alias("source_file"),
    )
    frame = conform(frame, RECORD_COLUMNS)
    combined = pl.concat([existing, frame], how="vertical_relaxed") if existing.height else frame
    digest = hashlib.sha256(
        json.dumps(combined.select("record_id", "full_name").rows(), ensure_ascii=False).encode()
    ).hexdigest()
    store.replace_source(
        path=MANUAL_SOURCE,
        importer=MANUAL_IMPORTER,
        content_hash=f"manual:{digest}",
        size=0,
        records=combined,
        rejects=[],
        info={"note": "contacts created by kith log"},
    )
    add_singleton_person(store, frame)
    return str(frame["record_id"][0])


def add_singleton_person(store: Store, records: pl.DataFrame) -> list[str]:
    """Make each of ``records`` a person of its own in dedupe's tables (no-op before dedupe).

    The id is the one dedupe gives a new lone record (:func:`pipeline.dedupe.ids.new_person_id`),
    and the assignment carries no fingerprint, so the next dedupe re-examines the record, keeps
    the id while it stays alone and folds it into a matching person otherwise.
    """
    if not has_people_table(store) or records.height == 0:
        return []
    taken = {row[0] for row in store.conn.execute("SELECT DISTINCT person_id FROM assignments")}
    ids = [new_person_id(str(rid), taken) for rid in records["record_id"].to_list()]
    people = people_from_records(records).with_columns(pl.Series("person_id", ids, dtype=pl.String))
    encoded = encode_for_sql(people.select(list(PEOPLE_COLUMNS)))
    marks = ", ".join("?" * encoded.width)
    with store.transaction() as conn:
        conn.executemany(
            f"INSERT OR REPLACE INTO people({', '.join(encoded.columns)}) VALUES ({marks})", encoded.rows()
        )
        conn.executemany(
            "INSERT OR REPLACE INTO assignments(record_id, person_id, fingerprint) VALUES (?, ?, NULL)",
            list(zip(records["record_id"].to_list(), ids, strict=True)),
        )
        note_people_written(conn, ids)
    return ids

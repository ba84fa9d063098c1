"""Journal links that survive an edit of the source: which new record is the old one, edited.

A record's id, for a source without ids of its own (a vCard without ``UID``, a LinkedIn row
without a profile URL), is a fingerprint of its name, e-mails, phones and organisation; edit
one of them and the record comes back under a new id. The journal anchors entries to record
ids, so without this the entry would point at nothing (``(removed)`` in ``kith journal``) and
its follow-ups would vanish.

When a changed file replaces its source, :func:`moved_records` pairs each record that
disappeared and is named by the journal with the new record that is the same contact edited:
first the record at the same place in the file (``source_ref``) that still shares the name or
a contact point, then a record anywhere in the file with the same name and a shared contact
point — each only when exactly one candidate fits, never a guess. The import then points the
journal at the new ids in the same transaction (:meth:`pipeline.store.Store.replace_source`).
"""

from __future__ import annotations

import polars as pl

from pipeline.store import Store

_POINTS = ("emails", "phones")


def journaled_records(store: Store, source_id: int) -> set[str]:
    """The records of ``source_id`` that a journal entry (or a journal alias) points at."""
    anchors = (
        "SELECT record_id FROM journal UNION SELECT via_record_id FROM journal "
        "UNION SELECT to_record_id FROM journal UNION SELECT anchor FROM journal_alias"
    )
    query = f"SELECT record_id FROM records WHERE source_id = ? AND record_id IN ({anchors})"
    return {row[0] for row in store.conn.execute(query, (source_id,))}


def _contact_points(row: dict) -> set[str]:
    points = {p for field in _POINTS for p in (row.get(field) or [])}
    if row.get("linkedin_url"):
        points.add(row["linkedin_url"])
    return points


def _name(row: dict) -> str:
    return (row.get("name_key") or row.get("full_name") or "").strip().casefold()


def _same_contact(old: dict, new: dict) -> bool:
    return bool(_name(old) and _name(old) == _name(new)) or bool(_contact_points(old) & _contact_points(new))


def moved_records(store: Store, source_id: int, new: pl.DataFrame) -> dict[str, str]:
    """``old record id → new record id`` for the journaled records of ``source_id`` that the new
    version of the file (``new``, records with their ids) carries under another id."""
    wanted = journaled_records(store, source_id)
    if not wanted:
        return {}
    fresh_ids = set(new["record_id"].to_list())
    gone = [rid for rid in wanted if rid not in fresh_ids]
    if not gone:
        return {}
    columns = ["record_id", "source_ref", "full_name", "name_key", "emails", "phones", "linkedin_url"]
    marks = ", ".join("?" * len(gone))
    old_rows = store.records(f"WHERE source_id = ? AND record_id IN ({marks})", (source_id, *gone))
    old_rows = old_rows.select([c for c in columns if c in old_rows.columns]).to_dicts()
    old_ids = [
        row[0]
        for row in store.conn.execute("SELECT record_id FROM records WHERE source_id = ?", (source_id,))
    ]
    # only the records that are new in this version can be an old one edited
    added = new.filter(~pl.col("record_id").is_in(pl.Series(old_ids, dtype=pl.String).implode()))
    candidates = added.select([c for c in columns if c in added.columns]).to_dicts()
    moved: dict[str, str] = {}
    taken: set[str] = set()
    for old in old_rows:
        here = [c for c in candidates if c["source_ref"] == old["source_ref"] and _same_contact(old, c)]
        if len(here) != 1:
            here = [
                c
                for c in candidates
                if _name(old) and _name(c) == _name(old) and _contact_points(old) & _contact_points(c)
            ]
        if len(here) == 1 and here[0]["record_id"] not in taken:
            moved[old["record_id"]] = here[0]["record_id"]
            taken.add(here[0]["record_id"])
    return moved

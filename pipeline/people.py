"""People: what reports and the journal work with — one row per human, after dedupe.

:func:`load_people` is the one way the rest of kith reads people. When dedupe has run it
reads the ``people`` table (merged fields, all emails and phones, the records behind each
person); before that, every record stands for its own person, so reports work from the
first import on.
"""

from __future__ import annotations

import polars as pl

from pipeline.schema import CANONICAL, LIST_STR, STR
from pipeline.store import Store

#: Canonical fields a person carries (merged by survivorship), in order.
PERSON_FIELDS = [
    name for name in CANONICAL if name not in {"record_id", "source", "source_file", "source_ref", "extra"}
]

#: The people frame: ``person_id``, the merged fields, then where they came from.
PEOPLE_COLUMNS: dict[str, pl.DataType] = {
    "person_id": STR,
    **{name: CANONICAL[name] for name in PERSON_FIELDS},
    "record_ids": LIST_STR,
    "sources": LIST_STR,
    "provenance": STR,  # JSON object: field -> record_id the merged value came from
}


def first_name(given: str | None, nickname: str | None, name: str) -> str:
    """What to call someone in a message: the name they go by (``nickname``, a directory's
    preferred name) before their formal given name, else the first word of ``name``."""
    for value in (nickname, given):
        if value and value.strip():
            return value.strip().split()[0] if value is given else value.strip()
    words = name.split()
    return words[0] if words and not name.startswith("(") else "there"


def identity_person_id(record_id: pl.Expr) -> pl.Expr:
    """The person id of a record that stands alone (before dedupe, or never matched)."""
    return pl.lit("p_") + record_id


def people_from_records(records: pl.DataFrame) -> pl.DataFrame:
    """Every record as its own person (no dedupe)."""
    frame = records.with_columns(
        identity_person_id(pl.col("record_id")).alias("person_id"),
        pl.concat_list(pl.col("record_id")).alias("record_ids"),
        pl.concat_list(pl.col("source")).alias("sources"),
        pl.lit(None, STR).alias("provenance"),
    )
    return frame.select([pl.col(n).cast(t) for n, t in PEOPLE_COLUMNS.items()])


def has_people_table(store: Store) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'people'"
    return store.conn.execute(query).fetchone() is not None


def load_people(store: Store) -> pl.DataFrame:
    """All people with :data:`PEOPLE_COLUMNS` (from dedupe when it has run, else one per record).

    Cached on the store until anything is written to it (by this connection or another
    process), so the exporters of one run read a million people once, not once each.
    """
    version = (
        id(store.conn),
        store.conn.total_changes,
        store.conn.execute("PRAGMA data_version").fetchone()[0],
    )
    cached = getattr(store, "_people_cache", None)
    if cached is not None and cached[0] == version:
        return cached[1]
    frame = _read_people(store)
    store._people_cache = (version, frame)  # type: ignore[attr-defined]
    return frame


def _read_people(store: Store) -> pl.DataFrame:
    if has_people_table(store):
        frame = store.query_frame(
            f"SELECT {', '.join(PEOPLE_COLUMNS)} FROM people ORDER BY person_id", schema=PEOPLE_COLUMNS
        )
        return frame.select([pl.col(n).cast(t) for n, t in PEOPLE_COLUMNS.items()])
    return people_from_records(store.records())


def person_of_records(store: Store) -> pl.DataFrame:
    """``record_id → person_id`` for every record (identity before dedupe)."""
    if has_people_table(store):
        people = load_people(store)
        return people.select("person_id", pl.col("record_ids").alias("record_id")).explode("record_id")
    return store.records().select("record_id", identity_person_id(pl.col("record_id")).alias("person_id"))

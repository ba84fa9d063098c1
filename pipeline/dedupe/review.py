"""The review queue as people see it: uncertain pairs joined to both records, described side by side.

Used by ``kith review`` (shown in the terminal) and by the run, which hands the pairs to
exporters (``ExportContext.review_pairs``; the ``duplicates`` plugin writes them into
``duplicates.xlsx`` and reads the filled sheet back). Reads only.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipeline.dedupe.storage import load_review_queue
from pipeline.store import Store


def _join(*parts: object, sep: str = " ") -> str:
    return sep.join(str(p) for p in parts if p not in (None, "", []))


def display_name(row: dict) -> str:
    """The name to show for a record or person: full name, else the parts, else the first email."""
    name = row.get("full_name") or _join(
        row.get("given_name"), row.get("middle_name"), row.get("family_name")
    )
    return name or (row.get("emails") or ["(no name)"])[0]


def describe(row: dict) -> dict[str, str]:
    """One record as the side-by-side text fields the sheet and ``kith review`` show."""
    slug = (row.get("linkedin_url") or "").rstrip("/").rsplit("/", 1)[-1]
    return {
        "Name": display_name(row),
        "Emails": ", ".join(row.get("emails") or []),
        "Phones": ", ".join(row.get("phones") or []),
        "Organization": _join(row.get("organization"), row.get("department"), sep=", "),
        "Title": row.get("title") or "",
        "Location": _join(
            row.get("street"),
            _join(row.get("city"), row.get("region"), row.get("postal_code")),
            row.get("country"),
            sep=", ",
        ),
        "Details": _join(
            f"linkedin/{slug}" if slug else None,
            _join(row.get("school"), row.get("class_year") and f"class of {row.get('class_year')}"),
            row.get("birthday") and f"born {row.get('birthday')}",
            sep="; ",
        ),
        "Source": _join(row.get("source"), Path(row.get("source_file") or "").name, row.get("source_ref")),
    }


def review_rows(store: Store, limit: int | None = None) -> list[dict]:
    """The stored review queue (most likely first, at most ``limit`` pairs) joined to both records:
    what ``kith review`` shows and the run hands to exporters (``context.review_pairs``)."""
    queue = load_review_queue(store)
    if limit is not None:
        queue = queue.head(limit)
    if queue.is_empty():
        return []
    ids = pl.concat([queue["record_a"], queue["record_b"]]).unique().to_list()
    store.conn.execute("CREATE TEMP TABLE IF NOT EXISTS _review_ids (record_id TEXT PRIMARY KEY)")
    store.conn.execute("DELETE FROM _review_ids")
    store.conn.executemany("INSERT OR IGNORE INTO _review_ids VALUES (?)", [(i,) for i in ids])
    records = store.records("WHERE record_id IN (SELECT record_id FROM _review_ids)")
    by_id = {r["record_id"]: r for r in records.iter_rows(named=True)}
    rows = []
    for pair in queue.iter_rows(named=True):
        a, b = by_id.get(pair["record_a"]), by_id.get(pair["record_b"])
        if a is None or b is None:  # a record removed since the run
            continue
        rows.append({**pair, "a": a, "b": b})
    return rows

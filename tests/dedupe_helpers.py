"""Builders of small canonical record frames for the dedupe tests (invented people, example.com)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipeline.schema import CANONICAL, conform


def records(*rows: dict) -> pl.DataFrame:
    """Canonical frame from dicts; ``source_ref`` and ``source_file`` are filled in."""
    full = []
    for n, row in enumerate(rows):
        row = dict(row)
        row.setdefault("source_file", f"{row.get('source', 'manual')}.csv")
        row.setdefault("source_ref", f"row {n + 2}")
        for key in ("emails", "phones", "tags"):
            row.setdefault(key, [])
        if isinstance(row.get("connected_on"), str):
            row["connected_on"] = dt.date.fromisoformat(row["connected_on"])
        full.append(row)
    frame = pl.DataFrame(
        full, schema_overrides={k: v for k, v in CANONICAL.items() if k in full[0]}, strict=False
    )
    return conform(frame)


def person_of(result, record_id: str) -> str:
    return result.assignments.filter(pl.col("record_id") == record_id)["person_id"].item()


def same(result, *record_ids: str) -> bool:
    return len({person_of(result, r) for r in record_ids}) == 1

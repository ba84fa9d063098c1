"""Benchmark: people exports (csv, google-csv, xlsx) against polars' own writers as the floor.

Seeded synthetic people (an alumni-office-sized directory); prints seconds, ratio to
``polars.write_csv`` of the same frame (lists joined) measured in the same run, and peak
memory (tracemalloc, Python allocations only). Not part of the test run.

    PYTHONPATH=. /work/main/.venv/bin/python bench/exports.py [ROWS] [--xlsx]
"""

from __future__ import annotations

import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from pipeline.people import PEOPLE_COLUMNS
from pipeline.testing import export_frame

GIVEN = ["Maria", "Ken", "José", "Aiko", "Robert", "Li", "Sam", "Dana", "Priya", "Oluwaseun"]
FAMILY = ["Gonzalez", "Watanabe", "Núñez", "Tanaka", "Kowalski", "Wei", "Patel", "Lee", "Okafor", "Silva"]
ORGS = ["Contoso Ltd", "Fabrikam Inc.", "Northwind Traders", "Tailspin Toys", "=cmd()", "Litware"]


def people(rows: int, seed: int = 7) -> pl.DataFrame:
    rng = random.Random(seed)
    data = []
    for i in range(rows):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        data.append(
            {
                "person_id": f"p_{i:08d}",
                "full_name": f"{given} {family}",
                "given_name": given,
                "family_name": family,
                "emails": [f"{given.lower()}.{i}@example.com"] + ([f"{i}@example.org"] if i % 3 == 0 else []),
                "phones": [f"+1206555{i % 10_000:04d}"],
                "organization": rng.choice(ORGS),
                "title": "Engineer",
                "city": "Seattle",
                "country": "US",
                "class_year": 1980 + i % 45,
                "channel": "alumni",
                "tags": ["alumni"],
                "notes": "Met at reunion" if i % 5 == 0 else None,
                "record_ids": [f"r_{i}"],
                "sources": ["alumni"],
            }
        )
    return pl.DataFrame([{k: r.get(k) for k in PEOPLE_COLUMNS} for r in data], schema=PEOPLE_COLUMNS)


def timed(label: str, func, floor: float | None = None) -> float:
    start = time.perf_counter()
    func()
    seconds = time.perf_counter() - start
    # ru_maxrss is the process high-water mark (KiB on Linux): it only grows across steps.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ratio = f"{seconds / floor:6.1f}x floor" if floor else "   (floor)"
    print(f"{label:28} {seconds:7.2f} s  {ratio}  process peak RSS {peak:7.1f} MiB")
    return seconds


def main() -> None:
    numbers = [a for a in sys.argv[1:] if a.isdigit()]
    rows = int(numbers[0]) if numbers else 100_000
    frame = people(rows)
    print(f"{rows:,} people, {frame.width} columns")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        joined = frame.with_columns(pl.col(pl.List(pl.String)).list.join("; "))
        floor = timed("polars write_csv (floor)", lambda: joined.write_csv(out / "floor.csv"))
        timed("kith csv (utf-8-sig)", lambda: export_frame(frame, "csv", out / "p.csv"), floor)
        timed("kith google-csv", lambda: export_frame(frame, "google-csv", out / "g.csv"), floor)
        if "--xlsx" in sys.argv:  # openpyxl is slow at this size; opt in
            timed("kith xlsx (write-only)", lambda: export_frame(frame, "xlsx", out / "p.xlsx"), floor)


if __name__ == "__main__":
    main()

"""What the store adds around the dedupe engine: a first run, an unchanged re-run, and a re-run
after new records (incremental, through the key index), against the engine alone as the floor.

Not part of the test run. Seeded contacts from bench/contacts_gen.py are written into a fresh
store (one source per generator source, as an import would), then ``dedupe_store`` is timed;
the engine alone (``resolve()`` on the same records) is timed first in the same process. Prints
seconds, the ratio to the engine, the engine's own share of the run, and each step's own peak
RSS (the kernel's high-water mark is reset before each step). ``--whole`` also times the new
records through the whole-frame path (the index removed) on a copy of the store, and checks
that both paths wrote the same people, assignments and review queue.

    python bench/dedupe_store.py --size 100000 --new 1000 --whole
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.rss import peak_mib, reset_peak  # noqa: E402  (after the path is set)


def _store_records(store, frame) -> None:
    import polars as pl

    from pipeline.store import RECORD_COLUMNS

    frame = frame.with_columns(
        [pl.lit(None, dtype=t).alias(c) for c, t in RECORD_COLUMNS.items() if c not in frame.columns]
    )
    for (source,), part in frame.group_by("source", maintain_order=True):
        store.replace_source(
            path=f"{source}.export",
            importer=source,
            content_hash=f"bench-{source}-{part.height}",
            size=part.height,
            records=part.select(list(RECORD_COLUMNS)),
            rejects=[],
            info={},
        )


def _step(store, name: str, floor: float) -> None:
    """One ``dedupe_store`` run: wall, × engine floor, the store's read and write, engine, peaks."""
    import gc

    from pipeline.dedupe.storage import dedupe_store

    engine = sys.modules["pipeline.dedupe.resolve"]  # the module (the package exports its function)

    gc.collect()
    reset_peak()
    marks: list[tuple[str, float]] = []
    peaks: list[tuple[str, float]] = []  # (what ran, its own peak), in order

    def mark(stage: str, _detail: str) -> None:
        if marks:  # the stage before this one is over
            peaks.append((f"[{marks[-1][0]}]", peak_mib()))
        reset_peak()
        marks.append((stage, time.perf_counter()))

    trim = engine.release_freed_memory

    def lap_peak() -> None:  # the engine trims its heap after every step: take that step's peak there
        peaks.append(("", peak_mib()))
        trim()
        reset_peak()

    engine.release_freed_memory = lap_peak
    start = time.perf_counter()
    try:
        run = dedupe_store(store, progress=mark)
    finally:
        engine.release_freed_memory = trim
    took = time.perf_counter() - start
    peaks.append((f"[{marks[-1][0]}]" if marks else "[run]", peak_mib()))
    stats = run.stats or {}
    print(
        f"{name:<30} {took:7.2f}s  {took / floor:5.2f}x engine  people {run.people:,}  "
        f"review {run.review:,}  examined {stats.get('examined_records', '-')}  "
        f"context {stats.get('context_records', '-')}  peak {max(m for _, m in peaks):,.0f} MiB"
    )
    laps = iter(["records in", *(stats.get("timings") or {})])
    named = [(label or next(laps, "?"), mib) for label, mib in peaks]
    print(f"{'':<30} peak by step: " + ", ".join(f"{s} {m:,.0f}" for s, m in named) + " MiB")
    at = dict(marks)
    engine_s = sum((stats.get("timings") or {}).values())
    if "read" in at and "write" in at:
        engine_start = next((t for s, t in marks if s != "read"), at["write"])
        read, write = engine_start - at["read"], start + took - at["write"]
        timings = stats.get("timings")
        print(f"{'':<30} store: read {read:.2f}s, write {write:.2f}s; engine {engine_s:.2f}s {timings}")


def _same_tables(a: Path, b: Path) -> bool:
    from pipeline.dedupe import storage
    from pipeline.people import load_people
    from pipeline.store import Store

    with Store(a) as x, Store(b) as y:
        pairs = [
            (load_people(x).sort("person_id"), load_people(y).sort("person_id")),
            (storage.load_assignments(x).sort("record_id"), storage.load_assignments(y).sort("record_id")),
            (storage.load_review_queue(x), storage.load_review_queue(y)),
        ]
    return all(u.equals(v) for u, v in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=1_000, help="records added for the incremental run")
    parser.add_argument("--whole", action="store_true", help="also time the whole-frame path and compare")
    args = parser.parse_args()

    import polars as pl

    from bench.contacts_gen import generate
    from pipeline.dedupe import resolve
    from pipeline.dedupe.storage import INDEX_KEY
    from pipeline.store import Store

    records, _ = generate(args.size, seed=7)
    first, later = records.head(args.size - args.new), records.tail(args.new)
    later = later.with_columns(source=pl.col("source") + "_new")
    del records
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a" / "kith.db"
        store = Store(path)
        _store_records(store, first)
        loaded = store.records()
        reset_peak()
        start = time.perf_counter()
        resolve(loaded)
        floor = time.perf_counter() - start
        print(f"records: {first.height:,}; engine alone: {floor:.2f}s, peak {peak_mib():,.0f} MiB")
        del loaded, first

        _step(store, "first dedupe_store", floor)
        _step(store, "re-run, nothing changed", floor)
        store.close()
        if args.whole:
            copy = Path(tmp) / "b" / "kith.db"
            copy.parent.mkdir()
            shutil.copy(path, copy)
        store = Store(path)
        _store_records(store, later)
        _step(store, f"{args.new:,} new records, incremental", floor)
        store.close()
        if args.whole:
            store = Store(copy)
            _store_records(store, later)
            with store.transaction() as conn:
                store.set_meta(INDEX_KEY, "", conn)
            _step(store, f"{args.new:,} new records, whole frame", floor)
            store.close()
            print(f"incremental and whole-frame runs wrote the same tables: {_same_tables(path, copy)}")


if __name__ == "__main__":
    main()

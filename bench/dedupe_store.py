"""What the store adds around the dedupe engine: a first run, an unchanged re-run, and a re-run
after 1% new records, against the engine alone (``resolve()`` on the same frame) as the floor.

Not part of the test run. Seeded contacts from bench/contacts_gen.py are written into a fresh
store (one source per generator source, as an import would), then ``run_dedupe`` is timed;
the engine alone is timed first in the same process on the same records. Prints seconds,
the ratio to the floor, and peak RSS (ru_maxrss) after each step.

    python bench/dedupe_store.py --size 100000
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args()

    from bench.contacts_gen import generate
    from pipeline.dedupe import resolve
    from pipeline.dedupe.storage import dedupe_store
    from pipeline.store import Store

    records, _ = generate(args.size, seed=7)
    n_new = max(args.size // 100, 1)
    first, later = records.head(args.size - n_new), records.tail(n_new)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "kith.db")
        _store_records(store, first)
        loaded = store.records()
        start = time.perf_counter()
        resolve(loaded)
        floor = time.perf_counter() - start
        print(f"records: {first.height:,}; engine alone (floor): {floor:.2f}s, peak {_rss_mib():.0f} MiB")

        def step(name: str) -> None:
            marks: list[tuple[str, float]] = []
            start = time.perf_counter()
            run = dedupe_store(
                store, progress=lambda stage, _detail: marks.append((stage, time.perf_counter()))
            )
            took = time.perf_counter() - start
            print(
                f"{name:<28} {took:7.2f}s  {took / floor:5.2f}x floor  people {run.people:,}  "
                f"review {run.review:,}  settled {run.stats.get('settled_records', 0):,}  "
                f"peak {_rss_mib():.0f} MiB"
            )
            at = dict(marks)
            if "read" in at and "write" in at:
                engine_start = next((t for s, t in marks if s not in ("read",)), at["write"])
                print(
                    f"{'':<28} store: read {engine_start - at['read']:.2f}s, "
                    f"write {start + took - at['write']:.2f}s"
                )
            engine = sum(run.stats.get("timings", {}).values())
            print(f"{'':<28} of which engine {engine:.2f}s: {run.stats.get('timings')}")

        step("first run_dedupe")
        step("re-run, nothing changed")
        _store_records(store, later.with_columns(source=later["source"] + "_new"))
        step(f"re-run, {n_new:,} new records")
        store.close()


if __name__ == "__main__":
    main()

"""Stable person ids: a person keeps its id across runs while its records stay together.

Used by :func:`pipeline.dedupe.resolve` after clustering. Each new cluster inherits the
previous id that most of its records carried (greedy by overlap, each previous id given
out once; ties broken by the smaller cluster label and the smaller id, so the outcome is
deterministic). When a person splits, the larger part keeps the id. A cluster with no
previous id gets ``p`` + 12 hex digits of SHA-1 of its smallest record id — the same
records give the same id on every machine — made unique against every id seen before.
"""

from __future__ import annotations

import hashlib

import polars as pl
import polars_hash as plh


def new_person_id(seed: str, taken: set[str]) -> str:
    """The id of a new person whose smallest record id is ``seed``, unique against ``taken``."""
    return _new_id(seed, taken)


def _new_id(seed: str, taken: set[str]) -> str:
    salt = 0
    while True:
        text = seed if salt == 0 else f"{seed}#{salt}"
        pid = "p" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
        if pid not in taken:
            taken.add(pid)
            return pid
        salt += 1


def assign_person_ids(record_ids: pl.Series, labels: pl.Series, previous: pl.DataFrame | None) -> pl.Series:
    """A person id per record (aligned with ``record_ids``); ``labels`` are the cluster labels."""
    frame = pl.DataFrame({"record_id": record_ids, "label": labels})
    chosen = pl.DataFrame(schema={"label": labels.dtype, "person_id": pl.String})
    taken: set[str] = set()
    if previous is not None and previous.height:
        prev = previous.select(pl.col("record_id").cast(pl.String), pl.col("person_id").cast(pl.String))
        taken = set(prev["person_id"].unique().to_list())
        overlap = (
            frame.join(prev, on="record_id", how="inner")
            .group_by("label", "person_id")
            .len()
            .sort(["len", "label", "person_id"], descending=[True, False, False])
        )
        picks = []
        # Greedy by overlap, vectorized in rounds: a row that comes first for both its cluster and
        # its previous id is exactly what the sequential greedy would pick.
        while overlap.height:
            first = overlap.filter(
                pl.col("label").is_first_distinct() & pl.col("person_id").is_first_distinct()
            )
            picks.append(first.select("label", "person_id"))
            overlap = overlap.filter(
                ~pl.col("label").is_in(first["label"].implode())
                & ~pl.col("person_id").is_in(first["person_id"].implode())
            )
        if picks:
            chosen = pl.concat(picks)
    unnamed = frame.join(chosen, on="label", how="anti") if chosen.height else frame
    missing = unnamed.group_by("label").agg(pl.col("record_id").min().alias("seed"))
    # SHA-1 in polars-hash's vectorized kernel (the same digests as hashlib, a tenth of the time).
    missing = missing.with_columns(
        (pl.lit("p") + plh.col("seed").nchash.sha1().str.slice(0, 12)).alias("pid")
    )
    # A collision (with an earlier id or among the new ones) is astronomically rare: salt just those,
    # in seed order.
    earlier = pl.Series(list(taken), dtype=pl.String)
    suspect = missing["pid"].n_unique() < missing.height or bool(
        missing["pid"].is_in(earlier.implode()).any()
    )
    if suspect:
        clash = missing.select(
            pl.col("pid").is_duplicated() | pl.col("pid").is_in(earlier.implode())
        ).to_series()
        missing = missing.with_columns(clash.alias("_clash")).sort("seed")
        seeds, new_ids, bad = (missing[c].to_list() for c in ("seed", "pid", "_clash"))
        taken |= {pid for pid, b in zip(new_ids, bad, strict=True) if not b}
        for k, b in enumerate(bad):
            if b:
                new_ids[k] = _new_id(seeds[k], taken)
        missing = missing.with_columns(pl.Series("pid", new_ids, dtype=pl.String))
    fresh = missing.select("label", pl.col("pid").alias("person_id"))
    mapping = pl.concat([chosen.cast({"label": labels.dtype}), fresh])
    if labels.dtype.is_integer() and labels.len() and labels.min() >= 0:
        # Integer labels (as clustering gives): look each record's person up by label in an array.
        import numpy as np

        slot = np.zeros(int(labels.max()) + 1, dtype=np.uint32)
        slot[mapping["label"].to_numpy()] = np.arange(mapping.height, dtype=np.uint32)
        return mapping["person_id"].gather(pl.Series(slot[labels.to_numpy()]))
    return frame.join(mapping, on="label", how="left", maintain_order="left")["person_id"]

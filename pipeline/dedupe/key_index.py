"""The block-key index: which records hold each block key, kept on disk between dedupe runs.

An incremental resolve (:mod:`pipeline.dedupe.storage`) must find the candidate pairs that touch
the new and changed records exactly as a full resolve's blocking (:mod:`.blocking`) would:
every record sharing a key with a new record in a block of 2..cap records. Computing every
record's keys again means featurizing every record, so the full run keeps what its blocking
computed anyway — per rule, the sorted keys and the record ("slot") holding each — and later runs
look the new records' keys up in it (a binary search in memory-mapped arrays) and read only
the records they find.

On disk, beside the store (``<store>.dedupe-index/``): a *base* (per rule ``r<code>.keys.npy``
and ``r<code>.slots.npy``, and ``ids.parquet``: the record id of each slot) written by a full
run, and a small *delta* written by each incremental run (the entries of the records it
examined, under new slots, and the slots that died: records deleted, changed or re-examined).
The store's meta key ``dedupe.index`` (:data:`pipeline.dedupe.storage.INDEX_KEY`) names the
base and delta that match its people; it is written in the run's transaction, so a crashed run
leaves an index the store does not name, and a store whose meta names no readable index
resolves in full (and writes a new one).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.dedupe.blocking import Rule, record_keys
from pipeline.fileio import DIR_MODE, ensure_private_dir

#: Bumped whenever the meaning of a key changes (features, hashing, rules).
INDEX_VERSION = 2
#: A delta this large (new slots over base slots) is folded into a new base at the end of a run.
COMPACT_SHARE = 0.05


def signature(rules: list[Rule]) -> str:
    """What the keys depend on: the index format, polars' hashing, the rules and their caps."""
    keys = [[[str(k) for k in alternatives] for alternatives in r.keys] for r in rules]
    side = [None if r.one_side is None else str(r.one_side) for r in rules]
    return json.dumps([INDEX_VERSION, pl.__version__, [(r.name, r.cap) for r in rules], keys, side])


def index_dir(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".dedupe-index")


def _private_folder(root: Path, name: str) -> Path:
    """``root/name``, both owner-only like the store (the index holds record ids); an index
    folder an older kith made readable to others is closed too."""
    ensure_private_dir(root)
    os.chmod(root, DIR_MODE)
    return ensure_private_dir(root / name)


class IndexWriter:
    """A new base, written while a full run's blocking hands over each rule's sorted entries."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.name = f"base-{uuid.uuid4().hex[:12]}"
        self.path = _private_folder(root, self.name)

    def __call__(self, code: int, keys: np.ndarray, slots: np.ndarray) -> None:
        np.save(self.path / f"r{code}.keys.npy", np.ascontiguousarray(keys, dtype=np.uint64))
        np.save(self.path / f"r{code}.slots.npy", np.ascontiguousarray(slots, dtype=np.uint32))

    def finish(self, ids: pl.Series, rules: list[Rule], mark: object) -> dict:
        """Write the slot → record id table; returns the meta naming this base (with ``mark``: what
        the store held when the index was made)."""
        pl.DataFrame({"record_id": ids.cast(pl.String)}).write_parquet(self.path / "ids.parquet")
        return {"sig": signature(rules), "base": self.name, "delta": None, "mark": mark, "slots": ids.len()}

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


@dataclass
class _Delta:
    """The incremental runs' entries since the base: rule, key, slot; new slots' ids; dead slots."""

    entries: pl.DataFrame
    ids: pl.Series
    dead: np.ndarray


@dataclass
class KeyIndex:
    """A readable index (see the module docstring); ``meta`` is what the store names."""

    root: Path
    meta: dict
    ids: pl.Series
    delta: _Delta

    @classmethod
    def open(cls, db_path: Path, raw: str | None, rules: list[Rule]) -> KeyIndex | None:
        """The index the store's meta names, or None when there is none or it does not fit."""
        if not raw:
            return None
        meta = json.loads(raw)
        root = index_dir(db_path)
        base = root / str(meta.get("base"))
        if meta.get("sig") != signature(rules) or not (base / "ids.parquet").exists():
            return None
        try:
            ids = pl.read_parquet(base / "ids.parquet")["record_id"]
            delta = _Delta(
                pl.DataFrame(schema={"rule": pl.UInt8, "key": pl.UInt64, "slot": pl.UInt32}),
                pl.Series("record_id", [], dtype=pl.String),
                np.zeros(0, dtype=np.uint32),
            )
            if meta.get("delta"):
                path = root / meta["delta"]
                delta = _Delta(
                    pl.read_parquet(path / "entries.parquet"),
                    pl.read_parquet(path / "ids.parquet")["record_id"],
                    np.load(path / "dead.npy"),
                )
        except OSError:
            return None
        return cls(root, meta, pl.concat([ids, delta.ids]), delta)

    def slots_of(self, record_ids: pl.Series) -> np.ndarray:
        """The live slots holding these record ids."""
        found = self.ids.is_in(record_ids.cast(pl.String).implode()).arg_true().to_numpy().astype(np.uint32)
        return found[~np.isin(found, self.delta.dead)]

    def add(
        self, feats: pl.DataFrame | None, record_ids: pl.Series, rules: list[Rule], dead: np.ndarray
    ) -> np.ndarray:
        """Give the records of ``feats`` new slots (their old ones and ``dead`` die); returns the slots."""
        first = self.ids.len()
        parts = []
        for code, (rows, keys) in enumerate(record_keys(feats, rules) if feats is not None else []):
            parts.append(
                pl.DataFrame(
                    {"rule": np.full(len(keys), code, dtype=np.uint8), "key": keys, "slot": rows + first}
                ).cast({"rule": pl.UInt8, "key": pl.UInt64, "slot": pl.UInt32})
            )
        dead = np.union1d(self.delta.dead, np.union1d(dead, self.slots_of(record_ids))).astype(np.uint32)
        entries = pl.concat([self.delta.entries, *parts]).unique(maintain_order=True)
        new_ids = record_ids.cast(pl.String).alias("record_id")
        self.delta = _Delta(entries, pl.concat([self.delta.ids, new_ids]), dead)
        self.ids = pl.concat([self.ids, new_ids])
        return np.arange(first, first + record_ids.len(), dtype=np.uint32)

    def pairs(self, slots: np.ndarray, rules: list[Rule]) -> pl.DataFrame:
        """Every (slot, other slot, rule) where the two share a key in a block of 2..cap live records.

        ``slots``: the records examined (already :meth:`add`-ed). The blocks are counted over the
        whole index, as a full run's blocking counts them over all records.
        """
        out = []
        entries = self.delta.entries
        mine = entries.filter(pl.col("slot").is_in(pl.Series(slots).implode()))
        for code, rule in enumerate(rules):
            own = mine.filter(pl.col("rule") == code)
            if own.is_empty():
                continue
            queries = own["key"].unique().sort().to_numpy()
            members = self._members(code, queries, rule.cap)
            found = own.select("key", pl.col("slot").alias("a")).join(members, on="key")
            rule_code = pl.lit(code, pl.UInt8).alias("rule")
            out.append(found.filter(pl.col("a") != pl.col("b")).select("a", "b", rule_code))
        if not out:
            return pl.DataFrame(schema={"a": pl.UInt32, "b": pl.UInt32, "rule": pl.UInt8})
        return pl.concat(out)

    def holders(self, feats: pl.DataFrame, rules: list[Rule], codes: list[int]) -> pl.Series:
        """The record ids of every live record that shares a key of the rules ``codes`` with a record
        of ``feats``, however large the block (name crowding counts every holder of a name; an
        e-mail or phone on the records of several families is nobody's)."""
        found = [
            self._members(code, np.unique(keys), None)["b"]
            for code, (_rows, keys) in zip(codes, record_keys(feats, rules, codes), strict=True)
        ]
        return self.ids.gather(pl.concat(found).unique())

    def _members(self, code: int, queries: np.ndarray, cap: int | None) -> pl.DataFrame:
        """key, b: the live slots of each queried key whose block holds 2..``cap`` records
        (``cap`` None: every block)."""
        path = self.root / self.meta["base"]
        keys = np.load(path / f"r{code}.keys.npy", mmap_mode="r")
        base_slots = np.load(path / f"r{code}.slots.npy", mmap_mode="r")
        lo = np.searchsorted(keys, queries, side="left")
        hi = np.searchsorted(keys, queries, side="right")
        dead = self.delta.dead
        # A range longer than the cap plus every dead slot is over the cap whatever died in it.
        near = (hi - lo) <= (cap + len(dead) if cap is not None else len(keys))
        lo, hi, q = lo[near], hi[near], queries[near]
        sizes = hi - lo
        starts = np.repeat(lo - np.cumsum(sizes) + sizes, sizes)
        pos = np.arange(int(sizes.sum())) + starts
        base = pl.DataFrame(
            {"key": np.repeat(q, sizes), "b": np.asarray(base_slots[pos], dtype=np.uint32)},
            schema={"key": pl.UInt64, "b": pl.UInt32},
        )
        extra = self.delta.entries.filter(
            (pl.col("rule") == code) & pl.col("key").is_in(pl.Series(q, dtype=pl.UInt64).implode())
        ).select("key", pl.col("slot").alias("b"))
        both = pl.concat([base, extra]).filter(~pl.col("b").is_in(pl.Series(dead, dtype=pl.UInt32).implode()))
        return both if cap is None else both.filter(pl.len().over("key").is_between(2, cap))

    def grown(self) -> bool:
        """Whether the delta has grown past :data:`COMPACT_SHARE` of the base (time to fold it in)."""
        base = int(self.meta["slots"])
        return self.delta.ids.len() > COMPACT_SHARE * max(base, 1)

    def write(self, mark: object, rules: list[Rule]) -> dict:
        """Write the delta (or, when it grew large, a new base); returns the meta naming it."""
        if self.grown():
            return self._rebase(mark, rules)
        name = f"delta-{uuid.uuid4().hex[:12]}"
        path = _private_folder(self.root, name)
        self.delta.entries.write_parquet(path / "entries.parquet")
        pl.DataFrame({"record_id": self.delta.ids}).write_parquet(path / "ids.parquet")
        np.save(path / "dead.npy", self.delta.dead)
        return {**self.meta, "delta": name, "mark": mark}

    def _rebase(self, mark: object, rules: list[Rule]) -> dict:
        """A new base from the base and the delta, dead slots dropped and slots renumbered."""
        live = np.ones(self.ids.len(), dtype=bool)
        live[self.delta.dead] = False
        renumber = np.cumsum(live, dtype=np.int64) - 1
        writer = IndexWriter(self.root)
        path = self.root / self.meta["base"]
        for code in range(len(rules)):
            keys = np.load(path / f"r{code}.keys.npy")
            slots = np.load(path / f"r{code}.slots.npy")
            extra = self.delta.entries.filter(pl.col("rule") == code)
            keys = np.concatenate([keys, extra["key"].to_numpy()])
            slots = np.concatenate([slots, extra["slot"].to_numpy()])
            keep = live[slots]
            keys, slots = keys[keep], renumber[slots[keep]].astype(np.uint32)
            order = np.lexsort((slots, keys))
            writer(code, keys[order], slots[order])
        ids = self.ids.filter(pl.Series(live))
        return writer.finish(ids, rules, mark)


def clean(root: Path, meta: dict | None) -> None:
    """Remove every base and delta the store's meta does not name (after its transaction committed)."""
    if not root.is_dir():
        return
    keep = {meta.get("base"), meta.get("delta")} if meta else set()
    for entry in os.scandir(root):
        if entry.name not in keep:
            shutil.rmtree(entry.path, ignore_errors=True)

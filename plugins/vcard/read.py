"""The vCard importer's ``read``: file → raw canonical frame + rejects.

Flow: ``split.load`` (bytes, BOM/UTF-16) → ``split.strip_payloads`` (photos out) →
``split.split_cards`` (one chunk per card) → per card ``parse.parse_card`` then
``mapping.map_card`` (in a 2-process pool above :data:`POOL_MIN_CARDS`) → group cards
turned into tags on their members → one polars frame. Every card fails alone: whatever goes
wrong inside one becomes a reject naming its card number and line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipeline import textio
from pipeline.contracts import ImportOptions, ImportResult, Reject
from pipeline.errors import InputError
from plugins.vcard import split
from plugins.vcard.mapping import LIST_FIELDS, TEXT_FIELDS, CardResult, map_card, member_keys
from plugins.vcard.parse import clear_cache, parse_card

#: Below this many cards one process is faster than starting a pool.
POOL_MIN_CARDS = 4000
#: Cards per task sent to a worker: big enough to amortize pickling, small enough to balance.
POOL_BATCH = 2500
COLUMNS = ("source_ref", "source_key", *TEXT_FIELDS, *LIST_FIELDS, "extra")


def read_vcards(path: Path, options: ImportOptions) -> ImportResult:
    """Read every card of ``path`` (see the module docstring); raise InputError only for the file."""
    path = Path(path)
    data, encoding = split.load(path)
    if not data.strip():
        info = {"encoding": encoding, "cards": 0, "warnings": ["file is empty"]}
        return ImportResult(_frame([]), info=info)
    if not split.has_card(data):
        raise InputError(f"{path}: is not a vCard file (no BEGIN:VCARD line found)")
    fallback = "cp1252"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        # Legacy 2.1 exports: lines without a CHARSET use the file's code page.
        detected = textio.detect_encoding(data)
        fallback = detected if not detected.startswith("utf") else "cp1252"
        encoding = f"{fallback} (per line, with CHARSET where a card declares one)"
    data, stripped = split.strip_payloads(data)
    cards = split.split_cards(data)
    overrides = {k.upper(): v for k, v in options.mapping.items()}
    workers = _workers(options, len(cards.chunks))
    results = _parse_all(cards.chunks, fallback, overrides, workers)

    rejects = [Reject(ref, reason) for ref, reason in cards.problems]
    warnings: list[str] = []
    rows: list[dict[str, Any]] = []
    groups: list[CardResult] = []
    keyed: list[tuple[list[str], dict[str, Any]]] = []
    for number, line, result in results:
        ref = f"card {number} (line {line})"
        if isinstance(result, str):
            rejects.append(Reject(ref, result))
        elif result.kind == "group":
            groups.append(result)
        elif result.kind == "empty":
            rejects.append(Reject(ref, "card has no name, email, phone or any other detail"))
        else:
            row = result.row or {}
            row["source_ref"] = ref
            rows.append(row)
            if result.keys:
                keyed.append((result.keys, row))
            if "unparsed_lines" in row["extra"]:
                count = len(row["extra"]["unparsed_lines"])
                warnings.append(f"{ref}: {count} line(s) were not vCard properties (kept in extra)")
    group_info = {}
    if groups:
        by_key: dict[str, dict[str, Any]] = {}
        for ids, row in keyed:
            for key in member_keys(ids):
                by_key.setdefault(key, row)
        group_info = _apply_groups(groups, by_key, warnings)
    _unique_keys(rows, warnings)
    for row in rows:
        if options.tags:
            row["tags"] = list(dict.fromkeys([*row["tags"], *options.tags]))
        if options.channel and not row.get("channel"):
            row["channel"] = options.channel
    rejects.sort(key=_reject_order)
    info: dict[str, Any] = {"encoding": encoding, "cards": len(cards.chunks), "workers": workers}
    if stripped:
        info["payloads_skipped"] = stripped
    if group_info:
        info["groups"] = group_info
    if warnings:
        info["warnings"] = warnings
    return ImportResult(_frame(rows), rejects=rejects, info=info)


def _workers(options: ImportOptions, cards: int) -> int:
    wanted = options.settings.get("workers")
    if wanted is not None:
        return max(1, int(wanted))
    if cards < POOL_MIN_CARDS:
        return 1
    return max(1, min(2, os.cpu_count() or 1))


def parse_batch(
    chunks: list[split.Chunk], fallback: str, overrides: dict[str, str]
) -> list[tuple[int, int, CardResult | str]]:
    """Parse and map a batch of cards; a card that raises becomes a reject reason, never an error."""
    out: list[tuple[int, int, CardResult | str]] = []
    clear_cache()
    for chunk in chunks:
        try:
            card = parse_card(chunk.data, chunk.number, chunk.line, fallback)
            out.append((chunk.number, chunk.line, map_card(card, overrides)))
        except Exception as exc:  # one card must never cost the others
            out.append((chunk.number, chunk.line, f"card could not be read ({type(exc).__name__})"))
    return out


def _parse_all(
    chunks: list[split.Chunk], fallback: str, overrides: dict[str, str], workers: int
) -> Iterable[tuple[int, int, CardResult | str]]:
    if workers <= 1 or len(chunks) <= POOL_BATCH:
        return parse_batch(chunks, fallback, overrides)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    batches = [chunks[i : i + POOL_BATCH] for i in range(0, len(chunks), POOL_BATCH)]
    # spawn, not fork: the parent may hold polars' thread pool, and forking threads is unsafe.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(parse_batch, batch, fallback, overrides) for batch in batches]
        return [item for future in futures for item in future.result()]


def _apply_groups(
    groups: list[CardResult], by_key: dict[str, dict[str, Any]], warnings: list[str]
) -> dict[str, dict[str, int]]:
    """Group cards never become records: their names become tags on the member cards present."""
    info: dict[str, dict[str, int]] = {}
    for group in groups:
        name = group.group_name or "unnamed group"
        found = 0
        for member in dict.fromkeys(group.members):
            row = by_key.get(member)
            if row is None:
                continue
            found += 1
            if name not in row["tags"]:
                row["tags"].append(name)
            row["extra"].setdefault("groups", []).append(name)
        info[name] = {"members": len(set(group.members)), "in_file": found}
        missing = len(set(group.members)) - found
        if missing:
            warnings.append(f"group {name!r}: {missing} member(s) are not in this file")
    return info


def _unique_keys(rows: list[dict[str, Any]], warnings: list[str]) -> None:
    """Two cards with one UID would get one record id: suffix the repeats (``uid#2``)."""
    seen: dict[str, int] = {}
    for row in rows:
        key = row.get("source_key")
        if not key:
            continue
        count = seen.get(key, 0) + 1
        seen[key] = count
        if count > 1:
            row["source_key"] = f"{key}#{count}"
            warnings.append(f"{row['source_ref']}: UID {key!r} repeats an earlier card's")


def _reject_order(reject: Reject) -> int:
    digits = "".join(c if c.isdigit() else " " for c in reject.ref.split("(")[-1]).split()
    return int(digits[0]) if digits else 0


def _frame(rows: list[dict[str, Any]]):
    """Rows → frame. List columns are built from one flat column (a python list per cell costs
    a polars Series each) and imploded per row."""
    import polars as pl

    for row in rows:
        row["extra"] = json.dumps(row.get("extra") or {}, ensure_ascii=False)
    scalars = {name: pl.String for name in COLUMNS if name not in LIST_FIELDS}
    frame = pl.from_dicts(rows, schema=scalars) if rows else pl.DataFrame(schema=scalars)
    lists = {}
    for name in LIST_FIELDS:
        owners: list[int] = []
        values: list[str] = []
        for index, row in enumerate(rows):
            cell = row.get(name)
            if cell:
                owners.extend([index] * len(cell))
                values.extend(cell)
        flat = pl.DataFrame({"row": owners, name: values}, schema={"row": pl.UInt32, name: pl.String})
        lists[name] = (
            pl.DataFrame({"row": pl.arange(0, len(rows), dtype=pl.UInt32, eager=True)})
            .join(flat.group_by("row").agg(pl.col(name)), on="row", how="left")
            .sort("row")
            .get_column(name)
            .fill_null(pl.lit([], dtype=pl.List(pl.String)))
        )
    return frame.with_columns(*(lists[name].alias(name) for name in LIST_FIELDS)).select(COLUMNS)

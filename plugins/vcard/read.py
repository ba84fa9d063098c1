"""The vCard importer's ``read``: file → raw canonical frame + rejects.

Flow: ``split.load`` (bytes, BOM/UTF-16) → ``split.strip_payloads`` (photos out) →
``split.split_cards`` (one chunk per card) → per card ``parse.parse_card`` then
``mapping.map_card`` (in a 2-process pool above :data:`POOL_MIN_CARDS`) → group cards
turned into tags on their members → one polars frame. Every card fails alone: whatever goes
wrong inside one becomes a reject naming its card number and line.

Workers hand back each record as a flat list of column values with ``extra`` already JSON,
because unpickling rich objects in the parent would cost most of what the pool saves.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pipeline import textio
from pipeline.contracts import ImportOptions, ImportResult, Reject
from pipeline.errors import InputError
from plugins.vcard import split
from plugins.vcard.mapping import LIST_FIELDS, TEXT_FIELDS, map_card, member_keys
from plugins.vcard.parse import CHARSETS_USED, clear_cache, parse_card

#: Below this many cards one process is faster than starting a pool.
POOL_MIN_CARDS = 5000
#: Cards per task sent to a worker: big enough to amortize pickling, small enough to balance.
POOL_BATCH = 2500
COLUMNS = ("source_ref", "source_key", *TEXT_FIELDS, *LIST_FIELDS, "extra")
_REF, _KEY, _TAGS, _EXTRA = 0, 1, COLUMNS.index("tags"), COLUMNS.index("extra")
_EMPTY = "card has no name, email, phone or any other detail"

# A parsed card travels as (number, line, kind, payload):
#   "row":   payload = (values in COLUMNS order, ids for group membership, unparsed line count)
#   "group": payload = (group name, member ids)
#   "reject": payload = reason
Parsed = tuple[int, int, str, Any]


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
    legacy = False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        legacy = True
        # Legacy 2.1 exports: lines without a CHARSET use the file's code page.
        detected = textio.detect_encoding(data)
        fallback = detected if not detected.startswith("utf") else "cp1252"
    data, stripped = split.strip_payloads(data)
    cards = split.split_cards(data)
    del data
    _drop_oversized(cards)
    overrides = {k.upper(): v for k, v in options.mapping.items()}
    workers = _workers(options, len(cards.chunks))
    parsed = _parse_all(cards.chunks, fallback, overrides, workers)

    rejects = [Reject(ref, reason) for ref, reason in cards.problems]
    warnings: list[str] = []
    rows: list[list[Any]] = []
    groups: list[tuple[str, list[str]]] = []
    keyed: list[tuple[list[str], list[Any]]] = []
    used: dict[str, None] = {}
    for number, line, kind, payload in parsed:
        ref = f"card {number} (line {line})"
        if kind == "charsets":
            used.update(dict.fromkeys(payload))
        elif kind == "reject":
            rejects.append(Reject(ref, payload))
        elif kind == "group":
            groups.append(payload)
        else:
            values, ids, unparsed = payload
            values[_REF] = ref
            rows.append(values)
            if ids:
                keyed.append((ids, values))
            if unparsed:
                warnings.append(f"{ref}: {unparsed} line(s) were not vCard properties (kept in extra)")
    group_info = _apply_groups(groups, keyed, warnings) if groups else {}
    _unique_keys(rows, warnings)
    rejects.sort(key=_reject_order)
    if used and (legacy or not set(used) <= {"utf-8"}):
        # The charsets the values were decoded with, not the file's guessed code page.
        encoding = ", ".join(used)
    elif legacy:
        encoding = fallback
    info: dict[str, Any] = {"encoding": encoding, "cards": len(cards.chunks), "workers": workers}
    if stripped:
        info["payloads_skipped"] = stripped
    if group_info:
        info["groups"] = group_info
    if warnings:
        info["warnings"] = warnings
    return ImportResult(_frame(rows), rejects=rejects, info=info)


def _drop_oversized(cards: split.Split) -> None:
    """Cards bigger than the limit (photos are already cut out) become rejects, unparsed."""
    from pipeline.limits import current

    limit = current().max_card_bytes
    if not any(len(chunk.data) > limit for chunk in cards.chunks):
        return
    kept = []
    for chunk in cards.chunks:
        if len(chunk.data) > limit:
            reason = f"card is {len(chunk.data):,} bytes, over the {limit:,}-byte limit (KITH_MAX_CARD_BYTES)"
            cards.problems.append((f"card {chunk.number} (line {chunk.line})", reason))
        else:
            kept.append(chunk)
    cards.chunks = kept


def _workers(options: ImportOptions, cards: int) -> int:
    """``settings.workers`` if given; else 2 processes for big files when a second core is free."""
    wanted = options.settings.get("workers")
    if wanted is not None:
        try:
            return max(1, int(wanted))
        except (TypeError, ValueError):
            return 1
    cpus = os.cpu_count() or 1
    if cards < POOL_MIN_CARDS or cpus < 2:
        return 1
    try:
        # A pool on a busy machine only adds pickling: one process is faster there.
        if os.getloadavg()[0] > cpus - 1:
            return 1
    except OSError:
        pass
    return 2


def parse_batch(chunks: list[split.Chunk], fallback: str, overrides: dict[str, str]) -> list[Parsed]:
    """Parse and map a batch of cards; a card that raises becomes a reject reason, never an error."""
    out: list[Parsed] = []
    clear_cache()
    for chunk in chunks:
        try:
            result = map_card(parse_card(chunk.data, chunk.number, chunk.line, fallback), overrides)
        except Exception as exc:  # one card must never cost the others
            out.append((chunk.number, chunk.line, "reject", f"card could not be read ({type(exc).__name__})"))
            continue
        if result.kind == "group":
            payload: Any = (result.group_name or "unnamed group", result.members)
            out.append((chunk.number, chunk.line, "group", payload))
        elif result.kind == "empty" or result.row is None:
            out.append((chunk.number, chunk.line, "reject", _EMPTY))
        else:
            row = result.row
            extra = row.get("extra") or {}
            unparsed = len(extra.get("unparsed_lines", ()))
            row["extra"] = json.dumps(extra, ensure_ascii=False)
            values = [row.get(name) for name in COLUMNS]
            out.append((chunk.number, chunk.line, "row", (values, result.keys, unparsed)))
    out.append((0, 0, "charsets", list(CHARSETS_USED)))
    return out


def _parse_all(
    chunks: list[split.Chunk], fallback: str, overrides: dict[str, str], workers: int
) -> list[Parsed]:
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
    groups: list[tuple[str, list[str]]], keyed: list[tuple[list[str], list[Any]]], warnings: list[str]
) -> dict[str, dict[str, int]]:
    """Group cards never become records: their names become tags on the member cards present."""
    by_key: dict[str, list[Any]] = {}
    for ids, values in keyed:
        for key in member_keys(ids):
            by_key.setdefault(key, values)
    info: dict[str, dict[str, int]] = {}
    for name, members in groups:
        wanted = list(dict.fromkeys(members))
        found = 0
        for member in wanted:
            values = by_key.get(member)
            if values is None:
                continue
            found += 1
            if name not in values[_TAGS]:
                values[_TAGS].append(name)
            extra = json.loads(values[_EXTRA])
            extra.setdefault("groups", []).append(name)
            values[_EXTRA] = json.dumps(extra, ensure_ascii=False)
        info[name] = {"members": len(wanted), "in_file": found}
        if len(wanted) > found:
            warnings.append(f"group {name!r}: {len(wanted) - found} member(s) are not in this file")
    return info


def _unique_keys(rows: list[list[Any]], warnings: list[str]) -> None:
    """Two cards with one UID would get one record id: suffix the repeats (``uid#2``)."""
    seen: dict[str, int] = {}
    for values in rows:
        key = values[_KEY]
        if not key:
            continue
        count = seen.get(key, 0) + 1
        seen[key] = count
        if count > 1:
            values[_KEY] = f"{key}#{count}"
            warnings.append(f"{values[_REF]}: UID {key!r} repeats an earlier card's")


def _reject_order(reject: Reject) -> int:
    digits = "".join(c if c.isdigit() else " " for c in reject.ref.split("(")[-1]).split()
    return int(digits[0]) if digits else 0


def _frame(rows: list[list[Any]]):
    """Rows → frame. List columns are built from one flat column (a python list per cell costs
    a polars Series each) and imploded per row."""
    import polars as pl

    scalar_names = [name for name in COLUMNS if name not in LIST_FIELDS]
    positions = [COLUMNS.index(name) for name in scalar_names]
    data = {name: [values[i] for values in rows] for name, i in zip(scalar_names, positions, strict=True)}
    frame = pl.DataFrame(data, schema=dict.fromkeys(scalar_names, pl.String))
    lists = {}
    for name in LIST_FIELDS:
        at = COLUMNS.index(name)
        owners: list[int] = []
        flat: list[str] = []
        for index, values in enumerate(rows):
            cell = values[at]
            if cell:
                owners.extend([index] * len(cell))
                flat.extend(cell)
        long = pl.DataFrame({"row": owners, name: flat}, schema={"row": pl.UInt32, name: pl.String})
        lists[name] = (
            pl.DataFrame({"row": pl.arange(0, len(rows), dtype=pl.UInt32, eager=True)})
            .join(long.group_by("row").agg(pl.col(name)), on="row", how="left")
            .sort("row")
            .get_column(name)
            .fill_null(pl.lit([], dtype=pl.List(pl.String)))
        )
    return frame.with_columns(*(lists[name].alias(name) for name in LIST_FIELDS)).select(COLUMNS)

"""Importing files: plan, then pick an importer, read, validate, normalize, give ids, store.

This is the one path every importer's output takes, built-in or third-party:

    plan_file → importer.read → schema.validate_raw → input defaults (channel, tags) →
    normalize.normalize_records → record ids → schema.conform → store (one transaction)

The last four run a slice at a time inside the store's write for a large file whose rows all
carry the source's own id (:class:`_Normalizer`): the next slice is normalized while SQLite
writes this one, and a slice that fails rolls the whole write back.

**Source identity** (:func:`plan_file`). A source is known by its content and by every path
its content was seen at. A file is *unchanged* — skipped — when its path was seen with this
content and the records were made with the same *shape* (importer asked for, mapping
overrides, channel, tags, region, school, settings: :func:`shape_of`); editing the mapping
in kith.toml re-maps the file on the next run. The same content at a new path adds that
path to the known source and imports nothing. A changed file replaces the records of the
source it belongs to, whichever path that source was first seen at, and its records keep
their ids (they are made from the source's first path). ``force`` re-imports regardless.
The plan is what ``--dry-run`` prints and exactly what the real import then does.
One file failing never stops the others.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl
import polars_hash as plh

from pipeline import limits, registry
from pipeline.contracts import ImportOptions, ImportResult, JournalOutcomeRow, JournalRow, Reject
from pipeline.errors import InputError, KithError, MachineError, SchemaError, StrictModeError, UsageError
from pipeline.fileio import file_hash
from pipeline.journal.relink import journaled_records, moved_records
from pipeline.manager import KithPluginManager
from pipeline.normalize import normalize_records
from pipeline.schema import conform, validate_raw
from pipeline.store import RECORD_COLUMNS, RecordSlices, SourceRow, Store
from pipeline.textio import read_head
from pipeline.threads import THREADED_ROWS, helper_threads

#: A sniff score below this means "not mine".
SNIFF_THRESHOLD = 0.3
#: A specific importer at or above this ("probably mine") wins over any generic one.
SPECIFIC_WINS = 0.5

#: Columns whose normalized text identifies a record when the source gives no id of its own.
_FINGERPRINT = ("full_name", "given_name", "family_name", "emails", "phones", "organization", "linkedin_url")

Progress = Callable[[str, str], None]


@dataclass
class FileOutcome:
    """What happened to one file; the ``--json`` summary is built from these."""

    path: str
    importer: str | None = None
    status: str = "failed"  # imported | unchanged | failed
    records: int = 0
    rejects: list[Reject] = field(default_factory=list)
    error: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    content_hash: str | None = None
    exit_code: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "importer": self.importer,
            "status": self.status,
            "records": self.records,
            "rejects": [{"ref": r.ref, "reason": r.reason} for r in self.rejects],
            "error": self.error,
            "encoding": self.info.get("encoding"),
            "mapping": self.info.get("mapping"),
            "warnings": [{"ref": ref, "message": msg} for ref, msg in self.warnings][:1000],
            "content_hash": self.content_hash,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class ImportSummary:
    """Every file's outcome, with totals."""

    files: list[FileOutcome] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files if f.status == "imported")

    @property
    def rejects(self) -> int:
        return sum(len(f.rejects) for f in self.files if f.status == "imported")

    @property
    def failed(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "failed"]

    def to_json(self) -> dict[str, Any]:
        return {"files": [f.to_json() for f in self.files], "records": self.records, "rejects": self.rejects}


#: Plan statuses that import (the rest skip the file).
IMPORTING = ("new", "changed", "reshaped", "forced", "newer")


@dataclass
class FilePlan:
    """What an import will do with one file, decided before any importer reads it.

    ``status``: ``new`` / ``changed`` / ``reshaped`` (same content, other shape) / ``forced``
    import it; ``unchanged`` and ``same content`` skip it; ``failed`` could not even be
    planned (``error`` says why). ``source`` is the known source a re-import replaces.
    ``newer`` imports the next dated export of a series (:mod:`pipeline.series`) into ``source``;
    ``superseded`` skips an export older than ``newer``. ``key``: the path as the store names it.
    """

    path: Path
    options: ImportOptions
    as_name: str | None = None
    status: str = "failed"
    content_hash: str | None = None
    size: int = 0
    shape: str = ""
    source: SourceRow | None = None
    error: str | None = None
    exit_code: int = 0
    key: str = ""
    series: str | None = None
    newer: Path | None = None

    @property
    def imports(self) -> bool:
        return self.status in IMPORTING

    def describe(self) -> str:
        """One phrase for ``--dry-run``: ``would import (changed)``, ``unchanged``, …"""
        if self.status == "newer" and self.source is not None:
            return f"would import (newer export of {self.source.path})"
        if self.status == "superseded":
            return f"skipped (older export than {self.newer})"
        if self.imports:
            return f"would import ({self.status})"
        if self.status == "same content":
            return f"unchanged (same content as {self.source.path})" if self.source else "unchanged"
        return self.status

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "importer": self.as_name or (self.source.importer if self.source else None),
            "status": self.describe(),
            "content_hash": self.content_hash,
            "error": self.error,
        }


def shape_of(options: ImportOptions, as_name: str | None) -> str:
    """A digest of everything besides the file's bytes that decides its records."""
    what = {
        "importer": as_name or "auto",
        "mapping": options.mapping,
        "channel": options.channel,
        "tags": options.tags,
        "region": options.region,
        "school": options.school,
        "settings": options.settings,
    }
    text = json.dumps(what, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def plan_file(
    store: Store, path: Path, *, options: ImportOptions, as_name: str | None = None, force: bool = False
) -> FilePlan:
    """Decide what importing ``path`` will do (see the module docstring); never raises for the file."""
    plan = FilePlan(path=path, options=options, as_name=as_name, shape=shape_of(options, as_name))
    try:
        limits.check_regular_file(path)  # a FIFO or /dev/zero would hang the hashing below
        read_head(path, 0)  # the one wording for a missing or unreadable file
        plan.content_hash, plan.size = file_hash(path)
    except InputError as exc:
        plan.error, plan.exit_code = str(exc), exc.exit_code
        return plan
    except OSError as exc:
        plan.error, plan.exit_code = f"{path}: cannot be read ({exc.strerror or exc})", 2
        return plan
    plan.key = store.key(str(path.resolve()))
    seen = store.source_seen_at(plan.key)
    if seen is not None:
        plan.source = seen.source
        if force:
            plan.status = "forced"
        elif seen.seen_hash != plan.content_hash:
            plan.status = "changed"
        elif seen.source.content_hash != plan.content_hash or seen.source.shape in (None, plan.shape):
            # A store from before shapes were kept has none: take it as this shape.
            plan.status = "unchanged"  # as it was here (another path may have superseded it since)
        else:
            plan.status = "reshaped"
        return plan
    elsewhere = store.source_by_hash(plan.content_hash)
    if elsewhere is None:
        plan.status = "forced" if force else "new"
        return plan
    plan.source = elsewhere
    if force:
        plan.status = "forced"
    elif elsewhere.shape in (None, plan.shape):
        plan.status = "same content"
    else:
        plan.status = "reshaped"
    return plan


def pick_importer(pm: KithPluginManager, path: Path, head: bytes, as_name: str | None = None) -> str:
    """The name of the importer for ``path``: ``as_name`` if given, else the best sniff."""
    importers = registry.importers(pm)
    if as_name:
        if as_name not in importers:
            raise UsageError(f"no importer named {as_name!r}; installed: {', '.join(sorted(importers))}")
        return as_name
    order = {name: i for i, name in enumerate(importers)}

    def rank(item: tuple[float, str]) -> tuple[bool, float, int]:
        score, name = item
        specific = score >= SPECIFIC_WINS and not getattr(importers[name], "generic", False)
        return specific, score, -order[name]

    # A specific importer that says "probably mine" beats a generic one whatever its score;
    # then the higher score; then registration order.
    scores = sorted(registry.sniff_scores(pm, path, head), key=rank, reverse=True)
    if not scores or scores[0][0] < SNIFF_THRESHOLD:
        why = limits.describe(path, head)
        if why:
            raise InputError(f"{path}: {why}")
        raise InputError(
            f"{path}: no importer recognises this file; installed importers: "
            f"{', '.join(sorted(importers)) or 'none'} (use --as NAME to choose one)"
        )
    return scores[0][1]


def record_ids(frame: pl.DataFrame, source_path: str, importer: str) -> pl.Series:
    """Stable ids: the same source record always gets the same id.

    The key is the source's own id (``source_key``) when it has one, else a fingerprint
    of the normalized identifying fields, so ids survive rows moving in a re-export.
    Identical rows in one file are told apart by their order of appearance.
    """
    return _whole_ids(frame, _id_prefix(source_path, importer))


def _id_prefix(source_path: str, importer: str) -> str:
    return f"{importer}\x1f{source_path}\x1f"


def _occurrences(keys: pl.Series) -> pl.Series:
    """Each key's number of earlier occurrences in the file (0 for a key seen once)."""
    n = pl.repeat(0, keys.len(), dtype=pl.UInt32, eager=True).alias("n")
    # Occurrence numbers tell identical keys apart; window functions are costly, so only
    # the (usually few) keys whose 64-bit hash recurs get one (a collision numbers a unique key 0).
    duplicated = keys.hash().is_duplicated()
    if not duplicated.any():
        return n
    rows = pl.DataFrame({"key": keys}).with_row_index("i").filter(duplicated)
    # The first occurrence keeps number 0, as when its key was unique: its id doesn't move.
    nth = (pl.col("key").cum_count().over("key") - 1).cast(pl.UInt32)
    numbered = rows.select("i", nth.alias("n"))
    return n.scatter(numbered["i"], numbered["n"])


def _hashed_ids(keys: pl.Series, n: pl.Series, prefix: str) -> pl.Series:
    """``record_id``: the digest of the file's prefix, each row's key and its occurrence number."""
    text = pl.lit(prefix) + pl.col("key") + "\x1f" + pl.col("n").cast(pl.String)
    # SHA-256 in Rust (polars-hash): the same digest as hashlib, without a Python loop per row.
    digest = plh.col("record_id").chash.sha2_256().str.slice(0, 20)
    keyed = pl.DataFrame({"key": keys, "n": n})
    return keyed.select(text.alias("record_id")).select(digest).to_series()


def _fingerprint(frame: pl.DataFrame) -> pl.Series:
    """``f:`` and the normalized identifying fields of each row, joined."""
    parts = []
    for name in _FINGERPRINT:
        if name not in frame.columns:
            continue
        col = pl.col(name)
        parts.append(col.list.join(",") if isinstance(frame.schema[name], pl.List) else col)
    if not parts:
        return pl.repeat("f:", frame.height, dtype=pl.String, eager=True).alias("key")
    fingerprint = pl.concat_str([p.fill_null("") for p in parts], separator="\x1f")
    return frame.select(("f:" + fingerprint).alias("key")).to_series()


def _record_keys(frame: pl.DataFrame) -> pl.Series:
    """Each row's key: ``k:`` and the source's own id where it has one, else its fingerprint."""
    if "source_key" not in frame.columns:
        return _fingerprint(frame)
    source_key = frame["source_key"]
    keys = frame.select(("k:" + pl.col("source_key")).alias("key")).to_series()
    missing = source_key.is_null().arg_true()
    if missing.len() == 0:
        return keys
    # The fingerprint is built only for the rows without an id (usually none or a few).
    return keys.scatter(missing, _fingerprint(frame.select(pl.all().gather(missing))))


def _keep_source_id(frame: pl.DataFrame) -> pl.DataFrame:
    """The source's own id (``source_key``) kept in ``extra`` as ``source_id``: dedupe reads a shared
    id within one file as near-certain identity, and the user's id must not be lost."""
    if "source_key" not in frame.columns or frame["source_key"].null_count() == frame.height:
        return frame
    extra = pl.col("extra").cast(pl.String) if "extra" in frame.columns else pl.lit(None, pl.String)
    tagged = pl.struct(pl.col("source_key").cast(pl.String).alias("source_id")).struct.json_encode()
    inner = extra.str.strip_chars().str.slice(1).str.strip_chars_start()
    # A LinkedIn URL as the key is already the record's linkedin_url (dedupe reads it from there).
    kept = pl.col("source_key").is_not_null() & ~pl.col("source_key").str.contains(
        "linkedin.com/in/", literal=True
    )
    merged = (
        pl.when(~kept)
        .then(extra)
        .when(extra.is_null() | inner.str.starts_with("}"))
        .then(tagged)
        .otherwise(tagged.str.slice(0, tagged.str.len_chars() - 1) + "," + inner)
    )
    return frame.with_columns(merged.alias("extra"))


def _apply_input_defaults(frame: pl.DataFrame, options: ImportOptions) -> pl.DataFrame:
    """Channel and tags from the input's configuration fill what the file didn't say."""
    exprs = []
    if options.channel:
        current = pl.col("channel") if "channel" in frame.columns else pl.lit(None, pl.String)
        exprs.append(current.fill_null(options.channel).alias("channel"))
    if options.tags:
        extra_tags = pl.lit(options.tags, dtype=pl.List(pl.String))
        if "tags" in frame.columns:
            current = pl.col("tags")
            if frame.schema["tags"] == pl.String:
                current = current.str.split(";")
            current = current.fill_null(pl.lit([], pl.List(pl.String)))
            merged = pl.concat_list([current, extra_tags]).list.unique(maintain_order=True)
            exprs.append(merged.alias("tags"))
        else:
            exprs.append(extra_tags.alias("tags"))
    return frame.with_columns(exprs) if exprs else frame


def _merge_warnings_into_info(result: ImportResult, outcome: FileOutcome) -> None:
    outcome.info = dict(result.info or {})
    for warning in outcome.info.get("warnings", []) or []:
        outcome.warnings.append(("file", str(warning)))


def import_file(
    store: Store,
    pm: KithPluginManager,
    path: Path,
    *,
    options: ImportOptions | None = None,
    as_name: str | None = None,
    strict: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> FileOutcome:
    """Plan and import one file; never raises for a problem with the file itself (it is in the outcome)."""
    options = options or ImportOptions()
    plan = plan_file(store, path, options=options, as_name=as_name, force=force)
    return import_planned(store, pm, plan, strict=strict, progress=progress)


def import_planned(
    store: Store,
    pm: KithPluginManager,
    plan: FilePlan,
    *,
    strict: bool = False,
    progress: Progress | None = None,
) -> FileOutcome:
    """Do what ``plan`` says for its file (see :func:`plan_file`)."""
    started = time.perf_counter()
    outcome = FileOutcome(path=str(plan.path), content_hash=plan.content_hash)
    note = progress or (lambda _path, _stage: None)
    try:
        known = plan.source
        if plan.status == "failed":
            outcome.exit_code = plan.exit_code
            raise InputError(plan.error or f"{plan.path}: cannot be imported")
        if plan.status == "unchanged" and known is not None:
            outcome.importer, outcome.status = known.importer, "unchanged"
            outcome.records = known.record_count
        elif plan.status == "same content" and known is not None:
            store.add_source_path(str(plan.path.resolve()), known.source_id, str(plan.content_hash))
            outcome.importer, outcome.status, outcome.records = known.importer, "unchanged", 0
            outcome.error = f"same content as {known.path}, already imported"
        elif plan.status == "superseded":
            outcome.status, outcome.records = "unchanged", 0
            outcome.error = f"an older export than {plan.newer}, not imported"
        else:
            records, result = _read_records(pm, plan, outcome, strict, note)
            moved: dict[str, str] = {}
            if known is not None and journaled_records(store, known.source_id):
                # the journal keeps pointing at a contact whose record comes back edited, under a new id
                frame = records.whole()
                moved = moved_records(store, known.source_id, frame)
                records = RecordSlices.of(frame)
            note(outcome.path, f"storing {records.height:,} records")
            store.replace_source(
                path=_source_path(plan),
                seen_at=str(plan.path.resolve()),
                source_id=known.source_id if known is not None else None,
                importer=str(outcome.importer),
                content_hash=str(plan.content_hash),
                size=plan.size,
                shape=plan.shape,
                records=records,
                rejects=outcome.rejects,
                info={k: v for k, v in outcome.info.items() if k != "warnings"} | _series_info(plan),
                journal=result.journal,
                journal_outcome=result.journal_outcome,
                moved=moved,
            )
            outcome.status, outcome.records = "imported", records.height
    except MachineError:
        raise  # a full disk is not this file's problem: every further file would fail the same way
    except KithError as exc:
        outcome.status, outcome.error, outcome.exit_code = "failed", str(exc), exc.exit_code
    finally:
        outcome.seconds = time.perf_counter() - started
    return outcome


def _source_path(plan: FilePlan) -> str:
    """The path a file's records are keyed by: its source's first path, so that a source's edited
    copy elsewhere keeps its records' ids."""
    if plan.source is not None:
        return plan.source.path
    return plan.key or str(plan.path.resolve())


def _series_info(plan: FilePlan) -> dict[str, str]:
    """The series a dated export belongs to, kept with its source for next week's export to find."""
    return {"series": plan.series} if plan.series else {}


def _read_records(
    pm: KithPluginManager, plan: FilePlan, outcome: FileOutcome, strict: bool, note: Progress
) -> tuple[RecordSlices, ImportResult]:
    """Read the file with its importer and check what came back; the records (normalized, with
    ids) are made as the store writes them (:class:`_Normalizer`)."""
    path, options, shown = plan.path, plan.options, outcome.path
    head = read_head(path)
    limits.check_input(path, head)  # hostile or oversized files stop here, before any parser
    name = pick_importer(pm, path, head, plan.as_name)
    outcome.importer = name
    importer = registry.importers(pm)[name]
    if plan.as_name:
        options = dataclasses.replace(options, forced=True)  # --as: map what can be mapped, warn
    note(shown, f"reading ({name})")
    result = registry.guarded(pm, "importer", name, lambda: importer.read(path, options), where=str(path))
    if not isinstance(result, ImportResult):
        raise SchemaError(f"importer {name!r} returned {type(result).__name__}, expected ImportResult")
    _check_result(result, name)
    _merge_warnings_into_info(result, outcome)
    outcome.rejects = list(result.rejects)
    raw = validate_raw(result.records, name)
    if strict and outcome.rejects:
        raise StrictModeError(
            f"{path}: {len(outcome.rejects)} records rejected (first at {outcome.rejects[0].ref}: "
            f"{outcome.rejects[0].reason}); nothing imported because of --strict"
        )
    frame = _apply_input_defaults(raw, options)
    if frame.height == 0 and not outcome.rejects and ("file", "file is empty") not in outcome.warnings:
        outcome.warnings.append(("file", "no records: nothing under the header (header only?)"))
    made = _Normalizer(
        raw=frame,
        region=options.region,
        directory=bool(outcome.info.get("directory_names")),
        prefix=_id_prefix(_source_path(plan), name),
        importer=name,
        shown=shown,
        warnings=outcome.warnings,
    )
    note(shown, f"normalizing {raw.height:,} rows")
    return RecordSlices(frame.height, made.slices()), result


#: A file with more rows than this whose every row has a source key is normalized a slice at
#: a time, beside SQLite's write of the slice before (the source keys number duplicates first).
NORMALIZE_SLICE_ROWS = 200_000


@dataclass
class _Normalizer:
    """A file's validated rows made into records (normalized, with ids, conformed) a slice at a
    time; warnings go into ``warnings`` in row order as the slices are made."""

    raw: pl.DataFrame
    region: str
    directory: bool
    prefix: str
    importer: str
    shown: str
    warnings: list[tuple[str, str]]

    def slices(self) -> Iterator[pl.DataFrame]:
        """The records in order: slices of :data:`NORMALIZE_SLICE_ROWS` when every row's key is its
        source key (known before normalizing), else the whole file normalized at once."""
        raw, size = self.raw, NORMALIZE_SLICE_ROWS
        keyed = "source_key" in raw.columns and raw["source_key"].null_count() == 0
        if raw.height <= size or not keyed:
            yield from RecordSlices.of(self._whole()).slices
            return
        keys = raw.select(("k:" + pl.col("source_key")).alias("key")).to_series()
        numbers = _occurrences(keys)
        # The first slice is made before any write can run beside it: half a slice.
        starts = [0, *range(size // 2, raw.height, size)]
        for start, end in zip(starts, [*starts[1:], raw.height], strict=True):
            normalized = self._normalized(raw.slice(start, end - start))
            ids = _hashed_ids(keys.slice(start, end - start), numbers.slice(start, end - start), self.prefix)
            yield self._finished(_keep_source_id(normalized), ids)

    def _normalized(self, raw: pl.DataFrame) -> pl.DataFrame:
        result = normalize_records(raw, region=self.region, directory=self.directory)
        self.warnings.extend(result.warnings)
        return result.frame

    def _whole(self) -> pl.DataFrame:
        normalized = self._normalized(self.raw)
        # The ids on a helper thread while the source's own ids go into extra (polars releases the GIL).
        with helper_threads(inline=normalized.height < THREADED_ROWS) as pool:
            ids = pool.submit(_whole_ids, normalized, self.prefix)
            return self._finished(_keep_source_id(normalized), ids.result())

    def _finished(self, frame: pl.DataFrame, ids: pl.Series) -> pl.DataFrame:
        frame = frame.with_columns(
            ids, pl.lit(self.importer).alias("source"), pl.lit(self.shown).alias("source_file")
        )
        return conform(frame, RECORD_COLUMNS)


def _whole_ids(frame: pl.DataFrame, prefix: str) -> pl.Series:
    """:func:`record_ids` of a whole normalized file, with its prefix made already."""
    if frame.height == 0:  # literals alone would make a one-row frame
        return pl.Series("record_id", [], dtype=pl.String)
    keys = _record_keys(frame)
    return _hashed_ids(keys, _occurrences(keys), prefix)


def _check_result(result: ImportResult, name: str) -> None:
    """Rejects with a place and a reason, journal rows of the contract's types."""
    for reject in result.rejects:
        if not isinstance(reject, Reject) or not reject.ref or not reject.reason:
            raise SchemaError(f"importer {name!r} returned a reject without a place and a reason: {reject!r}")
    for row in result.journal:
        if not isinstance(row, JournalRow):
            raise SchemaError(f"importer {name!r} returned a journal row that is not a JournalRow: {row!r}")
    if result.journal_outcome is not None and not isinstance(result.journal_outcome, JournalOutcomeRow):
        raise SchemaError(f"importer {name!r} returned an outcome that is not a JournalOutcomeRow")


#: What ``kith import -`` reads: standard input.
STDIN = "-"


@contextlib.contextmanager
def spooled_stdin(stream: BinaryIO) -> Iterator[Path]:
    """Standard input copied to a private temporary file (mode 0600, removed afterwards),
    named with the extension its content calls for, so importers sniff it like any file."""
    head = stream.read(64 * 1024)
    handle, name = tempfile.mkstemp(prefix="kith-stdin-", suffix=_suffix_for(head))
    path = Path(name)
    try:
        limit = limits.current().max_file_bytes
        with os.fdopen(handle, "wb") as out:
            out.write(head)
            written = len(head)
            while chunk := stream.read(1 << 20):
                written += len(chunk)
                if written > limit:
                    raise InputError(f"standard input: over the {limit:,}-byte limit (KITH_MAX_FILE_BYTES)")
                out.write(chunk)
        yield path
    finally:
        path.unlink(missing_ok=True)


def _suffix_for(head: bytes) -> str:
    """The extension a file with this content would have: workbooks, zips, vCards, else text."""
    if head.startswith(b"PK\x03\x04"):
        return ".xlsx" if b"xl/" in head or b"[Content_Types].xml" in head else ".zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return ".xls"
    text = head[:4096].replace(b"\x00", b"").lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n")
    return ".vcf" if text[:11].upper().startswith(b"BEGIN:VCARD") else ".csv"


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, and the files inside named folders (sorted, hidden ones skipped)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.is_file() and not p.name.startswith("."))
        else:
            found.append(path)
    return found


def import_paths(
    store: Store,
    pm: KithPluginManager,
    paths: Iterable[Path],
    *,
    options: ImportOptions | None = None,
    as_name: str | None = None,
    strict: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import every file; each file is its own transaction."""
    summary = ImportSummary()
    for path in expand_paths(paths):
        summary.files.append(
            import_file(
                store,
                pm,
                path,
                options=options,
                as_name=as_name,
                strict=strict,
                force=force,
                progress=progress,
            )
        )
    return summary

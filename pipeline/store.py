"""The workspace store: one SQLite file (stdlib ``sqlite3``, WAL, foreign keys).

Tables: ``sources`` (each imported source with the content hash and the shape — importer,
mapping, channel, tags, region — its records were made with), ``source_paths`` (every path
a source's content was seen at, with the content last seen there), ``records`` (canonical
records plus derived matching columns and each record's content :func:`fingerprint`),
``rejects``, ``imported_journal`` / ``imported_outcome`` (the journal rows a journal source
carried), and ``meta``; on open every later stage's tables and the views are created too
(:mod:`pipeline.store_schema`; all of them are described in ``docs/schema.md``). Every write is
one transaction (``BEGIN IMMEDIATE``): an exception halfway leaves the store exactly as it was,
and a second writer waits for the first instead of failing with "database is locked".

Bulk paths are columnar: list columns are JSON-encoded by polars expressions and rows go
through ``executemany``; reads come back as one polars frame. A large source imported again
rewrites only the records whose fingerprint changed (a directory re-exported with a few hundred
new members writes those, not a million rows).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import json
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.contracts import JournalOutcomeRow, JournalRow, Reject
from pipeline.errors import MachineError, StoreError, environment_message
from pipeline.fileio import FILE_MODE, ensure_private_dir
from pipeline.schema import CANONICAL, DERIVED, LIST_STR
from pipeline.store_schema import ensure_schema
from pipeline.threads import THREADED_ROWS, helper_threads

SCHEMA_VERSION = 2
BUSY_TIMEOUT_MS = 120_000

RECORD_COLUMNS: dict[str, pl.DataType] = {**CANONICAL, **DERIVED}

#: Files with at least this many records are written through the ADBC driver.
ADBC_MIN_ROWS = 20_000
#: Records encoded and written per slice by :meth:`Store.replace_source`.
INGEST_SLICE_ROWS = 100_000
#: A known source's new version is written as a diff (only changed records) unless more than this
#: share of its first slice changed: then replacing every record (indexes rebuilt) costs less.
MAX_CHANGED_SHARE = 0.5
#: Rows per page when :meth:`Store.scan` reads a large table through Arrow.
SCAN_CHUNK_ROWS = 100_000
#: SQLite page cache for bulk writes (an upper bound; pages are allocated as needed).
BULK_CACHE_KIB = 128 * 1024
#: SQLite page cache while the dropped record indexes are built: SQLite's own default. The index
#: sort keeps runs of this size in memory; small runs fit the CPU's caches and sort faster than one
#: run the size of the bulk cache (which is for random inserts into kept indexes).
SORT_CACHE_KIB = 2000

_SOURCE_FIELDS = (
    "path, importer, content_hash, size, imported_at, record_count, reject_count, encoding, info, shape"
)
_INSERT_SOURCE = f"INSERT INTO sources({_SOURCE_FIELDS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#: A changed source keeps its id and first path; everything else is the new version's.
_UPDATE_SOURCE = (
    "UPDATE sources SET importer = ?, content_hash = ?, size = ?, imported_at = ?, record_count = ?, "
    "reject_count = ?, encoding = ?, info = ?, shape = ? WHERE source_id = ?"
)
# Explicit rather than ON DELETE CASCADE alone: the same statements work with foreign keys
# off (the ADBC connection, or the store opened by another SQLite tool).
_CLEAR_SOURCE = (  # (the records first: a version written as a diff keeps them)
    "DELETE FROM records WHERE source_id = ?",
    "DELETE FROM rejects WHERE source_id = ?",
    "DELETE FROM imported_journal WHERE source_id = ?",
    "DELETE FROM imported_outcome WHERE source_id = ?",
)
_DELETE_SOURCE = (
    *_CLEAR_SOURCE,
    "DELETE FROM source_paths WHERE source_id = ?",
    "DELETE FROM sources WHERE source_id = ?",
)
_SEEN_PATH = (
    "INSERT INTO source_paths(path, source_id, content_hash, seen_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT(path) DO UPDATE SET source_id = excluded.source_id, "
    "content_hash = excluded.content_hash, seen_at = excluded.seen_at"
)
_INSERT_JOURNAL = (
    "INSERT INTO imported_journal(source_id, key, place, date, kind, person, via, to_ref, channel, note) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_OUTCOME = "INSERT INTO imported_outcome(source_id, text, date) VALUES (?, ?, ?)"
#: A record that came back edited under a new id: every journal anchor on it follows.
_MOVE_ANCHOR = (
    "UPDATE journal SET record_id = ? WHERE record_id = ?",
    "UPDATE journal SET via_record_id = ? WHERE via_record_id = ?",
    "UPDATE journal SET to_record_id = ? WHERE to_record_id = ?",
    "UPDATE journal_alias SET anchor = ? WHERE anchor = ?",
)


def _insert_sql(table: str, columns: list[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


@functools.cache
def _adbc_available() -> bool:
    try:
        import adbc_driver_sqlite.dbapi  # noqa: F401
    except ImportError:
        return False
    return True


#: A source named by a scheme (``manual:journal``), not a path.
_SCHEME = re.compile(r"[a-z]+:(?![\\/])")

_SQL_TYPES = {pl.Int32: "INTEGER", pl.Int64: "INTEGER"}

_BASE_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS sources (
    source_id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    importer TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    imported_at TEXT NOT NULL,
    record_count INTEGER NOT NULL,
    reject_count INTEGER NOT NULL,
    encoding TEXT,
    info TEXT,
    shape TEXT
);
CREATE INDEX IF NOT EXISTS sources_hash ON sources(content_hash);
CREATE TABLE IF NOT EXISTS source_paths (
    path TEXT PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(source_id) ON DELETE CASCADE,
    content_hash TEXT NOT NULL,
    seen_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS source_paths_source ON source_paths(source_id);
CREATE TABLE IF NOT EXISTS imported_journal (
    source_id INTEGER NOT NULL REFERENCES sources(source_id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    place TEXT,
    date TEXT NOT NULL,
    kind TEXT NOT NULL,
    person TEXT NOT NULL,
    via TEXT,
    to_ref TEXT,
    channel TEXT,
    note TEXT,
    PRIMARY KEY (source_id, key)
);
CREATE TABLE IF NOT EXISTS imported_outcome (
    source_id INTEGER PRIMARY KEY REFERENCES sources(source_id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    date TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rejects (
    source_id INTEGER NOT NULL REFERENCES sources(source_id) ON DELETE CASCADE,
    source_ref TEXT NOT NULL,
    reason TEXT NOT NULL,
    raw TEXT
);
CREATE INDEX IF NOT EXISTS rejects_source ON rejects(source_id);
"""


#: The records' indexes, by name: a bulk load into a (nearly) empty table drops them and builds
#: them once after the rows are in (a sort) instead of one random-key insert per row.
RECORD_INDEXES = {
    "records_id": "CREATE UNIQUE INDEX IF NOT EXISTS records_id ON records(record_id)",
    "records_source": "CREATE INDEX IF NOT EXISTS records_source ON records(source_id)",
}


def _records_table_sql() -> str:
    # record_id is unique through the records_id index rather than a PRIMARY KEY, whose index
    # cannot be dropped for a bulk load (stores made before keep their PRIMARY KEY and work alike).
    columns = ["record_id TEXT NOT NULL"]
    columns.append("source_id INTEGER NOT NULL REFERENCES sources(source_id) ON DELETE CASCADE")
    for name, dtype in RECORD_COLUMNS.items():
        if name != "record_id":
            columns.append(f"{name} {_SQL_TYPES.get(dtype, 'TEXT')}")
    columns.append("fingerprint TEXT")
    body = ",\n    ".join(columns)
    return f"CREATE TABLE IF NOT EXISTS records (\n    {body}\n);\n{RECORD_INDEXES['records_source']};\n"


@dataclass(frozen=True)
class SourceRow:
    """What the store knows about one imported source (``path``: where it was first seen)."""

    source_id: int
    path: str
    importer: str
    content_hash: str
    size: int
    imported_at: str
    record_count: int
    reject_count: int
    shape: str | None = None


_SOURCE_ROW = (
    "s.source_id, s.path, s.importer, s.content_hash, s.size, s.imported_at, s.record_count, "
    "s.reject_count, s.shape"
)


@dataclass(frozen=True)
class SeenSource:
    """A path's source: the source, and the content last seen at that path."""

    source: SourceRow
    seen_hash: str


def encode_for_sql(frame: pl.DataFrame) -> pl.DataFrame:
    """Turn list columns into JSON text and dates into ISO text, columnar (no per-row Python)."""
    exprs = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.List):
            # json_encode of a one-field struct gives {"x":[...]}; slice off the wrapper (slice counts
            # characters, so the length must be in characters too: a non-ASCII email broke the JSON).
            wrapped = pl.struct(pl.col(name).alias("x")).struct.json_encode()
            exprs.append(
                pl.when(pl.col(name).is_null())
                .then(None)
                .otherwise(wrapped.str.slice(5, wrapped.str.len_chars() - 6))
                .alias(name)
            )
        elif dtype == pl.Date:
            exprs.append(pl.col(name).dt.to_string("%Y-%m-%d").alias(name))
    return frame.with_columns(exprs) if exprs else frame


#: At most this many distinct values in a slice for a ``repeated`` column to hold each once.
_FEW_REPEATED = 64


def owned_text(frame: pl.DataFrame, repeated: Sequence[str] = ()) -> pl.DataFrame:
    """``frame`` with its text columns copied into buffers of their own.

    Polars' strings read from Arrow point into the batch's buffers, and a batch imported from the
    driver is freed as a whole: one such column alive keeps every column's raw text (the JSON of
    the list columns, the key) for as long as the frame lives. Columns without a value hold no text.
    ``repeated``: columns that repeat a few long values (a file's path, a school), held once each.
    """
    text = [c for c, t in frame.schema.items() if t == pl.String and frame[c].null_count() < frame.height]
    return frame.with_columns(_owned_column(frame[c], c in repeated) for c in text)


def _owned_column(column: pl.Series, repeated: bool) -> pl.Series:
    """``column`` in new buffers of its own; with ``repeated``, each of a few distinct values once."""
    if repeated:
        values = column.drop_nulls().unique(maintain_order=True)
        if values.len() <= _FEW_REPEATED:
            codes = pl.int_range(0, values.len(), dtype=pl.UInt32, eager=True)
            own = pl.Series(column.name, values.to_list(), dtype=pl.String)  # (a gather shares its text)
            return own.gather(column.replace_strict(values, codes, default=None, return_dtype=pl.UInt32))
    # A concatenation writes each value into new buffers (a cast would keep the old ones).
    return column.to_frame().select(pl.concat_str([pl.col(column.name), pl.lit("")])).to_series()


def decode_from_sql(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """The inverse of :func:`encode_for_sql` for the columns in ``schema``."""
    exprs = []
    for name, dtype in schema.items():
        if name not in frame.columns:
            continue
        if isinstance(dtype, pl.List):
            exprs.append(pl.col(name).str.json_decode(LIST_STR).alias(name))
        elif dtype == pl.Date:
            exprs.append(pl.col(name).str.to_date("%Y-%m-%d").alias(name))
        else:
            exprs.append(pl.col(name).cast(dtype))
    return frame.with_columns(exprs)


@contextlib.contextmanager
def _written_once(cur: Any) -> Iterator[None]:
    """A bulk write through a rollback journal instead of the WAL, when no one else has the store
    open: the new pages are written into the file once, where WAL mode writes them to the log and
    copies them into the file again at the checkpoint. The journal keeps what the write changes
    of existing pages (synchronous = FULL while it is on), so a crash still rolls back. With
    another connection open SQLite refuses the switch and the write goes through the WAL as usual.
    """
    try:
        cur.execute("PRAGMA journal_mode = DELETE")
        switched = _first(cur.fetchone()) == "delete"
    except Exception:  # busy: someone else has it open
        switched = False
    if switched:
        cur.execute("PRAGMA synchronous = FULL")
    try:
        yield
    finally:
        if switched:  # back to WAL; a store left in rollback mode is switched back on its next open
            with contextlib.suppress(Exception):
                cur.execute("PRAGMA journal_mode = WAL")
                cur.fetchall()


#: What a fingerprint leaves out: where the row is in its file (a member removed above it moves it).
PLACE = "source_ref"


def fingerprint(encoded: pl.DataFrame, *, with_place: bool = False) -> pl.Series:
    """Per record, a hash of its canonical columns as :func:`encode_for_sql` writes them but its
    place in the file (the ``fingerprint`` column): equal fingerprints, equal stored content but
    for the place. Dedupe keeps the one it resolved each record at, so a re-examination is due
    exactly when they differ. ``with_place``: the hash kith kept before (place included)."""
    parts = [
        pl.col(c).cast(pl.String).fill_null("\x00") if c in encoded.columns else pl.lit("\x00")
        for c in CANONICAL
        if with_place or c != PLACE
    ]
    joined = pl.concat_str(parts, separator="\x1f")
    return encoded.select(joined.hash(seed=1).cast(pl.String).alias("fingerprint")).to_series()


def _droppable_indexes(scalar: Callable[[str, tuple], Any], rows: int) -> list[str]:
    """The records' indexes worth dropping before ingesting ``rows`` records and building after:
    all of :data:`RECORD_INDEXES` when the table holds fewer rows than arrive (rebuilding then
    costs less than maintaining) and has all of them (a store from before keeps its
    PRIMARY KEY, whose index cannot be dropped: nothing is dropped there)."""
    names = ", ".join(f"'{n}'" for n in RECORD_INDEXES)
    found = scalar(f"SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ({names})", ())
    if found != len(RECORD_INDEXES) or scalar("SELECT count(*) FROM records", ()) >= rows:
        return []
    return list(RECORD_INDEXES)


def _encoded(batch: pl.DataFrame, source_id: int) -> pl.DataFrame:
    """One slice of records encoded for SQL: ``source_id``, the record columns, ``fingerprint``."""
    encoded = encode_for_sql(batch.select(list(RECORD_COLUMNS)))
    return encoded.select(pl.lit(source_id, pl.Int64).alias("source_id"), pl.all()).with_columns(
        fingerprint(encoded)
    )


@dataclass
class RecordSlices:
    """A file's records handed to :meth:`Store.replace_source` a slice at a time, in order:
    ``height`` rows in all, each slice made only when the write asks for it (the importer
    normalizes the next slice while SQLite writes this one). Every slice has the columns of
    :data:`RECORD_COLUMNS`."""

    height: int
    slices: Iterator[pl.DataFrame]

    @classmethod
    def of(cls, records: pl.DataFrame) -> RecordSlices:
        """A whole frame as slices of :data:`INGEST_SLICE_ROWS`."""
        return cls(records.height, records.iter_slices(INGEST_SLICE_ROWS))

    def whole(self) -> pl.DataFrame:
        """Every slice made and put together (for a caller that must see all the records first)."""
        frames = list(self.slices)
        return pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=RECORD_COLUMNS)


def _encoded_slices(records: RecordSlices, source_id: int) -> Iterator[pl.DataFrame]:
    """``records`` :func:`_encoded` a slice at a time: only one slice's text copy (and Arrow
    copy) is alive at once, not a second copy of the whole file."""
    for batch in records.slices:
        yield _encoded(batch, source_id)


def _record_defaults(cur: Any) -> set[str]:
    """The records' columns with a default value (always bound, see :func:`_bound`)."""
    cur.execute("SELECT name FROM pragma_table_info('records') WHERE dflt_value IS NOT NULL")
    return {row[0] for row in cur.fetchall()}


def _bound(encoded: pl.DataFrame, defaults: set[str]) -> pl.DataFrame:
    """The columns of an :func:`_encoded` slice worth binding: one null in every row of the slice
    is left out of the insert and stored as NULL by SQLite all the same (unless the table gives
    it a default)."""
    height = encoded.height
    return encoded.select(c for c in encoded.columns if c in defaults or encoded[c].null_count() < height)


def _next_arrow(slices: Iterator[pl.DataFrame], source_id: int, defaults: set[str]) -> Any:
    """The next slice (made now, on the caller's thread), :func:`_encoded` with its bound columns
    as Arrow; None at the end of the slices."""
    batch = next(slices, None)
    return None if batch is None else _bound(_encoded(batch, source_id), defaults).to_arrow()


def _ingest_records(cur: Any, records: RecordSlices, source_id: int) -> None:
    """``records`` into the records table through ADBC a slice at a time, in order. The next slice
    is made and encoded on a helper thread while SQLite writes this one (the driver releases the
    GIL)."""
    defaults = _record_defaults(cur)
    slices = iter(records.slices)
    with helper_threads(inline=records.height < THREADED_ROWS) as pool:
        pending = pool.submit(_next_arrow, slices, source_id, defaults)
        while (table := pending.result()) is not None:
            pending = pool.submit(_next_arrow, slices, source_id, defaults)
            cur.adbc_ingest("records", table, mode="append")


def _keys(record_id: pl.Expr, fingerprint: pl.Expr) -> list[pl.Expr]:
    """A record's id and fingerprint as two integers to join on (hashing a million text ids for
    every slice cost more than the rest of the diff): ``_id``, ``_print``."""
    return [record_id.hash(seed=7).alias("_id"), fingerprint.cast(pl.String).cast(pl.UInt64).alias("_print")]


def _stored_prints(cur: Any, source_id: int) -> pl.DataFrame:
    """``record_id``, ``rowid``, place and the :func:`_keys` of every stored record of ``source_id``."""
    sql = f"SELECT record_id, fingerprint, rowid, {PLACE} FROM records WHERE source_id = ?"
    cur.execute(sql, (source_id,))
    stored = pl.from_arrow(cur.fetch_arrow_table())
    assert isinstance(stored, pl.DataFrame)
    stored = stored.with_columns(
        pl.col("record_id").cast(pl.String), pl.col("rowid").cast(pl.Int64), pl.col(PLACE).cast(pl.String)
    )
    keys = _keys(pl.col("record_id"), pl.col("fingerprint"))
    return stored.select("record_id", "rowid", pl.col(PLACE).alias("_place"), *keys)


def _changed(encoded: pl.DataFrame, stored: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows of an :func:`_encoded` slice whose fingerprint is not stored under their id, and
    the ``rowid`` and new place of the unchanged ones whose place moved: joined on the integer
    :func:`_keys`, each match then checked on the id's text (exact, not a hash)."""
    keyed = encoded.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"),
        "record_id",
        PLACE,
        *_keys(pl.col("record_id"), pl.col("fingerprint")),
    )
    same = keyed.join(stored.rename({"record_id": "_stored"}), on=["_id", "_print"], how="inner").filter(
        pl.col("record_id") == pl.col("_stored")
    )
    moved = same.filter(pl.col(PLACE).ne_missing(pl.col("_place"))).select("rowid", PLACE)
    changed = encoded.filter(~pl.int_range(pl.len(), dtype=pl.UInt32).is_in(same["_row"].implode()))
    return changed, moved


def update_by_json(execute: Callable[..., Any], table: str, values: pl.DataFrame) -> None:
    """``table``'s column ``values.columns[1]`` set from ``values`` where its column
    ``values.columns[0]`` matches: one JSON array read by ``json_each``, one statement on
    ``sqlite3`` and on ADBC alike (no row loop)."""
    if values.is_empty():
        return
    key, column = values.columns
    items = values.select(pl.struct(pl.col(key).alias("k"), pl.col(column).alias("v")).struct.json_encode())
    execute(
        f"UPDATE {table} SET {column} = j.value ->> '$.v' FROM json_each(?) AS j "
        f"WHERE {table}.{key} = j.value ->> '$.k'",
        ("[" + items.to_series().str.join(",").item() + "]",),
    )


def _delete_rows(cur: Any, rowids: pl.Series) -> None:
    if rowids.len():
        sql = "DELETE FROM records WHERE rowid IN (SELECT value FROM json_each(?))"
        cur.execute(sql, (json.dumps(rowids.to_list()),))


def _write_version(
    cur: Any, scalar: Callable[[str, tuple], Any], records: RecordSlices, source_id: int
) -> None:
    """A known source's new version into the records table, its old records still there.

    Records whose fingerprint is stored under their id already stay as they are (their rowids
    too); changed ones are deleted and written again, new ones written, and records the version
    no longer has deleted. When more than :data:`MAX_CHANGED_SHARE` of the first slice changed
    (a new normalization, a store from before fingerprints) every old record goes and the
    version is written whole, as a new source is."""
    stored = _stored_prints(cur, source_id)
    raw = iter(records.slices)
    first = next(raw, None)
    encoded = _encoded(first, source_id) if first is not None else None
    diff = _changed(encoded, stored) if encoded is not None and not stored.is_empty() else None
    if diff is None or diff[0].height > MAX_CHANGED_SHARE * max(encoded.height, 1):
        cur.execute("DELETE FROM records WHERE source_id = ?", (source_id,))
        rebuild = _droppable_indexes(scalar, records.height)
        for name in rebuild:
            cur.execute(f"DROP INDEX {name}")
        again = itertools.chain([first] if first is not None else [], raw)
        _ingest_records(cur, RecordSlices(records.height, again), source_id)
        _build_indexes(cur, rebuild)
        return
    defaults = _record_defaults(cur)
    seen: list[pl.Series] = []
    moves: list[pl.DataFrame] = []
    while encoded is not None:
        changed, moved = diff if diff is not None else _changed(encoded, stored)
        diff = None  # (the first slice's, made above)
        moves.append(moved)
        if changed.height:
            # An edited record's old row goes before its new one comes (record ids are unique).
            old = stored.filter(pl.col("record_id").is_in(changed["record_id"].implode()))["rowid"]
            _delete_rows(cur, old)
            cur.adbc_ingest("records", _bound(changed, defaults).to_arrow(), mode="append")
        seen.append(encoded["record_id"])
        batch = next(raw, None)
        encoded = _encoded(batch, source_id) if batch is not None else None
    kept = pl.concat(seen) if seen else pl.Series("record_id", [], pl.String)
    _delete_rows(cur, stored.filter(~pl.col("record_id").is_in(kept.implode()))["rowid"])
    update_by_json(cur.execute, "records", pl.concat(moves))  # the moved rows' new places


def _build_indexes(cur: Any, names: list[str]) -> None:
    """Build the record indexes ``names`` (dropped for a bulk load) with the sort's page cache
    (:data:`SORT_CACHE_KIB`); a duplicate record id fails here, and the whole write with it."""
    if not names:
        return
    cur.execute(f"PRAGMA cache_size = -{SORT_CACHE_KIB}")
    for name in names:
        cur.execute(RECORD_INDEXES[name])
    cur.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _first(row: Any) -> Any:
    return row[0] if row else None


@dataclass
class _SourceWrite:
    """The statements of one :meth:`Store.replace_source`, run alike on ``sqlite3`` and on ADBC."""

    path: str
    seen_at: str
    source_id: int | None
    #: importer, content_hash, size, imported_at, record_count, reject_count, encoding, info, shape
    version: tuple
    rejects: list[tuple[str, str, str | None]]
    journal: list[tuple]
    outcome: tuple[str, str] | None
    moved: dict[str, str]

    def start(
        self, execute: Callable[..., Any], scalar: Callable[[str, tuple], Any], *, keep_records: bool = False
    ) -> int:
        """Clear the source's old version and write its row and the path it was seen at; its id.
        ``keep_records``: a known source's records stay (the caller writes the version's changes)."""
        source_id = self.source_id
        if source_id is None:
            old = scalar("SELECT source_id FROM sources WHERE path = ?", (self.path,))
            if old is not None:
                for statement in _DELETE_SOURCE:
                    execute(statement, (old,))
            execute(_INSERT_SOURCE, (self.path, *self.version))
            source_id = scalar("SELECT last_insert_rowid()", ())
        else:
            for statement in _CLEAR_SOURCE[1:] if keep_records else _CLEAR_SOURCE:
                execute(statement, (source_id,))
            execute(_UPDATE_SOURCE, (*self.version, source_id))
        execute(_SEEN_PATH, (self.seen_at, source_id, self.version[1], self.version[3]))
        return int(source_id)

    def finish(self, source_id: int, execute: Callable[..., Any]) -> None:
        """The journal rows the source carried, and journal anchors moved to edited records."""
        for row in self.journal:
            execute(_INSERT_JOURNAL, (source_id, *row))
        if self.outcome:
            execute(_INSERT_OUTCOME, (source_id, *self.outcome))
        for old, new in self.moved.items():
            for statement in _MOVE_ANCHOR:
                execute(statement, (new, old))


def _switch_to_wal(conn: sqlite3.Connection) -> None:
    """``journal_mode = WAL``, waiting while another process holds the file: the first switch of a new
    store takes an exclusive lock that SQLite's busy handler does not wait for."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _run_ddl(conn: sqlite3.Connection, ddl: str) -> None:
    """Run ``;``-separated DDL inside the current transaction (``executescript`` would commit it)."""
    for statement in ddl.split(";"):
        if statement.strip():
            conn.execute(statement)


class Store:
    """An open workspace store. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        #: Paths inside this folder are kept relative to it, so a moved workspace keeps its sources.
        self.root = self.path.parent.resolve()
        ensure_private_dir(self.path.parent)
        new = not self.path.exists()
        self.conn = self._connect()
        if new:
            os.chmod(self.path, FILE_MODE)
        try:
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise StoreError(f"{self.path}: not a usable kith store ({exc})") from None

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            _switch_to_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the store ({exc})") from None
        return conn

    # --- lifecycle -------------------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it commits, or none of it does."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(
                f"{self.path}: the store is busy (another kith process is writing) and did not free up "
                f"within {BUSY_TIMEOUT_MS // 1000} s ({exc})"
            ) from None
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already (disk full)
                self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError):  # disk full, read-only: one line, not a traceback
                raise MachineError(environment_message(exc, str(self.path))) from None
            raise

    def _migrate(self) -> None:
        with self.transaction() as conn:
            had_sources = {row[1] for row in conn.execute("PRAGMA table_info(sources)")}
            if had_sources and "shape" not in had_sources:  # a store made before shapes were kept
                conn.execute("ALTER TABLE sources ADD COLUMN shape TEXT")
            _run_ddl(conn, _BASE_TABLES + _records_table_sql())
            if "raw" not in {row[1] for row in conn.execute("PRAGMA table_info(rejects)")}:
                conn.execute("ALTER TABLE rejects ADD COLUMN raw TEXT")  # a store from before rejects kept it
            # every source is seen at least at its own path (stores from before source_paths)
            conn.execute(
                "INSERT OR IGNORE INTO source_paths(path, source_id, content_hash, seen_at) "
                "SELECT path, source_id, content_hash, imported_at FROM sources"
            )
            self._relative_paths(conn)
            if not any(row[5] for row in conn.execute("PRAGMA table_info(records)")):  # no PRIMARY KEY
                conn.execute(RECORD_INDEXES["records_id"])
            existing = {row[1] for row in conn.execute("PRAGMA table_info(records)")}
            for name, dtype in RECORD_COLUMNS.items():
                if name not in existing:  # a derived column added by a newer kith
                    conn.execute(f"ALTER TABLE records ADD COLUMN {name} {_SQL_TYPES.get(dtype, 'TEXT')}")
            if "fingerprint" not in existing:  # a store from before fingerprints: NULL, "changed"
                conn.execute("ALTER TABLE records ADD COLUMN fingerprint TEXT")
            conn.execute(
                "INSERT INTO meta(key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )
            ensure_schema(conn)

    def _relative_paths(self, conn: sqlite3.Connection) -> None:
        """Seen paths inside the store's folder, kept absolute by an older kith, made relative."""
        prefix = str(self.root) + os.sep
        inside = "substr(path, 1, ?) = ?"
        conn.execute(
            "INSERT OR IGNORE INTO source_paths(path, source_id, content_hash, seen_at) "
            f"SELECT replace(substr(path, ?), ?, '/'), source_id, content_hash, seen_at FROM source_paths "
            f"WHERE {inside}",
            (len(prefix) + 1, os.sep, len(prefix), prefix),
        )
        conn.execute(f"DELETE FROM source_paths WHERE {inside}", (len(prefix), prefix))

    def key(self, path: str) -> str:
        """How the store names ``path`` (absolute): relative to the store's folder when inside it."""
        try:
            return Path(path).relative_to(self.root).as_posix()
        except ValueError:
            return path

    def has_table(self, name: str) -> bool:
        """Whether a later stage has created table ``name`` yet (reads never create tables)."""
        query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        return self.conn.execute(query, (name,)).fetchone() is not None

    def ensure_tables(self, ddl: str) -> None:
        """Create tables a later stage needs (idempotent ``CREATE … IF NOT EXISTS`` statements)."""
        with self.transaction() as conn:
            _run_ddl(conn, ddl)

    # --- meta ------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str, conn: sqlite3.Connection | None = None) -> None:
        (conn or self.conn).execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # --- sources ---------------------------------------------------------------------

    def source_by_path(self, path: str) -> SourceRow | None:
        """The source first seen at ``path``."""
        query = f"SELECT {_SOURCE_ROW} FROM sources s WHERE s.path = ?"
        row = self.conn.execute(query, (self.key(path),)).fetchone()
        return SourceRow(*row) if row else None

    def source_seen_at(self, path: str) -> SeenSource | None:
        """The source whose content was seen at ``path`` (its first path or any later one)."""
        row = self.conn.execute(
            f"SELECT {_SOURCE_ROW}, p.content_hash FROM source_paths p JOIN sources s USING (source_id) "
            "WHERE p.path = ?",
            (self.key(path),),
        ).fetchone()
        return SeenSource(SourceRow(*row[:-1]), row[-1]) if row else None

    def source_by_hash(self, content_hash: str) -> SourceRow | None:
        row = self.conn.execute(
            f"SELECT {_SOURCE_ROW} FROM sources s WHERE s.content_hash = ? ORDER BY s.source_id LIMIT 1",
            (content_hash,),
        ).fetchone()
        return SourceRow(*row) if row else None

    def series_sources(self, shape: str, series: str) -> list[tuple[SourceRow, str]]:
        """Sources of a series of dated exports (:mod:`pipeline.series`), latest import first, each
        with the paths its present content was seen at."""
        rows = self.conn.execute(
            f"SELECT {_SOURCE_ROW}, p.path FROM sources s JOIN source_paths p USING (source_id) "
            "WHERE s.shape = ? AND json_extract(s.info, '$.series') = ? AND p.content_hash = s.content_hash "
            "ORDER BY s.imported_at DESC, s.source_id DESC, p.seen_at DESC",
            (shape, series),
        ).fetchall()
        return [(SourceRow(*row[:-1]), row[-1]) for row in rows]

    def add_source_path(self, path: str, source_id: int, content_hash: str) -> None:
        """Remember that ``source_id``'s content (``content_hash``) was seen at ``path`` too."""
        with self.transaction() as conn:
            conn.execute(_SEEN_PATH, (self.key(path), source_id, content_hash, _now()))

    def replace_source(
        self,
        *,
        path: str,
        importer: str,
        content_hash: str,
        size: int,
        records: pl.DataFrame | RecordSlices,
        rejects: list[Reject],
        info: dict[str, Any],
        shape: str | None = None,
        seen_at: str | None = None,
        source_id: int | None = None,
        journal: list[JournalRow] | None = None,
        journal_outcome: JournalOutcomeRow | None = None,
        moved: dict[str, str] | None = None,
    ) -> int:
        """Store one source's records in one transaction, replacing what its earlier version left.

        :param path: the source's path (its first path when it is known already).
        :param seen_at: the path this content was read from (default ``path``).
        :param source_id: the known source this is a new version of; None for a new source
            (a source already stored at ``path`` is then replaced too).
        :param shape: a digest of what shaped the records (importer, mapping, channel, tags, region).
        :param moved: ``old record id → new record id`` for records that came back edited under a
            new id (:func:`pipeline.journal.relink.moved_records`): the journal follows them.

        ``records`` must have the columns of :data:`RECORD_COLUMNS` (canonical + derived); as
        :class:`RecordSlices` they are made a slice at a time while the write runs (an error
        making one rolls the whole write back). Returns the source id. Large files go through the
        ADBC driver's columnar ingest; small ones, or a machine without the driver, through
        ``sqlite3``. Either way it is one transaction.
        """
        if isinstance(records, pl.DataFrame):
            records = RecordSlices.of(records.select(list(RECORD_COLUMNS)))
        now = _now()
        version = (
            importer,
            content_hash,
            size,
            now,
            records.height,
            len(rejects),
            info.get("encoding"),
            json.dumps(info, default=str, ensure_ascii=False),
            shape,
        )
        plan = _SourceWrite(
            path=self.key(path),
            seen_at=self.key(seen_at or path),
            source_id=source_id,
            version=version,
            rejects=[(r.ref, r.reason, r.raw) for r in rejects],
            journal=[
                (j.key, j.place, j.date, j.kind, j.person, j.via, j.to, j.channel, j.note)
                for j in journal or []
            ],
            outcome=(journal_outcome.text, journal_outcome.date) if journal_outcome else None,
            moved=dict(moved or {}),
        )
        # The ADBC path swaps our connection out, so never inside a caller's open transaction.
        if records.height >= ADBC_MIN_ROWS and _adbc_available() and not self.conn.in_transaction:
            return self._replace_source_adbc(plan, records)
        with self.transaction() as conn:
            source_id = plan.start(
                conn.execute, lambda sql, params: _first(conn.execute(sql, params).fetchone())
            )
            insert = _insert_sql("records", ["source_id", *RECORD_COLUMNS, "fingerprint"])
            for batch in _encoded_slices(records, source_id):
                # zip over whole columns builds the tuples faster than iter_rows.
                conn.executemany(insert, zip(*(batch[c].to_list() for c in batch.columns), strict=True))
            conn.executemany(
                "INSERT INTO rejects(source_id, source_ref, reason, raw) VALUES (?, ?, ?, ?)",
                [(source_id, *row) for row in plan.rejects],
            )
            plan.finish(source_id, conn.execute)
        return int(source_id)

    @contextlib.contextmanager
    def bulk_cursor(self) -> Iterator[Any]:
        """An ADBC SQLite cursor on the store for columnar bulk work (Arrow reads and ingests).

        The driver carries its own copy of SQLite. POSIX file locks belong to the process,
        so two SQLite libraries holding one file open in one process would not see each
        other's locks: our ``sqlite3`` connection is closed for the duration and reopened.
        The caller runs its own transaction on the cursor. The driver's lock, full-disk and
        read-only errors become one-line StoreErrors.
        """
        import adbc_driver_sqlite.dbapi as adbc

        self.conn.close()
        try:
            with (
                contextlib.closing(adbc.connect(str(self.path), autocommit=True)) as conn,
                contextlib.closing(conn.cursor()) as cur,
            ):
                cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                # Random keys (record ids) go into the indexes: a bigger page cache pays off here.
                cur.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
                cur.execute("PRAGMA synchronous = NORMAL")  # as our sqlite3 connection (WAL)
                yield cur
        except adbc.Error as exc:  # the driver's own errors; the caller's propagate unchanged
            text = str(exc)
            if "locked" in text or "busy" in text.lower():
                raise StoreError(
                    f"{self.path}: the store is busy (another kith process is writing)"
                ) from None
            if "full" in text or "readonly" in text:
                raise MachineError(environment_message(sqlite3.Error(text), str(self.path))) from None
            raise
        finally:
            self.conn = self._connect()

    def _replace_source_adbc(self, plan: _SourceWrite, records: pl.DataFrame) -> int:
        """:meth:`replace_source` over :meth:`bulk_cursor`, as one ``BEGIN IMMEDIATE`` transaction."""
        with self.bulk_cursor() as cur, _written_once(cur):
            cur.execute("BEGIN IMMEDIATE")

            def scalar(sql: str, params: tuple) -> Any:
                cur.execute(sql, params)
                return _first(cur.fetchone())

            try:
                known = plan.source_id is not None
                source_id = plan.start(cur.execute, scalar, keep_records=known)
                if known:
                    _write_version(cur, scalar, records, source_id)
                else:
                    rebuild = _droppable_indexes(scalar, records.height)
                    for name in rebuild:
                        cur.execute(f"DROP INDEX {name}")
                    _ingest_records(cur, records, source_id)
                    _build_indexes(cur, rebuild)
                if plan.rejects:
                    rejects = pl.DataFrame(
                        plan.rejects,
                        schema={"source_ref": pl.String, "reason": pl.String, "raw": pl.String},
                        orient="row",
                    ).select(pl.lit(source_id, pl.Int64).alias("source_id"), pl.all())
                    cur.adbc_ingest("rejects", rejects.to_arrow(), mode="append")
                plan.finish(source_id, cur.execute)
                cur.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(Exception):
                    cur.execute("ROLLBACK")
                raise
        return source_id

    def remove_source(self, path: str) -> bool:
        """Forget the source seen at ``path`` (its first path or a later one) and its records;
        True if it was there."""
        seen = self.source_seen_at(path)
        if seen is None:
            return False
        with self.transaction() as conn:
            for statement in _DELETE_SOURCE:
                conn.execute(statement, (seen.source.source_id,))
        return True

    # --- tasks -----------------------------------------------------------------------

    def save_tasks(self, week: str, tasks: Iterable[Any]) -> int:
        """Keep the week's follow-up tasks (``tasks`` table), replacing what that week had; returns how many.

        ``week`` is the report folder's name (``2026-W48``); each task is a
        :class:`pipeline.followups.Task` (read by attribute, so the core needs no import of it).
        Done-state stays in ``task_state``: ``done`` here is the state when the week was written.
        """
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        rows = [
            (
                week,
                t.key,
                t.person_id,
                t.person_name,
                t.email,
                t.rule,
                t.due.isoformat(),
                t.overdue_after.isoformat() if t.overdue_after else None,
                t.action,
                str(t.why),
                int(bool(t.done)),
                now,
            )
            for t in tasks
        ]
        with self.transaction() as conn:
            conn.execute("DELETE FROM tasks WHERE week = ?", (week,))
            conn.executemany(
                "INSERT INTO tasks(week, task_key, person_id, person_name, email, kind, due, overdue_after, "
                "title, why, done, written_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(week, task_key) DO NOTHING",
                rows,
            )
            return int(conn.execute("SELECT count(*) FROM tasks WHERE week = ?", (week,)).fetchone()[0])

    # --- reads -----------------------------------------------------------------------

    def query_frame(
        self, sql: str, params: tuple = (), schema: dict[str, pl.DataType] | None = None
    ) -> pl.DataFrame:
        """Run a SELECT and return a polars frame (``schema`` types and decodes the columns it names)."""
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        raw_schema = {
            n: (pl.Int64 if schema and schema.get(n) in (pl.Int32, pl.Int64) else pl.String) for n in names
        }
        rows = cursor.fetchall()
        frame = (
            pl.DataFrame(rows, schema=raw_schema, orient="row") if rows else pl.DataFrame(schema=raw_schema)
        )
        return decode_from_sql(frame, schema or {})

    def scan(
        self,
        table: str,
        columns: Sequence[str],
        schema: dict[str, pl.DataType],
        *,
        key: str,
        chunk_rows: int | None = None,
    ) -> pl.DataFrame:
        """Every row of ``table`` (its ``columns``, typed and decoded by ``schema``), ordered by
        ``key`` (unique and indexed: ``rowid`` or a primary key).

        Large tables are read through the ADBC driver as Arrow, ``chunk_rows`` rows at a time
        (default :data:`SCAN_CHUNK_ROWS`; keyset pages on ``key``), each page decoded before the
        next is read, so the peak is the result plus one page instead of every row as Python
        tuples; small ones, or a machine without the driver, through :meth:`query_frame`. Each page's
        text is copied out of its Arrow batch (:func:`owned_text`), so the batch is freed with the page.
        """
        names = ", ".join(columns)
        rows = self.count(table)
        if rows < ADBC_MIN_ROWS or not _adbc_available() or self.conn.in_transaction:
            return self.query_frame(f"SELECT {names} FROM {table} ORDER BY {key}", schema=schema)
        raw = {n: pl.Int64 if schema.get(n) in (pl.Int32, pl.Int64) else pl.String for n in columns}
        chunk_rows = chunk_rows or SCAN_CHUNK_ROWS
        pages: list[pl.DataFrame] = []
        with self.bulk_cursor() as cur:
            # The driver infers a column's type from its first batch: one batch per page.
            cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(chunk_rows)})
            last: Any = None
            while True:
                after = "" if last is None else f"WHERE {key} > ?"
                cur.execute(
                    f"SELECT {names}, {key} AS _key FROM {table} {after} ORDER BY {key} LIMIT {chunk_rows}",
                    None if last is None else (last,),
                )
                page = pl.from_arrow(cur.fetch_arrow_table())
                if page.height == 0:
                    break
                last = page["_key"][-1]
                pages.append(owned_text(decode_from_sql(page.drop("_key").cast(raw), schema)))
                if page.height < chunk_rows:
                    break
        if not pages:
            return decode_from_sql(pl.DataFrame(schema=raw), schema)
        return pl.concat(pages, rechunk=False)

    def records(self, where: str = "", params: tuple = ()) -> pl.DataFrame:
        """Canonical records (plus derived columns), in import order."""
        sql = f"SELECT {', '.join(RECORD_COLUMNS)} FROM records {where} ORDER BY rowid"
        return self.query_frame(sql, params, RECORD_COLUMNS)

    def sources(self) -> pl.DataFrame:
        """Every source, its ``path`` absolute (as the file is found now)."""
        frame = self.query_frame(
            "SELECT source_id, path, importer, content_hash, size, imported_at, record_count, reject_count, "
            "encoding FROM sources ORDER BY source_id",
            schema={
                "source_id": pl.Int64,
                "size": pl.Int64,
                "record_count": pl.Int64,
                "reject_count": pl.Int64,
            },
        )
        return self._absolute(frame, "path")

    def rejects(self) -> pl.DataFrame:
        """Every reject, ``source_file`` absolute."""
        frame = self.query_frame(
            "SELECT s.path AS source_file, r.source_ref, r.reason, r.raw FROM rejects r "
            "JOIN sources s USING (source_id) ORDER BY r.rowid"
        )
        return self._absolute(frame, "source_file")

    def _absolute(self, frame: pl.DataFrame, column: str) -> pl.DataFrame:
        """Paths kept relative to the store's folder made absolute again (over the few unique paths)."""
        if frame.height == 0 or column not in frame.columns:
            return frame
        named = frame[column].unique().drop_nulls().to_list()
        shown = {p: p if Path(p).is_absolute() or _SCHEME.match(p) else str(self.root / p) for p in named}
        return frame.with_columns(pl.col(column).replace_strict(shown, default=pl.col(column)))

    def count(self, table: str) -> int:
        if not table.isidentifier():
            raise ValueError(table)
        return int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

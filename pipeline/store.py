"""The workspace store: one SQLite file (stdlib ``sqlite3``, WAL, foreign keys).

Tables: ``sources`` (each imported file with its content hash), ``records`` (canonical
records plus derived matching columns), ``rejects``, and ``meta``. Later stages add their
own tables through :meth:`Store.ensure_tables`. Every write is one transaction
(``BEGIN IMMEDIATE``): an exception halfway leaves the store exactly as it was, and a
second writer waits for the first instead of failing with "database is locked".

Bulk paths are columnar: list columns are JSON-encoded by polars expressions and rows go
through ``executemany``; reads come back as one polars frame.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.contracts import Reject
from pipeline.errors import StoreError
from pipeline.fileio import FILE_MODE, ensure_private_dir
from pipeline.schema import CANONICAL, DERIVED, LIST_STR

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 120_000

RECORD_COLUMNS: dict[str, pl.DataType] = {**CANONICAL, **DERIVED}

#: Files with at least this many records are written through the ADBC driver.
ADBC_MIN_ROWS = 20_000
#: SQLite page cache for bulk writes (an upper bound; pages are allocated as needed).
BULK_CACHE_KIB = 128 * 1024

_INSERT_SOURCE = (
    "INSERT INTO sources(path, importer, content_hash, size, imported_at, record_count, "
    "reject_count, encoding, info) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# Explicit rather than ON DELETE CASCADE alone: the same statements work with foreign keys
# off (the ADBC connection, or the store opened by another SQLite tool).
_DELETE_SOURCE = (
    "DELETE FROM records WHERE source_id = ?",
    "DELETE FROM rejects WHERE source_id = ?",
    "DELETE FROM sources WHERE source_id = ?",
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
    info TEXT
);
CREATE INDEX IF NOT EXISTS sources_hash ON sources(content_hash);
CREATE TABLE IF NOT EXISTS rejects (
    source_id INTEGER NOT NULL REFERENCES sources(source_id) ON DELETE CASCADE,
    source_ref TEXT NOT NULL,
    reason TEXT NOT NULL,
    raw TEXT
);
CREATE INDEX IF NOT EXISTS rejects_source ON rejects(source_id);
"""


def _records_table_sql() -> str:
    columns = ["record_id TEXT PRIMARY KEY"]
    columns.append("source_id INTEGER NOT NULL REFERENCES sources(source_id) ON DELETE CASCADE")
    for name, dtype in RECORD_COLUMNS.items():
        if name != "record_id":
            columns.append(f"{name} {_SQL_TYPES.get(dtype, 'TEXT')}")
    body = ",\n    ".join(columns)
    return (
        f"CREATE TABLE IF NOT EXISTS records (\n    {body}\n);\n"
        "CREATE INDEX IF NOT EXISTS records_source ON records(source_id);\n"
    )


@dataclass(frozen=True)
class SourceRow:
    """What the store knows about one imported file."""

    source_id: int
    path: str
    importer: str
    content_hash: str
    size: int
    imported_at: str
    record_count: int
    reject_count: int


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


def _run_ddl(conn: sqlite3.Connection, ddl: str) -> None:
    """Run ``;``-separated DDL inside the current transaction (``executescript`` would commit it)."""
    for statement in ddl.split(";"):
        if statement.strip():
            conn.execute(statement)


class Store:
    """An open workspace store. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
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
            conn.execute("PRAGMA journal_mode = WAL")
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
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def _migrate(self) -> None:
        with self.transaction() as conn:
            _run_ddl(conn, _BASE_TABLES + _records_table_sql())
            if "raw" not in {row[1] for row in conn.execute("PRAGMA table_info(rejects)")}:
                conn.execute("ALTER TABLE rejects ADD COLUMN raw TEXT")  # a store from before rejects kept it
            existing = {row[1] for row in conn.execute("PRAGMA table_info(records)")}
            for name, dtype in RECORD_COLUMNS.items():
                if name not in existing:  # a derived column added by a newer kith
                    conn.execute(f"ALTER TABLE records ADD COLUMN {name} {_SQL_TYPES.get(dtype, 'TEXT')}")
            conn.execute(
                "INSERT INTO meta(key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )

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
        row = self.conn.execute(
            "SELECT source_id, path, importer, content_hash, size, imported_at, record_count, reject_count "
            "FROM sources WHERE path = ?",
            (path,),
        ).fetchone()
        return SourceRow(*row) if row else None

    def source_by_hash(self, content_hash: str) -> SourceRow | None:
        row = self.conn.execute(
            "SELECT source_id, path, importer, content_hash, size, imported_at, record_count, reject_count "
            "FROM sources WHERE content_hash = ? ORDER BY source_id LIMIT 1",
            (content_hash,),
        ).fetchone()
        return SourceRow(*row) if row else None

    def replace_source(
        self,
        *,
        path: str,
        importer: str,
        content_hash: str,
        size: int,
        records: pl.DataFrame,
        rejects: list[Reject],
        info: dict[str, Any],
    ) -> int:
        """Store one file's records in one transaction, replacing what an earlier version of it left.

        ``records`` must have the columns of :data:`RECORD_COLUMNS` (canonical + derived).
        Returns the new source id. Large files go through the ADBC driver's columnar
        ingest (several times faster than ``executemany``); small ones, or a machine
        without the driver, through ``sqlite3``. Either way it is one transaction.
        """
        encoded = encode_for_sql(records.select(list(RECORD_COLUMNS)))
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        source_values = (
            path,
            importer,
            content_hash,
            size,
            now,
            records.height,
            len(rejects),
            info.get("encoding"),
            json.dumps(info, default=str, ensure_ascii=False),
        )
        reject_rows = [(r.ref, r.reason, r.raw) for r in rejects]
        # The ADBC path swaps our connection out, so never inside a caller's open transaction.
        if records.height >= ADBC_MIN_ROWS and _adbc_available() and not self.conn.in_transaction:
            return self._replace_source_adbc(path, source_values, encoded, reject_rows)
        with self.transaction() as conn:
            old = conn.execute("SELECT source_id FROM sources WHERE path = ?", (path,)).fetchone()
            if old:
                for statement in _DELETE_SOURCE:
                    conn.execute(statement, old)
            source_id = conn.execute(_INSERT_SOURCE, source_values).lastrowid
            with_id = encoded.select(pl.lit(source_id).alias("source_id"), pl.all())
            insert = _insert_sql("records", with_id.columns)
            for batch in with_id.iter_slices(50_000):
                # zip over whole columns builds the tuples faster than iter_rows.
                conn.executemany(insert, zip(*(batch[c].to_list() for c in batch.columns), strict=True))
            conn.executemany(
                "INSERT INTO rejects(source_id, source_ref, reason, raw) VALUES (?, ?, ?, ?)",
                [(source_id, *row) for row in reject_rows],
            )
        return int(source_id)

    def _replace_source_adbc(
        self,
        path: str,
        source_values: tuple,
        encoded: pl.DataFrame,
        reject_rows: list[tuple[str, str, str | None]],
    ) -> int:
        """:meth:`replace_source` over the ADBC SQLite driver, as one ``BEGIN IMMEDIATE`` transaction.

        The driver carries its own copy of SQLite. POSIX file locks belong to the process,
        so two SQLite libraries holding one file open in one process would not see each
        other's locks: our ``sqlite3`` connection is closed for the duration and reopened.
        """
        import adbc_driver_sqlite.dbapi as adbc

        self.conn.close()
        try:
            with contextlib.closing(adbc.connect(str(self.path), autocommit=True)) as conn:
                with contextlib.closing(conn.cursor()) as cur:
                    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                    # The record_id index takes random keys: a bigger page cache saves ~40% here.
                    cur.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
                    cur.execute("PRAGMA synchronous = NORMAL")  # as our sqlite3 connection (WAL)
                    cur.execute("BEGIN IMMEDIATE")
                    try:
                        cur.execute("SELECT source_id FROM sources WHERE path = ?", (path,))
                        old = cur.fetchone()
                        if old:
                            for statement in _DELETE_SOURCE:
                                cur.execute(statement, (old[0],))
                        cur.execute(_INSERT_SOURCE, source_values)
                        cur.execute("SELECT last_insert_rowid()")
                        source_id = int(cur.fetchone()[0])
                        with_id = encoded.select(pl.lit(source_id, pl.Int64).alias("source_id"), pl.all())
                        cur.adbc_ingest("records", with_id.to_arrow(), mode="append")
                        if reject_rows:
                            rejects = pl.DataFrame(
                                reject_rows,
                                schema={"source_ref": pl.String, "reason": pl.String, "raw": pl.String},
                                orient="row",
                            ).select(pl.lit(source_id, pl.Int64).alias("source_id"), pl.all())
                            cur.adbc_ingest("rejects", rejects.to_arrow(), mode="append")
                        cur.execute("COMMIT")
                    except BaseException:
                        with contextlib.suppress(Exception):
                            cur.execute("ROLLBACK")
                        raise
        except Exception as exc:
            if "locked" in str(exc) or "busy" in str(exc).lower():
                raise StoreError(
                    f"{self.path}: the store is busy (another kith process is writing)"
                ) from None
            raise
        finally:
            self.conn = self._connect()
        return source_id

    def remove_source(self, path: str) -> bool:
        """Forget one imported file and its records; True if it was there."""
        with self.transaction() as conn:
            return conn.execute("DELETE FROM sources WHERE path = ?", (path,)).rowcount > 0

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

    def records(self, where: str = "", params: tuple = ()) -> pl.DataFrame:
        """Canonical records (plus derived columns), in import order."""
        sql = f"SELECT {', '.join(RECORD_COLUMNS)} FROM records {where} ORDER BY rowid"
        return self.query_frame(sql, params, RECORD_COLUMNS)

    def sources(self) -> pl.DataFrame:
        return self.query_frame(
            "SELECT source_id, path, importer, content_hash, size, imported_at, record_count, reject_count, "
            "encoding FROM sources ORDER BY source_id",
            schema={
                "source_id": pl.Int64,
                "size": pl.Int64,
                "record_count": pl.Int64,
                "reject_count": pl.Int64,
            },
        )

    def rejects(self) -> pl.DataFrame:
        return self.query_frame(
            "SELECT s.path AS source_file, r.source_ref, r.reason, r.raw FROM rejects r "
            "JOIN sources s USING (source_id) ORDER BY r.rowid"
        )

    def count(self, table: str) -> int:
        if not table.isidentifier():
            raise ValueError(table)
        return int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

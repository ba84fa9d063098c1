"""Dedupe in the store: the tables it keeps, and one incremental run written in one transaction.

Sits between the store (records in) and everything that reads people (reports, the journal,
``kith people``). The engine (:func:`pipeline.dedupe.resolve`) is pure; this module gives it
last run's state and keeps what it returns:

* ``people`` — exactly :data:`pipeline.people.PEOPLE_COLUMNS` (lists as JSON text), read by
  :func:`pipeline.people.load_people`. It is created by the first run, never before, so
  that until dedupe has run every record stands for its own person.
* ``assignments`` — record_id → person_id, plus a fingerprint of the record's content: a
  record whose content is unchanged since the last run is *settled* and not compared again;
  a changed one is re-examined.
* ``decisions`` — what the user said about two records (``same`` / ``different``), when and
  how (``review``, ``merge``, ``split``, ``sheet:<file>``). Never touched by a run; always wins.
* ``review_queue`` — the uncertain pairs of the last run, most likely first.
* ``meta`` keys ``dedupe.model`` (the fitted model, reused while the data hasn't grown or
  shrunk by more than :data:`REFIT_CHANGE`), ``dedupe.stats`` and ``dedupe.sheets`` (the
  filled review sheets already applied, by content hash).

A run reads, resolves and writes inside one ``BEGIN IMMEDIATE`` transaction: a crash at
any point leaves the previous people, assignments and queue exactly as they were. On a store
of :data:`pipeline.store.ADBC_MIN_ROWS` records or more that transaction is the ADBC driver's
(:func:`_columnar`): the bulk reads are Arrow fetches and the bulk writes Arrow ingests, the
small statements run unchanged through a ``sqlite3``-like shim.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import queue
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from pipeline import people_snapshot
from pipeline.contracts import SheetDecisions
from pipeline.dedupe.blocking import default_rules
from pipeline.dedupe.features import build_features
from pipeline.dedupe.resolve import DedupeResult, DedupeSettings, StageProgress, crowding_records, resolve
from pipeline.errors import ConfigError, UsageError
from pipeline.people import PEOPLE_COLUMNS, has_people_table
from pipeline.people_snapshot import note_people_written
from pipeline.schema import CANONICAL
from pipeline.store import (
    ADBC_MIN_ROWS,
    BULK_CACHE_KIB,
    BUSY_TIMEOUT_MS,
    RECORD_COLUMNS,
    SORT_CACHE_KIB,
    Store,
    _adbc_available,
    _written_once,
    decode_from_sql,
    encode_for_sql,
    fingerprint,
    owned_text,
    update_by_json,
)
from pipeline.store_schema import DEDUPE_DDL, ensure_views
from pipeline.threads import THREADED_ROWS, helper_threads

if TYPE_CHECKING:
    import pyarrow as pa

    from pipeline.dedupe import key_index

#: Rowids per slice when a run reads every record (each slice is decoded before the next is read).
READ_SLICE = 131_072
#: Refit the model when the number of records changed by more than this share since the fit.
REFIT_CHANGE = 0.2
DECISIONS = ("same", "different")
MODEL_KEY, STATS_KEY, SHEETS_KEY = "dedupe.model", "dedupe.stats", "dedupe.sheets"
#: What the store looked like when people were last resolved (see :func:`_state_stamp`).
STAMP_KEY = "dedupe.stamp"
SETTINGS_KEY = "dedupe.settings"
#: Names the key index (:mod:`.key_index`) that matches the stored people.
INDEX_KEY = "dedupe.index"

_SQL_TYPES = {pl.Int32: "INTEGER", pl.Int64: "INTEGER"}
#: The record columns a resolve reads: the canonical ones (survivorship, fingerprints) and the
#: nickname key features widen given names with; the other derived keys are not used.
DEDUPE_COLUMNS: dict[str, pl.DataType] = {**CANONICAL, "given_key": RECORD_COLUMNS["given_key"]}


def _people_table_sql() -> str:
    columns = ["person_id TEXT PRIMARY KEY"]
    columns += [f"{n} {_SQL_TYPES.get(t, 'TEXT')}" for n, t in PEOPLE_COLUMNS.items() if n != "person_id"]
    return "CREATE TABLE IF NOT EXISTS people (\n    " + ",\n    ".join(columns) + "\n)"


def ensure_dedupe_tables(store: Store) -> None:
    """Create the decision, assignment and queue tables (not ``people``: see the module docstring).

    A no-op when they exist, so readers may call it inside a run's transaction.
    """
    found = store.conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
        "AND name IN ('decisions', 'assignments', 'review_queue')"
    ).fetchone()[0]
    if found < 3:
        store.ensure_tables(DEDUPE_DDL)


# --- settings ------------------------------------------------------------------------------


def settings_from_config(options: dict[str, Any], source: str = "kith.toml") -> DedupeSettings:
    """``[dedupe]`` of kith.toml → :class:`DedupeSettings`; a wrong key or value names itself."""
    known = {f.name: f for f in dataclasses.fields(DedupeSettings)}
    values: dict[str, Any] = {}
    for key, value in options.items():
        where = f"{source}: [dedupe] '{key}'"
        if key not in known:
            raise ConfigError(f"{source}: [dedupe] unknown key '{key}' (known: {sorted(known)})")
        default = known[key].default
        if key == "source_priority":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where} must be an array of importer names, got {value!r}")
            value = tuple(value)
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise ConfigError(f"{where} must be true or false, got {value!r}")
        elif isinstance(default, int | float):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"{where} must be a number, got {value!r}")
            if isinstance(default, int) and not isinstance(default, bool) and not isinstance(value, int):
                raise ConfigError(f"{where} must be a whole number, got {value!r}")
        values[key] = value
    for key in ("auto_merge", "auto_reject", "name_only_merge"):
        if key in values and not 0.0 <= values[key] <= 1.0:
            raise ConfigError(f"{source}: [dedupe] '{key}' must be between 0 and 1, got {values[key]!r}")
    settings = DedupeSettings(**values)
    if settings.auto_reject > settings.auto_merge:
        raise ConfigError(f"{source}: [dedupe] 'auto_reject' must not be above 'auto_merge'")
    return settings


def workspace_settings(workspace: Any) -> DedupeSettings:
    config = workspace.config
    return settings_from_config(config.dedupe, str(config.source_path or "kith.toml"))


# --- decisions -----------------------------------------------------------------------------


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def normalized_decisions(
    rows: Iterable[tuple[str, str, str]], by: str
) -> list[tuple[str, str, str, str, str]]:
    """``(a, b, decision)`` → table rows with ``a < b``; self-pairs dropped, unknown decisions refused."""
    now = _now()
    out = []
    for a, b, decision in rows:
        if decision not in DECISIONS:
            raise UsageError(f"a decision must be 'same' or 'different', got {decision!r}")
        a, b = str(a), str(b)
        if a == b:
            continue
        out.append((min(a, b), max(a, b), decision, now, by))
    return out


def _upsert_decisions(conn: sqlite3.Connection, rows: list[tuple[str, str, str, str, str]]) -> None:
    conn.executemany(
        'INSERT INTO decisions(record_a, record_b, decision, decided_at, "by") VALUES (?, ?, ?, ?, ?) '
        "ON CONFLICT(record_a, record_b) DO UPDATE SET decision = excluded.decision, "
        'decided_at = excluded.decided_at, "by" = excluded."by"',
        rows,
    )


def record_decisions(store: Store, rows: Iterable[tuple[str, str, str]], by: str) -> int:
    """Store user decisions (later ones replace earlier ones on the same pair); returns how many."""
    ensure_dedupe_tables(store)
    table_rows = normalized_decisions(rows, by)
    with store.transaction() as conn:
        _upsert_decisions(conn, table_rows)
    return len(table_rows)


def load_decisions(store: Store) -> pl.DataFrame:
    ensure_dedupe_tables(store)
    return store.query_frame(
        'SELECT record_a, record_b, decision, decided_at, "by" FROM decisions ORDER BY decided_at, rowid'
    )


# --- reads ---------------------------------------------------------------------------------


def load_assignments(store: Store) -> pl.DataFrame:
    """record_id, person_id, fingerprint of the last run (empty before the first)."""
    ensure_dedupe_tables(store)
    return _query(store, "SELECT record_id, person_id, fingerprint FROM assignments", {}, "assignments")


def load_review_queue(store: Store) -> pl.DataFrame:
    """The uncertain pairs of the last run, most likely first; ``reasons`` as a list."""
    ensure_dedupe_tables(store)
    frame = _query(
        store,
        "SELECT rank, record_a, record_b, person_a, person_b, probability, reasons FROM review_queue "
        "ORDER BY rank",
        {"rank": pl.Int64},
        "review_queue",
    )
    return frame.with_columns(
        pl.col("probability").cast(pl.Float64), pl.col("reasons").str.json_decode(pl.List(pl.String))
    )


def load_model(store: Store) -> dict | None:
    raw = store.get_meta(MODEL_KEY)
    return json.loads(raw)["model"] if raw else None


def has_run(store: Store) -> bool:
    return has_people_table(store)


def records_for_dedupe(store: Store, where: str = "", params: tuple = ()) -> pl.DataFrame:
    """Stored records (:data:`DEDUPE_COLUMNS`) plus ``imported_at`` of their file (survivorship's
    "most recent"), one query; columnar when the run holds an ADBC connection. ``where`` (on
    ``r``, the records) reads only some, still in import order, with their ``_rowid``."""
    columns = ", ".join(f"r.{c}" for c in DEDUPE_COLUMNS) + (", r.rowid AS _rowid" if where else "")
    sql = (
        f"SELECT {columns}, s.imported_at FROM records r JOIN sources s USING (source_id) "
        f"{'WHERE ' + where if where else ''} ORDER BY r.rowid"
    )
    schema = {**DEDUPE_COLUMNS, "_rowid": pl.Int64}
    if where or not isinstance(store.conn, _ArrowConn):
        return _query(store, sql, schema, "records", params)
    n, lo, hi = (store.conn.execute(q).fetchone()[0] for q in _EXTENT)
    if not n:
        return _query(store, sql, schema, "records", params)
    # Every record, in rowid windows of about READ_SLICE records decoded one at a time: the Arrow
    # table, its raw text and the decoded frame of the whole store are never alive at once.
    width = -(-READ_SLICE * (hi - lo + 1) // n)  # rowids per window: gaps (re-imports) widen it
    windows = [(start, start + width) for start in range(lo - 1, hi, width)]
    sql = sql.replace(" FROM records", ", r.rowid AS _rowid FROM records").replace(
        "ORDER BY r.rowid", "WHERE r.rowid > ? AND r.rowid <= ? ORDER BY r.rowid"
    )
    slices: list[pl.DataFrame] = []
    with _second_reader(store) as other, helper_threads(2) as beside:
        # Two connections read the next two windows beside the main thread's copy of this one's text.
        free: queue.SimpleQueue = queue.SimpleQueue()
        for conn in (store.conn, other):
            if conn is not None:
                free.put(conn)

        def read(window: tuple[int, int]) -> pl.DataFrame:
            conn = free.get()
            try:
                return _query(store, sql, schema, "records", window, rows=width, conn=conn)
            finally:
                free.put(conn)

        later = iter(windows[2:])
        ahead = collections.deque(beside.submit(read, w) for w in windows[:2])
        while ahead:
            part = ahead.popleft().result()
            window = next(later, None)
            if window is not None:
                ahead.append(beside.submit(read, window))
            if part.height:
                slices.append(_owned_text(part.drop("_rowid")))
    return pl.concat(slices, rechunk=False)


#: How many records, and the first and last rowid (each its own query: SQLite answers a lone
#: min() or max() from the edge of the table's B-tree).
_EXTENT = ("SELECT count(*) FROM records", "SELECT min(rowid) FROM records", "SELECT max(rowid) FROM records")


@contextlib.contextmanager
def _second_reader(store: Store) -> Iterator[_ArrowConn | None]:
    """Another ADBC connection on the store, for reading beside the run's own (SQLite reads on
    two connections run on two cores); None when this connection has written anything (the other
    would not see it) or the store cannot be opened again."""
    import adbc_driver_sqlite.dbapi as adbc

    if store.conn.execute("SELECT total_changes()").fetchone()[0]:
        yield None
        return
    try:
        conn = adbc.connect(str(store.path), autocommit=True)
    except adbc.Error:
        yield None
        return
    with contextlib.closing(conn), contextlib.closing(conn.cursor()) as cur:
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        yield _ArrowConn(cur)


#: Record columns that repeat one long value through a file (its path, its import time, a school).
_REPEATED = ("source_file", "imported_at", "school")


def _owned_text(frame: pl.DataFrame) -> pl.DataFrame:
    """A slice of records with its text copied out of the Arrow batch it was read in
    (:func:`pipeline.store.owned_text`: about half the records frame at 10^6), each file path,
    import time and school held once."""
    return owned_text(frame, repeated=_REPEATED)


def _records_by_id(store: Store, ids: pl.Series) -> pl.DataFrame:
    return records_for_dedupe(store, "r.record_id IN (SELECT value FROM json_each(?))", (_json_ids(ids),))


def _json_ids(ids: pl.Series) -> str:
    return json.dumps(ids.cast(pl.String).drop_nulls().unique().to_list())


def _assignments_where(store: Store, where: str, ids: pl.Series) -> pl.DataFrame:
    """Rows of ``assignments`` whose ``where`` column is one of ``ids`` (one JSON array, no loop)."""
    sql = (
        "SELECT record_id, person_id, fingerprint FROM assignments "
        f"WHERE {where} IN (SELECT value FROM json_each(?))"
    )
    return _query(store, sql, {}, "assignments", (_json_ids(ids),)).cast(pl.String)


# --- columnar I/O --------------------------------------------------------------------------


class _ArrowConn:
    """What a run calls on a ``sqlite3.Connection`` (``execute`` → cursor), over one ADBC cursor,
    so the store's small reads and writes run unchanged while the bulk ones go through Arrow."""

    in_transaction = True  # never start another ADBC swap inside a run

    def __init__(self, cur: Any) -> None:
        self.cur = cur

    def execute(self, sql: str, params: tuple = ()) -> Any:
        self.cur.execute(sql, tuple(params) or None)
        return self.cur

    def close(self) -> None:
        """The ADBC connection is closed by :func:`_columnar`, not by the store."""

    def frame(self, sql: str, rows: int, params: tuple = ()) -> pl.DataFrame:
        # The driver infers each column's type from the first batch: a column NULL in its first
        # rows would come back as integers and fail on the first text, so the batch takes every row.
        self.cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(max(rows, 1024))})
        self.cur.execute(sql, tuple(params) or None)
        return pl.from_arrow(self.cur.fetch_arrow_table())

    def ingest(self, table: str, frame: pl.DataFrame | pa.Table) -> None:
        data = frame.to_arrow() if isinstance(frame, pl.DataFrame) else frame
        if data.num_rows:
            self.cur.adbc_ingest(table, data, mode="append")


@contextlib.contextmanager
def _columnar(store: Store, rows: int, *, whole: bool = False) -> Iterator[None]:
    """Hold the store through the ADBC driver for a bulk run (``rows`` records), else do nothing.

    Through :meth:`Store.bulk_cursor` (the ``sqlite3`` connection is closed while ADBC holds the
    file and reopened after); the caller's transaction is the ADBC connection's own. ``whole``:
    the run rewrites every person and assignment, whose pages go into the file once
    (:func:`pipeline.store._written_once`) instead of into the WAL and again at its checkpoint.
    """
    if rows < ADBC_MIN_ROWS or not _adbc_available() or store.conn.in_transaction:
        yield
        return
    with store.bulk_cursor() as cur, _written_once(cur) if whole else contextlib.nullcontext():
        store.conn = _ArrowConn(cur)  # type: ignore[assignment]
        yield


def _query(
    store: Store,
    sql: str,
    schema: dict[str, pl.DataType],
    table: str,
    params: tuple = (),
    rows: int | None = None,
    conn: _ArrowConn | None = None,
) -> pl.DataFrame:
    """A SELECT over ``table`` (at most ``rows`` rows, default all) as a typed frame: Arrow over ADBC
    inside :func:`_columnar` (on ``conn`` if given), else ``sqlite3`` rows."""
    conn = conn or store.conn
    if not isinstance(conn, _ArrowConn):
        return store.query_frame(sql, params, schema=schema)
    frame = conn.frame(sql, rows or store.count(table), params)
    # A column with no value at all comes back as integers; the stored text types say otherwise.
    raw = {
        n: pl.Int64 if schema.get(n) in (pl.Int32, pl.Int64) else pl.Float64 if t == pl.Float64 else pl.String
        for n, t in frame.schema.items()
    }
    frame = frame.cast(raw)
    return decode_from_sql(frame, schema)


def fingerprints(records: pl.DataFrame) -> pl.Series:
    """A content hash per record (the store's ``records.fingerprint`` of the same content): a
    record whose fingerprint changed is re-examined next run.

    Hashed a slice at a time: the encoded text of a million records is never whole (it may run
    beside the engine's peaks)."""
    slices = records.select(list(CANONICAL)).iter_slices(READ_SLICE)
    hashed = [fingerprint(encode_for_sql(part)) for part in slices]
    return pl.concat(hashed) if hashed else pl.Series("fingerprint", [], dtype=pl.String)


# --- the run -------------------------------------------------------------------------------


@dataclass
class DedupeRun:
    """What one run did (``kith dedupe --json`` prints :meth:`to_json`)."""

    records: int
    people: int
    merged_people: int
    review: int
    decisions: int
    sheet_decisions: int = 0
    refit: bool = False
    stats: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "people": self.people,
            "merged_people": self.merged_people,
            "records_merged_away": self.records - self.people,
            "review": self.review,
            "decisions": self.decisions,
            "sheet_decisions": self.sheet_decisions,
            "model_refit": self.refit,
            "warnings": self.warnings,
            "stats": self.stats,
        }


def _stored_model(store: Store, n: int) -> dict | None:
    """The stored model if it still fits the data, else None."""
    raw = store.get_meta(MODEL_KEY)
    if not raw:
        return None
    stored = json.loads(raw)
    fitted = max(int(stored.get("fitted_records", 0)), 1)
    if abs(n - fitted) / fitted > REFIT_CHANGE:
        return None
    return stored.get("model")


def _resolve(
    records, previous, decisions, settings, model, progress=None, **more
) -> tuple[DedupeResult, bool]:
    if model is not None:
        try:
            return resolve(
                records,
                previous=previous,
                decisions=decisions,
                settings=settings,
                model=model,
                progress=progress,
                **more,
            ), False
        except Exception:  # noqa: BLE001 - a model stored by another kith version: fit a fresh one
            pass
    return resolve(
        records, previous=previous, decisions=decisions, settings=settings, progress=progress, **more
    ), True


def _insert_frame(conn: sqlite3.Connection | _ArrowConn, table: str, frame: pl.DataFrame) -> None:
    """Append ``frame`` to ``table`` (lists and dates through :func:`encode_for_sql`) a slice at a
    time, so the encoded text and the Arrow copy of a million people are never whole at once."""
    if isinstance(conn, _ArrowConn):
        slices = frame.iter_slices(READ_SLICE)
        # The next slice is encoded on a helper thread while SQLite ingests this one (the driver
        # releases the GIL).
        with helper_threads(inline=frame.height < THREADED_ROWS) as beside:
            pending = beside.submit(_next_arrow, slices)
            while (batch := pending.result()) is not None:
                pending = beside.submit(_next_arrow, slices)
                conn.ingest(table, batch)
        return
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * frame.width)})"
    for batch in frame.iter_slices(50_000):
        batch = encode_for_sql(batch)
        conn.executemany(sql, zip(*(batch[c].to_list() for c in batch.columns), strict=True))


def _next_arrow(slices: Iterator[pl.DataFrame]) -> pa.Table | None:
    """The next of ``slices`` encoded for SQL, as Arrow; None after the last."""
    part = next(slices, None)
    return None if part is None else encode_for_sql(part).to_arrow()


def _state_stamp(store: Store, settings: DedupeSettings) -> str:
    """A digest of everything a resolve depends on: sources, records, decisions, settings."""
    queries = (
        "SELECT group_concat(source_id || ':' || content_hash) FROM sources",
        "SELECT count(*), max(rowid) FROM records",
        # a decision flipped within the same second changes the sum, not the count or the time
        "SELECT count(*), max(decided_at), sum(decision = 'same') FROM decisions",
    )
    parts = [store.conn.execute(sql).fetchone() for sql in queries] + [repr(settings)]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _unchanged_run(store: Store, warnings: list[str]) -> DedupeRun:
    """The run that changed no people: the last run's counts (its stats, not a scan of people)."""
    return DedupeRun(
        records=store.count("records"),
        people=store.count("people"),
        merged_people=_merged_before(store),
        review=store.count("review_queue"),
        decisions=store.count("decisions"),
        stats={"unchanged": True},
        warnings=warnings,
    )


def store_sheet_decisions(store: Store, sheets: Iterable[SheetDecisions]) -> tuple[int, list[str]]:
    """Store the decisions read back from filled review files (the run's feedback stage).

    Each file is applied once per content: one whose digest was applied before is skipped
    unless it says ``force`` (a file the user named). Returns how many answers (filled rows)
    were applied — one answer about two people is stored as a decision per pair of their
    records — and a warning per row that could not be used.
    """
    ensure_dedupe_tables(store)
    applied = json.loads(store.get_meta(SHEETS_KEY) or "[]")
    rows: list[tuple[str, str, str, str, str]] = []
    warnings: list[str] = []
    answers = 0
    for sheet in sheets:
        if sheet.digest in applied and not sheet.force:
            continue
        warnings += sheet.warnings
        answers += len(sheet.rows)
        found = whole_people(list(sheet.rows), _assignments_around(store, sheet.rows))
        rows += normalized_decisions(found, by=f"sheet:{Path(sheet.source).name}")
        if sheet.digest not in applied:
            applied.append(sheet.digest)
    with store.transaction() as conn:
        _upsert_decisions(conn, rows)
        store.set_meta(SHEETS_KEY, json.dumps(applied[-200:]), conn)
    return answers, warnings


def _assignments_around(store: Store, rows: Iterable[tuple[str, str, str]]) -> pl.DataFrame:
    """The assignments of every record of the people the decisions ``rows`` name: what
    :func:`whole_people` needs of them, not a million rows read for a handful of answers."""
    ids = pl.Series("record_id", [r for a, b, _ in rows for r in (a, b)], dtype=pl.String)
    if not ids.len():
        return pl.DataFrame(schema={"record_id": pl.String, "person_id": pl.String, "fingerprint": pl.String})
    return _assignments_where(store, "person_id", _assignments_where(store, "record_id", ids)["person_id"])


def dedupe_store(
    store: Store,
    settings: DedupeSettings | None = None,
    *,
    refit: bool = False,
    full: bool = False,
    progress: StageProgress | None = None,
) -> DedupeRun:
    """Resolve the store's records into people, incrementally, in one transaction.

    :param refit: fit a new model even when the stored one still fits the data.
    :param full: a full resolve: every record examined again (none settled), a new model.
    :param progress: told when each stage of :data:`pipeline.dedupe.resolve.STAGES` starts.

    A store resolved before, with its model and key index, examines only the new and changed
    records (and the people decisions touch) against the records they share a block key with
    (:func:`_incremental_run`); otherwise every record is read (:func:`_whole_run`).
    """
    from pipeline.dedupe import key_index  # numpy: only when a run resolves

    settings = settings or DedupeSettings()
    ensure_dedupe_tables(store)
    warnings: list[str] = []
    stamp = _state_stamp(store, settings)
    if not (refit or full) and store.get_meta(STAMP_KEY) == stamp:
        # Nothing that decides people changed since the last run: the weekly re-run of an
        # unchanged million-record directory costs a few queries, not a resolve.
        return _unchanged_run(store, warnings)
    if store.count("records") == 0:  # nothing imported (or everything removed): no people
        with store.transaction() as conn:
            conn.execute(_people_table_sql())
            for table in ("people", "assignments", "review_queue"):
                conn.execute(f"DELETE FROM {table}")
            note_people_written(conn, None)
            _set_stats(store, conn, {}, 0)
            store.set_meta(STAMP_KEY, stamp, conn)
            store.set_meta(INDEX_KEY, "", conn)
        key_index.clean(key_index.index_dir(store.path), None)
        return _unchanged_run(store, warnings)

    n_records = store.count("records")
    rules = default_rules()
    writer: key_index.IndexWriter | None = None
    try:
        # A first resolve (or a full one) writes a million people and assignments in one go.
        whole = refit or full or not has_people_table(store)
        with _columnar(store, n_records, whole=whole), store.transaction() as conn:
            _upgrade_fingerprints(store, conn)
            run = None if (refit or full) else _incremental_run(store, conn, settings, rules, progress)
            if run is None:
                writer = key_index.IndexWriter(key_index.index_dir(store.path))
                run = _whole_run(store, conn, settings, writer, refit=refit, full=full, progress=progress)
            store.set_meta(STAMP_KEY, _state_stamp(store, settings), conn)
    except BaseException:
        if writer is not None:
            writer.discard()
        raise
    raw = store.get_meta(INDEX_KEY)
    key_index.clean(key_index.index_dir(store.path), json.loads(raw) if raw else None)
    run.warnings = warnings + run.warnings
    return run


def _source_marks(store: Store) -> dict[str, str]:
    """Per source, what its records are: importing a file again replaces all of its records (new
    rowids, perhaps reused ones), so a source whose mark changed has every record to look at."""
    rows = store.conn.execute("SELECT source_id, content_hash, imported_at FROM sources").fetchall()
    return {str(sid): f"{digest}|{at}" for sid, digest, at in rows}


def _whole_run(
    store: Store,
    conn: sqlite3.Connection,
    settings: DedupeSettings,
    writer: key_index.IndexWriter,
    *,
    refit: bool,
    full: bool,
    progress: StageProgress | None,
) -> DedupeRun:
    """Every record read and resolved (unchanged ones settled unless ``full``); a new key index."""
    tell = progress or (lambda _stage, _detail: None)
    n_records = store.count("records")
    tell("read", f"{n_records:,} records")
    marks = _source_marks(store)
    records = records_for_dedupe(store)
    decisions = load_decisions(store)
    last = load_assignments(store)
    model = None if (refit or full) else _stored_model(store, records.height)
    # The reads filled the connection's page cache (the bulk session's is large, for the write's
    # index builds): hand it back before the engine's peaks; the write fills it again.
    conn.execute("PRAGMA shrink_memory")
    with helper_threads(inline=records.height < THREADED_ROWS) as beside:
        # With no last run the fingerprints are only written: hashed beside the engine, as is the
        # record id order the assignments are written in.
        printed = beside.submit(fingerprints, records)
        by_id = beside.submit(records["record_id"].arg_sort)
        previous = last
        if last.height:  # unchanged records keep their person (settled); the others are examined
            current = pl.DataFrame({"record_id": records["record_id"], "fingerprint": printed.result()})
            previous = last.join(current, on=["record_id", "fingerprint"], how="semi")
            del current
        result, refitted = _resolve(
            records,
            previous.select("record_id", "person_id"),
            decisions,
            settings,
            model,
            progress,
            settle=not full,
            keep_keys=writer,
            keep_pairs=False,
        )
        prints, order = printed.result(), by_id.result()
    # The write needs the ids alone: the records frame goes before the people are encoded.
    records = records.select("record_id")
    tell("write", f"{result.people.height:,} people")
    queue = _review_queue(result, load_review_queue(store), previous["record_id"], decisions)
    del previous
    _write(conn, store, records, prints, result, queue, last, settings, refitted, order)
    n_people, merged = result.people.height, int((result.people["record_ids"].list.len() > 1).sum())
    result.people = result.people.clear()  # written: gone before the key index is built
    rules = default_rules()
    store.set_meta(INDEX_KEY, json.dumps(writer.finish(records["record_id"], rules, marks)), conn)
    _set_stats(store, conn, result.stats, merged)
    return DedupeRun(
        records=records.height,
        people=n_people,
        merged_people=merged,
        review=queue.height,
        decisions=decisions.height,
        refit=refitted,
        stats=result.stats,
    )


def _set_stats(store: Store, conn: sqlite3.Connection, stats: dict, merged: int) -> None:
    stats = {**stats, "merged_people": merged, "ran_at": _now()}
    store.set_meta(STATS_KEY, json.dumps(stats, default=str), conn)


@dataclass
class _Changes:
    """What changed since the last run, by record id: the records to examine and who they touch."""

    examined: pl.DataFrame  # the records themselves: new, changed, in a person a decision splits
    deleted: pl.DataFrame  # record_id, person_id, fingerprint of assignments whose record is gone
    touched: pl.Series  # record ids whose people must be resolved again with the examined ones
    decisions: pl.DataFrame


#: meta key: which fingerprints the assignments and records hold ("2": without the row's place).
FINGERPRINTS_KEY = "dedupe.fingerprints"
FINGERPRINTS_VERSION = "2"


def _upgrade_fingerprints(store: Store, conn: sqlite3.Connection | _ArrowConn) -> None:
    """A store resolved by a kith whose fingerprints held each row's place in its file, once: the
    assignments whose record still has the content they were resolved at, and every record, get
    today's fingerprint (else every record would look changed and be examined again)."""
    if store.get_meta(FINGERPRINTS_KEY) == FINGERPRINTS_VERSION:
        return
    if store.count("assignments"):
        records = records_for_dedupe(store).select(list(CANONICAL))
        parts = [encode_for_sql(part) for part in records.iter_slices(READ_SLICE)]
        prints = pl.DataFrame(
            {
                "record_id": records["record_id"].cast(pl.String),
                "new": pl.concat([fingerprint(part) for part in parts]),
                "old": pl.concat([fingerprint(part, with_place=True) for part in parts]),
            }
        )
        del records, parts
        last = load_assignments(store).cast(pl.String)
        settled = last.join(prints, on="record_id").filter(pl.col("fingerprint") == pl.col("old"))
        for table, changed in (("assignments", settled), ("records", prints)):
            update_by_json(
                conn.execute, table, changed.select("record_id", pl.col("new").alias("fingerprint"))
            )
    store.set_meta(FINGERPRINTS_KEY, FINGERPRINTS_VERSION, conn)


#: Past this many records in the sources imported since, their fingerprints and every assignment's
#: are read and compared in polars; fewer are looked up one at a time by SQLite's join.
COMPARE_IN_POLARS_ROWS = 50_000


def _unsettled(store: Store, imported: list[str]) -> pl.Series:
    """Ids of the records of the sources ``imported`` whose stored fingerprint is not the one their
    person was resolved at (new records have no assignment, a store from before fingerprints NULL)."""
    ids = json.dumps(imported)
    in_sources = "source_id IN (SELECT value FROM json_each(?))"
    held = store.conn.execute(
        f"SELECT coalesce(sum(record_count), 0) FROM sources WHERE {in_sources}", (ids,)
    ).fetchone()[0]
    text = {"record_id": pl.String, "fingerprint": pl.String}
    if held < COMPARE_IN_POLARS_ROWS:
        sql = (
            "SELECT r.record_id FROM records r LEFT JOIN assignments a USING (record_id) "
            f"WHERE r.{in_sources} AND (r.fingerprint IS NULL OR a.fingerprint IS NOT r.fingerprint)"
        )
        return _query(store, sql, {"record_id": pl.String}, "records", (ids,))["record_id"]
    # A million random lookups into the assignments cost SQLite seconds; two columnar reads do not.
    stored = _query(
        store, f"SELECT record_id, fingerprint FROM records WHERE {in_sources}", text, "records", (ids,)
    )
    assigned = _query(store, "SELECT record_id, fingerprint FROM assignments", text, "assignments")
    return stored.join(assigned, on=["record_id", "fingerprint"], how="anti")["record_id"]


def _changes(store: Store, marks: dict[str, str]) -> _Changes:
    """New and changed records (of a source whose mark is not in ``marks``, with a fingerprint
    their assignment does not have), deleted ones, decisions."""
    now = _source_marks(store)
    imported = [sid for sid, mark in now.items() if marks.get(sid) != mark]
    # A directory imported again reads its few hundred new members only.
    fresh = _records_by_id(store, _unsettled(store, imported))
    known = _assignments_where(store, "record_id", fresh["record_id"])
    current = pl.DataFrame(
        {"record_id": fresh["record_id"].cast(pl.String), "fingerprint": fingerprints(fresh)}
    )
    # A source imported again re-inserts its records: those whose content is unchanged stay settled.
    examine = current.join(known, on=["record_id", "fingerprint"], how="anti")["record_id"]
    new = fresh.height - known.height
    deleted = pl.DataFrame(schema={"record_id": pl.String, "person_id": pl.String, "fingerprint": pl.String})
    if store.count("records") - new != store.count("assignments"):
        deleted = _query(
            store,
            "SELECT record_id, person_id, fingerprint FROM assignments a "
            "WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.record_id = a.record_id)",
            {},
            "assignments",
        ).cast(pl.String)
    decisions = load_decisions(store)
    named = pl.concat([decisions["record_a"], decisions["record_b"]]).cast(pl.String)
    # A person a "different" decision splits is examined again from scratch (as resolve does).
    person = _assignments_where(store, "record_id", named).select("record_id", "person_id")
    apart = decisions.filter(pl.col("decision") == "different").select(
        pl.col("record_a").cast(pl.String).alias("record_id"), pl.col("record_b").cast(pl.String).alias("b")
    )
    split = (
        apart.join(person, on="record_id")
        .join(person.rename({"record_id": "b", "person_id": "pb"}), on="b")
        .filter(pl.col("person_id") == pl.col("pb"))["person_id"]
    )
    if split.len():
        members = _assignments_where(store, "person_id", split)["record_id"]
        examine = pl.concat([examine, members]).unique()
    examined = fresh.filter(pl.col("record_id").is_in(examine.implode()))
    rest = examine.filter(~examine.is_in(examined["record_id"].implode()))
    if rest.len():
        examined = pl.concat([examined, _records_by_id(store, rest)], how="vertical_relaxed")
    touched = pl.concat([examined["record_id"].cast(pl.String), deleted["record_id"], named])
    return _Changes(examined, deleted, touched, decisions)


def _incremental_run(
    store: Store,
    conn: sqlite3.Connection,
    settings: DedupeSettings,
    rules: list,
    progress: StageProgress | None,
) -> DedupeRun | None:
    """Resolve only what changed against the records it shares a block key with; None when the
    store has no usable key index or model, or the settings changed (a whole run is due)."""
    from pipeline.dedupe import key_index  # numpy: only when a run resolves

    index = key_index.KeyIndex.open(store.path, store.get_meta(INDEX_KEY), rules)
    n_records = store.count("records")
    if index is None or not has_people_table(store) or store.get_meta(SETTINGS_KEY) != repr(settings):
        return None
    model = _stored_model(store, n_records)
    if model is None:
        return None
    tell = progress or (lambda _stage, _detail: None)
    tell("read", f"{n_records:,} records, incremental")
    changes = _changes(store, index.meta.get("mark") or {})
    examined = changes.examined
    # Block keys of the examined records, looked up in the index: the pairs a full blocking would find.
    feats = build_features(examined.drop("_rowid")) if examined.height else None
    slots = index.add(feats, examined["record_id"], rules, index.slots_of(changes.deleted["record_id"]))
    found = index.pairs(slots, rules)
    ids = index.ids
    found = found.select(ids.gather(found["a"]).alias("a"), ids.gather(found["b"]).alias("b"), "rule")
    # Whole people: every person a partner, a decision, a changed or deleted record belongs to.
    last, context = _whole_people(store, pl.concat([changes.touched, found["b"]]), changes, examined)
    subset = pl.concat([examined, context], how="vertical_relaxed")
    if subset.height:
        # An e-mail or phone on the records of three or more families is nobody's (features'
        # `personal`): count every holder of the subset's, as a resolve of every record does.
        contact = [_RULES["email"], _RULES["phone"]]
        holders = index.holders(build_features(subset.drop("_rowid")), rules, contact)
        grown = _with_holders(store, holders, changes, subset, last)
        if grown is not None:
            subset, last = grown
    if subset.is_empty():  # records imported again unchanged (or only gone): nothing to resolve
        _forget_deleted(conn, changes.deleted)
        store.set_meta(INDEX_KEY, json.dumps(index.write(_source_marks(store), rules)), conn)
        run = _unchanged_run(store, [])
        run.stats = {"incremental": True, "examined_records": 0}
        return run
    return _resolve_subset(store, conn, settings, model, subset, changes, last, found, index, progress)


def _forget_deleted(conn: sqlite3.Connection | _ArrowConn, deleted: pl.DataFrame) -> None:
    """Records gone with nothing left to resolve (every record of their people is gone, or those
    would be resolved): their assignments, their people and the review pairs naming them go."""
    if deleted.is_empty():
        return
    persons = deleted["person_id"].unique()
    _delete_ids(conn, "assignments", "record_id", deleted["record_id"])
    _delete_ids(conn, "people", "person_id", persons)
    ids = _json_ids(deleted["record_id"])
    conn.execute(
        "DELETE FROM review_queue WHERE record_a IN (SELECT value FROM json_each(?)) "
        "OR record_b IN (SELECT value FROM json_each(?))",
        (ids, ids),
    )
    note_people_written(conn, persons.to_list())  # what the people snapshot must re-read


def _whole_people(
    store: Store, touched: pl.Series, changes: _Changes, examined: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Last run's assignments of every person holding a ``touched`` record (and the deleted
    records'), and the stored records of those people that are not ``examined``."""
    persons = _assignments_where(store, "record_id", touched)["person_id"]
    last = pl.concat([_assignments_where(store, "person_id", persons), changes.deleted]).unique("record_id")
    wanted = last.filter(~pl.col("record_id").is_in(examined["record_id"].implode()))["record_id"]
    return last, _records_by_id(store, wanted)


#: Blocking rule codes by name: the name rule's keys are the names (nickname keys with the family
#: skeleton), the e-mail and phone rules' the contact points.
_RULES = {r.name: code for code, r in enumerate(default_rules())}


def _with_holders(
    store: Store, holders: pl.Series, changes: _Changes, subset: pl.DataFrame, last: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The subset and last assignments grown by the ``holders`` not in them yet (with their whole
    people); None when there are none."""
    more = holders.filter(
        ~holders.is_in(last["record_id"].implode()) & ~holders.is_in(subset["record_id"].implode())
    )
    if not more.len():
        return None
    more_last, more_context = _whole_people(store, more, changes, subset)
    last = pl.concat([last, more_last]).unique("record_id", keep="first")
    return pl.concat([subset, more_context], how="vertical_relaxed"), last


def _subset_result(
    subset: pl.DataFrame,
    last: pl.DataFrame,
    changes: _Changes,
    found: pl.DataFrame,
    settings: DedupeSettings,
    model: dict,
    progress: StageProgress | None,
) -> tuple[DedupeResult, pl.DataFrame, pl.Series]:
    """``resolve`` over the subset, in import order, with the index's pairs: (result, records, prints)."""
    records = subset.sort("_rowid").drop("_rowid")
    prints = fingerprints(records)
    current = pl.DataFrame({"record_id": records["record_id"].cast(pl.String), "fingerprint": prints})
    previous = last.join(current, on=["record_id", "fingerprint"], how="semi")
    at = current.with_row_index("i").select("record_id", "i")
    pairs = (
        found.join(at.rename({"record_id": "a"}), on="a")
        .join(at.rename({"record_id": "b", "i": "j"}), on="b")
        .select("i", "j", "rule")
    )
    result = resolve(
        records,
        previous=previous.select("record_id", "person_id"),
        decisions=changes.decisions,
        settings=settings,
        model=model,
        progress=progress,
        pairs=pairs,
    )
    return result, records, prints


def _resolve_subset(
    store: Store,
    conn: sqlite3.Connection,
    settings: DedupeSettings,
    model: dict,
    subset: pl.DataFrame,
    changes: _Changes,
    last: pl.DataFrame,
    found: pl.DataFrame,
    index: key_index.KeyIndex,
    progress: StageProgress | None,
) -> DedupeRun | None:
    """Resolve ``subset`` (examined records and whole people around them) with the stored model and
    write what changed; None when a new person id would clash with one outside the subset."""
    tell = progress or (lambda _stage, _detail: None)
    result, records, prints = _subset_result(subset, last, changes, found, settings, model, progress)
    # Name crowding counts every record of a listing under a name: when a name-only pair's names
    # have holders the subset lacks (a name held past its block's cap), read them, with their
    # people, and resolve again.
    crowded = records.filter(pl.col("record_id").is_in(crowding_records(result.pairs, settings).implode()))
    if crowded.height:
        holders = index.holders(build_features(crowded), default_rules(), [_RULES["name"]])
        grown = _with_holders(store, holders, changes, subset, last)
        if grown is not None:
            subset, last = grown
            result, records, prints = _subset_result(subset, last, changes, found, settings, model, progress)
    born = result.people["person_id"].filter(~result.people["person_id"].is_in(last["person_id"].implode()))
    clash = conn.execute(
        "SELECT count(*) FROM people WHERE person_id IN (SELECT value FROM json_each(?))", (_json_ids(born),)
    ).fetchone()[0]
    if clash:
        return None
    tell("write", f"{result.people.height:,} people (from {records.height:,} records)")
    unsettled = pl.concat([changes.examined["record_id"].cast(pl.String), changes.deleted["record_id"]])
    queue = _review_queue(result, load_review_queue(store), None, changes.decisions, unsettled)
    _write(conn, store, records, prints, result, queue, last, settings, False)
    store.set_meta(INDEX_KEY, json.dumps(index.write(_source_marks(store), default_rules())), conn)
    before = int((last.group_by("person_id").len()["len"] > 1).sum())
    after = int((result.people["record_ids"].list.len() > 1).sum())
    merged = _merged_before(store) - before + after
    n_records = store.count("records")
    stats = {
        **result.stats,
        "records": n_records,
        "settled_records": n_records - changes.examined.height,
        "incremental": True,
        "examined_records": changes.examined.height,
        "context_records": records.height,
    }
    _set_stats(store, conn, stats, merged)
    return DedupeRun(
        records=n_records,
        people=store.count("people"),
        merged_people=merged,
        review=queue.height,
        decisions=changes.decisions.height,
        stats=stats,
    )


def _merged_before(store: Store) -> int:
    """People of more than one record after the last run (its stats, else counted)."""
    stats = json.loads(store.get_meta(STATS_KEY) or "{}")
    if "merged_people" in stats:
        return int(stats["merged_people"])
    merged = "SELECT count(*) FROM people WHERE json_array_length(record_ids) > 1"
    return int(store.conn.execute(merged).fetchone()[0])


def _review_queue(
    result: DedupeResult,
    old: pl.DataFrame,
    settled: pl.Series | None,
    decisions: pl.DataFrame,
    unsettled: pl.Series | None = None,
) -> pl.DataFrame:
    """This run's uncertain pairs plus last run's still-open ones, one pair per two people.

    Pairs among settled records are not compared again, so an undecided pair of last run
    would vanish from review without this carry-over; it stays while both records are
    unchanged, still in two different people, and nobody has decided it. ``settled``: the
    settled record ids; or ``unsettled``: the others (an incremental run, whose ``result``
    holds only some people: the pairs of the people it does not hold are kept as they were).
    """
    person = result.assignments.select("record_id", "person_id")
    fresh = result.review.select("record_a", "record_b", "probability", "reasons")
    columns = ("record_a", "record_b", "probability", "reasons")
    if settled is not None:
        ok = pl.col("record_a").is_in(settled.implode()) & pl.col("record_b").is_in(settled.implode())
    else:
        assert unsettled is not None
        gone = unsettled.implode()
        ok = ~pl.col("record_a").is_in(gone) & ~pl.col("record_b").is_in(gone)
    kept = old.filter(ok).select(*columns)
    outside = old.select(*columns, "person_a", "person_b").clear()
    if settled is None:
        # Pairs of people this run did not resolve: as they were (their people did not change).
        inside = pl.col("record_a").is_in(person["record_id"].implode()) | pl.col("record_b").is_in(
            person["record_id"].implode()
        )
        outside = old.filter(ok & ~inside).select(*columns, "person_a", "person_b")
        kept = kept.filter(inside)
        # The other side of a pair may be a person this run did not hold: its person is as it was.
        sides = old.filter(ok & inside)
        was = pl.concat(
            [
                sides.select(pl.col("record_a").alias("record_id"), pl.col("person_a").alias("person_id")),
                sides.select(pl.col("record_b").alias("record_id"), pl.col("person_b").alias("person_id")),
            ]
        ).filter(~pl.col("record_id").is_in(person["record_id"].implode()))
        person = pl.concat([person, was.unique("record_id").cast(person.schema)])
    decided = decisions.select(
        pl.min_horizontal("record_a", "record_b").alias("_a"),
        pl.max_horizontal("record_a", "record_b").alias("_b"),
    )
    both = (
        pl.concat([fresh, kept.cast(fresh.schema)])
        .with_columns(
            pl.min_horizontal("record_a", "record_b").alias("_a"),
            pl.max_horizontal("record_a", "record_b").alias("_b"),
        )
        .join(decided, on=["_a", "_b"], how="anti")
        .join(person.rename({"record_id": "record_a", "person_id": "person_a"}), on="record_a")
        .join(person.rename({"record_id": "record_b", "person_id": "person_b"}), on="record_b")
        .filter(pl.col("person_a") != pl.col("person_b"))
        .drop("_a", "_b")
    )
    both = (
        pl.concat([both.select(outside.columns), outside.cast(both.select(outside.columns).schema)])
        .with_columns(
            pl.min_horizontal("person_a", "person_b").alias("_pa"),
            pl.max_horizontal("person_a", "person_b").alias("_pb"),
        )
        .sort(["probability", "record_a", "record_b"], descending=[True, False, False])
        .unique(["_pa", "_pb"], keep="first", maintain_order=True)
    )
    return both.with_row_index("rank", offset=1).select(
        pl.col("rank").cast(pl.Int64),
        "record_a",
        "record_b",
        "person_a",
        "person_b",
        "probability",
        pl.struct(pl.col("reasons").alias("x"))
        .struct.json_encode()
        .str.slice(5)
        .str.head(-1)
        .alias("reasons"),
    )


def whole_people(rows: list[tuple[str, str, str]], assignments: pl.DataFrame) -> list[tuple[str, str, str]]:
    """Spread each two-record decision over every record of the two people (see :func:`decide_between`)."""
    if not rows or assignments.is_empty():
        return rows
    ids = sorted({r for a, b, _ in rows for r in (a, b)})
    involved = assignments.filter(pl.col("record_id").is_in(ids))
    members = assignments.filter(pl.col("person_id").is_in(involved["person_id"].implode()))
    person = dict(zip(involved["record_id"], involved["person_id"], strict=True))
    groups: dict[str, list[str]] = {}
    for rid, pid in zip(members["record_id"], members["person_id"], strict=True):
        groups.setdefault(pid, []).append(rid)
    out: list[tuple[str, str, str]] = []
    for a, b, decision in rows:
        pa, pb = person.get(a), person.get(b)
        left, right = groups.get(pa, [a]), groups.get(pb, [b])
        if pa is None or pb is None or pa == pb or len(left) * len(right) > MAX_DECISION_PAIRS:
            out.append((a, b, decision))  # a split inside one person stays a two-record decision
        else:
            out += [(x, y, decision) for x in left for y in right]
    return out


def _delete_ids(conn: sqlite3.Connection | _ArrowConn, table: str, column: str, ids: pl.Series) -> None:
    # One JSON array parsed by SQLite: the same statement on sqlite3 and on ADBC, no row loop.
    conn.execute(
        f"DELETE FROM {table} WHERE {column} IN (SELECT value FROM json_each(?))",
        (json.dumps(ids.cast(pl.String).drop_nulls().unique().to_list()),),
    )


def _write(
    conn: sqlite3.Connection,
    store: Store,
    records: pl.DataFrame,
    prints: pl.Series,
    result: DedupeResult,
    queue: pl.DataFrame,
    last: pl.DataFrame,
    settings: DedupeSettings,
    refitted: bool,
    order: pl.Series | None = None,
) -> None:
    """Replace people, assignments and the queue; only changed rows when the rest still holds.

    ``order``: the records' ``arg_sort`` by record id, when the caller has it."""
    ids = result.assignments["record_id"]
    if ids.len() == records.height and ids.equals(records["record_id"].cast(pl.String)):
        # The engine's assignments are in the records' order (a whole run's): no join.
        person = result.assignments["person_id"]
        assignments = pl.DataFrame({"record_id": ids, "person_id": person, "fingerprint": prints})
    else:
        order = None
        assignments = (
            pl.DataFrame({"record_id": records["record_id"], "fingerprint": prints})
            .join(result.assignments.select("record_id", "person_id"), on="record_id", how="left")
            .select("record_id", "person_id", "fingerprint")
        )
    people = result.people.select([pl.col(n).cast(t) for n, t in PEOPLE_COLUMNS.items()])
    settings_text = repr(settings)
    full = not has_people_table(store) or refitted or store.get_meta(SETTINGS_KEY) != settings_text
    conn.execute(_people_table_sql())
    ensure_views(conn)  # the views read people from now on, not records
    if full:
        conn.execute("DELETE FROM people")
        conn.execute("DELETE FROM assignments")
        # Rows in key order append to the B-trees instead of splitting pages all over them, and
        # the person index is built once at the end.
        # (merge_people already returns the people sorted by person id.)
        conn.execute("DROP INDEX IF EXISTS assignments_person")
        by_id = assignments.sort("record_id") if order is None else assignments[order]
        _write_whole(conn, store, people, by_id)
    else:
        # Only what changed: a million-row rewrite would cost more than the engine's own run.
        moved = assignments.join(last, on=["record_id", "person_id", "fingerprint"], how="anti")
        gone = last.join(assignments, on=["record_id", "person_id"], how="anti")
        dirty = pl.concat([moved["person_id"], gone["person_id"]]).unique()
        _delete_ids(conn, "people", "person_id", dirty)
        _insert_frame(conn, "people", people.filter(pl.col("person_id").is_in(dirty.implode())))
        _delete_ids(conn, "assignments", "record_id", pl.concat([moved["record_id"], gone["record_id"]]))
        _insert_frame(conn, "assignments", moved)
        note_people_written(conn, dirty.to_list())  # what the people snapshot must re-read
    store.set_meta(SETTINGS_KEY, settings_text, conn)

    conn.execute("DELETE FROM review_queue")
    _insert_frame(conn, "review_queue", queue)

    if refitted:
        store.set_meta(
            MODEL_KEY,
            json.dumps({"model": result.model, "fitted_records": records.height, "fitted_at": _now()}),
            conn,
        )


def _write_whole(
    conn: sqlite3.Connection | _ArrowConn, store: Store, people: pl.DataFrame, assignments: pl.DataFrame
) -> None:
    """Every person and assignment written into the emptied tables, and the people written as
    the store's people snapshot too, so the run's reports (and the next run) map them from the
    file instead of reading a million people back from SQLite.

    ``people`` has :data:`PEOPLE_COLUMNS` and the values the table gives back (lists, dates and
    the provenance text round-trip unchanged). The snapshot is written beside the inserts and
    named once the write is noted; a transaction rolled back later leaves a base of a generation
    no chain holds, never read and removed by the next one.
    """
    snapshot = people.height >= people_snapshot.MIN_PEOPLE
    with helper_threads(inline=people.height < THREADED_ROWS) as beside:
        written = beside.submit(people_snapshot.write_pending, store.path, people) if snapshot else None
        try:
            _insert_frame(conn, "people", people)
            _insert_frame(conn, "assignments", assignments)
            _create_index(conn, "CREATE INDEX IF NOT EXISTS assignments_person ON assignments(person_id)")
            note_people_written(conn, None)
        except BaseException:
            if written is not None:
                people_snapshot.discard(written.result())
            raise
        pending = written.result() if written is not None else None
    chain = people_snapshot.current_chain(conn)
    if pending is not None and chain is not None:
        people_snapshot.adopt(store.path, pending, chain)
    else:
        people_snapshot.discard(pending)


def _create_index(conn: sqlite3.Connection | _ArrowConn, sql: str) -> None:
    """Build an index after a bulk load with the sort's page cache (:data:`SORT_CACHE_KIB`: the
    sort's runs fit the CPU's caches), then the bulk cache again."""
    if not isinstance(conn, _ArrowConn):
        conn.execute(sql)
        return
    conn.execute(f"PRAGMA cache_size = -{SORT_CACHE_KIB}")
    try:
        conn.execute(sql)
    finally:
        conn.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")


# --- merge and split -------------------------------------------------------------------------

#: More pairs than this in one merge or split is a mistake, not a decision.
MAX_DECISION_PAIRS = 10_000


def decide_between(store: Store, left: list[str], right: list[str], decision: str, by: str) -> int:
    """Store ``decision`` for every pair of a record in ``left`` and one in ``right``.

    Two records are one human or not, so a decision about two records holds for every
    record of the two people: storing all cross pairs keeps a merge from being undone by a
    conflict between two other records of the same people.
    """
    pairs = [(a, b, decision) for a in left for b in right if a != b]
    if len(pairs) > MAX_DECISION_PAIRS:
        raise UsageError(
            f"that {decision!r} decision would cover {len(pairs):,} record pairs (limit "
            f"{MAX_DECISION_PAIRS:,}); name single records instead of whole people"
        )
    return record_decisions(store, pairs, by)


def split_records(store: Store, records: list[str], record: str | None = None, by: str = "split") -> int:
    """Store "different" between ``record`` and the rest of ``records`` (or between all of them)."""
    if record is not None:
        if record not in records:
            raise UsageError(f"record {record!r} is not one of this person's records ({', '.join(records)})")
        return decide_between(store, [record], [r for r in records if r != record], "different", by)
    pairs = [(a, b, "different") for n, a in enumerate(records) for b in records[n + 1 :]]
    if len(pairs) > MAX_DECISION_PAIRS:
        raise UsageError(f"this person has {len(records):,} records; split it with --record R instead")
    return record_decisions(store, pairs, by)

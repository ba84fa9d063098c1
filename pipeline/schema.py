"""The canonical record: one row per contact record from one source (see DESIGN.md).

Importers hand the core *raw* frames (canonical names, source text); the core validates
them here at the boundary, normalizes them, and conforms them to :data:`CANONICAL` before
they reach the store. Every error names the plugin and the column at fault.
"""

from __future__ import annotations

import polars as pl

from pipeline.errors import SchemaError
from pipeline.vocabulary import CHANNELS as CHANNELS  # the CLI reads it without loading polars

STR = pl.String
LIST_STR = pl.List(pl.String)

#: The canonical record, in column order. ``birthday`` is an ISO 8601 / RFC 6350 text
#: (``1985-04-15`` or year-less ``--04-15``): a year-less birthday is common in address
#: books, and inventing a year would be a lie.
CANONICAL: dict[str, pl.DataType] = {
    "record_id": STR,
    "source": STR,
    "source_file": STR,
    "source_ref": STR,
    "full_name": STR,
    "given_name": STR,
    "middle_name": STR,
    "family_name": STR,
    "prefix": STR,
    "suffix": STR,
    "nickname": STR,
    "emails": LIST_STR,
    "phones": LIST_STR,
    "organization": STR,
    "title": STR,
    "department": STR,
    "street": STR,
    "city": STR,
    "region": STR,
    "postal_code": STR,
    "country": STR,
    "linkedin_url": STR,
    "school": STR,
    "degree": STR,
    "class_year": pl.Int32,
    "birthday": STR,
    "connected_on": pl.Date,
    "channel": STR,
    "tags": LIST_STR,
    "notes": STR,
    "extra": STR,
}

#: Columns the core derives during normalization for matching; stored next to the record.
#: ``name_key``: "given family" lower-case, accents folded, punctuation and emoji removed;
#: ``given_key``: the folded given name, mapped to its formal name when it is a known
#: nickname (Bob → robert); ``family_key``: the folded family name.
DERIVED: dict[str, pl.DataType] = {
    "name_key": STR,
    "given_key": STR,
    "family_key": STR,
}

#: Set by the core, never by an importer.
CORE_COLUMNS = ("record_id", "source", "source_file")

MULTI_VALUED = ("emails", "phones", "tags")

#: What an importer may put in its frame: canonical fields (minus the core's) plus the
#: source's own id for the record.
RAW_COLUMNS: frozenset[str] = frozenset(CANONICAL) - set(CORE_COLUMNS) | {"source_key"}


def _allowed_raw_dtypes(column: str) -> tuple[pl.DataType, ...]:
    canonical = CANONICAL.get(column, STR)
    allowed: tuple[pl.DataType, ...] = (STR, pl.Null)
    if column in MULTI_VALUED:
        allowed += (LIST_STR, pl.List(pl.Null))
    if canonical not in allowed:
        allowed += (canonical,)
    if column == "class_year":
        allowed += (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt16, pl.UInt32, pl.Float64)
    return allowed


def validate_raw(frame: object, plugin: str) -> pl.DataFrame:
    """Check an importer's frame at the boundary; return it, or raise naming plugin and column."""
    if not isinstance(frame, pl.DataFrame):
        got = type(frame).__name__
        raise SchemaError(f"importer {plugin!r} returned records of type {got}, expected a polars DataFrame")
    if "source_ref" not in frame.columns:
        raise SchemaError(f"importer {plugin!r} returned no 'source_ref' column (where each record is)")
    for column, dtype in frame.schema.items():
        if column not in RAW_COLUMNS:
            hint = " (the core sets it)" if column in CORE_COLUMNS else " (put unmapped fields in 'extra')"
            raise SchemaError(f"importer {plugin!r} returned unknown column {column!r}{hint}")
        if dtype not in _allowed_raw_dtypes(column):
            raise SchemaError(f"importer {plugin!r} returned column {column!r} as {dtype}, expected text")
    if frame.height and frame["source_ref"].null_count():
        raise SchemaError(f"importer {plugin!r} returned rows without 'source_ref' (where each record is)")
    return frame


def conform(frame: pl.DataFrame, columns: dict[str, pl.DataType] | None = None) -> pl.DataFrame:
    """Add missing columns as nulls, cast to the canonical dtypes and order the columns.

    Columns not in the schema are dropped, so call this only on frames that were validated
    and normalized (where nothing unmapped is left outside ``extra``).
    """
    columns = columns or CANONICAL
    exprs = []
    for name, dtype in columns.items():
        if name in frame.columns:
            exprs.append(pl.col(name).cast(dtype))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(exprs)


def check_canonical(frame: pl.DataFrame, where: str) -> None:
    """Assert a frame has exactly the canonical columns and dtypes (used by tests and pipeline.testing)."""
    expected = dict(CANONICAL)
    actual = {name: frame.schema[name] for name in frame.columns if name in expected}
    missing = [name for name in expected if name not in frame.columns]
    if missing:
        raise SchemaError(f"{where}: missing canonical columns {missing}")
    wrong = {n: str(d) for n, d in actual.items() if d != expected[n]}
    if wrong:
        raise SchemaError(f"{where}: columns with wrong dtypes {wrong}")

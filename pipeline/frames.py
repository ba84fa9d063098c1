"""Vectorized helpers for importers: JSON ``extra`` objects built without per-row Python.

``extra`` holds every source field an importer did not map, as one JSON object per row,
so nothing the user gave is dropped. These expressions build and merge such objects in
polars, which keeps a million-row import out of Python loops.
"""

from __future__ import annotations

import polars as pl


def json_member(key: str, value: pl.Expr) -> pl.Expr:
    """``"key":<value as JSON>`` text, or null where ``value`` is null or blank text."""
    encoded = pl.struct(value.alias(key)).struct.json_encode()
    member = encoded.str.slice(1, encoded.str.len_chars() - 2)
    # Blank text carries nothing worth keeping.
    blank = value.is_null() | (value.cast(pl.String).str.strip_chars() == "")
    return pl.when(blank).then(None).otherwise(member)


def json_object(members: dict[str, pl.Expr]) -> pl.Expr:
    """A JSON object of the non-null members per row; null when every member is null."""
    if not members:
        return pl.lit(None, pl.String)
    parts = [json_member(key, expr) for key, expr in members.items()]
    body = pl.concat_str(parts, separator=",", ignore_nulls=True)
    return pl.when(body == "").then(None).otherwise(pl.lit("{") + body + pl.lit("}"))


def extra_from_columns(columns: list[str], keys: list[str] | None = None) -> pl.Expr:
    """``extra`` from unmapped source columns (``keys`` renames them, e.g. to the original header)."""
    keys = keys or columns
    return json_object({key: pl.col(col) for key, col in zip(keys, columns, strict=True)}).alias("extra")


def merge_json_objects(left: pl.Expr, right: pl.Expr) -> pl.Expr:
    """Merge two JSON-object text columns (either may be null); on a key clash both are kept as text,
    and the later value wins when parsed."""
    both = left.is_not_null() & right.is_not_null()
    joined = left.str.strip_suffix("}") + pl.lit(",") + right.str.strip_prefix("{")
    return pl.when(both).then(joined).otherwise(pl.coalesce(left, right))

"""The table formats kith writes for records and people: csv, xlsx, jsonl and Google's csv.

Registered through ``register_formats``, so ``kith export --format`` and every exporter
(``context.formats``) find them by name:

- ``csv``: UTF-8 with a BOM (``utf-8-sig``) so Excel shows accents right; list cells joined
  with ``"; "``; every text cell a spreadsheet would run as a formula is neutralised
  (:func:`pipeline.safety.csv_ready`).
- ``xlsx``: one sheet through :mod:`pipeline.xlsx` (real header, filters, widths, dates,
  formula-looking text as explicit strings).
- ``jsonl``: one JSON object a line; lists stay arrays, ``extra`` an object.
- ``google-csv``: :mod:`.google`'s layout. Plain UTF-8 without a BOM: the file is for
  Google's importer, not Excel, and a BOM can hide the first header name.

Every file is written atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from pipeline import xlsx
from pipeline.errors import UsageError
from pipeline.fileio import atomic_write
from pipeline.safety import csv_ready
from plugins.contacts.google import YEARLESS, google_contacts_frame


def _write_csv(frame: pl.DataFrame, path: Path, *, bom: bool) -> None:
    with atomic_write(path, "wb") as handle:
        frame.write_csv(handle, include_bom=bom, line_terminator="\r\n", quote_style="necessary")


def _json_value(name: str, dtype: pl.DataType) -> pl.Expr:
    """Each cell of column ``name`` as JSON text (dates as ISO strings), vectorized."""
    col = pl.col(name)
    if dtype == pl.Date:
        col = col.dt.to_string("%Y-%m-%d")
    elif isinstance(dtype, pl.Datetime):
        col = col.dt.to_string("%Y-%m-%dT%H:%M:%S%.f")
    wrapped = pl.struct(col.alias("x")).struct.json_encode()  # {"x":VALUE}
    value = wrapped.str.slice(5, wrapped.str.len_chars() - 6)
    if name != "extra" or dtype != pl.String:
        return value
    # extra is JSON text: an object in the line; text that is not JSON stays a string (nothing is dropped).
    parsed = pl.col(name).str.json_path_match("$").is_not_null() | (pl.col(name).str.strip_chars() == "null")
    return pl.when(parsed).then(pl.col(name).str.strip_chars()).otherwise(value)


def _jsonl_lines(frame: pl.DataFrame) -> pl.DataFrame:
    """One JSON object per row (one text column), built by polars expressions, not per row."""
    parts: list[pl.Expr | str] = []
    for number, (name, dtype) in enumerate(frame.schema.items()):
        key = json.dumps(name, ensure_ascii=False)
        parts += [f"{', ' if number else '{'}{key}: ", _json_value(name, dtype)]
    parts.append("}")
    exprs = [pl.lit(p) if isinstance(p, str) else p for p in parts]
    return frame.select(pl.concat_str(exprs).alias("line"))


class CsvFormat:
    name = "csv"
    suffix = ".csv"
    description = "CSV for Excel (UTF-8 with BOM, lists joined with '; ', formulas neutralised)"

    def write(self, frame: pl.DataFrame, path: Path, *, sheet: str = "Contacts") -> None:
        _write_csv(csv_ready(frame), path, bom=True)


class GoogleCsvFormat:
    name = "google-csv"
    suffix = "-google.csv"
    description = "Google Contacts' import CSV (labels, numbered e-mail and phone groups)"

    def write(self, frame: pl.DataFrame, path: Path, *, sheet: str = "Contacts") -> None:
        # Google's year-less birthday ``--04-15`` is data: at worst Excel does arithmetic on
        # it, it never calls a function. Keep it as Google writes it.
        google = google_contacts_frame(frame)
        ready = csv_ready(google, {"Birthday": pl.col("Birthday").str.contains(YEARLESS)})
        _write_csv(ready, path, bom=False)


class JsonlFormat:
    name = "jsonl"
    suffix = ".jsonl"
    description = "JSON Lines: one object per row, lists as arrays, extra as an object"

    def write(self, frame: pl.DataFrame, path: Path, *, sheet: str = "Contacts") -> None:
        with atomic_write(path, "wb") as handle:
            if frame.width:  # one text column, newlines escaped by the JSON encoder: written as it is
                lines = _jsonl_lines(frame)
                lines.write_csv(handle, include_header=False, quote_style="never", line_terminator="\n")


class XlsxFormat:
    name = "xlsx"
    suffix = ".xlsx"
    description = "one Excel sheet with a real header, filters and fitted widths"

    def write(self, frame: pl.DataFrame, path: Path, *, sheet: str = "Contacts") -> None:
        if frame.height > xlsx.MAX_ROWS - 1:
            raise UsageError(
                f"{path}: {frame.height:,} rows do not fit in an Excel sheet (at most "
                f"{xlsx.MAX_ROWS - 1:,} below the header); export csv instead"
            )
        wb = xlsx.new_workbook()
        xlsx.write_frame_sheet(wb, sheet, frame)
        xlsx.save_workbook(wb, path)


FORMATS = (CsvFormat(), XlsxFormat(), JsonlFormat(), GoogleCsvFormat())

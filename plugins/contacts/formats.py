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


def _jsonl_lines(frame: pl.DataFrame):
    for row in frame.iter_rows(named=True):
        if isinstance(row.get("extra"), str):
            try:
                row["extra"] = json.loads(row["extra"])
            except ValueError:
                pass  # keep the text: nothing is dropped
        for key, value in row.items():
            if hasattr(value, "isoformat"):
                row[key] = value.isoformat()
        yield json.dumps(row, ensure_ascii=False) + "\n"


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
        with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
            handle.writelines(_jsonl_lines(frame))


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

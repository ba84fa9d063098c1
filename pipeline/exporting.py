"""Writing records (and later people) to jsonl or csv files that open safely anywhere.

CSV is UTF-8 with a BOM (``utf-8-sig``) so Excel shows accents right; list cells are
joined with ``"; "``; every text cell that a spreadsheet would run as a formula is
neutralised (:mod:`pipeline.safety`). JSON lines keep lists as arrays and ``extra`` as an
object. Files are written atomically; ``-`` writes to standard output.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import IO

import polars as pl

from pipeline.errors import UsageError
from pipeline.fileio import atomic_write
from pipeline.safety import neutralise_formula

FORMATS = ("jsonl", "csv")
LIST_SEPARATOR = "; "


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


def _csv_frame(frame: pl.DataFrame) -> pl.DataFrame:
    exprs = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.List):
            exprs.append(pl.col(name).list.join(LIST_SEPARATOR).alias(name))
        elif dtype == pl.Date:
            exprs.append(pl.col(name).dt.to_string("%Y-%m-%d").alias(name))
    return frame.with_columns(exprs) if exprs else frame


def write_frame(frame: pl.DataFrame, fmt: str, out: IO[str]) -> None:
    """Write ``frame`` as ``fmt`` to an open text stream."""
    if fmt == "jsonl":
        out.writelines(_jsonl_lines(frame))
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(frame.columns)
        for row in _csv_frame(frame).iter_rows():
            writer.writerow(["" if v is None else neutralise_formula(v) for v in row])
    else:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def export_frame(frame: pl.DataFrame, fmt: str, out: str | Path) -> str:
    """Write ``frame`` to ``out`` (a path, or ``-`` for stdout); return where it went."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if str(out) == "-":
        write_frame(frame, fmt, sys.stdout)
        sys.stdout.flush()
        return "-"
    encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
    with atomic_write(Path(out), "w", encoding=encoding, newline="") as handle:
        write_frame(frame, fmt, handle)
    return str(out)

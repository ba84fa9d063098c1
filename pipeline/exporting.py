"""Writing records or people to files that open safely anywhere: csv, xlsx, vcf, jsonl, google-csv.

Used by ``kith export records|people`` and by the ``contacts`` exporter.

- ``csv``: UTF-8 with a BOM (``utf-8-sig``) so Excel shows accents right; list cells
  joined with ``"; "``; every text cell a spreadsheet would run as a formula is
  neutralised (:mod:`pipeline.safety`).
- ``xlsx``: one sheet through :mod:`pipeline.xlsx` (real header, filters, widths, dates,
  formula-looking text as explicit strings).
- ``vcf``: vCard 3.0 through the vCard plugin's ``write_vcards``.
- ``jsonl``: lists stay arrays, ``extra`` an object.
- ``google-csv``: the current Google Contacts import header (``First Name``, …,
  ``E-mail 1 - Label``/``Value``, ``Phone 1 - …``, ``Labels`` = ``* myContacts ::: tag``)
  so cleaned contacts go straight back into Gmail. Plain UTF-8 without a BOM: this file
  is for Google's importer, not Excel, and a BOM can hide the first header name.

Files are written atomically; ``-`` writes to standard output.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import IO

import polars as pl

from pipeline.errors import UsageError
from pipeline.fileio import atomic_write
from pipeline.safety import FORMULA_TRIGGERS, PHONE_PATTERN, looks_like_formula, neutralise_formula

FORMATS = ("csv", "xlsx", "vcf", "jsonl", "google-csv")
LIST_SEPARATOR = "; "
GOOGLE_SEPARATOR = " ::: "
#: Most E-mail/Phone column groups in a Google CSV; the rest of a row's values share the last one.
GOOGLE_MAX_GROUPS = 10
GOOGLE_MY_CONTACTS = "* myContacts"

#: The fixed head of Google's current CSV header (numbered groups follow, as many as used).
GOOGLE_HEAD = [
    "First Name",
    "Middle Name",
    "Last Name",
    "Phonetic First Name",
    "Phonetic Middle Name",
    "Phonetic Last Name",
    "Name Prefix",
    "Name Suffix",
    "Nickname",
    "File As",
    "Organization Name",
    "Organization Title",
    "Organization Department",
    "Birthday",
    "Notes",
    "Photo",
    "Labels",
]
YEARLESS = r"^--(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
TRIGGER_PATTERN = "^[" + re.escape("".join(FORMULA_TRIGGERS)) + "]"
#: safety's phone exemption, for polars (the same regular expression, run in Rust).
PHONE_REGEX = PHONE_PATTERN.pattern  # the same rule, as text for polars


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


def guarded(text: pl.Expr, exempt: pl.Expr | None = None) -> pl.Expr:
    """The formula guard of :func:`pipeline.safety.neutralise_formula` as a polars expression.

    Text that starts with ``= + - @``, tab or CR gets a ``'`` in front, unless it is a phone
    number (``+12065550142`` stays usable) or ``exempt`` is true for the row.
    """
    risky = text.str.contains(TRIGGER_PATTERN) & ~text.str.contains(PHONE_REGEX)
    if exempt is not None:
        risky = risky & ~exempt
    return pl.when(risky).then(pl.lit("'") + text).otherwise(text)


def csv_ready(frame: pl.DataFrame, exempt: dict[str, pl.Expr] | None = None) -> pl.DataFrame:
    """Every cell as safe CSV text, vectorized: lists joined with ``"; "``, dates ISO, text guarded.

    A joined list cell is left alone when every item is a phone number
    (``+12065550142; +442079460958``); otherwise it is guarded as a whole.
    """
    exempt = exempt or {}
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.List):
            items = col.cast(pl.List(pl.String))
            all_phones = items.list.eval(pl.element().str.contains(PHONE_REGEX)).list.all()
            exprs.append(guarded(items.list.join(LIST_SEPARATOR), all_phones).alias(name))
        elif dtype == pl.Date:
            exprs.append(col.dt.to_string("%Y-%m-%d").alias(name))
        elif dtype == pl.String:
            exprs.append(guarded(col, exempt.get(name)).alias(name))
    ready = frame.with_columns(exprs) if exprs else frame
    return ready.rename({c: str(neutralise_formula(c)) for c in ready.columns if looks_like_formula(c)})


def _write_csv(frame: pl.DataFrame, out: IO[bytes], bom: bool) -> None:
    frame.write_csv(out, include_bom=bom, line_terminator="\r\n", quote_style="necessary")


def google_contacts_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """People or records (canonical field names) in Google Contacts' current CSV columns.

    ``E-mail N``/``Phone N`` groups go up to the most any row has, as Google's own export
    does, but never past :data:`GOOGLE_MAX_GROUPS`: further values join the last group's cell
    with Google's ``" ::: "`` (one card with 190,000 addresses is one cell, not 380,000 columns);
    the first e-mail (the preferred one) is labelled ``* Other``, the rest ``Other``.
    Tags become labels next to ``* myContacts``; the LinkedIn URL is ``Website 1``.
    """

    def col(name: str, dtype: pl.DataType = pl.String) -> pl.Expr:
        return pl.col(name) if name in frame.columns else pl.lit(None, dtype)

    names_missing = col("given_name").is_null() & col("family_name").is_null()
    tags = col("tags", pl.List(pl.String))
    # Google splits a cell on " ::: ", so a label must not contain it.
    own = tags.list.eval(
        pl.element().str.strip_chars().str.replace_all(":::", ":", literal=True).filter(pl.element() != "")
    ).list.join(GOOGLE_SEPARATOR)
    labels = (
        pl.when(own.is_null() | (own == ""))
        .then(pl.lit(GOOGLE_MY_CONTACTS))
        .otherwise(pl.lit(GOOGLE_MY_CONTACTS + GOOGLE_SEPARATOR) + own)
    )
    exprs: list[pl.Expr] = [
        # A record with only a full name keeps it whole rather than guessing where to split.
        pl.when(names_missing).then(col("full_name")).otherwise(col("given_name")).alias("First Name"),
        col("middle_name").alias("Middle Name"),
        col("family_name").alias("Last Name"),
        *(pl.lit(None, pl.String).alias(n) for n in GOOGLE_HEAD[3:6]),
        col("prefix").alias("Name Prefix"),
        col("suffix").alias("Name Suffix"),
        col("nickname").alias("Nickname"),
        pl.lit(None, pl.String).alias("File As"),
        col("organization").alias("Organization Name"),
        col("title").alias("Organization Title"),
        col("department").alias("Organization Department"),
        col("birthday").alias("Birthday"),
        col("notes").alias("Notes"),
        pl.lit(None, pl.String).alias("Photo"),
        labels.alias("Labels"),
    ]
    for field, group in (("emails", "E-mail"), ("phones", "Phone")):
        values = col(field, pl.List(pl.String))
        most = int(frame.select(values.list.len().max()).item() or 0) if field in frame.columns else 0
        groups = min(max(most, 1), GOOGLE_MAX_GROUPS)
        for n in range(1, groups + 1):
            value = values.list.get(n - 1, null_on_oob=True)
            if n == GOOGLE_MAX_GROUPS and most > n:  # the rest share the last cell, as Google reads it
                rest = values.list.slice(n - 1).list.join(GOOGLE_SEPARATOR)
                value = pl.when(values.list.len() > n).then(rest).otherwise(value)
            label = "* Other" if (field == "emails" and n == 1) else "Other"
            exprs.append(pl.when(value.is_not_null()).then(pl.lit(label)).alias(f"{group} {n} - Label"))
            exprs.append(value.alias(f"{group} {n} - Value"))
    address = {
        "Street": col("street"),
        "City": col("city"),
        "PO Box": pl.lit(None, pl.String),
        "Region": col("region"),
        "Postal Code": col("postal_code"),
        "Country": col("country"),
        "Extended Address": pl.lit(None, pl.String),
    }
    has_address = pl.any_horizontal(*(e.is_not_null() for e in address.values()))
    city_line = pl.concat_str(
        [col("city"), col("region"), col("postal_code")], separator=" ", ignore_nulls=True
    )
    formatted = pl.concat_str([col("street"), city_line, col("country")], separator="\n", ignore_nulls=True)
    exprs.append(pl.when(has_address).then(pl.lit("Other")).alias("Address 1 - Label"))
    exprs.append(pl.when(has_address).then(formatted).alias("Address 1 - Formatted"))
    exprs += [expr.alias(f"Address 1 - {part}") for part, expr in address.items()]
    url = col("linkedin_url")
    exprs.append(pl.when(url.is_not_null()).then(pl.lit("Profile")).alias("Website 1 - Label"))
    exprs.append(url.alias("Website 1 - Value"))
    return frame.select(exprs)


def _csv_of(frame: pl.DataFrame, fmt: str) -> pl.DataFrame:
    if fmt == "google-csv":
        # Google's year-less birthday ``--04-15`` is data: at worst Excel does arithmetic on it,
        # it never calls a function. Keep it as Google writes it.
        return csv_ready(
            google_contacts_frame(frame), {"Birthday": pl.col("Birthday").str.contains(YEARLESS)}
        )
    return csv_ready(frame)


def write_frame(frame: pl.DataFrame, fmt: str, out: IO[str]) -> None:
    """Write ``frame`` as a text format (``jsonl``, ``csv``, ``google-csv``) to an open text stream."""
    if fmt == "jsonl":
        out.writelines(_jsonl_lines(frame))
    elif fmt in ("csv", "google-csv"):
        out.write(_csv_of(frame, fmt).write_csv(None, line_terminator="\r\n", quote_style="necessary"))
    else:
        raise UsageError(f"unknown text format {fmt!r}; choose one of jsonl, csv, google-csv")


def write_xlsx(frame: pl.DataFrame, path: Path, sheet: str = "Contacts") -> Path:
    """``frame`` as a one-sheet workbook at ``path`` (atomic)."""
    from pipeline import xlsx

    if frame.height > xlsx.MAX_ROWS - 1:
        raise UsageError(
            f"{path}: {frame.height:,} rows do not fit in an Excel sheet (at most {xlsx.MAX_ROWS - 1:,} "
            "below the header); export csv instead"
        )
    wb = xlsx.new_workbook()
    xlsx.write_frame_sheet(wb, sheet, frame)
    return xlsx.save_workbook(wb, path)


def vcard_writer():
    """The vCard plugin's ``write_vcards(frame, path, version)``, or a UsageError saying why not."""
    try:
        from plugins.vcard.write import write_vcards
    except ImportError as exc:
        raise UsageError(
            "vcf export needs the vCard plugin (plugins.vcard.write.write_vcards), "
            f"which is not available: {exc}"
        ) from None
    return write_vcards


def write_vcf(frame: pl.DataFrame, path: Path, version: str = "3.0") -> Path:
    """``frame`` as vCards at ``path`` (the vCard writer writes atomically itself)."""
    vcard_writer()(frame, Path(path), version=version)
    return Path(path)


TEXT_FORMATS = ("csv", "jsonl", "google-csv")


def export_frame(frame: pl.DataFrame, fmt: str, out: str | Path, *, sheet: str = "Contacts") -> str:
    """Write ``frame`` to ``out`` (a path, or ``-`` for stdout) as ``fmt``; return where it went."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if str(out) == "-":
        if fmt in TEXT_FORMATS:
            write_frame(frame, fmt, sys.stdout)
            sys.stdout.flush()
        else:
            _binary_to_stdout(frame, fmt, sheet)
        return "-"
    path = Path(out)
    if fmt == "xlsx":
        write_xlsx(frame, path, sheet)
    elif fmt == "vcf":
        write_vcf(frame, path)
    elif fmt == "jsonl":
        with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
            write_frame(frame, fmt, handle)
    else:
        with atomic_write(path, "wb") as handle:
            _write_csv(_csv_of(frame, fmt), handle, bom=fmt == "csv")
    return str(path)


def _binary_to_stdout(frame: pl.DataFrame, fmt: str, sheet: str) -> None:
    # openpyxl and the vCard writer write by file name; go through a private temporary folder.
    with tempfile.TemporaryDirectory(prefix="kith-export-") as folder:
        path = Path(folder) / f"export.{fmt}"
        if fmt == "xlsx":
            write_xlsx(frame, path, sheet)
        else:
            write_vcf(frame, path)
        sys.stdout.flush()
        with path.open("rb") as handle:
            shutil.copyfileobj(handle, sys.stdout.buffer)
        sys.stdout.buffer.flush()

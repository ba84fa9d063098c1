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

import csv
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
from pipeline.safety import FORMULA_TRIGGERS, looks_like_formula, neutralise_formula

FORMATS = ("csv", "xlsx", "vcf", "jsonl", "google-csv")
LIST_SEPARATOR = "; "
GOOGLE_SEPARATOR = " ::: "
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
_YEARLESS = re.compile(r"--(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")


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
            exprs.append(pl.col(name).cast(pl.List(pl.String)).list.join(LIST_SEPARATOR).alias(name))
        elif dtype == pl.Date:
            exprs.append(pl.col(name).dt.to_string("%Y-%m-%d").alias(name))
    return frame.with_columns(exprs) if exprs else frame


def _phone_like(part: str) -> bool:
    # safety exempts a phone number from the formula guard; ask it about the "+"-prefixed form.
    return not looks_like_formula("+" + part.removeprefix("+"))


def guard_joined(value: str) -> str:
    """The formula guard for a joined list cell: ``+12065550142; +442079460958`` stays usable.

    Left alone only when every part is a phone number; anything else that starts like a
    formula is neutralised as a whole.
    """
    if value[:1] in FORMULA_TRIGGERS and all(_phone_like(p) for p in value.split(LIST_SEPARATOR)):
        return value
    return neutralise_formula(value)  # type: ignore[return-value]


def guard_birthday(value: str) -> str:
    """Google's year-less birthday ``--04-15`` is data (at worst Excel does arithmetic on it, never
    calls a function), so it is kept as Google writes it; anything else gets the usual guard."""
    return value if _YEARLESS.fullmatch(value) else neutralise_formula(value)  # type: ignore[return-value]


def write_csv_rows(
    frame: pl.DataFrame, out: IO[str], joined: frozenset[str] = frozenset(), guards: dict | None = None
) -> None:
    """``frame`` (lists already joined; their names in ``joined``) as CSV, every text cell guarded.

    :param guards: column name → guard function replacing the default for that column.
    """
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise_formula(c) for c in frame.columns])
    special = guards or {}
    guards = [
        special.get(name, guard_joined if name in joined else neutralise_formula) for name in frame.columns
    ]
    for batch in frame.iter_slices(50_000):
        writer.writerows(
            ["" if v is None else guard(v) for guard, v in zip(guards, row, strict=True)]
            for row in batch.iter_rows()
        )


def google_contacts_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """People or records (canonical field names) in Google Contacts' current CSV columns.

    ``E-mail N``/``Phone N`` groups go up to the most any row has, as Google's own export
    does; the first e-mail (the preferred one) is labelled ``* Other``, the rest ``Other``.
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
        for n in range(1, max(most, 1) + 1):
            value = values.list.get(n - 1, null_on_oob=True)
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


def write_frame(frame: pl.DataFrame, fmt: str, out: IO[str]) -> None:
    """Write ``frame`` as a text format (``jsonl``, ``csv``, ``google-csv``) to an open text stream."""
    if fmt == "jsonl":
        out.writelines(_jsonl_lines(frame))
    elif fmt == "csv":
        lists = frozenset(n for n, d in frame.schema.items() if isinstance(d, pl.List))
        write_csv_rows(_csv_frame(frame), out, lists)
    elif fmt == "google-csv":
        write_csv_rows(google_contacts_frame(frame), out, guards={"Birthday": guard_birthday})
    else:
        raise UsageError(f"unknown text format {fmt!r}; choose one of jsonl, csv, google-csv")


def write_xlsx(frame: pl.DataFrame, path: Path, sheet: str = "Contacts") -> Path:
    """``frame`` as a one-sheet workbook at ``path`` (atomic)."""
    from pipeline import xlsx

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


TEXT_ENCODINGS = {"csv": "utf-8-sig", "jsonl": "utf-8", "google-csv": "utf-8"}


def export_frame(frame: pl.DataFrame, fmt: str, out: str | Path, *, sheet: str = "Contacts") -> str:
    """Write ``frame`` to ``out`` (a path, or ``-`` for stdout) as ``fmt``; return where it went."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if str(out) == "-":
        if fmt in TEXT_ENCODINGS:
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
    else:
        with atomic_write(path, "w", encoding=TEXT_ENCODINGS[fmt], newline="") as handle:
            write_frame(frame, fmt, handle)
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

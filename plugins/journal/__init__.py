"""The ``journal`` importer: a networking log kept in Excel or CSV.

Columns (matched by name, case/spacing/punctuation-blind, in the first 20 rows of any
sheet): Date, Person, What, Via / Referred by, Channel, Notes; optionally To / Referred to
and Email. How rows enter the store is decided in :mod:`pipeline.journal`: ``read``
returns one contact record per person the sheet mentions (the place of the first mention
as ``source_ref``, the name as ``source_key`` so ids stay stable) and the rows in
``ImportResult.journal``; a row whose What is ``outcome`` sets ``ImportResult.journal_outcome``.
A row without a readable date, a person, or a known What is a reject naming the row;
columns we don't know are kept in the entry's note. Row interpretation lives in
:mod:`plugins.journal.rows`.

Outlook's "Referred By" column and vCard notes are not journals and are never read here.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from pipeline import hookimpl
from pipeline.contracts import ImportOptions, ImportResult
from pipeline.errors import InputError
from pipeline.textio import decode_bytes
from plugins.journal.rows import (
    EXCEL_SUFFIXES,
    HEADER_SEARCH_ROWS,
    MAX_SNIFF_XLSX,
    header_map,
    read_rows,
    rows_of,
)

NAME = "journal"
RECORD_SCHEMA = dict.fromkeys(("source_ref", "source_key", "full_name", "emails", "channel"), pl.String)


class JournalImporter:
    """Reads a networking journal spreadsheet (xlsx or csv)."""

    name = NAME
    description = "networking journal spreadsheet: Date, Person, What, Via/Referred by, Channel, Notes"

    def sniff(self, path: Path, head: bytes) -> float:
        try:
            if head.startswith(b"PK\x03\x04"):
                if path.suffix.lower() not in EXCEL_SUFFIXES or path.stat().st_size > MAX_SNIFF_XLSX:
                    return 0.0
                rows_of(path)  # raises when no sheet has a journal header
                return 0.9
            text, _ = decode_bytes(head[:16384], path)
        except Exception:  # a file we cannot open is simply not ours
            return 0.0
        for line in text.splitlines()[:HEADER_SEARCH_ROWS]:
            try:
                cells = next(csv.reader([line], delimiter=";" if line.count(";") > line.count(",") else ","))
            except (csv.Error, StopIteration):
                continue
            if header_map(cells):
                return 0.9
        return 0.0

    def read(self, path: Path, options: ImportOptions) -> ImportResult:
        rows, prefix, encoding = rows_of(path)
        header_at = next((i for i, r in enumerate(rows[:HEADER_SEARCH_ROWS]) if header_map(r)), None)
        if header_at is None:
            raise InputError(f"{path}: no journal header row (Date, Person, What) in the first rows")
        parsed = read_rows(rows, header_at, prefix, options.region)
        records = pl.DataFrame(list(parsed.people.values()), schema=RECORD_SCHEMA, orient="row")
        info = {"encoding": encoding, "mapping": parsed.mapping, "warnings": parsed.warnings}
        return ImportResult(
            records, parsed.rejects, info, journal=parsed.entries, journal_outcome=parsed.outcome
        )


@hookimpl
def register_importers() -> list[JournalImporter]:
    return [JournalImporter()]

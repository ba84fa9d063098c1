"""Importers whose output breaks the contract in ways the core must catch at the boundary."""

from __future__ import annotations

import polars as pl

from pipeline import hookimpl
from pipeline.contracts import ImportResult, Reject


class _Base:
    description = "test importer"

    def sniff(self, path, head):
        return 0.0


class NumericEmails(_Base):
    """Returns e-mails as numbers (a spreadsheet column read with type inference)."""

    name = "numeric_emails"

    def read(self, path, options):
        return ImportResult(pl.DataFrame({"source_ref": ["row 2"], "emails": [20260512]}))


class NoPlaces(_Base):
    """Forgets to say where a record is."""

    name = "no_places"

    def read(self, path, options):
        frame = pl.DataFrame({"source_ref": ["row 2", None], "full_name": ["Ana Reyes", "Bo Lindqvist"]})
        return ImportResult(frame)


class RejectWithoutPlace(_Base):
    """Reports a reject without a place."""

    name = "reject_without_place"

    def read(self, path, options):
        frame = pl.DataFrame({"source_ref": ["row 2"], "full_name": ["Ana Reyes"]})
        return ImportResult(frame, [Reject("", "unreadable row")])


class CoreColumn(_Base):
    """Sets a column only the core may set."""

    name = "core_column"

    def read(self, path, options):
        return ImportResult(pl.DataFrame({"source_ref": ["row 2"], "record_id": ["mine"]}))


@hookimpl
def register_importers():
    return [NumericEmails(), NoPlaces(), RejectWithoutPlace(), CoreColumn()]

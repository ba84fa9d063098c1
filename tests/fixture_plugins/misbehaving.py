"""Importers that break the contract in different ways, for testing the core's boundary."""

from __future__ import annotations

import polars as pl

from pipeline import hookimpl
from pipeline.contracts import ImportResult


class _Base:
    description = "test importer"

    def sniff(self, path, head):
        return 0.0


class ExplodingImporter(_Base):
    """Raises halfway through reading."""

    name = "exploding"

    def read(self, path, options):
        raise ValueError("unexpected token at byte 812")


class WrongColumnImporter(_Base):
    """Returns a column that is not canonical."""

    name = "wrong_column"

    def read(self, path, options):
        return ImportResult(pl.DataFrame({"source_ref": ["row 2"], "favourite_colour": ["teal"]}))


class WrongTypeImporter(_Base):
    """Returns a list of dicts instead of a frame."""

    name = "wrong_type"

    def read(self, path, options):
        return ImportResult([{"source_ref": "row 2"}])  # type: ignore[arg-type]


class GoodImporter(_Base):
    """Imports two people from any file, for store tests."""

    name = "two_people"

    def read(self, path, options):
        frame = pl.DataFrame(
            {
                "source_ref": ["row 2", "row 3"],
                "full_name": ["Ada Lovelace", "Grace Hopper"],
                "emails": ["ada@example.com", "grace@example.org"],
            }
        )
        return ImportResult(frame)


@hookimpl
def register_importers():
    return [ExplodingImporter(), WrongColumnImporter(), WrongTypeImporter(), GoodImporter()]

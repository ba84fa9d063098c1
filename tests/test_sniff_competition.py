"""How importers' sniff scores compete: a generic importer never takes a file from a specific one."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipeline import hookimpl
from pipeline.contracts import ImportOptions, ImportResult
from pipeline.importing import pick_importer
from pipeline.testing import plugin_manager
from pipeline.textio import read_head
from plugins.alumni import AlumniImporter

MEETUP = Path(__file__).parent / "fixtures" / "meetup" / "attendees.csv"


class _Meetup:
    """A cautious third-party importer: 'probably mine' (0.6) when Meetup's RSVP columns are there."""

    name = "meetup"
    description = "Meetup attendee export"

    def sniff(self, path: Path, head: bytes) -> float:
        return 0.6 if b"RSVP" in head and b"Event Name" in head else 0.0

    def read(self, path: Path, options: ImportOptions) -> ImportResult:
        return ImportResult(pl.DataFrame({"source_ref": ["row 2"], "full_name": ["x"]}))


class _Plugin:
    @hookimpl
    def register_importers(self):
        return [_Meetup()]


def test_the_generic_alumni_importer_would_claim_the_file_on_its_own():
    assert AlumniImporter().sniff(MEETUP, read_head(MEETUP)) >= 0.6  # Name, Title, Email, Phone look familiar
    assert pick_importer(plugin_manager(), MEETUP, read_head(MEETUP)) == "alumni"


def test_a_specific_importer_that_says_probably_mine_wins_over_the_generic_one():
    pm = plugin_manager(plugins=[("meetup", _Plugin())])
    assert pick_importer(pm, MEETUP, read_head(MEETUP)) == "meetup"


def test_a_generic_importer_still_wins_over_a_specific_one_that_only_says_maybe():
    class _Maybe(_Meetup):
        def sniff(self, path: Path, head: bytes) -> float:
            return 0.35

    class _MaybePlugin:
        @hookimpl
        def register_importers(self):
            return [_Maybe()]

    pm = plugin_manager(plugins=[("maybe", _MaybePlugin())])
    assert pick_importer(pm, MEETUP, read_head(MEETUP)) == "alumni"

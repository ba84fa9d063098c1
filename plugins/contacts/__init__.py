"""The ``contacts`` exporter: cleaned people as files any address book or spreadsheet opens.

Writes into the report folder, by default all of:

- ``contacts.csv`` — UTF-8 with a BOM so Excel opens it right;
- ``contacts.xlsx`` — a real header, filters, fitted widths, dates as dates;
- ``contacts.vcf`` — vCard 3.0 through the vCard plugin (skipped, with a warning, when that
  plugin is not installed);
- ``contacts-google.csv`` — Google Contacts' import format, so cleaned contacts go straight
  back into Gmail.

Without ``formats``, a directory-sized workspace skips the files nobody could use: the xlsx past
:data:`DEFAULT_XLSX_MAX_PEOPLE` (the csv has them all) and the Google CSV past
:data:`GOOGLE_MAX_CONTACTS`, more than one Google account holds; each with a warning.

``provenance`` (which record each field came from) is blank for a person of one record: every
field is that record's, named in ``record_ids`` (``kith export people`` keeps it whole).

People are the run's (after dedupe when it has run, else one per record). Options
(kith.toml ``[[exporters]]``): ``formats = ["csv", "xlsx"]`` picks the files; ``basename =
"contacts"`` names them. The formats are this plugin's (:mod:`.formats`, registered for
``kith export`` too) and ``vcf`` is the vCard plugin's, all found in ``context.formats``:
formula-looking text is neutralised and files land atomically.
"""

from __future__ import annotations

import logging
from pathlib import Path

import polars as pl

from pipeline import hookimpl
from pipeline.contracts import ExportContext, FrameFormat
from pipeline.errors import ConfigError
from plugins.contacts.formats import FORMATS

NAME = "contacts"
# contacts.vcf is the `vcard` exporter's file; ask for "vcf" here only when that one is off.
DEFAULT_FORMATS = ("csv", "xlsx", "google-csv")
#: openpyxl writes slowly: past this many people the default skips contacts.xlsx
#: (the csv holds the same) so a weekly directory batch doesn't spend minutes on it.
#: Asking for "xlsx" in ``formats`` always writes it.
DEFAULT_XLSX_MAX_PEOPLE = 50_000
#: Google Contacts holds at most this many contacts per account: a larger Google CSV cannot be
#: imported, so the default skips it. Asking for "google-csv" in ``formats`` always writes it.
GOOGLE_MAX_CONTACTS = 25_000

#: A people frame in more chunks than this is a snapshot patched with the people written since it.
MANY_CHUNKS = 64

log = logging.getLogger("kith.contacts")

#: Formats other plugins provide: asked for while that plugin is off, they are skipped with a warning.
FROM_OTHER_PLUGINS = {"vcf": "the vCard plugin (format 'vcf') is not installed or is disabled"}


def _formats(options: dict, installed: dict[str, FrameFormat]) -> list[str]:
    formats = options.get("formats", list(DEFAULT_FORMATS))
    if isinstance(formats, str):
        formats = [formats]
    if not isinstance(formats, list | tuple) or not all(isinstance(f, str) for f in formats):
        raise ConfigError(f'exporter {NAME!r}: \'formats\' must be a list such as ["csv", "xlsx"]')
    for fmt in [f for f in formats if f in FROM_OTHER_PLUGINS and f not in installed]:
        log.warning("contacts: skipping %s: %s", fmt, FROM_OTHER_PLUGINS[fmt])
        formats = [f for f in formats if f != fmt]
    unknown = [f for f in formats if f not in installed]
    if unknown:
        raise ConfigError(
            f"exporter {NAME!r}: unknown format {unknown[0]!r}; choose from {sorted(installed)}"
        )
    return list(dict.fromkeys(formats))


def _merged_provenance_only(people: pl.DataFrame) -> pl.DataFrame:
    """``people`` with ``provenance`` kept only for people of several records: for one record it
    repeats that record's id once per field (most of a directory-sized file's bytes)."""
    if "provenance" not in people.columns or "record_ids" not in people.columns:
        return people
    provenance = people.get_column("provenance")
    if provenance.n_chunks() > MANY_CHUNKS:
        # Thousands of slices of a mapped file: the when/then joins them, and so the files are
        # written from one chunk (faster; the views copied are let go with each file).
        several = pl.col("record_ids").list.len() > 1
        return people.with_columns(pl.when(several).then(pl.col("provenance")).alias("provenance"))
    # A frame read in pages: Series.set keeps its chunks (a when/then joins leading all-null ones,
    # and the next with_columns over columns chunked apart copies every column of the frame).
    several = (people.get_column("record_ids").list.len() > 1).fill_null(False)
    return people.with_columns(provenance.set(~several, None))


def _skip_unusable(formats: list[str], people: int) -> None:
    """Drop from the default ``formats`` the files too big to be of use for ``people`` people."""
    if "xlsx" in formats and people > DEFAULT_XLSX_MAX_PEOPLE:
        log.warning(
            "contacts: %s people: skipping contacts.xlsx by default (contacts.csv has them all; "
            'set formats = ["csv", "xlsx"] to write it anyway)',
            f"{people:,}",
        )
        formats.remove("xlsx")
    if "google-csv" in formats and people > GOOGLE_MAX_CONTACTS:
        log.warning(
            "contacts: %s people: skipping contacts-google.csv by default (Google Contacts holds at "
            'most %s contacts an account; set formats = ["csv", "google-csv"] to write it anyway)',
            f"{people:,}",
            f"{GOOGLE_MAX_CONTACTS:,}",
        )
        formats.remove("google-csv")


class ContactsExporter:
    name = NAME
    description = "People as contacts.csv / .xlsx / .vcf and a Google Contacts CSV"

    def write(self, context: ExportContext) -> list[Path]:
        installed = dict(context.formats)
        formats = _formats(context.options, installed)
        asked = "formats" in context.options
        basename = str(context.options.get("basename", "contacts"))
        if not basename or "/" in basename or "\\" in basename or basename.startswith("."):
            raise ConfigError(f"exporter {NAME!r}: 'basename' must be a plain file name, got {basename!r}")
        people = _merged_provenance_only(context.people)
        if not asked:
            _skip_unusable(formats, people.height)
        written = []
        for fmt in formats:
            path = Path(context.out_dir) / f"{basename}{installed[fmt].suffix}"
            installed[fmt].write(people, path, sheet="Contacts")
            written.append(path)
        return written


@hookimpl
def register_exporters() -> list[ContactsExporter]:
    return [ContactsExporter()]


@hookimpl
def register_formats() -> list[FrameFormat]:
    return list(FORMATS)

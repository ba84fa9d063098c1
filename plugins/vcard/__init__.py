"""vCard plugin: imports vCard 2.1/3.0/4.0 files and exports people or records as vCards.

The importer reads the dialects phones and address books write (Apple/iCloud, Google,
Android, Outlook, 4.0) into raw canonical rows (``read.py`` → ``split.py``, ``parse.py``,
``mapping.py``); the core validates and normalizes them. The exporter writes the run's
people as ``contacts.vcf`` (``write.py``), which Apple Contacts, Google Contacts and Android
import; the same writer is the ``vcf`` format of ``kith export``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pipeline import hookimpl
from pipeline.contracts import ExportContext, FrameFormat, ImportOptions, ImportResult

_FOREIGN_SUFFIXES = {".csv", ".tsv", ".xlsx", ".xls", ".xlsm", ".ods", ".json", ".jsonl"}
_VCARD_SUFFIXES = {".vcf", ".vcard"}


class VCardImporter:
    """Reads ``.vcf`` files: every card a record, group cards as tags, photos never kept."""

    name = "vcard"
    description = "vCard 2.1/3.0/4.0 files (.vcf) from phones, Apple/iCloud, Google, Outlook"

    def sniff(self, path: Path, head: bytes) -> float:
        """High for text opening with ``BEGIN:VCARD``; modest for a ``.vcf`` name alone."""
        from pipeline import textio
        from plugins.vcard.split import has_card

        suffix = Path(path).suffix.lower()
        if head.startswith(b"PK\x03\x04") or suffix in _FOREIGN_SUFFIXES:
            return 0.0
        bom = textio.bom_encoding(head)
        text = head
        if bom and bom != "utf-8-sig":
            text = head.decode(bom, errors="ignore").lstrip("\ufeff").encode("utf-8")
        elif bom:
            text = head[3:]
        if text.lstrip()[:11].upper() == b"BEGIN:VCARD":
            return 0.95
        if has_card(text):
            return 0.7
        return 0.3 if suffix in _VCARD_SUFFIXES else 0.0

    def read(self, path: Path, options: ImportOptions) -> ImportResult:
        """Read every card (see :mod:`plugins.vcard.read`)."""
        from plugins.vcard.read import read_vcards

        return read_vcards(Path(path), options)


#: A phone's address book, not a million-row directory: past this many people the weekly
#: batch skips contacts.vcf (about 10,000 cards/s to write) unless ``max_people`` says more
#: (0 = no limit). ``kith export people --format vcf`` always writes.
DEFAULT_MAX_PEOPLE = 50_000


class VCardExporter:
    """Writes ``contacts.vcf`` (vCard 3.0, or 4.0 with option ``version = "4.0"``).

    Options: ``version`` ("3.0"/"4.0"), ``filename``, ``max_people`` (see DEFAULT_MAX_PEOPLE).
    """

    name = "vcard"
    description = "contacts.vcf for Apple Contacts, Google Contacts and Android (vCard 3.0/4.0)"

    def write(self, context: ExportContext) -> list[Path]:
        """Write the run's people (one per record before dedupe has run) as one .vcf file."""
        from pipeline.errors import ConfigError
        from plugins.vcard.write import VERSIONS, write_vcards

        version = str(context.options.get("version", "3.0"))
        if version not in VERSIONS:
            allowed = ", ".join(VERSIONS)
            raise ConfigError(f"exporter 'vcard': version must be one of {allowed}, not {version!r}")
        limit = context.options.get("max_people", DEFAULT_MAX_PEOPLE)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise ConfigError(
                f"exporter 'vcard': max_people must be a whole number (0 = no limit), not {limit!r}"
            )
        count = context.people_columns(()).height  # counted from ids alone: a skip reads no more
        if limit and count > limit:
            logging.getLogger("kith.vcard").warning(
                "vcard: %s people, over max_people = %s: contacts.vcf not written "
                "(set max_people = 0 in this exporter's [[exporters]] table to write it anyway)",
                f"{count:,}",
                f"{limit:,}",
            )
            return []
        frame = context.people
        filename = str(context.options.get("filename", "contacts.vcf"))
        return [write_vcards(frame, Path(context.out_dir) / filename, version=version)]


@hookimpl
def register_importers():
    return [VCardImporter()]


class VcfFormat:
    """vCard 3.0, one card per row: ``kith export people --format vcf``."""

    name = "vcf"
    suffix = ".vcf"
    description = "vCard 3.0 for Apple Contacts, Google Contacts and Android"

    def write(self, frame, path: Path, *, sheet: str = "Contacts") -> None:
        from plugins.vcard.write import write_vcards

        write_vcards(frame, Path(path), version="3.0")


@hookimpl
def register_exporters():
    return [VCardExporter()]


@hookimpl
def register_formats() -> list[FrameFormat]:
    return [VcfFormat()]

"""vCard plugin: imports vCard 2.1/3.0/4.0 files and exports people or records as vCards.

The importer reads the dialects phones and address books write (Apple/iCloud, Google,
Android, Outlook, 4.0) into raw canonical rows (``read.py`` → ``split.py``, ``parse.py``,
``mapping.py``); the core validates and normalizes them. The exporter writes
``contacts.vcf`` from the store (``write.py``), which Apple Contacts, Google Contacts and
Android import.
"""

from __future__ import annotations

from pathlib import Path

from pipeline import hookimpl
from pipeline.contracts import ExportContext, ImportOptions, ImportResult

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


class VCardExporter:
    """Writes ``contacts.vcf`` (vCard 3.0, or 4.0 with option ``version = "4.0"``)."""

    name = "vcard"
    description = "contacts.vcf for Apple Contacts, Google Contacts and Android (vCard 3.0/4.0)"

    def write(self, context: ExportContext) -> list[Path]:
        """Write the store's people (one per record before dedupe has run) as one .vcf file."""
        from pipeline.errors import ConfigError
        from plugins.vcard.write import VERSIONS, write_vcards

        version = str(context.options.get("version", "3.0"))
        if version not in VERSIONS:
            allowed = ", ".join(VERSIONS)
            raise ConfigError(f"exporter 'vcard': version must be one of {allowed}, not {version!r}")
        from pipeline.people import load_people

        frame = load_people(context.store)
        filename = str(context.options.get("filename", "contacts.vcf"))
        return [write_vcards(frame, Path(context.out_dir) / filename, version=version)]


@hookimpl
def register_importers():
    return [VCardImporter()]


@hookimpl
def register_exporters():
    return [VCardExporter()]

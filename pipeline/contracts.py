"""The small objects plugins hand to the core: importers, exporters and what they return.

These are the whole contract between kith and a plugin. An importer never writes to the
store and never normalizes: it reads a file and returns a frame of canonical columns *as
the source wrote them* (strings, or lists of strings for the multi-valued columns) plus
rejects. The core validates the frame (:mod:`pipeline.schema`), normalizes it
(:mod:`pipeline.normalize`), gives every record its stable id and stores it in one
transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class Reject:
    """A source record that could not be read at all.

    :param ref: where inside the file, in the file's own terms: ``row 12``, ``card 3 (line 40)``,
        ``Sheet1!14``.
    :param reason: one sentence saying what is wrong, without the record's personal data.
    :param raw: the record as the file wrote it (a CSV row's fields joined again), when the
        importer has it: kept in the store so nothing the user gave is lost; never shown in
        messages.
    """

    ref: str
    reason: str
    raw: str | None = None


@dataclass
class ImportOptions:
    """What the workspace tells an importer about the file it is reading.

    :param region: default phone/date region (ISO 3166 alpha-2), from kith.toml ``region``.
    :param school: the workspace's school, for alumni files that don't name one.
    :param channel: where these contacts came from, if the input config says so.
    :param tags: tags the input config adds to every record.
    :param mapping: per-input column overrides, ``{"source header": "canonical field"}``
        (``"extra"`` keeps a column out of the mapping).
    :param settings: any other per-input settings from kith.toml, for the importer to read.
    :param forced: the user chose this importer (``--as NAME``): read what can be read of a
        file whose header is not the one expected (map the columns you know, keep the rest
        in ``extra``, say so in ``info["warnings"]``) instead of refusing it.
    """

    region: str = "US"
    school: str | None = None
    channel: str | None = None
    tags: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    forced: bool = False


@dataclass
class ImportResult:
    """What an importer's ``read`` returns.

    :param records: a polars DataFrame, one row per source record. Columns are a subset of
        :data:`pipeline.schema.RAW_COLUMNS`: canonical field names holding the source's text
        (``emails``, ``phones`` and ``tags`` may be a string or a list of strings), the
        required ``source_ref`` (where the row is: ``row 12``), optionally ``source_key``
        (the source's own id for the record, e.g. a CRM record id or vCard UID, which keeps
        the record's id stable when rows move), and ``extra`` (a JSON object per row of
        every field not mapped: nothing the user gave is dropped).
    :param rejects: records that could not be read, each with place and reason.
    :param info: facts for the import summary, e.g. ``{"encoding": "utf-16",
        "mapping": {"E-mail Address": "emails"}, "skipped_sheets": {...}, "warnings": [...]}``;
        ``"directory_names": True`` says the names come from a directory or CRM export, whose
        all-lower-case and "Family, Given" names the core turns into the form people use.
    """

    records: pl.DataFrame
    rejects: list[Reject] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Importer(Protocol):
    """An importer reads one kind of contact file.

    ``name`` is short and unique (``linkedin``, ``vcard``); ``description`` one line for
    ``kith plugins``. An importer that reads any table (the alumni importer) may set
    ``generic = True``: it is then picked only when no specific importer's sniff says
    "probably mine" (see ``docs/plugins.md``, how sniff scores compete).
    """

    name: str
    description: str

    def sniff(self, path: Path, head: bytes) -> float:
        """How likely ``path`` is this importer's, from 0.0 (not mine) to 1.0 (certainly mine).

        :param path: the file (its name and extension may help).
        :param head: the first 64 KiB of the file; sniff must not read the whole file.
        """
        ...

    def read(self, path: Path, options: ImportOptions) -> ImportResult:
        """Read the whole file into canonical columns plus rejects.

        Raise :class:`pipeline.errors.InputError` with one sentence naming the file when the
        file cannot be read at all; never let a single bad record fail the file.
        """
        ...


@dataclass
class ExportContext:
    """Everything an exporter may use.

    :param store: the open :class:`pipeline.store.Store` (read it; don't write records).
    :param out_dir: the folder to write into (a temporary folder during ``kith run``,
        renamed into place only when every exporter succeeded).
    :param as_of: "today" for this report, so past weeks can be re-run.
    :param options: this exporter's options from kith.toml ``[[exporters]]``.
    :param workspace: the :class:`pipeline.workspace.Workspace` (config, templates folder).
    :param pm: the plugin manager of this run, for exporters that call other plugins'
        hooks (the follow-up checklist runs every follow-up rule).
    """

    store: Any
    out_dir: Path
    as_of: dt.date
    options: dict[str, Any] = field(default_factory=dict)
    workspace: Any = None
    pm: Any = None


@runtime_checkable
class Exporter(Protocol):
    """An exporter writes report files into ``context.out_dir``."""

    name: str
    description: str

    def write(self, context: ExportContext) -> list[Path]:
        """Write this exporter's files and return the paths written."""
        ...

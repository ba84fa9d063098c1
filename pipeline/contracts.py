"""Every type a plugin sees: importers, exporters, follow-up rules, formats, and what they exchange.

These are the whole contract between kith and a plugin; nothing else in ``pipeline`` is
plugin-facing except :mod:`pipeline.testing` and the ``hookimpl`` marker.

- An **importer** never writes to the store and never normalizes: it reads a file and
  returns a frame of canonical columns *as the source wrote them* plus rejects (and, for a
  journal source, typed journal rows). The core validates, normalizes, gives ids and stores.
- A **follow-up rule** sees a :class:`RuleContext` (people, journal entries, today) and
  yields :class:`Task` objects built with ``ctx.task(...)``.
- An **exporter** receives finished data in an :class:`ExportContext` and only writes files;
  it may also read back what a person filled into last week's files
  (:meth:`Exporter.read_feedback`), which the run's feedback stage applies.
- A **format** (:class:`FrameFormat`) writes one frame of records or people to one file
  (``kith export --format``, and exporters through ``context.formats``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pipeline.config import DEFAULT_REGION

if TYPE_CHECKING:
    import polars as pl

#: People with one of these tags never get a follow-up task.
BLOCKING_TAGS = ("do-not-contact", "deceased")


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

    region: str = DEFAULT_REGION
    school: str | None = None
    channel: str | None = None
    tags: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    forced: bool = False


@dataclass(frozen=True)
class JournalRow:
    """One journal entry a journal source (a spreadsheet, a CRM's activity log) hands to the core.

    :param key: a stable fingerprint of the row, so the entry keeps its id (and its tasks their
        done-state) when rows move in a re-export.
    :param place: where in the file: ``Sheet1!5``.
    :param date: ISO date ``2026-11-05``.
    :param kind: one of :data:`pipeline.journal.KINDS` (``met``, ``referral``, …).
    :param person: the ``source_ref`` of the record (in the same result's ``records``) that
        stands for the person; ``via`` / ``to`` likewise for a referral's people.
    """

    key: str
    place: str
    date: str
    kind: str
    person: str
    via: str | None = None
    to: str | None = None
    channel: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class JournalOutcomeRow:
    """The search's outcome as a journal source states it: ``"accepted a job with Contoso"``."""

    text: str
    date: str


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
    :param journal: journal entries the file holds (a journal source); the core stores them
        with the source and the journal stage turns them into journal rows.
    :param journal_outcome: the search's outcome, when the file states one.
    """

    records: pl.DataFrame
    rejects: list[Reject] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    journal: list[JournalRow] = field(default_factory=list)
    journal_outcome: JournalOutcomeRow | None = None


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


# --- follow-up rules: what they see and what they yield -------------------------------------


@dataclass(frozen=True)
class Draft:
    """A drafted message: one-line subject and plain-text body."""

    subject: str
    body: str


@dataclass(frozen=True)
class Why:
    """Why a task exists: the journal entries behind it and one human sentence."""

    entries: tuple[int, ...]
    text: str

    def __str__(self) -> str:
        refs = ", ".join(f"#{e}" for e in self.entries)
        return f"{self.text} (journal {refs})" if refs else self.text


@dataclass
class Task:
    """One follow-up to do.

    :param key: stable id, ``<rule>:<entry ids…>``; what ``kith done`` takes. Built from journal
        entry ids, never person ids (dedupe may change those), so a ticked task stays done.
    :param due: the day to do it.
    :param overdue: ``as_of`` is past ``overdue_after`` (set by the engine).
    :param done: ticked done (``kith done`` or the xlsx Done column).
    :param draft_file: where the draft is written when another report owns the message (a path
        relative to the week's folder, e.g. ``outcome-drafts/03-ken-watanabe.eml``); the checklist
        then links to that file instead of writing a second copy in ``drafts/``.
    """

    key: str
    due: dt.date
    person_id: str
    person_name: str
    email: str | None
    action: str
    why: Why
    draft: Draft
    rule: str
    overdue_after: dt.date
    overdue: bool = False
    done: bool = False
    notes: list[str] = field(default_factory=list)
    draft_file: str | None = None

    def status(self, as_of: dt.date) -> str:
        if self.done:
            return "done"
        if self.overdue:
            return "overdue"
        return "due today" if self.due == as_of else ("due" if self.due < as_of else "upcoming")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["due"] = self.due.isoformat()
        data["overdue_after"] = self.overdue_after.isoformat()
        data["why"] = {"entries": list(self.why.entries), "text": self.why.text}
        return data


@dataclass(frozen=True)
class Entry:
    """One journal entry as rules see it (person ids resolved)."""

    entry_id: int
    date: dt.date
    kind: str
    person_id: str
    via_person_id: str | None
    to_person_id: str | None
    channel: str | None
    note: str | None
    #: The day the entry was written into kith (None when unknown); fixes due dates of tasks
    #: an entry sets off before its own date (a meeting logged ahead: thank the referrer now).
    logged: dt.date | None = None


@dataclass(frozen=True)
class PersonInfo:
    """What rules and templates know about a person."""

    person_id: str
    name: str
    first_name: str
    email: str | None
    organization: str | None
    title: str | None
    tags: tuple[str, ...]
    channel: str | None

    def as_template(self) -> dict[str, Any]:
        return {
            "id": self.person_id,
            "name": self.name,
            "first_name": self.first_name,
            "email": self.email or "",
            "organization": self.organization or "",
            "title": self.title or "",
            "tags": list(self.tags),
            "channel": self.channel or "",
        }

    @property
    def blocked(self) -> bool:
        return any(tag.strip().casefold() in BLOCKING_TAGS for tag in self.tags)


@dataclass(frozen=True)
class Outcome:
    """How the search ended: ``"accepted a job with Contoso as project manager"`` on a date."""

    text: str
    date: dt.date


class RuleContext(Protocol):
    """A follow-up rule's view of one run (the engine's implementation is
    :class:`pipeline.followups.engine.RuleContext`).

    ``people`` and ``journal`` are the run's frames (:func:`pipeline.people.load_people`,
    :func:`pipeline.journal.load_journal`); ``people`` is read on first use, so a rule that
    needs a few columns of everyone asks ``people_columns`` instead; ``entries`` the journal
    entries with a resolved person, by date then id; ``config`` the rule's settings from
    kith.toml over its ``defaults``.
    """

    rule: str
    config: dict[str, Any]

    @property
    def as_of(self) -> dt.date: ...

    @property
    def people(self) -> pl.DataFrame: ...

    def people_columns(self, columns: Sequence[str]) -> pl.DataFrame: ...

    @property
    def journal(self) -> pl.DataFrame: ...

    @property
    def entries(self) -> list[Entry]: ...

    @property
    def outcome(self) -> Outcome | None: ...

    @property
    def template_dirs(self) -> list[Path]: ...

    @property
    def search_over(self) -> bool:
        """An outcome is recorded on or before as-of (templates see it as ``search.over``)."""
        ...

    def person(self, person_id: str | None) -> PersonInfo | None: ...

    def name_of(self, person_id: str | None) -> str: ...

    def is_done(self, key: str) -> bool: ...

    def rule_enabled(self, name: str) -> bool: ...

    def days(self, setting: str) -> dt.timedelta: ...

    def task(
        self,
        *,
        key: str,
        person_id: str,
        due: dt.date,
        action: str,
        entries: list[int] | tuple[int, ...],
        why: str,
        template: str | None = None,
        overdue_after: dt.date | None = None,
        **variables: Any,
    ) -> Task:
        """Build a task of this rule; the draft comes from ``template`` (default: the rule's)."""
        ...


@runtime_checkable
class FollowupRule(Protocol):
    """A follow-up rule: given people, the journal and today, it yields tasks.

    ``name`` is short and unique (``thank_you``) and names the rule's kith.toml table
    (``[followups.thank_you]``); ``description`` is one line for ``kith plugins``;
    ``defaults`` lists every setting the rule reads with its default value (the engine
    rejects unknown keys and wrong types in kith.toml, and adds ``enabled = true``).
    A rule may also define ``refine(tasks, ctx) -> list[Task]`` to annotate the tasks
    every rule produced (it runs after all ``tasks`` calls), and ``template_dir`` (a
    folder of its package holding its draft templates, searched after the workspace's
    folders so a user can still override a template by file name).
    """

    name: str
    description: str
    defaults: dict[str, Any]

    def tasks(self, ctx: RuleContext) -> Iterable[Task]:
        """Yield this rule's tasks; build each with ``ctx.task(...)``."""
        ...


# --- formats: one frame to one file ---------------------------------------------------------


@runtime_checkable
class FrameFormat(Protocol):
    """A file format for a frame of records or people (``kith export --format NAME``).

    ``name`` is what users type (``csv``, ``google-csv``); ``suffix`` the file-name ending
    an exporter uses (``.csv``, ``-google.csv``); ``description`` one line for the help.
    """

    name: str
    suffix: str
    description: str

    def write(self, frame: pl.DataFrame, path: Path, *, sheet: str = "Contacts") -> None:
        """Write ``frame`` to ``path`` atomically; every cell safe to open in a spreadsheet.

        ``sheet`` names the sheet where the format has sheets. Raise
        :class:`pipeline.errors.UsageError` with one sentence when the frame cannot be
        written in this format (too many rows for a sheet, say).
        """
        ...


# --- exporters: finished data in, files out -------------------------------------------------


@dataclass(frozen=True)
class Owner:
    """Whose search this is (kith.toml ``owner_name`` / ``owner_email``), for drafts' signatures."""

    name: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class RunFacts:
    """What the run did before the reports, for exporters that report on the run itself.

    :param inputs: one dict per input file, as in ``run.json`` (``path``, ``importer``,
        ``status``, ``records``, ``rejects`` as ``[{"ref", "reason"}]``).
    :param people: how many people after this run's resolve (None when it did not resolve).
    :param review: how many pairs wait in the review queue.
    """

    week: str
    inputs: tuple[dict[str, Any], ...] = ()
    people: int | None = None
    review: int | None = None


class ReportData(Protocol):
    """The finished data of one run, read once and shared by every exporter (read-only)."""

    @property
    def people(self) -> pl.DataFrame: ...

    def people_columns(self, columns: Sequence[str]) -> pl.DataFrame: ...

    @property
    def journal(self) -> pl.DataFrame: ...

    @property
    def outcome(self) -> Outcome | None: ...

    @property
    def tasks(self) -> list[Task]: ...

    @property
    def done_tasks(self) -> list[Task]: ...

    @property
    def workspace_id(self) -> str: ...

    def review_pairs(self, limit: int) -> list[dict[str, Any]]: ...


@dataclass
class ExportContext:
    """Everything an exporter may use; it holds no store and no plugin manager.

    :param out_dir: the folder to write into (a temporary folder during a run, renamed into
        place only when every exporter succeeded).
    :param as_of: "today" for this report, so past weeks can be re-run.
    :param week: the ISO week of ``as_of`` (``2026-W48``), the report folder's name.
    :param options: this exporter's options from kith.toml ``[[exporters]]``.
    :param data: the run's finished data; read it through the properties below.
    :param owner: the workspace owner, for signatures.
    :param template_dirs: the workspace's template folders (a user's overrides, by file name),
        searched before an exporter's own templates.
    :param formats: every installed :class:`FrameFormat` by name.
    :param facts: what the run did (inputs, rejects, people, review queue).
    :param files: the files the exporters that ran before this one wrote, relative to
        ``out_dir``, and ``run.json`` when the run records one. An exporter with a true
        ``runs_last`` attribute runs after the others, so it sees every file of the folder.
    """

    out_dir: Path
    as_of: dt.date
    week: str
    data: ReportData
    options: dict[str, Any] = field(default_factory=dict)
    owner: Owner = field(default_factory=Owner)
    template_dirs: Sequence[Path] = ()
    formats: Mapping[str, FrameFormat] = field(default_factory=dict)
    facts: RunFacts | None = None
    files: tuple[str, ...] = ()

    @property
    def people(self) -> pl.DataFrame:
        """Every person (after dedupe; one per record before it), :data:`pipeline.people.PEOPLE_COLUMNS`."""
        return self.data.people

    def people_columns(self, columns: Sequence[str]) -> pl.DataFrame:
        """Every person as :attr:`people`, but only ``person_id`` and ``columns``: what an exporter
        that uses a few columns asks for, so a million people are not read thirty columns wide."""
        return self.data.people_columns(columns)

    @property
    def journal(self) -> pl.DataFrame:
        """Every journal entry with people resolved (:func:`pipeline.journal.load_journal`)."""
        return self.data.journal

    @property
    def outcome(self) -> Outcome | None:
        return self.data.outcome

    @property
    def tasks(self) -> list[Task]:
        """This week's open follow-up tasks, computed once by the run, sorted by due date."""
        return self.data.tasks

    @property
    def done_tasks(self) -> list[Task]:
        """The tasks already ticked done (``done=True``), for reports that keep them, such as a
        calendar marking them completed."""
        return self.data.done_tasks

    @property
    def workspace_id(self) -> str:
        """A short id of the workspace, for ids that must be unique per workspace (calendar UIDs)."""
        return self.data.workspace_id

    def review_pairs(self, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` pairs of the review queue, most likely first, each with both records
        (``{"record_a", "record_b", "probability", "reasons", "a": {...}, "b": {...}}``)."""
        return self.data.review_pairs(limit)


@dataclass(frozen=True)
class FeedbackContext:
    """Where an exporter looks for what a person filled into its earlier files.

    :param reports_dir: the workspace's reports folder (``reports/<YYYY-Www>/`` inside).
    :param as_of: the run's "today"; ``week`` its ISO week.
    :param options: the exporter's kith.toml options.
    :param paths: read exactly these files instead of looking in ``reports_dir``
        (``kith review --from-sheet FILE``).
    :param untouched: ``untouched(path)`` is True when ``path`` is byte for byte the file kith
        wrote (nobody filled anything in): a reader may skip parsing it.
    """

    reports_dir: Path
    as_of: dt.date
    week: str
    options: dict[str, Any] = field(default_factory=dict)
    paths: tuple[Path, ...] | None = None
    untouched: Callable[[Path], bool] = field(default=lambda _path: False)


@dataclass(frozen=True)
class SheetDecisions:
    """Same/different answers read from one filled file.

    :param source: the file, for messages and provenance.
    :param digest: SHA-256 of its content: a file is applied once per content, so an old
        sheet never overrides a newer ``kith split``.
    :param rows: ``(record_a, record_b, "same" | "different")``.
    :param warnings: one sentence per row that could not be used, with its place.
    """

    source: Path
    digest: str
    rows: tuple[tuple[str, str, str], ...]
    warnings: tuple[str, ...] = ()
    #: Apply even when a file of this content was applied before (a file the user named).
    force: bool = False


@dataclass(frozen=True)
class Feedback:
    """What an exporter read back: ticked tasks and match decisions.

    :param done: ``(task key, source file)`` per task ticked done.
    :param decisions: one :class:`SheetDecisions` per filled review file, oldest first.
    """

    done: tuple[tuple[str, str], ...] = ()
    decisions: tuple[SheetDecisions, ...] = ()


@runtime_checkable
class Exporter(Protocol):
    """An exporter writes report files into ``context.out_dir``.

    It may also define ``read_feedback(context: FeedbackContext) -> Feedback``: reading back
    what the person filled into the files it wrote earlier (a Done column, a Decision
    column). The run's feedback stage calls it before people are resolved and tasks are
    planned; it must only read.
    """

    name: str
    description: str

    def write(self, context: ExportContext) -> list[Path]:
        """Write this exporter's files and return the paths written."""
        ...

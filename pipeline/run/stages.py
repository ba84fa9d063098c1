"""One run: the weekly flow as explicit stages, each done once, in one direction.

    recover → plan inputs → import → sync the journal → apply feedback → resolve people →
    plan follow-ups → write reports → record run.json

A :class:`Run` holds the workspace, the process's **one** plugin manager, the store and the
as-of date. ``kith run`` calls every stage (:meth:`Run.weekly`); ``kith import`` plans and
imports and syncs the journal; ``kith dedupe`` applies feedback and resolves; ``kith report``
syncs, applies feedback, plans follow-ups and writes; the journal commands sync first.
Calling the same methods from Python does exactly what the CLI does.

Who may write what: the import stage writes sources and records; the journal stage the
journal; the feedback stage task state and match decisions; the resolve stage people;
"write reports" only files, through exporters that get finished data
(:class:`pipeline.contracts.ExportContext`) and never the store or the plugin manager.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
import glob
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import registry
from pipeline.config import InputConfig
from pipeline.contracts import (
    ExportContext,
    Feedback,
    FeedbackContext,
    ImportOptions,
    Owner,
    RunFacts,
    SheetDecisions,
    Task,
)
from pipeline.errors import ConfigError, InputError, KithError, PluginError, UsageError
from pipeline.fileio import atomic_write
from pipeline.followups import FollowupSettings, compute_tasks, mark_done
from pipeline.importing import FileOutcome, FilePlan, expand_paths, import_planned, plan_file
from pipeline.journal.sync import sync_imported
from pipeline.lock import workspace_lock
from pipeline.manager import KithPluginManager
from pipeline.run.data import RunData
from pipeline.run.folders import carried_over, file_stamp, fill_folder, recover_interrupted, untouched
from pipeline.run.report import RunReport, captured_warnings, iso_week
from pipeline.series import follow_series
from pipeline.store import Store
from pipeline.threads import helper_threads
from pipeline.workspace import Workspace

Note = Callable[[str], None]


@dataclass
class PlannedInput:
    """One file of the run's plan: which ``[[inputs]]`` entry named it (None for ``kith import``
    paths) and its :class:`~pipeline.importing.FilePlan`; or an entry that names no file."""

    number: int | None
    plan: FilePlan | None = None
    error: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        if self.plan is None:
            return dict(self.error or {})
        data = self.plan.to_json()
        if self.number is not None:
            data["input"] = self.number
        return data


def expand_input(workspace: Workspace, item: InputConfig, number: int) -> list[Path]:
    """The files an ``[[inputs]]`` entry names; a path or glob matching nothing is an error naming it."""
    pattern = str(workspace.resolve(item.path))
    matches = sorted(Path(p) for p in glob.glob(pattern, recursive=True))
    files = [p for p in matches if p.is_file()]
    for folder in (p for p in matches if p.is_dir()):
        files.extend(sorted(f for f in folder.rglob("*") if f.is_file() and not f.name.startswith(".")))
    if not files:
        raise InputError(f"{workspace.config_path}: [[inputs]] #{number} path {item.path!r} matches no file")
    return files


def configured_exporters(workspace: Workspace, pm: KithPluginManager) -> list[tuple[str, dict[str, Any]]]:
    """``(name, options)`` per ``[[exporters]]``; every installed exporter when none is configured."""
    available = registry.exporters(pm)
    if not workspace.config.exporters:
        return [(name, {}) for name in sorted(available)]
    chosen = []
    for number, item in enumerate(workspace.config.exporters, 1):
        if item.name not in available:
            raise ConfigError(
                f"{workspace.config_path}: [[exporters]] #{number} names {item.name!r}, which is not "
                f"installed (installed: {', '.join(sorted(available)) or 'none'})"
            )
        chosen.append((item.name, item.options))
    return chosen


def chosen_exporters(
    workspace: Workspace, pm: KithPluginManager, names: list[str] | None
) -> list[tuple[str, dict[str, Any]]]:
    """``names`` (with their kith.toml options) or, when none are named, the configured exporters."""
    available = registry.exporters(pm)
    unknown = [n for n in names or [] if n not in available]
    if unknown:
        raise UsageError(
            f"no exporter named {unknown[0]!r}; installed: {', '.join(sorted(available)) or 'none'}"
        )
    configured = configured_exporters(workspace, pm)
    if not names:
        return configured
    options = dict(configured)
    return [(n, options.get(n, {})) for n in names]


class Run:
    """The stages of one run over one workspace (see the module docstring)."""

    def __init__(
        self,
        workspace: Workspace,
        pm: KithPluginManager,
        store: Store,
        *,
        as_of,
        keep_going: bool = False,
        dry_run: bool = False,
        note: Note | None = None,
    ) -> None:
        self.workspace = workspace
        self.pm = pm
        self.store = store
        self.as_of = as_of
        self.week = iso_week(as_of)
        self.keep_going = keep_going
        self.note = note or (lambda _message: None)
        self.report = RunReport(as_of=as_of, week=self.week, dry_run=dry_run)
        self.followup_settings = FollowupSettings.from_workspace(workspace)
        self.data = RunData(store, self._compute_tasks)
        self._feedback_read = False
        self._read_back: list[str] = []  # files of exporters that read them back, as written

    @classmethod
    @contextlib.contextmanager
    def open(
        cls, workspace: Workspace, pm: KithPluginManager, *, as_of, lock: str | None = None, **options: Any
    ) -> Iterator[Run]:
        """Open the store (and hold the workspace lock when ``lock`` names the command) for a run."""
        held = workspace_lock(workspace.root / "kith.lock", lock) if lock else contextlib.nullcontext()
        with held, Store(workspace.store_path) as store:
            yield cls(workspace, pm, store, as_of=as_of, **options)

    @contextlib.contextmanager
    def _timed(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            release_memory()  # what a stage freed is not the next stage's peak
            self.report.durations[stage] = (
                self.report.durations.get(stage, 0.0) + time.perf_counter() - started
            )

    def import_options(self, item: InputConfig | None = None) -> ImportOptions:
        """What an importer is told about a file: the workspace's region and school, and the
        ``[[inputs]]`` entry's channel, tags, mapping and settings when it has one."""
        config = self.workspace.config
        if item is None:
            return ImportOptions(region=config.region, school=config.school)
        return ImportOptions(
            region=config.region,
            school=config.school,
            channel=item.channel,
            tags=list(item.tags),
            mapping=dict(item.mapping),
            settings=dict(item.settings),
        )

    # --- stages -----------------------------------------------------------------------------

    def recover(self) -> None:
        """Undo what a killed run left in the reports folder (under the workspace lock)."""
        recover_interrupted(self.workspace.reports_dir)

    def plan_inputs(
        self, paths: list[Path] | None = None, *, as_name: str | None = None, force: bool = False
    ) -> list[PlannedInput]:
        """What importing will do with each file: ``paths`` and the files in named folders
        (``kith import``), or kith.toml's ``[[inputs]]`` (``kith run``). An entry matching no
        file is a failed input."""
        with self._timed("plan"):
            if paths is not None:
                paths = expand_paths(paths)
                options = self.import_options()
                return [
                    PlannedInput(
                        None, plan_file(self.store, p, options=options, as_name=as_name, force=force)
                    )
                    for p in expand_paths(paths)
                ]
            planned: list[PlannedInput] = []
            for number, item in enumerate(self.workspace.config.inputs, 1):
                try:
                    files = expand_input(self.workspace, item, number)
                except KithError as exc:
                    failed = {"input": number, "path": item.path, "status": "failed", "error": str(exc)}
                    planned.append(PlannedInput(number, error=failed))
                    if not self.keep_going:
                        self.report.inputs.append(failed)
                        raise
                    continue
                wanted = None if item.importer == "auto" else item.importer
                options = self.import_options(item)
                plans = [
                    plan_file(self.store, f, options=options, as_name=wanted, force=force) for f in files
                ]
                if glob.has_magic(item.path) and not force:
                    follow_series(self.store, plans, str(self.workspace.resolve(item.path).resolve()))
                planned.extend(PlannedInput(number, plan) for plan in plans)
            return planned

    def import_inputs(
        self, planned: list[PlannedInput], *, strict: bool = False, progress: Any = None
    ) -> list[FileOutcome]:
        """Do what the plan says, file by file (each file its own transaction)."""
        outcomes: list[FileOutcome] = []
        with self._timed("import"):
            for item in planned:
                if item.plan is None:
                    self.report.inputs.append(item.to_json())
                    continue
                if item.plan.imports:
                    self.note(f"importing {item.plan.path.name}")
                outcome = import_planned(self.store, self.pm, item.plan, strict=strict, progress=progress)
                outcomes.append(outcome)
                self.report.inputs.append(_outcome_json(outcome, item.number))
                if outcome.status == "failed" and not self.keep_going and item.number is not None:
                    raise InputError(outcome.error or f"{item.plan.path}: import failed")
        return outcomes

    def sync_journal(self) -> None:
        """Turn the journal rows imported sources carried into journal entries (cheap when unchanged)."""
        with self._timed("journal"):
            sync_imported(self.store)

    def read_feedback(
        self, exporters: list[tuple[str, dict[str, Any]]], *, paths: list[Path] | None = None
    ) -> Feedback:
        """What the person filled into earlier files, from every exporter that reads its files back."""
        found = registry.exporters(self.pm)
        context_paths = tuple(paths) if paths is not None else None
        done: list[tuple[str, str]] = []
        decisions: list[SheetDecisions] = []
        for name, options in exporters:
            exporter = found[name]
            reader = getattr(exporter, "read_feedback", None)
            if not callable(reader):
                continue
            context = FeedbackContext(
                self.workspace.reports_dir, self.as_of, self.week, dict(options), context_paths, untouched
            )
            feedback = registry.guarded(self.pm, "exporter", name, lambda r=reader, c=context: r(c))
            if not isinstance(feedback, Feedback):
                owner = registry.owner_of(self.pm, "exporter", name)
                raise PluginError(
                    f"exporter {name!r} (plugin {owner!r}): read_feedback returned "
                    f"{type(feedback).__name__}, expected a Feedback"
                )
            done += feedback.done
            decisions += feedback.decisions
        return Feedback(tuple(done), tuple(decisions))

    def apply_feedback(
        self, exporters: list[tuple[str, dict[str, Any]]], *, paths: list[Path] | None = None
    ) -> tuple[int, int]:
        """Store the Done ticks and same/different decisions read back from last week's files.

        Returns ``(tasks newly ticked, decisions stored)``.
        """
        from pipeline.dedupe.storage import store_sheet_decisions

        with self._timed("feedback"):
            feedback = self.read_feedback(exporters, paths=paths)
            ticked = 0
            by_source: dict[str, list[str]] = {}
            for key, source in feedback.done:
                by_source.setdefault(source, []).append(key)
            for source, keys in by_source.items():
                ticked += mark_done(self.store, keys, source=source)
            stored = 0
            if feedback.decisions:
                stored, warnings = store_sheet_decisions(self.store, feedback.decisions)
                self.report.warnings += warnings
            self._feedback_read = True
            return ticked, stored

    def resolve_people(self, *, refit: bool = False, full: bool = False, progress: Any = None):
        """Dedupe: resolve records into people (incrementally; ``full``: every record, a new model);
        returns the run's :class:`~pipeline.dedupe.storage.DedupeRun`. ``progress(stage, detail)``
        is told as each stage starts (default: the run's note)."""
        from pipeline.dedupe.storage import dedupe_store, workspace_settings

        with self._timed("dedupe"):
            self.note("resolving people")
            tell = progress or (lambda stage, detail: self.note(f"resolving people: {stage} ({detail})"))
            settings = workspace_settings(self.workspace)
            run = dedupe_store(self.store, settings, refit=refit, full=full, progress=tell)
            self.report.people, self.report.review = run.people, run.review
            self.report.warnings += run.warnings
            return run

    def plan_followups(self) -> list[Task]:
        """This week's open follow-up tasks, computed once for the whole run."""
        with self._timed("followups"):
            tasks = self.data.tasks
            self.report.tasks = len(tasks)
            return tasks

    def _compute_tasks(self, data: RunData) -> list[Task]:
        return compute_tasks(
            self.store,
            self.pm,
            self.as_of,
            self.followup_settings,
            people=data.read_people,
            journal=data.journal,
            include_done=True,
        )

    def write_reports(
        self,
        exporters: list[tuple[str, dict[str, Any]]],
        out_dir: Path | None = None,
        *,
        keep_others: bool = False,
        record: bool = False,
    ) -> list[str]:
        """Run ``exporters`` into the week's folder (or ``out_dir``) through a staging folder that
        is swapped in only when all succeeded; with ``record`` write ``run.json`` there too.
        Returns the written paths, relative to the folder."""
        target = out_dir or self.workspace.reports_dir / self.week
        with self._timed("reports"):
            self.note(f"writing reports for {self.week}")

            def fill(staging: Path) -> list[str]:
                kept = target if keep_others else None
                written = self._run_exporters(exporters, staging, ("run.json",) if record else (), kept)
                if record:
                    self.report.written = {p: file_stamp(staging / p) for p in self._read_back}
                    self.report.outputs = sorted([*written, "run.json"])
                    self.report.report_dir = str(target)
                    self.report.finish()
                    with atomic_write(staging / "run.json") as handle:
                        json.dump(self.report.to_json(), handle, indent=2, ensure_ascii=False, default=str)
                return written

            # A people snapshot written on first read goes beside the exporters; done by the stage's end.
            with helper_threads() as beside:
                self.data.beside = beside
                try:
                    written = fill_folder(target, fill, keep_others=keep_others)
                finally:
                    self.data.beside = None
        if record:  # the reports stage's own time, now that it is known
            self.report.finish()
            if self.data.planned:  # the week's tasks, for open_tasks and other SQL readers
                self.store.save_tasks(self.week, [*self.data.tasks, *self.data.done_tasks])
        return written

    def _run_exporters(
        self,
        exporters: list[tuple[str, dict[str, Any]]],
        staging: Path,
        also: tuple[str, ...] = (),
        kept_from: Path | None = None,
    ) -> list[str]:
        found = registry.exporters(self.pm)
        facts = self.facts()
        written: list[str] = []
        self._read_back = []
        # an exporter that links the folder's files (the weekly page) runs after the others
        ordered = sorted(exporters, key=lambda item: bool(getattr(found[item[0]], "runs_last", False)))
        for number, (name, options) in enumerate(ordered, 1):
            self.note(f"writing reports: {name} ({number} of {len(ordered)})")
            context = export_context(
                self.pm, self.data, self.followup_settings, self.as_of, staging, options, facts
            )
            context.files = (*written, *also)
            if kept_from is not None and getattr(found[name], "runs_last", False):
                context.files += carried_over(kept_from, staging)
            exporter = found[name]
            with captured_warnings(self.report.warnings):
                paths = registry.guarded(self.pm, "exporter", name, lambda e=exporter, c=context: e.write(c))
            paths = registry.written_paths(self.pm, name, paths, staging)
            written += paths
            if callable(getattr(exporter, "read_feedback", None)):  # stamped: see folders.untouched
                self._read_back += [p for p in paths if len(Path(p).parts) == 1]
        if self.data.planned:
            self.report.tasks = len(self.data.tasks)
        return written

    def facts(self) -> RunFacts:
        """What the run did so far, for exporters that report on the run."""
        return store_facts(self.store, self.week, self.report)

    # --- the subsets the commands run ------------------------------------------------------------

    def reports(self, names: list[str] | None = None, out_dir: Path | None = None) -> list[Path]:
        """``kith report``: sync the journal, apply feedback, write the exporters ``names`` (default:
        kith.toml's, else all) into the week's folder (or ``out_dir``), keeping the files of the
        exporters that did not run. Returns the paths written."""
        chosen = chosen_exporters(self.workspace, self.pm, names)
        target = out_dir or self.workspace.reports_dir / self.week
        self.sync_journal()
        self.apply_feedback(chosen)
        return [target / p for p in self.write_reports(chosen, target, keep_others=True)]

    def weekly(self, *, force: bool = False, full: bool = False) -> RunReport:
        """``kith run``: every stage in order. With ``dry_run`` (set when the run was made) it
        stops after planning and reports the plan: the same plan the real run executes.
        ``full``: resolve every record again (``kith dedupe --full``)."""
        if not self.report.dry_run:
            self.recover()
        planned = self.plan_inputs(force=force)
        exporters = configured_exporters(self.workspace, self.pm)
        if self.report.dry_run:
            self.report.inputs = [item.to_json() for item in planned]
            out_dir = self.workspace.reports_dir / self.week
            self.report.outputs = [f"{name} (would write into {out_dir})" for name, _ in exporters]
            return self.report.finish()
        self.import_inputs(planned)
        self.sync_journal()
        self.apply_feedback(exporters)
        self.resolve_people(full=full)
        if self._week_unchanged(exporters):
            return self.report.finish()
        self.plan_followups()
        self.report.reports = "written"
        self.write_reports(exporters, record=True)
        return self.report.finish()

    def _week_unchanged(self, exporters: list[tuple[str, dict[str, Any]]]) -> bool:
        """Whether the week's folder was written from the state the store and settings are in
        now (see :mod:`pipeline.run.state`); if so the report takes its outputs and tasks."""
        from pipeline.run.state import code_roots, week_state, written_week

        with self._timed("state"):
            self.report.state = week_state(
                self.store,
                as_of=self.as_of,
                exporters=exporters,
                config_path=self.workspace.config_path,
                template_dirs=self.followup_settings.template_dirs,
                code=code_roots(self.pm.get_plugins()),
            )
            folder = self.workspace.reports_dir / self.week
            saved = written_week(folder, self.report.state)
        if saved is None:
            return False
        self.note(f"reports for {self.week} are up to date: nothing to write")
        self.report.reports = "unchanged"
        self.report.outputs = list(saved.get("outputs") or [])
        self.report.tasks = saved.get("tasks")
        self.report.report_dir = str(folder)
        return True


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl, Windows): nothing to hand back
        return None


def release_memory() -> None:
    """Hand back to the system what the last stage freed: collect cycles, and ask glibc to return
    its free heap pages (Arrow and SQLite buffers of a columnar read stay mapped otherwise)."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def store_facts(store: Store, week: str, report: RunReport | None = None) -> RunFacts:
    """:class:`RunFacts` from what ``report`` says the run did, the rest from the store."""
    from pipeline.dedupe.storage import has_run

    people = report.people if report else None
    review = report.review if report else None
    if has_run(store):
        people = store.count("people") if people is None else people
        review = store.count("review_queue") if review is None else review
    inputs = tuple(report.inputs) if report else ()
    return RunFacts(week=week, inputs=inputs, people=people, review=review)


def export_context(
    pm: KithPluginManager,
    data: RunData,
    settings: FollowupSettings,
    as_of,
    out_dir: Path,
    options: dict[str, Any],
    facts: RunFacts,
) -> ExportContext:
    """What an exporter gets: the run's finished data, the workspace owner and template folders,
    the installed formats, the run's facts, and its own options."""
    return ExportContext(
        out_dir=out_dir,
        as_of=as_of,
        week=iso_week(as_of),
        data=data,
        options=dict(options),
        owner=Owner(settings.owner_name, settings.owner_email),
        template_dirs=tuple(settings.template_dirs),
        formats=registry.formats(pm),
        facts=facts,
    )


def _outcome_json(outcome: FileOutcome, number: int | None) -> dict[str, Any]:
    data = outcome.to_json()
    if number is not None:
        data["input"] = number
    data.pop("warnings", None)
    return data

"""``kith run``: the weekly batch, driven by kith.toml and safe to schedule.

1. import every ``[[inputs]]`` file whose content is new or changed (unchanged files are
   skipped by their hash);
2. resolve people (dedupe, incremental);
3. run every configured exporter into ``reports/<ISO week>/`` — written into a temporary
   sibling folder and renamed into place, so a failed run leaves the previous reports
   (and any earlier complete run of this week) untouched;
4. write ``run.json`` (inputs with hashes and counts, rejects, people, tasks, outputs,
   durations, kith version) into that folder.

A lock file stops two runs on one workspace at once. Exit codes fit cron: 0 all good,
1 a failure (nothing half-written), 3 finished but records were rejected or (with
``keep_going``) some inputs failed.
"""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import __version__, registry
from pipeline.config import InputConfig
from pipeline.contracts import ExportContext, ImportOptions
from pipeline.errors import ConfigError, InputError, KithError, PluginError
from pipeline.fileio import DIR_MODE, atomic_write, ensure_private_dir
from pipeline.importing import FileOutcome, file_hash, import_file
from pipeline.lock import workspace_lock
from pipeline.manager import KithPluginManager
from pipeline.store import Store
from pipeline.workspace import Workspace

Progress = Callable[[str], None]

EXIT_OK, EXIT_FAILED, EXIT_PARTIAL = 0, 1, 3


def iso_week(day: dt.date) -> str:
    """``2026-W48`` for the ISO week holding ``day``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class RunReport:
    """What a run did; ``run.json`` and ``kith run --json`` are this, as JSON."""

    as_of: dt.date
    week: str
    dry_run: bool = False
    inputs: list[dict[str, Any]] = field(default_factory=list)
    people: int | None = None
    tasks: int | None = None
    outputs: list[str] = field(default_factory=list)
    durations: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    report_dir: str | None = None
    exit_code: int = EXIT_OK

    @property
    def rejects(self) -> int:
        return sum(len(item.get("rejects", [])) for item in self.inputs if item.get("status") == "imported")

    def to_json(self) -> dict[str, Any]:
        return {
            "kith_version": __version__,
            "as_of": self.as_of.isoformat(),
            "week": self.week,
            "dry_run": self.dry_run,
            "exit_code": self.exit_code,
            "inputs": self.inputs,
            "records_imported": sum(
                i.get("records", 0) for i in self.inputs if i.get("status") == "imported"
            ),
            "rejects": self.rejects,
            "people": self.people,
            "tasks": self.tasks,
            "outputs": self.outputs,
            "report_dir": self.report_dir,
            "durations": {k: round(v, 3) for k, v in self.durations.items()},
            "errors": self.errors,
        }


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


def _options(workspace: Workspace, item: InputConfig) -> ImportOptions:
    config = workspace.config
    return ImportOptions(
        region=config.region,
        school=config.school,
        channel=item.channel,
        tags=list(item.tags),
        mapping=dict(item.mapping),
        settings=dict(item.settings),
    )


def _outcome_json(outcome: FileOutcome, number: int) -> dict[str, Any]:
    data = outcome.to_json()
    data["input"] = number
    data.pop("warnings", None)
    return data


def _import_inputs(
    workspace: Workspace,
    store: Store,
    pm: KithPluginManager,
    report: RunReport,
    keep_going: bool,
    note: Progress,
) -> None:
    for number, item in enumerate(workspace.config.inputs, 1):
        try:
            paths = expand_input(workspace, item, number)
        except KithError as exc:
            report.inputs.append({"input": number, "path": item.path, "status": "failed", "error": str(exc)})
            if not keep_going:
                raise
            continue
        as_name = None if item.importer == "auto" else item.importer
        for path in paths:
            if report.dry_run:
                report.inputs.append(_dry_run_status(store, path, number))
                continue
            note(f"importing {path.name}")
            outcome = import_file(store, pm, path, options=_options(workspace, item), as_name=as_name)
            report.inputs.append(_outcome_json(outcome, number))
            if outcome.status == "failed" and not keep_going:
                raise InputError(outcome.error or f"{path}: import failed")


def _dry_run_status(store: Store, path: Path, number: int) -> dict[str, Any]:
    content_hash, _ = file_hash(path)
    known = store.source_by_path(str(path.resolve()))
    status = "unchanged" if known and known.content_hash == content_hash else ("changed" if known else "new")
    return {
        "input": number,
        "path": str(path),
        "status": f"would import ({status})" if status != "unchanged" else status,
        "content_hash": content_hash,
    }


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


def write_reports(
    workspace: Workspace,
    store: Store,
    pm: KithPluginManager,
    exporters: list[tuple[str, dict[str, Any]]],
    as_of: dt.date,
    out_dir: Path,
    extra_files: Callable[[Path, list[str]], None] | None = None,
) -> list[str]:
    """Run ``exporters`` into a temporary sibling of ``out_dir`` and rename it into place.

    On any failure the temporary folder is removed and ``out_dir`` keeps what it had.
    Returns the written paths, relative to ``out_dir``.
    """
    ensure_private_dir(out_dir.parent)
    staging = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=DIR_MODE)
    written: list[str] = []
    try:
        available = registry.exporters(pm)
        for name, options in exporters:
            context = ExportContext(
                store=store, out_dir=staging, as_of=as_of, options=options, workspace=workspace
            )
            try:
                paths = available[name].write(context)
            except KithError:
                raise
            except Exception as exc:
                owner = registry.owner_of(pm, "exporter", name)
                raise PluginError(f"exporter {name!r} (plugin {owner!r}) failed: {exc}") from exc
            written.extend(str(Path(p).resolve().relative_to(staging.resolve())) for p in paths or [])
        if extra_files:
            extra_files(staging, written)
        _swap_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return written


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` by ``staging`` with two renames; the old folder goes only after."""
    retired = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
    if out_dir.exists():
        os.replace(out_dir, retired)
    os.replace(staging, out_dir)
    shutil.rmtree(retired, ignore_errors=True)


def recover_interrupted(reports_dir: Path) -> None:
    """Undo what a killed run left in ``reports_dir`` (call under the workspace lock).

    A run killed between the two renames of :func:`_swap_into_place` leaves the week's
    previous folder as ``.<week>.old-<pid>`` and no ``<week>``: put it back. Staging
    folders of killed runs (``.<week>.tmp-<pid>``) are half-written: remove them.
    """
    if not reports_dir.is_dir():
        return
    for leftover in sorted(reports_dir.glob(".*.old-*")):
        week = reports_dir / leftover.name[1:].rsplit(".old-", 1)[0]
        if week.exists():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            os.replace(leftover, week)
    for leftover in reports_dir.glob(".*.tmp-*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)


def run_batch(
    workspace: Workspace,
    pm: KithPluginManager,
    *,
    as_of: dt.date | None = None,
    dry_run: bool = False,
    keep_going: bool = False,
    progress: Progress | None = None,
    dedupe: Callable[[Store, Workspace], int] | None = None,
    count_tasks: Callable[[Store, KithPluginManager, Workspace, dt.date], int] | None = None,
) -> RunReport:
    """The weekly batch (see module docstring). Raises KithError on failure; the report says what ran."""
    as_of = as_of or dt.date.today()
    report = RunReport(as_of=as_of, week=iso_week(as_of), dry_run=dry_run)
    note = progress or (lambda _msg: None)
    out_dir = workspace.reports_dir / report.week
    with workspace_lock(workspace.root / "kith.lock"), Store(workspace.store_path) as store:
        if not dry_run:
            recover_interrupted(workspace.reports_dir)
        started = time.perf_counter()
        _import_inputs(workspace, store, pm, report, keep_going, note)
        report.durations["import"] = time.perf_counter() - started
        exporters = configured_exporters(workspace, pm)
        if dry_run:
            report.outputs = [f"{name} (would write into {out_dir})" for name, _ in exporters]
            return _finish(report)

        started = time.perf_counter()
        if dedupe is not None:
            note("resolving people")
            report.people = dedupe(store, workspace)
        report.durations["dedupe"] = time.perf_counter() - started
        if count_tasks is not None:
            report.tasks = count_tasks(store, pm, workspace, as_of)

        started = time.perf_counter()
        note(f"writing reports for {report.week}")

        def add_run_json(staging: Path, written: list[str]) -> None:
            report.durations["reports"] = time.perf_counter() - started
            report.outputs = sorted(written + ["run.json"])
            report.report_dir = str(out_dir)
            _finish(report)
            with atomic_write(staging / "run.json") as handle:
                json.dump(report.to_json(), handle, indent=2, ensure_ascii=False, default=str)

        write_reports(workspace, store, pm, exporters, as_of, out_dir, extra_files=add_run_json)
    return _finish(report)


def _finish(report: RunReport) -> RunReport:
    failed = [i for i in report.inputs if i.get("status") == "failed"]
    report.exit_code = EXIT_PARTIAL if failed or report.rejects else EXIT_OK
    report.errors = [i.get("error") for i in failed if i.get("error")]
    return report

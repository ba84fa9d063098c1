"""Running plugins through the real core in a test: workspaces, imports, records, exports.

Part of :mod:`pipeline.testing`; import the names from there.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from pipeline import registry
from pipeline.contracts import ExportContext, Exporter, Importer, ImportOptions, ImportResult
from pipeline.followups import FollowupSettings, compute_tasks
from pipeline.formatting import write_formatted
from pipeline.hookspecs import hookimpl
from pipeline.importing import FileOutcome, import_file
from pipeline.journal.sync import sync_imported
from pipeline.manager import BUILTIN_PLUGINS, KithPluginManager, make_plugin_manager
from pipeline.run import Run, iso_week
from pipeline.run.data import RunData
from pipeline.run.stages import export_context as run_export_context
from pipeline.run.stages import store_facts
from pipeline.schema import MULTI_VALUED
from pipeline.store import Store
from pipeline.workspace import Workspace, init_workspace

Plugins = Iterable[tuple[str, object]]


def make_workspace(
    root: Path, files: dict[str, str | bytes] | None = None, config: str | None = None
) -> Workspace:
    """A workspace in ``root`` holding ``files`` (name → text or bytes) and optionally a kith.toml."""
    root.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (root / "kith.toml").write_text(config, encoding="utf-8")
    for name, content in (files or {}).items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    workspace, _ = init_workspace(root)
    return workspace


def plugin_manager(plugins: Plugins = (), builtins: Iterable[str] = BUILTIN_PLUGINS) -> KithPluginManager:
    """A fresh manager with the built-ins plus ``(name, plugin)`` pairs; no entry points, nothing disabled.

    Entry points stay off so a test sees the same plugins whatever else is installed (and
    so a plugin under test that is also installed is not registered twice).
    """
    return make_plugin_manager(builtins=builtins, entry_points=False, extra_plugins=plugins, disabled=())


def get_importer(name: str, *, plugins: Plugins = (), pm: KithPluginManager | None = None) -> Importer:
    """The importer called ``name``, as the core's registry sees it (validated, duplicates refused)."""
    found = registry.importers(pm or plugin_manager(plugins))
    if name not in found:
        raise AssertionError(f"no importer named {name!r} is registered; found {sorted(found)}")
    return found[name]


# --- importing through the core ------------------------------------------------------


@dataclass
class ImportedFile:
    """What :func:`import_through_core` returns: the outcome and the records now in the store."""

    outcome: FileOutcome
    records: pl.DataFrame
    store_path: Path


def options_for(workspace: Workspace, options: ImportOptions | None) -> ImportOptions:
    return options or ImportOptions(region=workspace.config.region, school=workspace.config.school)


def import_through_core(
    workspace: Workspace,
    name: str | Path,
    *,
    importer: str | None = None,
    plugins: Plugins = (),
    pm: KithPluginManager | None = None,
    options: ImportOptions | None = None,
    store_path: Path | None = None,
) -> ImportedFile:
    """Import one file of the workspace exactly as ``kith import`` would, and read back its records.

    :param name: a path relative to the workspace, or an absolute path.
    :param importer: force this importer (``--as``); by default the best sniff decides.
    :param store_path: another store than the workspace's (for comparing two imports).
    """
    path = workspace.resolve(str(name))
    pm = pm or plugin_manager(plugins)
    store_path = store_path or workspace.store_path
    with Store(store_path) as store:
        outcome = import_file(store, pm, path, options=options_for(workspace, options), as_name=importer)
        sync_imported(store)  # the journal stage that follows every import
        records = store.records("WHERE source_file = ?", (str(path),))
    return ImportedFile(outcome, records, store_path)


# --- exporters ------------------------------------------------------------------------


class _RowsImporter:
    """Hands given rows to the core as if read from a file (for :func:`add_records`)."""

    description = "rows given by a test"

    def __init__(self, name: str, rows: list[dict[str, Any]]) -> None:
        self.name, self.rows = name, rows

    def sniff(self, path: Path, head: bytes) -> float:
        return 0.0

    def read(self, path: Path, options: ImportOptions) -> ImportResult:
        rows = []
        for number, row in enumerate(self.rows, 2):
            # One dtype per column: a multi-valued field given as text becomes its list.
            fixed = {
                k: v.split(";") if k in MULTI_VALUED and isinstance(v, str) else v for k, v in row.items()
            }
            rows.append({"source_ref": f"row {number}", **fixed})
        return ImportResult(pl.DataFrame(rows, infer_schema_length=None))


class _RowsPlugin:
    def __init__(self, importer: _RowsImporter) -> None:
        self.importer = importer

    @hookimpl
    def register_importers(self) -> list[_RowsImporter]:
        return [self.importer]


def add_records(
    workspace: Workspace, rows: list[dict[str, Any]], *, source: str = "test_rows"
) -> ImportedFile:
    """Put records into the workspace's store through the core (validation, normalization, ids).

    :param rows: one dict per record, canonical field names → source text (``emails``,
        ``phones`` and ``tags`` as a list or a ``;``-separated string).
    :param source: the importer name the records carry; also names the file they "come from".
    """
    name = f"{source}.json"
    (workspace.root / name).write_text(json.dumps(rows, default=str, ensure_ascii=False), encoding="utf-8")
    pm = plugin_manager([("kith_testing_rows", _RowsPlugin(_RowsImporter(source, rows)))])
    result = import_through_core(workspace, name, importer=source, pm=pm)
    if result.outcome.status == "failed":
        raise AssertionError(f"add_records: the core refused the rows: {result.outcome.error}")
    return result


def get_exporter(name: str, *, plugins: Plugins = (), pm: KithPluginManager | None = None) -> Exporter:
    """The exporter called ``name``, as the core's registry sees it."""
    found = registry.exporters(pm or plugin_manager(plugins))
    if name not in found:
        raise AssertionError(f"no exporter named {name!r} is registered; found {sorted(found)}")
    return found[name]


def export_frame(
    frame: pl.DataFrame,
    fmt: str,
    out: str | Path,
    *,
    sheet: str = "Contacts",
    plugins: Plugins = (),
    pm: KithPluginManager | None = None,
) -> str:
    """Write ``frame`` in the registered format ``fmt`` exactly as ``kith export --format`` does."""
    return write_formatted(pm or plugin_manager(plugins), fmt, frame, out, sheet=sheet)


def export_context(
    store: Store,
    out_dir: Path,
    as_of: dt.date | None = None,
    *,
    options: dict[str, Any] | None = None,
    workspace: Workspace | None = None,
    pm: KithPluginManager | None = None,
    plugins: Plugins = (),
) -> ExportContext:
    """The :class:`~pipeline.contracts.ExportContext` a run would hand an exporter over ``store``:
    its people, journal, outcome, tasks (planned with ``pm``'s rules and ``workspace``'s
    settings), review pairs and facts."""
    pm = pm or plugin_manager(plugins)
    day = as_of or dt.date.today()
    settings = FollowupSettings.from_workspace(workspace)

    def plan(data: RunData) -> list:
        return compute_tasks(
            store, pm, day, settings, people=data.read_people, journal=data.journal, include_done=True
        )

    data = RunData(store, plan)
    facts = store_facts(store, iso_week(day))
    return run_export_context(pm, data, settings, day, Path(out_dir), options or {}, facts)


def export_through_core(
    workspace: Workspace,
    exporter: str,
    *,
    plugins: Plugins = (),
    pm: KithPluginManager | None = None,
    as_of: dt.date | None = None,
    options: dict[str, Any] | None = None,
    out_dir: Path | None = None,
) -> list[Path]:
    """Run exporter ``exporter`` on the workspace's store into ``out_dir`` as ``kith report`` does
    (feedback read back first, the folder swapped in whole); return the paths written.

    Checks the exporter contract: ``write`` returns a list of paths, each an existing file
    inside ``out_dir``.
    """
    pm = pm or plugin_manager(plugins)
    get_exporter(exporter, pm=pm)
    out_dir = out_dir or workspace.root / "out"
    chosen = [(exporter, dict(options or {}))]
    try:
        with Run.open(workspace, pm, as_of=as_of or dt.date.today()) as run:
            run.sync_journal()
            run.apply_feedback(chosen)
            written = run.write_reports(chosen, out_dir, keep_others=True)
    except registry.ContractError as exc:
        raise AssertionError(str(exc)) from None
    return [out_dir / p for p in written]

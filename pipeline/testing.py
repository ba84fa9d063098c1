"""Helpers for testing kith plugins (ours and third-party), in the spirit of pytest's ``pytester``.

Everything runs through the real core: a real workspace in a temporary folder, the real
plugin manager, normalization, validation and the SQLite store.

    from pipeline.testing import make_workspace, import_through_core

    def test_my_importer(tmp_path):
        ws = make_workspace(tmp_path, {"attendees.csv": "Name,Email\\nAda Lovelace,ada@example.com\\n"})
        result = import_through_core(ws, "attendees.csv", plugins=[("myplugin", myplugin)])
        assert result.outcome.status == "imported"
        assert result.records["emails"].to_list() == [["ada@example.com"]]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.contracts import ImportOptions
from pipeline.importing import FileOutcome, import_file
from pipeline.manager import BUILTIN_PLUGINS, KithPluginManager, make_plugin_manager
from pipeline.schema import check_canonical
from pipeline.store import Store
from pipeline.workspace import Workspace, init_workspace


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


def plugin_manager(plugins: Iterable[tuple[str, object]] = (), builtins: Iterable[str] = BUILTIN_PLUGINS):
    """A fresh manager with the built-ins plus ``(name, plugin)`` pairs, no entry points."""
    return make_plugin_manager(builtins=builtins, entry_points=False, extra_plugins=plugins, disabled=())


@dataclass
class ImportedFile:
    """What :func:`import_through_core` returns: the outcome and the records now in the store."""

    outcome: FileOutcome
    records: pl.DataFrame
    store_path: Path


def import_through_core(
    workspace: Workspace,
    name: str | Path,
    *,
    importer: str | None = None,
    plugins: Iterable[tuple[str, object]] = (),
    pm: KithPluginManager | None = None,
    options: ImportOptions | None = None,
) -> ImportedFile:
    """Import one file of the workspace exactly as ``kith import`` would, and read back its records."""
    path = workspace.resolve(str(name))
    pm = pm or plugin_manager(plugins)
    options = options or ImportOptions(region=workspace.config.region, school=workspace.config.school)
    with Store(workspace.store_path) as store:
        outcome = import_file(store, pm, path, options=options, as_name=importer)
        records = store.records("WHERE source_file = ?", (str(path),))
    return ImportedFile(outcome, records, workspace.store_path)


def assert_conforms(records: pl.DataFrame, where: str = "records") -> None:
    """The frame has every canonical column with its dtype (raises SchemaError otherwise)."""
    check_canonical(records, where)


def assert_rejects_have_places(outcome: FileOutcome) -> None:
    """Every reject says where (``row 12``) and why."""
    for reject in outcome.rejects:
        assert reject.ref and reject.ref.strip(), f"reject without a place: {reject}"
        assert reject.reason and reject.reason.strip(), f"reject without a reason: {reject}"

"""Opening what a command works on: the workspace, its store and a plugin manager."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import typer

from pipeline.cli.app import AppState
from pipeline.contracts import ImportOptions
from pipeline.manager import KithPluginManager, make_plugin_manager
from pipeline.store import Store
from pipeline.workspace import Workspace, find_workspace


@dataclass
class Session:
    workspace: Workspace
    store: Store
    pm: KithPluginManager

    def import_options(self) -> ImportOptions:
        config = self.workspace.config
        return ImportOptions(region=config.region, school=config.school)


def plugin_manager(state: AppState, workspace: Workspace | None) -> KithPluginManager:
    plugins_dir: Path | None = state.plugins_dir or (workspace.plugins_dir if workspace else None)
    if state.no_plugins:
        if workspace is not None:
            workspace.builtins_only = True
            if (workspace.root / "templates").is_dir() or workspace.config.followups.get("templates_dir"):
                typer.echo("kith: note: --no-plugins: the workspace's templates are ignored", err=True)
        return make_plugin_manager(entry_points=False)
    return make_plugin_manager(plugins_dir=plugins_dir)


@contextlib.contextmanager
def open_session(state: AppState) -> Iterator[Session]:
    workspace = find_workspace(state.workspace)
    pm = plugin_manager(state, workspace)
    with Store(workspace.store_path) as store:
        yield Session(workspace, store, pm)

"""What a command works on: the global options, the process's one plugin manager, and a run.

:class:`CliState` holds ``--workspace``, ``--plugins-dir`` and ``--no-plugins`` and builds
the plugin manager once per process, honouring ``--no-plugins`` (no entry points, no
``plugins_dir``) for every command. :func:`open_run` opens the workspace's store as a
:class:`pipeline.run.Run` for the command to run the stages it needs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from pipeline.manager import KithPluginManager, make_plugin_manager

if TYPE_CHECKING:  # the store and polars load when a command needs them
    from pipeline.run import Run
    from pipeline.workspace import Workspace


@dataclass
class CliState:
    """Global options, stored on the typer context for every command."""

    workspace: Path | None = None
    plugins_dir: Path | None = None
    no_plugins: bool = False
    _pm: KithPluginManager | None = field(default=None, repr=False)

    def plugin_manager(self, workspace: Workspace | None) -> KithPluginManager:
        """The process's plugin manager, built on first use."""
        if self.no_plugins and workspace is not None and not workspace.builtins_only:
            workspace.builtins_only = True  # a stranger's folder: its templates are code too
            if (workspace.root / "templates").is_dir() or workspace.config.followups.get("templates_dir"):
                typer.echo("kith: note: --no-plugins: the workspace's templates are ignored", err=True)
        if self._pm is None:
            if self.no_plugins:
                self._pm = make_plugin_manager(entry_points=False)
            else:
                folder = self.plugins_dir or (workspace.plugins_dir if workspace else None)
                self._pm = make_plugin_manager(plugins_dir=folder)
        return self._pm


@contextlib.contextmanager
def open_run(
    state: CliState,
    *,
    as_of=None,
    workspace: Workspace | None = None,
    lock: str | None = None,
    **options: Any,
) -> Iterator[Run]:
    """The workspace (found from ``--workspace`` or upward), its store and the plugin manager, as a run."""
    from pipeline.run import Run
    from pipeline.workspace import find_workspace

    workspace = workspace or find_workspace(state.workspace)
    pm = state.plugin_manager(workspace)
    with Run.open(workspace, pm, as_of=as_of or dt.date.today(), lock=lock, **options) as run:
        yield run

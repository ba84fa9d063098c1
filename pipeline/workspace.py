"""A workspace: a folder with kith.toml, its store and its reports.

Found like git finds ``.git``: ``--workspace``, else ``KITH_WORKSPACE``, else the nearest
folder upward from the current one that holds a kith.toml.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import CONFIG_NAME, DEFAULT_REGION, Config, load_config
from pipeline.errors import UsageError
from pipeline.fileio import atomic_write, ensure_private_dir

DEFAULT_CONFIG = """\
# kith workspace configuration. Paths are relative to this file.
# Full reference: docs/config.md in the kith repository.

[workspace]
store = "kith.db"          # the SQLite store (opens in any SQLite tool)
reports = "reports"        # weekly reports go to reports/<ISO week>/
region = "{region}"              # default country for phone numbers and day/month order in dates
# school = "Example University"   # filled in for alumni files that don't name one
# owner_name = "Your Name"         # signs drafted messages
# owner_email = "you@example.com"

# Files to import on every `kith run`; unchanged files are skipped by their hash.
# [[inputs]]
# path = "inbox/Connections.csv"   # a file or a glob
# importer = "auto"                # or linkedin, vcard, alumni, google_csv, outlook_csv, ...
# channel = "linkedin"             # alumni, meeting, social, linkedin, other
# tags = ["2026 search"]
# [inputs.mapping]                 # fix a column the importer guessed wrong
# "Pref Mail" = "emails"

# plugins_dir = "plugins"          # loose .py plugin files to load
"""


@dataclass
class Workspace:
    """A workspace folder and its validated configuration."""

    root: Path
    config: Config
    #: Set by ``--no-plugins``: the folder is not trusted, so its templates are not rendered either.
    builtins_only: bool = False

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    def resolve(self, relative: str) -> Path:
        """A path from kith.toml, relative to the workspace root."""
        path = Path(relative).expanduser()
        return path if path.is_absolute() else self.root / path

    @property
    def store_path(self) -> Path:
        return self.resolve(self.config.store)

    @property
    def reports_dir(self) -> Path:
        return self.resolve(self.config.reports)

    @property
    def plugins_dir(self) -> Path | None:
        return self.resolve(self.config.plugins_dir) if self.config.plugins_dir else None


def find_workspace(explicit: Path | None = None, start: Path | None = None) -> Workspace:
    """Locate and load the workspace (see module docstring), or raise a UsageError saying how to make one."""
    if explicit is None and os.environ.get("KITH_WORKSPACE"):
        explicit = Path(os.environ["KITH_WORKSPACE"])
    if explicit is not None:
        root = explicit.expanduser().resolve()
        if root.is_file() and root.name == CONFIG_NAME:
            root = root.parent
        if not (root / CONFIG_NAME).is_file():
            raise UsageError(f"{root}: no {CONFIG_NAME} here; create a workspace with `kith init {explicit}`")
        return Workspace(root, load_config(root / CONFIG_NAME))
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return Workspace(folder, load_config(folder / CONFIG_NAME))
    raise UsageError(
        f"no {CONFIG_NAME} in {here} or any folder above it; create a workspace with `kith init` "
        "or point at one with --workspace"
    )


def init_workspace(folder: Path) -> tuple[Workspace, bool]:
    """Create a workspace in ``folder`` (kith.toml and reports/); return it and whether it was new."""
    folder = folder.expanduser()
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: is a file; kith init takes a folder for the workspace")
    ensure_private_dir(folder)
    config_path = folder / CONFIG_NAME
    created = not config_path.exists()
    if created:
        with atomic_write(config_path, encoding="utf-8") as handle:  # 0600 whatever the umask
            handle.write(DEFAULT_CONFIG.replace("{region}", DEFAULT_REGION))
    workspace = Workspace(folder.resolve(), load_config(config_path))
    ensure_private_dir(workspace.reports_dir)
    return workspace, created

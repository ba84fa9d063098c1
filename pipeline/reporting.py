"""Running exporters into a report folder atomically: ``kith report`` (and later ``kith run``).

Exporters write into a temporary sibling of the target folder (``reports/.2026-W48.xxxx``)
that starts as a copy of the target's current contents, so running one exporter keeps the
others' files. Only when every exporter succeeded is the temporary folder renamed into
place; on any failure it is removed and the previous folder is left exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from pipeline import registry
from pipeline.contracts import ExportContext
from pipeline.errors import KithError, PluginError, UsageError
from pipeline.fileio import DIR_MODE, ensure_private_dir


def iso_week(day: dt.date) -> str:
    """``2026-W48``: the folder name of a week's reports."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def default_exporters(pm: Any, workspace: Any) -> list[str]:
    """kith.toml's ``[[exporters]]`` when it lists any, else every installed exporter."""
    configured = [e.name for e in workspace.config.exporters] if workspace is not None else []
    return configured or list(registry.exporters(pm))


def run_reports(
    store: Any,
    pm: Any,
    workspace: Any,
    names: list[str],
    as_of: dt.date,
    out_dir: Path,
) -> list[Path]:
    """Run the exporters ``names`` into ``out_dir``; return the paths written (final locations)."""
    available = registry.exporters(pm)
    unknown = [n for n in names if n not in available]
    if unknown:
        raise UsageError(
            f"no exporter named {unknown[0]!r}; installed: {', '.join(sorted(available)) or 'none'}"
        )
    options = {e.name: dict(e.options) for e in workspace.config.exporters} if workspace is not None else {}
    target = Path(out_dir)
    ensure_private_dir(target.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        os.chmod(tmp, DIR_MODE)
        if target.is_dir():
            shutil.copytree(target, tmp, dirs_exist_ok=True)
        written: list[Path] = []
        for name in names:
            context = ExportContext(store=store, out_dir=tmp, as_of=as_of, options=options.get(name, {}))
            context.workspace = workspace
            context.pm = pm  # type: ignore[attr-defined]  # rules need the plugin manager
            try:
                paths = available[name].write(context)
            except KithError:
                raise
            except Exception as exc:
                owner = registry.owner_of(pm, "exporter", name)
                raise PluginError(f"exporter {name!r} (plugin {owner!r}) failed: {exc}") from exc
            if not isinstance(paths, list | tuple):
                raise PluginError(
                    f"exporter {name!r} returned {type(paths).__name__}, expected a list of paths"
                )
            written += [_final(Path(p), tmp, target) for p in paths]
        _swap_into_place(tmp, target)
        return written
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _final(path: Path, tmp: Path, target: Path) -> Path:
    try:
        return target / path.resolve().relative_to(tmp.resolve())
    except ValueError:  # written outside the report folder (an exporter's own choice)
        return path


def _swap_into_place(tmp: Path, target: Path) -> None:
    if not target.exists():
        os.rename(tmp, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
    old.rmdir()
    os.rename(target, old)
    try:
        os.rename(tmp, target)
    except BaseException:
        os.rename(old, target)  # put the last good folder back
        raise
    shutil.rmtree(old, ignore_errors=True)

"""``kith report``: run chosen exporters into a week's folder now, through the batch's writer.

The folder is written by :func:`pipeline.batch.write_reports` (a temporary sibling renamed
into place only when every exporter succeeded, so a failure leaves the last good folder
untouched). Running some exporters only keeps the other exporters' files already in the
folder: each top-level entry the run did not write is carried over.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from pipeline import registry
from pipeline.batch import configured_exporters, iso_week, write_reports
from pipeline.errors import UsageError
from pipeline.lock import workspace_lock

__all__ = ["iso_week", "run_reports"]


def run_reports(
    store: Any,
    pm: Any,
    workspace: Any,
    names: list[str] | None,
    as_of: dt.date,
    out_dir: Path,
) -> list[Path]:
    """Run the exporters ``names`` (default: kith.toml's, else all) into ``out_dir``; return the paths."""
    available = registry.exporters(pm)
    unknown = [n for n in names or [] if n not in available]
    if unknown:
        raise UsageError(
            f"no exporter named {unknown[0]!r}; installed: {', '.join(sorted(available)) or 'none'}"
        )
    configured = configured_exporters(workspace, pm)
    options = dict(configured)
    chosen = [(n, options.get(n, {})) for n in names] if names else configured
    target = Path(out_dir)

    def keep_others(staging: Path, written: list[str]) -> None:
        if not target.is_dir():
            return
        for entry in target.iterdir():
            if (staging / entry.name).exists():
                continue
            if entry.is_dir():
                shutil.copytree(entry, staging / entry.name)
            else:
                shutil.copy2(entry, staging / entry.name)

    with workspace_lock(workspace.root / "kith.lock", "kith report"):
        written = write_reports(workspace, store, pm, chosen, as_of, target, extra_files=keep_others)
    return [target / p for p in written]

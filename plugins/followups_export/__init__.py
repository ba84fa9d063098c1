"""The ``followups`` exporter: this week's checklist as followups.xlsx, .md, .ics and drafts/*.eml.

Before computing tasks it reads back the Done column of earlier checklists — the most
recent ``reports/<YYYY-Www>/followups.xlsx`` before this week's, this week's own (when
re-run) and ``options["previous"]`` — and records ticked tasks in the store's
``task_state`` (the only thing it writes to the store), so the spreadsheet people actually
use is the way to tick things off. Tasks come from :func:`pipeline.followups.compute_tasks`.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from pipeline import hookimpl
from pipeline.batch import iso_week
from pipeline.contracts import ExportContext
from pipeline.followups import FollowupSettings, compute_tasks, mark_done
from plugins.followups_export.text import draft_name, write_eml, write_ics, write_markdown
from plugins.followups_export.xlsx import read_done, write_xlsx

NAME = "followups"
WEEK_FOLDER = re.compile(r"^\d{4}-W\d{2}$")


def previous_checklists(context: ExportContext) -> list[Path]:
    """Checklists whose ticks count for this run (see module docstring)."""
    given = context.options.get("previous")
    if given:
        items = given if isinstance(given, list | tuple) else [given]
        return [Path(p) for p in items]
    found = [context.out_dir / "followups.xlsx"]
    workspace = context.workspace
    if workspace is not None and workspace.reports_dir.is_dir():
        this_week = iso_week(context.as_of)
        weeks = sorted(
            p.name for p in workspace.reports_dir.iterdir() if p.is_dir() and WEEK_FOLDER.match(p.name)
        )
        earlier = [w for w in weeks if w < this_week]
        if earlier:
            found.append(workspace.reports_dir / earlier[-1] / "followups.xlsx")
        found.append(workspace.reports_dir / this_week / "followups.xlsx")
    return [p for p in dict.fromkeys(found) if p.is_file()]


class FollowupsExporter:
    """Writes the weekly follow-up checklist."""

    name = NAME
    description = "weekly follow-up checklist: followups.xlsx, followups.md, followups.ics, drafts/*.eml"

    def write(self, context: ExportContext) -> list[Path]:
        store, as_of, out = context.store, context.as_of, Path(context.out_dir)
        for path in previous_checklists(context):
            ticked = read_done(path)
            if ticked:
                mark_done(store, ticked, source=str(path))
        settings = FollowupSettings.from_workspace(context.workspace)
        pm = getattr(context, "pm", None) or _plugin_manager(context.workspace)
        tasks = compute_tasks(store, pm, as_of, settings)
        week = iso_week(as_of)
        drafts_dir = out / "drafts"
        if drafts_dir.is_dir():  # last run's drafts in a re-used folder are stale
            shutil.rmtree(drafts_dir)
        written = [write_xlsx(out / "followups.xlsx", tasks, as_of, week)]
        drafts = {t.key: draft_name(t) for t in tasks}
        written.append(write_markdown(out / "followups.md", tasks, as_of, week, drafts))
        written.append(write_ics(out / "followups.ics", tasks, as_of))
        for task in tasks:
            written.append(write_eml(drafts_dir, task, settings.owner_name, settings.owner_email))
        return written


def _plugin_manager(workspace):
    from pipeline.manager import make_plugin_manager

    return make_plugin_manager(plugins_dir=workspace.plugins_dir if workspace is not None else None)


@hookimpl
def register_exporters() -> list[FollowupsExporter]:
    return [FollowupsExporter()]

"""The ``followups`` exporter: this week's checklist as followups.xlsx, .md, .ics and drafts/*.eml.

It writes the tasks the run planned (``context.tasks``); a task whose message another report
writes (``Task.draft_file``: the outcome report's ``outcome-drafts/``) gets a link, not a
copy. Its ``read_feedback`` reads back the Done column of earlier checklists — the most
recent ``reports/<YYYY-Www>/followups.xlsx`` before this week's, this week's own (when
re-run) and ``options["previous"]`` — and the run's feedback stage records the ticked
tasks before tasks are planned, so the spreadsheet people actually use is the way to tick
things off.

Options (kith.toml ``[[exporters]]`` with ``name = "followups"``): ``calendar = "todo"``,
``"event"`` or ``"both"`` (the default) — what ``followups.ics`` holds (see :mod:`.text`).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from pipeline import hookimpl
from pipeline.contracts import ExportContext, Feedback, FeedbackContext
from pipeline.errors import ConfigError
from plugins.followups.text import CALENDAR_STYLES, draft_path, write_eml, write_ics, write_markdown
from plugins.followups.xlsx import read_done, write_xlsx

NAME = "followups"
WEEK_FOLDER = re.compile(r"^\d{4}-W\d{2}$")


def previous_checklists(context: FeedbackContext) -> list[Path]:
    """Checklists whose ticks count for this run (see module docstring)."""
    given = context.paths or context.options.get("previous")
    if given:
        items = given if isinstance(given, list | tuple) else [given]
        return [Path(p) for p in items if Path(p).is_file()]
    found = []
    reports = context.reports_dir
    if reports.is_dir():
        weeks = sorted(p.name for p in reports.iterdir() if p.is_dir() and WEEK_FOLDER.match(p.name))
        earlier = [w for w in weeks if w < context.week]
        if earlier:
            found.append(reports / earlier[-1] / "followups.xlsx")
        found.append(reports / context.week / "followups.xlsx")
    return [p for p in dict.fromkeys(found) if p.is_file()]


class FollowupsExporter:
    """Writes the weekly follow-up checklist."""

    name = NAME
    description = "weekly follow-up checklist: followups.xlsx, followups.md, followups.ics, drafts/*.eml"

    def read_feedback(self, context: FeedbackContext) -> Feedback:
        """Task keys ticked Done in earlier checklists (see module docstring); a checklist nobody
        touched since kith wrote it (only open tasks, Done blank) is not opened."""
        paths = previous_checklists(context)
        if context.paths is None:
            paths = [p for p in paths if not context.untouched(p)]
        done = [(key, str(path)) for path in paths for key in read_done(path)]
        return Feedback(done=tuple(done))

    def write(self, context: ExportContext) -> list[Path]:
        as_of, week, out = context.as_of, context.week, Path(context.out_dir)
        tasks = context.tasks
        drafts_dir = out / "drafts"
        if drafts_dir.is_dir():  # last run's drafts in a re-used folder are stale
            shutil.rmtree(drafts_dir)
        written = [write_xlsx(out / "followups.xlsx", tasks, as_of, week)]
        # A task whose message another report owns (the outcome report's) links to that file.
        drafts = {t.key: draft_path(t) for t in tasks}
        written.append(write_markdown(out / "followups.md", tasks, as_of, week, drafts))
        style = context.options.get("calendar", "both")
        if style not in CALENDAR_STYLES:
            raise ConfigError(
                f"exporter {NAME!r}: 'calendar' must be one of {', '.join(CALENDAR_STYLES)}, got {style!r}"
            )
        written.append(
            write_ics(
                out / "followups.ics",
                tasks,
                as_of,
                done=context.done_tasks,
                style=style,
                workspace_id=context.workspace_id,
            )
        )
        for task in tasks:
            if not task.draft_file:
                written.append(write_eml(drafts_dir, task, context.owner.name, context.owner.email))
        return written


@hookimpl
def register_exporters() -> list[FollowupsExporter]:
    return [FollowupsExporter()]

"""The ``weekly_page`` exporter: ``index.html``, the week on one self-contained page.

One HTML file with its CSS inline and no scripts, fonts or images from anywhere: this week's
checklist by day (overdue marked in words, not only colour), each task with its why, a
``mailto:`` link with the draft filled in, the ``.eml`` the ``followups`` exporter writes
(the same file name, from :func:`plugins.followups.text.draft_name`) and its task key; the
outcome (or progress) summary with helpers, referral chains and two inline SVG charts; and the
run: inputs with their status and counts, every rejected row, people, review queue, and a link to
every other file of the folder.

It runs after the other exporters of the run (``runs_last``), so ``context.files`` lists what
they wrote; ``run.json`` is among them when the run records one. Rendering goes through a
sandboxed jinja2 environment with autoescape on: every value from a contact file is escaped.

Options (kith.toml ``[[exporters]]``): ``filename`` renames the page (default ``index.html``).
"""

from __future__ import annotations

from pathlib import Path

from pipeline import hookimpl
from pipeline.contracts import ExportContext
from pipeline.errors import ConfigError
from pipeline.fileio import atomic_write

NAME = "weekly_page"
DEFAULT_FILENAME = "index.html"


class WeeklyPageExporter:
    """Writes ``index.html`` for the week."""

    name = NAME
    description = "index.html: the week's checklist, outcome, charts and run on one self-contained page"
    #: the page links every file the run's other exporters wrote, so it is written after them
    runs_last = True

    def write(self, context: ExportContext) -> list[Path]:
        filename = str(context.options.get("filename", DEFAULT_FILENAME))
        if Path(filename).name != filename or not filename.endswith((".html", ".htm")):
            raise ConfigError(
                f"exporter {NAME!r}: 'filename' must be a plain .html file name, got {filename!r}"
            )
        from plugins.weekly_page.page import render_page

        path = Path(context.out_dir) / filename
        html = render_page(context, filename)
        with atomic_write(path) as handle:
            handle.write(html)
        return [path]


@hookimpl
def register_exporters() -> list[WeeklyPageExporter]:
    return [WeeklyPageExporter()]

"""The ``duplicates`` exporter: this week's ``duplicates.xlsx`` review sheet, and reading it back.

It writes the run's uncertain pairs side by side with a Decision drop-down
(:mod:`.sheet`). Its ``read_feedback`` finds filled sheets in the report folders (or reads
the file ``kith review --from-sheet`` names) and hands the same/different decisions to the
run, which stores them before people are resolved. Before the first dedupe run there is
nothing to review and nothing is written.

Options (kith.toml ``[[exporters]]``): ``max_pairs`` (default 10,000) caps the sheet.
"""

from __future__ import annotations

from pathlib import Path

from pipeline import hookimpl
from pipeline.contracts import ExportContext, Feedback, FeedbackContext, SheetDecisions
from pipeline.errors import ConfigError, InputError
from plugins.duplicates.sheet import (
    MAX_PAIRS,
    SHEET_FILE,
    file_digest,
    read_sheet_decisions,
    report_sheets,
    write_review_sheet,
)


def _max_pairs(options: dict) -> int:
    limit = options.get("max_pairs", MAX_PAIRS)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise ConfigError(f"exporter 'duplicates': max_pairs must be a whole number, not {limit!r}")
    return limit


class DuplicatesExporter:
    name = "duplicates"
    description = (
        "duplicates.xlsx: possible duplicates side by side, with a same/different/skip Decision column"
    )

    def write(self, context: ExportContext) -> list[Path]:
        if context.facts is not None and context.facts.review is None:
            return []  # dedupe has never run: nothing to review yet
        rows = context.review_pairs(_max_pairs(context.options))
        path = Path(context.out_dir) / SHEET_FILE
        write_review_sheet(rows, path)
        return [path]

    def read_feedback(self, context: FeedbackContext) -> Feedback:
        """Decisions from every filled sheet in the report folders (oldest week first), or from
        ``context.paths`` — those are applied even when a sheet of that content was before. A
        sheet nobody touched since kith wrote it holds no decision and is not opened."""
        named = context.paths is not None
        paths = list(context.paths) if named else report_sheets(context.reports_dir)
        sheets = []
        for path in paths:
            if not named and context.untouched(path):
                continue
            try:
                rows, warnings = read_sheet_decisions(path)
            except InputError as exc:
                if named:
                    raise
                # A damaged or planted sheet in an old report folder must not stop every run.
                rows, warnings = [], [f"{exc}; its decisions were not read"]
            sheets.append(SheetDecisions(path, file_digest(path), tuple(rows), tuple(warnings), force=named))
        return Feedback(decisions=tuple(sheets))


@hookimpl
def register_exporters() -> list[DuplicatesExporter]:
    return [DuplicatesExporter()]

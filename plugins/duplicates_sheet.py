"""The ``duplicates`` exporter: this week's ``duplicates.xlsx`` review sheet.

Registered like any plugin (``BUILTIN_PLUGINS``). It writes the uncertain pairs of the last
dedupe run side by side with a Decision drop-down; the next dedupe run (or
``kith review --from-sheet``) reads the filled sheet back. Before the first dedupe run
there is nothing to review and nothing is written. The sheet itself is built by
:mod:`pipeline.dedupe.review_sheet`.
"""

from __future__ import annotations

from pathlib import Path

from pipeline import hookimpl
from pipeline.contracts import ExportContext


class DuplicatesExporter:
    name = "duplicates"
    description = (
        "duplicates.xlsx: possible duplicates side by side, with a same/different/skip Decision column"
    )

    def write(self, context: ExportContext) -> list[Path]:
        from pipeline.dedupe.review_sheet import SHEET_FILE, write_review_sheet
        from pipeline.dedupe.storage import has_run

        if not has_run(context.store):
            return []
        limit = int(context.options.get("max_pairs", 10_000))
        path = Path(context.out_dir) / SHEET_FILE
        write_review_sheet(context.store, path, limit=limit)
        return [path]


@hookimpl
def register_exporters():
    return [DuplicatesExporter()]

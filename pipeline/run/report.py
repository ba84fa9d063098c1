"""What a run did: :class:`RunReport`, written as ``run.json`` and printed by ``kith run --json``."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pipeline import __version__

EXIT_OK, EXIT_FAILED, EXIT_PARTIAL = 0, 1, 3


def iso_week(day: dt.date) -> str:
    """``2026-W48`` for the ISO week holding ``day``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


class _Collect(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())


@contextlib.contextmanager
def captured_warnings(into: list[str]) -> Iterator[None]:
    """Warnings logged meanwhile (an exporter skipping a file) go into ``into`` — the run's report,
    so run.json and the summary say them — instead of loose on stderr past ``--quiet``."""
    handler = _Collect(into)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


@dataclass
class RunReport:
    """What a run did (or, for a dry run, would do). Counts are of what was written."""

    as_of: dt.date
    week: str
    dry_run: bool = False
    inputs: list[dict[str, Any]] = field(default_factory=list)
    people: int | None = None
    review: int | None = None
    tasks: int | None = None
    outputs: list[str] = field(default_factory=list)
    durations: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    report_dir: str | None = None
    exit_code: int = EXIT_OK
    #: "written", or "unchanged" when the week's folder was already written from the same state
    reports: str | None = None
    #: the digest of what the reports were made from (:func:`pipeline.run.state.week_state`)
    state: str | None = None
    #: size, mtime and SHA-256 of each written file an exporter reads back (``run.json``'s
    #: ``"written"``), so the next run skips a file nobody touched (:func:`~.folders.untouched`)
    written: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def rejects(self) -> int:
        return sum(len(item.get("rejects", [])) for item in self.inputs if item.get("status") == "imported")

    def finish(self) -> RunReport:
        """Set the exit code: 3 when an input failed (with keep-going) or records were rejected."""
        failed = [i for i in self.inputs if i.get("status") == "failed"]
        self.exit_code = EXIT_PARTIAL if failed or self.rejects else EXIT_OK
        self.errors = [i["error"] for i in failed if i.get("error")]
        return self

    def to_json(self) -> dict[str, Any]:
        return {
            "kith_version": __version__,
            "as_of": self.as_of.isoformat(),
            "week": self.week,
            "dry_run": self.dry_run,
            "exit_code": self.exit_code,
            "inputs": self.inputs,
            "records_imported": sum(
                i.get("records", 0) for i in self.inputs if i.get("status") == "imported"
            ),
            "rejects": self.rejects,
            "people": self.people,
            "review": self.review,
            "tasks": self.tasks,
            "outputs": self.outputs,
            "report_dir": self.report_dir,
            "reports": self.reports,
            "state": self.state,
            "written": self.written,
            "durations": {k: round(v, 3) for k, v in self.durations.items()},
            "errors": self.errors,
            "warnings": self.warnings,
        }

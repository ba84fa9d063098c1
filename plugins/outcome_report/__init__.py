"""The ``outcome_report`` exporter: "End the suspense. Send an outcome report to everyone who helped."

Writes ``outcome-report.xlsx`` (Summary · Helpers · Referral chains · Channels · Activity,
with native Excel charts) and, once an outcome is logged, one ``.eml`` draft per helper
in ``outcome-drafts/``. Before an outcome exists the same workbook is a progress report: every
sheet, but no closing sentence and no drafts.

Parts: :mod:`.model` computes the report from people, journal and outcome (pure, no I/O);
:mod:`.wording` words it; :mod:`.workbook` and :mod:`.drafts` write it.

Options (kith.toml ``[[exporters]]``): ``drafts = false`` skips the ``.eml`` files;
``filename`` renames the workbook.
"""

from __future__ import annotations

from pathlib import Path

from pipeline import hookimpl
from pipeline.contracts import ExportContext
from pipeline.errors import ConfigError

NAME = "outcome_report"
DEFAULT_FILENAME = "outcome-report.xlsx"
DRAFTS_FOLDER = "outcome-drafts"  # the follow-up checklist owns drafts/; it links here for outcome tasks


class OutcomeReportExporter:
    name = NAME
    description = "outcome-report.xlsx (helpers, referral chains, channels, activity) and .eml drafts"

    def write(self, context: ExportContext) -> list[Path]:
        options = context.options
        filename = str(options.get("filename", DEFAULT_FILENAME))
        if Path(filename).name != filename or not filename.endswith(".xlsx"):
            raise ConfigError(
                f"exporter {NAME!r}: 'filename' must be a plain .xlsx file name, got {filename!r}"
            )
        drafts = options.get("drafts", True)
        if not isinstance(drafts, bool):
            raise ConfigError(f"exporter {NAME!r}: 'drafts' must be true or false, got {drafts!r}")
        from plugins.outcome_report.model import PEOPLE_USED, Owner, build_outcome_report

        owner = Owner(context.owner.name, context.owner.email)
        people = context.people_columns(PEOPLE_USED)
        report = build_outcome_report(people, context.journal, context.outcome, context.as_of, owner)
        return write_report(report, Path(context.out_dir), filename, drafts, list(context.template_dirs))


def write_report(
    report, out_dir: Path, filename: str = DEFAULT_FILENAME, drafts: bool = True, template_dirs=()
) -> list[Path]:
    """Write the drafts (when there is an outcome) and then the workbook that names them."""
    from plugins.outcome_report.drafts import write_drafts
    from plugins.outcome_report.workbook import write_workbook

    written: list[Path] = []
    if drafts and not report.is_progress:
        written += write_drafts(report, out_dir, list(template_dirs))
    return [write_workbook(report, out_dir / filename), *written]


@hookimpl
def register_exporters() -> list[OutcomeReportExporter]:
    return [OutcomeReportExporter()]

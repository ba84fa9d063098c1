"""``kith run``: the weekly batch from kith.toml, quiet and reliable under cron."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipeline.cli.app import handle_errors, print_json, state
from pipeline.cli.context import open_run
from pipeline.cli.options import (
    AsOfOption,
    ConfigOption,
    ForceOption,
    FullOption,
    JsonOption,
    QuietOption,
    as_of_date,
)
from pipeline.errors import KithError

if TYPE_CHECKING:  # the store and polars load when the run starts, not at start-up
    from pipeline.run import RunReport


class RunFailed(KithError):
    """The batch stopped; the previous reports are untouched."""


#: How many rejected rows the summary lists (the rest are counted; run.json has them all).
SHOWN_REJECTS = 20


def print_rejects(console: Console, report: RunReport) -> None:
    """Each rejected row as ``rejected FILE PLACE: REASON``, the first :data:`SHOWN_REJECTS`."""
    rows = [
        (str(item.get("path")), reject.get("ref"), reject.get("reason"))
        for item in report.inputs
        if item.get("status") == "imported"
        for reject in item.get("rejects", [])
    ]
    for path, ref, reason in rows[:SHOWN_REJECTS]:
        console.print(f"rejected {path} {ref}: {reason}", highlight=False, markup=False)
    if len(rows) > SHOWN_REJECTS:
        more = len(rows) - SHOWN_REJECTS
        console.print(f"… and {more:,} more rejected rows ({len(rows):,} in all; run.json lists them all)")


def print_run_summary(report: RunReport) -> None:
    # soft_wrap: each rejected row stays on one line (greppable) whatever the terminal width.
    console = Console(soft_wrap=True)
    table = Table(show_edge=False, title=f"kith run {report.week} (as of {report.as_of})")
    for column in ("input", "importer", "status", "records", "rejects"):
        table.add_column(
            column, justify="right" if column in {"records", "rejects"} else "left", overflow="fold"
        )
    for item in report.inputs:
        table.add_row(
            Path(str(item.get("path"))).name,
            str(item.get("importer") or "-"),
            str(item.get("status")),
            # a dry run's plan has not read the file: no counts to show, not zero
            f"{item['records']:,}" if "records" in item else "-",
            str(len(item["rejects"])) if "rejects" in item else "-",
        )
    if report.inputs:
        console.print(table)
    else:
        console.print(
            f"kith run {report.week} (as of {report.as_of}): kith.toml lists no [[inputs]], so nothing "
            "was imported this week (list your exports there, or add files with `kith import PATH`)",
            highlight=False,
            markup=False,
        )
    print_rejects(console, report)
    facts = []
    if report.people is not None:
        facts.append(f"{report.people:,} people")
    if report.tasks is not None:
        facts.append(f"{report.tasks:,} follow-ups")
    if facts:
        console.print(", ".join(facts))
    for error in report.errors:
        console.print(f"[red]error:[/red] {error}", highlight=False)
    for warning in report.warnings:
        console.print(f"warning: {warning}", highlight=False, markup=False)
    if report.report_dir:
        unchanged = " (unchanged: written from the same state)" if report.reports == "unchanged" else ""
        console.print(f"Reports: {report.report_dir}{unchanged}", highlight=False)
        for output in report.outputs:
            console.print(f"  {output}", highlight=False)
    elif report.dry_run:
        console.print("Dry run: nothing was written.")
        for output in report.outputs:
            console.print(f"  {output}", highlight=False)


@handle_errors
def run_command(
    ctx: typer.Context,
    config: ConfigOption = None,
    as_of: AsOfOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan: what would be imported and written.")
    ] = False,
    keep_going: Annotated[
        bool, typer.Option("--keep-going", help="Carry on past inputs that fail; exit 3 at the end.")
    ] = False,
    force: ForceOption = False,
    full: FullOption = False,
    quiet: QuietOption = False,
    json_out: JsonOption = False,
) -> None:
    """The weekly batch: import what is new, resolve people, write this week's reports."""
    from pipeline.workspace import find_workspace

    day = as_of_date(as_of)
    cli = state(ctx)
    workspace = find_workspace(config or cli.workspace)
    console = Console(stderr=True)
    status = None
    if not quiet and not json_out and console.is_terminal:
        status = console.status("starting")
        status.start()
    try:
        with open_run(
            cli,
            as_of=day,
            workspace=workspace,
            lock="kith run",
            keep_going=keep_going,
            dry_run=dry_run,
            note=status.update if status else None,
        ) as run:
            report = run.weekly(force=force, full=full)
    except KithError as exc:
        # Under cron every failure is exit 1; nothing was half-written.
        raise RunFailed(str(exc)) from None
    finally:
        if status is not None:
            status.stop()
    if json_out:
        print_json(report.to_json())
    elif not quiet or report.exit_code:
        print_run_summary(report)
    raise typer.Exit(report.exit_code)


def register(app: typer.Typer) -> None:
    app.command("run", rich_help_panel="The weekly batch")(handle_errors(run_command))

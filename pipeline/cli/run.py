"""``kith run``: the weekly batch from kith.toml, quiet and reliable under cron."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipeline.batch import RunReport, run_batch
from pipeline.cli.app import AppState, JsonOption, app, handle_errors, print_json, state
from pipeline.cli.context import plugin_manager
from pipeline.errors import KithError
from pipeline.workspace import find_workspace


class RunFailed(KithError):
    """The batch stopped; the previous reports are untouched."""


AsOfOption = Annotated[
    dt.datetime | None,
    typer.Option(
        "--as-of", formats=["%Y-%m-%d"], help="Treat this date (YYYY-MM-DD) as today; fixes the week."
    ),
]


def print_run_summary(report: RunReport) -> None:
    console = Console()
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
            f"{item.get('records', 0):,}",
            str(len(item.get("rejects", []))),
        )
    console.print(table)
    facts = []
    if report.people is not None:
        facts.append(f"{report.people:,} people")
    if report.tasks is not None:
        facts.append(f"{report.tasks:,} follow-ups")
    if facts:
        console.print(", ".join(facts))
    for error in report.errors:
        console.print(f"[red]error:[/red] {error}", highlight=False)
    if report.report_dir:
        console.print(f"Reports: {report.report_dir}", highlight=False)
        for output in report.outputs:
            console.print(f"  {output}", highlight=False)
    elif report.dry_run:
        console.print("Dry run: nothing was written.")
        for output in report.outputs:
            console.print(f"  {output}", highlight=False)


@app.command("run", rich_help_panel="The weekly batch")
@handle_errors
def run_command(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="The kith.toml to use (its folder is the workspace)."),
    ] = None,
    as_of: AsOfOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be imported and written.")
    ] = False,
    keep_going: Annotated[
        bool, typer.Option("--keep-going", help="Carry on past inputs that fail; exit 3 at the end.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing unless something fails.")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """The weekly batch: import what is new, resolve people, write this week's reports."""
    app_state: AppState = state(ctx)
    workspace = find_workspace(config or app_state.workspace)
    pm = plugin_manager(app_state, workspace)
    progress = None
    console = Console(stderr=True)
    if not quiet and not json_out and console.is_terminal:
        status = console.status("starting")
        status.start()
        progress = status.update
    try:
        report = run_batch(
            workspace,
            pm,
            as_of=as_of.date() if as_of else None,
            dry_run=dry_run,
            keep_going=keep_going,
            progress=progress,
            **batch_steps(),
        )
    except KithError as exc:
        # Under cron every failure is exit 1; nothing was half-written.
        raise RunFailed(str(exc)) from None
    finally:
        if progress is not None:
            status.stop()
    if json_out:
        print_json(report.to_json())
    elif not quiet or report.exit_code:
        print_run_summary(report)
    raise typer.Exit(report.exit_code)


def batch_steps() -> dict:
    """The stages of the batch that later modules provide: resolving people, counting follow-ups."""
    from pipeline.dedupe.storage import run_dedupe
    from pipeline.followups import FollowupSettings, compute_tasks

    def count_tasks(store, pm, workspace, as_of) -> int:
        return len(compute_tasks(store, pm, as_of, FollowupSettings.from_workspace(workspace)))

    return {"dedupe": run_dedupe, "count_tasks": count_tasks}

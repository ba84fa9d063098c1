"""Commands for getting contacts in: ``init``, ``import``, ``plugins`` (``export`` lives in exports.py)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipeline.cli.app import handle_errors, print_json, state
from pipeline.cli.context import open_run
from pipeline.cli.options import ForceOption, JsonOption, QuietOption
from pipeline.cli.progress import import_progress, wanted

if TYPE_CHECKING:  # the store and polars load when a command runs, not at start-up
    from pipeline.importing import ImportSummary


@handle_errors
def init_command(
    directory: Annotated[Path, typer.Argument(help="Folder for the new workspace.")] = Path("."),
) -> None:
    """Create a workspace: a commented kith.toml and a reports folder."""
    from pipeline.workspace import init_workspace

    workspace, created = init_workspace(directory)
    if created:
        typer.echo(f"Created a kith workspace in {workspace.root}")
        typer.echo(f"  config:  {workspace.config_path}")
        typer.echo(f"  store:   {workspace.store_path} (made on first import)")
        typer.echo(f"  reports: {workspace.reports_dir}")
    else:
        typer.echo(f"{workspace.root} is already a kith workspace; nothing changed")


def print_import_summary(summary: ImportSummary, show_mapping: bool) -> None:
    # soft_wrap: messages stay on one line (greppable) whatever the terminal width.
    console = Console(soft_wrap=True)
    table = Table(title=None, show_edge=False)
    for column in ("file", "importer", "status", "records", "rejects", "encoding"):
        justify = "right" if column in {"records", "rejects"} else "left"
        table.add_column(column, justify=justify, overflow="fold")
    for item in summary.files:
        table.add_row(
            item.path,
            item.importer or "-",
            item.status,
            f"{item.records:,}",
            str(len(item.rejects)),
            str(item.info.get("encoding") or "-"),
        )
    console.print(table)
    for item in summary.files:
        if item.error:  # the error names the file itself when it can; say the path once
            where = "" if item.error.startswith(item.path) else f"{item.path}: "
            console.print(f"{where}{item.error}", markup=False, highlight=False)
        for reject in item.rejects[:20]:
            console.print(f"  rejected {item.path} {reject.ref}: {reject.reason}", highlight=False)
        if len(item.rejects) > 20:
            console.print(f"  … and {len(item.rejects) - 20} more rejects (kith import --json lists all)")
        for ref, message in item.warnings:
            if ref == "file":  # about the whole file (header only, skipped rows): say it as it is
                console.print(f"  warning: {message}", highlight=False, markup=False)
        values = sum(1 for ref, _ in item.warnings if ref != "file")
        if values:
            console.print(f"  {values} values could not be normalized and were kept in extra")
        if show_mapping and item.info.get("mapping"):
            console.print(f"  mapping for {item.path}:")
            for source, target in item.info["mapping"].items():
                console.print(f"    {source!r:40} → {target}", highlight=False)
    console.print(f"{summary.records:,} records imported, {summary.rejects:,} rejected.")


@handle_errors
def import_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path], typer.Argument(help="Files (or folders) to import; - reads standard input.")
    ],
    as_name: Annotated[
        str | None,
        typer.Option("--as", help="Use this importer instead of detecting one (see `kith plugins`)."),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail a file that has any rejected record.")
    ] = False,
    show_mapping: Annotated[
        bool, typer.Option("--show-mapping", help="Show which source column became which field.")
    ] = False,
    force: ForceOption = False,
    quiet: QuietOption = False,
    json_out: JsonOption = False,
) -> None:
    """Import contact files: detect each file's format, normalize, and store (re-imports are no-ops)."""
    from pipeline.importing import STDIN, ImportSummary, spooled_stdin
    from pipeline.people import has_people_table

    with open_run(state(ctx)) as run, contextlib.ExitStack() as stack:
        spooled = None
        if any(str(p) == STDIN for p in paths):
            spooled = stack.enter_context(spooled_stdin(sys.stdin.buffer))
            paths = [spooled if str(p) == STDIN else p for p in paths]
        planned = run.plan_inputs(paths, as_name=as_name, force=force)
        with import_progress(wanted(json_out=json_out, quiet=quiet), planned) as progress:
            summary = ImportSummary(run.import_inputs(planned, strict=strict, progress=progress))
        run.sync_journal()
        if any(f.status == "imported" for f in summary.files) and has_people_table(run.store):
            # People were resolved before: new records join them now (incremental, cheap), so
            # `kith people` and `kith log` find them without a `kith dedupe` first.
            run.resolve_people()
        for item in summary.files:
            if spooled is not None and item.path == str(spooled):
                item.path = STDIN  # the summary names what the user typed, not the spool file
                if item.error:
                    item.error = item.error.replace(str(spooled), f"{STDIN} (standard input)")
    if json_out:
        print_json(summary.to_json())
    elif quiet and not summary.failed:
        pass  # cron: silence unless a file failed
    elif not summary.files:
        names = ", ".join(str(p) for p in paths)
        typer.echo(f"Nothing to import: {names} {'hold' if len(paths) > 1 else 'holds'} no files.")
    else:
        print_import_summary(summary, show_mapping)
    if summary.failed:
        # 2 when a file could not be read at all, 1 for other failures (strict rejects, plugin errors).
        raise typer.Exit(max(f.exit_code for f in summary.failed))


def register(app: typer.Typer) -> None:
    app.command("init", rich_help_panel="Contacts in and out")(init_command)
    app.command("import", rich_help_panel="Contacts in and out")(import_command)

"""``kith export records|people``: write the store's records or people to one file (or stdout).

Formats are the plugins' (``kith plugins`` lists them: csv, xlsx, jsonl and google-csv from
the contacts plugin, vcf from the vCard plugin), found through the registry; every file is
written atomically and is safe to open in a spreadsheet.
"""

from __future__ import annotations

from typing import Annotated

import typer

from pipeline.cli.app import handle_errors, state
from pipeline.cli.context import open_run
from pipeline.cli.options import OutOption

FormatOption = Annotated[
    str,
    typer.Option("--format", "-f", help="A format from `kith plugins` (csv, xlsx, jsonl, vcf, google-csv)."),
]


@handle_errors
def export_records(ctx: typer.Context, fmt: FormatOption = "jsonl", out: OutOption = "-") -> None:
    """Write every imported record in the canonical columns."""
    from pipeline.formatting import write_formatted

    with open_run(state(ctx)) as run:
        frame = run.store.records()
        where = write_formatted(run.pm, fmt, frame, out, sheet="Records")
    if where != "-":
        typer.echo(f"Wrote {frame.height:,} records to {where}", err=True)


@handle_errors
def export_people(ctx: typer.Context, fmt: FormatOption = "jsonl", out: OutOption = "-") -> None:
    """Write every person (after dedupe; one per record before it) with all emails, phones and sources."""
    from pipeline.formatting import write_formatted
    from pipeline.people import load_people

    with open_run(state(ctx)) as run:
        frame = load_people(run.store)
        where = write_formatted(run.pm, fmt, frame, out, sheet="People")
    if where != "-":
        typer.echo(f"Wrote {frame.height:,} people to {where}", err=True)


def register(app: typer.Typer) -> None:
    export_app = typer.Typer(
        help="Write records or people to a file (jsonl, csv, ...).", no_args_is_help=True
    )
    export_app.command("records")(export_records)
    export_app.command("people")(export_people)
    app.add_typer(export_app, name="export", rich_help_panel="Contacts in and out")

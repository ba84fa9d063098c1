"""``kith export records|people``: write the store's records or people to one file (or stdout).

Formats come from :mod:`pipeline.exporting` (csv, xlsx, vcf, jsonl, google-csv); every
file is written atomically and is safe to open in a spreadsheet.
"""

from __future__ import annotations

from typing import Annotated

import typer

from pipeline.cli.app import OutOption, export_app, handle_errors, state
from pipeline.cli.context import open_session
from pipeline.exporting import FORMATS, export_frame
from pipeline.people import load_people

FormatOption = Annotated[str, typer.Option("--format", "-f", help=f"One of: {', '.join(FORMATS)}.")]


@export_app.command("records")
@handle_errors
def export_records(ctx: typer.Context, fmt: FormatOption = "jsonl", out: OutOption = "-") -> None:
    """Write every imported record in the canonical columns."""
    with open_session(state(ctx)) as session:
        frame = session.store.records()
    where = export_frame(frame, fmt, out, sheet="Records")
    if where != "-":
        typer.echo(f"Wrote {frame.height:,} records to {where}", err=True)


@export_app.command("people")
@handle_errors
def export_people(ctx: typer.Context, fmt: FormatOption = "jsonl", out: OutOption = "-") -> None:
    """Write every person (after dedupe; one per record before it) with all emails, phones and sources."""
    with open_session(state(ctx)) as session:
        frame = load_people(session.store)
    where = export_frame(frame, fmt, out, sheet="People")
    if where != "-":
        typer.echo(f"Wrote {frame.height:,} people to {where}", err=True)

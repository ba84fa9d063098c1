"""Journal and follow-up commands: ``log``, ``outcome``, ``journal``, ``report``, ``done``.

PERSON arguments are matched by :func:`pipeline.journal.match.find_person` (email, name,
nickname, words, fuzzy). Several matches: on a terminal the user picks one; in a script
the command fails with exit 2 and lists the candidates. No match: a new contact is
created (:func:`pipeline.journal.contacts.add_manual_contact`) and the command says so.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from pipeline.cli.app import handle_errors, print_json, state
from pipeline.cli.context import open_run
from pipeline.cli.options import AsOfOption, DateOption, JsonOption, as_of_date
from pipeline.errors import UsageError
from pipeline.followups import compute_tasks, mark_done
from pipeline.journal import KINDS, add_entry, load_journal, load_outcome, parse_date, set_outcome
from pipeline.journal.contacts import add_manual_contact
from pipeline.journal.match import Candidate, display_name_expr, find_person, people_index, split_query
from pipeline.journal.sync import matchable_people
from pipeline.people import load_people
from pipeline.run import Run
from pipeline.schema import CHANNELS


def is_interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


class PersonResolver:
    """Resolves PERSON arguments for one command (people are loaded once)."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.index = people_index(matchable_people(run.store))

    def find(self, query: str, role: str) -> Candidate | None:
        match = find_person(None, query, index=self.index)
        if match.status == "one":
            if match.how != "name" and match.how != "email":
                typer.echo(f"{role}: {query!r} is {match.person.label()} (matched by {match.how})")
            return match.person
        if match.status == "many":
            return self._choose(query, role, match.candidates)
        return None

    def resolve(self, query: str, role: str, channel: str | None) -> str:
        """The anchor record id for ``query``; creates a contact when nobody matches."""
        found = self.find(query, role)
        if found is not None:
            return found.record_id
        name, email = split_query(query)
        region = self.run.workspace.config.region
        record_id = add_manual_contact(
            self.run.store, name=name or None, email=email, channel=channel, region=region
        )
        typer.echo(
            f"{role}: nobody in the store matches {query!r}; created a new contact "
            f"{(name or email)!r} (source manual:journal)"
        )
        self.index = people_index(matchable_people(self.run.store))
        return record_id

    def _choose(self, query: str, role: str, candidates: list[Candidate]) -> Candidate:
        listing = "; ".join(f"{n}) {c.label()}" for n, c in enumerate(candidates, 1))
        if not is_interactive():
            raise UsageError(
                f"{role} {query!r} matches {len(candidates)} people: {listing}; "
                "be more specific (e.g. an email)"
            )
        typer.echo(f"{role} {query!r} matches several people:")
        for n, c in enumerate(candidates, 1):
            typer.echo(f"  {n}) {c.label()}")
        while True:
            choice = typer.prompt(f"Which one (1-{len(candidates)})", type=int)
            if 1 <= choice <= len(candidates):
                return candidates[choice - 1]
            typer.echo(f"Please answer a number from 1 to {len(candidates)}.")


@handle_errors
def log_command(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help=f"What happened: {', '.join(KINDS)}.")],
    person: Annotated[str, typer.Argument(help="Who: a name, nickname or email (new people are created).")],
    via: Annotated[str | None, typer.Option("--via", help="Who introduced you / referred you.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="For a referral: who you were referred to.")] = None,
    channel: Annotated[
        str | None,
        typer.Option("--channel", "-c", help=f"Where the contact came from: {', '.join(CHANNELS)}."),
    ] = None,
    date: DateOption = None,
    note: Annotated[str | None, typer.Option("--note", "-m", help="Free text (a message about it).")] = None,
) -> None:
    """Log a journal entry: `kith log met "Maria Gonzalez" --channel alumni --date 2026-11-05`."""
    if kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}")
    if channel is not None and channel not in CHANNELS:
        raise UsageError(f"unknown channel {channel!r}; use one of: {', '.join(CHANNELS)}")
    day = parse_date(date)
    with open_run(state(ctx)) as run:
        run.sync_journal()
        people = PersonResolver(run)
        anchor = people.resolve(person, "person", channel)
        via_anchor = people.resolve(via, "--via", None) if via else None
        to_anchor = people.resolve(to, "--to", None) if to else None
        entry = add_entry(
            run.store, kind, anchor, date=day, via=via_anchor, to=to_anchor, channel=channel, note=note
        )
        row = _named_journal(run).filter(pl.col("entry_id") == entry).row(0, named=True)
    extra = "".join(f", {k} {row[k]}" for k in ("via", "to", "channel") if row.get(k))
    typer.echo(f"Logged #{entry}: {kind} {row['person']} on {day.isoformat()}{extra}")


@handle_errors
def outcome_command(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help='How the search ended, e.g. "accepted a job with Contoso".')],
    date: DateOption = None,
) -> None:
    """Record the outcome of the search; everyone who helped then gets an outcome-report task."""
    day = parse_date(date)
    with open_run(state(ctx)) as run:
        set_outcome(run.store, text, day)
    typer.echo(f"Outcome recorded for {day.isoformat()}: {text.strip()}")


def _named_journal(run: Run) -> pl.DataFrame:
    journal = load_journal(run.store)
    names = load_people(run.store).select("person_id", display_name_expr().alias("name"))
    for column, alias in (("person_id", "person"), ("via_person_id", "via"), ("to_person_id", "to")):
        journal = journal.join(
            names.rename({"person_id": column, "name": alias}), on=column, how="left", maintain_order="left"
        )
    return journal


@handle_errors
def journal_command(
    ctx: typer.Context,
    person: Annotated[str | None, typer.Argument(help="Only entries about this person.")] = None,
    json_out: JsonOption = False,
) -> None:
    """Show the journal (all of it, or one person's history)."""
    with open_run(state(ctx)) as run:
        journal = _named_journal(run)
        if person:
            found = PersonResolver(run).find(person, "person")
            if found is None:
                raise UsageError(f"nobody in the store matches {person!r}")
            pid = found.person_id
            journal = journal.filter(
                (pl.col("person_id") == pid)
                | (pl.col("via_person_id") == pid)
                | (pl.col("to_person_id") == pid)
            )
        outcome = load_outcome(run.store)
    if json_out:
        print_json(
            {
                "entries": [
                    {**row, "date": row["date"].isoformat()} for row in journal.iter_rows(named=True)
                ],
                "outcome": {"text": outcome.text, "date": outcome.date.isoformat()} if outcome else None,
            }
        )
        return
    table = Table(show_edge=False)
    for column in ("#", "date", "kind", "person"):
        table.add_column(column, no_wrap=True)
    table.add_column("with")
    table.add_column("channel", no_wrap=True)
    table.add_column("note", ratio=1, min_width=20)
    for row in journal.iter_rows(named=True):
        related = ", ".join(
            part
            for part in (f"via {row['via']}" if row["via"] else "", f"to {row['to']}" if row["to"] else "")
            if part
        )
        table.add_row(
            str(row["entry_id"]),
            row["date"].isoformat(),
            row["kind"],
            row["person"] or "(removed)",
            related,
            row["channel"] or "",
            row["note"] or "",
        )
    console = Console()
    console.print(table)
    if outcome:
        console.print(f"Outcome ({outcome.date.isoformat()}): {outcome.text}", markup=False, highlight=False)


@handle_errors
def report_command(
    ctx: typer.Context,
    exporters: Annotated[list[str] | None, typer.Argument(help="Exporters to run (default: all).")] = None,
    as_of: AsOfOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder to write (default: reports/<ISO week>/).")
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Write reports now (the follow-up checklist and any other exporters) into this week's folder."""
    day = as_of_date(as_of)
    with open_run(state(ctx), as_of=day, lock="kith report") as run:
        target = out or run.workspace.reports_dir / run.week
        paths = run.reports(list(exporters or []), target)
    if json_out:
        print_json({"as_of": day.isoformat(), "folder": str(target), "paths": [str(p) for p in paths]})
        return
    for path in paths:
        typer.echo(str(path))


@handle_errors
def done_command(
    ctx: typer.Context,
    keys: Annotated[list[str], typer.Argument(help="Task keys, as in the Task column of followups.xlsx.")],
    undo: Annotated[bool, typer.Option("--undo", help="Mark as not done again.")] = False,
    as_of: AsOfOption = None,
) -> None:
    """Tick follow-up tasks done (the same as Done = yes in followups.xlsx)."""
    day = as_of_date(as_of)
    with open_run(state(ctx), as_of=day) as run:
        run.sync_journal()
        settings = run.followup_settings
        known = {t.key: t for t in compute_tasks(run.store, run.pm, day, settings, include_done=True)}
        for key in keys:
            if key not in known:
                close = difflib.get_close_matches(key, list(known), n=3)
                hint = (
                    f"; did you mean {', '.join(close)}?" if close else "; `kith report` lists the open tasks"
                )
                raise UsageError(f"no follow-up task {key!r} as of {day.isoformat()}{hint}")
        mark_done(run.store, keys, source="kith done", done=not undo)
    for key in keys:
        task = known[key]
        verb = "reopened" if undo else "done"
        typer.echo(f"{verb}: {key} — {task.action}")


def register(app: typer.Typer) -> None:
    panel = "Journal and follow-ups"
    app.command("log", rich_help_panel=panel)(log_command)
    app.command("outcome", rich_help_panel=panel)(outcome_command)
    app.command("journal", rich_help_panel=panel)(journal_command)
    app.command("report", rich_help_panel="The weekly batch")(report_command)
    app.command("done", rich_help_panel=panel)(done_command)

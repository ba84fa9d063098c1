"""Journal and follow-up commands: ``log``, ``outcome``, ``journal``, ``report``, ``done``.

PERSON arguments are matched by :func:`pipeline.journal.match.find_person` (id, email, name,
nickname, words, fuzzy, prefix) through :class:`PersonResolver`. Several matches: on a
terminal the user picks one; in a script the command fails with exit 2 and lists at most ten
candidates and how to say which. No match: a new contact is created
(:func:`pipeline.journal.contacts.add_manual_contact`) and the command says so.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipeline.cli.app import handle_errors, print_json, state
from pipeline.cli.context import open_run
from pipeline.cli.options import AsOfOption, DateOption, JsonOption, as_of_date
from pipeline.cli.progress import status_note, wanted
from pipeline.errors import UsageError
from pipeline.vocabulary import CHANNELS, KINDS

if TYPE_CHECKING:  # the store and polars load when a command runs, not at start-up
    import polars as pl

    from pipeline.journal.match import Candidate, Match
    from pipeline.run import Run


def is_interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


#: How many candidates an ambiguous name lists (the rest are counted).
MAX_CANDIDATES = 10


class PersonResolver:
    """Resolves PERSON arguments for one command (people are loaded once).

    The matching is :func:`pipeline.journal.match.find_person`; this adds the conversation:
    several matches (or a name that only matches by prefix) are a numbered choice on a
    terminal and exit 2 in a script, listing at most :data:`MAX_CANDIDATES` with how to say
    which one; nobody matching creates a contact, said plainly; ``new=True`` always creates.
    """

    def __init__(self, run: Run, *, err: bool = False) -> None:
        from pipeline.journal.match import people_index
        from pipeline.journal.sync import matchable_people

        self.run = run
        self.err = err  # under --json, notes go to stderr so stdout stays one JSON object
        self.index = people_index(matchable_people(run.store))
        self._last: dict[str, str] | None = None

    def last_contact(self, person_id: str) -> str:
        """The date of the latest journal entry about ``person_id`` (or "never")."""
        import polars as pl

        from pipeline.journal import load_journal

        if self._last is None:
            journal = load_journal(self.run.store)
            frame = pl.concat(
                [
                    journal.select(pl.col(c).alias("person_id"), "date")
                    for c in ("person_id", "via_person_id", "to_person_id")
                ]
            ).drop_nulls()
            latest = frame.group_by("person_id").agg(pl.col("date").max())
            self._last = {p: d.isoformat() for p, d in latest.iter_rows()}
        return self._last.get(person_id, "never")

    def describe(self, c: Candidate) -> str:
        parts = [c.email or "no e-mail", c.organization or "no organization"]
        return (
            f"{c.name} — {', '.join(parts)}, last contact {self.last_contact(c.person_id)}, id {c.person_id}"
        )

    def find(self, query: str, role: str, *, email: str | None = None) -> Candidate | None:
        from pipeline.journal.match import find_person, split_query

        if email:
            name, _ = split_query(query)
            query = f"{name} <{email.strip()}>"
        match = find_person(None, query, index=self.index)
        if match.status == "one":
            if match.how not in {"name", "email", "id"}:
                note = f"{role}: {query!r} is {match.person.label()} (matched by {match.how})"
                typer.echo(note, err=self.err)
            return match.person
        if match.status == "many":
            return self._choose(query, role, match)
        return None

    def resolve(
        self, query: str, role: str, channel: str | None, *, email: str | None = None, new: bool = False
    ) -> str:
        """The anchor record id for ``query``; creates a contact when nobody matches (or ``new``)."""
        from pipeline.journal.contacts import add_manual_contact
        from pipeline.journal.match import people_index, split_query
        from pipeline.journal.sync import matchable_people

        found = None if new else self.find(query, role, email=email)
        if found is not None:
            return found.record_id
        name, address = split_query(query)
        address = email.strip().lower() if email else address
        region = self.run.workspace.config.region
        record_id = add_manual_contact(
            self.run.store, name=name or None, email=address, channel=channel, region=region
        )
        typer.echo(
            f"{role}: created a new contact {(name or address)!r}"
            + ("" if new else f" (nobody in the store matches {query!r})"),
            err=self.err,
        )
        self.index = people_index(matchable_people(self.run.store))
        return record_id

    def _choose(self, query: str, role: str, match: Match) -> Candidate | None:
        candidates = match.candidates
        prefix = match.how == "prefix"
        what = "only starts the name of" if prefix else "matches"
        count = f"{len(candidates)} {'person' if len(candidates) == 1 else 'people'}"
        if not is_interactive():
            shown = candidates[:MAX_CANDIDATES]
            lines = [f"{role} {query!r} {what} {count}:"]
            lines += [f"  {self.describe(c)}" for c in shown]
            if len(candidates) > len(shown):
                lines.append(f"  … and {len(candidates) - len(shown)} more")
            hint = "say which one with --email ADDRESS or the person id instead of the name"
            if prefix:
                hint += ", or add --new to create a new contact with that name"
            lines.append(hint + ".")
            raise UsageError("\n".join(lines))
        typer.echo(f"{role} {query!r} {what} {count}:")
        shown = candidates[: MAX_CANDIDATES * 5]
        for n, c in enumerate(shown, 1):
            typer.echo(f"  {n}) {self.describe(c)}")
        if prefix:
            typer.echo(f"  0) none of them: create a new contact {query!r}")
        low = 0 if prefix else 1
        while True:
            choice = typer.prompt(f"Which one ({low}-{len(shown)})", type=int)
            if prefix and choice == 0:
                return None
            if 1 <= choice <= len(shown):
                return shown[choice - 1]
            typer.echo(f"Please answer a number from {low} to {len(shown)}.")


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
    email: Annotated[
        str | None, typer.Option("--email", help="PERSON's e-mail: picks one of several of that name.")
    ] = None,
    new: Annotated[
        bool, typer.Option("--new", help="PERSON is someone new: create a contact even if a name matches.")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Log a journal entry: `kith log met "Maria Gonzalez" --channel alumni --date 2026-11-05`."""
    import polars as pl

    from pipeline.journal import add_entry, parse_date

    if kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}")
    if channel is not None and channel not in CHANNELS:
        raise UsageError(f"unknown channel {channel!r}; use one of: {', '.join(CHANNELS)}")
    day = parse_date(date)
    with open_run(state(ctx)) as run:
        run.sync_journal()
        people = PersonResolver(run, err=json_out)
        anchor = people.resolve(person, "person", channel, email=email, new=new)
        via_anchor = people.resolve(via, "--via", None) if via else None
        to_anchor = people.resolve(to, "--to", None) if to else None
        entry = add_entry(
            run.store, kind, anchor, date=day, via=via_anchor, to=to_anchor, channel=channel, note=note
        )
        row = _named_journal(run).filter(pl.col("entry_id") == entry).row(0, named=True)
    if json_out:
        print_json({**_entry_json(row), "record_id": anchor})
        return
    extra = "".join(f", {k} {row[k]}" for k in ("via", "to", "channel") if row.get(k))
    typer.echo(f"Logged #{entry}: {kind} {row['person']} on {day.isoformat()}{extra}")


def _entry_json(row: dict) -> dict:
    keys = ("entry_id", "date", "kind", "person_id", "person", "via_person_id", "via", "to_person_id", "to")
    return {**{k: row.get(k) for k in keys}, "channel": row.get("channel"), "note": row.get("note")}


@handle_errors
def outcome_command(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help='How the search ended, e.g. "accepted a job with Contoso".')],
    date: DateOption = None,
    json_out: JsonOption = False,
) -> None:
    """Record the outcome of the search; everyone who helped then gets an outcome-report task."""
    from pipeline.journal import parse_date, set_outcome

    day = parse_date(date)
    with open_run(state(ctx)) as run:
        set_outcome(run.store, text, day)
    if json_out:
        print_json({"outcome": text.strip(), "date": day.isoformat()})
        return
    typer.echo(f"Outcome recorded for {day.isoformat()}: {text.strip()}")


def _named_journal(run: Run) -> pl.DataFrame:
    from pipeline.journal import load_journal
    from pipeline.journal.match import display_name_expr
    from pipeline.people import load_people

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
    import polars as pl

    from pipeline.journal import load_outcome

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
    if journal.is_empty():
        whose = f" about {person}" if person else ""
        print(f'No journal entries{whose} yet: `kith log met "NAME"` adds one (kith log --help).')
    else:
        _print_journal(journal)
    if outcome:
        line = f"Outcome ({outcome.date.isoformat()}): {outcome.text}"
        Console().print(line, markup=False, highlight=False)


def _print_journal(journal) -> None:
    """The journal as a table, one entry a row."""
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
    Console().print(table)


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
    with (
        status_note(wanted(json_out=json_out)) as note,
        open_run(state(ctx), as_of=day, lock="kith report", note=note) as run,
    ):
        target = out or run.workspace.reports_dir / run.week
        paths = run.reports(list(exporters or []), target)
    warnings = run.report.warnings  # an exporter that skipped a file says so
    if json_out:
        print_json(
            {
                "as_of": day.isoformat(),
                "folder": str(target),
                "paths": [str(p) for p in paths],
                "warnings": warnings,
            }
        )
        return
    for path in paths:
        typer.echo(str(path))
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)


@handle_errors
def done_command(
    ctx: typer.Context,
    keys: Annotated[list[str], typer.Argument(help="Task keys, as in the Task column of followups.xlsx.")],
    undo: Annotated[bool, typer.Option("--undo", help="Mark as not done again.")] = False,
    as_of: AsOfOption = None,
    json_out: JsonOption = False,
) -> None:
    """Tick follow-up tasks done (the same as Done = yes in followups.xlsx)."""
    from pipeline.followups import compute_tasks, mark_done

    day = as_of_date(as_of)
    with open_run(state(ctx), as_of=day) as run:
        run.sync_journal()
        settings = run.followup_settings
        known = {t.key: t for t in compute_tasks(run.store, run.pm, day, settings, include_done=True)}
        for key in keys:
            if key not in known:
                close = difflib.get_close_matches(key, list(known), n=3)
                listed = run.workspace.reports_dir / run.week / "followups.md"
                hint = (
                    f"; did you mean {', '.join(close)}?" if close else f"; the week's tasks are in {listed}"
                )
                raise UsageError(f"no follow-up task {key!r} as of {day.isoformat()}{hint}")
        mark_done(run.store, keys, source="kith done", done=not undo)
    if json_out:
        tasks = [{"key": k, "action": known[k].action, "done": not undo} for k in keys]
        print_json({"as_of": day.isoformat(), "tasks": tasks})
        return
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

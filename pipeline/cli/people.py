"""``kith people [QUERY]`` and ``kith export people``: the resolved people, for reading and for scripts.

Both read :func:`pipeline.people.load_people`, so they work before dedupe has run (one
person per record) and show merged people after.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipeline.cli.app import handle_errors, print_json, state
from pipeline.cli.context import open_run
from pipeline.cli.options import JsonOption

if TYPE_CHECKING:  # polars loads when a command runs, not at start-up
    import polars as pl

TERMINAL_LIMIT = 100


def name_expr() -> pl.Expr:
    """full_name, else the name parts joined, else the first email."""
    import polars as pl

    parts = pl.concat_str(["given_name", "middle_name", "family_name"], separator=" ", ignore_nulls=True)
    return pl.coalesce(
        pl.col("full_name"), pl.when(parts.str.len_chars() > 0).then(parts), pl.col("emails").list.first()
    )


def search_people(people: pl.DataFrame, query: str | None) -> pl.DataFrame:
    """People whose name, emails, phones, employer or id contain ``query`` (case-insensitive)."""
    import polars as pl

    people = people.with_columns(name_expr().alias("name"))
    if not query:
        return people
    haystack = pl.concat_str(
        [
            pl.col("person_id"),
            pl.col("name"),
            pl.col("nickname"),
            pl.col("organization"),
            pl.col("emails").list.join(" "),
            pl.col("phones").list.join(" "),
        ],
        separator=" ",
        ignore_nulls=True,
    ).str.to_lowercase()
    needle = query.strip().lower()
    digits = "".join(c for c in needle if c.isdigit())
    hit = haystack.str.contains(needle, literal=True)
    if len(digits) >= 6:  # a phone typed with spaces or dashes still finds +1206…
        hit = hit | pl.col("phones").list.join(" ").str.replace_all(r"\D", "").str.contains(
            digits, literal=True
        )
    return people.filter(hit)


@handle_errors
def people_command(
    ctx: typer.Context,
    query: Annotated[
        str | None, typer.Argument(help="Text to look for in names, emails, phones, employer.")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", help="Show at most this many (0: all).")
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """List or search people: name, emails, phones, organization and the sources behind each."""
    import polars as pl

    from pipeline.people import load_people

    with open_run(state(ctx)) as run:
        people = search_people(load_people(run.store), query).sort(
            [pl.col("name").str.to_lowercase(), "person_id"], nulls_last=True
        )
    total = people.height
    cap = (None if json_out else TERMINAL_LIMIT) if limit is None else (limit or None)
    shown = people.head(cap) if cap else people
    if json_out:
        print_json(
            shown.select(
                "person_id", "name", "emails", "phones", "organization", "title", "sources", "record_ids"
            ).to_dicts()
        )
        return
    if not total:
        typer.echo(f"No people match {query!r}." if query else "No people yet: import some contacts first.")
        raise typer.Exit(1 if query else 0)
    console = Console(width=max(Console().width, 120))
    table = Table(show_edge=False)
    for column in ("person", "name", "emails", "phones", "organization", "sources", "records"):
        table.add_column(column, overflow="fold", justify="right" if column == "records" else "left")
    for row in shown.iter_rows(named=True):
        table.add_row(
            row["person_id"],
            row["name"] or "",
            ", ".join(row["emails"] or []),
            ", ".join(row["phones"] or []),
            row["organization"] or "",
            ", ".join(row["sources"] or []),
            str(len(row["record_ids"] or [])),
        )
    console.print(table)
    more = f" (showing {shown.height}; --limit 0 shows all)" if shown.height < total else ""
    console.print(f"{total:,} {'person' if total == 1 else 'people'}{more}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("people", rich_help_panel="People")(people_command)

"""Commands that resolve people and let the user correct them: ``dedupe``, ``review``, ``why``,
``merge`` and ``split``.

A thin layer over the run's feedback and resolve stages (:class:`pipeline.run.Run`),
:mod:`pipeline.dedupe.storage` (decisions), :mod:`pipeline.dedupe.lookup` (what A and B mean)
and :func:`pipeline.dedupe.explain`. Every correction is stored as a decision and followed
by an incremental re-run, so what ``kith people`` shows afterwards is what every report
will use.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipeline.cli.app import handle_errors, print_json, state
from pipeline.cli.context import open_run
from pipeline.cli.options import FullOption, JsonOption
from pipeline.cli.progress import stage_progress, wanted
from pipeline.errors import UsageError

if TYPE_CHECKING:  # the store and polars load when a command runs, not at start-up
    from pipeline.dedupe.storage import DedupeRun
    from pipeline.run import Run

MAX_WHY_PAIRS = 400

#: A or B of `why` and `merge`: whatever the user has at hand.
WhoArg = Annotated[str, typer.Argument(help="A record id, person id, email or name.")]


#: The exporter whose files hold match decisions (``kith review --from-sheet``).
REVIEW_EXPORTER = "duplicates"


def _rerun(
    run: Run, *, refit: bool = False, full: bool = False, sheet: Path | None = None, progress=None
) -> DedupeRun:
    """Apply feedback (the filled review sheets, or the one ``sheet`` named), then resolve."""
    from pipeline import registry
    from pipeline.run import chosen_exporters, configured_exporters

    if sheet is None:
        exporters = configured_exporters(run.workspace, run.pm)
    elif REVIEW_EXPORTER in registry.exporters(run.pm):
        exporters = chosen_exporters(run.workspace, run.pm, [REVIEW_EXPORTER])
    else:
        raise UsageError(f"reading {sheet} needs the {REVIEW_EXPORTER!r} plugin, which is not installed")
    _ticked, stored = run.apply_feedback(exporters, paths=[sheet] if sheet is not None else None)
    result = run.resolve_people(refit=refit, full=full, progress=progress)
    result.sheet_decisions = stored
    result.warnings = list(run.report.warnings)
    return result


def _summary(run: DedupeRun) -> str:
    merged = run.records - run.people
    text = f"{run.records:,} records → {run.people:,} people"
    if merged:
        text += f" ({run.merged_people:,} merged from {run.merged_people + merged:,} records)"
    text += f"; {run.review:,} pair{'s' if run.review != 1 else ''} to review"
    return text + (" (kith review)" if run.review else "")


def _decisions(count: int) -> str:
    return f"{count:,} decision{'' if count == 1 else 's'}"


def _print_run(run: DedupeRun) -> None:
    for warning in run.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if run.sheet_decisions:
        typer.echo(f"Applied {_decisions(run.sheet_decisions)} from review sheets.")
    typer.echo(_summary(run))


@handle_errors
def dedupe_command(
    ctx: typer.Context,
    refit: Annotated[
        bool, typer.Option("--refit", help="Fit a new model even if the stored one still fits the data.")
    ] = False,
    full: FullOption = False,
    json_out: JsonOption = False,
) -> None:
    """Resolve records into people (incremental; your decisions always win).

    Only new and changed records are examined, against the records they share a key with;
    --full examines every record again with a newly fitted model.
    """
    from pipeline.dedupe.resolve import STAGES

    with open_run(state(ctx)) as run, stage_progress(wanted(json_out=json_out), "dedupe", STAGES) as tell:
        result = _rerun(run, refit=refit, full=full, progress=tell)
    if json_out:
        print_json(result.to_json())
    else:
        _print_run(result)


# --- review -----------------------------------------------------------------------------------


def _pair_table(row: dict, number: int, total: int) -> Table:
    from pipeline.dedupe.review import describe

    a, b = describe(row["a"]), describe(row["b"])
    table = Table(
        title=f"Pair {number} of {total}: match probability {row['probability']:.1%}", show_lines=False
    )
    table.add_column("", style="bold")
    table.add_column(f"A  {row['record_a']}", overflow="fold")
    table.add_column(f"B  {row['record_b']}", overflow="fold")
    for stem, left in a.items():
        right = b[stem]
        if left or right:
            style = None if left == right or not (left and right) else "yellow"
            table.add_row(stem, left, right, style=style)
    return table


def _queue_json(rows: list[dict]) -> list[dict]:
    from pipeline.dedupe.review import display_name

    return [
        {
            "rank": r["rank"],
            "record_a": r["record_a"],
            "record_b": r["record_b"],
            "person_a": r["person_a"],
            "person_b": r["person_b"],
            "name_a": display_name(r["a"]),
            "name_b": display_name(r["b"]),
            "probability": r["probability"],
            "reasons": r["reasons"],
        }
        for r in rows
    ]


def _print_queue(rows: list[dict]) -> None:
    from pipeline.dedupe.review import display_name

    if not rows:
        typer.echo("Nothing to review.")
        return
    console = Console(width=max(Console().width, 140))
    table = Table(show_edge=False)
    for column in ("#", "probability", "A", "B", "record A", "record B", "reasons"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            str(r["rank"]),
            f"{r['probability']:.1%}",
            display_name(r["a"]),
            display_name(r["b"]),
            r["record_a"],
            r["record_b"],
            "; ".join(r["reasons"]),
        )
    console.print(table)
    console.print(
        f"{len(rows)} pair(s) to review: run `kith review` on a terminal, fill duplicates.xlsx, "
        "or use `kith merge A B` / `kith split PERSON`.",
        highlight=False,
    )


def _interactive(run: Run, rows: list[dict]) -> int:
    from pipeline.dedupe import lookup
    from pipeline.dedupe.storage import decide_between

    console = Console()
    decided = 0
    for number, row in enumerate(rows, 1):
        console.print(_pair_table(row, number, len(rows)))
        console.print("  " + "; ".join(row["reasons"]), highlight=False)
        while True:
            answer = typer.prompt("Same person? [s]ame / [d]ifferent / s[k]ip / [q]uit", default="k")
            answer = answer.strip().casefold()[:1]
            if answer in ("s", "d", "k", "q"):
                break
            console.print("Please answer s, d, k or q.")
        if answer == "q":
            break
        if answer == "k":
            continue
        decision = "same" if answer == "s" else "different"
        left = lookup.expand_to_people(run.store, [row["record_a"]])
        right = [r for r in lookup.expand_to_people(run.store, [row["record_b"]]) if r not in left]
        decide_between(run.store, left, right or [row["record_b"]], decision, by="review")
        decided += 1
    return decided


@handle_errors
def review_command(
    ctx: typer.Context,
    from_sheet: Annotated[
        Path | None,
        typer.Option("--from-sheet", help="Apply the decisions filled into a duplicates.xlsx review sheet."),
    ] = None,
    interactive: Annotated[
        bool | None,
        typer.Option(
            "--interactive/--no-interactive",
            help="Ask about each pair (default: only on a terminal; otherwise print the queue).",
        ),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Decide the uncertain pairs: same, different or skip (or apply a filled review sheet)."""
    from pipeline.dedupe.review import review_rows

    with open_run(state(ctx)) as run:
        if from_sheet is not None:
            result = _rerun(run, sheet=from_sheet)
            if json_out:
                print_json(result.to_json())
            else:
                for warning in result.warnings:
                    typer.echo(f"warning: {warning}", err=True)
                typer.echo(f"Applied {_decisions(result.sheet_decisions)} from {from_sheet}.")
                typer.echo(_summary(result))
            return
        rows = review_rows(run.store)
        if interactive is None:
            interactive = sys.stdin.isatty() and sys.stdout.isatty() and not json_out
        if not interactive:
            print_json(_queue_json(rows)) if json_out else _print_queue(rows)
            return
        if not rows:
            typer.echo("Nothing to review.")
            return
        decided = _interactive(run, rows)
        if decided:
            result = _rerun(run)
            typer.echo(f"Stored {decided} decision(s). {_summary(result)}")
        else:
            typer.echo("No decisions made.")


# --- why, merge, split --------------------------------------------------------------------------


def _model(run: Run) -> dict:
    from pipeline.dedupe.storage import load_model, records_for_dedupe

    model = load_model(run.store)
    if model is None:  # never deduped: fit one for this question, store nothing
        from pipeline.dedupe import resolve

        model = resolve(records_for_dedupe(run.store)).model
    return model


@handle_errors
def why_command(
    ctx: typer.Context,
    a: WhoArg,
    b: WhoArg,
    json_out: JsonOption = False,
) -> None:
    """Explain the match score of two records: each comparison's level and weight, and the probability."""
    import polars as pl

    from pipeline.dedupe import explain, lookup
    from pipeline.dedupe.explain import decided_by
    from pipeline.dedupe.review import describe, display_name
    from pipeline.dedupe.storage import load_decisions, load_review_queue, workspace_settings

    with open_run(state(ctx)) as run:
        store = run.store
        left, right = lookup.find(store, a), lookup.find(store, b)
        pairs = [(x, y) for x in left.record_ids for y in right.record_ids if x != y][:MAX_WHY_PAIRS]
        if not pairs:
            raise UsageError(f"{a!r} and {b!r} are the same record; name two different ones")
        ids = sorted({r for pair in pairs for r in pair})
        marks = ",".join("?" * len(ids))
        records = {
            r["record_id"]: r
            for r in store.records(f"WHERE record_id IN ({marks})", tuple(ids)).iter_rows(named=True)
        }
        model = _model(run)
        best = max(
            (explain(records[x], records[y], model) for x, y in pairs),
            key=lambda e: (e.probability, e.record_a),
        )
        person = lookup.person_of(store, [best.record_a, best.record_b])
        decisions = load_decisions(store)
        key = (min(best.record_a, best.record_b), max(best.record_a, best.record_b))
        decided = decisions.filter((decisions["record_a"] == key[0]) & (decisions["record_b"] == key[1]))
        decision = decided["decision"][0] if decided.height else None
        queue = load_review_queue(store)
        queued = queue.filter(
            pl.min_horizontal("record_a", "record_b").eq(key[0])
            & pl.max_horizontal("record_a", "record_b").eq(key[1])
        )
        reasons = queued["reasons"][0].to_list() if queued.height else None
        settings = workspace_settings(run.workspace)
    ra, rb = records[best.record_a], records[best.record_b]
    same = person[best.record_a] == person[best.record_b]
    rules = decided_by(best, same=same, decision=decision, settings=settings, reasons=reasons)
    if json_out:
        print_json(
            {
                **best.to_dict(),
                "person_a": person[best.record_a],
                "person_b": person[best.record_b],
                "same_person": same,
                "decision": decision,
                "decided_by": rules,
                "pairs_considered": len(pairs),
            }
        )
        return
    for label, rec in (("A", ra), ("B", rb)):
        rid = rec["record_id"]
        typer.echo(f"{label}: {display_name(rec)} ({describe(rec)['Source']}) · {rid} · person {person[rid]}")
    if len(pairs) > 1:
        typer.echo(f"(closest of {len(pairs)} record pairs)")
    typer.echo(best.to_text())
    verdict = "the same person" if same else "different people"
    typer.echo(f"Now: {verdict}" + (f" (your decision: {decision})" if decision else ""))
    for rule in rules:
        typer.echo(f"  decided by: {rule}")


@handle_errors
def merge_command(
    ctx: typer.Context,
    a: WhoArg,
    b: WhoArg,
    json_out: JsonOption = False,
) -> None:
    """Say that A and B are the same person (stored; wins on every later run)."""
    from pipeline.dedupe import lookup
    from pipeline.dedupe.storage import decide_between

    with open_run(state(ctx)) as run:
        store = run.store
        first, second = lookup.two_people(store, a, b)
        left, right = lookup.records_of_person(store, first), lookup.records_of_person(store, second)
        stored = decide_between(store, left, right, "same", by="merge")
        result = _rerun(run)
        person = lookup.person_of(store, left[:1])[left[0]]
    if json_out:
        print_json({"person_id": person, "decisions": stored, "run": result.to_json()})
    else:
        typer.echo(f"Merged into person {person} ({len(left) + len(right)} records). {_summary(result)}")


@handle_errors
def split_command(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="A person id (or a record id, email or name of one person).")],
    record: Annotated[
        str | None, typer.Option("--record", "-r", help="Take only this record out of the person.")
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Undo a merge: every record of PERSON becomes its own person, or only --record R leaves."""
    from pipeline.dedupe import lookup
    from pipeline.dedupe.storage import split_records

    with open_run(state(ctx)) as run:
        store = run.store
        person_id, records = lookup.one_person(store, person)
        if len(records) < 2:
            raise UsageError(f"person {person_id} has one record; there is nothing to split")
        stored = split_records(store, records, record, by="split")
        result = _rerun(run)
        after = lookup.person_of(store, records)
    if json_out:
        print_json(
            {"person_id": person_id, "decisions": stored, "assignments": after, "run": result.to_json()}
        )
    else:
        parts = len(set(after.values()))
        typer.echo(f"Split person {person_id} into {parts} people. {_summary(result)}")


def register(app: typer.Typer) -> None:
    for name, command in (
        ("dedupe", dedupe_command),
        ("review", review_command),
        ("why", why_command),
        ("merge", merge_command),
        ("split", split_command),
    ):
        app.command(name, rich_help_panel="People")(command)

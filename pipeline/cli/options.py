"""Options shared by several commands, defined once: the same name, short flag and help everywhere.

Short flags mean one thing across kith: ``-o`` output, ``-f`` format, ``-d`` the date of a
journal entry, ``-c`` a contact's channel, ``-m`` a note (message), ``-n`` a limit, ``-q``
quiet, ``-w`` the workspace. ``--as-of`` takes the same forms everywhere (``2026-11-26``,
``today``, ``yesterday``, ``tomorrow``) with the same one-line error.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts (stable shape).")]
OutOption = Annotated[str, typer.Option("--out", "-o", help="File to write, or - for standard output.")]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Treat this day as today: YYYY-MM-DD, today or yesterday (fixes the week)."),
]
DateOption = Annotated[
    str | None, typer.Option("--date", "-d", help="When it happened: YYYY-MM-DD, today or yesterday.")
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="The kith.toml to use (its folder is the workspace).")
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing unless something fails.")]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Import files again even when kith has them unchanged.")
]
FullOption = Annotated[
    bool,
    typer.Option(
        "--full",
        help="Resolve every record again with a newly fitted model, instead of only what changed "
        "(people keep their ids where their records stay together).",
    ),
]


def as_of_date(value: str | None) -> dt.date:
    """``--as-of`` as a date (today when not given); a UsageError naming the option otherwise."""
    from pipeline.journal.model import parse_date

    return parse_date(value, what="--as-of")

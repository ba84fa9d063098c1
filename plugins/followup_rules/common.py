"""Small helpers the built-in follow-up rules share: dates in words, kind phrases, who helped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipeline.contracts import Entry, RuleContext
from pipeline.journal import CONTACT_KINDS, THANKS_KINDS

#: The built-in rules' draft templates (a workspace overrides any of them by file name).
TEMPLATES = Path(__file__).resolve().parent / "templates"

#: What "thank you for …" says about each conversation kind.
WHAT = {
    "met": "taking the time to talk with me",
    "call": "the call",
    "meeting": "meeting with me",
    "info_interview": "the informational interview",
}
#: The kinds as words for a task's reason.
LABEL = {"met": "met", "call": "call", "meeting": "meeting", "info_interview": "informational interview"}
NUMBER_WORDS = "zero one two three four five six seven eight nine ten eleven twelve".split()


def when(day: dt.date) -> str:
    """``Tuesday, December 1`` — how a person writes a date in a message."""
    return f"{day:%A}, {day:%B} {day.day}"


def short(day: dt.date) -> str:
    return day.isoformat()


def number_words(n: int) -> str:
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


def past(ctx: RuleContext) -> list[Entry]:
    """Entries that have happened by ``as_of``."""
    return [e for e in ctx.entries if e.date <= ctx.as_of]


def by_person(entries: list[Entry]) -> dict[str, list[Entry]]:
    out: dict[str, list[Entry]] = {}
    for entry in entries:
        out.setdefault(entry.person_id, []).append(entry)
    return out


def thanked_since(entries: list[Entry], person_id: str, since: dt.date, until: dt.date) -> bool:
    """A thank-you or follow-up to ``person_id`` dated in ``[since, until]``."""
    return any(
        e.person_id == person_id and e.kind in THANKS_KINDS and since <= e.date <= until for e in entries
    )


def referrer_of(ctx: RuleContext, person_id: str, before: dt.date) -> str | None:
    """Who referred you to / introduced you to ``person_id`` (most recent, up to ``before``)."""
    found = None
    for e in ctx.entries:
        if e.date > before:
            break
        if e.kind == "referral" and e.to_person_id == person_id:
            found = e.person_id
        elif e.person_id == person_id and e.via_person_id and e.kind in CONTACT_KINDS:
            found = e.via_person_id
    return found


def helpers(ctx: RuleContext, until: dt.date) -> dict[str, list[Entry]]:
    """People who helped up to ``until``: conversations, referrals made, introductions made."""
    out: dict[str, list[Entry]] = {}
    for e in ctx.entries:
        if e.date > until:
            continue
        if e.kind in CONTACT_KINDS or e.kind == "referral":
            out.setdefault(e.person_id, []).append(e)
        if e.via_person_id and e.kind in (*CONTACT_KINDS, "email"):
            out.setdefault(e.via_person_id, []).append(e)
    return out

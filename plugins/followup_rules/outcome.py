"""Rule 5: the search is over — an outcome report to everyone who helped, naming how each helped.

"After talking to six people, I accepted a job with … Thanks again for referring me to
Ken." One task per helper (a conversation, a referral or an introduction before the
outcome's date), unless an ``outcome_report`` entry to them is logged since the outcome.

The message is the outcome report's (:func:`plugins.outcome_report.drafts.helper_drafts`):
the task carries that draft and its file name in ``outcome-drafts/``, so each helper has one
outcome message, written once, whichever report is read.
"""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.contracts import Entry, RuleContext, Task
from pipeline.journal import CONTACT_KINDS
from plugins.followup_rules.common import TEMPLATES, helpers, number_words, short
from plugins.outcome_report.drafts import helper_drafts
from plugins.outcome_report.model import PEOPLE_USED, Owner, build_outcome_report

#: Thanks for a conversation, most substantial first (one line per helper).
CONVERSATION_THANKS = (
    ("info_interview", "the informational interview"),
    ("meeting", "meeting with me"),
    ("call", "taking my call"),
    ("met", "the conversation when we met"),
)


def thanks_lines(ctx: RuleContext, person_id: str, entries: list[Entry]) -> list[str]:
    """One sentence thanking for everything the person did (never two thanks in a row)."""
    parts, referred = [], set()
    kinds = {e.kind for e in entries if e.person_id == person_id}
    parts += [text for kind, text in CONVERSATION_THANKS if kind in kinds][:1]
    for e in entries:
        if e.kind == "referral" and e.person_id == person_id and e.to_person_id not in (None, *referred):
            referred.add(e.to_person_id)
            parts.append(f"referring me to {ctx.name_of(e.to_person_id).split()[0]}")
    for e in entries:
        if e.via_person_id == person_id and e.person_id not in referred:
            referred.add(e.person_id)
            parts.append(f"introducing me to {ctx.name_of(e.person_id).split()[0]}")
    if not parts:
        return []
    listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and for {parts[-1]}"
    return [f"Thanks again for {listed}."]


class OutcomeReportRule:
    """5. Outcome report to everyone who helped."""

    template_dir = TEMPLATES
    name = "outcome_report"
    description = "when the outcome is recorded: tell everyone who helped how it turned out"
    defaults = {"delay_days": 3, "overdue_after_days": 14, "template": "outcome_report.txt"}

    def tasks(self, ctx: RuleContext) -> Iterator[Task]:
        outcome = ctx.outcome
        if outcome is None or outcome.date > ctx.as_of:
            return
        helped = helpers(ctx, outcome.date)
        owner = Owner(ctx.owner.get("name") or None, ctx.owner.get("email") or None)
        people = ctx.people_columns(PEOPLE_USED)
        report = build_outcome_report(people, ctx.journal, outcome, ctx.as_of, owner)
        shared = helper_drafts(report, ctx.template_dirs)
        talked = {e.person_id for e in ctx.entries if e.kind in CONTACT_KINDS and e.date <= outcome.date}
        reported = {
            e.person_id
            for e in ctx.entries
            if e.kind == "outcome_report" and outcome.date <= e.date <= ctx.as_of
        }
        for person_id, entries in helped.items():
            if person_id in reported:
                continue
            name = ctx.name_of(person_id)
            first = min(e.entry_id for e in entries)
            ways = sorted({e.kind if e.person_id == person_id else "introduction" for e in entries})
            task = ctx.task(
                key=f"{outcome.date:%Y%m%d}:{first}",
                person_id=person_id,
                due=outcome.date + ctx.days("delay_days"),
                action=f"Send {name} your outcome report",
                entries=sorted({e.entry_id for e in entries}),
                why=f"You {outcome.text} on {short(outcome.date)}; {name} helped ({', '.join(ways)})",
                outcome=outcome.text,
                talked_to=len(talked),
                talked_to_words=number_words(len(talked)),
                thanks=thanks_lines(ctx, person_id, entries),
            )
            if person_id in shared:
                task.draft, task.draft_file = shared[person_id]
            yield task

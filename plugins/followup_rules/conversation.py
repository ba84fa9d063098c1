"""Rules about conversations: thank-you after one (1), prepare before one (4), check in after quiet (6)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from pipeline.contracts import RuleContext, Task
from pipeline.journal import CONTACT_KINDS, THANKS_KINDS
from plugins.followup_rules.common import (
    LABEL,
    TEMPLATES,
    WHAT,
    by_person,
    helpers,
    past,
    referrer_of,
    short,
    when,
)

#: Kinds that keep a contact warm (a referral counts for the person who made it).
WARM_KINDS = (*CONTACT_KINDS, "email", "follow_up", "thank_you", "referral", "outcome_report")


class ThankYouRule:
    """1. After a conversation with no later thank-you/follow-up: send one, due the next day."""

    template_dir = TEMPLATES
    name = "thank_you"
    description = "follow-up and thank-you after every met/call/meeting/info_interview"
    defaults = {"delay_days": 1, "overdue_after_days": 3, "lookback_days": 30, "template": "thank_you.txt"}

    def tasks(self, ctx: RuleContext) -> Iterator[Task]:
        oldest = ctx.as_of - ctx.days("lookback_days")
        for person_id, entries in by_person(past(ctx)).items():
            pending = []
            for e in entries:
                if e.kind in THANKS_KINDS:
                    pending = []
                elif e.kind in CONTACT_KINDS:
                    # A ticked-done task counts as the thank-you for what it covered.
                    if pending and ctx.is_done(str(pending[-1].entry_id)):
                        pending = []
                    pending.append(e)
            pending = [e for e in pending if e.date >= oldest]
            if not pending:
                continue
            last = pending[-1]
            name = ctx.name_of(person_id)
            happened = " and ".join(f"{LABEL[e.kind]} on {short(e.date)}" for e in pending)
            referred_by = referrer_of(ctx, person_id, last.date)
            yield ctx.task(
                key=str(last.entry_id),
                person_id=person_id,
                due=last.date + ctx.days("delay_days"),
                overdue_after=last.date + ctx.days("overdue_after_days"),
                action=f"Send {name} a thank-you and follow-up note",
                entries=[e.entry_id for e in pending],
                why=f"{name}: {happened}, and no thank-you or follow-up logged since",
                what=WHAT[last.kind],
                when=when(last.date),
                referred_by=ctx.name_of(referred_by) if referred_by else "",
            )


class PrepareRule:
    """4. A meeting coming up: prepare — ask for information, not advice; referrals at the end are fine."""

    template_dir = TEMPLATES
    name = "prepare"
    description = "before an upcoming meeting or call: prepare questions and confirm"
    defaults = {"lookahead_days": 14, "days_before": 1, "template": "prepare.txt"}

    def tasks(self, ctx: RuleContext) -> Iterator[Task]:
        horizon = ctx.as_of + ctx.days("lookahead_days")
        for e in ctx.entries:
            # From tomorrow on: a meeting dated today has started or is hours away.
            if e.kind not in CONTACT_KINDS or e.kind == "met" or not ctx.as_of < e.date <= horizon:
                continue
            name = ctx.name_of(e.person_id)
            label = {"call": "call", "info_interview": "informational interview"}.get(e.kind, "meeting")
            # After the outcome the meeting is no longer a search: no advice on asking for referrals.
            advice = (
                "tell them how your search ended"
                if ctx.search_over
                else "ask for information, not advice; a request for referrals at the end is fine"
            )
            yield ctx.task(
                key=str(e.entry_id),
                person_id=e.person_id,
                # Fixed by the entry, never by the run date (overdue comes from it).
                due=e.date - ctx.days("days_before"),
                overdue_after=e.date,
                action=f"Prepare for the {label} with {name} on {short(e.date)}: {advice}",
                entries=[e.entry_id],
                why=f"{'An' if label[0] in 'aeiou' else 'A'} {label} with {name} is set for {short(e.date)}",
                what={"meeting": "our meeting", "call": "our call"}.get(e.kind, "our conversation"),
                when=when(e.date),
                note=e.note or "",
            )


class CheckInRule:
    """6. Warm contacts quiet for N weeks (default 6): a check-in."""

    template_dir = TEMPLATES
    name = "check_in"
    description = "check in with warm contacts gone quiet for some weeks"
    defaults = {"weeks": 6, "overdue_after_days": 14, "template": "check_in.txt"}

    def tasks(self, ctx: RuleContext) -> Iterator[Task]:
        quiet = dt.timedelta(weeks=int(ctx.config["weeks"]))
        scheduled = {e.person_id for e in ctx.entries if e.date > ctx.as_of}
        reported = set()
        if ctx.outcome and ctx.outcome.date <= ctx.as_of and ctx.rule_enabled("outcome_report"):
            reported = set(helpers(ctx, ctx.outcome.date))  # they get an outcome report instead
        for person_id, entries in by_person([e for e in past(ctx) if e.kind in WARM_KINDS]).items():
            last = entries[-1]
            if person_id in scheduled or person_id in reported or ctx.as_of < last.date + quiet:
                continue
            name = ctx.name_of(person_id)
            weeks = (ctx.as_of - last.date).days // 7
            yield ctx.task(
                key=str(last.entry_id),
                person_id=person_id,
                due=last.date + quiet,
                action=f"Check in with {name}",
                entries=[last.entry_id],
                why=f"Nothing logged with {name} for {weeks} weeks (last: {last.kind} on {short(last.date)})",
                last_when=when(last.date),
            )

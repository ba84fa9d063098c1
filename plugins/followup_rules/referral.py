"""Rule 2: referrals — reach out to the person you were referred to, then thank whoever referred you.

A referral is a ``referral`` entry (person = who referred you, to = who you were referred
to) or a conversation logged ``--via`` someone (they introduced you). Following the
"keep the referral source in the loop" convention: reach out to the referred person (copy
the referrer); once a meeting with them is logged — even one still ahead ("We have a
meeting set up for next week") — thank the referrer; when that thanks came before the
meeting, thank them again once it has happened ("We met on …"), the day after. Thanking the
person you then met is rule 1's task; this rule does it only when ``thank_you`` is turned off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from pipeline.contracts import Entry, RuleContext, Task
from pipeline.journal import CONTACT_KINDS, THANKS_KINDS
from plugins.followup_rules.common import TEMPLATES, helpers, short, thanked_since, when

MEETING_KINDS = ("meeting", "call", "info_interview")
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Link:
    entry: Entry
    referrer: str
    referred: str
    explicit: bool


def _links(ctx: RuleContext) -> list[Link]:
    links = []
    for e in ctx.entries:
        if e.date > ctx.as_of:
            continue
        if e.kind == "referral" and e.to_person_id:
            links.append(Link(e, e.person_id, e.to_person_id, True))
        elif e.kind in CONTACT_KINDS and e.via_person_id:
            links.append(Link(e, e.via_person_id, e.person_id, False))
    # One link per referrer → referred pair: the first one.
    first: dict[tuple[str, str], Link] = {}
    for link in links:
        first.setdefault((link.referrer, link.referred), link)
    return list(first.values())


def _thanked_after(ctx: RuleContext, person_id: str, entry: Entry) -> bool:
    """A thank-you/follow-up to ``person_id`` logged after ``entry`` (same day: logged later)."""
    return any(
        e.person_id == person_id
        and e.kind in THANKS_KINDS
        and (entry.date, entry.entry_id) < (e.date, e.entry_id)
        and e.date <= ctx.as_of
        for e in ctx.entries
    )


def _thank_referrer_due(referral: Entry, meeting: Entry) -> dt.date:
    """Fixed by the journal, never by the run date: the day after a held meeting; for one still
    ahead, the day it was logged ("we have a meeting set up"), within [referral, meeting]."""
    if meeting.logged is None or meeting.logged >= meeting.date:
        return meeting.date + ONE_DAY
    return min(max(meeting.logged, referral.date), meeting.date)


def _thanked_since(ctx: RuleContext, person_id: str, day: dt.date) -> bool:
    """A thank-you/follow-up (or any message) to ``person_id`` dated on or after ``day``."""
    kinds = (*THANKS_KINDS, "email", "outcome_report")
    return any(
        e.person_id == person_id and e.kind in kinds and day <= e.date <= ctx.as_of for e in ctx.entries
    )


class ReferralRule:
    """2. Referral follow-through."""

    template_dir = TEMPLATES
    name = "referral"
    description = "reach out to people you were referred to, and thank whoever referred you"
    defaults = {
        "reach_out_days": 2,
        "overdue_after_days": 5,
        "lookback_days": 60,
        "template": "referral_reach_out.txt",
        "thank_referrer_template": "referral_thank_referrer.txt",
        "thank_met_template": "referral_thank_met.txt",
    }

    def tasks(self, ctx: RuleContext) -> Iterator[Task]:
        oldest = ctx.as_of - ctx.days("lookback_days")
        outcome = ctx.outcome if ctx.outcome and ctx.outcome.date <= ctx.as_of else None
        reports = outcome is not None and ctx.rule_enabled("outcome_report")
        reported = set(helpers(ctx, outcome.date)) if reports else set()
        for link in _links(ctx):
            start, ref_id = link.entry.date, link.entry.entry_id
            referrer, referred = ctx.name_of(link.referrer), ctx.name_of(link.referred)
            after = [e for e in ctx.entries if e.person_id == link.referred and e.date >= start]
            if link.explicit:
                after = [e for e in after if e.entry_id != ref_id]
            contacted = [e for e in after if e.kind != "note"]
            meeting = next((e for e in after if e.kind in MEETING_KINDS), None)
            if not link.explicit and link.entry.kind in MEETING_KINDS:
                meeting = link.entry
            if link.explicit and not contacted and start >= oldest:
                yield ctx.task(
                    key=f"reach_out:{ref_id}",
                    person_id=link.referred,
                    due=start + ctx.days("reach_out_days"),
                    action=f"Reach out to {referred} ({referrer} referred you); copy {referrer}",
                    entries=[ref_id],
                    why=f"{referrer} referred you to {referred} on {short(start)}; no contact since",
                    referrer=referrer,
                    referrer_first=self._first(ctx, link.referrer),
                )
            if meeting is None:
                continue
            ahead = meeting.date > ctx.as_of
            meeting_when = when(meeting.date)
            logged = _thanked_after(ctx, link.referrer, link.entry)
            # A ticked thank-you task counts as the thanks, as a logged one does.
            thanked = logged or ctx.is_done(f"thank_referrer:{ref_id}")
            if not logged:
                yield ctx.task(
                    key=f"thank_referrer:{ref_id}",
                    person_id=link.referrer,
                    due=_thank_referrer_due(link.entry, meeting),
                    action=f"Thank {referrer} for referring you to {referred}",
                    entries=[ref_id, meeting.entry_id] if meeting.entry_id != ref_id else [ref_id],
                    why=(
                        f"{referrer} referred you to {referred} ({short(start)}); your meeting with "
                        f"{referred} is {'set for' if ahead else 'logged on'} {short(meeting.date)} "
                        f"and no thank-you to {referrer} is logged since the referral"
                    ),
                    template=ctx.config["thank_referrer_template"],
                    referred=referred,
                    referred_first=self._first(ctx, link.referred),
                    meeting_ahead=ahead,
                    meeting_when=meeting_when,
                )
            # A search that ended after the meeting: the outcome report tells the referrer how it went.
            told = link.referrer in reported and outcome.date >= meeting.date
            if thanked and not ahead and not told and not _thanked_since(ctx, link.referrer, meeting.date):
                yield self._how_it_went(ctx, link, meeting)
            if not ahead and not ctx.rule_enabled("thank_you"):
                if not thanked_since(ctx.entries, link.referred, meeting.date, ctx.as_of):
                    yield ctx.task(
                        key=f"thank_met:{meeting.entry_id}",
                        person_id=link.referred,
                        due=meeting.date + ONE_DAY,
                        action=f"Thank {referred} for meeting with you",
                        entries=[meeting.entry_id],
                        why=f"You met {referred} on {short(meeting.date)} ({referrer}'s referral)",
                        template=ctx.config["thank_met_template"],
                        referrer=referrer,
                        meeting_when=meeting_when,
                    )

    def _how_it_went(self, ctx: RuleContext, link: Link, meeting: Entry) -> Task:
        """Thanked while the meeting was still ahead: tell the referrer how it went, once."""
        ref_id = link.entry.entry_id
        referrer, referred = ctx.name_of(link.referrer), ctx.name_of(link.referred)
        return ctx.task(
            key=f"thank_referrer_after:{ref_id}",
            person_id=link.referrer,
            due=meeting.date + ONE_DAY,
            action=f"Tell {referrer} how the meeting with {referred} went",
            entries=[ref_id, meeting.entry_id] if meeting.entry_id != ref_id else [ref_id],
            why=(
                f"You thanked {referrer} for the referral before your meeting with {referred} "
                f"on {short(meeting.date)}; nothing to {referrer} is logged since the meeting"
            ),
            template=ctx.config["thank_referrer_template"],
            referred=referred,
            referred_first=self._first(ctx, link.referred),
            meeting_ahead=False,
            meeting_when=when(meeting.date),
            again=True,
        )

    @staticmethod
    def _first(ctx: RuleContext, person_id: str) -> str:
        info = ctx.person(person_id)
        return info.first_name if info else "them"

"""Rule 3: people who sell their time — keep it under 15 minutes or offer a paid consultation.

This rule adds no tasks of its own: its ``refine`` step attaches the reminder to the
reach-out, preparation and check-in tasks for such a person (title or tags naming an owner,
consultant, coach, attorney, …) — the tasks that ask for their time — never to a thank-you
after a meeting already held, an outcome report or thanks to a referrer; and appends the
P.S. (template ``paid_time_note.txt``) to drafts that ask for time (``asks_for_time``).
"""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.contracts import Draft, RuleContext, Task
from pipeline.followups.templates import render_text
from pipeline.journal.match import name_key
from plugins.followup_rules.common import TEMPLATES

REMINDER = "keep it under 15 minutes, or offer a paid consultation"


class PaidTimeRule:
    """3. Respect the time of people who sell it."""

    template_dir = TEMPLATES
    name = "paid_time"
    description = "people who sell their time (owner, consultant, coach, attorney…): keep it under 15 minutes"
    defaults = {
        "keywords": [
            "owner",
            "co owner",
            "consultant",
            "consulting",
            "coach",
            "attorney",
            "lawyer",
            "freelance",
            "freelancer",
            "self employed",
            "therapist",
            "counselor",
            "advisor",
            "sells time",
        ],
        "applies_to": ["referral:reach_out", "prepare", "check_in"],
        "asks_for_time": ["referral:reach_out", "prepare", "check_in"],
        "template": "paid_time_note.txt",
    }

    def tasks(self, ctx: RuleContext) -> Iterator[Task]:
        return iter(())

    def sells_time(self, ctx: RuleContext, person_id: str) -> bool:
        info = ctx.person(person_id)
        if info is None:
            return False
        words = f" {name_key(info.title)} {' '.join(name_key(t) for t in info.tags)} "
        return any(f" {name_key(k)} " in words for k in ctx.config["keywords"])

    def refine(self, tasks: list[Task], ctx: RuleContext) -> list[Task]:
        note = None
        for task in tasks:
            applies = task.key.startswith(tuple(ctx.config["applies_to"]))
            if not applies or not self.sells_time(ctx, task.person_id):
                continue
            if ctx.search_over and task.key.startswith("check_in"):
                continue  # a check-in after the search ended asks for no time
            task.notes.append(f"{task.person_name} sells their time: {REMINDER}")
            task.action = f"{task.action} ({REMINDER})"
            if task.key.startswith(tuple(ctx.config["asks_for_time"])):
                if note is None:
                    context = {"owner": ctx.owner, "as_of": ctx.as_of}
                    note = render_text(ctx.config["template"], context, ctx.template_dirs)
                task.draft = Draft(task.draft.subject, f"{task.draft.body.rstrip()}\n\n{note}\n")
        return tasks

"""Follow-ups: rules (plugins) turn people + journal + today into tasks with drafted messages.

Where it sits: after the store and dedupe, before the ``followups`` exporter. The engine
is :func:`compute_tasks`; the task model and done-state are in :mod:`.model`; kith.toml
settings in :mod:`.settings`; message templates in :mod:`.templates`.
"""

from __future__ import annotations

from pipeline.followups.engine import Entry, PersonInfo, RuleContext, compute_tasks
from pipeline.followups.model import Draft, FollowupRule, Task, Why, done_keys, mark_done
from pipeline.followups.settings import BLOCKING_TAGS, FollowupSettings

__all__ = [
    "BLOCKING_TAGS",
    "Draft",
    "Entry",
    "FollowupRule",
    "FollowupSettings",
    "PersonInfo",
    "RuleContext",
    "Task",
    "Why",
    "compute_tasks",
    "done_keys",
    "mark_done",
]

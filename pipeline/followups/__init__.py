"""Follow-ups: rules (plugins) turn people + journal + today into tasks with drafted messages.

Where it sits: the run's "plan follow-ups" stage, after people are resolved and before
the exporters write (:mod:`pipeline.run`). The engine is :func:`compute_tasks`; the types
rules see and yield are in :mod:`pipeline.contracts`; done-state in :mod:`.state`;
kith.toml settings in :mod:`.settings`; message templates in :mod:`.templates`.
"""

from __future__ import annotations

from pipeline.followups.engine import RuleContext, compute_tasks
from pipeline.followups.settings import FollowupSettings
from pipeline.followups.state import done_keys, mark_done

__all__ = ["FollowupSettings", "RuleContext", "compute_tasks", "done_keys", "mark_done"]

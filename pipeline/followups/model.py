"""What follow-up rules produce: tasks with a reason and a drafted message, and their done-state.

A :class:`Task` is one thing to do for one person by a due date. Its ``key`` is built by
the rule from journal entry ids (``thank_you:12``), never from person ids (dedupe may
change those), so a task ticked done stays done on every later run. Done-state lives in
the ``task_state`` table, written by ``kith done KEY`` and by reading back the Done column
of last week's ``followups.xlsx``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pipeline.store import Store

if TYPE_CHECKING:
    from pipeline.followups.engine import RuleContext

TASK_STATE_DDL = """
CREATE TABLE IF NOT EXISTS task_state (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    source TEXT NOT NULL
);
"""

DONE = "done"


@dataclass(frozen=True)
class Draft:
    """A drafted message: one-line subject and plain-text body."""

    subject: str
    body: str


@dataclass(frozen=True)
class Why:
    """Why a task exists: the journal entries behind it and one human sentence."""

    entries: tuple[int, ...]
    text: str

    def __str__(self) -> str:
        refs = ", ".join(f"#{e}" for e in self.entries)
        return f"{self.text} (journal {refs})" if refs else self.text


@dataclass
class Task:
    """One follow-up to do.

    :param key: stable id, ``<rule>:<entry ids…>``; what ``kith done`` takes.
    :param due: the day to do it.
    :param overdue: ``as_of`` is past ``overdue_after`` (set by the engine).
    :param done: ticked done (``kith done`` or the xlsx Done column).
    """

    key: str
    due: dt.date
    person_id: str
    person_name: str
    email: str | None
    action: str
    why: Why
    draft: Draft
    rule: str
    overdue_after: dt.date
    overdue: bool = False
    done: bool = False
    notes: list[str] = field(default_factory=list)

    def status(self, as_of: dt.date) -> str:
        if self.done:
            return "done"
        if self.overdue:
            return "overdue"
        return "due today" if self.due == as_of else ("due" if self.due < as_of else "upcoming")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["due"] = self.due.isoformat()
        data["overdue_after"] = self.overdue_after.isoformat()
        data["why"] = {"entries": list(self.why.entries), "text": self.why.text}
        return data


@runtime_checkable
class FollowupRule(Protocol):
    """A follow-up rule: given people, the journal and today, it yields tasks.

    ``name`` is short and unique (``thank_you``) and names the rule's kith.toml table
    (``[followups.thank_you]``); ``description`` is one line for ``kith plugins``;
    ``defaults`` lists every setting the rule reads with its default value (the engine
    rejects unknown keys and wrong types in kith.toml, and adds ``enabled = true``).
    A rule may also define ``refine(tasks, ctx) -> list[Task]`` to annotate the tasks
    every rule produced (it runs after all ``tasks`` calls), and ``template_dir`` (a
    folder of its package holding its draft templates, searched after the workspace's
    folders so a user can still override a template by file name).
    """

    name: str
    description: str
    defaults: dict[str, Any]

    def tasks(self, ctx: RuleContext) -> Iterable[Task]:
        """Yield this rule's tasks; build each with ``ctx.task(...)``."""
        ...


def ensure_task_state(store: Store) -> None:
    store.ensure_tables(TASK_STATE_DDL)


def done_keys(store: Store) -> set[str]:
    ensure_task_state(store)
    return {row[0] for row in store.conn.execute("SELECT key FROM task_state WHERE status = ?", (DONE,))}


def mark_done(store: Store, keys: Iterable[str], *, source: str = "cli", done: bool = True) -> int:
    """Record tasks as done (or not done again); returns how many keys changed."""
    ensure_task_state(store)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    changed = 0
    with store.transaction() as conn:
        for key in keys:
            if done:
                changed += conn.execute(
                    "INSERT INTO task_state(key, status, updated_at, source) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET status = excluded.status, "
                    "updated_at = excluded.updated_at, source = excluded.source "
                    "WHERE task_state.status != excluded.status",
                    (key, DONE, now, source),
                ).rowcount
            else:
                changed += conn.execute("DELETE FROM task_state WHERE key = ?", (key,)).rowcount
    return changed

"""Follow-up tasks' done-state: the ``task_state`` table.

A task's ``key`` (:class:`pipeline.contracts.Task`) is built by its rule from journal entry
ids (``thank_you:12``), never from person ids (dedupe may change those), so a task ticked
done stays done on every later run. Written by ``kith done KEY`` and by the run's feedback
stage (the Done column of last week's checklist, read back by its exporter).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from pipeline.store import Store
from pipeline.store_schema import TASK_STATE_DDL

DONE = "done"


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

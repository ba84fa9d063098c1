"""Running follow-up rules through the real core in a test: log journal entries, compute the tasks.

Part of :mod:`pipeline.testing`; import the names from there. People come into the store
with :func:`~pipeline.testing.add_records` (or an import); :func:`log_entry` writes a
journal entry as ``kith log`` does; :func:`tasks_through_core` runs every enabled rule
with the workspace's kith.toml settings, exactly as ``kith report`` does, and checks what
a rule owes the user: tasks point at real journal entries, and the same store and day give
the same tasks (keys are what ``kith done`` remembers).
"""

from __future__ import annotations

import datetime as dt

from pipeline import registry
from pipeline.contracts import FollowupRule, Task
from pipeline.followups import FollowupSettings, compute_tasks
from pipeline.journal import add_entry, load_journal, parse_date
from pipeline.journal.match import find_person, people_index
from pipeline.journal.sync import matchable_people
from pipeline.manager import KithPluginManager
from pipeline.store import Store
from pipeline.testing.core import Plugins, plugin_manager
from pipeline.workspace import Workspace


def _anchor(store: Store, query: str, role: str) -> str:
    """The anchor record id of the one person ``query`` (a name or an e-mail) means."""
    match = find_person(None, query, index=people_index(matchable_people(store)), fuzzy=False)
    if match.status != "one":
        found = "; ".join(c.label() for c in match.candidates) or "nobody"
        raise AssertionError(
            f"log_entry: {role} {query!r} must match exactly one person in the store, found {found} "
            "(add them with add_records first, or give an e-mail)"
        )
    return match.person.record_id


def log_entry(
    workspace: Workspace,
    kind: str,
    person: str,
    *,
    date: dt.date | str,
    via: str | None = None,
    to: str | None = None,
    channel: str | None = None,
    note: str | None = None,
) -> int:
    """Log a journal entry like ``kith log KIND PERSON --date DATE``; return its entry id.

    ``person``, ``via`` and ``to`` are names or e-mails matched the way ``kith log`` matches
    them (exact name, nickname, words or e-mail; no fuzzy guesses). Unlike ``kith log``, a
    name that matches nobody or several people is an AssertionError, not a new contact:
    in a test it is a typo.
    """
    with Store(workspace.store_path) as store:
        anchor = _anchor(store, person, "person")
        via_anchor = _anchor(store, via, "via") if via else None
        to_anchor = _anchor(store, to, "to") if to else None
        return add_entry(
            store,
            kind,
            anchor,
            date=parse_date(date),
            via=via_anchor,
            to=to_anchor,
            channel=channel,
            note=note,
        )


def get_rule(name: str, *, plugins: Plugins = (), pm: KithPluginManager | None = None) -> FollowupRule:
    """The follow-up rule called ``name``, as the core's registry sees it."""
    found = registry.followup_rules(pm or plugin_manager(plugins))
    if name not in found:
        raise AssertionError(f"no follow-up rule named {name!r} is registered; found {sorted(found)}")
    return found[name]


def _fingerprint(tasks: list[Task]) -> list[tuple]:
    return [(t.key, t.due, t.person_id, t.action, t.why, t.draft, t.overdue_after) for t in tasks]


def tasks_through_core(
    workspace: Workspace,
    *,
    as_of: dt.date | str,
    rule: str | None = None,
    plugins: Plugins = (),
    pm: KithPluginManager | None = None,
    include_done: bool = False,
) -> list[Task]:
    """The follow-up tasks as of ``as_of``, computed as ``kith report`` does; only ``rule``'s if given.

    Every enabled rule runs (the built-ins too, so a rule is tested among the others) with
    the workspace's ``[followups]`` settings and template folders. Checks: ``rule`` is
    registered, every task's reason names journal entries that exist, and a second run
    gives the same tasks (a rule that depends on the clock or on set order would change
    its keys, and with them what ``kith done`` remembers).
    """
    pm = pm or plugin_manager(plugins)
    if rule is not None:
        get_rule(rule, pm=pm)
    day = parse_date(as_of, what="as_of")
    settings = FollowupSettings.from_workspace(workspace)
    with Store(workspace.store_path) as store:
        tasks = compute_tasks(store, pm, day, settings, include_done=include_done)
        again = compute_tasks(store, pm, day, settings, include_done=include_done)
        entry_ids = set(load_journal(store)["entry_id"].to_list())
    if _fingerprint(tasks) != _fingerprint(again):
        raise AssertionError(f"follow-up tasks as of {day} differ between two runs on the same store")
    for task in tasks:
        unknown = sorted(set(task.why.entries) - entry_ids)
        if unknown:
            raise AssertionError(f"task {task.key!r} names journal entries that don't exist: {unknown}")
    return [t for t in tasks if rule is None or t.rule == rule]

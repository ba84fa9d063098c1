"""The follow-up engine: people + journal + today → the week's tasks.

:func:`compute_tasks` is what the ``followups`` exporter, ``kith report`` and ``kith run``
call. It loads people (:func:`pipeline.people.load_people`), the journal and the outcome,
runs every enabled rule from the ``register_followup_rules`` hook with its kith.toml
settings, lets rules that have ``refine`` annotate the result, drops tasks for people
tagged do-not-contact or deceased, applies done-state, and sorts by due date.

Rules see a :class:`RuleContext`: entries as small objects, person details by id, and
``ctx.task(...)``, which builds a :class:`~pipeline.contracts.Task` with its key,
reason, overdue date and a draft rendered from the rule's template (looked up in the
workspace's template folders, then the rule's own ``template_dir``, then the built-ins).

Every draft is worded from the state of the search (docs/followups.md, "Draft states"):
besides the rule's own variables, each template sees ``search`` — ``over`` (an outcome is
recorded on or before as-of), ``outcome`` and ``date`` — so no draft written after the job
was accepted says "I am still exploring".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from pipeline import registry
from pipeline.contracts import Entry, Outcome, PersonInfo, Task, Why
from pipeline.errors import KithError, PluginError
from pipeline.followups.settings import FollowupSettings
from pipeline.followups.state import done_keys
from pipeline.followups.templates import render_draft
from pipeline.journal import load_journal, load_outcome
from pipeline.journal.match import display_name_expr
from pipeline.people import first_name, load_people, people_rows
from pipeline.store import Store

#: The people columns a :class:`PersonInfo` is made of.
INFO_COLUMNS = ("full_name", "given_name", "family_name", "nickname", "emails", "organization", "title")
INFO_COLUMNS += ("tags", "channel")


def _person_infos(wanted: pl.DataFrame) -> dict[str, PersonInfo]:
    """``wanted``: the people rows (at least :data:`INFO_COLUMNS`) of the people the journal names."""
    frame = wanted.select(
        "person_id",
        display_name_expr().alias("name"),
        "given_name",
        "nickname",
        pl.col("emails").list.first().alias("email"),
        "organization",
        "title",
        pl.col("tags").fill_null(pl.lit([], pl.List(pl.String))),
        "channel",
    )
    infos = {}
    for row in frame.iter_rows(named=True):
        name = row["name"] or row["person_id"]
        first = first_name(row["given_name"], row["nickname"], name)
        infos[row["person_id"]] = PersonInfo(
            row["person_id"],
            name,
            first,
            row["email"],
            row["organization"],
            row["title"],
            tuple(row["tags"] or ()),
            row["channel"],
        )
    return infos


#: Everyone with the given columns (None: every column), read when a rule first asks.
PeopleReader = Callable[[Sequence[str] | None], pl.DataFrame]


@dataclass
class Shared:
    """What every rule's context shares for one run."""

    as_of: dt.date
    read_people: PeopleReader
    journal: pl.DataFrame
    entries: list[Entry]
    persons: dict[str, PersonInfo]
    outcome: Outcome | None
    done: set[str]
    enabled: set[str]
    settings: FollowupSettings
    #: Every rule's own template folder, in registration order.
    rule_templates: list[Path] = field(default_factory=list)


@dataclass
class RuleContext:
    """A rule's view of one run (see module docstring); implements :class:`pipeline.contracts.RuleContext`."""

    rule: str
    config: dict[str, Any]
    shared: Shared
    owner: dict[str, str] = field(default_factory=dict)
    #: The rule's own template folder (its ``template_dir``), if it ships one.
    own_templates: Path | None = None

    @property
    def as_of(self) -> dt.date:
        return self.shared.as_of

    @property
    def people(self) -> pl.DataFrame:
        """Every person, every column (read on first use: the rules that need it are few)."""
        return self.shared.read_people(None)

    def people_columns(self, columns: Sequence[str]) -> pl.DataFrame:
        """Every person, ``person_id`` and ``columns`` only."""
        return self.shared.read_people(columns)

    @property
    def journal(self) -> pl.DataFrame:
        return self.shared.journal

    @property
    def entries(self) -> list[Entry]:
        """Entries with a resolved person, by date then id (future-dated ones included)."""
        return self.shared.entries

    @property
    def outcome(self) -> Outcome | None:
        return self.shared.outcome

    @property
    def search_over(self) -> bool:
        """An outcome is recorded on or before as-of: the search has ended."""
        return self.outcome is not None and self.outcome.date <= self.as_of

    @property
    def search(self) -> dict[str, Any]:
        """The state of the search every template sees as ``search``."""
        outcome = self.outcome if self.search_over else None
        return {
            "over": outcome is not None,
            "outcome": outcome.text if outcome else "",
            "date": outcome and outcome.date,
        }

    def person(self, person_id: str | None) -> PersonInfo | None:
        return self.shared.persons.get(person_id) if person_id else None

    def name_of(self, person_id: str | None) -> str:
        info = self.person(person_id)
        return info.name if info else "someone"

    @property
    def template_dirs(self) -> list[Path]:
        """Where this rule's templates are found: the workspace's folders (so a user can override
        any template by file name), the rule's own ``template_dir``, then the other rules' (so a
        rule may reuse another's template, e.g. the built-in ``check_in.txt``)."""
        own = [self.own_templates] if self.own_templates else []
        others = [d for d in self.shared.rule_templates if d not in own]
        return [*self.shared.settings.template_dirs, *own, *others]

    def is_done(self, key: str) -> bool:
        return f"{self.rule}:{key}" in self.shared.done

    def rule_enabled(self, name: str) -> bool:
        return name in self.shared.enabled

    def days(self, setting: str) -> dt.timedelta:
        return dt.timedelta(days=int(self.config[setting]))

    def task(
        self,
        *,
        key: str,
        person_id: str,
        due: dt.date,
        action: str,
        entries: list[int] | tuple[int, ...],
        why: str,
        template: str | None = None,
        overdue_after: dt.date | None = None,
        **variables: Any,
    ) -> Task:
        """Build a task of this rule; the draft comes from ``template`` (default: the rule's)."""
        person = self.person(person_id)
        if person is None:
            raise KithError(f"follow-up rule {self.rule!r} made a task for unknown person {person_id!r}")
        name = template or self.config.get("template") or f"{self.rule}.txt"
        context = {
            "person": person.as_template(),
            "owner": self.owner,
            "as_of": self.as_of,
            "due": due,
            "search": self.search,
            **variables,
        }
        draft = render_draft(name, context, self.template_dirs)
        grace = dt.timedelta(days=int(self.config.get("overdue_after_days", 3)))
        return Task(
            key=f"{self.rule}:{key}",
            due=due,
            person_id=person_id,
            person_name=person.name,
            email=person.email,
            action=action,
            why=Why(tuple(int(e) for e in entries), why),
            draft=draft,
            rule=self.rule,
            overdue_after=overdue_after or due + grace,
        )


def _entries(journal: pl.DataFrame) -> list[Entry]:
    rows = journal.filter(pl.col("person_id").is_not_null()).sort("date", "entry_id")
    return [
        Entry(
            r["entry_id"],
            r["date"],
            r["kind"],
            r["person_id"],
            r["via_person_id"],
            r["to_person_id"],
            r["channel"],
            r["note"],
            r.get("logged"),
        )
        for r in rows.iter_rows(named=True)
    ]


def compute_tasks(
    store: Store,
    pm: Any,
    as_of: dt.date,
    settings: FollowupSettings | dict[str, Any] | None = None,
    *,
    include_done: bool = False,
    people: pl.DataFrame | PeopleReader | None = None,
    journal: pl.DataFrame | None = None,
) -> list[Task]:
    """Every follow-up task as of ``as_of``, sorted by due date then person.

    :param settings: a :class:`FollowupSettings` (``FollowupSettings.from_workspace``) or
        the raw ``[followups]`` table.
    :param include_done: keep tasks already ticked done (with ``done=True``).
    :param people: the people frame when the caller has read it already, or a reader
        (``columns → frame``, None meaning every column) such as the run's, else
        :func:`~pipeline.people.load_people`. Everyone is read only when a rule asks: the
        people the journal names are looked up by id.
    :param journal: the journal frame, when the caller has read it already.
    """
    if not isinstance(settings, FollowupSettings):
        settings = FollowupSettings.from_dict(settings)
    rules = registry.followup_rules(pm)
    settings.check_rule_names(set(rules))
    configs = {n: settings.for_rule(n, dict(getattr(r, "defaults", {}) or {})) for n, r in rules.items()}
    journal = load_journal(store) if journal is None else journal
    entries = _entries(journal)
    ids = {e.person_id for e in entries} | {e.via_person_id for e in entries if e.via_person_id}
    ids |= {e.to_person_id for e in entries if e.to_person_id}
    read_people, named = _people_of(store, people, ids)
    shared = Shared(
        as_of=as_of,
        read_people=read_people,
        journal=journal,
        entries=entries,
        persons=_person_infos(named),
        outcome=load_outcome(store),
        done=done_keys(store),
        enabled={name for name, config in configs.items() if config["enabled"]},
        settings=settings,
    )
    owner = {"name": settings.owner_name or "", "email": settings.owner_email or ""}
    own = {name: _own_templates(pm, name, rule) for name, rule in rules.items()}
    shared.rule_templates = list(dict.fromkeys(d for d in own.values() if d is not None))
    contexts = {name: RuleContext(name, configs[name], shared, owner, own[name]) for name in rules}
    tasks: list[Task] = []
    seen: set[str] = set()
    for name, rule in rules.items():
        if name not in shared.enabled:
            continue
        for task in registry.guarded(
            pm, "followup rule", name, lambda r=rule, n=name: list(r.tasks(contexts[n]))
        ):
            if not isinstance(task, Task):
                raise PluginError(f"follow-up rule {name!r} yielded {type(task).__name__}, expected a Task")
            if task.key not in seen:  # the same key twice is one task
                seen.add(task.key)
                tasks.append(task)
    for name, rule in rules.items():
        if name in shared.enabled and callable(getattr(rule, "refine", None)):
            tasks = registry.guarded(
                pm, "followup rule", name, lambda r=rule, n=name, t=tasks: list(r.refine(t, contexts[n]))
            )
    result = []
    for task in tasks:
        person = shared.persons.get(task.person_id)
        if person is None or person.blocked:
            continue
        task.done = task.key in shared.done
        task.overdue = not task.done and as_of > task.overdue_after
        if include_done or not task.done:
            result.append(task)
    result.sort(key=lambda t: (t.due, t.person_name.casefold(), t.key))
    return result


def _people_of(
    store: Store, people: pl.DataFrame | PeopleReader | None, ids: set[str]
) -> tuple[PeopleReader, pl.DataFrame]:
    """How the rules read everyone, and the rows of the people the journal names (by id, unless
    the caller has the whole frame already)."""
    if isinstance(people, pl.DataFrame):
        frame = people

        def select(columns: Sequence[str] | None) -> pl.DataFrame:
            return frame if columns is None else frame.select(list(dict.fromkeys(["person_id", *columns])))

        return select, frame.filter(pl.col("person_id").is_in(list(ids)))
    reader = people or (lambda columns: load_people(store, columns))
    return reader, people_rows(store, ids, INFO_COLUMNS)


def _own_templates(pm: Any, name: str, rule: Any) -> Path | None:
    """A rule's ``template_dir`` (templates shipped in its package), checked to be a folder."""
    value = getattr(rule, "template_dir", None)
    if value is None:
        return None
    folder = Path(value)
    if not folder.is_dir():
        owner = registry.owner_of(pm, "followup rule", name)
        raise PluginError(
            f"follow-up rule {name!r} (plugin {owner!r}): its template_dir {folder} is not a folder"
        )
    return folder

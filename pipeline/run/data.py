"""The finished data of one run, read once from the store and handed to every exporter.

:class:`RunData` implements :class:`pipeline.contracts.ReportData`. Each part is read the
first time an exporter (or a stage) asks for it and kept for the rest of the run, so ten
exporters that all want the people cost one read. People are read by column: an exporter (or
rule) that asks :meth:`RunData.people_columns` for three columns of a million people gets
those (each column read once and kept), not the thirty of :attr:`RunData.people`, which only
the exporters writing everyone whole (contacts, vCards) read. It only reads; the tasks are the ones the
run's "plan follow-ups" stage computed (or, for a partial ``kith report`` that skipped the
stage, computed on first use by the same planner). The planner returns the done tasks too
(``compute_tasks(include_done=True)``): :attr:`RunData.tasks` are the open ones, and
:attr:`RunData.done_tasks` the ticked ones a calendar keeps as completed.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any

import polars as pl

from pipeline.contracts import Outcome, Task
from pipeline.dedupe.review import review_rows
from pipeline.journal import load_journal, load_outcome
from pipeline.people import load_people
from pipeline.store import Store


class RunData:
    """People, journal, outcome, tasks and review pairs of one run (read-only, read once)."""

    def __init__(self, store: Store, planner: Callable[[RunData], list[Task]]) -> None:
        self._store = store
        self._planner = planner
        self._tasks: list[Task] | None = None
        self._done: list[Task] = []
        self._columns: dict[str, pl.Series] = {}
        #: Where the reports stage lets a new people snapshot be written beside the exporters.
        self.beside: Executor | None = None

    @functools.cached_property
    def people(self) -> pl.DataFrame:
        """Every person, every column (:data:`pipeline.people.PEOPLE_COLUMNS`)."""
        frame = load_people(self._store, beside=self.beside)
        self._columns.clear()  # the whole frame answers every column from now on
        return frame

    def people_columns(self, columns: Sequence[str]) -> pl.DataFrame:
        """Every person, ``person_id`` and ``columns`` only, in the order of :attr:`people`."""
        wanted = list(dict.fromkeys(["person_id", *columns]))
        if "people" in self.__dict__:
            return self.people.select(wanted)
        missing = [c for c in wanted if c not in self._columns]
        if missing:
            read = load_people(self._store, missing)
            self._columns.update({c: read[c] for c in read.columns})
        return pl.DataFrame([self._columns[c] for c in wanted])

    def read_people(self, columns: Sequence[str] | None) -> pl.DataFrame:
        """:attr:`people` (``columns`` None) or :meth:`people_columns`: the follow-up rules' reader."""
        return self.people if columns is None else self.people_columns(columns)

    @functools.cached_property
    def journal(self) -> pl.DataFrame:
        return load_journal(self._store)

    @functools.cached_property
    def outcome(self) -> Outcome | None:
        return load_outcome(self._store)

    @property
    def planned(self) -> bool:
        """Whether the tasks have been computed in this run."""
        return self._tasks is not None

    @property
    def tasks(self) -> list[Task]:
        """The open tasks (not ticked done)."""
        if self._tasks is None:
            planned = self._planner(self)
            self._tasks = [t for t in planned if not t.done]
            self._done = [t for t in planned if t.done]
        return self._tasks

    @property
    def done_tasks(self) -> list[Task]:
        """Tasks the planner returned as ticked done (empty when it returns only open ones)."""
        self.tasks  # noqa: B018 — plans on first use
        return self._done

    @functools.cached_property
    def workspace_id(self) -> str:
        """A short id of this workspace (its store's path), for ids that must not clash across
        workspaces, such as calendar UIDs."""
        path = str(self._store.path.resolve())
        return hashlib.sha1(path.encode(), usedforsecurity=False).hexdigest()[:12]

    def review_pairs(self, limit: int) -> list[dict[str, Any]]:
        return review_rows(self._store, limit) if self._store.has_table("review_queue") else []

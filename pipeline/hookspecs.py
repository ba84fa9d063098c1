"""The hooks a kith plugin can implement, and the two pluggy markers.

Every hook is called with keyword arguments only. Specs may gain arguments over time but
never lose them, so a plugin written today keeps working. Registry hooks return a list of
small objects; the core indexes them by ``name`` and refuses duplicates (see
:mod:`pipeline.registry`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from pipeline.contracts import Exporter, FollowupRule, FrameFormat, Importer

PROJECT = "kith"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- registries: what a plugin adds -------------------------------------------------


@hookspec
def register_importers() -> list[Importer]:
    """Add importers: readers that turn one kind of file into canonical records.

    Called once per plugin manager, when the core first needs the list of importers
    (``kith import``, ``kith run``, ``kith plugins``).

    :return: a list of objects satisfying :class:`pipeline.contracts.Importer`
        (``name``, ``sniff(path, head)``, ``read(path, options)``). An empty list or
        ``None`` means the plugin adds none. Two importers with the same ``name`` are an
        error that names both plugins.
    """


@hookspec
def register_exporters() -> list[Exporter]:
    """Add exporters: writers that produce report files from a run's finished data.

    Called once per plugin manager, when the core first needs the list of exporters
    (``kith report``, ``kith run``, ``kith plugins``).

    :return: a list of objects satisfying :class:`pipeline.contracts.Exporter`
        (``name``, ``write(context)``, optionally ``read_feedback(context)``). An empty list
        or ``None`` means the plugin adds none. Two exporters with the same ``name`` are an
        error that names both plugins.
    """


@hookspec
def register_followup_rules() -> list[FollowupRule]:
    """Add follow-up rules: given people, the journal and today's date, each yields tasks.

    Called once per plugin manager, when the core first needs the rules (``kith report``,
    ``kith run``, ``kith done``, ``kith plugins``). Rules run in registration order; each
    is configured by its kith.toml table ``[followups.<name>]`` (``enabled = false`` turns
    it off) and builds its tasks with ``ctx.task(...)`` (see :class:`pipeline.contracts.RuleContext`).

    :return: a list of objects satisfying :class:`pipeline.contracts.FollowupRule`
        (``name``, ``description``, ``defaults``, ``tasks(ctx)``, optionally
        ``refine(tasks, ctx)``). An empty list or ``None`` means the plugin adds none. Two
        rules with the same ``name`` are an error that names both plugins.
    """


@hookspec
def register_formats() -> list[FrameFormat]:
    """Add file formats for a frame of records or people: ``kith export --format NAME``.

    Called once per plugin manager, when the core first needs the formats (``kith
    export``, ``kith plugins``, and every run, which hands them to exporters as
    ``context.formats``).

    :return: a list of objects satisfying :class:`pipeline.contracts.FrameFormat`
        (``name``, ``suffix``, ``description``, ``write(frame, path, sheet=...)``). An empty
        list or ``None`` means the plugin adds none. Two formats with the same ``name`` are
        an error that names both plugins.
    """

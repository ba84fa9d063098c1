"""The networking journal: what happened between the user and people, and the search's outcome.

Where it sits: beside the records in the workspace store, read by the follow-up rules
(:mod:`pipeline.followups`) and the outcome report. Written by ``kith log`` / ``kith
outcome`` (:func:`add_entry`, :func:`set_outcome`) or by importing a journal spreadsheet.

Entries point at people through an **anchor record id** (one ``record_id`` of that person),
never a ``person_id``: dedupe changes person ids when it merges people, record ids stay.
:func:`load_journal` resolves anchors to today's person ids with
:func:`pipeline.people.person_of_records`.

How journal spreadsheets enter the store (they are not contact records): the ``journal``
importer is an ordinary importer, so ``kith import`` / ``kith run`` treat it like any file
(content hash, replace on change, rejects, one transaction). Its ``read`` returns one
contact record per person the sheet mentions (so unknown people become real records that
dedupe and reports see) and the rows themselves in ``info["journal"]`` (plus an optional
``info["journal_outcome"]``), which the core stores with the source. This module turns
those into journal rows lazily (:mod:`pipeline.journal.sync`): whenever the set of imported
sources changed since the last read, every imported journal is re-synced in one
transaction, with entry ids kept stable for unchanged rows and each person re-anchored to
an existing contact when the name or email matches exactly one. Any importer may carry
journal entries this way, not only the built-in one.
"""

from __future__ import annotations

from pipeline.journal.model import (
    CHANNELS,
    CONTACT_KINDS,
    JOURNAL_COLUMNS,
    KINDS,
    THANKS_KINDS,
    Outcome,
    add_entry,
    delete_entry,
    load_journal,
    load_outcome,
    parse_date,
    set_outcome,
)

__all__ = [
    "CHANNELS",
    "CONTACT_KINDS",
    "JOURNAL_COLUMNS",
    "KINDS",
    "THANKS_KINDS",
    "Outcome",
    "add_entry",
    "delete_entry",
    "load_journal",
    "load_outcome",
    "parse_date",
    "set_outcome",
]

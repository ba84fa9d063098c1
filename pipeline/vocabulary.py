"""The words kith's records and journal are made of, in a module with no imports.

The CLI names them in its help text, which must print without loading polars or the store;
:mod:`pipeline.schema` and :mod:`pipeline.journal.model` re-export them.
"""

from __future__ import annotations

#: Where a contact came from (a record's ``channel``).
CHANNELS = ("alumni", "meeting", "social", "linkedin", "other")

#: What a journal entry says happened.
KINDS = (
    "met",
    "call",
    "meeting",
    "info_interview",
    "email",
    "follow_up",
    "thank_you",
    "referral",
    "outcome_report",
    "note",
)

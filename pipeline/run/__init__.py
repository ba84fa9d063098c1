"""The run: kith's weekly flow as explicit stages (see :mod:`pipeline.run.stages`).

``kith run`` is :meth:`Run.weekly`; the other commands run the subsets they need. What a
run did is a :class:`RunReport` (``run.json``).
"""

from __future__ import annotations

from pipeline.run.report import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, RunReport, iso_week
from pipeline.run.stages import PlannedInput, Run, chosen_exporters, configured_exporters, expand_input

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "PlannedInput",
    "Run",
    "RunReport",
    "chosen_exporters",
    "configured_exporters",
    "expand_input",
    "iso_week",
]

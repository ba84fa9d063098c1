"""Dedupe: one person per human across every source (see docs/dedupe.md).

The engine is pure functions over polars frames; the store and the CLI wrap it.

* :func:`resolve` — canonical records (+ last run's assignments, user decisions) → people.
* :func:`explain` — the comparison levels, weights and probability for two records.
"""

from __future__ import annotations

from pipeline.dedupe.explain import Comparison, Explanation, explain
from pipeline.dedupe.resolve import DedupeResult, DedupeSettings, resolve

__all__ = ["Comparison", "DedupeResult", "DedupeSettings", "Explanation", "explain", "resolve"]

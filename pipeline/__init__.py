"""kith's core: plugin host, canonical schema, normalization, store, dedupe and CLI.

A plugin author needs only ``from pipeline import hookimpl`` (and, for importers and
exporters, the small contract types in :mod:`pipeline.contracts`).
"""

from __future__ import annotations

from pipeline.hookspecs import hookimpl

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl"]

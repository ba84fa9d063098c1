"""The ``kith`` command line: a thin typer layer over the core API.

Commands live in small modules by topic: ``imports`` (init, import), ``exports``
(export records/people), ``journal`` (log, outcome, journal, report, done), ``run`` (the
weekly batch), ``dedupe`` (dedupe, review, why, merge, split), ``people`` (people),
``plugin`` (plugins, and tools for plugin authors). Each decorates the one :data:`app`
from :mod:`pipeline.cli.app`. The core never imports typer.
"""

from __future__ import annotations

from importlib import import_module

from pipeline.cli.app import app

# Each module registers its commands on ``app`` when imported; this order is the order of
# the panels in ``kith --help``.
for _module in ("imports", "exports", "dedupe", "people", "journal", "run", "plugin"):
    import_module(f"pipeline.cli.{_module}")


def main() -> None:
    """Console-script entry point (``kith``) and ``python -m pipeline``."""
    app()


__all__ = ["app", "main"]

"""The ``kith`` command line: a thin typer layer over the core API.

Commands live in small modules by topic: ``imports`` (init, import, plugins), ``exports``
(export records/people), ``journal`` (log, outcome, journal, report, done), ``run`` (the
weekly batch), ``dedupe`` (dedupe, review, why, merge, split), ``people`` (people),
``plugin`` (tools for plugin authors). Each decorates the one :data:`app`
from :mod:`pipeline.cli.app`. The core never imports typer.
"""

from __future__ import annotations

# Each module registers its commands on ``app`` when imported.
from pipeline.cli import dedupe, exports, imports, journal, people, plugin, run  # noqa: F401
from pipeline.cli.app import app


def main() -> None:
    """Console-script entry point (``kith``) and ``python -m pipeline``."""
    app()


__all__ = ["app", "main"]

"""The ``kith`` command line: a thin typer layer over the core API.

Commands live in small modules by topic: ``imports`` (init, import), ``exports``
(export records/people), ``journal`` (log, outcome, journal, report, done), ``run`` (the
weekly batch), ``dedupe`` (dedupe, review, why, merge, split), ``people`` (people),
``plugin`` (plugins, and tools for plugin authors). :func:`pipeline.cli.app.build_app`
builds the app and each module registers its commands on it. The core never imports typer.
"""

from __future__ import annotations

from pipeline.cli.app import build_app


def main() -> None:
    """Console-script entry point (``kith``) and ``python -m pipeline``."""
    build_app()()


__all__ = ["build_app", "main"]

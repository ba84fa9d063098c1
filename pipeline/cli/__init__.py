"""The ``kith`` command line: a thin typer layer over the core API.

Commands live in small modules by topic (``imports``: init/import/plugins/export); each
decorates the one :data:`app` from :mod:`pipeline.cli.app`. The core never imports typer.
"""

from __future__ import annotations

from pipeline.cli import dedupe, imports, journal, people, run  # noqa: F401  (registers their commands on app)
from pipeline.cli.app import app


def main() -> None:
    """Console-script entry point (``kith``) and ``python -m pipeline``."""
    app()


__all__ = ["app", "main"]

"""The ``kith`` command line: a thin typer layer over the core API.

Commands live in small modules by topic (``imports``: init/import/plugins/export;
``plugin``: tools for plugin authors); each decorates the one :data:`app` from
:mod:`pipeline.cli.app`. The core never imports typer.
"""

from __future__ import annotations

from pipeline.cli import (
    imports,  # noqa: F401  (registers its commands on app)
    plugin,  # noqa: F401  (registers `kith plugin …` on app)
)
from pipeline.cli.app import app


def main() -> None:
    """Console-script entry point (``kith``) and ``python -m pipeline``."""
    app()


__all__ = ["app", "main"]

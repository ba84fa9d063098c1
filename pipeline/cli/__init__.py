"""The ``kith`` command line: a thin typer layer over the core API.

Commands live in small modules by topic: ``imports`` (init, import), ``exports``
(export records/people), ``journal`` (log, outcome, journal, report, done), ``run`` (the
weekly batch), ``dedupe`` (dedupe, review, why, merge, split), ``people`` (people),
``plugin`` (plugins, and tools for plugin authors). :func:`pipeline.cli.app.build_app`
builds the app and each module registers its commands on it. The core never imports typer.
"""

from __future__ import annotations

import sys

from pipeline.cli.app import build_app


def _unicode_output() -> None:
    """Pipes and files get UTF-8; a terminal keeps its encoding and shows ``?`` for what it lacks.

    Windows writes pipes in its ANSI code page, where ``李小龙`` raised UnicodeEncodeError.
    """
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding == "utf8" or not hasattr(stream, "reconfigure"):
            continue
        stream.reconfigure(**({"errors": "replace"} if stream.isatty() else {"encoding": "utf-8"}))


def main() -> None:
    """Console-script entry point (``kith``) and ``python -m pipeline``."""
    _unicode_output()
    build_app()()


__all__ = ["build_app", "main"]

"""The ``kith`` command line: a thin typer layer over the core API.

Commands live in small modules by topic: ``imports`` (init, import), ``exports``
(export records/people), ``journal`` (log, outcome, journal, report, done), ``run`` (the
weekly batch), ``dedupe`` (dedupe, review, why, merge, split), ``people`` (people),
``plugin`` (plugins, and tools for plugin authors). :func:`pipeline.cli.app.build_app`
builds the app and each module registers its commands on it. The core never imports typer.
"""

from __future__ import annotations

import json
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
    app = build_app()
    if "--json" not in sys.argv[1:]:
        app()
        return
    # --json: a bad command line (a missing argument, an unknown option) is a JSON object on
    # stderr too, as every other error under --json is, not a boxed message for a person.
    try:
        code = app(standalone_mode=False)
    except Exception as exc:
        if not (hasattr(exc, "format_message") and isinstance(getattr(exc, "exit_code", None), int)):
            raise
        error = {"error": exc.format_message(), "kind": "UsageError", "exit_code": exc.exit_code}
        print(json.dumps(error, ensure_ascii=False), file=sys.stderr)
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


__all__ = ["build_app", "main"]

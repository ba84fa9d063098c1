"""The typer app, built explicitly; its global options and the helpers every command module shares.

:func:`build_app` makes a fresh app and asks each command module to ``register`` its
commands on it, in the order of the panels in ``kith --help``: importing a module registers
nothing. Commands parse options, call the core (a :class:`pipeline.run.Run` or the store),
and print. The core raises :class:`pipeline.errors.KithError`; :func:`handle_errors` turns
it into one line on stderr and the error's exit code (2 bad usage or unreadable input, 1
other failures). Long work shows a progress display on a terminal and stays quiet in pipes
and cron.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from pipeline import __version__
from pipeline.cli.context import CliState
from pipeline.errors import KithError, environment_message

F = TypeVar("F", bound=Callable[..., Any])

#: Command modules in the order of their panels in ``kith --help``.
COMMAND_MODULES = ("imports", "exports", "dedupe", "people", "journal", "run", "plugin")


def handle_errors(func: F) -> F:
    """Turn KithError into one line on stderr (a JSON object under ``--json``) and the right exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except KithError as exc:
            if kwargs.get("json_out"):  # --json: scripts parse the error too
                error = {"error": str(exc), "kind": type(exc).__name__, "exit_code": exc.exit_code}
                typer.echo(json.dumps(error, ensure_ascii=False), err=True)
            else:
                typer.echo(f"kith: error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("kith: interrupted; nothing half-written was kept", err=True)
            raise typer.Exit(130) from None
        except Exception as exc:  # a full disk or read-only folder is one line, not a traceback
            message = environment_message(exc)
            if message is None:
                raise
            typer.echo(f"kith: error: {message}", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kith {__version__}")
        raise typer.Exit()


def main_options(
    ctx: typer.Context,
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            envvar="KITH_WORKSPACE",
            help="Workspace folder (default: nearest kith.toml upward).",
        ),
    ] = None,
    plugins_dir: Annotated[
        Path | None, typer.Option("--plugins-dir", help="Also load loose .py plugins from this folder.")
    ] = None,
    no_plugins: Annotated[
        bool, typer.Option("--no-plugins", help="Load built-in plugins only (for files from strangers).")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    ctx.obj = CliState(workspace=workspace, plugins_dir=plugins_dir, no_plugins=no_plugins)


def build_app() -> typer.Typer:
    """A new ``kith`` app with every command registered (each module's ``register(app)``)."""
    app = typer.Typer(
        name="kith",
        help=(
            "Turn scattered contact lists into follow-through: import, dedupe, and weekly follow-up reports."
        ),
        no_args_is_help=True,
        add_completion=True,
        context_settings={"help_option_names": ["-h", "--help"]},
        pretty_exceptions_enable=False,
    )
    app.callback()(main_options)
    for name in COMMAND_MODULES:
        import_module(f"pipeline.cli.{name}").register(app)
    return app


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))

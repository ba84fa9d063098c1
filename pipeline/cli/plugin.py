"""``kith plugins`` lists what is installed; ``kith plugin`` has tools for writing one.

``new`` scaffolds a package, ``hooks`` prints the hook reference; the work happens in
:mod:`pipeline.scaffold`.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipeline.cli.app import handle_errors, print_json, state
from pipeline.cli.options import JsonOption
from pipeline.errors import KithError, UsageError
from pipeline.fileio import atomic_write
from pipeline.scaffold import hook_reference, replace_hook_reference, scaffold_plugin


class Kind(StrEnum):
    importer = "importer"
    exporter = "exporter"
    rule = "rule"


_NEXT = {
    "importer": "kith import FILE           # detected by its sniff (or --as {plugin})",
    "exporter": 'add [[exporters]] name = "{plugin}" to kith.toml; kith run writes it',
    "rule": "kith run                   # its tasks appear in the weekly follow-ups",
}


@handle_errors
def new_command(
    name: Annotated[str, typer.Argument(help="Plugin name, e.g. meetup (makes kith-meetup/).")],
    kind: Annotated[Kind, typer.Option("--kind", help="What the plugin adds.")] = Kind.importer,
    directory: Annotated[Path, typer.Option("--dir", help="Folder to create the package in.")] = Path("."),
) -> None:
    """Scaffold a plugin package that installs and passes its own test unmodified."""
    scaffold = scaffold_plugin(name, kind.value, directory)
    plugin = scaffold.names.plugin
    article = "an" if kind.value[0] in "aeiou" else "a"
    typer.echo(f"Created {scaffold.root} ({article} {kind.value} plugin named {plugin!r}):")
    for path in scaffold.files:
        typer.echo(f"  {path}")
    typer.echo("Next:")
    typer.echo(f"  cd {scaffold.root}")
    typer.echo('  pip install -e ".[test]"   # kith now finds it through its entry point')
    typer.echo("  pytest                     # runs it through kith's core with pipeline.testing")
    typer.echo("  kith plugins               # lists it, with its version and origin")
    typer.echo("  " + _NEXT[kind.value].format(plugin=plugin))


@handle_errors
def hooks_command(
    update: Annotated[
        Path | None,
        typer.Option("--update", help="Rewrite the hook reference between its markers in this file."),
    ] = None,
) -> None:
    """Print every hook a plugin can implement, with its contract (Markdown, from hookspecs.py)."""
    if update is None:
        typer.echo(hook_reference(), nl=False)
        return
    try:
        text = update.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{update}: cannot be read ({exc.strerror or exc})") from None
    new = replace_hook_reference(text)
    if new == text:
        typer.echo(f"{update}: the hook reference is current")
        return
    with atomic_write(update, "w", encoding="utf-8", newline="") as handle:
        handle.write(new)
    typer.echo(f"{update}: hook reference updated")


@handle_errors
def plugins_command(ctx: typer.Context, json_out: JsonOption = False) -> None:
    """List installed plugins (built-in, third-party, plugins_dir) and any that failed to load."""
    from pipeline import registry
    from pipeline.workspace import find_workspace

    app_state = state(ctx)
    try:
        workspace = find_workspace(app_state.workspace)
    except KithError:
        workspace = None  # plugins can be listed outside a workspace
    pm = app_state.plugin_manager(workspace)
    infos = registry.plugin_infos(pm)
    if json_out:
        print_json(
            [
                {
                    "name": i.name,
                    "version": i.version,
                    "origin": i.origin,
                    "hooks": i.hooks,
                    "provides": i.provides,
                    "error": i.error,
                }
                for i in infos
            ]
        )
        return
    console = Console()
    table = Table(show_edge=False)
    for column in ("plugin", "origin", "provides", "status"):
        table.add_column(column)
    for info in infos:
        status = f"[red]failed: {info.error}[/red]" if info.error else "ok"
        table.add_row(info.name, info.origin, ", ".join(info.provides) or ", ".join(info.hooks), status)
    console.print(table)


def register(app: typer.Typer) -> None:
    plugin_app = typer.Typer(
        help="Write your own plugin: scaffold a package (new), read the hook reference (hooks).",
        no_args_is_help=True,
    )
    plugin_app.command("new")(new_command)
    plugin_app.command("hooks")(hooks_command)
    app.add_typer(plugin_app, name="plugin", rich_help_panel="Plugins")
    app.command("plugins", rich_help_panel="Plugins")(plugins_command)

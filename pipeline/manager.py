"""The plugin-manager factory: a fresh, fully loaded pluggy manager per call.

Order (as in pluggy's eggsample and pytest): add the specs, block disabled names, load
third-party plugins from the ``kith`` entry-point group, load loose ``.py`` files from a
workspace's ``plugins_dir``, register the built-ins from an explicit tuple, then
``check_pending``. A plugin that fails at any step is recorded in ``pm.failed`` with its
error and left out; everything else keeps working: a third-party plugin that raises (or calls
``sys.exit``) while loading, or is named like a built-in or like a plugin already loaded, is
listed by ``kith plugins`` with its error while the built-ins keep working. Nothing here runs
at import time.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pluggy

from pipeline import __version__, hookspecs
from pipeline.errors import PluginError

ENTRY_POINT_GROUP = "kith"

#: Built-in plugins, by dotted module name. Registered exactly like third-party plugins,
#: under the last part of the name (``plugins.linkedin`` → ``linkedin``).
BUILTIN_PLUGINS: tuple[str, ...] = (
    "plugins.linkedin",
    "plugins.vcard",
    "plugins.alumni",
    "plugins.google_csv",
    "plugins.outlook_csv",
    "plugins.thunderbird_csv",
    "plugins.journal",
    "plugins.followup_rules",
    "plugins.followups",
    "plugins.outcome_report",
    "plugins.contacts",
    "plugins.duplicates",
    "plugins.weekly_page",
)


@dataclass(frozen=True)
class FailedPlugin:
    """A plugin that could not be loaded; shown by ``kith plugins``."""

    name: str
    origin: str
    error: str


class KithPluginManager(pluggy.PluginManager):
    """A pluggy manager that also remembers where each plugin came from and which failed."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.failed: list[FailedPlugin] = []
        self.origins: dict[str, str] = {}
        self.versions: dict[str, str] = {}
        self.cache: dict[str, object] = {}
        self.tracing = False
        #: Names of the built-in plugins: they win every clash with a third-party one.
        self.builtin_names: set[str] = set()

    def is_builtin(self, name: str) -> bool:
        return self.origins.get(name) == "built-in"

    def disable(self, name: str, error: str) -> None:
        """Take a loaded third-party plugin out (it is listed by ``kith plugins`` with ``error``)."""
        plugin = self.get_plugin(name)
        if plugin is not None:
            self.unregister(plugin)
        self.failed.append(FailedPlugin(name, self.origins.pop(name, "unknown"), error))
        self.versions.pop(name, None)
        self.cache.clear()  # what it registered is gone: collect again

    def register_from(self, plugin: object, name: str, origin: str, version: str = "") -> None:
        """Register ``plugin`` under ``name``; a clash with an existing name is a loud error."""
        if self.has_plugin(name) or name in self.origins:
            raise PluginError(
                f"two plugins are named {name!r}: one from {self.origins.get(name, 'unknown')}, "
                f"one from {origin}; uninstall or rename one"
            )
        self.register(plugin, name=name)
        self.origins[name] = origin
        self.versions[name] = version


def _kith_version() -> str:
    return __version__


def disabled_from_env() -> set[str]:
    """Plugin names listed in ``KITH_DISABLE_PLUGINS`` (comma-separated)."""
    raw = os.environ.get("KITH_DISABLE_PLUGINS", "")
    return {part.strip() for part in raw.split(",") if part.strip()}


def make_plugin_manager(
    *,
    plugins_dir: Path | None = None,
    disabled: Iterable[str] | None = None,
    builtins: Iterable[str] = BUILTIN_PLUGINS,
    entry_points: bool = True,
    extra_plugins: Iterable[tuple[str, object]] = (),
) -> KithPluginManager:
    """Build a plugin manager with every available plugin loaded.

    :param plugins_dir: a folder of loose ``.py`` plugin files (kith.toml ``plugins_dir``).
    :param disabled: plugin names not to load; defaults to ``KITH_DISABLE_PLUGINS``.
    :param builtins: dotted module names of the built-in plugins.
    :param entry_points: load third-party plugins from the ``kith`` entry-point group
        (``--no-plugins`` turns this and ``plugins_dir`` off).
    :param extra_plugins: ``(name, plugin)`` pairs registered after the built-ins (tests).
    """
    pm = KithPluginManager()
    pm.add_hookspecs(hookspecs)
    builtins = tuple(builtins)
    pm.builtin_names = {dotted.rsplit(".", 1)[-1] for dotted in builtins}
    for name in disabled_from_env() if disabled is None else set(disabled):
        pm.set_blocked(name)

    if entry_points:
        _load_entry_points(pm)
    if plugins_dir is not None:
        _load_plugins_dir(pm, Path(plugins_dir))
    for dotted in builtins:
        _load_module(
            pm,
            dotted.rsplit(".", 1)[-1],
            "built-in",
            lambda d=dotted: importlib.import_module(d),
            _kith_version(),
        )
    for name, plugin in extra_plugins:
        pm.register_from(plugin, name, "test")

    _check_pending(pm)
    if os.environ.get("KITH_TRACE_PLUGINS"):
        pm.trace.root.setwriter(sys.stderr.write)
        pm.enable_tracing()
        pm.tracing = True
    return pm


def _load_module(pm: KithPluginManager, name: str, origin: str, load, version: str = "") -> None:
    if pm.is_blocked(name):
        return
    if origin != "built-in":
        taken = _name_taken(pm, name)
        if taken:
            pm.failed.append(FailedPlugin(name, origin, f"not loaded: {taken}; rename the plugin"))
            return
    try:
        module = load()
    except Exception as exc:  # a broken plugin must never take the program down
        pm.failed.append(FailedPlugin(name, origin, f"{type(exc).__name__}: {exc}"))
        return
    except SystemExit as exc:  # sys.exit() in a plugin must not end kith (silently, with exit 0)
        pm.failed.append(FailedPlugin(name, origin, f"called sys.exit({exc.code!r}) while being loaded"))
        return
    pm.register_from(module, name, origin, version)


def _name_taken(pm: KithPluginManager, name: str) -> str | None:
    """Why a third-party plugin may not take ``name`` (a built-in's or an already loaded one's), or None."""
    if name in pm.builtin_names:
        return f"{name!r} is the name of a kith built-in plugin"
    if pm.has_plugin(name) or name in pm.origins:
        return f"a plugin named {name!r} is already loaded ({pm.origins.get(name, 'unknown')})"
    return None


def _load_entry_points(pm: KithPluginManager) -> None:
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist
        origin = f"entry point {ep.value}" + (f" ({dist.name} {dist.version})" if dist else "")
        version = dist.version if dist else ""
        _load_module(pm, ep.name, origin, ep.load, version)


def _load_plugins_dir(pm: KithPluginManager, folder: Path) -> None:
    if not folder.is_dir():
        pm.failed.append(FailedPlugin(str(folder), "plugins_dir", "folder does not exist"))
        return
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        _load_module(pm, path.stem, f"plugins_dir {path}", lambda p=path: _import_file(p))


def _import_file(path: Path) -> ModuleType:
    module_name = f"kith_local_plugins.{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def _check_pending(pm: KithPluginManager) -> None:
    """Unregister plugins whose hook implementations match no spec (a typo'd hook name)."""
    while True:
        try:
            pm.check_pending()
            return
        except pluggy.PluginValidationError as exc:
            name = pm.get_name(exc.plugin) or repr(exc.plugin)
            pm.failed.append(FailedPlugin(name, pm.origins.get(name, "unknown"), str(exc)))
            pm.unregister(exc.plugin)
            pm.origins.pop(name, None)

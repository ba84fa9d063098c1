"""The one place where hooks are called: typed functions over a plugin manager.

Each function calls one hook implementation at a time so that an exception or a wrong
return value can be blamed on the plugin at fault, validates what came back, indexes it
by ``name`` and fails loudly on a duplicate. Results are cached on the manager.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipeline.contracts import Exporter, Importer
from pipeline.errors import PluginError
from pipeline.manager import KithPluginManager

if TYPE_CHECKING:
    from pipeline.followups.model import FollowupRule


def _call_each(pm: KithPluginManager, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
    """Call every implementation of ``hook_name`` (in pluggy's order), naming the plugin on failure."""
    caller = getattr(pm.hook, hook_name)
    results = []
    tracing = pm.tracing
    for impl in reversed(caller.get_hookimpls()):
        if tracing:
            sys.stderr.write(f"kith: calling {hook_name} of plugin {impl.plugin_name}\n")
        try:
            result = impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})
        except Exception as exc:
            raise PluginError(f"plugin {impl.plugin_name!r} failed in {hook_name}: {exc}") from exc
        if result is not None:
            results.append((impl.plugin_name, result))
    return results


def _collect(pm: KithPluginManager, hook_name: str, kind: str, methods: tuple[str, ...]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    owners: dict[str, str] = {}
    for plugin_name, items in _call_each(pm, hook_name):
        if not isinstance(items, list | tuple):
            got = type(items).__name__
            raise PluginError(f"plugin {plugin_name!r}: {hook_name} must return a list, got {got}")
        for item in items:
            name = getattr(item, "name", None)
            if not isinstance(name, str) or not name:
                raise PluginError(f"plugin {plugin_name!r} registered a {kind} without a name")
            for method in methods:
                if not callable(getattr(item, method, None)):
                    raise PluginError(f"plugin {plugin_name!r}: {kind} {name!r} has no {method}() method")
            if name in found:
                raise PluginError(
                    f"two {kind}s are named {name!r}: from plugin {owners[name]!r} and from {plugin_name!r}"
                )
            found[name] = item
            owners[name] = plugin_name
    pm.cache[f"{kind}_owners"] = owners
    return found


def importers(pm: KithPluginManager) -> dict[str, Importer]:
    """Every importer by name."""
    if "importers" not in pm.cache:
        pm.cache["importers"] = _collect(pm, "register_importers", "importer", ("sniff", "read"))
    return pm.cache["importers"]  # type: ignore[return-value]


def exporters(pm: KithPluginManager) -> dict[str, Exporter]:
    """Every exporter by name."""
    if "exporters" not in pm.cache:
        pm.cache["exporters"] = _collect(pm, "register_exporters", "exporter", ("write",))
    return pm.cache["exporters"]  # type: ignore[return-value]


def followup_rules(pm: KithPluginManager) -> dict[str, FollowupRule]:
    """Every follow-up rule by name, in registration order."""
    if "followup rules" not in pm.cache:
        pm.cache["followup rules"] = _collect(pm, "register_followup_rules", "followup rule", ("tasks",))
    return pm.cache["followup rules"]  # type: ignore[return-value]


def owner_of(pm: KithPluginManager, kind: str, name: str) -> str:
    """The plugin that registered the ``kind`` (importer/exporter/followup rule) called ``name``."""
    return pm.cache.get(f"{kind}_owners", {}).get(name, "?")  # type: ignore[union-attr]


@dataclass
class PluginInfo:
    """One line of ``kith plugins``."""

    name: str
    origin: str
    version: str = ""
    hooks: list[str] = field(default_factory=list)
    provides: list[str] = field(default_factory=list)
    error: str | None = None


def plugin_infos(pm: KithPluginManager) -> list[PluginInfo]:
    """Every loaded plugin with its hooks and what it provides, then every failed one."""
    provides: dict[str, list[str]] = {}
    kinds = (("importer", importers), ("exporter", exporters), ("followup rule", followup_rules))
    for kind, collect in kinds:
        for name in collect(pm):
            provides.setdefault(owner_of(pm, kind, name), []).append(f"{kind}:{name}")
    infos = []
    for name, plugin in sorted(pm.list_name_plugin()):
        if plugin is None:  # blocked by KITH_DISABLE_PLUGINS
            infos.append(
                PluginInfo(name, pm.origins.get(name, "disabled"), error=None, provides=["(disabled)"])
            )
            continue
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])
        origin, version = pm.origins.get(name, "?"), pm.versions.get(name, "")
        infos.append(PluginInfo(name, origin, version, hooks, provides.get(name, [])))
    infos += [PluginInfo(f.name, f.origin, error=f.error) for f in pm.failed]
    return infos

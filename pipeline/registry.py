"""The one place where hooks are called and plugins are blamed: typed functions over a plugin manager.

Each registry function calls one plugin's implementation at a time through pluggy's own
hook caller (so ``KITH_TRACE_PLUGINS`` shows pluggy's trace and hook wrappers run), so an
exception or a wrong return value is blamed on the plugin at fault; it validates what came
back, indexes it by ``name`` and fails loudly on a duplicate. Results are cached on the
manager. :func:`guarded` is how the core calls a method of what a plugin registered
(an importer's ``read``, an exporter's ``write``, a rule's ``tasks``): any exception that
is not already a :class:`~pipeline.errors.KithError` becomes one line naming the plugin.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pipeline.contracts import Exporter, FollowupRule, FrameFormat, Importer
from pipeline.errors import KithError, PluginError
from pipeline.manager import KithPluginManager
from pipeline.threads import TIMED_OUT, call_with_budget

T = TypeVar("T")


def _call_each(pm: KithPluginManager, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
    """Call every plugin's implementation of ``hook_name`` (in pluggy's order) through pluggy's
    caller, one plugin at a time. A third-party plugin that fails is disabled (``kith plugins``
    shows why) and the others go on; a built-in that fails is kith's bug and stops the command."""
    caller = getattr(pm.hook, hook_name)
    impls = [impl for impl in reversed(caller.get_hookimpls()) if not (impl.hookwrapper or impl.wrapper)]
    results = []
    for impl in impls:
        others = [other.plugin for other in impls if other.plugin is not impl.plugin]
        one = pm.subset_hook_caller(hook_name, remove_plugins=others)
        try:
            returned = one(**kwargs)
        except Exception as exc:
            if pm.is_builtin(impl.plugin_name):
                raise PluginError(f"plugin {impl.plugin_name!r} failed in {hook_name}: {exc}") from exc
            pm.disable(impl.plugin_name, f"failed in {hook_name}: {type(exc).__name__}: {exc}")
            continue
        results += [(impl.plugin_name, result) for result in returned if result is not None]
    return results


def _collect(pm: KithPluginManager, hook_name: str, kind: str, methods: tuple[str, ...]) -> dict[str, Any]:
    """Every ``kind`` the plugins register, by name, each checked; a third-party plugin that
    registers something unusable or a name already taken is disabled, and the rest collected again."""
    while True:
        try:
            return _collect_once(pm, hook_name, kind, methods)
        except _Offender as offence:
            if pm.is_builtin(offence.plugin):
                raise PluginError(offence.message) from None
            pm.disable(offence.plugin, offence.message)


class _Offender(Exception):
    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(message)
        self.plugin, self.message = plugin, message


def _collect_once(
    pm: KithPluginManager, hook_name: str, kind: str, methods: tuple[str, ...]
) -> dict[str, Any]:
    found: dict[str, Any] = {}
    owners: dict[str, str] = {}
    for plugin_name, items in _call_each(pm, hook_name):
        if not isinstance(items, list | tuple):
            got = type(items).__name__
            raise _Offender(plugin_name, f"plugin {plugin_name!r}: {hook_name} must return a list, got {got}")
        for item in items:
            name = getattr(item, "name", None)
            if not isinstance(name, str) or not name:
                raise _Offender(plugin_name, f"plugin {plugin_name!r} registered a {kind} without a name")
            for method in methods:
                if not callable(getattr(item, method, None)):
                    raise _Offender(
                        plugin_name, f"plugin {plugin_name!r}: {kind} {name!r} has no {method}() method"
                    )
            if name in found:
                message = (
                    f"two {kind}s are named {name!r}: from plugin {owners[name]!r} and from {plugin_name!r}"
                )
                # the built-in keeps the name; between two third-party plugins, the first one
                offender = owners[name] if pm.is_builtin(plugin_name) else plugin_name
                raise _Offender(offender, message)
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


def formats(pm: KithPluginManager) -> dict[str, FrameFormat]:
    """Every frame format (``kith export --format``) by name."""
    if "formats" not in pm.cache:
        pm.cache["formats"] = _collect(pm, "register_formats", "format", ("write",))
    return pm.cache["formats"]  # type: ignore[return-value]


#: How long one importer's ``sniff`` may take before it counts as "not mine" (a plugin's sniff that hangs
#: must not hang every import).
SNIFF_SECONDS = 5.0


def sniff_scores(pm: KithPluginManager, path: Path, head: bytes) -> list[tuple[float, str]]:
    """``(score, importer name)`` for every importer, best first. A sniff that raises scores 0; one that
    takes longer than :data:`SNIFF_SECONDS` scores 0 and is not asked again in this process."""
    slow: set[str] = pm.cache.setdefault("slow sniffs", set())  # type: ignore[assignment]
    scores = []
    for name, importer in importers(pm).items():
        score = 0.0
        if name not in slow:
            try:
                got = call_with_budget(lambda i=importer: i.sniff(path, head), SNIFF_SECONDS)
                if got is TIMED_OUT:
                    slow.add(name)
                    sys.stderr.write(
                        f"kith: importer {name!r} (plugin {owner_of(pm, 'importer', name)!r}) took over "
                        f"{SNIFF_SECONDS:g} s to sniff {path.name}; it is skipped for the rest of this run\n"
                    )
                else:
                    score = float(got)
            except Exception:  # a sniff that crashes means "not mine", not a failed import
                score = 0.0
        scores.append((score, name))
    return sorted(scores, reverse=True)


def owner_of(pm: KithPluginManager, kind: str, name: str) -> str:
    """The plugin that registered the ``kind`` (importer/exporter/followup rule/format) called ``name``."""
    return pm.cache.get(f"{kind}_owners", {}).get(name, "?")  # type: ignore[union-attr]


def guarded(pm: KithPluginManager, kind: str, name: str, call: Callable[[], T], where: str = "") -> T:
    """Run ``call`` (a method of the ``kind`` called ``name``); blame its plugin for any exception.

    A :class:`~pipeline.errors.KithError` passes through unchanged (the plugin already said
    what is wrong in kith's terms); anything else becomes a :class:`PluginError` naming the
    plugin, prefixed by ``where`` (a file, say) when given.
    """
    try:
        return call()
    except KithError:
        raise
    except Exception as exc:
        prefix = f"{where}: " if where else ""
        owner = owner_of(pm, kind, name)
        raise PluginError(f"{prefix}{kind} {name!r} (plugin {owner!r}) failed: {exc}") from exc


class ContractError(PluginError):
    """A plugin returned something its contract does not allow (see :func:`written_paths`)."""


def written_paths(pm: KithPluginManager, name: str, returned: Any, folder: Path) -> list[str]:
    """What exporter ``name`` says it wrote, relative to ``folder``: a list of existing files inside it."""
    owner = owner_of(pm, "exporter", name)
    who = f"exporter {name!r} (plugin {owner!r})"
    if returned is None:
        return []
    if not isinstance(returned, list | tuple):
        raise ContractError(f"{who} returned {type(returned).__name__}, expected a list of paths")
    inside = folder.resolve()
    relative = []
    for item in returned:
        path = Path(item).resolve()
        if inside not in path.parents:
            raise ContractError(f"{who} wrote {item} outside its folder {folder}")
        if not path.is_file():
            raise ContractError(f"{who} says it wrote {item}, which is not a file")
        relative.append(str(path.relative_to(inside)))
    return relative


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
    kinds = (
        ("importer", importers),
        ("exporter", exporters),
        ("followup rule", followup_rules),
        ("format", formats),
    )
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

"""Tools for plugin authors: scaffold a plugin package, and the hook reference made from hookspecs.

``kith plugin new NAME --kind importer`` (:mod:`pipeline.cli.plugin`) calls
:func:`scaffold_plugin`, which renders the templates in ``pipeline/scaffold_templates/<kind>/``
into a package that installs and passes its own test unmodified. :func:`hook_reference`
renders every hook spec's signature and docstring as Markdown: ``kith plugin hooks`` prints
it, and docs/plugins.md carries it between two markers, kept current by a test, so the
docs and :mod:`pipeline.hookspecs` can't drift.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import __version__, hookspecs
from pipeline.errors import UsageError

TEMPLATES = Path(__file__).parent / "scaffold_templates"
TEMPLATE_SUFFIX = ".tmpl"

#: What each ``--kind`` implements.
KINDS: dict[str, str] = {
    "importer": "register_importers",
    "exporter": "register_exporters",
    "rule": "register_followup_rules",
}

HOOKS_BEGIN = "<!-- hooks:begin (generated from pipeline/hookspecs.py by `kith plugin hooks`) -->"
HOOKS_END = "<!-- hooks:end -->"

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")


@dataclass(frozen=True)
class PluginNames:
    """The names one plugin goes by, all derived from what the author typed."""

    plugin: str  # entry-point name, importer/exporter name: meetup, badge_scan
    dist: str  # distribution and folder: kith-meetup
    module: str  # importable module: kith_meetup
    title: str  # for prose: Meetup, Badge Scan
    cls: str  # class-name stem: Meetup, BadgeScan

    @classmethod
    def from_text(cls, text: str) -> PluginNames:
        raw = text.strip().lower()
        raw = raw.removeprefix("kith-").removeprefix("kith_")
        if not _NAME.match(raw):
            raise UsageError(
                f"plugin name {text!r} must start with a letter and use only letters, digits, '-' and '_' "
                "(e.g. meetup, badge-scan)"
            )
        plugin = raw.replace("-", "_")
        words = plugin.split("_")
        return cls(
            plugin=plugin,
            dist="kith-" + plugin.replace("_", "-"),
            module="kith_" + plugin,
            title=" ".join(w.capitalize() for w in words),
            cls="".join(w.capitalize() for w in words),
        )


@dataclass
class Scaffold:
    """A scaffolded package: its folder and the files written (relative paths)."""

    root: Path
    names: PluginNames
    kind: str
    files: list[Path] = field(default_factory=list)


def hook_specs() -> dict[str, Callable]:
    """Every hook spec in :mod:`pipeline.hookspecs`, by name, in source order."""
    marker = f"{hookspecs.PROJECT}_spec"
    return {name: fn for name, fn in vars(hookspecs).items() if callable(fn) and hasattr(fn, marker)}


def _render(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    leftover = re.search(r"\{\{\s*\w+\s*\}\}", text)
    if leftover:  # a template bug, never the user's
        raise RuntimeError(f"scaffold template has an unknown placeholder {leftover.group(0)}")
    return text


def scaffold_plugin(name: str, kind: str = "importer", directory: Path = Path(".")) -> Scaffold:
    """Write a new plugin package ``kith-<name>/`` under ``directory``; return what was written.

    Refuses a kind whose hook this kith doesn't have, or a folder that exists and isn't empty.
    """
    if kind not in KINDS:
        raise UsageError(f"unknown plugin kind {kind!r}; choose one of {', '.join(KINDS)}")
    hook = KINDS[kind]
    if hook not in hook_specs():
        raise UsageError(f"this version of kith has no {hook} hook, so it can't take a {kind} plugin yet")
    source = TEMPLATES / kind
    if not source.is_dir():
        raise UsageError(
            f"kith {__version__} has no {kind} template yet; see docs/plugins.md for the {hook} hook"
        )
    names = PluginNames.from_text(name)
    root = Path(directory).expanduser() / names.dist
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise UsageError(f"{root} already exists and is not empty; choose another --dir or name")
    values = {
        "plugin": names.plugin,
        "dist": names.dist,
        "module": names.module,
        "title": names.title,
        "cls": names.cls,
        "kind": kind,
        "hook": hook,
    }
    scaffold = Scaffold(root, names, kind)
    for template in sorted(p for p in source.rglob("*") if p.is_file() and p.name.endswith(TEMPLATE_SUFFIX)):
        relative = template.relative_to(source).as_posix().removesuffix(TEMPLATE_SUFFIX)
        target = root / relative.replace("__module__", names.module)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_render(template.read_text(encoding="utf-8"), values), encoding="utf-8")
        scaffold.files.append(target.relative_to(root))
    return scaffold


# --- the hook reference ------------------------------------------------------------------

_ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|exc):`~?([^`]+)`")
_FIELD = re.compile(r"^:(param\s+\w+|return|returns|raises?\s+\w+):\s*(.*)$")


def _phases() -> dict[str, str]:
    """Hook name → the banner comment above it in hookspecs.py (``# --- registries: … ---``)."""
    phase, found = "", {}
    for line in inspect.getsource(hookspecs).splitlines():
        banner = re.match(r"#\s*-{3}\s*(.+?)\s*-*\s*$", line)
        if banner:
            phase = banner.group(1)
        definition = re.match(r"def (\w+)\(", line)
        if definition:
            found[definition.group(1)] = phase
    return found


def _signature(name: str, fn: Callable) -> str:
    params = []
    for param in inspect.signature(fn).parameters.values():
        annotation = param.annotation
        params.append(param.name if annotation is inspect.Parameter.empty else f"{param.name}: {annotation}")
    returns = inspect.signature(fn).return_annotation
    tail = "" if returns is inspect.Signature.empty else f" -> {returns}"
    return f"{name}({', '.join(params)}){tail}"


def _docstring_markdown(doc: str) -> str:
    """A Sphinx-style docstring as Markdown: roles become code, fields become a list."""
    doc = _ROLE.sub(r"``\1``", inspect.cleandoc(doc))
    doc = re.sub(r"``([^`]+)``", r"`\1`", doc)
    out: list[str] = []
    for line in doc.splitlines():
        field_match = _FIELD.match(line)
        if field_match:
            label, text = field_match.groups()
            if label.startswith("param"):
                label = f"`{label.split()[1]}`"
            elif label.startswith("raise"):
                label = f"raises `{label.split()[1]}`"
            else:
                label = "returns"
            out.append(f"- **{label}**: {text}")
        elif line.startswith("    ") and out and out[-1].startswith("- **"):
            out[-1] += " " + line.strip()
        else:
            out.append(line)
    return "\n".join(out).strip()


def hook_reference() -> str:
    """Markdown for every hook spec: grouped by phase, with signature, options and docstring."""
    phases = _phases()
    parts: list[str] = []
    current = None
    marker = f"{hookspecs.PROJECT}_spec"
    for name, fn in hook_specs().items():
        phase = phases.get(name, "")
        if phase != current and phase:
            parts.append(f"### {phase[:1].upper()}{phase[1:]}")
            current = phase
        opts = getattr(fn, marker) or {}
        flags = [flag for flag in ("firstresult", "historic") if opts.get(flag)]
        heading = f"#### `{name}`"
        body = f"```python\n@hookimpl\ndef {_signature(name, fn)}: ...\n```"
        if flags:
            body += "\n\nOptions: " + ", ".join(f"`{flag}`" for flag in flags) + "."
        parts.append(f"{heading}\n\n{body}\n\n{_docstring_markdown(fn.__doc__ or '')}")
    return "\n\n".join(parts) + "\n"


def replace_hook_reference(text: str) -> str:
    """``text`` with the part between the hook markers replaced by the current reference."""
    start, end = text.find(HOOKS_BEGIN), text.find(HOOKS_END)
    if start < 0 or end < start:
        raise UsageError(f"no hook-reference markers ({HOOKS_BEGIN} … {HOOKS_END}) in the file")
    return text[: start + len(HOOKS_BEGIN)] + "\n\n" + hook_reference() + "\n" + text[end:]

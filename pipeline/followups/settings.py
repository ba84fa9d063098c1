"""Follow-up settings from kith.toml ``[followups]``, validated against the installed rules.

    [followups]
    templates_dir = "my_templates"     # overrides built-in templates by file name
    [followups.thank_you]
    enabled = true
    delay_days = 1
    overdue_after_days = 3
    [followups.check_in]
    weeks = 6

Every rule table is checked against the rule's ``defaults``: an unknown rule, an unknown
key or a wrong type is a ConfigError naming the key, so a typo never silently does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError

TOP_KEYS = {"templates_dir"}


@dataclass
class FollowupSettings:
    """Everything the engine needs from the workspace (defaults when there is none)."""

    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    template_dirs: list[Path] = field(default_factory=list)
    owner_name: str | None = None
    owner_email: str | None = None
    source: str = "kith.toml"

    @classmethod
    def from_workspace(cls, workspace: Any) -> FollowupSettings:
        """From a :class:`pipeline.workspace.Workspace` (``templates/`` in its root always counts)."""
        if workspace is None:
            return cls()
        config = workspace.config
        root, source = Path(workspace.root), str(workspace.config_path)
        settings = cls.from_dict(config.followups, root=root, source=source)
        if getattr(workspace, "builtins_only", False):  # --no-plugins: a stranger's templates are code too
            settings.template_dirs = []
        settings.owner_name = config.owner_name
        settings.owner_email = config.owner_email
        return settings

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, *, root: Path | None = None, source: str = "kith.toml"):
        data = dict(data or {})
        settings = cls(source=source)
        dirs: list[Path] = []
        if "templates_dir" in data:
            value = data.pop("templates_dir")
            if not isinstance(value, str):
                raise ConfigError(f"{source}: [followups] 'templates_dir' must be a string, got {value!r}")
            path = Path(value).expanduser()
            dirs.append(path if path.is_absolute() or root is None else root / path)
        if root is not None:
            dirs.append(root / "templates")
        settings.template_dirs = dirs
        for name, table in data.items():
            if not isinstance(table, dict):
                raise ConfigError(
                    f"{source}: [followups] '{name}' must be a rule table such as [followups.{name}] "
                    f"(or one of {sorted(TOP_KEYS)})"
                )
            settings.rules[name] = dict(table)
        return settings

    def for_rule(self, name: str, defaults: dict[str, Any]) -> dict[str, Any]:
        """The rule's settings: defaults overlaid with kith.toml, checked key by key."""
        merged = {"enabled": True, **defaults}
        for key, value in self.rules.get(name, {}).items():
            where = f"{self.source}: [followups.{name}]"
            if key not in merged:
                raise ConfigError(f"{where} unknown key '{key}' (known: {', '.join(sorted(merged))})")
            expected = merged[key]
            ok = isinstance(value, type(expected)) if expected is not None else True
            if isinstance(expected, bool) != isinstance(value, bool):
                ok = False
            if isinstance(expected, float) and isinstance(value, int) and not isinstance(value, bool):
                ok = True
            if not ok:
                raise ConfigError(
                    f"{where} '{key}' must be {type(expected).__name__} like {expected!r}, got {value!r}"
                )
            if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
                raise ConfigError(f"{where} '{key}' must be 0 or more (days, weeks, counts), got {value!r}")
            merged[key] = value
        return merged

    def check_rule_names(self, known: set[str]) -> None:
        unknown = sorted(set(self.rules) - known)
        if unknown:
            raise ConfigError(
                f"{self.source}: [followups.{unknown[0]}] is not an installed follow-up rule "
                f"(installed: {', '.join(sorted(known))})"
            )

"""kith.toml: loading and validating a workspace's configuration.

Every key is checked here, once, with an error that names the file and the key
(``kith.toml: [[inputs]] #2 'channel' must be one of …``). The rest of the code reads
typed dataclasses and never looks at raw TOML.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError
from pipeline.schema import CANONICAL, CHANNELS

CONFIG_NAME = "kith.toml"
#: The region when kith.toml names none; the one place this default is written (below it, required).
DEFAULT_REGION = "US"


@dataclass
class InputConfig:
    """One ``[[inputs]]`` entry: files to import every run."""

    path: str
    importer: str = "auto"
    channel: str | None = None
    tags: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class ExporterConfig:
    """One ``[[exporters]]`` entry: a report written every run."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Config:
    """A workspace's validated configuration (defaults when kith.toml leaves a key out)."""

    store: str = "kith.db"
    reports: str = "reports"
    region: str = DEFAULT_REGION
    school: str | None = None
    owner_name: str | None = None
    owner_email: str | None = None
    plugins_dir: str | None = None
    inputs: list[InputConfig] = field(default_factory=list)
    exporters: list[ExporterConfig] = field(default_factory=list)
    dedupe: dict[str, Any] = field(default_factory=dict)
    followups: dict[str, Any] = field(default_factory=dict)
    source_path: Path | None = None


_WORKSPACE_KEYS = {"store", "reports", "region", "school", "owner_name", "owner_email"}
_INPUT_KEYS = {"path", "importer", "channel", "tags", "mapping"}
_TOP_KEYS = {"workspace", "inputs", "exporters", "dedupe", "followups", "plugins_dir"}


def _expect(where: str, key: str, value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(value, kind):
        raise ConfigError(f"{where} '{key}' must be {what}, got {type(value).__name__} {value!r}")
    return value


def _is_region(code: str) -> bool:
    """A region phone numbers can be read in: an ISO 3166 code phonenumbers knows (not ``XX``)."""
    import phonenumbers

    return len(code) == 2 and code.upper() in phonenumbers.SUPPORTED_REGIONS


def parse_config(data: dict[str, Any], source: str = CONFIG_NAME) -> Config:
    """Validate parsed TOML into a :class:`Config`; raise ConfigError naming the key."""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        first = sorted(unknown)[0]
        raise ConfigError(f"{source}: unknown top-level key '{first}' (known: {sorted(_TOP_KEYS)})")
    config = Config()
    workspace = _expect(source, "workspace", data.get("workspace", {}), dict, "a table")
    for key, value in workspace.items():
        where = f"{source}: [workspace]"
        if key not in _WORKSPACE_KEYS:
            raise ConfigError(f"{where} unknown key '{key}' (known: {sorted(_WORKSPACE_KEYS)})")
        _expect(where, key, value, str, "a string")
        setattr(config, key, value)
    if not _is_region(config.region):
        raise ConfigError(
            f"{source}: [workspace] 'region' must be a two-letter country code such as 'US', "
            f"got {config.region!r}"
        )
    config.region = config.region.upper()
    if "plugins_dir" in data:
        config.plugins_dir = _expect(source, "plugins_dir", data["plugins_dir"], str, "a string")

    for number, entry in enumerate(_expect(source, "inputs", data.get("inputs", []), list, "an array"), 1):
        config.inputs.append(_parse_input(entry, f"{source}: [[inputs]] #{number}"))
    exporters = _expect(source, "exporters", data.get("exporters", []), list, "an array")
    for number, entry in enumerate(exporters, 1):
        where = f"{source}: [[exporters]] #{number}"
        _expect(where, "entry", entry, dict, "a table")
        if "name" not in entry:
            raise ConfigError(f"{where} needs a 'name'")
        name = _expect(where, "name", entry["name"], str, "a string")
        config.exporters.append(ExporterConfig(name, {k: v for k, v in entry.items() if k != "name"}))
    config.dedupe = _expect(source, "dedupe", data.get("dedupe", {}), dict, "a table")
    config.followups = _expect(source, "followups", data.get("followups", {}), dict, "a table")
    return config


def _parse_input(entry: Any, where: str) -> InputConfig:
    _expect(where, "entry", entry, dict, "a table")
    if "path" not in entry:
        raise ConfigError(f"{where} needs a 'path' (a file or a glob such as 'inbox/*.csv')")
    item = InputConfig(path=_expect(where, "path", entry["path"], str, "a string"))
    item.importer = _expect(where, "importer", entry.get("importer", "auto"), str, "a string")
    if "channel" in entry:
        channel = _expect(where, "channel", entry["channel"], str, "a string")
        if channel not in CHANNELS:
            raise ConfigError(f"{where} 'channel' must be one of {list(CHANNELS)}, got {channel!r}")
        item.channel = channel
    tags = _expect(where, "tags", entry.get("tags", []), list, "an array of strings")
    item.tags = [_expect(where, "tags", tag, str, "an array of strings") for tag in tags]
    mapping = _expect(where, "mapping", entry.get("mapping", {}), dict, "a table of 'header' = 'field'")
    for header, target in mapping.items():
        _expect(where, f"mapping.{header}", target, str, "a field name")
        if target not in CANONICAL and target != "extra":
            raise ConfigError(f"{where} 'mapping.{header}' names unknown field {target!r}")
    item.mapping = dict(mapping)
    item.settings = {k: v for k, v in entry.items() if k not in _INPUT_KEYS}
    for key in item.settings:
        # A setting one letter away from a known key is that key misspelt, not a setting.
        near = difflib.get_close_matches(key, sorted(_INPUT_KEYS), n=1, cutoff=0.8)
        if near:
            raise ConfigError(f"{where} unknown key '{key}' (did you mean '{near[0]}'?)")
    return item


def load_config(path: Path) -> Config:
    """Read and validate ``path``; a syntax error names the line."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: is not UTF-8 text (byte {exc.start:,}); save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    config = parse_config(data, str(path))
    config.source_path = path
    return config

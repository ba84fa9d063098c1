"""Errors the core raises; the CLI turns each into one clear line and an exit code.

The core never prints or exits: it raises a :class:`KithError` whose message is one
sentence naming the file and place, and the CLI decides how to show it.
"""

from __future__ import annotations


class KithError(Exception):
    """Base of every error kith reports to a user; ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class UsageError(KithError):
    """The command was asked for something that cannot work (bad option, no workspace)."""

    exit_code = 2


class InputError(KithError):
    """An input file cannot be read at all: missing, unreadable, or not a format we know."""

    exit_code = 2


class ConfigError(UsageError):
    """kith.toml is missing a key, has a wrong type, or names something that does not exist."""


class PluginError(KithError):
    """A plugin misbehaved: raised inside a hook, returned the wrong shape, or clashed on a name."""


class SchemaError(PluginError):
    """A frame handed to the core does not match the canonical schema; names plugin and column."""


class StoreError(KithError):
    """The SQLite store could not be opened or written (locked, corrupt, wrong schema version)."""


class StrictModeError(KithError):
    """``--strict`` was given and some records were rejected: the file is not imported."""

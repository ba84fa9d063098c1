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


class MachineError(StoreError):
    """The machine refused a write (a full disk, a read-only folder): the whole command stops,
    since every further file would fail the same way."""


class StrictModeError(KithError):
    """``--strict`` was given and some records were rejected: the file is not imported."""


def environment_message(exc: BaseException, store: str = "the store") -> str | None:
    """One line for a failure of the machine rather than of kith (a full disk, a read-only folder,
    a refused permission), or None when ``exc`` is not one: the CLI prints it instead of a traceback.
    """
    import sqlite3

    if isinstance(exc, sqlite3.Error):
        text = str(exc)
        if "full" in text:
            return f"{store}: the disk is full ({text}); nothing was written, free some space and run again"
        if "readonly" in text or "read-only" in text:
            return f"{store}: cannot write ({text}); check the workspace folder's permissions"
        return f"{store}: {text}"
    if isinstance(exc, OSError):
        where = exc.filename or "a file"
        reason = exc.strerror or str(exc) or type(exc).__name__
        return f"{where}: {reason}"
    return None

"""An unchanged week: the digest of everything a week's reports are made from, kept in ``run.json``.

``kith run`` computes :func:`week_state` after the stages that change the store (import, journal,
feedback, resolve) and before planning follow-ups and writing; when the week's folder holds a
``run.json`` with the same digest and every file it lists, the reports are not written again
and the run says ``"reports": "unchanged"``. The digest covers:

* the store: dedupe's stamp (sources and their content, records, decisions, dedupe settings),
  the people, assignment and review tables' size and last row (a journal contact or a resolve
  changes them), and the whole of the small tables a person edits by hand or by ticking a box
  (journal, outcome, aliases, task state, decisions) and the rejects;
* the run: kith's version, the as-of *date* (due and overdue dates move with the day, and the
  weekly page prints it), the exporters with their options, kith.toml's bytes, the files of
  the template folders, and the code that writes: every file (size and modification time) of the
  packages the loaded plugins and kith's core come from, so a kith or plugin upgraded in place
  (an editable install, a ``git pull``) writes the week again even when its version did not move.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

from pipeline import __version__
from pipeline.store import Store

#: Tables a person changes by hand (the journal, ticks, decisions): hashed whole, they are small.
_SMALL_TABLES = ("journal", "journal_outcome", "journal_alias", "task_state", "decisions")
#: Tables only bulk stages write: their size and last rowid say whether they were rewritten.
_BULK_TABLES = ("people", "assignments", "review_queue", "rejects")


def _table_parts(store: Store) -> list[Any]:
    from pipeline.dedupe.storage import STAMP_KEY

    parts: list[Any] = [store.get_meta(STAMP_KEY)]
    for table in _BULK_TABLES:
        if store.has_table(table):
            parts.append((table, *store.conn.execute(f"SELECT count(*), max(rowid) FROM {table}").fetchone()))
    digest = hashlib.sha256()
    for table in _SMALL_TABLES:
        if store.has_table(table):
            digest.update(table.encode())
            for row in store.conn.execute(f"SELECT * FROM {table} ORDER BY rowid"):
                digest.update(repr(row).encode())
    parts.append(digest.hexdigest())
    return parts


def _files(folders: Iterable[Path]) -> list[tuple[str, int, int]]:
    found = []
    for folder in folders:
        if Path(folder).is_dir():
            for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
                stat = path.stat()
                found.append((str(path), stat.st_size, stat.st_mtime_ns))
    return found


def _package_root(module_name: str) -> Path | None:
    """The folder of the top-level package ``module_name`` belongs to; the module's own file
    when that package is not imported (a loose ``plugins_dir`` file) or is a single module;
    None for a module without a file."""
    top = sys.modules.get(module_name.partition(".")[0])
    if top is not None and getattr(top, "__path__", None):
        return Path(next(iter(top.__path__)))
    module = top if top is not None and "." not in module_name else sys.modules.get(module_name)
    file = getattr(module, "__file__", None)
    return Path(file) if file else None


def code_roots(plugins: Iterable[object]) -> list[Path]:
    """kith's core package and the package of every loaded plugin: the code that writes a week."""
    names = {"pipeline"}
    for plugin in plugins:
        names.add(plugin.__name__ if isinstance(plugin, ModuleType) else type(plugin).__module__)
    return sorted({root for name in names if (root := _package_root(name)) is not None})


def _code_files(roots: Iterable[Path]) -> list[tuple[str, int, int]]:
    found = []
    for root in roots:
        if root.is_file():
            stat = root.stat()
            found.append((str(root), stat.st_size, stat.st_mtime_ns))
        elif root.is_dir():
            found.extend(f for f in _files([root]) if "__pycache__" not in f[0])
    return found


def week_state(
    store: Store,
    *,
    as_of: dt.date,
    exporters: list[tuple[str, dict[str, Any]]],
    config_path: Path | None,
    template_dirs: Iterable[Path] = (),
    code: Iterable[Path] = (),
) -> str:
    """The digest described in the module docstring; ``code`` is :func:`code_roots`."""
    config = config_path.read_bytes() if config_path and config_path.is_file() else b""
    parts = [
        __version__,
        as_of.isoformat(),
        json.dumps(exporters, sort_keys=True, default=str),
        hashlib.sha256(config).hexdigest(),
        _files(template_dirs),
        _code_files(code),
        _table_parts(store),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def written_week(folder: Path, state: str) -> dict[str, Any] | None:
    """The folder's ``run.json`` when it was written from ``state`` and every file it lists is
    still there; else None (write the week again)."""
    try:
        saved = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict) or saved.get("state") != state or saved.get("dry_run"):
        return None
    outputs = saved.get("outputs") or []
    if not all(isinstance(p, str) and (folder / p).is_file() for p in outputs):
        return None
    return saved

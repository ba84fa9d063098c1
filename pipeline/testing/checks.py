"""The importer contract as plain checks: each raises AssertionError with one sentence.

Part of :mod:`pipeline.testing`; import the names from there. :func:`check_importer`
runs them all.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.contracts import Importer, ImportOptions, ImportResult, Reject
from pipeline.importing import FileOutcome, pick_importer
from pipeline.manager import KithPluginManager
from pipeline.schema import CHANNELS, check_canonical, validate_raw
from pipeline.store import Store
from pipeline.testing.core import (
    ImportedFile,
    Plugins,
    get_importer,
    import_through_core,
    options_for,
    plugin_manager,
)
from pipeline.testing.foreign import assert_sniff_declines_foreign_files
from pipeline.textio import read_head
from pipeline.workspace import Workspace


def assert_conforms(records: pl.DataFrame, where: str = "records") -> None:
    """The frame has every canonical column with its dtype (raises SchemaError otherwise)."""
    check_canonical(records, where)


def assert_rejects_have_places(outcome: FileOutcome | ImportResult) -> None:
    """Every reject is a :class:`~pipeline.contracts.Reject` that says where (``row 12``) and why."""
    for reject in outcome.rejects:
        if not isinstance(reject, Reject):
            raise AssertionError(f"reject is a {type(reject).__name__}, not a pipeline.contracts.Reject")
        if not (isinstance(reject.ref, str) and reject.ref.strip()):
            raise AssertionError(f"reject without a place: {reject}")
        if not (isinstance(reject.reason, str) and reject.reason.strip()):
            raise AssertionError(f"reject without a reason: {reject}")


def read_raw(importer: Importer, path: Path, options: ImportOptions | None = None) -> ImportResult:
    """Call ``importer.read`` directly and check its output against the contract; return it.

    Checks what the core's boundary checks (an :class:`ImportResult`, known columns with
    text dtypes, ``source_ref`` on every row) and what it can't: every ``source_ref`` is
    unique, every ``extra`` is a JSON object, every ``channel`` is a known one, and every
    reject has a place and a reason.
    """
    result = importer.read(path, options or ImportOptions())
    if not isinstance(result, ImportResult):
        raise AssertionError(f"importer {importer.name!r} returned {type(result).__name__}, not ImportResult")
    frame = validate_raw(result.records, importer.name)
    if frame.height and frame["source_ref"].n_unique() != frame.height:
        dupes = frame.filter(pl.col("source_ref").is_duplicated())["source_ref"].unique().sort().to_list()
        raise AssertionError(f"importer {importer.name!r} gave several records the same place: {dupes[:5]}")
    if "extra" in frame.columns and frame.schema["extra"] == pl.String:
        for ref, extra in frame.select("source_ref", "extra").drop_nulls("extra").iter_rows():
            try:
                parsed = json.loads(extra)
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict):
                raise AssertionError(f"importer {importer.name!r}: 'extra' at {ref} is not a JSON object")
    if "channel" in frame.columns and frame.schema["channel"] == pl.String:
        unknown = set(frame["channel"].drop_nulls().unique().to_list()) - set(CHANNELS)
        if unknown:
            raise AssertionError(
                f"importer {importer.name!r} returned channels {sorted(unknown)}; known: {list(CHANNELS)}"
            )
    assert_rejects_have_places(result)
    return result


def assert_detected_as(
    path: Path, name: str, *, plugins: Plugins = (), pm: KithPluginManager | None = None
) -> None:
    """``kith import`` without ``--as`` picks importer ``name`` for ``path`` (among the built-ins too)."""
    pm = pm or plugin_manager(plugins)
    chosen = pick_importer(pm, path, read_head(path))
    if chosen != name:
        raise AssertionError(f"{path}: detected as {chosen!r}, expected {name!r}")


def _stored_rejects(store_path: Path, shown: str | None = None) -> list[tuple[str, str]]:
    with Store(store_path) as store:
        rejects = store.rejects()
    if shown is not None:
        rejects = rejects.filter(pl.col("source_file") == str(Path(shown).resolve()))
    return list(rejects.select("source_ref", "reason").iter_rows())


def assert_reimport_is_idempotent(
    workspace: Workspace,
    name: str | Path,
    *,
    importer: str | None = None,
    plugins: Plugins = (),
    pm: KithPluginManager | None = None,
    options: ImportOptions | None = None,
) -> ImportedFile:
    """Importing a file again changes nothing, and reading it afresh gives the same records and ids.

    Three imports: into the workspace's store (twice: the second must be ``unchanged``
    with the store as it was) and into a fresh store, whose records (ids included) and
    rejects must equal the first: a ``read`` that depends on the clock, on dict order or
    on randomness fails here. Returns the first import.
    """
    pm = pm or plugin_manager(plugins)
    kwargs: dict[str, Any] = {"importer": importer, "pm": pm, "options": options}
    first = import_through_core(workspace, name, **kwargs)
    if first.outcome.status == "failed":
        raise AssertionError(f"{name}: import failed: {first.outcome.error}")
    again = import_through_core(workspace, name, **kwargs)
    if again.outcome.status != "unchanged":
        raise AssertionError(f"{name}: a second import was {again.outcome.status!r}, expected 'unchanged'")
    if not again.records.equals(first.records):
        raise AssertionError(f"{name}: a second import changed the stored records")
    # Beside the workspace's store: a store names the paths in its folder relative to it, and
    # record ids are keyed by that name.
    handle, scratch = tempfile.mkstemp(
        prefix=".kith-reimport-", suffix=".db", dir=workspace.store_path.parent
    )
    os.close(handle)
    fresh_store = Path(scratch)
    fresh_store.unlink()
    try:
        fresh = import_through_core(workspace, name, store_path=fresh_store, **kwargs)
        if fresh.outcome.status != "imported":
            raise AssertionError(f"{name}: reading the file afresh failed: {fresh.outcome.error}")
        fresh_rejects = _stored_rejects(fresh_store)
    finally:
        for leftover in (fresh_store, *(Path(f"{fresh_store}{end}") for end in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)
    before, after = first.records.sort("record_id"), fresh.records.sort("record_id")
    if before["record_id"].to_list() != after["record_id"].to_list():
        raise AssertionError(
            f"{name}: reading the same file again gave other record ids (ids must be stable)"
        )
    if not before.equals(after):
        changed = [c for c in before.columns if not before[c].equals(after[c])]
        raise AssertionError(f"{name}: reading the same file again gave other values in {changed}")
    if _stored_rejects(workspace.store_path, first.outcome.path) != fresh_rejects:
        raise AssertionError(f"{name}: reading the same file again gave other rejects")
    return first


# --- everything at once ---------------------------------------------------------------


def check_importer(
    workspace: Workspace,
    name: str | Path,
    importer: str,
    *,
    plugins: Plugins = (),
    own: Iterable[str] = (),
    options: ImportOptions | None = None,
) -> ImportedFile:
    """Every contract check for importer ``importer`` on the workspace file ``name``.

    The raw output obeys the contract (:func:`read_raw`), the file is detected as this
    importer's, it imports through the core into canonical records, rejects have places,
    other formats' files are not claimed, and a re-import is idempotent. Returns the import,
    for asserts on content.
    """
    pm = plugin_manager(plugins)
    path = workspace.resolve(str(name))
    found = get_importer(importer, pm=pm)
    read_raw(found, path, options_for(workspace, options))
    assert_detected_as(path, importer, pm=pm)
    result = assert_reimport_is_idempotent(workspace, name, pm=pm, options=options)
    assert_conforms(result.records, f"{importer} records from {path.name}")
    assert_rejects_have_places(result.outcome)
    assert_sniff_declines_foreign_files(found, own={importer, *own})
    return result

"""Writing one frame in a format some plugin registered: ``kith export --format NAME``.

The core knows no format by name: :func:`pipeline.registry.formats` lists what the plugins
registered (the contacts plugin's csv, xlsx, jsonl and google-csv; the vCard plugin's vcf).
This module adds what every format shares: a clear error for an unknown name and ``-`` for
standard output (the format writes into a private temporary folder, which is copied out).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import polars as pl

from pipeline import registry
from pipeline.errors import UsageError
from pipeline.manager import KithPluginManager


def write_formatted(
    pm: KithPluginManager, fmt: str, frame: pl.DataFrame, out: str | Path, *, sheet: str = "Contacts"
) -> str:
    """Write ``frame`` to ``out`` (a path, or ``-`` for stdout) as format ``fmt``; return where it went."""
    found = registry.formats(pm)
    if fmt not in found:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(sorted(found)) or 'none'}")
    writer = found[fmt]
    if str(out) != "-":
        registry.guarded(pm, "format", fmt, lambda: writer.write(frame, Path(out), sheet=sheet))
        return str(out)
    with tempfile.TemporaryDirectory(prefix="kith-export-") as folder:
        path = Path(folder) / f"export{writer.suffix}"
        registry.guarded(pm, "format", fmt, lambda: writer.write(frame, path, sheet=sheet))
        sys.stdout.flush()
        with path.open("rb") as handle:
            shutil.copyfileobj(handle, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    return "-"

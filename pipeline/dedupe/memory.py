"""Hand freed heap back to the operating system between the dedupe steps.

Each step of :func:`pipeline.dedupe.resolve` builds large temporary frames, numpy arrays and
Python strings (rapidfuzz takes names as Python strings) and frees them before the next
step. glibc's allocator keeps freed memory in its arenas — one per thread that allocated,
and the blocking, comparison and survivorship steps run helper threads — so on large inputs
the process holds memory it no longer uses, and the next step's peak lands on top of it.
``malloc_trim(0)`` returns those pages; it takes milliseconds. A no-op where the C library
is not glibc (macOS, Windows, musl).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache

import polars as pl


@lru_cache(maxsize=1)
def _malloc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):
        return None


def release_freed_memory() -> None:
    """Return the heap pages freed so far to the OS (glibc only; harmless elsewhere)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def nulls_as_constants(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every column that holds no value as one constant null (no memory per row).

    A text column of nulls still costs 16 bytes a row; most feature and people columns of a
    directory (middle names, suffixes, second e-mails) are nulls from end to end.
    """
    empty = [c for c in frame.columns if frame.height and frame[c].null_count() == frame.height]
    return frame.with_columns(pl.lit(None, frame.schema[c]).alias(c) for c in empty) if empty else frame

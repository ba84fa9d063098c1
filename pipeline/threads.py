"""The one way kith runs helper threads: a pool that lives exactly as long as a ``with`` block.

Used by the dedupe steps (features, blocking, comparison, the u estimate, survivorship) to
run an independent piece of work beside the main thread while polars and numpy, which release
the GIL, keep both cores busy. Leaving the block joins the threads, also when the block
raises, so no step leaves a thread (or its memory arena) running into the next.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager


@contextmanager
def helper_threads(workers: int = 1) -> Iterator[ThreadPoolExecutor]:
    """A pool of ``workers`` threads for the duration of the block; ``submit``/``map`` on it.

    :param workers: how many pieces of work may run beside the main thread at once.
    """
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kith-helper") as pool:
        yield pool

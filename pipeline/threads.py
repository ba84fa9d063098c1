"""The one way kith runs helper threads: a pool that lives exactly as long as a ``with`` block,
and :func:`call_with_budget` for a plugin's call that may not come back.

Used by the dedupe steps (features, blocking, comparison, the u estimate, survivorship) and the
import (names and phones normalized beside the other columns, record ids beside ``extra``, the
next slice encoded while SQLite ingests this one) to run an independent piece of work beside
the main thread while polars, numpy and the ADBC driver, which release the GIL, keep both cores
busy. Leaving the block joins the threads, also when the block raises, so no step leaves a thread
(or its memory arena) running into the next.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

#: Inputs with fewer rows than this run their helper work inline (``helper_threads(inline=…)``):
#: a thread's stack and allocator arenas would cost more address space than it saves time.
THREADED_ROWS = 50_000
#: What :func:`call_with_budget` returns when the call did not finish in time.
TIMED_OUT = object()


@contextmanager
def helper_threads(workers: int = 1, *, inline: bool = False) -> Iterator[Executor]:
    """A pool of ``workers`` threads for the duration of the block; ``submit``/``map`` on it.

    :param workers: how many pieces of work may run beside the main thread at once.
    :param inline: run each submitted call at once in the calling thread instead (for small
        inputs, where a thread's stack and allocator arenas cost more than it saves).
    """
    if inline:
        yield _Inline()
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kith-helper") as pool:
        yield pool


class _Inline(Executor):
    """An executor that runs each call when it is submitted, in the calling thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by result()
            future.set_exception(exc)
        return future


def call_with_budget(call: Callable[[], Any], seconds: float) -> Any:
    """``call()``'s result, or :data:`TIMED_OUT` when it has not returned within ``seconds``.

    The call runs in a daemon thread: one that never returns (a plugin's ``sniff`` that hangs)
    is left behind and cannot keep kith from exiting. Its exception is raised here.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="kith-budget", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        return TIMED_OUT
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")

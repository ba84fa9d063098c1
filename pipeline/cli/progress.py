"""Progress displays for long commands: on a terminal only, on stderr, gone when the work is done.

Each helper is a context manager yielding the callback a stage takes, or ``None`` when the
display is off (``--json``, ``--quiet``, or stderr is not a terminal): pipes and cron see nothing
extra. Import shows a bar over the bytes of the files to import with an ETA, the file's number and
its stage (with its row count); dedupe a bar over its six stages with what each works on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console


def wanted(*, json_out: bool = False, quiet: bool = False) -> bool:
    """Whether to show progress: not for scripts, and only when stderr is a terminal."""
    return not json_out and not quiet and Console(stderr=True).is_terminal


def _bar(*columns: Any):
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        *columns,
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )


@contextlib.contextmanager
def import_progress(enabled: bool, planned: Sequence[Any]) -> Iterator[Callable[[str, str], None] | None]:
    """``planned``: the run's planned inputs; the bar's total is the bytes of those to import."""
    plans = [p.plan for p in planned if p.plan is not None and p.plan.imports]
    if not enabled or not plans:
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, TimeRemainingColumn

    sizes = {str(plan.path): max(plan.size, 1) for plan in plans}
    order = {path: number for number, path in enumerate(sizes, 1)}
    with _bar(BarColumn(), DownloadColumn(), TimeRemainingColumn()) as bar:
        task = bar.add_task("starting", total=sum(sizes.values()))
        seen: list[str] = []

        def note(path: str, stage: str) -> None:
            if path not in seen:  # a new file: the one before it is done
                if seen and seen[-1] in sizes:
                    bar.advance(task, sizes[seen[-1]])
                seen.append(path)
            number = f" ({order[path]}/{len(sizes)})" if path in order else ""
            bar.update(task, description=f"{Path(path).name}{number}: {stage}", refresh=True)

        yield note


@contextlib.contextmanager
def stage_progress(
    enabled: bool, what: str, stages: Sequence[str]
) -> Iterator[Callable[[str, str], None] | None]:
    """A bar over ``stages``, told ``(stage, detail)`` as each starts."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn

    with _bar(BarColumn(), MofNCompleteColumn()) as bar:
        task = bar.add_task(f"{what}: starting", total=len(stages))

        def tell(stage: str, detail: str) -> None:
            done = stages.index(stage) if stage in stages else 0
            bar.update(task, completed=done, description=f"{what}: {stage} ({detail})", refresh=True)

        yield tell


@contextlib.contextmanager
def status_note(enabled: bool) -> Iterator[Callable[[str], None] | None]:
    """A one-line spinner a run's ``note`` updates (``writing reports: followups (2 of 6)``)."""
    if not enabled:
        yield None
        return
    with Console(stderr=True).status("starting") as status:
        yield status.update

"""Progress display for long stages. Silent by default; the CLI installs a rich progress
bar when it runs in a terminal, so library and Dagster use stay quiet."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

Progress = Callable[[int], None]  # called with the number of items just done
ProgressFactory = Callable[[str, int], contextlib.AbstractContextManager[Callable[[int], None]]]
_factory: ProgressFactory | None = None


def set_factory(factory: ProgressFactory | None) -> None:
    global _factory
    _factory = factory


@contextlib.contextmanager
def task(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """A callable advancing a progress bar by n items (a no-op when none is installed)."""
    if _factory is None or total <= 0:
        yield lambda n: None
        return
    with _factory(description, total) as advance:
        yield advance


@contextlib.contextmanager
def rich_factory(description: str, total: int):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=False) as bar:
        job = bar.add_task(description, total=total)
        yield lambda n: bar.advance(job, n)

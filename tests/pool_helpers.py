"""Picklable stand-ins for the worker pool's tests (a spawned worker imports this module)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NoModel:
    """A pool config that loads nothing."""

    def load(self) -> dict:
        return {}


def refuse(message: str) -> None:
    raise ValueError(message)


@dataclass(frozen=True)
class SlowModel:
    """A pool config whose load takes `seconds`, as a spaCy model's does."""

    seconds: float = 1.0

    def load(self) -> dict:
        import time

        time.sleep(self.seconds)
        return {}


@dataclass(frozen=True)
class BrokenModel:
    """A pool config whose load fails, as a damaged model's does."""

    def load(self) -> dict:
        raise RuntimeError("no model here")


@dataclass(frozen=True)
class WarmedModel:
    """A pool config with a `warm()`, which records the process that ran it."""

    def load(self) -> dict:
        return {}

    def warm(self) -> None:
        import os

        from pipeline.steps import pool

        pool.state()["warmed_by"] = os.getpid()


def warmed_by() -> tuple[int, int | None]:
    """(this worker's pid, the pid of the process that ran its config's `warm()`)."""
    import os

    from pipeline.steps import pool

    return os.getpid(), pool.state().get("warmed_by")

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


def coder_loaded() -> tuple[int, int | None, bool]:
    """(this worker's pid, the pid that loaded its config, whether the stance model and the
    US states' table are loaded already)."""
    import os
    import sys

    from pipeline.stances.decision import default_model
    from pipeline.steps import pool

    return os.getpid(), pool.state().get("loaded_by"), default_model.cache_info().currsize == 1 and "us" in sys.modules

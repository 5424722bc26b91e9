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

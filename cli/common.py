"""What the `stancewire` commands share: error output and opening the data they read."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path


def fail(message: str, code: int = 2) -> int:
    print(f"stancewire: {message}", file=sys.stderr)
    return code


def version_arg(v: str) -> str:
    return v if v.startswith("v") else f"v{v}"


class UsageError(Exception):
    """What the user asked for cannot be read (the message says why)."""


@contextlib.contextmanager
def open_data(args):
    """(connection, description) of the data a command reads, read-only: the release
    `--release` names, else the warehouse."""
    if getattr(args, "release", None):
        from pipeline.release import versions
        from pipeline.storage.views import open_release

        releases = Path(args.releases or os.environ.get("STANCEWIRE_RELEASES") or "data/releases")
        version = version_arg(args.release)
        try:
            versions.read_manifest(releases, version)
        except versions.ReleaseError as e:
            raise UsageError(str(e)) from None
        conn = open_release(releases / version)
        try:
            yield conn, f"release {version}"
        finally:
            conn.close()
        return
    from pipeline.storage.warehouse import Warehouse

    path = Path(getattr(args, "warehouse", None) or os.environ.get("STANCEWIRE_WAREHOUSE") or "data/warehouse.duckdb")
    if not path.is_file():
        raise UsageError(f"no warehouse at {path}: run `stancewire run` first, or pass --warehouse / --release")
    with Warehouse(path).connect(read_only=True) as conn:
        yield conn, str(path)

"""What the `stancewire` commands share: error output and opening the data they read."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from pipeline.settings import DEFAULT_DAGSTER_HOME


def fail(message: str, code: int = 2) -> int:
    print(f"stancewire: {message}", file=sys.stderr)
    return code


CURRENT_NAMES = ("latest", "current")  # what `--release` takes for the current release


def version_arg(v: str, releases: Path | None = None) -> str:
    """A version as its folder is named ("1.2.0" -> "v1.2.0"); "latest" or "current" is the
    current release of `releases` (refused when it has none)."""
    if v.lower() in CURRENT_NAMES and releases is not None:
        from pipeline.release import versions

        current = versions.current_version(releases)
        if current is None:
            raise UsageError(
                f"no release published in {releases}: give --releases the folder `stancewire run` published to"
            )
        return current
    return v if v.startswith("v") else f"v{v}"


class UsageError(Exception):
    """What the user asked for cannot be read (the message says why)."""


@contextlib.contextmanager
def open_data(args):
    """(connection, description) of the data a command reads, read-only: the release
    `--release` names ("latest": the current one), else the warehouse. A releases folder
    given with neither `--release` nor `--warehouse` is read as its current release: a user
    who points at a folder of releases means them, not the default warehouse."""
    release = getattr(args, "release", None)
    if not release and getattr(args, "releases", None) and not getattr(args, "warehouse", None):
        release = "latest"
    if release:
        from pipeline.release import versions
        from pipeline.storage.views import open_release

        releases = Path(args.releases or os.environ.get("STANCEWIRE_RELEASES") or "data/releases")
        if not releases.is_dir():
            raise UsageError(f"no releases folder {releases}: give --releases the folder `stancewire run` published to")
        version = version_arg(release, releases)
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


def dagster_home(path: str | None) -> Path:
    """The Dagster instance folder a command uses: `path`, else $DAGSTER_HOME, else the default."""
    return Path(path or os.environ.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).resolve()


def peek_warehouse(warehouse: Path, read):
    """read(connection) on the warehouse opened read-only, without waiting: None when there is
    no file, when another stancewire run holds it (a writer is never disturbed; the run will
    wait for it) or when its tables are not there yet."""
    if not warehouse.is_file():
        return None
    import duckdb

    from pipeline.storage.warehouse import Warehouse, WarehouseBusy

    try:
        with Warehouse(warehouse).hold(wait=False):
            conn = duckdb.connect(str(warehouse), read_only=True)
            try:
                return read(conn)
            finally:
                conn.close()
    except (WarehouseBusy, duckdb.Error):
        return None

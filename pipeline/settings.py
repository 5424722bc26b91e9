"""A run's settings resolved without Dagster: defaults, then STANCEWIRE_* environment
variables, then explicit overrides. `assets.resources.StancewireSettings` (the Dagster
resource every asset reads) is built from these values; `stancewire run` resolves them
first so that it can start its worker processes before it imports Dagster."""

import os
import re
from pathlib import Path

from pipeline.nlp.model import DEFAULT_MODEL, MODEL_ENV
from pipeline.text.language import parse_codes

DEFAULT_INPUT = "data/raw"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"
DEFAULT_RELEASES = "data/releases"
DEFAULT_CODEBOOKS = "data/codebooks"
DEFAULT_INBOX = "data/inbox"
DEFAULT_CORRECTIONS = "data/corrections"
DEFAULT_DAGSTER_HOME = "data/dagster"  # the Dagster instance `stancewire run` and `dagster dev` share
DEFAULTS = {
    "input_dir": DEFAULT_INPUT,
    "batch_id": "",  # the input folder's name
    "warehouse": DEFAULT_WAREHOUSE,
    "releases_dir": DEFAULT_RELEASES,
    "staging_dir": "",  # the warehouse's own: "<warehouse file>.staging" beside it
    "parse_cache_dir": "",  # shared: "parse-cache" beside the warehouse file
    "inbox_dir": DEFAULT_INBOX,  # the sensor watches it: each sub-folder is a batch
    "corrections_dir": "",  # default: the warehouse's own (`corrections_root`)
    "codebooks": [],  # every .yaml file in data/codebooks
    "languages": [],  # ISO 639-1 codes of the articles taken; default: the spaCy model's language
    "spacy_model": DEFAULT_MODEL,
    "batch_size": 64,
    "n_process": "auto",  # usable cores, bounded by memory (`auto_processes`); the steps bound it by work
    # How long a run waits for the warehouse (`--wait`): for another stancewire run (its lock
    # file) and for any other process holding DuckDB's lock on the file (a reader's session).
    "lock_timeout_s": 600.0,
    "publish": True,
    # publish into a releases folder whose current version another warehouse published
    # (refused otherwise: the new version would silently hold only this warehouse's data)
    "adopt_releases": False,
}
ENV = {
    "input_dir": "STANCEWIRE_INPUT",
    "batch_id": "STANCEWIRE_BATCH",
    "warehouse": "STANCEWIRE_WAREHOUSE",
    "releases_dir": "STANCEWIRE_RELEASES",
    "codebooks": "STANCEWIRE_CODEBOOKS",
    "languages": "STANCEWIRE_LANGUAGES",
    "spacy_model": MODEL_ENV,
    "n_process": "STANCEWIRE_N_PROCESS",
    "staging_dir": "STANCEWIRE_STAGING",
    "parse_cache_dir": "STANCEWIRE_PARSE_CACHE",
    "inbox_dir": "STANCEWIRE_INBOX",
    "corrections_dir": "STANCEWIRE_CORRECTIONS",
    "lock_timeout_s": "STANCEWIRE_WAIT",
}


def resolve(**overrides) -> dict:
    """Every setting: its default, overridden by its STANCEWIRE_* variable, then by an
    override that is not None or empty."""
    values = {k: list(v) if isinstance(v, list) else v for k, v in DEFAULTS.items()}
    for field, var in ENV.items():
        raw = os.environ.get(var)
        if raw:
            values[field] = [p for p in raw.split(os.pathsep) if p] if field == "codebooks" else raw
    given = {k: v for k, v in overrides.items() if v not in (None, [], "")}
    values.update(given)

    def source(field: str, flag: str) -> str:  # what an error names: the flag, or the variable that was set
        return flag if field in given or not os.environ.get(ENV.get(field, "")) else f"${ENV[field]}"

    values["languages"] = parse_codes(values["languages"])  # "en,de" from the environment or the command line
    values["n_process"] = processes(values["n_process"], source("n_process", "--n-process"))
    values["lock_timeout_s"] = wait_seconds(values["lock_timeout_s"], source("lock_timeout_s", "--wait"))
    if not (isinstance(values["batch_size"], int) and values["batch_size"] >= 1):
        raise ValueError(f"--batch-size must be a positive number of texts, not {values['batch_size']!r}")
    return values


def batch_name(raw: str) -> str:
    """A batch id safe anywhere (path, SQL, partition key): letters, digits, '.', '_', '-',
    at most 64 characters. Other letters are transliterated (anyascii: "Ärzte" -> "Arzte",
    "Новости" -> "Novosti", "新闻" -> "XinWen"), so a folder's name still tells its batch."""
    from anyascii import anyascii

    name = re.sub(r"[^A-Za-z0-9._-]+", "-", anyascii(raw)).strip(".-") or "batch"
    return name[:64]


def warehouse_problem(path: str | Path) -> str | None:
    """Why `path` cannot be a working warehouse, for the user before a run starts (a folder,
    a file that is not a DuckDB database, a folder that cannot be made), or None. A missing
    file is fine: the run creates it (and its folders; nothing is made here)."""
    path = Path(path)
    if path.is_dir():
        return f"the warehouse {path} is a folder; --warehouse takes a DuckDB file (e.g. {path / 'warehouse.duckdb'})"
    if path.exists():
        try:
            with open(path, "rb") as f:
                head = f.read(12)
        except OSError as e:
            return f"the warehouse {path} cannot be read ({e.strerror or e})"
        if head[8:12] != DUCKDB_MAGIC:
            return (
                f"the warehouse {path} exists but is not a DuckDB database file; give another path, or move "
                f"that file away if it was left by something else"
            )
        return None
    parent = path.parent
    while not parent.exists() and parent != parent.parent:  # the run makes the missing folders
        parent = parent.parent
    if not parent.is_dir():
        return f"the warehouse's folder {path.parent} cannot be created: {parent} is a file"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"the warehouse's folder {path.parent} cannot be created or written: {parent} is not writable"
    return None


DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


def wait_seconds(value, name: str = "--wait") -> float:
    """The wait for the warehouse (`--wait`, $STANCEWIRE_WAIT): seconds, 0 or more. `name`:
    where the value came from, for the error."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number of seconds, not {value!r}") from None
    if not seconds >= 0:  # also NaN
        raise ValueError(f"{name} must be 0 seconds or more, not {value!r}")
    return seconds


# What `auto` budgets per process: a spaCy worker's and the run's peaks (docs/scaling.md,
# "Figures behind the code's choices"), with headroom.
WORKER_MEMORY_MB = 600
RUN_MEMORY_MB = 1200


def processes(value, name: str = "--n-process") -> int:
    """The spaCy process count of a setting: a positive number, or "auto" (also 0). `name`:
    where the value came from, for the error."""
    if isinstance(value, str):
        if value.strip().lower() == "auto":
            return auto_processes()
        try:
            value = int(value)
        except ValueError:
            raise ValueError(f"{name} must be a positive number or 'auto' (0 means 'auto'), not {value!r}") from None
    if value == 0:
        return auto_processes()
    if value < 0:
        raise ValueError(f"{name} must be a positive number or 'auto' (0 means 'auto'), not {value}")
    return value


def memory_limit_problem() -> str | None:
    """Why $STANCEWIRE_DUCKDB_MEMORY is not a memory size DuckDB takes ("1GB", "512MB"),
    asked of DuckDB itself before a run opens the warehouse with it; None when it is one or
    is not set."""
    from pipeline.storage.warehouse import MEMORY_LIMIT_ENV

    value = os.environ.get(MEMORY_LIMIT_ENV)
    if not value:
        return None
    import duckdb

    with duckdb.connect(":memory:") as conn:
        try:
            conn.execute("SET memory_limit = ?", [value])
        except duckdb.Error as e:
            reason = str(e).split("\n")[0].split(": ", 1)[-1]
            return f"${MEMORY_LIMIT_ENV} is not a memory size DuckDB takes, such as 1GB or 512MB ({value!r}: {reason})"
    return None


def auto_processes() -> int:
    """The cores this process may use (affinity mask and cgroup CPU quota), as many as the
    available memory (and the cgroup's limit) can hold workers. How much there is to parse
    bounds it further, in the steps: a 5-article run loads one model."""
    cores = usable_cores()
    memory = available_memory_mb()
    if memory is not None:
        cores = min(cores, max(1, (memory - RUN_MEMORY_MB) // WORKER_MEMORY_MB))
    return max(1, cores)


def usable_cores() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    try:  # a container's CPU quota (cgroup v2): "max 100000" or "200000 100000"
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, -(-int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return cores


def available_memory_mb() -> int | None:
    """MemAvailable (Linux), lowered to what the cgroup's memory limit leaves; None elsewhere."""
    try:
        info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line)
        available = int(info["MemAvailable"].split()[0]) // 1024
    except (OSError, KeyError, ValueError):
        return None
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit != "max":
            used = int(Path("/sys/fs/cgroup/memory.current").read_text())
            available = min(available, (int(limit) - used) // 2**20)
    except (OSError, ValueError):
        pass
    return available


def staging_root(warehouse: str, staging_dir: str = "") -> Path:
    """The warehouse's staging folder: `staging_dir`, else "<warehouse file>.staging"
    beside the warehouse file (its batches are this warehouse's alone)."""
    from pipeline.storage.staging import default_root

    return Path(staging_dir) if staging_dir else default_root(warehouse)


def corrections_root(warehouse: str, corrections_dir: str = "") -> Path:
    """The coders' corrections a warehouse applies (`stancewire review apply` writes them):
    `corrections_dir`, else the warehouse's own beside its file: `corrections` beside a file
    named warehouse.duckdb (data/corrections for the default data/warehouse.duckdb),
    "<warehouse file>.corrections" beside any other. Verdicts on one warehouse's statements
    never reach another's unless a folder is named."""
    if corrections_dir:
        return Path(corrections_dir)
    path = Path(warehouse)
    return path.with_name("corrections" if path.name == "warehouse.duckdb" else path.name + ".corrections")


def parse_cache_root(warehouse: str, parse_cache_dir: str = "") -> Path:
    """The parse cache: `parse_cache_dir`, else "parse-cache" beside the warehouse file.
    Parses are keyed by model and text hash, so warehouses may share it."""
    return Path(parse_cache_dir or Path(warehouse).with_name("parse-cache"))


def staging_for(values: dict):
    """The `Staging` of a run's settings (staging folder, parse cache, warehouse)."""
    from pipeline.storage.staging import Staging

    return Staging(
        staging_root(values["warehouse"], values.get("staging_dir", "")),
        parse_cache_root(values["warehouse"], values.get("parse_cache_dir", "")),
        values["warehouse"],
    )


def codebook_paths(codebooks: list[str]) -> list[Path]:
    """The codebook files: those named, else every .yaml/.yml file in data/codebooks."""
    if codebooks:  # the same file named twice is one codebook
        return list({Path(p).resolve(): Path(p) for p in codebooks}.values())
    folder = Path(DEFAULT_CODEBOOKS)
    return sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))

"""A run's settings resolved without Dagster: defaults, then STANCEWIRE_* environment
variables, then explicit overrides. `assets.resources.StancewireSettings` (the Dagster
resource every asset reads) is built from these values; `stancewire run` resolves them
first so that it can start its worker processes before it imports Dagster."""

import os
from pathlib import Path

from .nlp import DEFAULT_MODEL, MODEL_ENV

DEFAULT_INPUT = "data/raw"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"
DEFAULT_RELEASES = "data/releases"
DEFAULT_CODEBOOKS = "data/codebooks"
DEFAULT_INBOX = "data/inbox"
DEFAULTS = {
    "input_dir": DEFAULT_INPUT,
    "batch_id": "",  # the input folder's name
    "warehouse": DEFAULT_WAREHOUSE,
    "releases_dir": DEFAULT_RELEASES,
    "staging_dir": "",  # "staging" beside the warehouse file
    "inbox_dir": DEFAULT_INBOX,  # the sensor watches it: each sub-folder is a batch
    "codebooks": [],  # every .yaml file in data/codebooks
    "spacy_model": DEFAULT_MODEL,
    "batch_size": 64,
    "n_process": 1,
    "lock_timeout_s": 600.0,
    "publish": True,
}
ENV = {
    "input_dir": "STANCEWIRE_INPUT",
    "batch_id": "STANCEWIRE_BATCH",
    "warehouse": "STANCEWIRE_WAREHOUSE",
    "releases_dir": "STANCEWIRE_RELEASES",
    "codebooks": "STANCEWIRE_CODEBOOKS",
    "spacy_model": MODEL_ENV,
    "n_process": "STANCEWIRE_N_PROCESS",
    "staging_dir": "STANCEWIRE_STAGING",
    "inbox_dir": "STANCEWIRE_INBOX",
}


def resolve(**overrides) -> dict:
    """Every setting: its default, overridden by its STANCEWIRE_* variable, then by an
    override that is not None or empty."""
    values = {k: list(v) if isinstance(v, list) else v for k, v in DEFAULTS.items()}
    for field, var in ENV.items():
        raw = os.environ.get(var)
        if raw:
            values[field] = [p for p in raw.split(os.pathsep) if p] if field == "codebooks" else (
                int(raw) if field == "n_process" else raw)
    values.update({k: v for k, v in overrides.items() if v not in (None, [], "")})
    return values


def staging_root(warehouse: str, staging_dir: str = "") -> Path:
    """The staging folder: `staging_dir`, else "staging" beside the warehouse file."""
    return Path(staging_dir or Path(warehouse).with_name("staging"))


def codebook_paths(codebooks: list[str]) -> list[Path]:
    """The codebook files: those named, else every .yaml/.yml file in data/codebooks."""
    if codebooks:
        return [Path(p) for p in codebooks]
    folder = Path(DEFAULT_CODEBOOKS)
    return sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))

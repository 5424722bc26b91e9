"""Run settings shared by every asset, as one typed Dagster resource."""

import os
import re
from pathlib import Path

import dagster as dg

from pipeline.nlp import DEFAULT_MODEL, MODEL_ENV

DEFAULT_INPUT = "data/raw"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"
DEFAULT_RELEASES = "data/releases"
DEFAULT_CODEBOOKS = "data/codebooks"
DEFAULT_INBOX = "data/inbox"
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


class StancewireSettings(dg.ConfigurableResource):
    """Where the pipeline reads and writes, and how it parses. Paths are relative to the
    working directory (the repository root for `dagster dev -w workspace.yaml`)."""

    input_dir: str = DEFAULT_INPUT
    batch_id: str = ""  # default: the input folder's name
    warehouse: str = DEFAULT_WAREHOUSE
    releases_dir: str = DEFAULT_RELEASES
    staging_dir: str = ""  # default: "staging" beside the warehouse file
    inbox_dir: str = DEFAULT_INBOX  # the sensor watches it: each sub-folder is a batch
    codebooks: list[str] = []  # default: every .yaml file in data/codebooks
    spacy_model: str = DEFAULT_MODEL
    batch_size: int = 64
    n_process: int = 1
    lock_timeout_s: float = 600.0
    publish: bool = True

    @classmethod
    def from_env(cls, **overrides) -> "StancewireSettings":
        """Defaults, overridden by STANCEWIRE_* environment variables, then by `overrides`."""
        values = {}
        for field, var in ENV.items():
            raw = os.environ.get(var)
            if raw:
                values[field] = [p for p in raw.split(os.pathsep) if p] if field == "codebooks" else (
                    int(raw) if field == "n_process" else raw)
        values.update({k: v for k, v in overrides.items() if v not in (None, [], "")})
        return cls(**values)

    @property
    def staging(self):
        from pipeline.staging import Staging

        return Staging(self.staging_dir or Path(self.warehouse).with_name("staging"))

    @property
    def input_path(self) -> Path:
        return Path(self.input_dir)

    @property
    def resolved_batch_id(self) -> str:
        return batch_name(self.batch_id or self.input_path.resolve().name)

    def codebook_paths(self) -> list[Path]:
        if self.codebooks:
            return [Path(p) for p in self.codebooks]
        folder = Path(DEFAULT_CODEBOOKS)
        return sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))


def batch_name(raw: str) -> str:
    """A batch id safe anywhere (path, SQL, partition key): letters, digits, '.', '_', '-'."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", raw).strip(".-") or "batch"
    return name[:64]

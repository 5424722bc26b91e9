"""What a release's manifest says of the stance model, read without loading the model.

The release step wrote the model's method, threshold and training info into the manifest by
parsing the whole 1 MB model file: 0.3 s of the run's own process in every run, the
incremental and re-code runs included. `model_summary` keeps those fields in the user's
cache folder (`pipeline.nlp.derived_cache`); `stancewire prepare` builds the entry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pipeline.stances import decision


@dataclass(frozen=True)
class ModelSummary:
    """The fields of a `decision.StanceModel` that `decision.provenance` reads."""

    method: str
    threshold: float
    info: dict
    sha256: str  # of the model file


def model_summary(path: Path | None = None) -> ModelSummary:
    """The summary of the model file at `path` (the shipped model by default), from the
    cache folder when an entry for the file's path, size and modification time is there.
    The file's SHA-256 (a few ms) is checked against the entry's, so a model replaced by
    another of the same size and time (a copy that keeps times) is read afresh."""
    from pipeline.nlp.derived_cache import cached_json

    path = Path(path or decision.MODEL_PATH)
    try:
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        raise decision.ModelError(f"{path}: no stance model there (`stancewire train stance` writes one)") from None

    def build() -> dict:
        model = decision.StanceModel.load(path)
        return {"method": model.method, "threshold": model.threshold, "info": model.info, "sha256": sha256}

    fields = cached_json("stance_model", [path, Path(decision.__file__), Path(__file__)], build)
    if fields.get("sha256") != sha256:
        fields = build()
    return ModelSummary(**fields)

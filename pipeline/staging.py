"""Files that per-batch work writes and the single loading step reads.

DuckDB allows one writer, so the per-batch (partitioned) stages never touch the
warehouse: they write Parquet parts under `<staging>/batches/<batch>/<table>/` and spaCy
parses under `<staging>/parses/<model>/`, keyed by the SHA-256 of the parsed text (a text
is parsed once, whichever batch brings it). Every file is written to a temporary name
and renamed into place, so a killed run leaves whole files or none.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import polars as pl

BATCH_MANIFEST = "batch.json"


class Staging:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    # ------------------------------------------------------------------ batches

    def batch_dir(self, batch_id: str) -> Path:
        return self.root / "batches" / batch_id

    def batches(self) -> list[str]:
        """Batches whose files are complete (their manifest is written last)."""
        base = self.root / "batches"
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if (p / BATCH_MANIFEST).is_file())

    def parts(self, batch_id: str, table: str) -> list[Path]:
        folder = self.batch_dir(batch_id) / table
        return sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []

    def all_parts(self, table: str, batches: list[str] | None = None) -> list[Path]:
        return [p for b in (batches if batches is not None else self.batches()) for p in self.parts(b, table)]

    def start_stage(self, batch_id: str, tables: list[str]) -> None:
        """Forget a batch's earlier output of these tables (the stage is written anew)."""
        for table in tables:
            shutil.rmtree(self.batch_dir(batch_id) / table, ignore_errors=True)

    def write_part(self, batch_id: str, table: str, frame: pl.DataFrame, part: int) -> Path:
        folder = self.batch_dir(batch_id) / table
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / f"part-{part:05d}.parquet"
        tmp = folder / f".{final.name}.{uuid.uuid4().hex}"
        frame.write_parquet(tmp, compression="zstd", statistics=True)
        os.replace(tmp, final)
        return final

    def read_manifest(self, batch_id: str) -> dict | None:
        path = self.batch_dir(batch_id) / BATCH_MANIFEST
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def write_manifest(self, batch_id: str, manifest: dict) -> None:
        folder = self.batch_dir(batch_id)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{BATCH_MANIFEST}.{uuid.uuid4().hex}"
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, folder / BATCH_MANIFEST)

    # ------------------------------------------------------------------ parses

    def parse_path(self, model: str, text_sha256: str) -> Path:
        return self.root / "parses" / model / text_sha256[:2] / f"{text_sha256}.spacy"

    def has_parse(self, model: str, text_sha256: str) -> bool:
        return self.parse_path(model, text_sha256).is_file()

    def write_parse(self, model: str, text_sha256: str, data: bytes) -> None:
        final = self.parse_path(model, text_sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex}")
        tmp.write_bytes(data)
        os.replace(tmp, final)

    def read_parse(self, model: str, text_sha256: str) -> bytes:
        return self.parse_path(model, text_sha256).read_bytes()

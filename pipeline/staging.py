"""Files that per-batch work writes and the single loading step reads.

DuckDB allows one writer, so the per-batch (partitioned) stages never touch the
warehouse: they write Parquet parts under `<staging>/batches/<batch>/<table>/` and spaCy
parses under `<staging>/parses/<model>/`, keyed by the SHA-256 of the parsed text (a text
is parsed once, whichever batch brings it). Every file is written to a temporary name
and renamed into place, so a killed run leaves whole files or none.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import polars as pl

BATCH_MANIFEST = "batch.json"
_SAFE_BATCH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")


class Staging:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    # ------------------------------------------------------------------ batches

    def batch_dir(self, batch_id: str) -> Path:
        # Batch ids become folder names: only the names `batch_name` makes (a partition key
        # typed in the UI could be "../x").
        if not _SAFE_BATCH.fullmatch(batch_id):
            raise ValueError(f"batch id {batch_id!r} is not a safe folder name (letters, digits, '.', '_', '-'; "
                             f"not starting with '.' or '-')")
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

    # ------------------------------------------------------------------ locks

    def lock(self, batch_id: str):
        """Held while a batch is written (stages) or read (the loader): two runs of the same
        batch never interleave, and the loader never reads a batch being rewritten. A file
        lock, so it holds across processes on one machine (and on file systems whose locks
        work across machines); elsewhere one run per partition is Dagster's job (docs/scaling.md)."""
        from filelock import FileLock

        self.batch_dir(batch_id)  # refuses unsafe ids
        folder = self.root / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        return FileLock(str(folder / f"{batch_id}.lock"))

    @contextlib.contextmanager
    def locked_batches(self) -> Iterator[list[str]]:
        """The complete batches, each locked (in name order) until the block ends."""
        base = self.root / "batches"
        names = sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []
        with contextlib.ExitStack() as stack:
            for name in list(names):
                try:
                    stack.enter_context(self.lock(name))
                except ValueError:  # not a batch folder name: never loaded
                    names.remove(name)
            yield [b for b in self.batches() if b in set(names)]

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

"""Files that per-batch work writes and the single loading step reads.

DuckDB allows one writer, so the per-batch (partitioned) stages never touch the
warehouse: they write Parquet parts under `<staging>/batches/<batch>/<table>/` and spaCy
parses under `<parse cache>/<model>/`, keyed by the SHA-256 of the parsed text (a text
is parsed once, whichever batch brings it). Every file is written to a temporary name
and renamed into place, so a killed run leaves whole files or none.

A staging folder belongs to one warehouse (by default `<warehouse file>.staging` beside
it): its `warehouse.json` names the warehouse's id (kept inside the DuckDB file) and path,
and the loader refuses a staging folder made for another warehouse, so a warehouse never
loads a batch it was not given. The parse cache holds no batch and may be shared (by
default `parse-cache` beside the warehouse file, shared by the warehouses of that folder).
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

from pipeline.storage.polars_schemas import STAGED

BATCH_MANIFEST = "batch.json"
# Where a batch was last staged from (not in files.json: moving a folder is no reason to
# annotate its batch again, and files.json feeds the annotation's fingerprint).
SOURCE_FILE = "source.json"
# Written by the loader beside a batch it found damaged inside (its footers read, a part's
# rows do not): the next staging of the batch is not skipped, and removes it.
DAMAGED_FILE = "damaged.json"
OWNER_FILE = "warehouse.json"  # which warehouse this staging folder's batches are for
_SAFE_BATCH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")


def default_root(warehouse: str | Path) -> Path:
    """A warehouse's own staging folder: `<warehouse file>.staging` beside it."""
    return Path(warehouse).with_name(Path(warehouse).name + ".staging")


class ParseCache:
    """spaCy parses (DocBin bytes) by model, parser libraries and text SHA-256:
    `<root>/<model>/<engine>/<sha[:2]>/<sha>.spacy`, where the engine names the installed
    spaCy, thinc and the other `PARSER_LIBRARIES` (`parser_engine`): after an upgrade of any
    of them, texts are parsed again."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, model: str, text_sha256: str) -> Path:
        from pipeline.nlp.model import parser_engine

        return self.root / model / parser_engine() / text_sha256[:2] / f"{text_sha256}.spacy"

    def has(self, model: str, text_sha256: str) -> bool:
        return self.path(model, text_sha256).is_file()

    def write(self, model: str, text_sha256: str, data: bytes) -> None:
        final = self.path(model, text_sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex}")
        tmp.write_bytes(data)
        os.replace(tmp, final)

    def read(self, model: str, text_sha256: str) -> bytes:
        return self.path(model, text_sha256).read_bytes()


class StagingMismatch(RuntimeError):
    """The staging folder's batches were staged for another warehouse, or are missing."""


class Staging:
    """A warehouse's staging folder (`root`) and the parse cache (`parses`, by default in
    `root/parses`). `warehouse`: the file the batches are staged for (checked by
    `check_writer` before a stage writes; the loader checks by id, `claim`)."""

    def __init__(self, root: str | Path, parses_root: str | Path | None = None, warehouse: str | Path | None = None):
        self.root = Path(root)
        self.parses = ParseCache(parses_root or self.root / "parses")
        self.warehouse = Path(warehouse) if warehouse else None

    # ------------------------------------------------------------------ owner

    def read_owner(self) -> dict | None:
        return read_owner(self.root)

    def write_owner(self, warehouse_id: str | None, warehouse_path: Path) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{OWNER_FILE}.{uuid.uuid4().hex}"
        tmp.write_text(
            json.dumps({"warehouse_id": warehouse_id, "warehouse": str(Path(warehouse_path).resolve())}, indent=1),
            encoding="utf-8",
        )
        os.replace(tmp, self.root / OWNER_FILE)

    def check_writer(self) -> None:
        """Before a per-batch stage writes (it cannot open the warehouse: DuckDB has one
        writer): a folder without an owner becomes this warehouse's, by path until the loader
        adds the warehouse's id; a folder set explicitly that belongs to another warehouse is
        refused. A warehouse's default folder is its own (copied or moved along with it);
        a recorded warehouse that is gone was moved or renamed: the loader checks its id."""
        if self.warehouse is None:
            return
        owner, mine = read_owner(self.root), self.warehouse.resolve()
        if owner is None:
            self.write_owner(None, mine)
            return
        recorded = Path(owner["warehouse"])
        if recorded == mine or self.root.resolve() == default_root(self.warehouse).resolve():
            return
        if owner["warehouse_id"] is None or recorded.is_file():
            raise StagingMismatch(self._not_yours(owner))

    def claim(self, warehouse_id: str, loaded_batches: list[str]) -> None:
        """In the loader, before it reads a batch: make sure this folder's batches were staged
        for this warehouse, or raise StagingMismatch. `warehouse_id` is kept inside the DuckDB
        file, so a warehouse moved or renamed together with its folder is recognised; a new
        warehouse file is never given the batches of an earlier one at the same path."""
        owner, mine = read_owner(self.root), self.warehouse.resolve() if self.warehouse else None
        if owner is not None and owner["warehouse_id"] == warehouse_id:
            if mine is not None and Path(owner["warehouse"]) != mine:  # moved or renamed with its staging
                self.write_owner(warehouse_id, mine)
            return
        staged_for_me = owner is None or (owner["warehouse_id"] is None and Path(owner["warehouse"]) == mine)
        if not staged_for_me:
            raise StagingMismatch(self._not_yours(owner))
        missing = sorted(set(loaded_batches) - set(self.batches()))
        if loaded_batches and missing:
            raise StagingMismatch(
                f"the warehouse {self.warehouse} has loaded batches ({', '.join(missing[:5])}"
                f"{', ...' if len(missing) > 5 else ''}) that its staging folder {self.root} does not hold; "
                + _where_it_is(self, warehouse_id)
            )
        if mine is not None:
            self.write_owner(warehouse_id, mine)

    def _not_yours(self, owner: dict) -> str:
        if self.warehouse is not None and Path(owner["warehouse"]) == self.warehouse.resolve():
            return (
                f"staging folder {self.root} holds the batches of an earlier warehouse file at {self.warehouse} "
                f"(deleted or replaced since); this warehouse was not given them. Delete the folder to start "
                f"afresh (it holds only staged batches), or put that warehouse file back"
            )
        return (
            f"staging folder {self.root} holds the batches of the warehouse {owner['warehouse']}, not of "
            f"{self.warehouse or 'this warehouse'}: a warehouse loads only the batches staged for it. Give each "
            f"warehouse its own staging folder (the default is <warehouse file>.staging beside it; "
            f"unset STANCEWIRE_STAGING or set another one)"
        )

    # ------------------------------------------------------------------ batches

    def batch_dir(self, batch_id: str) -> Path:
        # Batch ids become folder names: only the names `batch_name` makes (a partition key
        # typed in the UI could be "../x").
        if not _SAFE_BATCH.fullmatch(batch_id):
            raise ValueError(
                f"batch id {batch_id!r} is not a safe folder name (letters, digits, '.', '_', '-'; "
                f"not starting with '.' or '-')"
            )
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

    def source_folder(self, batch_id: str) -> str | None:
        """The input folder the batch was last staged from (`SOURCE_FILE`), or None."""
        try:
            return json.loads((self.batch_dir(batch_id) / SOURCE_FILE).read_text(encoding="utf-8"))["input_dir"]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def unreadable_parts(self, batch_id: str, tables: list[str], whole: bool = False) -> list[tuple[Path, str]]:
        """(part, why) for each staged Parquet part of these tables that cannot be read (a file
        truncated or overwritten outside stancewire): its footer, or with `whole` every row
        of it (a file damaged inside). A stage with one is staged again rather than skipped
        (footers: that check runs at every run), and the loader, reading each part whole,
        refuses such a batch before changing anything."""
        bad = []
        for table in tables:
            for part in self.parts(batch_id, table):
                try:
                    pl.read_parquet(part) if whole else pl.read_parquet_schema(part)
                except Exception as e:  # polars raises its own errors and OSError alike
                    bad.append((part, str(e).splitlines()[0][:200] if str(e) else type(e).__name__))
        return bad

    def mark_damaged(self, batch_id: str, part: Path, why: str) -> None:
        (self.batch_dir(batch_id) / DAMAGED_FILE).write_text(
            json.dumps({"part": str(part), "why": why}), encoding="utf-8"
        )

    def damaged(self, batch_id: str) -> bool:
        """Whether the loader found the batch damaged since it was last staged."""
        return (self.batch_dir(batch_id) / DAMAGED_FILE).is_file()

    def clear_damaged(self, batch_id: str) -> None:
        (self.batch_dir(batch_id) / DAMAGED_FILE).unlink(missing_ok=True)

    def all_parts(self, table: str, batches: list[str] | None = None) -> list[Path]:
        return [p for b in (batches if batches is not None else self.batches()) for p in self.parts(b, table)]

    def start_stage(self, batch_id: str, tables: list[str]) -> None:
        """Forget a batch's earlier output of these tables (the stage is written anew)."""
        for table in tables:
            shutil.rmtree(self.batch_dir(batch_id) / table, ignore_errors=True)

    def write_part(self, batch_id: str, table: str, rows: list, part: int) -> Path:
        """Write `rows` (tuples or dicts) as part `part` of the batch's staged `table`, typed
        by `polars_schemas.STAGED`; atomically (a part is complete or absent)."""
        frame = pl.DataFrame(rows, schema=STAGED[table], orient="row")
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


def read_owner(root: Path) -> dict | None:
    """A staging folder's owner: {"warehouse_id": id or None before the first load, "warehouse": path}."""
    path = Path(root) / OWNER_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _where_it_is(staging: Staging, warehouse_id: str) -> str:
    """What to do about a warehouse whose staging folder is not beside it: the folder of
    the same warehouse found beside this one (renamed: move it; the warehouse was copied
    and the original still uses it: copy it), else the general advice."""
    for candidate in sorted(staging.root.parent.glob("*.staging")):
        owner = read_owner(candidate)
        if candidate != staging.root and owner and owner.get("warehouse_id") == warehouse_id:
            if Path(owner["warehouse"]).is_file():  # the original still uses it: this file is a copy
                return f"they are in {candidate}, which {owner['warehouse']} still uses: copy it to {staging.root}"
            return f"they are in {candidate}: move it to {staging.root}"
    return (
        f"if the warehouse file was moved or renamed, move its staging folder along with it (to {staging.root}); "
        f"a warehouse made by an older stancewire (one staging/ folder for all) cannot be loaded: run its "
        f"input folders again into a new warehouse"
    )

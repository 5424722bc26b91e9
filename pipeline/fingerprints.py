"""What stancewire's stored work depends on, as fingerprints: its own code (each asset's
code version in Dagster, the key of staged batches, parses and codings), the release
schema (a change is a major version), a release's input, and a statement's coding (model,
code, codebooks).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pipeline.schema import schema_fingerprint_source


def schema_fingerprint() -> str:
    return hashlib.sha256(json.dumps(schema_fingerprint_source(), sort_keys=True).encode()).hexdigest()


def code_fingerprint() -> str:
    """SHA-256 over stancewire's own source and resource files (not the environment)."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for package in ("pipeline", "assets", "expectations"):
        base = root / package
        for path in sorted(base.rglob("*")):
            if (
                path.is_file()
                and path.suffix in (".py", ".txt", ".tsv", ".yaml", ".sql", ".json")
                and "__pycache__" not in path.parts
            ):
                h.update(path.relative_to(root).as_posix().encode())
                h.update(path.read_bytes())
    return h.hexdigest()


def code_version() -> str:
    """The short code fingerprint: each asset's code version in Dagster, and the key of
    stored parses and codings."""
    return code_fingerprint()[:12]


def row_hash_sql(columns) -> str:
    """SQL: DuckDB's hash of a row over the named columns (the same value as
    `hash(*COLUMNS(*))` when they are all of them, in order)."""
    return "hash(" + ", ".join(f'"{c}"' for c in columns) + ")"


def table_content(conn, table: str) -> str:
    """Row count and the sum of row hashes: a changed, added or removed row changes it (the
    validation cache and the release's file reuse both key on it)."""
    rows, total = conn.execute(f'SELECT count(*), sum(hash(*COLUMNS(*))) FROM "{table}"').fetchall()[0]
    return f"{rows}:{total}"


def input_fingerprint(conn) -> str:
    h = hashlib.sha256()
    for row in conn.execute(
        "SELECT batch_id, source_file, record_no, record_sha256 FROM raw_articles "
        "ORDER BY batch_id, source_file, record_no"
    ).fetchall():
        h.update(json.dumps(row).encode())
    for row in conn.execute(
        "SELECT batch_id, source_file, record_no, reason FROM rejected_articles "
        "ORDER BY batch_id, source_file, record_no"
    ).fetchall():
        h.update(json.dumps(row).encode())
    return h.hexdigest()


def coding_fingerprint(model_name: str, code_fp: str, codebooks) -> str:
    """What a statement depends on besides its article: model, stancewire's code, codebooks."""
    from pipeline.nlp.model import model_id_for

    return hashlib.sha256(
        json.dumps([model_id_for(model_name), code_fp, [(b.name, b.sha256) for b in codebooks]]).encode()
    ).hexdigest()

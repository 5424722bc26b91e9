"""A release's DuckDB file (`<releases>/vX.Y.Z/stancewire.duckdb`): what researchers open.

The working warehouse belongs to the pipeline (one writer; loaded but unvalidated rows
mid-run). Readers open a published version instead: one DuckDB file per version, written
into the release's staging folder from the release's own Parquet files, so it holds the
rows the Great Expectations gate passed and nothing else:

- every released table, with the schema's types, NOT NULL, and the table and column
  comments (`schema.create_table_sql`), rows in key order as in the Parquet files. The
  primary key is named in the table's comment, not declared: its index would make the file
  1.6 times as large (docs/design.md has the figures) to enforce keys on rows that can no
  longer change and were checked before publishing;
- the researcher views (`quotes_with_speakers`, `discourse_network`, ...) with their comments
  (`storage.views`), so docs/queries.md runs on it unchanged;
- `release_info`: which version the file is (a long-lived session can tell what it reads).

The tables are materialised, not views over the Parquet files: the file is self-contained
(it can be copied, moved or served alone; views would name the Parquet files by absolute
path); docs/design.md ("The release's DuckDB file") has the measured sizes and query times. Like every release file it is read-only, listed with its sha256 in the
manifest (`release verify` checks it), and never changed once published.
`<releases>/current.duckdb` names the current version's file (`publish.point_current`).

The file is not byte-for-byte reproducible (DuckDB's storage blocks differ from one write
to the next); what is reproducible is its content, which equals the Parquet files'.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from pipeline.release.versions import DATASET_NAME, RELEASE_DB
from pipeline.schema import RELEASED_TABLES, TABLES, create_table_sql, sql_literal

RELEASE_INFO = "release_info"
_RELEASE_INFO_DDL = [
    f"""CREATE TABLE {RELEASE_INFO} (
        dataset VARCHAR NOT NULL,
        version VARCHAR NOT NULL,
        created VARCHAR NOT NULL,
        previous_version VARCHAR
    )""",
    f"COMMENT ON TABLE {RELEASE_INFO} IS 'The published version this file is (one row): the same as manifest.json "
    f"beside it. current.duckdb names the newest version; a session opened earlier keeps reading its own.'",
    f"COMMENT ON COLUMN {RELEASE_INFO}.dataset IS 'Dataset name.'",
    f"COMMENT ON COLUMN {RELEASE_INFO}.version IS 'Release version (semantic versioning, without the v).'",
    f"COMMENT ON COLUMN {RELEASE_INFO}.created IS 'When the version was published (UTC, ISO 8601).'",
    f"COMMENT ON COLUMN {RELEASE_INFO}.previous_version IS 'The version it follows (NULL for the first).'",
]


def write_release_database(folder: Path, manifest: dict, primary_keys: bool = False) -> str:
    """Write folder/stancewire.duckdb from the folder's Parquet files (`manifest["tables"]`
    names them) and return its file name. The file is complete when this returns: written
    and checkpointed, no write-ahead log or spill folder left in `folder`. `primary_keys`:
    declare them (an index each; for the measurement in bench/release_db.py)."""
    from pipeline.storage.views import create_views
    from pipeline.storage.warehouse import memory_limit

    path = folder / RELEASE_DB
    # DuckDB spills big sorts and index builds beside the database file by default: here,
    # outside the release folder (a `.staging-*` name, removed with stale staging folders).
    spill = folder.with_name(folder.name + ".duckdb-tmp")
    conn = duckdb.connect(str(path), config={"temp_directory": str(spill)})
    try:
        conn.execute("SET memory_limit = ?", [memory_limit()])
        conn.execute("BEGIN TRANSACTION")
        for name in RELEASED_TABLES:
            table = TABLES[name]
            for stmt in create_table_sql(table, primary_key=primary_keys):
                conn.execute(stmt)
            cols = ", ".join(f'"{c}"' for c in table.column_names)
            source = sql_literal(str(folder / manifest["tables"][name]["file"]))
            conn.execute(f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM read_parquet({source})')
        for stmt in _RELEASE_INFO_DDL:
            conn.execute(stmt)
        conn.execute(
            f"INSERT INTO {RELEASE_INFO} VALUES (?, ?, ?, ?)",
            [
                manifest.get("dataset", DATASET_NAME),
                manifest["version"],
                manifest["created"],
                manifest["previous_version"],
            ],
        )
        create_views(conn)
        conn.execute("COMMIT")
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
        shutil.rmtree(spill, ignore_errors=True)
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(RELEASE_DB + ".")]
    if leftovers:  # a .wal would make the published file depend on a file beside it
        raise RuntimeError(f"DuckDB left {', '.join(leftovers)} beside {path}")
    return RELEASE_DB


def release_version(conn) -> str | None:
    """The version a connection to a release's DuckDB file reads ("1.2.0"), or None."""
    try:
        row = conn.execute(f"SELECT version FROM {RELEASE_INFO}").fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None

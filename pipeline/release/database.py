"""A release's DuckDB file (`<releases>/vX.Y.Z/stancewire.duckdb`): what researchers open.

The working warehouse belongs to the pipeline (one writer; loaded but unvalidated rows
mid-run). Readers open a published version instead: one DuckDB file per version, written
into the release's staging folder from the release's own Parquet files, so it holds the
rows the Great Expectations gate passed and nothing else:

- every released table, with the schema's types, NOT NULL, and the table and column
  comments (`schema.create_table_sql`). A first version's rows are in key order as in the
  Parquet files; a later version of the same schema starts from a copy of the previous
  version's file and replaces only the rows that differ (`_patch_from`: at 8,000 articles
  and ten added, 1.4 s instead of 3.6 s to build whole), so its changed rows come last
  (SQL promises no order without ORDER BY). Its content is checked against the Parquet
  files (row counts and sums of row hashes) and it is built whole when they differ. The
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

from pipeline.fingerprints import row_hash_sql
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


def write_release_database(
    folder: Path,
    manifest: dict,
    primary_keys: bool = False,
    previous: Path | None = None,
    previous_manifest: dict | None = None,
) -> str:
    """Write folder/stancewire.duckdb from the folder's Parquet files (`manifest["tables"]`
    names them) and return its file name. The file is complete when this returns: written
    and checkpointed, no write-ahead log or spill folder left in `folder`. `previous`: the
    previous version's folder (`previous_manifest` its manifest): with the same schema, its
    file is copied and patched (module docstring). `primary_keys`: declare them (an index
    each; for the measurement in bench/release_db.py)."""
    from pipeline.release.versions import sha256_file

    path = folder / RELEASE_DB
    # DuckDB spills big sorts and index builds beside the database file by default: here,
    # outside the release folder (a `.staging-*` name, removed with stale staging folders).
    spill = folder.with_name(folder.name + ".duckdb-tmp")
    source = previous / RELEASE_DB if previous is not None else None
    try:
        if (
            source is not None
            and source.is_file()
            and not primary_keys
            and previous_manifest is not None
            and previous_manifest.get("schema_fingerprint") == manifest.get("schema_fingerprint")
            # the previous file as published (`release verify` would say so too), not a copy
            # someone changed since: its unchanged tables are taken as they are
            and previous_manifest.get("files", {}).get(RELEASE_DB) == sha256_file(source)
        ):
            shutil.copyfile(source, path)  # (copyfile leaves the published file's read-only mode behind)
            if _patch_from(path, spill, folder, manifest, previous_manifest):
                return _finish(path, folder)
            for leftover in (path, path.with_name(path.name + ".wal")):  # it differs: build it whole
                leftover.unlink(missing_ok=True)
        _build_whole(path, spill, folder, manifest, primary_keys)
        return _finish(path, folder)
    finally:
        shutil.rmtree(spill, ignore_errors=True)


# A version whose rows are more than this share new or rewritten is built whole: its rows in
# key order again, and no file patched version after version accumulates small appends.
MAX_PATCHED_SHARE = 0.2


def _connect(path: Path, spill: Path):
    from pipeline.storage.warehouse import memory_limit

    conn = duckdb.connect(str(path), config={"temp_directory": str(spill)})
    conn.execute("SET memory_limit = ?", [memory_limit()])
    return conn


def _patch_from(path: Path, spill: Path, folder: Path, manifest: dict, previous_manifest: dict) -> bool:
    """Bring a copy of the previous version's file (at `path`) to this version: in each
    table whose Parquet file changed, delete the rows the new file lacks and insert those
    it adds (rows compared whole, by hash); then the version row, the comments and the
    views, which follow the code. False when a table's rows then differ from its Parquet
    file (row count or sum of row hashes), or the copy cannot be read."""
    from pipeline.storage.views import create_views

    try:
        conn = _connect(path, spill)
    except duckdb.Error:
        return False
    try:
        conn.execute("BEGIN TRANSACTION")
        rewritten = 0  # rows deleted and inserted
        for name in RELEASED_TABLES:
            table = TABLES[name]
            before = previous_manifest.get("tables", {}).get(name)
            if before is None:
                return False
            stmts = create_table_sql(table, primary_key=False)
            for stmt in stmts[1:]:  # comments: the descriptions may have changed
                conn.execute(stmt)
            if before["sha256"] == manifest["tables"][name]["sha256"]:  # the same file: its rows, counted
                if conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] != manifest["tables"][name]["rows"]:
                    return False
                continue
            cols, row = ", ".join(f'"{c}"' for c in table.column_names), row_hash_sql(table.column_names)
            new = f"read_parquet({sql_literal(str(folder / manifest['tables'][name]['file']))})"
            rewritten += conn.execute(f'DELETE FROM "{name}" WHERE {row} NOT IN (SELECT {row} FROM {new})').fetchone()[
                0
            ]
            rewritten += conn.execute(
                f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM {new} WHERE {row} NOT IN (SELECT {row} FROM "{name}")'
            ).fetchone()[0]
            same = conn.execute(
                f'SELECT (SELECT (count(*), sum({row})) FROM "{name}") IS NOT DISTINCT FROM '
                f"(SELECT (count(*), sum({row})) FROM {new})"
            ).fetchone()[0]
            if not same:
                return False
        rows = sum(t["rows"] for t in manifest["tables"].values())
        if rewritten > MAX_PATCHED_SHARE * rows:  # mostly new: built whole, in key order, unfragmented
            return False
        for stmt in _RELEASE_INFO_DDL[1:]:  # its comments
            conn.execute(stmt)
        conn.execute(
            f"UPDATE {RELEASE_INFO} SET dataset = ?, version = ?, created = ?, previous_version = ?",
            [
                manifest.get("dataset", DATASET_NAME),
                manifest["version"],
                manifest["created"],
                manifest["previous_version"],
            ],
        )
        for (view,) in conn.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall():
            conn.execute(f'DROP VIEW "{view}"')
        create_views(conn)
        conn.execute("COMMIT")
        conn.execute("CHECKPOINT")
        return True
    except duckdb.Error:
        return False
    finally:
        conn.close()


def _build_whole(path: Path, spill: Path, folder: Path, manifest: dict, primary_keys: bool) -> None:
    """Every table from its Parquet file, in key order, then the version row and the views."""
    from pipeline.storage.views import create_views

    conn = _connect(path, spill)
    try:
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


def _finish(path: Path, folder: Path) -> str:
    """The file name, once nothing is left beside the file."""
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

"""Documented views for researchers (`pipeline/storage/sql/views.sql`).

    quotes_with_speakers   quotes with the article and the canonical speaker (name, type, country)
    statements_with_labels stance statements with actor names and target labels
    actor_positions        per actor and target: counts by label and the net position
    discourse_ties         actor pairs holding the same / opposite position on a target
    discourse_network      per actor pair: congruence and conflict weights (DNA-style)
    ambiguous_actors       surname-only people two or more full-name actors could be

`warehouse.ensure_schema` creates them in every warehouse, `release.database` in every
release's DuckDB file; `open_release` creates them over a published release's Parquet
files, so the same SQL (docs/queries.md) runs on all three.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb

VIEW_NAMES = (
    "quotes_with_speakers",
    "statements_with_labels",
    "actor_positions",
    "discourse_ties",
    "discourse_network",
    "ambiguous_actors",
)


@cache
def _sql_text() -> str:
    return resources.files("pipeline.storage").joinpath("sql/views.sql").read_text(encoding="utf-8")


def statements() -> list[str]:
    """The statements of views.sql in order (each ends at a line ending with ';')."""
    out, current = [], []
    for line in _sql_text().splitlines():
        current.append(line)
        if line.rstrip().endswith(";"):
            body = "\n".join(x for x in current if not x.lstrip().startswith("--")).strip()
            if body:
                out.append(body)
            current = []
    if any(line.strip() and not line.lstrip().startswith("--") for line in current):
        raise ValueError("views.sql: the last statement does not end with ';'")
    return out


def create_views(conn: duckdb.DuckDBPyConnection, temporary: bool = False) -> None:
    """Create (or replace) every view. temporary=True makes session-only views without
    comments, for a read-only connection to a warehouse that predates them."""
    for stmt in statements():
        if temporary:
            if stmt.startswith("COMMENT ON"):
                continue
            stmt = stmt.replace("CREATE OR REPLACE VIEW", "CREATE OR REPLACE TEMP VIEW", 1)
        conn.execute(stmt)


def ensure_views(conn: duckdb.DuckDBPyConnection) -> None:
    """Make the views available on this connection, creating temporary ones when the
    database lacks them (an older warehouse opened read-only)."""
    existing = {r[0] for r in conn.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    if not set(VIEW_NAMES) <= existing:
        create_views(conn, temporary=True)


def open_release(folder: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per Parquet file of a release folder, named after
    the table, `release_info` from its manifest, and the researcher views on top: the
    warehouse's SQL runs on a release. A
    release published before a table gained a column (`quotes.cue_kind`, 2026-12-04) reads
    that column as NULL, so the views still open on it."""
    from pipeline.schema import TABLES

    folder = Path(folder)
    files = sorted(folder.glob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"no Parquet files in {folder}")
    conn = duckdb.connect()
    for path in files:
        name = path.stem.replace('"', '""')
        literal = "'" + str(path).replace("'", "''") + "'"
        source = f"read_parquet({literal})"
        present = {r[0] for r in conn.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        table = TABLES.get(path.stem)
        missing = [c for c in table.columns if c.name not in present] if table is not None else []
        added = "".join(f', NULL::{c.type} AS "{c.name}"' for c in missing)
        conn.execute(f'CREATE VIEW "{name}" AS SELECT *{added} FROM {source}')
    _release_info(conn, folder)
    create_views(conn)
    return conn


def _release_info(conn, folder: Path) -> None:
    """`release_info` as in the release's DuckDB file, from the manifest beside the files
    (none when the folder has no manifest: a copy of the Parquet files alone)."""
    import json

    from pipeline.release.versions import MANIFEST, RELEASE_INFO, RELEASE_INFO_DDL, release_info_values

    manifest = folder / MANIFEST
    if not manifest.is_file():
        return
    for statement in RELEASE_INFO_DDL:  # the table and its comments
        conn.execute(statement)
    conn.execute(
        f"INSERT INTO {RELEASE_INFO} VALUES (?, ?, ?, ?)",
        release_info_values(json.loads(manifest.read_text(encoding="utf-8"))),
    )


@dataclass(frozen=True)
class ViewDoc:
    name: str
    comment: str
    columns: tuple[tuple[str, str, str], ...]  # (name, type, comment)


def describe_views() -> list[ViewDoc]:
    """Each view's comment and columns (name, type, comment), read back from DuckDB after
    creating the views over empty tables: the documentation comes from views.sql itself."""
    from pipeline.schema import TABLES, create_table_sql

    conn = duckdb.connect()
    try:
        for table in TABLES.values():
            for stmt in create_table_sql(table):
                conn.execute(stmt)
        create_views(conn)
        comments = dict(conn.execute("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall())
        docs = []
        for name in VIEW_NAMES:
            cols = conn.execute(
                "SELECT column_name, data_type, coalesce(comment, '') FROM duckdb_columns() "
                "WHERE table_name = ? ORDER BY column_index",
                [name],
            ).fetchall()
            docs.append(ViewDoc(name, comments.get(name) or "", tuple(cols)))
        return docs
    finally:
        conn.close()


def view_names_in_sql() -> list[str]:
    """The views views.sql creates, in order (a test checks it matches VIEW_NAMES)."""
    return re.findall(r"^CREATE OR REPLACE VIEW (\w+)", _sql_text(), flags=re.M)


def dictionary_markdown() -> list[str]:
    """The data dictionary's section on the views (docs/data-dictionary.md)."""
    lines = [
        "## Views",
        "",
        "Created in every warehouse and every release's DuckDB file from `pipeline/storage/sql/views.sql` (views",
        "only read the tables above); `pipeline.storage.views.open_release(folder)` creates them over a release's",
        "Parquet files. Questions they answer, with SQL: [queries.md](queries.md).",
        "",
    ]
    for v in describe_views():
        lines += [f"### {v.name}", "", v.comment, "", "| column | type | description |", "|---|---|---|"]
        lines += [f"| `{name}` | {typ} | {comment} |" for name, typ, comment in v.columns]
        lines.append("")
    return lines

"""A release's DuckDB file (`<releases>/vX.Y.Z/stancewire.duckdb`): what researchers open.

The working warehouse belongs to the pipeline (one writer; loaded but unvalidated rows
mid-run). Readers open a published version instead: one DuckDB file per version, written
into the release's staging folder from the release's own Parquet files, so it holds the
rows the Great Expectations gate passed and nothing else:

- every released table, with the schema's types, NOT NULL, and the table and column
  comments (`schema.create_table_sql`). A first version's rows are in key order as in the
  Parquet files; a later version of the same schema starts from a copy of the previous
  version's file and replaces only the rows that differ (`_patch_from`: at 8,000 articles
  and ten added, 1.4 s instead of 3.6 s to build whole; under `publish` an article table's
  rows are compared and rewritten only for the articles whose rows differ, found by
  per-article digests of the warehouse and the copy, `_patch_articles`), so its changed rows come last
  (SQL promises no order without ORDER BY). Its content is checked against the Parquet
  files (row counts and sums of row hashes; for the article tables under `publish`, the sums
  of the rows the files were exported from) and it is built whole when they differ. The
  rows the patch deletes and inserts, matched by primary key, are what changed since the
  previous version: the CHANGELOG takes them (`ReleaseDatabase.diff`) instead of comparing
  the two versions' files again (1.5-2 s at 8,000 articles). The
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

It is written in DuckDB's 1.4 storage format (`STORAGE_VERSION`), which DuckDB 1.4 and later
open; a previous version's file in another format is not patched but built anew.

The file is not byte-for-byte reproducible (DuckDB's storage blocks differ from one write
to the next); what is reproducible is its content, which equals the Parquet files'.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import NamedTuple

import duckdb

from pipeline.exports.dictionary import column_description
from pipeline.fingerprints import row_hash_sql
from pipeline.release.diff import (
    LABEL_COLUMN,
    RECORD_COLUMNS,
    SAMPLE_KEYS,
    ReleaseDiff,
    TableDiff,
    count_and_sample,
    edited_records,
)
from pipeline.release.versions import RELEASE_DB, RELEASE_INFO, RELEASE_INFO_DDL, release_info_values
from pipeline.schema import RELEASED_TABLES, TABLES, create_table_sql, sql_literal


class ReleaseDatabase(NamedTuple):
    file: str  # its name in the release folder
    # Rows added, removed and changed since the previous version when the file was patched
    # from it (the patch finds them anyway: the CHANGELOG need not compare the Parquet files
    # again); None when it was built whole.
    diff: ReleaseDiff | None


class PublishCancelled(Exception):
    """The release is not published after all (its data are the current release's, or the
    export failed): the DuckDB file's writer stops."""


class TableFeed:
    """The release's tables handed to the DuckDB file's writer as they are exported (name
    and manifest entry), then the manifest (for the version row); or a cancel. `publish`
    exports table after table, mostly on one core (DuckDB's sorted Parquet export is nearly
    serial: 1.66 s with two threads against 1.80 s with one at 8,000 articles), while the
    writer patches each table in a thread on the other. Built from a manifest, it holds
    everything at once. `content(name)`: the exported rows' count and sum of row hashes
    (`fingerprints.table_content`), when the exporter gave it."""

    def __init__(self, manifest: dict | None = None, schema_fingerprint: str | None = None):
        self._cond = threading.Condition()
        self._tables: list[tuple[str, dict]] = []
        self._manifest: dict | None = None
        self._cancelled = False
        self._contents: dict[str, str] = {}
        self.schema_fingerprint = schema_fingerprint
        if manifest is not None:
            self.schema_fingerprint = manifest.get("schema_fingerprint")
            for name, entry in manifest["tables"].items():
                self.put(name, entry)
            self.finish(manifest)

    def put(self, name: str, entry: dict, content: str | None = None) -> None:
        with self._cond:
            self._tables.append((name, entry))
            if content is not None:
                self._contents[name] = content
            self._cond.notify_all()

    def content(self, name: str) -> str | None:
        with self._cond:
            return self._contents.get(name)

    def finish(self, manifest: dict) -> None:
        with self._cond:
            self._manifest = manifest
            self._cond.notify_all()

    def cancel(self) -> None:
        with self._cond:
            self._cancelled = True
            self._cond.notify_all()

    def tables(self):
        """(name, entry) of every table, from the first, waiting for each (PublishCancelled)."""
        i = 0
        while True:
            with self._cond:
                self._cond.wait_for(lambda i=i: self._cancelled or i < len(self._tables) or self._manifest is not None)
                if self._cancelled:
                    raise PublishCancelled
                if i == len(self._tables):
                    return
                item = self._tables[i]
            i += 1
            yield item

    def manifest(self) -> dict:
        with self._cond:
            self._cond.wait_for(lambda: self._cancelled or self._manifest is not None)
            if self._cancelled:
                raise PublishCancelled
            return self._manifest


def write_release_database(
    folder: Path,
    manifest: dict | TableFeed,
    primary_keys: bool = False,
    previous: Path | None = None,
    previous_manifest: dict | None = None,
    diff_sample: int = SAMPLE_KEYS,
    rows_from=None,
) -> ReleaseDatabase:
    """Write folder/stancewire.duckdb from the folder's Parquet files (`manifest["tables"]`
    names them; or a `TableFeed` hands them over as they are written; a patch may read their
    rows from `rows_from` instead, below); return its file name
    and, when it was patched, what changed since the previous version (`diff_sample` keys
    of each kind of change per table). The file is complete when this returns: written and
    checkpointed, no write-ahead log or spill folder left in `folder`. `previous`: the
    previous version's folder (`previous_manifest` its manifest): with the same schema, its
    file is copied and patched (module docstring). `rows_from`: a connection to the database
    the Parquet files were exported from, unchanged since (the warehouse, under `publish`):
    the patch then finds the changed articles' rows by per-article digests on both sides
    (`_patch_articles`) instead of reading and hashing the new files whole. `primary_keys`:
    declare them (an index each; for the measurement in bench/release_db.py).
    PublishCancelled when the feed is cancelled."""
    from pipeline.release.versions import sha256_file

    feed = manifest if isinstance(manifest, TableFeed) else TableFeed(manifest)
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
            and previous_manifest.get("schema_fingerprint") == feed.schema_fingerprint
            # the previous file as published (`release verify` would say so too), not a copy
            # someone changed since: its unchanged tables are taken as they are
            and previous_manifest.get("files", {}).get(RELEASE_DB) == sha256_file(source)
            and storage_version(source) == STORAGE_VERSION  # a file in another format is built anew
        ):
            shutil.copyfile(source, path)  # (copyfile leaves the published file's read-only mode behind)
            diff = _patch_from(path, spill, folder, feed, previous_manifest, diff_sample, rows_from)
            if diff is not None:
                return ReleaseDatabase(_finish(path, folder), diff)
            # it differs: built whole (`_build_whole` starts from no file)
        # Built whole once every table is exported, not beside the export as a patch is:
        # two DuckDB instances each holding a whole table's rows would add their memory
        # (the run's peak at 8,000 articles rose from 650 to 777 MB).
        feed.manifest()
        _build_whole(path, spill, folder, feed, primary_keys)
        return ReleaseDatabase(_finish(path, folder), None)
    finally:
        shutil.rmtree(spill, ignore_errors=True)


# A version whose rows are more than this share new or rewritten is built whole: its rows in
# key order again, and no file patched version after version accumulates small appends.
MAX_PATCHED_SHARE = 0.2


# The storage format the file is written in. DuckDB 2.0 writes one that no DuckDB 1.x can
# open (R packages, DBeaver and pinned Python environments lag behind); the 1.4 format (the
# 1.4 LTS line) opens in DuckDB 1.4 and later. Measured on a release of 801 articles: as
# small and as fast to write as 2.0's (13.1 MB, 0.48 s); the 1.0 format would take 18.9 MB.
STORAGE_VERSION = "v1.4.0"


# DuckDB's memory cap for the file's writer, unless $STANCEWIRE_DUCKDB_MEMORY sets every
# connection's. It runs in the run's process beside the warehouse's own DuckDB, and building
# a first release whole is where a run peaks. At 8,000 articles a process building it alone
# peaked at 300 MB in 2.4 s with the warehouse's 256 MB, at 214 MB in 2.9 s with this cap and
# a commit per table (docs/scaling.md, stop 63). It spills what does not fit. A patch after
# ten articles added to 8,000 was still a patch, its release step 2.55-2.7 s (2.53-2.61 s
# with 256 MB). (bench/release_db.py's `tables+pk`, which declares the keys, builds their
# indexes under this cap too.)
WRITER_MEMORY_LIMIT = "160MB"


def release_table_sql(table, primary_key: bool) -> list[str]:
    """`schema.create_table_sql` with each column's comment as the card and the data
    dictionary give it: its description, the values it may hold, the column it references
    (a researcher reading the file in DuckDB has no other copy of them)."""
    stmts = create_table_sql(table, primary_key=primary_key)
    return stmts[:2] + [
        f'COMMENT ON COLUMN "{table.name}"."{c.name}" IS {sql_literal(column_description(c, quote=""))}'
        for c in table.columns
    ]


def _connect(path: Path, spill: Path):
    from pipeline.storage.warehouse import memory_limit

    conn = duckdb.connect(
        str(path), config={"temp_directory": str(spill), "storage_compatibility_version": STORAGE_VERSION}
    )
    conn.execute("SET memory_limit = ?", [memory_limit(WRITER_MEMORY_LIMIT)])
    return conn


def _patch_from(
    path: Path, spill: Path, folder: Path, feed: TableFeed, previous_manifest: dict, sample: int, rows_from=None
) -> ReleaseDiff | None:
    """Bring a copy of the previous version's file (at `path`) to this version: in each
    table whose Parquet file changed, delete the rows the new file lacks and insert those
    it adds (rows compared whole, by hash: each side hashed once; an article table, with
    `rows_from`, only the rows of the articles whose rows differ, read from `rows_from`:
    `_patch_articles`); then the version row,
    the comments and the views, which follow the code. Returns what changed, table by table
    (the rows deleted and inserted, matched by primary key: the same as
    `diff.diff_folders`, `sample` keys of each kind), for the CHANGELOG. None when a table's
    rows then differ from its Parquet file (row count, or sum of row hashes: of the file, or
    of the rows it was exported from), the copy cannot be read, or too much changed
    (`MAX_PATCHED_SHARE`)."""
    from pipeline.storage.views import create_views

    try:
        conn = _connect(path, spill)
        # One thread: the export runs beside it on the other core (publish.one_thread, which
        # holds the warehouse's DuckDB, `rows_from` included, to one thread while it exports).
        # Two threads here and there made the release after ten articles added to 8,000 slower.
        conn.execute("SET threads = 1")
    except duckdb.Error:
        return None
    try:
        conn.execute("BEGIN TRANSACTION")
        rewritten = 0  # rows deleted and inserted
        tables = {}
        for name, entry in feed.tables():
            table = TABLES.get(name)
            before = previous_manifest.get("tables", {}).get(name)
            if before is None or table is None or name in tables:
                return None
            for stmt in release_table_sql(table, primary_key=False)[1:]:  # comments: they may have changed
                conn.execute(stmt)
            rows = entry["rows"]
            if before["sha256"] == entry["sha256"]:  # the same file: its rows, counted
                if conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] != rows:
                    return None
                tables[name] = TableDiff(name, "same", rows, rows, primary_key=list(table.primary_key))
                continue
            patched = NOT_BY_ARTICLES
            if rows_from is not None and name in ARTICLE_TABLES:
                patched = _patch_articles(conn, rows_from, name, sample, before["rows"], feed.content(name))
            if patched is NOT_BY_ARTICLES:
                patched = _patch_table(conn, name, _parquet_rows(folder / entry["file"]), sample)
            if patched is None or conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] != rows:
                return None
            diff, changed_rows = patched
            diff.rows_before, diff.rows_after = before["rows"], rows
            rewritten += changed_rows
            tables[name] = diff
        manifest = feed.manifest()
        if sorted(tables) != sorted(RELEASED_TABLES):
            return None
        if rewritten > MAX_PATCHED_SHARE * sum(t["rows"] for t in manifest["tables"].values()):
            return None  # mostly new: built whole, in key order, unfragmented
        for stmt in RELEASE_INFO_DDL[1:]:  # its comments
            conn.execute(stmt)
        conn.execute(
            f"UPDATE {RELEASE_INFO} SET dataset = ?, version = ?, created = ?, previous_version = ?",
            release_info_values(manifest),
        )
        for (view,) in conn.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall():
            conn.execute(f'DROP VIEW "{view}"')
        create_views(conn)
        conn.execute("COMMIT")
        conn.execute("CHECKPOINT")
        in_order = [tables[name] for name in RELEASED_TABLES]
        return ReleaseDiff("v" + previous_manifest["version"], "v" + manifest["version"], in_order)
    except duckdb.Error:
        return None
    finally:
        conn.close()


def _parquet_rows(parquet: Path) -> str:
    """SQL: a Parquet file's rows with their row number `n` (`_patch_table`'s new rows)."""
    return f"(SELECT *, file_row_number AS n FROM read_parquet({sql_literal(str(parquet))}, file_row_number = true))"


# Released tables whose every row belongs to one article (article_id NOT NULL): patched
# article by article when the rows' source is at hand (`_patch_articles`).
ARTICLE_TABLES = tuple(
    n for n in RELEASED_TABLES if any(c.name == "article_id" and not c.nullable for c in TABLES[n].columns)
)


def _patch_articles(conn, rows_from, name: str, sample: int, rows_before: int, exported: str | None):
    """Patch one article table of the copy to the rows `rows_from` holds (the database its
    Parquet file was exported from), comparing and rewriting only the rows of the articles
    whose rows differ: each article's row count and sum of row hashes, on both sides (two
    aggregates; no file is read), name them, and `_patch_table` patches their rows. After
    ten articles added to 8,000, the six article tables took 0.87-0.91 s of one thread
    instead of 1.3-1.7 s reading and hashing the new files whole (at 800 no faster:
    0.32-0.39 s against 0.26-0.36 s; docs/scaling.md). Still a pass over every row on both
    sides, but no file read and no hash join of every row.

    `exported`: the exported rows' `fingerprints.table_content`. Returns `_patch_table`'s
    result, or NOT_BY_ARTICLES (nothing changed yet: the caller patches from the file) when
    `rows_from` does not hold the exported rows (`exported` unknown, or a connection that
    sees other rows than the exporter's), or when the changed articles' rows, fetched into
    memory, would be more than `MAX_PATCHED_SHARE` of the table's."""
    table = TABLES[name]
    row = row_hash_sql(table.column_names)  # `hash(*COLUMNS(*))` of `table_content`: all columns, in order
    # the sums as text, exact whatever their size (a sum of 64-bit hashes needs 128 bits)
    digest = f'SELECT article_id, count(*) AS n, CAST(sum({row}) AS VARCHAR) AS s FROM "{name}" GROUP BY article_id'
    rows_from.execute("BEGIN TRANSACTION")  # both reads see the same rows
    try:
        new_digests = rows_from.sql(digest).to_arrow_table()
        counts = new_digests.column("n").to_pylist()
        total = sum(int(x) for x in new_digests.column("s").to_pylist()) if counts else None
        # `table_content`'s text (a test fails if the two differ: every table would be patched from its file)
        if exported is None or exported != f"{sum(counts)}:{total}":
            return NOT_BY_ARTICLES
        conn.register("__new_digests", new_digests)
        try:
            changed = conn.execute(
                f"SELECT article_id, coalesce(w.n, 0) FROM ({digest}) AS o FULL JOIN __new_digests AS w "
                "USING (article_id) WHERE o.n IS DISTINCT FROM w.n OR o.s IS DISTINCT FROM w.s"
            ).fetchall()
        finally:
            conn.unregister("__new_digests")
        if sum(n for _, n in changed) > MAX_PATCHED_SHARE * max(rows_before, 1):
            return NOT_BY_ARTICLES
        ids = [a for a, _ in changed]
        pk = ", ".join(f'"{k}"' for k in table.primary_key)
        cols = ", ".join(f'"{c}"' for c in table.column_names)
        incoming = rows_from.sql(
            f'SELECT {cols}, row_number() OVER (ORDER BY {pk}) AS n FROM "{name}" '
            f"WHERE article_id IN (SELECT unnest(?::VARCHAR[]))",
            params=[ids],
        ).to_arrow_table()
    finally:
        rows_from.execute("ROLLBACK")
    conn.register("__incoming_rows", incoming)
    try:
        return _patch_table(conn, name, "__incoming_rows", sample, among=ids)
    finally:
        conn.unregister("__incoming_rows")


# `_patch_articles`: the table is not patched by articles (patch it from its file instead).
NOT_BY_ARTICLES = object()


def _patch_table(
    conn, name: str, source: str, sample: int, among: list[str] | None = None
) -> tuple[TableDiff, int] | None:
    """Patch one table of the copy to the rows of `source` (SQL: the new rows, with their
    row number `n`; `_parquet_rows` of the new Parquet file), see `_patch_from`; `among`:
    only these articles' rows of the copy are compared (`source` holds only theirs). Each
    side is hashed once, into temporary tables (`new_rows`: the source's row numbers,
    `old_rows`: the table's row ids); the rows only the copy holds are deleted (their keys
    kept in `outgoing`), those only the source holds inserted (`incoming`). Returns the
    table's diff (row counts left to the caller) and the rows deleted plus inserted; None
    when the patched rows' count or sum of row hashes is not the source's."""
    table = TABLES[name]
    cols = ", ".join(f'"{c}"' for c in table.column_names)
    row = row_hash_sql(table.column_names)
    pk = list(table.primary_key)
    keys = ", ".join(f'"{k}"' for k in pk)
    label = LABEL_COLUMN.get(name) if LABEL_COLUMN.get(name) in table.column_names else None
    label_sel = f', CAST("{label}" AS VARCHAR) AS "{label}"' if label else ""
    record = [c for c in RECORD_COLUMNS.get(name, ()) if c in table.column_names]
    record_sel = "".join(f', "{c}"' for c in record if c not in pk)
    where, params = ("WHERE article_id IN (SELECT unnest(?::VARCHAR[]))", [among]) if among is not None else ("", [])
    conn.execute(f"CREATE OR REPLACE TEMP TABLE new_rows AS SELECT n, {row} AS h FROM {source}")
    conn.execute(
        f'CREATE OR REPLACE TEMP TABLE old_rows AS SELECT rowid AS r, {row} AS h FROM "{name}" {where}', params
    )
    only_old = "SELECT r FROM old_rows ANTI JOIN new_rows USING (h)"
    only_new = "SELECT n, h FROM new_rows ANTI JOIN old_rows USING (h)"
    conn.execute(
        f'CREATE OR REPLACE TEMP TABLE outgoing AS SELECT {keys}{label_sel}{record_sel}, {row} AS __h FROM "{name}" '
        f"WHERE rowid IN ({only_old})"
    )
    deleted = conn.execute(f'DELETE FROM "{name}" WHERE rowid IN ({only_old})').fetchone()[0]
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE incoming AS SELECT {cols}, {row} AS __h FROM {source} "
        f"WHERE n IN (SELECT n FROM ({only_new})) ORDER BY n"
    )
    inserted = conn.execute(f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM incoming').fetchone()[0]
    # The table now holds the copy's rows less those deleted plus those inserted: that this
    # multiset's count and sum of hashes are the file's is checked on the small sets (the
    # whole table is not hashed a third time); duplicate rows or a hash equal across rows
    # would show here.
    same = conn.execute(
        "SELECT (SELECT (count(*), sum(h)) FROM old_rows) IS NOT DISTINCT FROM (SELECT (count(*), sum(h)) FROM new_rows) "
        "OR ((SELECT count(*) FROM old_rows) - ? + ?, "
        "(SELECT coalesce(sum(h), 0) FROM old_rows) - (SELECT coalesce(sum(__h), 0) FROM outgoing) "
        "+ (SELECT coalesce(sum(__h), 0) FROM incoming)) "
        "= (SELECT (count(*), coalesce(sum(h), 0)) FROM new_rows)",
        [deleted, inserted],
    ).fetchone()[0]
    if not same or deleted != conn.execute("SELECT count(*) FROM outgoing").fetchone()[0]:
        return None
    on = " AND ".join(f'x."{k}" = y."{k}"' for k in pk)
    sel = ", ".join(f'x."{k}"' for k in pk) + (f', CAST(x."{label}" AS VARCHAR)' if label else "")

    def counted(frm: str) -> tuple[int, list[list]]:
        return count_and_sample(conn, frm, sel, pk, sample)

    d = TableDiff(name, "same", primary_key=pk)
    d.added, d.added_keys = counted(f"FROM incoming AS x ANTI JOIN outgoing AS y ON {on}")
    d.removed, d.removed_keys = counted(f"FROM outgoing AS x ANTI JOIN incoming AS y ON {on}")
    d.changed, d.changed_keys = counted(f"FROM incoming AS x JOIN outgoing AS y ON {on}")
    if d.added and d.removed and record and len(record) == len(RECORD_COLUMNS[name]):
        d.edited = edited_records(conn, name, "incoming", "outgoing", pk)
    if d.added or d.removed or d.changed:
        d.status = "changed"
    for temp in ("new_rows", "old_rows", "outgoing", "incoming"):
        conn.execute(f"DROP TABLE {temp}")
    return d, deleted + inserted


def _build_whole(path: Path, spill: Path, folder: Path, feed: TableFeed, primary_keys: bool) -> None:
    """Every table from its Parquet file, in key order, then the version row and the views."""
    from pipeline.storage.views import create_views

    # From no file: a copy a patch left (its tables are created only if absent, and rows
    # would be added to those already there).
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
    conn = _connect(path, spill)
    try:
        # A transaction per table, not one for the file: built alone from 8,000 articles'
        # files, one transaction peaked 37 MB higher with a 256 MB cap, 11 MB with 160 MB.
        # (A file left half-built by a failure is in the staging folder, which is removed.)
        for name, entry in feed.tables():
            table = TABLES[name]
            cols = ", ".join(f'"{c}"' for c in table.column_names)
            source = sql_literal(str(folder / entry["file"]))
            conn.execute("BEGIN TRANSACTION")
            for stmt in release_table_sql(table, primary_key=primary_keys):
                conn.execute(stmt)
            conn.execute(f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM read_parquet({source})')
            conn.execute("COMMIT")
        conn.execute("BEGIN TRANSACTION")
        manifest = feed.manifest()
        for stmt in RELEASE_INFO_DDL:
            conn.execute(stmt)
        conn.execute(
            f"INSERT INTO {RELEASE_INFO} VALUES (?, ?, ?, ?)",
            release_info_values(manifest),
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


def storage_version(path: Path) -> str | None:
    """The storage format a DuckDB file was written in ("v1.0.0"), or None if it cannot be read."""
    try:
        with duckdb.connect(str(path), read_only=True) as conn:
            tags = conn.execute(
                "SELECT tags FROM duckdb_databases() WHERE database_name = current_database()"
            ).fetchone()[0]
    except duckdb.Error:
        return None
    return (tags or {}).get("storage_version", "").rstrip("+") or None


def release_version(conn) -> str | None:
    """The version a connection to a release's DuckDB file reads ("1.2.0"), or None."""
    try:
        row = conn.execute(f"SELECT version FROM {RELEASE_INFO}").fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None

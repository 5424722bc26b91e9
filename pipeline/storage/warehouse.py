"""The DuckDB warehouse: one file, one writer at a time, tables as `schema` describes them.

The working warehouse belongs to the pipeline; researchers read the published releases'
DuckDB files (`<releases>/current.duckdb`, `pipeline.release.database`).

DuckDB lets one process open a database file for writing; a second process fails to open
it at all. A file lock beside the database (`<file>.lock`) turns that into waiting between
stancewire processes, and then into a clear message naming the file when the wait runs
out. A process that is not stancewire (a notebook, the duckdb shell) takes only DuckDB's
own lock on the file: `connect_file` waits for that one too, says once which process holds
it and what to do, and raises WarehouseBusy when the wait runs out. Writes of a stage
happen in one transaction (delete the rows being replaced, insert the new ones), so a
killed run leaves the previous state, never half a batch.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
from filelock import FileLock, Timeout

from pipeline.schema import STANCES, TABLES, Table, create_table_sql

log = logging.getLogger(__name__)

DEFAULT_LOCK_TIMEOUT_S = 600.0
# DuckDB caches up to 80% of RAM by default; a fixed cap keeps a run's memory flat as the
# corpus grows (DuckDB spills larger joins and sorts to disk), at no cost in speed
# (docs/scaling.md). STANCEWIRE_DUCKDB_MEMORY overrides it.
# (Set after connecting: a connect-time config would clash with other connections to the file.)
MEMORY_LIMIT = "256MB"
MEMORY_LIMIT_ENV = "STANCEWIRE_DUCKDB_MEMORY"

# The columns of a machine-coded statement: those of `stances` but the coder's verdict.
CODED_STANCE_COLUMNS = tuple(c for c in STANCES.columns if c.name != "review_verdict")


# Internal bookkeeping, not part of the published schema.
_INTERNAL_DDL = [
    # The warehouse's identity (key 'warehouse_id'): its staging folder records it, so that
    # a warehouse loads only the batches staged for it, wherever the file is moved.
    """CREATE TABLE IF NOT EXISTS warehouse_info (
        key VARCHAR PRIMARY KEY,
        value VARCHAR NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS batches (
        batch_id VARCHAR PRIMARY KEY,
        batch_seq INTEGER NOT NULL,
        input_label VARCHAR
    )""",
    """CREATE TABLE IF NOT EXISTS loaded_batches (
        batch_id VARCHAR PRIMARY KEY,
        fingerprint VARCHAR NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS validation_results (
        run_id VARCHAR NOT NULL,
        table_name VARCHAR NOT NULL,
        expectation_no INTEGER NOT NULL,
        expectation VARCHAR NOT NULL,
        column_name VARCHAR,
        success BOOLEAN NOT NULL,
        blocking BOOLEAN NOT NULL,
        unexpected_count BIGINT,
        details VARCHAR,
        validated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
        PRIMARY KEY (run_id, table_name, expectation_no)
    )""",
    # The fingerprint of what each table was last validated on, and the outcomes (JSON):
    # a table whose rows and suite are unchanged keeps them (expectations.suites).
    """CREATE TABLE IF NOT EXISTS validation_state (
        table_name VARCHAR PRIMARY KEY,
        fingerprint VARCHAR NOT NULL,
        run_id VARCHAR NOT NULL,
        outcomes VARCHAR NOT NULL
    )""",
    # The parts (a batch's records, in buckets) of each table whose row-wise expectations passed, by fingerprint:
    # a part whose rows and inputs are unchanged is not validated again (expectations.suites).
    """CREATE TABLE IF NOT EXISTS validation_parts (
        table_name VARCHAR NOT NULL,
        part VARCHAR NOT NULL,
        fingerprint VARCHAR NOT NULL,
        run_id VARCHAR NOT NULL,
        PRIMARY KEY (table_name, part)
    )""",
    # Each released table's content fingerprint and the sha256 of the file exported from it
    # in the current release: an unchanged table's file is linked, not exported again.
    """CREATE TABLE IF NOT EXISTS release_files (
        table_name VARCHAR PRIMARY KEY,
        content VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS article_actors (
        stage VARCHAR NOT NULL,
        article_id VARCHAR NOT NULL,
        actor_id VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        actor_type VARCHAR NOT NULL,
        country VARCHAR,
        PRIMARY KEY (stage, article_id, actor_id)
    )""",
    # Actors whose references changed since the actors table was last built (ALL_ACTORS:
    # every one): the actors step recomputes only these (pipeline.steps.warehouse_wide).
    """CREATE TABLE IF NOT EXISTS dirty_actors (
        actor_id VARCHAR PRIMARY KEY
    )""",
    # The statements as the stance coder made them; `stances` is these with the coders'
    # corrections applied (pipeline.review.apply).
    # (its table and column comments are left to `stances`)
    create_table_sql(
        Table("coded_stances", STANCES.description, STANCES.grain, CODED_STANCE_COLUMNS, ("statement_id",), False)
    )[0],
    # Actor merges the loaded tables carry (from -> into), and actors' names given by coders:
    # a merge no longer in the corrections needs the tables reloaded (pipeline.review.apply).
    """CREATE TABLE IF NOT EXISTS applied_merges (
        actor_id VARCHAR PRIMARY KEY,
        merged_into VARCHAR NOT NULL
    )""",
    # The speaker id a quote had before a merge rewrote it: the stance coder needs it.
    """CREATE TABLE IF NOT EXISTS merged_speakers (
        quote_id VARCHAR PRIMARY KEY,
        speaker_actor_id VARCHAR NOT NULL
    )""",
    # Aliases made by pipeline/actors/canonical.py, kept once made (ids stay stable).
    """CREATE TABLE IF NOT EXISTS auto_aliases (
        alias_id VARCHAR PRIMARY KEY,
        actor_id VARCHAR NOT NULL,
        rule VARCHAR NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS actor_renames (
        actor_id VARCHAR PRIMARY KEY,
        name VARCHAR NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS stage_state (
        stage VARCHAR NOT NULL,
        article_id VARCHAR NOT NULL,
        fingerprint VARCHAR NOT NULL,
        PRIMARY KEY (stage, article_id)
    )""",
    # A coded article's scope: its tokens' keys and its actors' name words (JSON), written
    # with its statements; and each codebook target's terms as the target matcher keys them,
    # by model, code and terms. A codebook edit re-codes only the articles an edited target
    # can reach (pipeline.steps.coding_scope).
    """CREATE TABLE IF NOT EXISTS coding_scope (
        article_id VARCHAR PRIMARY KEY,
        text_sha256 VARCHAR NOT NULL,
        scope VARCHAR NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS coding_terms (
        key VARCHAR PRIMARY KEY,
        structure VARCHAR NOT NULL
    )""",
]


ALL_ACTORS = "*"  # in dirty_actors: rebuild the whole actors table (no actor id has this form)


_ACTOR_REFERENCES = {  # table -> its column naming an actor (what the actors table counts)
    "article_actors": "actor_id",
    "mentions": "actor_id",
    "quotes": "speaker_actor_id",
    "stances": "actor_id",
    "coded_stances": "actor_id",
}


def mark_actors(
    conn: duckdb.DuckDBPyConnection,
    articles: str | None,
    params: list | None = None,
    tables: tuple[str, ...] = tuple(_ACTOR_REFERENCES),
) -> None:
    """Note as changed the actors that `tables` reference for the articles matching
    `articles` (an SQL condition on article_id; None: every actor), before those rows are
    deleted or after they are inserted."""
    if articles is None:
        conn.execute("INSERT OR IGNORE INTO dirty_actors VALUES (?)", [ALL_ACTORS])
        return
    for table in tables:
        col = _ACTOR_REFERENCES[table]
        conn.execute(
            f'INSERT OR IGNORE INTO dirty_actors SELECT DISTINCT "{col}" FROM "{table}" '
            f'WHERE "{col}" IS NOT NULL AND {articles}',
            params or [],
        )


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse (the wait for it ran out)."""


# DuckDB's error when another process holds the file: 'IO Error: Could not set lock on file
# "<path>": Conflicting lock is held in <program> (PID <n>) [by user <u>]. ...'
_DUCKDB_LOCK = re.compile(r"Could not set lock on file.*?Conflicting lock is held in (.+?) \(PID (\d+)\)", re.S)
_ANNOUNCED: set[tuple[str, int]] = set()  # (file, PID) whose wait was reported: said once per process


def lock_holder(error: BaseException) -> tuple[int, str] | None:
    """(PID, program) of the process holding DuckDB's lock, when `error` is DuckDB's refusal
    to open a file another process holds; else None."""
    m = _DUCKDB_LOCK.search(str(error)) if isinstance(error, duckdb.IOException) else None
    return (int(m[2]), _command_line(int(m[2])) or m[1]) if m else None


def _command_line(pid: int, width: int = 100) -> str | None:
    """The holder's command line where it can be read (Linux), shortened: it tells a notebook
    kernel from a duckdb shell, where DuckDB's message names only the executable."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    text = " ".join(raw.decode("utf-8", "replace").replace("\0", " ").split())  # one line, whatever its arguments
    return text if len(text) <= width else text[: width - 3] + "..."


def connect_file(path: str | Path, read_only: bool = False, wait_s: float = DEFAULT_LOCK_TIMEOUT_S):
    """duckdb.connect(path), waiting up to `wait_s` seconds while another process holds
    DuckDB's lock on the file (a reader's session blocks a writer; a writer blocks
    everyone). The first wait on a file and holder logs one warning naming the process and
    what to do; when the wait runs out, WarehouseBusy (one line). Other errors are raised
    as they are."""
    delay, deadline = 0.1, None
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as e:
            holder = lock_holder(e)
            if holder is None:
                raise
            pid, program = holder
            now = time.monotonic()
            if deadline is None:
                deadline = now + wait_s
                if (str(path), pid) not in _ANNOUNCED:
                    _ANNOUNCED.add((str(path), pid))
                    log.warning(
                        "the warehouse %s is open in another process (PID %d: %s); waiting up to %.0f s for it "
                        "to close the file (--wait, $STANCEWIRE_WAIT). Close that connection or stop the process; researchers "
                        "read the releases' current.duckdb, never the working warehouse",
                        path,
                        pid,
                        program,
                        wait_s,
                    )
            if now >= deadline:
                raise WarehouseBusy(
                    f"the warehouse {path} stayed open in another process (PID {pid}: {program}) for "
                    f"{wait_s:.0f} s (--wait): close it there, then run again"
                ) from None
            time.sleep(min(delay, deadline - now))
            delay = min(delay * 2, 1.0)


class SchemaMismatch(RuntimeError):
    """The warehouse file was made by a stancewire with a different table layout."""


class Warehouse:
    def __init__(self, path: str | Path, lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S):
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @contextlib.contextmanager
    def hold(self, wait: bool = True) -> Iterator[None]:
        """Hold the warehouse lock. It is reentrant within this process (one lock object per
        file), so a whole run holds it (`assets.runner.run_pipeline`: a second run waits and never
        interleaves) while each step takes it again to connect. `wait=False`: raise
        WarehouseBusy at once when another process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = self._lock()
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if not wait:
                raise WarehouseBusy(f"the warehouse {self.path} is in use by another stancewire process") from None
            log.warning(
                "the warehouse %s is in use by another stancewire process (lock file %s); waiting up to %.0f s",
                self.path,
                self.lock_path,
                self.lock_timeout_s,
            )
            try:
                lock.acquire(timeout=self.lock_timeout_s)
            except Timeout:
                raise WarehouseBusy(
                    f"the warehouse {self.path} is in use by another stancewire process (lock file "
                    f"{self.lock_path}); waited {self.lock_timeout_s:.0f} s. Wait for the other run to "
                    f"finish, or point --warehouse at another file."
                ) from None
        try:
            yield
        finally:
            lock.release()

    def _lock(self) -> FileLock:
        return FileLock(str(self.lock_path.resolve()), is_singleton=True, thread_local=False)

    def holds(self) -> int:
        """How many holds this process has on the warehouse lock now: inside a step of
        `stancewire run`, 2 (the run's and the step's own connection)."""
        return self._lock().lock_counter

    def wait_until_free(self) -> None:
        """Wait (up to lock_timeout_s) while another process holds DuckDB's lock on the
        warehouse file, if there is one: a run starts when the file is free, or not at all
        (WarehouseBusy). Errors other than the lock are left to the step that opens the file."""
        if not self.path.is_file():
            return
        with contextlib.suppress(duckdb.Error):
            connect_file(self.path, wait_s=self.lock_timeout_s).close()

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection holding the warehouse lock; the schema is created on first use."""
        with self.hold():
            reading = read_only and self.path.exists()  # a missing file is made, with its tables
            if reading:
                conn = connect_file(self.path, read_only=True, wait_s=self.lock_timeout_s)
            else:
                conn = connect_file(self.path, wait_s=self.lock_timeout_s)
            try:
                if not reading:
                    identity = _file_identity(self.path)
                    # Checked once per file and process (a run connects a dozen times), and again
                    # if the tables are gone (a new file that was given the old one's inode).
                    if identity not in _SCHEMA_ENSURED or not _tables_present(conn):
                        with transaction(conn):  # a run killed while creating tables leaves none, not some
                            ensure_schema(conn)
                        _SCHEMA_ENSURED.add(identity)
                conn.execute("SET memory_limit = ?", [memory_limit()])
                yield conn
            finally:  # closed on every path: a refused schema leaves no open connection behind
                conn.close()


_SCHEMA_ENSURED: set[tuple] = set()


def _file_identity(path: Path) -> tuple:
    """The file itself, not its name: a warehouse deleted and made again is checked again."""
    st = path.stat()
    return str(path.resolve()), st.st_dev, st.st_ino


def _tables_present(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether every table, published and internal, is in the file."""
    names = list(TABLES) + [re.search(r'EXISTS "?(\w+)', ddl)[1] for ddl in _INTERNAL_DDL]
    n = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name IN "
        "(SELECT unnest(?::VARCHAR[]))",
        [names],
    ).fetchone()[0]
    return n == len(names)


def memory_limit(default: str = MEMORY_LIMIT) -> str:
    """DuckDB's memory cap for a stancewire connection: $STANCEWIRE_DUCKDB_MEMORY when set
    (for every connection), else `default` ("256MB"; the release's DuckDB file's writer
    has its own, `release.database.WRITER_MEMORY_LIMIT`)."""
    return os.environ.get(MEMORY_LIMIT_ENV) or default


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create missing tables; refuse a file whose tables have other columns, other column
    types or other NOT NULL constraints."""
    stored: dict[str, list[tuple[str, str, bool]]] = {}
    for table_name, column, data_type, nullable in conn.execute(
        "SELECT table_name, column_name, data_type, is_nullable = 'YES' FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ).fetchall():
        stored.setdefault(table_name, []).append((column, data_type, nullable))
    existing = set(stored)
    for table in TABLES.values():
        if table.name in existing:
            differs = _schema_differences(table, stored[table.name])
            if differs:
                raise SchemaMismatch(
                    f"table {table.name} of this warehouse was made by another version of stancewire ({differs}): "
                    f"move the warehouse aside (or pass --warehouse NEW_FILE) and run each input folder again to "
                    f"fill the new one (a new file in the same folder shares the parse cache: nothing is parsed again)."
                )
            continue
        for stmt in create_table_sql(table):
            conn.execute(stmt)
    had_dirty_actors = "dirty_actors" in existing
    for stmt in _INTERNAL_DDL:
        conn.execute(stmt)
    if not had_dirty_actors and conn.execute("SELECT count(*) FROM actors").fetchone()[0]:
        # a warehouse from before the bookkeeping: its actors are rebuilt once, in full
        conn.execute("INSERT OR IGNORE INTO dirty_actors VALUES (?)", [ALL_ACTORS])
    conn.execute(
        "INSERT INTO warehouse_info SELECT 'warehouse_id', ? WHERE NOT EXISTS "
        "(SELECT 1 FROM warehouse_info WHERE key = 'warehouse_id')",
        [uuid.uuid4().hex],
    )
    from pipeline.storage.views import create_views  # researcher views over the tables (pipeline/storage/sql/views.sql)

    create_views(conn)


def _schema_differences(table, stored: list[tuple[str, str, bool]]) -> str:
    """How the stored columns (name, type, nullable) of `table` differ from its definition,
    in words ("" when they agree)."""
    names = [c for c, _, _ in stored]
    if names != table.column_names:
        missing = [c for c in table.column_names if c not in names]
        unknown = [c for c in names if c not in table.column_names]
        parts = [
            f"it lacks {', '.join(missing)}" if missing else "",
            f"it has {', '.join(unknown)}, which this stancewire does not know" if unknown else "",
            "its columns are in another order" if not missing and not unknown else "",
        ]
        return "; ".join(p for p in parts if p)
    parts = []
    for column, (name, data_type, nullable) in zip(table.columns, stored, strict=True):
        want = column.type.upper()  # schema.py spells types as information_schema gives them
        if data_type.upper() != want:
            parts.append(f"its column {name} is {data_type}, this stancewire's is {want}")
        elif nullable != column.nullable:
            parts.append(
                f"its column {name} {'allows' if nullable else 'refuses'} NULL, this stancewire's "
                f"{'refuses' if nullable else 'allows'} it"
            )
    return "; ".join(parts)


def warehouse_id(conn: duckdb.DuckDBPyConnection) -> str:
    """This warehouse file's identity (made with its tables, kept when the file moves)."""
    return conn.execute("SELECT value FROM warehouse_info WHERE key = 'warehouse_id'").fetchone()[0]


def replace_rows(
    conn: duckdb.DuckDBPyConnection, table: Table | str, rows, where: str | None = None, params: list | None = None
) -> int:
    """Delete the rows matching `where` (all rows when None), then insert `rows` (a Polars or
    Arrow table with the table's columns), in the caller's transaction."""
    table = TABLES[table] if isinstance(table, str) else table
    cols = ", ".join(f'"{c}"' for c in table.column_names)
    conn.execute(f'DELETE FROM "{table.name}"' + (f" WHERE {where}" if where else ""), params or [])
    if rows is None or len(rows) == 0:
        return 0
    arrow = rows.to_arrow() if hasattr(rows, "to_arrow") else rows
    conn.register("_incoming", arrow)
    try:
        conn.execute(f'INSERT INTO "{table.name}" ({cols}) SELECT {cols} FROM _incoming')
    finally:
        conn.unregister("_incoming")
    return len(rows)


def insert_values(
    conn: duckdb.DuckDBPyConnection, table: str, rows: list, columns: list[str] | None = None, or_ignore: bool = False
) -> int:
    """Insert `rows` (sequences in the order of `columns`, else of the table's columns) in one
    statement. DuckDB's
    `executemany` runs one INSERT per row (0.25 ms each: seconds for a few thousand
    articles' states); this hands them over as one Arrow table."""
    if not rows:
        return 0
    import polars as pl

    frame = pl.DataFrame(  # types from every row: a column may be NULL in the first hundred
        [list(r) for r in rows], schema=[f"c{i}" for i in range(len(rows[0]))], orient="row", infer_schema_length=None
    )
    into = f'"{table}"' + (" (" + ", ".join(f'"{c}"' for c in columns) + ")" if columns else "")
    conn.register("_values", frame.to_arrow())
    try:
        conn.execute(f"INSERT {'OR IGNORE ' if or_ignore else ''}INTO {into} SELECT * FROM _values")
    finally:  # in an aborted transaction this raises too: the INSERT's error is the one to see
        with contextlib.suppress(duckdb.Error):
            conn.unregister("_values")
    return len(rows)


@contextlib.contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    conn.execute("BEGIN TRANSACTION")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def row_count(conn: duckdb.DuckDBPyConnection, table: str) -> int:
    if table not in TABLES:
        raise KeyError(table)
    return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def preview_markdown(conn: duckdb.DuckDBPyConnection, table: str, limit: int = 5) -> str:
    """A few rows as a Markdown table (long texts shortened), for Dagster metadata."""
    t = TABLES[table]
    cols = [c.name for c in t.columns if c.type != "BLOB"]
    select = ", ".join(
        f'CASE WHEN length(CAST("{c}" AS VARCHAR)) > 60 THEN left(CAST("{c}" AS VARCHAR), 57) || \'...\' '
        f'ELSE CAST("{c}" AS VARCHAR) END AS "{c}"'
        for c in cols
    )
    order = ", ".join(f'"{k}"' for k in t.primary_key)
    rows = conn.execute(f'SELECT {select} FROM "{table}" ORDER BY {order} LIMIT {int(limit)}').fetchall()
    esc = lambda v: "" if v is None else str(v).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(esc(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)

"""Researchers and the pipeline never block each other (issue 22).

Every release is also a read-only DuckDB file (`release.database`), `current.duckdb` names the
current one; a session on it keeps its version while newer ones are published. A process
holding DuckDB's lock on the working warehouse is waited for (`warehouse.connect_file`),
named once, and a run that cannot get the file in time exits with status 4 and one line,
its summary reporting no counts of a load that did not happen."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
from conftest import REPO, make_settings, needs_pipeline, run
from robustness_helpers import cli_args, release_problems, start_cli

from pipeline.exports.dictionary import column_description
from pipeline.release import checksums, metadata, versions
from pipeline.release.database import RELEASE_INFO, release_version, storage_version, write_release_database
from pipeline.release.diff import diff_folders
from pipeline.schema import RELEASED_TABLES, TABLES
from pipeline.storage import views
from pipeline.storage.warehouse import Warehouse, WarehouseBusy, connect_file

PYTHON = Path(sys.executable)
NEW_ARTICLE = """\
Macron backs a European force
Source: Test Wire
French President Emmanuel Macron said on Thursday that European troops could help secure a peace deal in Ukraine.
“Europe must be ready to send a peacekeeping force to Ukraine,” Macron told reporters in Paris.
"""

# A reader's session in another process: opens the file, says so, then answers each line on
# stdin ("count" or "close") until it is told to close. Nothing here is stancewire's.
READER = r"""
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2:] != ["write"])
print("open", flush=True)
for line in sys.stdin:
    if line.strip() == "close":
        break
    n = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    release = sys.argv[2:] == ["release"]
    version = con.execute("SELECT version FROM release_info").fetchone()[0] if release else ""
    ties = con.execute("SELECT count(*) FROM discourse_network").fetchone()[0] if release else 0
    print(n, version, ties, flush=True)
con.close()
print("closed", flush=True)
"""


def start_reader(path: Path, release: bool = False, write: bool = False) -> subprocess.Popen:
    """A session in another process; `write`: a read-write one (it blocks readers too)."""
    proc = subprocess.Popen(
        [str(PYTHON), "-c", READER, str(path), *(["release"] if release else ["write"] if write else [])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline().strip()
    assert line == "open", proc.stderr.read()
    return proc


def ask(reader: subprocess.Popen, what: str = "count") -> str:
    reader.stdin.write(what + "\n")
    reader.stdin.flush()
    return reader.stdout.readline().strip()


def stop(reader: subprocess.Popen) -> int:
    if reader.poll() is None:
        assert ask(reader, "close") == "closed"
    return reader.wait(timeout=30)


def make_warehouse(path: Path) -> Path:
    with Warehouse(path).connect():
        pass
    return path


# ---------------------------------------------------------------- waiting for the working warehouse


def test_a_writer_waits_for_a_readers_session_and_says_so_once(tmp_path, caplog):
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb")
    reader = start_reader(warehouse)
    released = threading.Timer(2.0, lambda: stop(reader))
    started = time.monotonic()
    released.start()
    try:
        with caplog.at_level(logging.WARNING, logger="pipeline.storage.warehouse"):
            conn = connect_file(warehouse, wait_s=60)
        waited = time.monotonic() - started
        conn.close()
    finally:
        released.join()
    assert reader.returncode == 0
    assert waited >= 1.5  # it waited for the session to end, then went on
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1, said  # once, not once per attempt
    assert f"(PID {reader.pid}: " in said[0] and "waiting up to 60 s" in said[0]
    assert "current.duckdb" in said[0]  # what to do instead


def test_the_wait_is_bounded_and_names_the_holder_in_one_line(tmp_path):
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb")
    reader = start_reader(warehouse)
    try:
        started = time.monotonic()
        with pytest.raises(WarehouseBusy) as caught:
            connect_file(warehouse, wait_s=1)
        assert time.monotonic() - started < 10
        # a reader's session does not block another reader
        connect_file(warehouse, read_only=True, wait_s=0).close()
    finally:
        assert stop(reader) == 0
    message = str(caught.value)
    assert "\n" not in message
    assert f"the warehouse {warehouse} stayed open in another process (PID {reader.pid}: " in message
    assert "for 1 s (--wait)" in message


def test_a_run_that_cannot_get_the_warehouse_exits_4_without_counts(tmp_path):
    """The run waits before it starts anything (`run_pipeline`); at the timeout: status 4,
    one line, and a summary that reports no counts."""
    from assets.runner import EXIT_BUSY, run_pipeline

    warehouse = make_warehouse(tmp_path / "warehouse.duckdb")
    (tmp_path / "raw").mkdir()
    settings = make_settings(tmp_path, tmp_path / "raw", lock_timeout_s=1.0)
    reader = start_reader(warehouse)
    try:
        outcome = run_pipeline(settings)
    finally:
        assert stop(reader) == 0
    assert outcome.exit_code == EXIT_BUSY == 4
    assert outcome.summary == "nothing was run: the warehouse is busy"
    assert len(outcome.report()) == 1 and f"(PID {reader.pid}: " in outcome.report()[0]
    assert not (tmp_path / "warehouse.duckdb.staging").exists()  # nothing of the batch was staged


def test_a_step_that_times_out_stops_the_run_with_status_4_and_no_counts(tmp_path, monkeypatch):
    """The issue's run: the load step could not open the warehouse. Now the step waits and,
    at the timeout, the run exits 4 with one line; the summary reports no counts (it said
    '0 input records -> 0 articles' for a load that never happened)."""
    needs_pipeline()
    from assets import stages

    message = (
        f"the warehouse {tmp_path / 'warehouse.duckdb'} stayed open in another process (PID 4242: python3.11 "
        "notebook.py) for 1 s (--wait): close it there, then run again"
    )

    def busy(*args, **kwargs):
        raise WarehouseBusy(message)

    monkeypatch.setattr(stages, "load_warehouse", busy)
    (tmp_path / "drop").mkdir()
    (tmp_path / "drop" / "macron.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    outcome = run(make_settings(tmp_path, tmp_path / "drop", lock_timeout_s=1.0), tmp_path / "dagster")
    assert outcome.exit_code == 4
    assert outcome.report() == [f"stancewire: {message}"]
    assert outcome.summary == "batch drop: not loaded, the warehouse stayed busy (nothing of this run is in it)"
    assert not (tmp_path / "releases").exists()


def test_a_session_opened_after_the_run_costs_the_summary_its_counts_not_the_run(seed_copy_dir, monkeypatch):
    """The summary reads the warehouse after the run: if a session holds it by then, the
    counts are left out after a short wait, and the run's outcome stays what it was."""
    from assets import runner

    tmp = seed_copy_dir
    monkeypatch.setattr(runner, "SUMMARY_WAIT_S", 1.0)
    reader = None
    real_summary = runner._summary

    def summary_with_a_reader(warehouse, *args):
        nonlocal reader
        reader = start_reader(warehouse.path, write=True)  # opened once the run is over: blocks the summary's read
        return real_summary(warehouse, *args)

    monkeypatch.setattr(runner, "_summary", summary_with_a_reader)
    try:
        outcome = run(make_settings(tmp, tmp / "drop", batch_id="drop"), tmp / "dagster")
    finally:
        assert reader is not None and stop(reader) == 0
    assert outcome.ok and outcome.exit_code == 0, outcome.message
    lines = outcome.summary.splitlines()
    assert lines[0].startswith(f"batch drop: loaded; counts not read (the warehouse {tmp / 'warehouse.duckdb'} ")
    assert "input records" not in outcome.summary
    assert len(lines) == 2 and lines[1].startswith(f"published v1.1.0 at {tmp / 'releases' / 'v1.1.0'} (articles since")


def test_the_summary_reports_no_counts_of_a_load_that_did_not_happen(tmp_path):
    from assets.runner import _summary

    wh = Warehouse(make_warehouse(tmp_path / "warehouse.duckdb"))
    summary = _summary(wh, "drop", None, loaded=False)
    assert summary.splitlines()[0] == "batch drop: not loaded by this run"
    assert "input records" not in summary
    # A run stopped (Ctrl-C) after its load committed, before the step said so: the warehouse
    # holds the batch as staged now (its fingerprint), and the summary counts it.
    with wh.connect() as conn:
        conn.execute("INSERT INTO loaded_batches VALUES ('drop', 'fp-now')")
    assert _summary(wh, "drop", None, loaded=False, staged_fp="fp-before").startswith("batch drop: not loaded")
    held = _summary(wh, "drop", None, loaded=False, staged_fp="fp-now").splitlines()[0]
    assert held.startswith("batch drop: 0 input records") and held.endswith("said whether it loaded it)")


def test_the_wait_setting_is_checked():
    from pipeline import settings

    assert settings.resolve(lock_timeout_s="30")["lock_timeout_s"] == 30.0
    for bad in ("soon", "-1", "nan"):
        with pytest.raises(ValueError, match="--wait"):
            settings.resolve(lock_timeout_s=bad)


def assert_tables_are_their_parquet_files(con, folder: Path) -> None:
    """Each released table on `con` (a release's DuckDB file) holds exactly the rows of
    folder/<table>.parquet, duplicates counted."""
    for name in RELEASED_TABLES:
        parquet = f"read_parquet('{folder / (name + '.parquet')}')"
        for a, b in ((f'"{name}"', parquet), (parquet, f'"{name}"')):
            assert con.execute(f"SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})").fetchone()[0] == 0, name


# ---------------------------------------------------------------- runs while readers read


@pytest.fixture
def seed_copy_dir(seed_run, tmp_path) -> Path:
    """The seed run's warehouse, its staging folder, parse cache and releases (v1.0.0, with
    current.duckdb), copied for a test that runs the pipeline again."""
    src, _, outcome = seed_run
    assert outcome.ok, outcome.reason
    for name in ("warehouse.duckdb.staging", "parse-cache"):
        if (src / name).exists():
            shutil.copytree(src / name, tmp_path / name)
    shutil.copy(src / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    shutil.copytree(src / "releases", tmp_path / "releases", symlinks=True)  # current.duckdb stays a link
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "macron.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    return tmp_path


def test_a_session_on_current_duckdb_keeps_its_version_across_a_release(seed_copy_dir):
    tmp = seed_copy_dir
    current = tmp / "releases" / versions.CURRENT_DB
    reader = start_reader(current, release=True)
    try:
        before = ask(reader)
        assert before.split()[:2] == ["1", "1.0.0"]
        outcome = run(make_settings(tmp, tmp / "drop", batch_id="drop"), tmp / "dagster")
        assert outcome.ok, outcome.message
        assert "published v1.1.0" in outcome.summary
        assert ask(reader) == before  # the open session: its version, views and all
    finally:
        assert stop(reader) == 0
    con = duckdb.connect(str(current), read_only=True)  # a new connection: the new version
    try:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 2
        assert release_version(con) == "1.1.0"
        # v1.1.0's file (half of its rows are new: built whole) holds its Parquet files' rows
        assert_tables_are_their_parquet_files(con, tmp / "releases" / "v1.1.0")
        names = {v for (v,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        assert names == set(views.VIEW_NAMES)
    finally:
        con.close()
    assert os.readlink(current) == str(Path("v1.1.0") / versions.RELEASE_DB)
    assert not release_problems(tmp / "releases")


def test_a_release_database_is_patched_from_the_previous_file_only_as_published(seed_run, tmp_path, monkeypatch):
    """A later version's DuckDB file is the previous version's, copied, with the rows of the
    changed tables replaced; a previous file changed since it was published (its sha256 is
    not the manifest's) or written in another storage format is not copied: the file is
    built whole from the Parquet files."""
    import copy

    from pipeline.release import database

    patched = []
    real_patch = database._patch_from
    monkeypatch.setattr(database, "_patch_from", lambda *a: patched.append(real_patch(*a)) or patched[-1])
    src, _, outcome = seed_run
    assert outcome.ok, outcome.reason
    published = src / "releases" / "v1.0.0"
    manifest = versions.read_manifest(src / "releases", "v1.0.0")

    def new_version(folder: Path) -> dict:
        """v1.0.0's files with one mention gone and one added (another id): the manifest."""
        shutil.copytree(published, folder)
        folder.chmod(0o755)
        for p in folder.iterdir():
            p.chmod(0o644)
        (folder / versions.RELEASE_DB).unlink()
        old, new = folder / "mentions.parquet", folder / "mentions-new.parquet"
        con = duckdb.connect()
        con.execute(
            f"COPY (SELECT * FROM (SELECT * REPLACE (CASE WHEN mention_id = (SELECT min(mention_id) FROM "
            f"'{old}') THEN 'zz-added' ELSE mention_id END AS mention_id) FROM '{old}') "
            f"WHERE mention_id <> (SELECT max(mention_id) FROM '{old}')) TO '{new}' (FORMAT parquet)"
        )
        con.close()
        new.replace(old)
        later = copy.deepcopy(manifest)
        later.update(version="1.1.0", previous_version="1.0.0")
        later["tables"]["mentions"].update(
            sha256=versions.sha256_file(old), rows=manifest["tables"]["mentions"]["rows"] - 1
        )
        return later

    def assert_holds_its_parquet_files(folder: Path) -> None:
        con = duckdb.connect(str(folder / versions.RELEASE_DB), read_only=True)
        try:
            assert_tables_are_their_parquet_files(con, folder)
            assert release_version(con) == "1.1.0"
        finally:
            con.close()

    later = new_version(tmp_path / "a")
    written = write_release_database(tmp_path / "a", later, previous=published, previous_manifest=manifest)
    assert [d is not None for d in patched] == [True]
    assert_holds_its_parquet_files(tmp_path / "a")
    # what the patch found changed is what comparing the two folders finds (the CHANGELOG's)
    compared = diff_folders(published, tmp_path / "a", "v1.0.0", "v1.1.0")
    assert written.diff.to_json() == compared.to_json()
    assert (compared.table("mentions").added, compared.table("mentions").removed) == (1, 2)

    changed = tmp_path / "changed-since"  # v1.0.0 with an article's title changed in its DuckDB file
    shutil.copytree(published, changed)
    (changed / versions.RELEASE_DB).chmod(0o644)
    con = duckdb.connect(str(changed / versions.RELEASE_DB))
    con.execute("UPDATE articles SET title = 'changed after publishing'")
    con.close()
    later = new_version(tmp_path / "b")
    written = write_release_database(tmp_path / "b", later, previous=changed, previous_manifest=manifest)
    assert [d is not None for d in patched] == [True] and written.diff is None  # not copied: built whole
    assert_holds_its_parquet_files(tmp_path / "b")

    # a previous file in DuckDB 2.0's storage format (written before the 1.4 format was chosen)
    # is not patched: the new version is built whole, in the format DuckDB 1.4 reads
    chosen = database.STORAGE_VERSION
    monkeypatch.setattr(database, "STORAGE_VERSION", "v2.0.0")
    newer = tmp_path / "newer-format"
    shutil.copytree(published, newer)
    newer.chmod(0o755)
    (newer / versions.RELEASE_DB).unlink()
    write_release_database(newer, manifest)
    assert storage_version(newer / versions.RELEASE_DB) == "v2.0.0"
    monkeypatch.setattr(database, "STORAGE_VERSION", chosen)
    formatted = copy.deepcopy(manifest)
    formatted["files"][versions.RELEASE_DB] = versions.sha256_file(newer / versions.RELEASE_DB)
    later = new_version(tmp_path / "c")
    written = write_release_database(tmp_path / "c", later, previous=newer, previous_manifest=formatted)
    assert len(patched) == 1 and written.diff is None
    assert storage_version(tmp_path / "c" / versions.RELEASE_DB) == "v1.4.0"
    assert_holds_its_parquet_files(tmp_path / "c")


def test_a_release_database_is_patched_article_by_article_from_the_warehouse(seed_run, tmp_path, monkeypatch):
    """Under `publish` the patch reads the warehouse the files were exported from: only the
    articles whose rows differ (by each article's row count and sum of row hashes) are
    compared and rewritten, and the file then holds its Parquet files' rows, with the
    CHANGELOG's diff the same as comparing the two folders."""
    import datetime as dt

    from pipeline.release import database
    from pipeline.release.publish import export_tables

    src, _, outcome = seed_run
    assert outcome.ok, outcome.reason
    seed = src / "releases" / "v1.0.0"
    conn = connect_file(make_warehouse(tmp_path / "warehouse.duckdb"))
    for name in RELEASED_TABLES:
        conn.execute(f'DELETE FROM "{name}"')
        cols = ", ".join(f'"{c}"' for c in TABLES[name].column_names)
        conn.execute(f"INSERT INTO \"{name}\" SELECT {cols} FROM read_parquet('{seed / (name + '.parquet')}')")
    (seed_id,) = conn.execute("SELECT article_id FROM articles").fetchone()
    seed_only = f"article_id = '{seed_id}'"

    def add_article(article_id: str) -> None:
        """The seed's rows again under another article id (and other row ids): in every
        article table with seed rows."""
        for name in database.ARTICLE_TABLES:
            own_id = next(iter(TABLES[name].primary_key))
            sel = ", ".join(
                f"'{article_id}'"
                if c == "article_id"
                else f"'{article_id}-' || \"{c}\""
                if c == own_id  # a table's own row id (mention_id, ...)
                else f'"{c}"'
                for c in TABLES[name].column_names
            )
            conn.execute(f'INSERT INTO "{name}" SELECT {sel} FROM "{name}" WHERE {seed_only}')

    for other in ("zz-second", "zz-third"):
        add_article(other)
    with_rows = [n for n in database.ARTICLE_TABLES if conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]]
    assert {"articles", "sentences", "mentions", "quotes"} <= set(with_rows)

    def version(number: str, previous: dict | None) -> tuple[database.ReleaseDatabase, dict]:
        """Export the tables as version `number` and write its DuckDB file, patched from
        `previous` if given, reading the rows on a cursor of `conn`, as `publish` does; the
        file holds its Parquet files' rows."""
        folder = tmp_path / f"v{number}"
        folder.mkdir()
        schema_fp = versions.read_manifest(src / "releases", "v1.0.0")["schema_fingerprint"]
        feed = database.TableFeed(schema_fingerprint=schema_fp)
        manifest = {"version": number, "created": dt.datetime.now(dt.UTC).isoformat(), "schema_fingerprint": schema_fp}
        manifest["previous_version"] = previous["version"] if previous else None
        manifest["tables"] = export_tables(conn, folder, on_table=feed.put)
        feed.finish(manifest)
        with conn.cursor() as reader:
            written = write_release_database(
                folder,
                feed,
                previous=tmp_path / f"v{previous['version']}" if previous else None,
                previous_manifest=previous,
                rows_from=reader,
            )
        manifest["files"] = {versions.RELEASE_DB: versions.sha256_file(folder / versions.RELEASE_DB)}
        with duckdb.connect(str(folder / versions.RELEASE_DB), read_only=True) as con:
            assert_tables_are_their_parquet_files(con, folder)
        return written, manifest

    first_written, first = version("1.1.0", None)
    assert first_written.diff is None  # a first version: built whole
    # one article is added, one removed, one loses a mention's label, the seed a sentence
    add_article("zz-fourth")
    for name in database.ARTICLE_TABLES:
        conn.execute(f"DELETE FROM \"{name}\" WHERE article_id = 'zz-third'")
    conn.execute(
        "UPDATE mentions SET label = 'CHANGED' WHERE mention_id = (SELECT min(mention_id) FROM mentions "
        "WHERE article_id = 'zz-second')"
    )
    conn.execute("DELETE FROM sentences WHERE article_id = ? AND sentence_no = 0", [seed_id])
    # four articles: a changed article's rows are a quarter of a table, and the two changed
    # articles' new rows half of it; allowed here (at the default share, 0.2, a release
    # that changes one of four articles is patched from the files)
    share = database.MAX_PATCHED_SHARE
    monkeypatch.setattr(database, "MAX_PATCHED_SHARE", 1.0)
    compared = []
    real = database._patch_table
    monkeypatch.setattr(
        database,
        "_patch_table",
        lambda c, name, *a, **k: compared.append((name, k.get("among"))) or real(c, name, *a, **k),
    )
    written, _ = version("1.2.0", first)
    assert written.diff is not None  # patched, not built whole
    changed = {"zz-fourth", "zz-third"}
    expected = {
        n: changed | ({"zz-second"} if n == "mentions" else {seed_id} if n == "sentences" else set()) for n in with_rows
    }
    assert {name: set(among) for name, among in compared} == expected
    assert (
        written.diff.to_json() == diff_folders(tmp_path / "v1.1.0", tmp_path / "v1.2.0", "v1.1.0", "v1.2.0").to_json()
    )
    arts = written.diff.table("articles")
    assert (arts.added, arts.removed, written.diff.table("mentions").changed) == (1, 1, 1)

    # a reader that does not see the exported rows (the exporter's change is not committed):
    # the tables are patched from their files instead
    conn.execute("BEGIN TRANSACTION")
    conn.execute("UPDATE mentions SET label = 'UNCOMMITTED' WHERE article_id = 'zz-second'")
    compared.clear()
    written, _ = version("1.2.1", first)
    conn.execute("ROLLBACK")
    assert written.diff is not None and ("mentions", None) in compared

    # every article changed: their rows would be fetched into memory; patched from the file
    # (and then built whole, as too much changed)
    monkeypatch.setattr(database, "MAX_PATCHED_SHARE", share)
    conn.execute("UPDATE mentions SET label = 'CHANGED AGAIN'")
    compared.clear()
    written, _ = version("1.3.0", first)
    assert ("mentions", None) in compared and written.diff is None


def test_a_run_waits_for_a_session_on_the_working_warehouse(seed_copy_dir):
    """A reader holds data/warehouse.duckdb (read-only) for 10 s while `stancewire run`
    starts: the run says it waits, and for whom, then goes on and publishes."""
    needs_pipeline()
    tmp = seed_copy_dir
    reader = start_reader(tmp / "warehouse.duckdb")
    opened = time.monotonic()
    proc = start_cli(cli_args(tmp / "drop", tmp, "--batch", "drop", "--wait", "120"))
    err_lines: list[str] = []
    waiting = threading.Event()

    def read_stderr():
        for line in proc.stderr:
            err_lines.append(line)
            if "is open in another process" in line:
                waiting.set()

    reading = threading.Thread(target=read_stderr, daemon=True)
    reading.start()
    try:
        try:
            assert waiting.wait(120), "".join(err_lines)[-3000:]
            time.sleep(max(0.0, 10 - (time.monotonic() - opened)))
            assert proc.poll() is None  # still waiting while the session is open
        finally:
            assert stop(reader) == 0
        out, _ = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reading.join(timeout=10)
    assert proc.returncode == 0, "".join(err_lines)[-3000:]
    said = [line for line in err_lines if "is open in another process" in line]
    assert len(said) == 1 and f"(PID {reader.pid}: " in said[0] and "waiting up to 120 s" in said[0]
    assert "batch drop: 1 input records -> 1 articles" in out and "published v1.1.0" in out


# ---------------------------------------------------------------- the release's DuckDB file


def test_the_release_database_holds_the_parquet_rows_views_and_comments(seed_run):
    tmp, _, outcome = seed_run
    assert outcome.ok, outcome.reason
    releases = tmp / "releases"
    folder = releases / "v1.0.0"
    path = folder / versions.RELEASE_DB
    manifest = versions.read_manifest(releases, "v1.0.0")
    assert manifest["files"][versions.RELEASE_DB] == versions.sha256_file(path)  # `release verify` checks it
    assert checksums.verify(releases, "v1.0.0") == []
    assert not path.stat().st_mode & 0o222  # read-only, as every release file
    link = releases / versions.CURRENT_DB
    assert link.is_symlink() and os.readlink(link) == f"v1.0.0/{versions.RELEASE_DB}"  # relative: moves with it
    con = duckdb.connect(str(link), read_only=True)
    try:
        for name in RELEASED_TABLES:
            source = str(folder / manifest["tables"][name]["file"]).replace("'", "''")
            # the same rows, in the same (key) order as the Parquet file
            assert (
                con.execute(f'SELECT * FROM "{name}"').fetchall()
                == con.execute(f"SELECT * FROM read_parquet('{source}')").fetchall()
            ), name
        tables = dict(
            con.execute(
                "SELECT table_name, comment FROM duckdb_tables() WHERE database_name = current_database()"
            ).fetchall()
        )
        assert set(tables) == {*RELEASED_TABLES, RELEASE_INFO}
        assert all(tables.values())
        for name in RELEASED_TABLES:
            assert f"Primary key: {', '.join(TABLES[name].primary_key)}." in tables[name]
            comments = dict(
                con.execute(
                    "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = ? "
                    "AND database_name = current_database()",
                    [name],
                ).fetchall()
            )
            assert comments == {c.name: column_description(c, quote="") for c in TABLES[name].columns}
        view_comments = dict(con.execute("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall())
        assert set(views.VIEW_NAMES) <= set(view_comments) and all(view_comments[v] for v in views.VIEW_NAMES)
        assert con.execute(f"SELECT * FROM {RELEASE_INFO}").fetchall() == [
            ("stancewire", "1.0.0", manifest["created"], None)
        ]
    finally:
        con.close()
    # views.sql: the same tables, views and comments over the Parquet files, without stancewire
    plain = duckdb.connect()
    db = duckdb.connect(str(path), read_only=True)
    try:
        plain.execute(f"SET file_search_path = '{folder}'")
        for _ in range(2):  # run twice, as a user may: the same views, one release_info row
            plain.execute((folder / metadata.VIEWS_SQL).read_text(encoding="utf-8"))
        for name in [*RELEASED_TABLES, *views.VIEW_NAMES, RELEASE_INFO]:
            query = f'SELECT * FROM "{name}" ORDER BY ALL'
            assert plain.execute(query).fetchall() == db.execute(query).fetchall(), name
        column_comments = (
            "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE NOT internal ORDER BY ALL"
        )
        assert plain.execute(column_comments).fetchall() == db.execute(column_comments).fetchall()
    finally:
        plain.close()
        db.close()
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "duckdb -readonly stancewire.duckdb" in card and "data/releases/current.duckdb" in card
    # the labels a column may hold, and what it references, reach the reader of either
    stance = next(c for c in TABLES["stances"].columns if c.name == "stance")
    assert stance.values and f"Values: {', '.join(f'`{v}`' for v in stance.values)}." in card
    assert "References `articles.article_id`." in card
    assert "duckdb.connect('stancewire.duckdb', read_only=True)" in card
    # the file opens in DuckDB 1.4 and later, as the card says
    assert storage_version(folder / "stancewire.duckdb") == "v1.4.0" and "DuckDB 1.4 or later" in card


def test_docs_send_researchers_to_current_duckdb():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Query the warehouse", 1)[1].split("\n## ", 1)[0]
    queries = (REPO / "docs" / "queries.md").read_text(encoding="utf-8")
    for text in (section, queries.split("## 1.", 1)[0]):
        assert "duckdb -readonly data/releases/current.duckdb" in text
        assert 'duckdb.connect("data/releases/current.duckdb", read_only=True)' in text

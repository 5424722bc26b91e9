"""The hand-over between the release's export and the writer of its DuckDB file
(`release.database.TableFeed`): tables as they come, a replay for a whole build after a
failed patch, and a cancel that wakes a waiting writer; the export's one DuckDB thread
(`release.publish.one_thread`), which leaves the other core to that writer."""

from __future__ import annotations

import threading

import duckdb
import pytest

from pipeline.release.database import PublishCancelled, TableFeed
from pipeline.release.publish import one_thread


def test_a_writer_gets_each_table_as_it_is_exported_then_the_manifest():
    feed = TableFeed(schema_fingerprint="s")
    got: list[str] = []
    done = threading.Event()

    def writer():
        for name, entry in feed.tables():
            got.append(f"{name}:{entry['rows']}")
        got.append(feed.manifest()["version"])
        done.set()

    t = threading.Thread(target=writer)
    t.start()
    feed.put("articles", {"rows": 3})
    feed.put("quotes", {"rows": 5})
    assert not done.wait(0.2)  # the writer waits for the rest: more tables or the manifest
    feed.finish({"version": "1.1.0"})
    t.join(5)
    assert got == ["articles:3", "quotes:5", "1.1.0"]


def test_a_second_pass_replays_every_table_from_the_first():
    """A patch that fails half-way leaves the whole build to read every table again."""
    feed = TableFeed({"schema_fingerprint": "s", "version": "1.0.0", "tables": {"a": {"rows": 1}, "b": {"rows": 2}}})
    first = feed.tables()
    assert next(first)[0] == "a"
    assert [name for name, _ in feed.tables()] == ["a", "b"]
    assert feed.schema_fingerprint == "s" and feed.manifest()["version"] == "1.0.0"


def test_a_cancel_wakes_a_waiting_writer_and_stops_it():
    feed = TableFeed(schema_fingerprint="s")
    feed.put("articles", {"rows": 3})
    raised = []

    def writer():
        try:
            for _ in feed.tables():
                pass
        except PublishCancelled:
            raised.append(True)

    t = threading.Thread(target=writer)
    t.start()
    feed.cancel()
    t.join(5)
    assert not t.is_alive() and raised == [True]
    with pytest.raises(PublishCancelled):
        feed.manifest()


def test_the_export_runs_in_one_thread_and_gives_the_connection_its_threads_back():
    conn = duckdb.connect()
    conn.execute("SET threads = 2")
    threads = "SELECT current_setting('threads')"
    with one_thread(conn):
        assert conn.execute(threads).fetchone()[0] == 1
    assert conn.execute(threads).fetchone()[0] == 2
    with pytest.raises(duckdb.CatalogException), one_thread(conn):  # a failed export, too
        conn.execute("SELECT * FROM no_such_table")
    assert conn.execute(threads).fetchone()[0] == 2


def _memory_limit_of(value: str) -> str:
    conn = duckdb.connect()
    conn.execute("SET memory_limit = ?", [value])
    return conn.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def test_the_release_files_writer_has_its_own_memory_cap_unless_one_is_set_for_all(tmp_path, monkeypatch):
    """The writer runs beside the warehouse's DuckDB in the run's process (`database._connect`)."""
    from pipeline.release import database
    from pipeline.storage.warehouse import MEMORY_LIMIT, MEMORY_LIMIT_ENV

    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    assert _memory_limit_of(database.WRITER_MEMORY_LIMIT) != _memory_limit_of(MEMORY_LIMIT)
    for env, expected in ((None, database.WRITER_MEMORY_LIMIT), ("64MB", "64MB")):
        if env:
            monkeypatch.setenv(MEMORY_LIMIT_ENV, env)
        conn = database._connect(tmp_path / f"{expected}.duckdb", tmp_path / "spill")
        try:
            assert conn.execute("SELECT current_setting('memory_limit')").fetchone()[0] == _memory_limit_of(expected)
        finally:
            conn.close()

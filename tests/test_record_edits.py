"""An input record edited in its id or metadata, its text unchanged, is a changed record: the
next run of its batch stores the new id, title, author and date (they were kept as first
read, through `stancewire rebuild` too)."""

from __future__ import annotations

import json

import duckdb
from conftest import make_settings, run

TEXT = "The senator said on Monday that she would vote for the bill. " * 3


def _write(folder, record: dict) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "a.jsonl").write_text(json.dumps({**record, "text": TEXT}) + "\n", encoding="utf-8")


def _articles(settings) -> list[tuple]:
    with duckdb.connect(settings.warehouse, read_only=True) as conn:
        return conn.execute("SELECT article_id, title, author, published_at FROM articles").fetchall()


def test_an_edited_id_or_date_reaches_the_warehouse(tmp_path):
    folder = tmp_path / "drop"
    settings = make_settings(tmp_path, folder)
    _write(folder, {"id": "art-1", "title": "Old title", "author": "Old Author", "published_at": "2016-09-01"})
    assert run(settings, tmp_path / "dagster").ok
    assert _articles(settings) == [("art-1", "Old title", "Old Author", "2016-09-01")]

    _write(folder, {"id": "art-2", "title": "New title", "author": "New Author", "published_at": "2016-09-02"})
    outcome = run(settings, tmp_path / "dagster")
    assert outcome.ok, outcome.reason
    assert _articles(settings) == [("art-2", "New title", "New Author", "2016-09-02")]
    with duckdb.connect(settings.warehouse, read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM rejected_articles").fetchone() == (0,)

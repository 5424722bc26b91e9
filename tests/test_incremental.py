"""Incremental work: a run appends new batches, replaces a re-run last batch's rows,
validates only the batches whose rows changed, and links the unchanged tables' files from
the previous release; a full rebuild (`stancewire rebuild`)
reloads every staged batch and validates every row, and gives the same release files.

One warehouse goes through the whole sequence (each step is a run of a few seconds):
batch-a, batch-b, batch-b again with one more file, an edited codebook, a full rebuild;
then a batch staged with a bad row (blocked), and a bad row planted in an old batch's
staging (caught by the full rebuild, with the new batch's)."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest
from batch_corpus import BATCH_A, BATCH_B, article, write_batches
from conftest import CODEBOOKS, make_settings, run

from pipeline.release import versions


def _parts(warehouse, table: str) -> dict[str, set[str]]:
    """{batch: run ids} of the table's parts whose row-wise expectations are kept (a part is
    a batch and a bucket of its records: "batch-a:17")."""
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = conn.execute("SELECT part, run_id FROM validation_parts WHERE table_name = ?", [table]).fetchall()
    finally:
        conn.close()
    out: dict[str, set[str]] = {}
    for part, run_id in rows:
        out.setdefault(part.rsplit(":", 1)[0], set()).add(run_id)
    return out


def _count(warehouse, sql: str, params=()) -> int:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        return conn.execute(sql, list(params)).fetchone()[0]
    finally:
        conn.close()


def _plant_bad_sentence(settings, batch: str) -> str:
    """Make the first staged sentence of `batch` disagree with its article's text; its key."""
    part = settings.staging.all_parts("sentences", [batch])[0]
    frame = pl.read_parquet(part)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("words the article never had"))
        .otherwise(pl.col("text"))
        .alias("text")
    )
    frame.write_parquet(part)
    return frame["article_id"][0]


def _edited_codebook(folder) -> str:
    book = sorted(CODEBOOKS.glob("*.yaml"))[0]
    edited = folder / book.name
    edited.write_text(book.read_text(encoding="utf-8").replace('version: "1.0"', 'version: "1.1"'), encoding="utf-8")
    return str(edited)


@pytest.mark.slow
def test_incremental_runs_and_a_full_rebuild(tmp_path):
    folders = write_batches(tmp_path / "input")
    dagster = tmp_path / "dagster"
    releases = tmp_path / "releases"

    def settings(batch: str, folder=None, **kw):
        return make_settings(tmp_path, folder or folders[batch], batch_id=batch, **kw)

    first = run(settings(BATCH_A), dagster)
    assert first.ok, first.reason
    warehouse = tmp_path / "warehouse.duckdb"
    assert _parts(warehouse, "sentences") == {BATCH_A: {first.run_id}}

    # A new batch: batch-a's rows keep their outcomes, only batch-b's are validated.
    second = run(settings(BATCH_B), dagster)
    assert second.ok, second.reason
    parts = _parts(warehouse, "sentences")
    assert parts == {BATCH_A: {first.run_id}, BATCH_B: {second.run_id}}

    # batch-b run again with one more file: its own rows are replaced, batch-a's untouched.
    (folders[BATCH_B] / "extra.txt").write_text(article(7), encoding="utf-8")
    before = _count(warehouse, "SELECT count(*) FROM articles WHERE batch_id = ?", [BATCH_B])
    third = run(settings(BATCH_B), dagster)
    assert third.ok, third.reason
    assert _count(warehouse, "SELECT count(*) FROM articles WHERE batch_id = ?", [BATCH_B]) == before + 1
    # (the extra file's part is new; batch-b's other parts kept their outcomes or were redone)
    assert _parts(warehouse, "sentences")[BATCH_A] == {first.run_id}
    assert third.run_id in _parts(warehouse, "sentences")[BATCH_B]

    # An edited codebook: stances re-coded; then a full rebuild of everything from staging.
    book = _edited_codebook(tmp_path)
    fourth = run(settings(BATCH_B, codebooks=[book]), dagster)
    assert fourth.ok, fourth.reason
    current = versions.current_version(releases)
    assert current == "v1.3.0"
    # Tables the codebook edit left as they were are the previous version's files, linked.
    same = {p.name for p in (releases / current).glob("*.parquet") if p.samefile(releases / "v1.2.0" / p.name)}
    assert {"articles.parquet", "sentences.parquet", "quotes.parquet"} <= same
    assert "stances.parquet" not in same and "codebook_targets.parquet" not in same
    files = {p.name: p.read_bytes() for p in (releases / current).glob("*.parquet")}

    import dagster as dg

    from assets.runner import run_pipeline

    with dg.DagsterInstance.local_temp(str(dagster)) as instance:
        rebuilt = run_pipeline(settings(BATCH_B, codebooks=[book]), instance=instance, rebuild=True)
    assert rebuilt.ok, rebuilt.reason
    assert "rebuilt from every staged batch" in rebuilt.summary
    assert f"data unchanged: {current} stays current" in rebuilt.summary  # the same tables, byte for byte
    assert set().union(*_parts(warehouse, "sentences").values()) == {rebuilt.run_id}  # every row validated again
    assert {p.name: p.read_bytes() for p in (releases / current).glob("*.parquet")} == files

    # A bad row in a new batch blocks the release.
    new = tmp_path / "input" / "batch-c"
    new.mkdir()
    (new / "c.txt").write_text(article(11), encoding="utf-8")
    staged = run_pipeline_subset(settings("batch-c", new, codebooks=[book]), dagster)
    assert staged.ok, staged.reason
    bad_article = _plant_bad_sentence(settings("batch-c", new), "batch-c")
    blocked = run(settings("batch-c", new, codebooks=[book]), dagster)
    assert not blocked.ok
    assert "sentences" in blocked.message and "text_matches_offsets" in blocked.message
    assert bad_article in blocked.message  # the offending row's key
    assert versions.current_version(releases) == current
    # A bad row planted in an old batch's staging is not read by runs that append; a full
    # rebuild reloads it and is blocked.
    old_bad = _plant_bad_sentence(settings(BATCH_A), BATCH_A)
    with dg.DagsterInstance.local_temp(str(dagster)) as instance:
        caught = run_pipeline(settings("batch-c", new, codebooks=[book]), instance=instance, rebuild=True)
    assert not caught.ok
    assert "sentences" in caught.message and old_bad in caught.message and bad_article in caught.message
    assert "nothing was published" in caught.message


def run_pipeline_subset(settings, dagster):
    """Only the batch's own steps (ingest, clean, parse): staged, not loaded."""
    import dagster as dg

    from assets.runner import run_pipeline

    with dg.DagsterInstance.local_temp(str(dagster)) as instance:
        return run_pipeline(settings, instance=instance, asset_selection=["batch_files", "batch_nlp"])

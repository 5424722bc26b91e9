"""The dedup rule (one place: `pipeline.steps.dedup`) and the Polars schemas derived from
`schema.TABLES` (`pipeline.storage.polars_schemas`)."""

from __future__ import annotations

import polars as pl

from pipeline.schema import TABLES
from pipeline.steps.dedup import DUPLICATE, ID_CONFLICT, KEPT, decide
from pipeline.storage.polars_schemas import STAGED, column_types, schema_for, table_schema


def test_first_record_of_a_text_is_kept_later_ones_are_duplicates_or_conflicts():
    records = [("a", "t1"), ("b", "t1"), ("a", "t2"), ("c", "t3"), ("a", "t1")]
    got = [(d.outcome, d.duplicate_of) for d in decide(records)]
    assert got == [(KEPT, None), (DUPLICATE, "a"), (ID_CONFLICT, None), (KEPT, None), (DUPLICATE, "a")]


def test_records_are_decided_against_articles_already_stored():
    seen = [("a", "t1")]  # (article_id, text_sha256), as the loader reads them
    got = [d.outcome for d in decide([("a", "t1"), ("a", "t9"), ("z", "t1"), ("n", "t9")], seen)]
    assert got == [DUPLICATE, ID_CONFLICT, DUPLICATE, KEPT]


def test_a_column_name_has_one_type_in_every_table():
    types: dict[str, set[str]] = {}
    for table in TABLES.values():
        for c in table.columns:
            types.setdefault(c.name, set()).add(c.type)
    assert {name: t for name, t in types.items() if len(t) > 1} == {}
    assert set(column_types()) >= set(types)


def test_staged_schemas_follow_the_tables():
    assert STAGED["rejections"] == schema_for(TABLES["rejected_articles"].column_names)
    assert list(STAGED["alignment"])[:3] == ["batch_id", "source_file", "record_no"]
    assert "article_id" not in STAGED["alignment"]
    assert table_schema("quotes", before=["batch_id"])["batch_id"] == pl.Utf8

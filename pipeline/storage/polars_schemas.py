"""Polars schemas of the frames stancewire stages and loads, derived from `schema.TABLES`:
a column's type is written down once, in the table that holds it. A staged file is a
table's columns (`table_schema`) or a list of column names (`schema_for`), keyed by the
record it came from (`RECORD_KEY`)."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from pipeline.schema import TABLES

POLARS_TYPES = {
    "VARCHAR": pl.Utf8,
    "INTEGER": pl.Int64,
    "BIGINT": pl.Int64,
    "DOUBLE": pl.Float64,
    "BOOLEAN": pl.Boolean,
    "DATE": pl.Date,
}
# Bookkeeping columns that only staged files have: which stage wrote an actor row, the
# coding fingerprint a precoded statement was coded under, and a precoded article's scope
# (`pipeline.steps.coding_scope`).
STAGING_ONLY = {"stage": "VARCHAR", "coding_fp": "VARCHAR", "coding_scope": "VARCHAR"}
RECORD_KEY = ("batch_id", "source_file", "record_no")  # one input record, in every staged table


def column_types() -> dict[str, str]:
    """Every column name of TABLES (and STAGING_ONLY) -> its SQL type; a name has one type
    wherever it appears (a test holds the tables to that)."""
    types = dict(STAGING_ONLY)
    for table in TABLES.values():
        for c in table.columns:
            types.setdefault(c.name, c.type)
    return types


def schema_for(columns: Iterable[str]) -> dict[str, pl.DataType]:
    """The Polars schema of these columns, in this order."""
    types = column_types()
    return {name: POLARS_TYPES[types[name]] for name in columns}


def table_schema(table: str, before: Iterable[str] = (), without: Iterable[str] = ()) -> dict[str, pl.DataType]:
    """`table`'s columns in order (less `without`), after the columns `before` (for example
    the batch id a staged part adds)."""
    before, without = list(before), set(without)
    own = [c.name for c in TABLES[table].columns if c.name not in without and c.name not in before]
    return schema_for(before + own)


_ACTOR_ROW = ["stage", "article_id", "actor_id", "name", "actor_type", "country"]
CODED_KEYS = ["batch_id", "text_sha256", "coding_fp"]  # a precoded statement's batch, text and coding

# The staged part files of a batch (`Staging.write_part`), by staged table name.
STAGED = {
    "records": table_schema("raw_articles"),
    "rejections": table_schema("rejected_articles"),
    "cleaned": schema_for(
        [
            *RECORD_KEY,
            "article_id",
            "doc_name",
            "title",
            "outlet",
            "author",
            "published_date",
            "original_source",
            "text",
        ]
        + ["text_sha256", "n_chars", "n_paragraphs", "language", "cleaning"]
    ),
    "alignment": table_schema("article_alignment", before=RECORD_KEY, without=["article_id"]),
    "sentences": table_schema("sentences", before=["batch_id"]),
    "mentions": table_schema("mentions", before=["batch_id"]),
    "quotes": table_schema("quotes", before=["batch_id"]),
    "article_actors": schema_for(["batch_id", *_ACTOR_ROW]),
    "stance_coded": schema_for([*CODED_KEYS, "article_id", "coding_scope"]),
    "stance_statements": table_schema("stances", before=CODED_KEYS, without=["review_verdict"]),
    "stance_actors": schema_for(CODED_KEYS + _ACTOR_ROW),
}

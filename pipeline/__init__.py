"""stancewire's domain logic: plain functions and data structures, no Dagster.

Each stage of the data flow has a subpackage: `text` (ingest, clean, language), `nlp`,
`actors`, `quotes`, `stances`, `storage` (warehouse, staging), `steps` (the per-batch and
warehouse-wide steps), `release` and `exports` (docs/design.md draws the flow). `schema`
describes every researcher-facing table once: the DDL, the data dictionary, the dataset
card, the staged files' Polars schemas and the Great Expectations suites derive from it.
"""

__version__ = "0.1.0"

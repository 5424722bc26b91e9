"""stancewire's domain logic: plain functions and data structures, no Dagster.

Each stage has one module (ingest, clean, nlp, entities, actors, quotes, stances, release);
`schema` is the single description of every warehouse table that the DDL, the data
dictionary, the dataset card and the Great Expectations suites are generated from.
"""

__version__ = "0.1.0"

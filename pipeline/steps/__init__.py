"""The pipeline's steps without Dagster: `per_batch` (stage files, parse and annotate),
`dedup` (which records become articles), `load` (batches into the warehouse),
`warehouse_wide` (stance coding, actors), and what they share: `pool` (worker processes),
`worker` (what a spaCy worker loads) and `progress`."""

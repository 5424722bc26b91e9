"""Where rows live: the DuckDB warehouse, the per-warehouse staging folder of batches, the researcher views (sql/)."""

"""The pipeline's steps without Dagster: per-batch work, loading batches into the warehouse, warehouse-wide steps, and the worker pool they share."""

"""Imported by the zygote of the run's spaCy workers (`pool.worker_context`): loads what
the pool passed, so that each worker forked from it starts loaded."""

from pipeline.steps import pool

pool.load_zygote()

"""Imported by the zygote of the run's spaCy workers (`pool.worker_context`): loads what
the pool passed, then codes a built-in text (`per_batch.warm_up_coding`: nothing when the
config has no codebooks or did not load), so that each worker forked from it starts with
everything its first article would load."""

import contextlib

from pipeline.steps import pool

pool.load_zygote()
with contextlib.suppress(Exception):  # what failed here is loaded, and reported, at the first article
    from pipeline.steps.per_batch import warm_up_coding

    warm_up_coding()

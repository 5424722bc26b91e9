"""Two batches at once on Dagster's multiprocess executor give the tables of a sequential run.

The per-batch job (batch_files, batch_nlp: staging files only) runs once per batch, the two
runs launched together, each step in its own subprocess; then the warehouse-wide part
(load_batches, stance_coding, actors, the checks) runs once, in process, as the single
DuckDB writer. Every released table must equal the one `stancewire run` makes of batch-a
then batch-b, row for row in primary-key order.
"""

from __future__ import annotations

import os

import dagster as dg
from batch_corpus import (
    BATCH_A,
    BATCH_B,
    QUIET,
    assert_runs_overlapped,
    assert_same_tables,
    new_instance_dir,
    stancewire_env,
    step_pids,
    write_batches,
)

from assets.distributed import run_batches, run_warehouse
from assets.resources import StancewireSettings


def test_two_batches_in_parallel_give_the_sequential_tables(tmp_path, monkeypatch, sequential_batches):
    warehouse = tmp_path / "warehouse.duckdb"
    for var, value in stancewire_env(warehouse).items():  # what the run and step processes rebuild settings from
        monkeypatch.setenv(var, value)
    folders = write_batches(tmp_path / "input")

    with dg.DagsterInstance.local_temp(new_instance_dir(tmp_path / "dagster")) as instance:
        runs = run_batches(folders, instance, executor="multiprocess", run_config=QUIET, timeout_s=600)
        for run in runs.values():
            assert run.success, f"{run.batch_id}: {run.errors}"
        a, b = runs[BATCH_A].run_id, runs[BATCH_B].run_id

        # Each step ran in a subprocess of its own, none in this process.
        pids = {(r, k): pid for r in (a, b) for k, pid in step_pids(instance, r).items()}
        assert {k for _, k in pids} == {"batch_files", "batch_nlp"}
        assert len(set(pids.values())) == 4 and os.getpid() not in pids.values()

        assert_runs_overlapped(instance, a, b)

        result = run_warehouse(StancewireSettings.from_env(publish=False), instance)
        assert result.success

    assert_same_tables(sequential_batches, warehouse)


def test_a_batch_being_rewritten_is_locked_and_invisible_to_the_loader(tmp_path):
    """While a stage rewrites a batch it holds the batch's lock (a second run of the batch, or
    the loader, waits) and the batch is not complete, also when only its parses are redone."""
    import threading

    from filelock import Timeout

    from pipeline.steps.per_batch import stage_files, stage_nlp
    from pipeline.storage.staging import Staging

    folders = write_batches(tmp_path / "input")
    staging = Staging(tmp_path / "staging")
    stage_files(folders[BATCH_A], BATCH_A, staging, "code-1")
    stage_nlp(BATCH_A, staging, StancewireSettings().spacy_model, "code-1")
    assert staging.batches() == [BATCH_A]

    seen = []

    def during_rewrite(n: int) -> None:
        def try_lock():
            try:
                staging.lock(BATCH_A).acquire(timeout=0)
                seen.append("lock free")
            except Timeout:
                seen.append("locked")

        other = threading.Thread(target=try_lock)  # another thread: a lock of its own
        other.start()
        other.join()
        seen.append(staging.batches())

    # New code, same files: only the NLP stage is redone.
    report = stage_nlp(BATCH_A, staging, StancewireSettings().spacy_model, "code-2", progress=during_rewrite)
    assert not report.skipped
    assert seen == ["locked", []]
    assert staging.batches() == [BATCH_A]
    with staging.locked_batches() as batches:
        assert batches == [BATCH_A]

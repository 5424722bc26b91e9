"""Per-batch work on many processes or machines; the warehouse-wide part once, in process.

The graph splits in two (see docs/scaling.md):

- per batch (one partition of the dynamic partitions "batches"): `batch_files` and
  `batch_nlp`. They read the batch's folder and write only staging files (Parquet parts
  under <staging>/batches/<batch>/, parses under <parse cache>/<model>/), so any number of
  batches can run at once, each run on its own executor: Dagster's multiprocess executor
  (`batch_job_multiprocess`) or Celery workers (`batch_job_celery`, needs the
  `distributed` extra and a broker);
- warehouse-wide: `load_batches` (the single DuckDB writer loads every complete batch in
  one transaction), `stance_coding`, `actors`, the GX checks and the release: the
  `rebuild_release` job, run once in process after the batches (`run_warehouse`).

The job targets are module-level functions so that Dagster can rebuild them in another
process (`dg.reconstructable`): step subprocesses and Celery workers import this module
and read their settings from the STANCEWIRE_* environment variables
(`StancewireSettings.from_env`), so they must see the same environment as the launcher
(STANCEWIRE_WAREHOUSE, or STANCEWIRE_STAGING, and STANCEWIRE_SPACY_MODEL if set). Each
run's input folder travels in its `stancewire/input_dir` tag, its batch in
`dagster/partition`.

    from assets.distributed import run_batches, run_warehouse
    with dg.DagsterInstance.get() as instance:        # persistent: the runs are in other processes
        runs = run_batches({"drop-a": Path("in/a"), "drop-b": Path("in/b")}, instance)
        assert all(r.success for r in runs.values())
        run_warehouse(StancewireSettings.from_env(), instance)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import dagster as dg

from .resources import StancewireSettings
from .stages import BATCH_ASSETS, BATCHES, FULL_REBUILD_TAG, INPUT_DIR_TAG, ensure_partitions

PARTITION_TAG = "dagster/partition"
MULTIPROCESS_JOB = "process_batch_files_multiprocess"
CELERY_JOB = "process_batch_files_celery"


def _batch_job(name: str, executor_def: dg.ExecutorDefinition) -> dg.JobDefinition:
    """The per-batch assets as a partitioned job on `executor_def`, settings from the environment."""
    job = dg.define_asset_job(
        name,
        selection=dg.AssetSelection.assets(*BATCH_ASSETS),
        partitions_def=BATCHES,
        executor_def=executor_def,
        description="Read, clean and parse one batch into staging files (no warehouse access).",
    )
    defs = dg.Definitions(assets=BATCH_ASSETS, jobs=[job], resources={"settings": StancewireSettings.from_env()})
    return defs.resolve_job_def(name)


def batch_job_multiprocess() -> dg.JobDefinition:
    """Per-batch job whose steps run in subprocesses of the launching process."""
    return _batch_job(MULTIPROCESS_JOB, dg.multiprocess_executor)


def batch_job_celery() -> dg.JobDefinition:
    """Per-batch job whose steps are Celery tasks (run config `execution.config.broker/backend`)."""
    from dagster_celery import celery_executor

    return _batch_job(CELERY_JOB, celery_executor)


TARGETS = {"multiprocess": batch_job_multiprocess, "celery": batch_job_celery}


@dataclass
class BatchRun:
    batch_id: str
    run_id: str
    success: bool
    errors: list[str] = field(default_factory=list)


def execute_batch(
    target: str, instance: dg.DagsterInstance, batch_id: str, folder: Path, run_config: dict | None = None
) -> BatchRun:
    """One run of the per-batch job `target` ("multiprocess" or "celery") for one batch, in this process."""
    result = dg.execute_job(
        dg.reconstructable(TARGETS[target]),
        instance,
        run_config=run_config,
        raise_on_error=False,
        tags={PARTITION_TAG: batch_id, INPUT_DIR_TAG: str(Path(folder).resolve())},
    )
    errors = [
        f"step {e.step_key}: {e.step_failure_data.error.message.strip().splitlines()[0]}"
        for e in result.all_events
        if e.is_step_failure and e.step_failure_data.error
    ]
    return BatchRun(batch_id, result.run_id, result.success, errors)


def run_batches(
    batches: Mapping[str, Path],
    instance: dg.DagsterInstance,
    executor: str = "multiprocess",
    run_config: dict | None = None,
    timeout_s: float | None = None,
) -> dict[str, BatchRun]:
    """One run of the per-batch job per batch ({batch id: input folder}), all launched at
    once, each in its own process (as Dagster's run launcher does); returns when every run
    has ended. `instance` must be persistent: the runs report to it from other processes.
    For Celery, `run_config` carries the broker:
    {"execution": {"config": {"broker": "redis://...", "backend": "redis://..."}}}.

    Not threads: two runs orchestrated by threads of one process can deadlock in Dagster
    1.13, whose run set-up calls logging.config.dictConfig (taking the logging module lock,
    then each handler's) while the other run's event handler holds its lock and logs."""
    if executor not in TARGETS:
        raise ValueError(f"executor must be one of {sorted(TARGETS)}, not {executor!r}")
    ensure_partitions(instance, list(batches))
    ref = dg.serialize_value(instance.get_ref())
    procs: dict[str, tuple[subprocess.Popen, Path]] = {}
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    with tempfile.TemporaryDirectory(prefix="stancewire-runs-") as tmp:
        try:
            for b, folder in batches.items():
                out = Path(tmp) / f"{b}.json"
                spec = json.dumps(
                    {
                        "instance_ref": ref,
                        "executor": executor,
                        "batch_id": b,
                        "input_dir": str(Path(folder).resolve()),
                        "run_config": run_config,
                        "result_path": str(out),
                    }
                )
                # Its own process group, so that a timeout or an interrupt stops its step processes too.
                procs[b] = (
                    subprocess.Popen([sys.executable, "-m", "assets.distributed", spec], start_new_session=True),
                    out,
                )
            runs = {}
            for b, (proc, out) in procs.items():
                proc.wait(timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))
                if proc.returncode == 0 and out.is_file():
                    runs[b] = BatchRun(**json.loads(out.read_text(encoding="utf-8")))
                else:
                    runs[b] = BatchRun(b, "", False, [f"run process exited with status {proc.returncode}"])
            return runs
        finally:
            for proc, _ in procs.values():
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


def _main() -> int:
    """`python -m assets.distributed SPEC`: one per-batch run (SPEC is JSON, see run_batches),
    its outcome written as JSON to SPEC's result_path."""
    from dagster._core.instance.ref import InstanceRef

    # The job targets must be rebuilt from `assets.distributed`, not from `__main__`.
    from assets.distributed import execute_batch

    spec = json.loads(sys.argv[1])
    ref = dg.deserialize_value(spec["instance_ref"], InstanceRef)
    with dg.DagsterInstance.from_ref(ref) as instance:
        run = execute_batch(spec["executor"], instance, spec["batch_id"], Path(spec["input_dir"]), spec["run_config"])
    Path(spec["result_path"]).write_text(json.dumps(asdict(run)), encoding="utf-8")
    return 0


def run_warehouse(
    settings: StancewireSettings, instance: dg.DagsterInstance | None = None
) -> dg.ExecuteInProcessResult:
    """The warehouse-wide part once, in this process (the single DuckDB writer): load the
    complete batches (appending what is new), code stances, build actors, run the checks
    and publish (unless settings.publish is off)."""
    from .definitions import build_definitions

    job = build_definitions(settings).resolve_job_def("rebuild_release")
    return job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        tags={FULL_REBUILD_TAG: "false"},  # the job's own tag asks for a full rebuild: here, what changed
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )


if __name__ == "__main__":
    sys.exit(_main())

"""Two batches on two real Celery workers (dagster-celery, Redis broker) give the tables of a
sequential run.

The test starts Debian's redis-server on 127.0.0.1 (a free port, no persistence) and two
workers with `dagster-celery worker start` (one task at a time each, tasks acknowledged
late so that a waiting task goes to the idle worker), runs the per-batch job for batch-a and
batch-b at once with `dagster_celery.celery_executor`, then the warehouse-wide part in
process (the single DuckDB writer). It stops every process it started by process group.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml
from batch_corpus import (
    BATCH_A,
    BATCH_B,
    QUIET,
    assert_runs_overlapped,
    assert_same_tables,
    new_instance_dir,
    stancewire_env,
    write_batches,
)
from conftest import REPO

from assets.distributed import run_batches, run_warehouse
from assets.resources import StancewireSettings

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
WORKERS = ("w1", "w2")
# Each worker takes one task at a time and acknowledges it when done, so a second queued
# task waits for an idle worker instead of being reserved by a busy one.
CELERY_SETTINGS = {"task_acks_late": True, "worker_prefetch_multiplier": 1}


def redis_server() -> str:
    """Path of redis-server; installed from Debian's package when missing (as .ci/run does)."""
    found = shutil.which("redis-server")
    if not found and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(
            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server",
            shell=True,
            capture_output=True,
            timeout=600,
        )
        found = shutil.which("redis-server")
    if not found:
        pytest.skip("redis-server is not installed and could not be installed (apt-get install redis-server)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list[str], log: Path, **kw) -> subprocess.Popen:
    """A process in a new session (its own process group, so that its children stop with it)."""
    with open(log, "wb") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kw)


def stop(procs: list[subprocess.Popen], timeout: float = 20) -> None:
    """SIGTERM to each process group (a Celery worker finishes its task and exits with its
    pool children), SIGKILL to what is left after `timeout`; then check that nothing of the
    groups remains. Each process leads its own group (start_new_session)."""
    groups = [p.pid for p in procs]
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
        for pgid in groups:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(_group_alive(g) for g in groups):
            for p in procs:
                p.poll()  # reap the leaders
            time.sleep(0.1)
        if not any(_group_alive(g) for g in groups):
            break
    for p in procs:
        p.poll()
    left = [p.args[0] for p in procs if _group_alive(p.pid)]
    assert not left, f"processes left running: {left}"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait_for(check, what: str, procs: list[subprocess.Popen], logs: list[Path], timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc, log in zip(procs, logs):
            if proc.poll() is not None:
                pytest.fail(f"{what}: {proc.args[0]} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        if check():
            return
        time.sleep(0.25)
    pytest.fail(f"{what}: timed out after {timeout} s:\n" + "\n".join(log.read_text()[-1500:] for log in logs))


@pytest.fixture
def celery_cluster(tmp_path, monkeypatch):
    """Redis and two dagster-celery workers sharing this test's Dagster instance and settings.
    Yields (broker URL, the Dagster instance, warehouse path)."""
    server = redis_server()
    warehouse = tmp_path / "warehouse.duckdb"
    home = new_instance_dir(tmp_path / "dagster")
    env = {
        **stancewire_env(warehouse),
        "DAGSTER_HOME": home,
        "DAGSTER_DISABLE_TELEMETRY": "true",
        "GX_ANALYTICS_ENABLED": "false",
    }
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    # The worker command runs `celery` from PATH: this virtualenv's.
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")

    procs: list[subprocess.Popen] = []
    # Create the instance's storage before the workers start: two processes creating a fresh
    # SQLite instance at once can both stamp its schema version.
    instance = dg.DagsterInstance.local_temp(home)
    try:
        port = free_port()
        url = f"redis://127.0.0.1:{port}/0"
        redis_log = tmp_path / "redis.log"
        procs.append(
            start(
                [
                    server,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(tmp_path),
                    "--daemonize",
                    "no",
                ],
                redis_log,
            )
        )

        import redis

        def redis_up() -> bool:
            try:
                return redis.Redis(host="127.0.0.1", port=port, socket_timeout=1).ping()
            except redis.exceptions.ConnectionError:
                return False

        wait_for(redis_up, "redis-server", procs[:1], [redis_log], timeout=30)

        config = tmp_path / "celery.yaml"
        config.write_text(
            yaml.safe_dump(
                {"execution": {"config": {"broker": url, "backend": url, "config_source": CELERY_SETTINGS}}}
            ),
            encoding="utf-8",
        )
        logs = []
        for name in WORKERS:
            logs.append(tmp_path / f"{name}.log")
            procs.append(
                start(
                    [
                        str(BIN / "dagster-celery"),
                        "worker",
                        "start",
                        "-A",
                        "dagster_celery.app",
                        "-y",
                        str(config),
                        "--name",
                        name,
                        "--loglevel",
                        "INFO",
                        "--",
                        "--concurrency",
                        "1",
                        "--without-gossip",
                        "--without-mingle",
                        "--without-heartbeat",
                    ],
                    logs[-1],
                    cwd=REPO,
                )
            )

        from celery import Celery

        app = Celery(broker=url, backend=url)

        def workers_up() -> bool:
            replies = app.control.ping(timeout=0.5)
            return {next(iter(r)).split("@")[0] for r in replies} >= set(WORKERS)

        wait_for(workers_up, "Celery workers", procs[1:], logs)
        yield url, instance, warehouse
    finally:
        instance.dispose()
        stop(procs[1:])  # the workers, then the broker
        stop(procs[:1])


def celery_workers(instance, run_id: str) -> dict[str, str]:
    """{step key: Celery worker} from the engine events dagster-celery writes in each task."""
    out = {}
    for record in instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT).records:
        event = record.event_log_entry.dagster_event
        metadata = event.event_specific_data.metadata if event.event_specific_data else {}
        if "Celery worker" in metadata:
            out[event.step_key] = metadata["Celery worker"].value
    return out


def test_two_batches_on_two_celery_workers_give_the_sequential_tables(tmp_path, celery_cluster, sequential_batches):
    url, instance, warehouse = celery_cluster
    folders = write_batches(tmp_path / "input")
    run_config = {**QUIET, "execution": {"config": {"broker": url, "backend": url, "config_source": CELERY_SETTINGS}}}

    runs = run_batches(folders, instance, executor="celery", run_config=run_config, timeout_s=600)
    for run in runs.values():
        assert run.success, f"{run.batch_id}: {run.errors}"
    a, b = runs[BATCH_A].run_id, runs[BATCH_B].run_id

    # Every step ran in a Celery worker, and both workers had work.
    workers = {(r, k): w for r in (a, b) for k, w in celery_workers(instance, r).items()}
    assert set(workers) == {(r, k) for r in (a, b) for k in ("batch_files", "batch_nlp")}
    assert {w.split("@")[0] for w in workers.values()} == set(WORKERS), workers

    print(f"\nsteps by worker: { {f'{r[:8]}/{k}': w for (r, k), w in workers.items()} }")
    assert_runs_overlapped(instance, a, b)

    result = run_warehouse(StancewireSettings.from_env(publish=False), instance)
    assert result.success

    assert_same_tables(sequential_batches, warehouse)

"""How `stancewire run` starts: settings resolved without Dagster, the validator helper at a
lower priority, work handed to the run's idle moments, and the benchmark's repeated runs."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from conftest import REPO


def test_settings_resolve_defaults_then_environment_then_overrides(monkeypatch):
    from assets.resources import StancewireSettings
    from pipeline import settings

    monkeypatch.setenv("STANCEWIRE_N_PROCESS", "3")
    monkeypatch.setenv("STANCEWIRE_CODEBOOKS", os.pathsep.join(["a.yaml", "b.yaml"]))
    monkeypatch.setenv("STANCEWIRE_WAREHOUSE", "from-env.duckdb")
    monkeypatch.delenv("STANCEWIRE_STAGING", raising=False)
    values = settings.resolve(warehouse="given.duckdb", input_dir="", batch_size=None)
    assert values["n_process"] == 3 and values["codebooks"] == ["a.yaml", "b.yaml"]
    assert values["warehouse"] == "given.duckdb"  # an override beats the environment
    assert values["input_dir"] == settings.DEFAULT_INPUT and values["batch_size"] == 64  # empty: not an override
    assert StancewireSettings.from_env(warehouse="given.duckdb").model_dump() == {
        k: v for k, v in values.items()}
    assert settings.staging_root("x/w.duckdb") == Path("x/staging")
    assert settings.codebook_paths(["a.yaml"]) == [Path("a.yaml")]
    values["codebooks"].append("c.yaml")  # a caller's list is its own
    assert settings.DEFAULTS["codebooks"] == []


def test_settings_and_the_worker_config_need_no_dagster():
    """The CLI starts the run's processes before it imports Dagster (most of a small run's
    start): what it needs for that must not import Dagster."""
    code = ("import sys\n"
            "from pipeline import settings, workers\n"
            "from pipeline.codebooks import load_codebooks\n"
            "from pipeline.release import code_version\n"
            "v = settings.resolve()\n"
            "workers.WorkerConfig.of(v['spacy_model'], settings.staging_root(v['warehouse']), 64, code_version(),\n"
            "                        load_codebooks(settings.codebook_paths([])))\n"
            "print('dagster' in sys.modules, 'great_expectations' in sys.modules, 'spacy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]


def test_helper_runs_at_the_niceness_asked_and_idle_work_runs_while_the_run_waits():
    from pipeline import workers

    done = threading.Event()
    workers.when_idle(done.set)
    helper = workers.start_helper("test-helper", "os:getpid", niceness=5)
    try:
        assert not done.is_set()  # nothing waited yet
        assert helper.call(os.nice, 0) == min(os.nice(0) + 5, 19)
        assert done.wait(10)  # started when the run first waited for the helper
    finally:
        workers.stop_shared()
    workers.when_idle(done.clear)
    workers.stop_shared()  # a stopped run forgets work still waiting for an idle moment
    assert not workers._IDLE_WORK


def test_bench_repeats_a_run_from_the_same_state(tmp_path):
    from bench.__main__ import repeated_from

    run_dir = tmp_path / "run0"
    run_dir.mkdir()
    (run_dir / "state.txt").write_text("0")
    seen = []

    def run():
        n = int((run_dir / "state.txt").read_text())
        seen.append(n)
        (run_dir / "state.txt").write_text(str(n + 1))
        return [3.0, 1.0, 2.0][len(seen) - 1]

    walls, steps = repeated_from(run_dir, 3, run, lambda: {"run": len(seen)})
    assert seen == [0, 0, 0] and walls == [3.0, 1.0, 2.0]
    assert steps == {"run": 3}  # read after the median run (the third)
    assert (run_dir / "state.txt").read_text() == "1" and not (tmp_path / "run0-before").exists()

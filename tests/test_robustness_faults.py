"""Issue #7, faults: the workers of a killed run, two runs at once on one warehouse,
published releases that must never change, a full disk and an unwritable releases folder.
Runs are real `stancewire run` processes (the CLI's main in a subprocess). SIGKILL during
materialisation and publishing is in test_robustness_sigkill.py."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from conftest import REPO, SEED, make_settings, run
from robustness_helpers import (
    ARTICLES,
    EXTRA,
    PYTHON,
    cli_args,
    folder_of,
    release_problems,
    start_cli,
    warehouse_problems,
)

from pipeline.release import checksums, versions
from pipeline.release import publish as release


def test_workers_of_a_killed_run_exit(tmp_path):
    """`stancewire run` starts its spaCy workers first; SIGKILL the run while they load and
    parse: they must exit on their own. The workers hold the run's stdout and stderr, so
    the pipes close only when the last of them is gone (without the watch they waited on
    their task queue for ever)."""
    drop = folder_of(tmp_path / "drop", {"seed.txt": SEED.read_text(encoding="utf-8")} if SEED.is_file() else ARTICLES)
    proc = start_cli(cli_args(drop, tmp_path, "--n-process", "2"))
    time.sleep(4.0)
    assert proc.poll() is None, proc.stderr.read()[-2000:]
    proc.kill()
    t = time.monotonic()
    try:
        proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("a worker of the killed run is still alive 30 s later (it holds the run's output pipes)")
    assert proc.returncode == -9
    assert time.monotonic() - t < 30


def test_two_runs_at_once_on_one_warehouse_never_interleave(tmp_path):
    """Same warehouse, same batch name, two different input folders with the same file
    names: the runs must take turns; each release holds one input's data, whole."""
    a = folder_of(
        tmp_path / "a",
        {
            "story.txt": "Story A\n\nThe mayor said the park would open in May.\n",
            "wire.jsonl": json.dumps({"id": "w", "text": "Alpha wire text."}) + "\n",
        },
    )
    b = folder_of(
        tmp_path / "b",
        {
            "story.txt": "Story B\n\nThe governor said the bridge would close.\n",
            "wire.jsonl": json.dumps({"id": "w2", "text": "Bravo wire text."}) + "\n",
        },
    )
    procs = [start_cli(cli_args(folder, tmp_path, "--batch", "shared")) for folder in (a, b)]
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]
    assert [code for code, _, _ in results] == [0, 0], [err[-2000:] for _, _, err in results]
    assert any("is in use by another stancewire process" in err and "waiting" in err for _, _, err in results)
    releases = tmp_path / "releases"
    assert versions.list_versions(releases) == ["v1.0.0", "v1.1.0"]
    titles = []
    for version in ("v1.0.0", "v1.1.0"):
        rows = duckdb.sql(f"SELECT title, text FROM '{releases / version / 'articles.parquet'}' ORDER BY 1").fetchall()
        texts = " ".join(t for _, t in rows)
        assert len(rows) == 2 and (("Alpha" in texts) != ("Bravo" in texts)), rows  # one input, never a mix
        titles.append(rows[0][0] if rows[0][0] in ("Story A", "Story B") else rows[1][0])
    assert sorted(titles) == ["Story A", "Story B"]
    assert not warehouse_problems(tmp_path / "warehouse.duckdb", {"shared": 2})


def test_a_busy_warehouse_fails_with_a_clear_message(tmp_path):
    """A second run that cannot get the warehouse in time names the file and stops; it
    writes nothing."""
    warehouse = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen(
        [
            str(PYTHON),
            "-c",
            (
                "import sys, time; from filelock import FileLock; "
                f"l = FileLock({str(warehouse) + '.lock'!r}); l.acquire(); print('held', flush=True); time.sleep(60)"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        drop = folder_of(tmp_path / "drop", ARTICLES)
        started = time.monotonic()
        outcome = run(make_settings(tmp_path, drop, lock_timeout_s=1.0), tmp_path / "dagster")
        assert time.monotonic() - started < 30
    finally:
        holder.kill()
        holder.wait()
    assert not outcome.ok
    assert f"the warehouse {warehouse} is in use by another stancewire process" in outcome.reason
    assert "waited 1 s" in outcome.reason
    assert (
        not warehouse.exists()
        and not (tmp_path / "releases").exists()
        and not (tmp_path / "warehouse.duckdb.staging").exists()
    )


# ----------------------------------------------------------------- published releases never change


@pytest.fixture
def published(seed_run, tmp_path):
    """A copy of the seed run's warehouse and releases, writable for the test."""
    src_tmp, settings, outcome = seed_run
    assert outcome.ok, outcome.reason
    shutil.copytree(src_tmp / "releases", tmp_path / "releases", symlinks=True)  # current.duckdb a link
    shutil.copy(settings.warehouse, tmp_path / "warehouse.duckdb")
    return tmp_path / "releases", tmp_path / "warehouse.duckdb"


def _file_hashes(folder: Path) -> dict[str, str]:
    return {p.name: versions.sha256_file(p) for p in folder.iterdir()}


def test_verify_detects_any_changed_byte(published):
    releases, _ = published
    folder = releases / "v1.0.0"
    assert checksums.verify(releases, "v1.0.0") == []
    assert all(not (p.stat().st_mode & 0o222) for p in folder.iterdir())  # read-only files
    for path in sorted(folder.iterdir()):
        original = path.read_bytes()
        for offset in sorted({0, len(original) // 2, len(original) - 2}):
            changed = bytearray(original)
            changed[offset] ^= 0x01
            path.chmod(0o644)
            path.write_bytes(bytes(changed))
            problems = checksums.verify(releases, "v1.0.0")
            assert any(p.startswith(path.name) for p in problems), f"{path.name} byte {offset}: {problems}"
            path.write_bytes(original)
            path.chmod(0o444)
    assert checksums.verify(releases, "v1.0.0") == []
    (folder / "extra.csv").write_text("x", encoding="utf-8")
    assert checksums.verify(releases, "v1.0.0") == ["extra.csv: not listed in the manifest"]
    (folder / "extra.csv").unlink()
    victim = next(p for p in folder.iterdir() if p.suffix == ".parquet")
    victim.unlink()
    assert checksums.verify(releases, "v1.0.0") == [f"{victim.name}: missing"]
    # The command line says so too, with a non-zero exit.
    cmd = subprocess.run(
        [str(PYTHON), "-m", "cli.main", "release", "verify", "v1.0.0", "--releases", str(releases)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert cmd.returncode == 1 and f"{victim.name}: missing" in cmd.stdout


def test_a_downloaded_release_folder_verifies_by_its_path(published, tmp_path):
    releases, _ = published
    downloaded = tmp_path / "downloads" / "stancewire-1.0.0"  # renamed, away from its releases folder
    shutil.copytree(releases / "v1.0.0", downloaded)

    def verify(arg: str):
        return subprocess.run(
            [str(PYTHON), "-m", "cli.main", "release", "verify", arg], cwd=REPO, capture_output=True, text=True
        )

    ok = verify(str(downloaded))
    assert ok.returncode == 0 and "every checksum matches" in ok.stdout, ok.stderr
    next(p for p in downloaded.iterdir() if p.suffix == ".parquet").unlink()
    assert verify(str(downloaded)).returncode == 1
    nothing = verify(str(tmp_path / "downloads"))
    assert nothing.returncode != 0 and "is no release folder (no manifest.json in it)" in nothing.stderr


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="no sha256sum (GNU coreutils) on this machine")
def test_a_download_checks_with_sha256sum_alone(published, tmp_path):
    """SHA256SUMS lists every file of the release and the manifest, in sha256sum's format: a
    consumer checks a download without stancewire installed."""
    releases, _ = published
    downloaded = tmp_path / "download"
    shutil.copytree(releases / "v1.0.0", downloaded)
    listed = [line.split("  ", 1)[1] for line in (downloaded / checksums.SHA256SUMS).read_text().splitlines()]
    assert sorted(listed) == sorted(p.name for p in downloaded.iterdir() if p.name != checksums.SHA256SUMS)

    def check():
        return subprocess.run(["sha256sum", "-c", "--quiet", checksums.SHA256SUMS], cwd=downloaded, capture_output=True)

    assert check().returncode == 0
    index = json.loads((releases / "index.json").read_text(encoding="utf-8"))  # the index links it
    assert index["versions"][0]["files"][checksums.SHA256SUMS]["href"] == f"v1.0.0/{checksums.SHA256SUMS}"
    kept = (downloaded / checksums.SHA256SUMS).read_bytes()
    (downloaded / checksums.SHA256SUMS).unlink()  # the manifest says it should be there
    assert checksums.verify_folder(downloaded) == [f"{checksums.SHA256SUMS}: missing"]
    (downloaded / checksums.SHA256SUMS).write_bytes(kept)
    assert checksums.verify_folder(downloaded) == []
    victim = downloaded / "stances.parquet"
    victim.chmod(0o644)
    victim.write_bytes(victim.read_bytes() + b"x")
    assert check().returncode == 1


def _publish(conn, releases: Path):
    return release.publish(conn, releases, {"spacy": {"model": "m"}, "codebooks": []}, {})


def test_a_later_run_cannot_overwrite_a_published_release(published):
    releases, warehouse = published
    before = _file_hashes(releases / "v1.0.0")
    conn = duckdb.connect(str(warehouse))
    conn.execute("DELETE FROM quotes WHERE quote_id = (SELECT min(quote_id) FROM quotes)")
    result = _publish(conn, releases)
    assert result.created and result.version == "v1.1.0"
    assert _file_hashes(releases / "v1.0.0") == before
    # LATEST put back to v1.0.0 and yet other data: the next version would be v1.1.0,
    # which exists. The run stops; neither release changes.
    v11 = _file_hashes(releases / "v1.1.0")
    (releases / "LATEST").write_text("v1.0.0\n", encoding="utf-8")
    conn.execute("DELETE FROM quotes WHERE quote_id = (SELECT min(quote_id) FROM quotes)")
    with pytest.raises(versions.ReleaseError, match="already exists; a published release is never overwritten"):
        _publish(conn, releases)
    conn.close()
    assert _file_hashes(releases / "v1.0.0") == before and _file_hashes(releases / "v1.1.0") == v11
    assert not [p for p in releases.iterdir() if p.name.startswith(".staging")]


# ----------------------------------------------------------------- full disk, unwritable folder


def _assert_failed_cleanly(releases: Path, message: str, reason: str) -> None:
    assert f"could not write the release into {releases}" in message, message
    assert reason in message and "the current release is v1.0.0" in message, message
    assert versions.current_version(releases) == "v1.0.0" and versions.list_versions(releases) == ["v1.0.0"]
    assert checksums.verify(releases, "v1.0.0") == []
    assert not [p for p in releases.iterdir() if p.name.startswith(".staging")]


@pytest.mark.parametrize("where", ["export_tables", "_fsync_tree", "dataset_card"])
def test_disk_full_while_publishing_keeps_the_previous_release(published, monkeypatch, where):
    """ENOSPC injected at three moments of publishing (portable: no mount needed)."""
    releases, warehouse = published
    real = getattr(release, where)

    def full(*args, **kwargs):
        real(*args, **kwargs)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(releases / "x"))

    monkeypatch.setattr(release, where, full)
    _assert_failed_cleanly(releases, _publish_a_change(warehouse, releases), "No space left on device")


def _publish_a_change(warehouse, releases) -> str:
    """Delete one quote and publish, which must fail: the ReleaseError's message."""
    conn = duckdb.connect(str(warehouse))
    try:
        conn.execute("DELETE FROM quotes WHERE quote_id = (SELECT min(quote_id) FROM quotes)")
        with pytest.raises(versions.ReleaseError) as e:
            _publish(conn, releases)
    finally:
        conn.close()
    return str(e.value)


def test_disk_full_while_writing_the_release_database_keeps_the_previous_release(published, monkeypatch):
    """DuckDB reports a full disk while it checkpoints a file as a FatalException (seen on a
    small tmpfs): the release's DuckDB file failing so is a clean failure too."""
    releases, warehouse = published
    real = release.write_release_database

    def full(folder, manifest, **kw):
        real(folder, manifest, **kw)
        raise duckdb.FatalException(
            f'FATAL Error: Failed to create checkpoint because of error: Could not write file "{folder}/x": '
            "No space left on device"
        )

    monkeypatch.setattr(release, "write_release_database", full)
    _assert_failed_cleanly(releases, _publish_a_change(warehouse, releases), "No space left on device")
    assert os.readlink(releases / versions.CURRENT_DB) == f"v1.0.0/{versions.RELEASE_DB}"


def _unmount(path: Path) -> None:
    """Unmount a test's mount; lazily when a process of the run still holds a file there (a
    busy mount was left behind under pytest-xdist, silently)."""
    if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def seed_plus_one(seed_run, tmp_path):
    """Settings for a run that makes new data (the seed and one more article) on a copy of
    the seed run's warehouse and staging (parses reused), publishing into tmp/releases."""
    src_tmp, settings, _ = seed_run
    drop = folder_of(tmp_path / src_tmp.joinpath("raw").name, {"extra.txt": EXTRA["later.txt"]})
    shutil.copy(SEED, drop / SEED.name)
    shutil.copy(settings.warehouse, tmp_path / "warehouse.duckdb")
    shutil.copytree(settings.staging.root, tmp_path / "warehouse.duckdb.staging")  # the copy's own
    shutil.copytree(settings.staging.parses.root, tmp_path / "parse-cache")
    # the seed's batch given more data from another folder of its name: named, as a user must
    return make_settings(tmp_path, drop, batch_id=drop.name), src_tmp / "releases"


@pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0, reason="needs root to mount a small tmpfs")
def test_full_disk_fails_the_run_clearly(seed_plus_one, tmp_path):
    settings, seed_releases = seed_plus_one
    releases = Path(settings.releases_dir)
    releases.mkdir()
    # 16 MB: a version holds its DuckDB file too (2.6 MB for the seed, DuckDB's blocks)
    if not _mount("-t", "tmpfs", "-o", "size=16m", "tmpfs", str(releases)):
        pytest.skip("cannot mount a tmpfs here")
    try:
        shutil.copytree(seed_releases, releases, dirs_exist_ok=True, symlinks=True)
        free = shutil.disk_usage(releases).free
        (releases / ".filler").write_bytes(b"\0" * max(0, free - 48 * 1024))  # leave 48 KB
        outcome = run(settings, tmp_path / "dagster")
        assert not outcome.ok
        _assert_failed_cleanly(releases, outcome.reason, "No space left on device")
        (releases / ".filler").unlink()
        outcome = run(settings, tmp_path / "dagster")  # space again: the same run publishes
        assert outcome.ok, outcome.reason
        assert versions.current_version(releases) == "v1.1.0" and not release_problems(releases)
    finally:
        _unmount(releases)


def test_unwritable_releases_folder_fails_the_run_clearly(seed_plus_one, tmp_path):
    settings, seed_releases = seed_plus_one
    releases = Path(settings.releases_dir)
    shutil.copytree(seed_releases, releases)
    if os.geteuid() != 0:
        releases.chmod(0o555)
        undo, reason = (lambda: releases.chmod(0o755)), "Permission denied"
    elif _mount("--bind", str(releases), str(releases)) and _mount("-o", "remount,bind,ro", str(releases)):
        undo, reason = (lambda: _unmount(releases)), "Read-only file system"
    else:
        subprocess.run(["umount", str(releases)], capture_output=True)
        pytest.skip("root, and no read-only bind mount possible: a folder cannot be made unwritable")
    try:
        outcome = run(settings, tmp_path / "dagster")
        assert not outcome.ok
        assert outcome.reason.startswith("step dataset_release: ")
        _assert_failed_cleanly(releases, outcome.reason, reason)
    finally:
        undo()

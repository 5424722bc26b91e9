"""Issue #7, faults: SIGKILL during materialisation and publishing. Killed runs are real
`stancewire run` processes (the CLI's main in a subprocess, the kill injected at an exact
call or sent after a delay); each re-run must complete to what an uninterrupted run gives.
In a file of its own (the longest test) so that pytest-xdist runs it beside the other
fault tests (test_robustness_faults.py)."""

from __future__ import annotations

import random

import pytest
from conftest import make_settings, run
from robustness_helpers import (
    ARTICLES,
    EXTRA,
    RECORDS,
    RECORDS_LATER,
    cli_args,
    folder_of,
    release_problems,
    run_cli,
    table_hashes,
    warehouse_problems,
)

from pipeline.release import versions


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Uninterrupted runs (in process): the first input, then the same batch with one more file."""
    tmp = tmp_path_factory.mktemp("reference")
    drop = folder_of(tmp / "drop", ARTICLES)
    settings = make_settings(tmp, drop)
    assert run(settings, tmp / "dagster").ok
    first = table_hashes(tmp / "releases")
    folder_of(drop, EXTRA)
    assert run(settings, tmp / "dagster").ok
    return {"first": first, "second": table_hashes(tmp / "releases")}


# Exact points: module:function:n-th call. Each run resumes from what the killed one left;
# the last kill comes at a random moment (seeded), wherever the run then is.
KILLS_FIRST_RELEASE = [
    ("pipeline.storage.staging:Staging.write_part:3", "writing the batch's staging files"),
    ("pipeline.steps.load:_insert:3", "inside the warehouse load transaction"),
    ("pipeline.release.publish:_fsync_tree:1", "release staged and complete, before the rename"),
]


def run_statuses(dagster_home) -> list[str]:
    import os

    import dagster as dg

    old = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    try:
        with dg.DagsterInstance.get() as instance:
            return [r.status.value for r in instance.get_runs()]
    finally:
        if old is None:
            del os.environ["DAGSTER_HOME"]
        else:
            os.environ["DAGSTER_HOME"] = old


def test_sigkill_during_materialisation_and_publishing(tmp_path, reference):
    drop = folder_of(tmp_path / "drop", ARTICLES)
    releases, warehouse = tmp_path / "releases", tmp_path / "warehouse.duckdb"
    delay = random.Random(7).uniform(7.0, 12.0)
    for point, where in KILLS_FIRST_RELEASE + [(None, f"at a random moment ({delay:.1f} s)")]:
        code, out, err = run_cli(cli_args(drop, tmp_path), kill_at=point, kill_after_s=None if point else delay)
        assert code == -9 or point is None, f"{where}: the run was not killed ({code}): {err[-2000:]}"
        problems = warehouse_problems(warehouse, {"drop": RECORDS}) + release_problems(releases)
        assert not problems, f"after SIGKILL {where}: {problems}"
        assert versions.list_versions(releases) in ([], ["v1.0.0"] if point is None else [])
    # A re-run completes to what an uninterrupted run gives.
    code, out, err = run_cli(cli_args(drop, tmp_path))
    assert code == 0, err[-3000:]
    assert versions.list_versions(releases) == ["v1.0.0"] and table_hashes(releases) == reference["first"]
    assert not release_problems(releases) and not warehouse_problems(warehouse, {"drop": RECORDS})
    assert not [p for p in releases.iterdir() if p.name.startswith(".staging")]
    # The killed runs are no longer STARTED in Dagster (ten such runs stop its queue): the
    # re-run marked them failed, saying why.
    statuses = run_statuses(tmp_path / "dagster")
    assert len(statuses) == len(KILLS_FIRST_RELEASE) + 2 and "STARTED" not in statuses, statuses
    assert statuses.count("FAILURE") >= len(KILLS_FIRST_RELEASE), statuses  # the last kill may come after the end

    # New data; killed after the new folder is renamed into place but before LATEST names it.
    folder_of(drop, EXTRA)
    code, _, err = run_cli(cli_args(drop, tmp_path), kill_at="pipeline.release.publish:_write_latest:1")
    assert code == -9, err[-2000:]
    assert not release_problems(releases) and not warehouse_problems(warehouse, {"drop": RECORDS_LATER})
    assert versions.current_version(releases) == "v1.0.0"  # the previous release stays current
    code, out, err = run_cli(cli_args(drop, tmp_path))
    assert code == 0, err[-3000:]  # before the fix: "v1.1.0 already exists" for ever
    assert versions.list_versions(releases) == ["v1.0.0", "v1.1.0"]
    assert versions.current_version(releases) == "v1.1.0" and table_hashes(releases) == reference["second"]
    assert table_hashes(releases, "v1.0.0") == reference["first"]

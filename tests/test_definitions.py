"""The code location `dagster dev -w workspace.yaml` loads: assets by stage, a blocking GX
check per table. The snapshot of keys makes a change to the graph visible in review."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from assets.definitions import build_definitions
from pipeline.schema import TABLES

REPO = Path(__file__).resolve().parent.parent

# One group per step, in the order the data flows.
EXPECTED_GROUPS = {
    "1_ingest_clean": ["batch_files"],
    "2_parse_extract": ["batch_nlp"],
    "3_load_warehouse": [
        "article_alignment",
        "articles",
        "duplicate_articles",
        "mentions",
        "quotes",
        "raw_articles",
        "rejected_articles",
        "sentences",
    ],
    "4_code_stances": ["actor_aliases", "codebook_targets", "coded_stances", "review_verdicts", "stances"],
    "5_build_actors": ["actors"],
    "6_publish_release": ["dataset_release"],
}


def test_definitions_load_with_groups_and_checks():
    defs = build_definitions()
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    groups: dict[str, list[str]] = {}
    for key in graph.get_all_asset_keys():
        groups.setdefault(graph.get(key).group_name, []).append(key.to_user_string())
    assert {g: sorted(k) for g, k in groups.items()} == EXPECTED_GROUPS
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert checks == {(t, "gx_expectations") for t in TABLES}
    for key in graph.get_all_asset_keys():
        assert graph.get(key).description
    partitioned = {k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).partitions_def}
    assert partitioned == {"batch_files", "batch_nlp"}
    assert {j.name for j in defs.jobs} == {"process_batch", "rebuild_release"}
    assert [s.name for s in defs.sensors] == ["inbox_sensor"] and [s.name for s in defs.schedules] == [
        "nightly_release"
    ]


def test_groups_form_a_chain_in_flow_order():
    """The global lineage and the UI's sidebar read in the order the data flows: every
    dependency goes from a group to itself or a later one, each group after the first
    takes something from the one just before it (so the layout gives each group its own
    column, in order), and sorting the names (as the sidebar does) keeps that order."""
    from assets.stages import GROUPS

    order = list(EXPECTED_GROUPS)
    assert list(GROUPS) == order and sorted(order) == order
    graph = build_definitions().resolve_asset_graph()
    position = {k: order.index(graph.get(k).group_name) for k in graph.get_all_asset_keys()}
    backwards = [
        (up.to_user_string(), k.to_user_string())
        for k in graph.get_all_asset_keys()
        for up in graph.get(k).parent_keys
        if position[up] > position[k]
    ]
    assert not backwards, f"dependencies from a later group to an earlier one: {backwards}"
    group_edges = {(position[up], position[k]) for k in graph.get_all_asset_keys() for up in graph.get(k).parent_keys}
    assert all((i - 1, i) in group_edges for i in range(1, len(order))), sorted(group_edges)


def test_workspace_loads_with_the_dagster_cli(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    dagster = Path(sys.executable).with_name("dagster")
    proc = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_inbox_sensor_runs_a_drop_once_its_files_stay_the_same(tmp_path):
    """A drop still being copied is not run: it runs at the first evaluation that finds its
    files as the previous one did. An earlier cursor ({batch: fingerprint}) still counts."""
    import json

    import dagster as dg

    from assets.automation import inbox_sensor
    from assets.resources import StancewireSettings

    inbox = tmp_path / "inbox"
    drop = inbox / "monday"
    drop.mkdir(parents=True)
    (drop / "a.txt").write_text("Title\n\nThe first half of the art", encoding="utf-8")
    settings = StancewireSettings(inbox_dir=str(inbox), warehouse=str(tmp_path / "w.duckdb"))

    def evaluate(cursor):
        with dg.DagsterInstance.ephemeral() as instance:
            context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"settings": settings})
            result = inbox_sensor(context)
            return result, context.cursor

    result, cursor = evaluate(None)
    assert isinstance(result, dg.SkipReason) and "monday" in result.skip_message  # seen once: waits
    with (drop / "a.txt").open("a", encoding="utf-8") as f:  # the copy goes on
        f.write("icle, and the rest of it.")
    result, cursor = evaluate(cursor)
    assert isinstance(result, dg.SkipReason)  # changed since: waits again
    result, cursor = evaluate(cursor)
    assert [r.partition_key for r in result.run_requests] == ["monday"]
    assert result.run_requests[0].tags["stancewire/warehouse"] == str((tmp_path / "w.duckdb").resolve())
    result, cursor = evaluate(cursor)
    assert isinstance(result, dg.SkipReason) and "no new or changed drop" in result.skip_message
    launched = json.loads(cursor)["launched"]
    result, _ = evaluate(json.dumps(launched))  # a cursor of the earlier format: the drop already ran
    assert isinstance(result, dg.SkipReason) and "no new or changed drop" in result.skip_message
    settings = StancewireSettings(inbox_dir=str(tmp_path / "no-inbox"), warehouse=str(tmp_path / "w.duckdb"))
    result, _ = evaluate(None)
    assert isinstance(result, dg.SkipReason) and "no-inbox does not exist" in result.skip_message


def test_a_batch_made_by_the_cli_is_found_where_it_was_staged_from(tmp_path):
    """Materialized again from the UI (no input tag, no such inbox folder), a batch reads
    the folder it was last staged from, not <inbox>/<batch>."""
    import json
    from types import SimpleNamespace

    from assets.resources import StancewireSettings
    from assets.stages import batch_input_dir

    settings = StancewireSettings(
        warehouse=str(tmp_path / "w.duckdb"), inbox_dir=str(tmp_path / "inbox"), input_dir=str(tmp_path / "other")
    )
    source = tmp_path / "drops" / "drop1"
    folder = settings.staging.batch_dir("drop1")
    folder.mkdir(parents=True)
    (folder / "source.json").write_text(json.dumps({"input_dir": str(source)}), encoding="utf-8")
    context = SimpleNamespace(run=SimpleNamespace(tags={}), partition_key="drop1")
    assert batch_input_dir(context, settings) == source
    (tmp_path / "inbox" / "drop1").mkdir(parents=True)  # a drop of that name in the inbox comes first
    assert batch_input_dir(context, settings) == tmp_path / "inbox" / "drop1"


def test_a_run_whose_process_is_gone_is_marked_failed_and_a_live_one_is_not():
    """`close_orphaned_runs` (each `stancewire run` calls it): a STARTED run of this host
    whose process is gone, or which ran before the machine booted, is marked failed; the
    run of a live process, of this process, of another container or another host is not."""
    from dagster._core.test_utils import create_run_for_test

    from assets import runner

    if not runner._boot_id():
        pytest.skip("no /proc here: only the pid is checked")
    me = runner.process_tags()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        cases = {
            "gone": {**me, runner.PID_TAG: str(gone.pid), runner.START_TAG: "1"},
            "rebooted": {**me, runner.PID_TAG: str(alive.pid), runner.BOOT_TAG: "another-boot"},
            "reused": {**me, runner.PID_TAG: str(alive.pid), runner.START_TAG: "1"},
            "alive": {**me, runner.PID_TAG: str(alive.pid), runner.START_TAG: runner._start_time(alive.pid)},
            "this": me,
            "container": {**me, runner.PID_TAG: str(gone.pid), runner.PIDNS_TAG: "pid:[1]"},
            "other host": {**me, runner.PID_TAG: str(gone.pid), runner.HOST_TAG: "elsewhere"},
        }
        with dg.DagsterInstance.ephemeral() as instance:
            ids = {
                name: create_run_for_test(instance, status=dg.DagsterRunStatus.STARTED, tags=tags).run_id
                for name, tags in cases.items()
            }
            closed = runner.close_orphaned_runs(instance)
            assert sorted(closed) == sorted(ids[n] for n in ("gone", "rebooted", "reused"))
            status = {n: instance.get_run_by_id(i).status for n, i in ids.items()}
    finally:
        alive.kill()
        alive.wait()
    assert {n for n, s in status.items() if s == dg.DagsterRunStatus.FAILURE} == {"gone", "rebooted", "reused"}

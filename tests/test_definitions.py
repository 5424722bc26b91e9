"""The code location `dagster dev -w workspace.yaml` loads: assets by stage, a blocking GX
check per table. The snapshot of keys makes a change to the graph visible in review."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from assets.definitions import build_definitions
from pipeline.schema import TABLES

REPO = Path(__file__).resolve().parent.parent

EXPECTED_GROUPS = {
    "ingest": ["batch_files", "raw_articles", "rejected_articles"],
    "clean": ["article_alignment", "articles", "duplicate_articles"],
    "nlp": ["batch_nlp", "sentences"],
    "entities": ["actors", "mentions"],
    "quotes": ["quotes"],
    "stances": ["codebook_targets", "stances"],
    "release": ["dataset_release"],
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
    assert [s.name for s in defs.sensors] == ["inbox_sensor"] and [s.name for s in defs.schedules] == ["nightly_release"]


def test_workspace_loads_with_the_dagster_cli(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    dagster = Path(sys.executable).with_name("dagster")
    proc = subprocess.run([str(dagster), "definitions", "validate", "-w", "workspace.yaml"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr

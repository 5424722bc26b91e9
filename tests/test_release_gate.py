"""A blocking expectation that fails stops the release: no folder appears and the
previous release stays current. The run says which expectation failed on which table."""

from __future__ import annotations

import os

import duckdb
from conftest import make_settings, run, seed_folder

from expectations.suites import validate_table
from pipeline.release import versions


def test_failed_expectation_blocks_the_release(tmp_path):
    first = make_settings(tmp_path, seed_folder(tmp_path / "good"))
    assert run(first, tmp_path / "dagster").ok
    releases = tmp_path / "releases"
    assert versions.current_version(releases) == "v1.0.0"
    current = releases / versions.CURRENT_DB
    link, content = os.readlink(current), current.read_bytes()

    # A second warehouse fed only unusable input: no article, so the articles suite's
    # row-count expectation (blocking) fails. It publishes into the same releases folder.
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.jsonl").write_text("{not json\n", encoding="utf-8")
    second = make_settings(tmp_path / "second", bad, releases_dir=str(releases))
    outcome = run(second, tmp_path / "dagster")

    assert not outcome.ok
    assert "release blocked" in outcome.message
    assert "rows_in_table (expected min_value=1" in outcome.message and "articles" in outcome.message
    assert "nothing was published (v1.0.0 stays current)" in outcome.message
    assert versions.list_versions(releases) == ["v1.0.0"]
    assert versions.current_version(releases) == "v1.0.0"
    assert not [p for p in releases.iterdir() if p.name.startswith(".staging")]
    # What researchers open stays on the previous version, byte for byte.
    assert os.readlink(current) == link == f"v1.0.0/{versions.RELEASE_DB}"
    assert current.read_bytes() == content


def test_suite_catches_evidence_that_is_not_in_the_article(seed_copy):
    conn = duckdb.connect(str(seed_copy))
    conn.execute(
        "UPDATE stances SET evidence = 'words the article never had' WHERE statement_id = "
        "(SELECT min(statement_id) FROM stances)"
    )
    failed = [o for o in validate_table(conn, "stances") if not o.success]
    conn.close()
    assert [(o.column, o.blocking, o.unexpected_count) for o in failed] == [("evidence_matches_offsets", True, 1)]


def test_each_outcome_keeps_its_own_blocking_flag(seed_copy):
    """GX returns a suite's results grouped by column, not in the order they were added;
    a mention whose text is not the article's at its offsets must still block."""
    conn = duckdb.connect(str(seed_copy))
    conn.execute(
        "UPDATE mentions SET text = 'not the article' WHERE mention_id = (SELECT min(mention_id) FROM mentions)"
    )
    outcomes = validate_table(conn, "mentions")
    conn.close()
    by_check = {(o.expectation, o.column): o for o in outcomes}
    failed = by_check[("expect_column_values_to_be_in_set", "text_matches_offsets")]
    assert (failed.success, failed.blocking, failed.unexpected_count) == (False, True, 1)
    assert by_check[("expect_column_values_to_be_between", "rows_in_table")].blocking is False


def test_large_frames_are_validated_in_slices_with_the_same_outcomes(seed_copy, monkeypatch):
    """Slices (by a hash of the key for a table, by rows for other frames) give what the
    whole frame gives: unexpected rows are counted across slices, keys checked exactly."""
    from expectations import suites

    conn = duckdb.connect(str(seed_copy))
    conn.execute(
        "UPDATE mentions SET text = 'not the article' WHERE mention_id IN "
        "(SELECT mention_id FROM mentions ORDER BY mention_id LIMIT 7)"
    )
    tables = ["mentions", "quotes", "sentences", "actors"]

    def summary():
        return {
            t: [
                (o.frame, o.expectation, o.column, o.success, o.blocking, o.unexpected_count)
                for o in validate_table(conn, t)
            ]
            for t in tables
        }

    whole = summary()
    n_mentions = conn.execute("SELECT count(*) FROM mentions").fetchone()[0]
    monkeypatch.setattr(suites, "SLICE_ROWS", max(1, n_mentions // 5))
    sliced = summary()
    details = {o.column: o.details for o in validate_table(conn, "mentions")}
    conn.close()
    assert sliced == whole
    assert ("mentions", "expect_column_values_to_be_in_set", "text_matches_offsets", False, True, 7) in whole[
        "mentions"
    ]
    assert '"slices": 5' in details["text_matches_offsets"] or '"slices": 6' in details["text_matches_offsets"]


def test_a_failed_row_expectation_names_a_sample_of_the_rows_keys(seed_copy):
    """What the run's failure report shows: the expected values and the keys of a few rows."""
    import json

    conn = duckdb.connect(str(seed_copy))
    bad = [r[0] for r in conn.execute("SELECT statement_id FROM stances ORDER BY statement_id LIMIT 2").fetchall()]
    conn.execute("UPDATE stances SET stance = 'maybe' WHERE statement_id IN (SELECT unnest(?::VARCHAR[]))", [bad])
    failed = [o for o in validate_table(conn, "stances") if not o.success]
    conn.close()
    label = next(o for o in failed if o.expectation == "expect_column_values_to_be_in_set" and o.column == "stance")
    details = json.loads(label.details)
    assert label.unexpected_count == 2 and details["expected"]["value_set"] == ["favor", "against", "neutral"]
    assert sorted(k["statement_id"] for k in details["sample_keys"]) == sorted(bad)


def _release_alone(settings, instance_dir, run_id: str):
    """The release step alone, in a run of its own id, as the UI launches it: without a
    `stancewire run` around it holding the warehouse lock from step to step."""
    import dagster as dg

    from assets.definitions import build_definitions

    job = build_definitions(settings).resolve_job_def("rebuild_release")
    with dg.DagsterInstance.local_temp(str(instance_dir)) as instance:
        return job.execute_in_process(
            instance=instance, run_id=run_id, raise_on_error=False, asset_selection=[dg.AssetKey("dataset_release")]
        )


def test_rows_changed_after_a_runs_check_are_validated_before_its_release(tmp_path):
    """A run launched from the UI takes the warehouse lock step by step: another run may
    change a table between its check and its release. The release then judges the rows as
    they are, not the outcomes its own check recorded on the rows before."""
    import uuid

    settings = make_settings(tmp_path, seed_folder(tmp_path / "raw"))
    first = run(settings, tmp_path / "dagster")
    assert first.ok, first.reason
    releases = tmp_path / "releases"

    def checked_by_a_run_of_its_own() -> str:
        """A run id whose checks passed on the tables as they are now (a copy of the first run's)."""
        run_id = str(uuid.uuid4())
        with duckdb.connect(settings.warehouse) as conn:
            conn.execute(
                "INSERT INTO validation_results SELECT * REPLACE (? AS run_id) FROM validation_results "
                "WHERE run_id = ?",
                [run_id, first.result.run_id],
            )
        return run_id

    quiet = checked_by_a_run_of_its_own()
    unchanged = _release_alone(settings, tmp_path / "dagster", quiet)
    assert unchanged.success  # nothing changed since: its outcomes stand, and no new version
    assert versions.list_versions(releases) == ["v1.0.0"]
    with duckdb.connect(settings.warehouse, read_only=True) as conn:
        outcomes = "SELECT table_name, expectation_no, success FROM validation_results WHERE run_id = ? ORDER BY ALL"
        assert conn.execute(outcomes, [quiet]).fetchall() == conn.execute(outcomes, [first.result.run_id]).fetchall()

    later = checked_by_a_run_of_its_own()
    with duckdb.connect(settings.warehouse) as conn:  # another run's load, after that run's check
        conn.execute("UPDATE quotes SET cue_kind = 'rumour' WHERE quote_id = (SELECT min(quote_id) FROM quotes)")
    blocked = _release_alone(settings, tmp_path / "dagster", later)
    assert not blocked.success
    (failure,) = [e for e in blocked.all_events if e.is_step_failure]
    assert "release blocked" in str(failure.step_failure_data.error) or "release blocked" in str(
        failure.event_specific_data
    )
    assert "cue_kind" in str(failure.event_specific_data) and "quotes" in str(failure.event_specific_data)
    assert versions.list_versions(releases) == ["v1.0.0"] and versions.current_version(releases) == "v1.0.0"
    with duckdb.connect(settings.warehouse, read_only=True) as conn:
        failed = conn.execute(
            "SELECT table_name, column_name FROM validation_results WHERE run_id = ? AND NOT success AND blocking",
            [later],
        ).fetchall()
    assert ("quotes", "cue_kind") in failed

    # Another run validated the changed rows since (its check failed): its outcomes apply.
    again = checked_by_a_run_of_its_own()
    other = run(settings, tmp_path / "dagster")
    assert not other.ok and "cue_kind" in other.message
    blocked = _release_alone(settings, tmp_path / "dagster", again)
    assert not blocked.success
    assert versions.list_versions(releases) == ["v1.0.0"]
    with duckdb.connect(settings.warehouse, read_only=True) as conn:
        assert conn.execute(
            "SELECT count(*) FROM validation_results WHERE run_id = ? AND table_name = 'quotes' AND NOT success",
            [again],
        ).fetchone() == (1,)

"""A blocking expectation that fails stops the release: no folder appears and the
previous release stays current. The run says which expectation failed on which table."""

from __future__ import annotations

import shutil

import duckdb
from conftest import SEED, make_settings, run

from expectations.suites import validate_table
from pipeline import release


def test_failed_expectation_blocks_the_release(tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    shutil.copy(SEED, good / SEED.name)
    first = make_settings(tmp_path, good)
    assert run(first, tmp_path / "dagster").ok
    releases = tmp_path / "releases"
    assert release.current_version(releases) == "v1.0.0"

    # A second warehouse fed only unusable input: no article, so the articles suite's
    # row-count expectation (blocking) fails. It publishes into the same releases folder.
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.jsonl").write_text("{not json\n", encoding="utf-8")
    second = make_settings(tmp_path / "second", bad, releases_dir=str(releases))
    outcome = run(second, tmp_path / "dagster")

    assert not outcome.ok
    assert "release blocked" in outcome.reason
    assert "expect_table_row_count_to_be_between" in outcome.reason and "articles" in outcome.reason
    assert release.list_versions(releases) == ["v1.0.0"]
    assert release.current_version(releases) == "v1.0.0"
    assert not [p for p in releases.iterdir() if p.name.startswith(".staging")]


def test_suite_catches_evidence_that_is_not_in_the_article(seed_run, tmp_path):
    _, settings, _ = seed_run
    copy = tmp_path / "w.duckdb"
    shutil.copy(settings.warehouse, copy)
    conn = duckdb.connect(str(copy))
    conn.execute("UPDATE stances SET evidence = 'words the article never had' WHERE statement_id = "
                 "(SELECT min(statement_id) FROM stances)")
    failed = [o for o in validate_table(conn, "stances") if not o.success]
    conn.close()
    assert [(o.column, o.blocking, o.unexpected_count) for o in failed] == [("evidence_matches_offsets", True, 1)]

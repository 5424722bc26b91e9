"""The Great Expectations checks: a table whose rows and suite are those of its last
validation keeps that validation's outcomes, and `stancewire run` validates in its
validator process, not in its own."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import duckdb
import pandas as pd
from conftest import CODEBOOKS, REPO, make_settings, run, seed_folder

from expectations.suites import ARTICLE_PART, frames_for, plan, record_part, validate_table


def unchanged(conn, tables, code_version, prior):
    """The tables whose outcomes are kept, and the fingerprints of the others."""
    p = plan(conn, tables, code_version, prior)
    return p.kept, p.fingerprints


def test_a_table_keeps_its_outcomes_until_what_it_reads_changes(seed_copy):
    conn = duckdb.connect(str(seed_copy))
    tables = ["mentions", "stances"]
    kept, fingerprints = unchanged(conn, tables, "code-1", {})
    assert not kept and all(fingerprints.values())
    prior = {t: (fingerprints[t], "run-1", validate_table(conn, t)) for t in tables}

    kept, _ = unchanged(conn, tables, "code-1", prior)
    assert set(kept) == set(tables) and all(v.reused for v in kept.values())
    assert all(v.validated_in == "run-1" for v in kept.values())
    assert {t: v.outcomes for t, v in kept.items()} == {t: prior[t][2] for t in tables}

    # A statement changes: stances is validated again, mentions (which does not read it) is not.
    conn.execute(
        "UPDATE stances SET confidence = confidence / 2 WHERE statement_id = (SELECT min(statement_id) FROM stances)"
    )
    kept, again = unchanged(conn, tables, "code-1", prior)
    assert set(kept) == {"mentions"} and set(again) == {"stances"}
    # Other code: everything is validated again.
    assert unchanged(conn, tables, "code-2", prior)[0] == {}
    conn.close()


def test_a_run_with_another_codebook_keeps_the_loaded_tables_outcomes(tmp_path):
    raw = seed_folder(tmp_path / "raw")
    settings = make_settings(tmp_path, raw)
    assert run(settings, tmp_path / "dagster").ok
    edited = tmp_path / "book.yaml"
    book = sorted(CODEBOOKS.glob("*.yaml"))[0]
    edited.write_text(book.read_text(encoding="utf-8").replace('version: "1.0"', 'version: "1.1"'), encoding="utf-8")
    second = make_settings(tmp_path, raw, codebooks=[str(edited)])
    outcome = run(second, tmp_path / "dagster")
    assert outcome.ok, outcome.reason
    conn = duckdb.connect(str(settings.warehouse), read_only=True)
    runs = [
        r[0]
        for r in conn.execute(
            "SELECT run_id FROM validation_results GROUP BY run_id ORDER BY min(validated_at)"
        ).fetchall()
    ]
    state = dict(conn.execute("SELECT table_name, run_id FROM validation_state").fetchall())
    validated_second = {
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT table_name FROM validation_results WHERE run_id = ?", [runs[-1]]
        ).fetchall()
    }
    conn.close()
    assert len(runs) == 2
    assert state["mentions"] == state["quotes"] == runs[0]  # kept: loaded rows unchanged
    assert state["codebook_targets"] == state["stances"] == runs[1]  # validated again
    assert {"mentions", "quotes", "stances"} <= validated_second  # the release reads this run's outcomes
    # the kept tables are named in one log line per check step, not one each (each is an event)
    import dagster as dg

    with dg.DagsterInstance.local_temp(str(tmp_path / "dagster")) as instance:
        lines = [
            (e.step_key, e.user_message)
            for e in instance.all_logs(outcome.result.run_id)
            if "outcomes kept" in e.user_message
        ]
    steps = [step for step, _ in lines]
    assert "load_batches_checks" in steps and len(steps) == len(set(steps))
    assert all(f"validated in run {runs[0]}" in message for _, message in lines)
    named = {word for _, message in lines for word in re.findall(r"\b[a-z_]+\b", message.split(": ", 1)[1])}
    assert {"mentions", "quotes"} <= named and "stances" not in named


VALIDATE_IN_HELPER = r"""
import json, sys
from assets.checks import validate
from assets.resources import StancewireSettings
from pipeline.steps import pool
from pipeline.steps.pool import VALIDATOR

def main():
    pool.start_helper(VALIDATOR, "expectations.suites:warm_up")
    try:
        # full: every row validated, none kept from the seed run (with two cores the
        # validator forks its copy for one of the two tables)
        out = validate(StancewireSettings(warehouse=sys.argv[1]), ["articles", "stances"], full=True)
    finally:
        pool.stop_shared()
    print(json.dumps({"gx_imported_here": "great_expectations" in sys.modules,
                      "outcomes": {t: len(v.outcomes) for t, v in out.items()},
                      "passed": all(o.success for v in out.values() for o in v.outcomes)}))

if __name__ == "__main__":
    main()
"""


def run_script(tmp_path, source: str, *args) -> tuple[dict, str]:
    """`source` run as a script in a fresh interpreter with the repository importable: the
    JSON object it printed last, and its stderr (the script must exit 0)."""
    script = tmp_path / "script.py"
    script.write_text(source, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(script), *map(str, args)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def test_stancewire_run_validates_in_its_validator_process(seed_copy, tmp_path):
    result, stderr = run_script(tmp_path, VALIDATE_IN_HELPER, seed_copy)
    assert "leaked semaphore" not in stderr  # the forked copy leaves nothing to the resource tracker
    assert result["gx_imported_here"] is False
    assert result["outcomes"]["articles"] > 5 and result["outcomes"]["stances"] > 5
    assert result["passed"]


DEFERRED_SCIPY = r"""
import json, sys
import duckdb
import expectations.suites as S

conn = duckdb.connect(sys.argv[1], read_only=True)
outcomes = {t: S.validate_table(conn, t) for t in ("articles", "stances")}
deferred = type(sys.modules["scipy.stats"]).__name__
kl = sys.modules["great_expectations.expectations.core.expect_column_kl_divergence_to_be_less_than"]
same = kl.stats is sys.modules["scipy.stats"]  # GX holds the deferred module itself
from scipy.stats import binomtest  # the deferred module, loaded on first use
print(json.dumps({"deferred": deferred, "same": same, "loaded": type(sys.modules["scipy.stats"]).__name__,
                  "p": binomtest(3, 10).pvalue, "passed": all(o.success for v in outcomes.values() for o in v)}))
"""


def test_validation_leaves_scipy_stats_unloaded_until_something_uses_it(seed_copy, tmp_path):
    """GX imports scipy.stats for an expectation no suite uses (`suites.DEFERRED_IMPORTS`):
    a validation runs without executing it, and whatever uses it later gets the real module.
    Fails when GX starts touching it as it imports (then deferring it is useless)."""
    result, _ = run_script(tmp_path, DEFERRED_SCIPY, seed_copy)
    assert result["passed"]
    assert result["deferred"] == "_LazyModule" and result["same"]
    assert result["loaded"] == "module" and abs(result["p"] - 0.34375) < 1e-9


SPLIT_VALIDATION = r"""
import json, os, sys
import expectations.suites as S

def recording(database, tables, parts, wait_s):
    with open(sys.argv[2], "a") as f:
        f.write(json.dumps([os.getpid(), tables]) + "\n")
    return plain(database, tables, parts, wait_s)
plain, S._validate_file = S._validate_file, recording

tables = ["articles", "sentences", "mentions", "quotes", "stances"]
mine, theirs = S.balanced_halves(tables)
one = S.validate_tables(sys.argv[1], tables, None, 30, False)
open(sys.argv[2], "w").close()
split = S.validate_tables(sys.argv[1], tables, None, 30, True)
calls = [json.loads(line) for line in open(sys.argv[2])]
print(json.dumps({"same": one == split, "order": list(split) == tables, "halves": [mine, theirs],
                  "processes": len({pid for pid, _ in calls}), "calls": [t for _, t in calls],
                  "failed": sorted((o.table, o.column) for v in split.values() for o in v if not o.success)}))
"""


def test_two_processes_validate_as_one(seed_copy, tmp_path):
    """With two cores the validator forks a copy of itself for part of the tables
    (`validate_tables(split=True)`): the same outcomes, a failure in either half included."""
    from expectations.suites import _can_split

    if not _can_split():
        import pytest

        pytest.skip("one core, no fork or little memory here: validate_tables does not split")
    conn = duckdb.connect(str(seed_copy))
    conn.execute(  # bad rows in three tables, so that each half holds one: text not at its offsets
        "UPDATE quotes SET cue = 'not the article' WHERE quote_id = (SELECT min(quote_id) FROM quotes)"
    )
    for table in ("sentences", "mentions"):
        conn.execute(f"UPDATE {table} SET text = 'not the article' WHERE rowid = (SELECT min(rowid) FROM {table})")
    conn.close()
    result, _ = run_script(tmp_path, SPLIT_VALIDATION, seed_copy, tmp_path / "calls.jsonl")
    mine, theirs = result["halves"]
    assert mine and theirs
    assert result["processes"] == 2 and sorted(result["calls"]) == sorted([mine, theirs])  # each half once, apart
    assert result["same"] and result["order"]
    failed = {tuple(f) for f in result["failed"]}
    planted = {
        ("quotes", "cue_matches_offsets"),
        ("sentences", "text_matches_offsets"),
        ("mentions", "text_matches_offsets"),
    }
    assert planted <= failed
    assert {t for t, _ in planted} & set(mine) and {t for t, _ in planted} & set(theirs)


def test_a_copy_that_fails_or_hangs_gives_no_result(monkeypatch):
    """The validator then validates that half itself (`validate_tables`): a copy that raises
    returns nothing, and one that does not finish within its grace is killed."""
    import time

    import pytest

    import expectations.suites as suites

    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    with suites._forked(lambda: {"articles": []}) as done:
        pass
    assert done.result == {"articles": []}

    def fails():
        raise RuntimeError("a GX error")

    with suites._forked(fails) as failed:
        pass
    assert failed.result is None

    monkeypatch.setattr(suites, "FORK_GRACE_S", 0.5)
    monkeypatch.setattr(suites, "FORK_GRACE_FACTOR", 1.0)
    started = time.monotonic()
    with suites._forked(lambda: time.sleep(60) or {"articles": []}) as hung:
        pass
    assert hung.result is None and "stopped" in hung.failure and time.monotonic() - started < 10

    monkeypatch.setattr(suites, "FORK_GRACE_S", 60.0)  # a grace this long: only killing at once is fast
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), suites._forked(lambda: time.sleep(60) or {}):
        raise KeyboardInterrupt  # the validator's own half stopped: the copy is killed at once
    assert time.monotonic() - started < 10


def test_a_failed_copy_s_tables_are_validated_by_the_validator(seed_copy, monkeypatch):
    """`validate_tables` validates the half of a copy that gave no result itself, warns
    once, and splits no more in that process."""
    from contextlib import contextmanager

    import expectations.suites as suites

    @contextmanager
    def failing_copy(work):
        handle = suites._Forked()
        handle.failure = "failed (exit status 1)"
        yield handle

    tables = ["articles", "sentences", "mentions", "quotes"]
    sequential = suites.validate_tables(str(seed_copy), tables, None, 30, False)
    monkeypatch.setattr(suites, "_forked", failing_copy)
    monkeypatch.setattr(suites, "_SPLIT_FAILED", [])
    monkeypatch.setattr(suites.sys, "platform", "linux")
    monkeypatch.setattr("pipeline.settings.usable_cores", lambda: 2)
    monkeypatch.setattr("pipeline.settings.available_memory_mb", lambda: None)
    assert suites._can_split()
    assert suites.validate_tables(str(seed_copy), tables, None, 30, True) == sequential
    assert suites._SPLIT_FAILED == ["failed (exit status 1)"] and not suites._can_split()


def test_the_tables_a_suite_reads_are_known_without_building_it(seed_db):
    """`reads` (from the schema and the modules' READS) decides whether outcomes are kept
    without GX; it must cover every table the frames' SQL names."""
    from expectations.suites import frames_for, reads, tables_read
    from pipeline.schema import TABLES

    for table in TABLES:
        assert set(tables_read(frames_for(seed_db, table))) <= set(reads(table)), table


def test_only_the_batches_whose_rows_changed_are_validated_again(seed_copy):
    conn = duckdb.connect(str(seed_copy))
    first = plan(conn, ["sentences"], "code-1", {}, {})
    parts = first.part_fingerprints["sentences"]
    batches = sorted(p for p in parts if p is not None)
    # Nothing kept yet: every part is new, so every row is validated, the parts not named.
    assert batches and first.todo_parts["sentences"] is None
    passed = {"sentences": {p: parts[p] for p in batches}}
    assert plan(conn, ["sentences"], "code-1", {}, passed).todo_parts["sentences"] == []

    # A sentence changes: its batch is validated again; the bad row is found in it.
    conn.execute(
        "UPDATE sentences SET text = 'not the article' WHERE (article_id, sentence_no) = "
        "(SELECT (article_id, sentence_no) FROM sentences ORDER BY ALL LIMIT 1)"
    )
    todo = plan(conn, ["sentences"], "code-1", {}, passed).todo_parts["sentences"]
    assert todo is None  # the seed warehouse holds one part, and it changed: every row
    failed = [o for o in validate_table(conn, "sentences", todo) if not o.success]
    assert [(o.column, o.unexpected_count) for o in failed] == [("text_matches_offsets", 1)]
    # Nothing to validate row by row: the main frame is empty, the table frame still runs.
    outcomes = validate_table(conn, "sentences", [])
    assert all(o.success for o in outcomes) and any(o.frame == "sentences_table" for o in outcomes)
    # A full rebuild keeps nothing.
    assert plan(conn, ["sentences"], "code-1", {}, None).todo_parts["sentences"] is None
    conn.close()


def _seed_copies(conn, batch_id: str, count: int) -> None:
    """`count` copies of the seed article (copy1, copy2, ...) in one batch, records 1..count,
    each with the seed's sentences."""
    seed_id = conn.execute("SELECT article_id FROM articles").fetchone()[0]
    for n in range(1, count + 1):
        conn.execute(
            "INSERT INTO articles SELECT * REPLACE (? AS article_id, ? AS batch_id, ? AS record_no) "
            "FROM articles WHERE article_id = ?",
            [f"copy{n}", batch_id, n, seed_id],
        )
        conn.execute(
            "INSERT INTO sentences SELECT * REPLACE (? AS article_id) FROM sentences WHERE article_id = ?",
            [f"copy{n}", seed_id],
        )


def test_a_changed_row_sends_only_its_records_part_to_validation(seed_copy):
    """Parts are finer than batches: a batch's records fall into PART_BUCKETS parts, so a few
    rewritten rows (an actor merge) do not send a whole large batch back to validation."""
    conn = duckdb.connect(str(seed_copy))
    # Twenty copies of the seed article in one batch, records 1..20, with their sentences.
    _seed_copies(conn, "batch-x", 20)
    parts = plan(conn, ["sentences"], "code-1", {}, {}).part_fingerprints["sentences"]
    of_batch = sorted(p for p in parts if p and p.startswith("batch-x:"))
    assert len(of_batch) > 10  # twenty records, spread over buckets
    passed = {"sentences": {p: f for p, f in parts.items() if p is not None}}
    assert plan(conn, ["sentences"], "code-1", {}, passed).todo_parts["sentences"] == []

    conn.execute("UPDATE sentences SET text = 'not the article' WHERE article_id = 'copy7' AND sentence_no = 0")
    todo = plan(conn, ["sentences"], "code-1", {}, passed).todo_parts["sentences"]
    assert len(todo) == 1 and todo[0] in of_batch
    failed = [o for o in validate_table(conn, "sentences", todo) if not o.success]
    assert [(o.column, o.unexpected_count) for o in failed] == [("text_matches_offsets", 1)]
    # Every part named is every row, a sentence whose article is gone included: `plan` names
    # none when all changed. The same rows reach the main frame, with the same outcomes.
    conn.execute(
        "INSERT INTO sentences SELECT * REPLACE ('gone' AS article_id) FROM sentences WHERE article_id = 'copy3'"
    )
    named = sorted(p for p in parts if p is not None)
    frames = {}
    for label, restricted_to in (("named", named), ("none", None)):
        frame = frames_for(conn, "sentences")[0]
        frame.restrict(restricted_to, conn)
        frames[label] = conn.execute(frame.sql).fetchall()
    assert len(frames["none"]) == conn.execute("SELECT count(*) FROM sentences").fetchone()[0]
    assert frames["named"] == frames["none"]
    assert validate_table(conn, "sentences", named) == validate_table(conn, "sentences", None)
    # One part: the rows of its articles and those whose article is gone, nothing else (the
    # articles table, whose part is its own record's, likewise): the rows of the whole frame
    # that the part's condition, evaluated row by row, selects; joined columns included.
    conn.execute("DELETE FROM articles WHERE article_id = 'copy11'")  # row ids with a gap
    in_part = {
        "sentences": f"(SELECT {ARTICLE_PART} FROM articles a WHERE a.article_id = s.article_id) IN (?) "
        "OR NOT EXISTS (SELECT 1 FROM articles a WHERE a.article_id = s.article_id)",
        "articles": f"{record_part('s')} IN (?)",
    }
    for table, condition in in_part.items():
        whole, part = frames_for(conn, table)[0], frames_for(conn, table)[0]
        key = ", ".join(whole.key)
        wanted = set(conn.execute(f"SELECT {key} FROM {table} s WHERE {condition}", todo).fetchall())
        whole.restrict(None, conn)
        part.restrict(todo, conn)
        got = conn.execute(part.sql).df()
        expected = conn.execute(whole.sql).df()
        expected = expected[[k in wanted for k in zip(*(expected[c] for c in whole.key))]].reset_index(drop=True)
        assert len(got) > 0 and got.equals(expected)
        assert conn.execute(part.count_sql()).fetchone()[0] == len(got)
        if table == "sentences":
            assert {"copy7", "gone"} <= set(got["article_id"])
            # in slices: together the same rows
            sliced = pd.concat([conn.execute(part.slice_sql(3, k)).df() for k in range(3)])
            assert sliced.sort_values(part.key, ignore_index=True).equals(got)

    # An actor merge rewrites a mention's actor id: mentions keeps its outcomes (none of its
    # frames reads the id); actors, whose frames check the references, is validated again.
    before = plan(conn, ["mentions", "actors"], "code-1", {}, {})
    conn.execute(
        "UPDATE mentions SET actor_id = 'person:merged' WHERE mention_id = (SELECT min(mention_id) FROM mentions)"
    )
    after = plan(conn, ["mentions", "actors"], "code-1", {}, {})
    assert after.fingerprints["mentions"] == before.fingerprints["mentions"]
    assert after.part_fingerprints["mentions"] == before.part_fingerprints["mentions"]
    assert after.fingerprints["actors"] != before.fingerprints["actors"]
    conn.close()


def test_deferred_columns_are_read_by_none_of_their_tables_own_frames(seed_db):
    """A table's outcomes are decided without its `deferred_columns` (actor references
    that merges rewrite); that is sound only while none of its own frames (row-wise, table
    aggregates, its module's) reads them: the actors table's frames check them."""
    import re

    from expectations.suites import deferred_columns, frames_for
    from pipeline.schema import TABLES

    seen = 0
    for name, table in TABLES.items():
        deferred = set(deferred_columns(table))
        if not deferred:
            continue
        seen += 1
        main, *others = frames_for(seed_db, name)
        for check in [c for f in (main, *others) for c in f.checks]:
            config = check.expectation
            read = {getattr(config, k, None) for k in ("column", "column_A", "column_B")}
            assert not read & deferred, (name, type(config).__name__)
        for expression in main.select:
            if re.fullmatch(r't\."\w+"', expression):  # the column itself, crossing unchecked
                continue
            assert not set(re.findall(r"\w+", expression)) & deferred, (name, expression)
        for frame in others:
            assert not set(re.findall(r"\w+", frame.sql)) & deferred, (name, frame.name)
    assert seen >= 2  # mentions.actor_id and quotes.speaker_actor_id


def test_the_parts_contents_are_those_of_their_rows(seed_copy):
    """`Contents` sums an article-keyed table per article before it joins the articles: the
    parts' row counts and hash sums are still those of their rows one by one (a row whose
    article is missing falls in the part None), and the whole is `table_content`."""
    from expectations.suites import Contents
    from pipeline.fingerprints import table_content

    conn = duckdb.connect(str(seed_copy))
    _seed_copies(conn, "batch-y", 5)
    conn.execute("DELETE FROM articles WHERE article_id = 'copy5'")  # its sentences stay, without an article
    by_row = {
        part: f"{rows}:{total}"
        for part, rows, total in conn.execute(
            f"SELECT {ARTICLE_PART}, count(*), sum(x.h) FROM (SELECT article_id, hash(*COLUMNS(*)) AS h "
            "FROM sentences) x LEFT JOIN articles a USING (article_id) GROUP BY 1"
        ).fetchall()
    }
    contents = Contents(conn)
    assert contents.parts("sentences") == by_row
    assert None in by_row and len(by_row) > 2
    assert contents.whole("sentences") == table_content(conn, "sentences")
    conn.close()

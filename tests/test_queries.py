"""docs/queries.md: each of the ten questions' SQL runs against the seed warehouse, and its
answer is checked against the underlying tables (not just that it runs)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from bench.release_db import doc_queries
from pipeline.release import versions
from pipeline.schema import QUOTE_KINDS
from pipeline.storage import views

QUERIES = Path(__file__).resolve().parent.parent / "docs" / "queries.md"


def questions() -> dict[int, tuple[str, str]]:
    """number -> (question, SQL) from docs/queries.md (the first ```sql block under each '## N.')."""
    return doc_queries(QUERIES)


def run(db, sql) -> list[dict]:
    cur = db.execute(sql)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def scalar(db, sql, params=()):
    return db.execute(sql, list(params)).fetchall()[0][0]


def ties_by_name(db) -> dict[tuple[str, str], list[int]]:
    """(name_a, name_b) -> [congruence, conflict] recomputed from the statements (seed names are unique)."""
    held = defaultdict(set)
    for name, actor, book, target, stance in db.execute(
        "SELECT DISTINCT a.name, s.actor_id, s.codebook, s.target, s.stance FROM stances s "
        "JOIN actors a ON a.actor_id = s.actor_id WHERE s.stance IN ('favor', 'against')"
    ).fetchall():
        held[(book, target)].add((actor, name, stance))
    ties = defaultdict(lambda: [0, 0])
    for positions in held.values():
        for (a, na, sa), (b, nb, sb) in itertools.combinations(sorted(positions), 2):
            if a != b:
                ties[(na, nb)][0 if sa == sb else 1] += 1
    return ties


def check_1(db, rows):
    n_quotes = dict(
        db.execute(
            "SELECT a.name, count(*) FROM quotes q JOIN actors a ON a.actor_id = q.speaker_actor_id "
            "WHERE q.cue_kind = 'speech' AND q.negated IS NOT TRUE GROUP BY a.actor_id, a.name"
        ).fetchall()
    )
    assert len(rows) == min(10, len(n_quotes))
    for r in rows:
        assert r["quotes"] == n_quotes[r["speaker_name"]] and 0 <= r["direct_quotes"] <= r["quotes"]
    assert [r["quotes"] for r in rows] == sorted((r["quotes"] for r in rows), reverse=True)
    assert rows[0]["quotes"] == max(n_quotes.values())


def check_2(db, rows):
    assert sum(r["quotes"] for r in rows) == scalar(
        db, "SELECT count(*) FROM quotes WHERE speaker_actor_id IS NOT NULL"
    )
    assert sum(r["speakers"] for r in rows) == scalar(
        db, "SELECT count(DISTINCT speaker_actor_id) FROM quotes WHERE speaker_actor_id IS NOT NULL"
    )
    by_country = {r["country"]: r for r in rows}
    assert "Sergei Lavrov" in by_country["RUS"]["who"]


def check_3(db, rows):
    assert rows and all(r["kind"] in QUOTE_KINDS for r in rows)
    assert any("unacceptable to us" in r["content"] for r in rows)
    assert len(rows) == scalar(db, "SELECT count(*) FROM quotes WHERE speaker_actor_id = 'person:sergei-lavrov'")


def check_4(db, rows):
    pairs = {(r["position"], r["actor_name"]) for r in rows}
    assert ("against", "Sergei Lavrov") in pairs and any(position == "favor" for position, _ in pairs)
    counts = defaultdict(lambda: defaultdict(int))
    for name, stance in db.execute(
        "SELECT a.name, s.stance FROM stances s JOIN actors a ON a.actor_id = s.actor_id "
        "WHERE s.codebook = 'ukraine-peacekeeping' AND s.target = 'peacekeeping_force'"
    ).fetchall():
        counts[name][stance] += 1
    assert {r["actor_name"] for r in rows} == set(counts)
    for r in rows:
        c = counts[r["actor_name"]]
        assert r["n_statements"] == sum(c.values())
        assert r["position"] == (
            "favor"
            if c["favor"] > c["against"]
            else "against"
            if c["against"] > c["favor"]
            else "ambivalent"
            if c["favor"]
            else "neutral"
        )


def check_5(db, rows):
    for r in rows:
        assert r["net"] == r["favor"] - r["against"]
    for label in ("favor", "against", "neutral"):
        assert sum(r[label] for r in rows) == scalar(db, "SELECT count(*) FROM stances WHERE stance = ?", [label])
    assert [r["net"] for r in rows] == sorted((r["net"] for r in rows), reverse=True)


def check_6(db, rows):
    for r in rows:
        assert r["net"] == r["favor"] - r["against"]
    for label in ("favor", "against"):
        assert sum(r[label] for r in rows) == scalar(
            db,
            "SELECT count(*) FROM stances s JOIN actors a ON a.actor_id = s.actor_id "
            "WHERE a.country IS NOT NULL AND s.stance = ?",
            [label],
        )
    russia = next(r for r in rows if (r["country"], r["target"]) == ("RUS", "peacekeeping_force"))
    assert russia["net"] < 0 and "Sergei Lavrov" in russia["actors"]


def _check_network(db, rows, column, index):
    ties = ties_by_name(db)
    assert rows
    for r in rows:
        assert r[column] > 0 and r[column] == ties[(r["actor_a_name"], r["actor_b_name"])][index]
    assert rows[0][column] == max(t[index] for t in ties.values())


def check_7(db, rows):
    _check_network(db, rows, "conflict", 1)
    # Lavrov (against the peacekeeping force) is in conflict with whoever favors it
    assert (
        scalar(
            db,
            "SELECT max(conflict) FROM discourse_network WHERE 'person:sergei-lavrov' IN (actor_a, actor_b)",
        )
        >= 1
    )


def check_8(db, rows):
    _check_network(db, rows, "congruence", 0)


def check_9(db, rows):
    assert len(rows) == scalar(db, "SELECT count(*) FROM quotes WHERE contains(speaker_actor_id, '@')")
    assert "A UK Government source" in {r["speaker_name"] for r in rows}


def check_10(db, rows):
    assert rows
    for r in rows:
        assert r["evidence"] == r["evidence_in_article"] and r["evidence"].strip()
        assert r["stance"] == "against" and r["target_label"]


CHECKS = {n: globals()[f"check_{n}"] for n in range(1, 11)}


def test_queries_md_has_ten_questions():
    assert sorted(questions()) == list(range(1, 11))


@pytest.mark.parametrize("number", range(1, 11))
def test_query_answers_its_question(seed_db, number):
    question, sql = questions()[number]
    CHECKS[number](seed_db, run(seed_db, sql))


def test_views_exist_with_comments(seed_db):
    assert views.view_names_in_sql() == list(views.VIEW_NAMES)
    comments = dict(seed_db.execute("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall())
    for name in views.VIEW_NAMES:
        assert comments.get(name), f"view {name} has no comment"
        cols = seed_db.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = ?", [name]
        ).fetchall()
        assert cols and all(c for _, c in cols), f"{name}: a column has no comment"


def test_views_run_on_a_release_too(seed_run, seed_db):
    tmp, _, _ = seed_run
    con = views.open_release(tmp / "releases" / "v1.0.0")
    try:
        for name in views.VIEW_NAMES:
            ordered = f"SELECT * FROM {name} ORDER BY ALL"
            assert con.execute(ordered).fetchall() == seed_db.execute(ordered).fetchall(), name
        # the version, as in the release's DuckDB file (queries.md says to check it so)
        assert con.execute("SELECT version, previous_version FROM release_info").fetchall() == [("1.0.0", None)]
    finally:
        con.close()


@pytest.fixture(scope="module")
def current_and_parquet(seed_run):
    """The seed release read two ways: current.duckdb, and its Parquet files (`open_release`)."""
    tmp, _, outcome = seed_run
    assert outcome.ok, outcome.reason
    releases = tmp / "releases"
    current = duckdb.connect(str(releases / versions.CURRENT_DB), read_only=True)
    parquet = views.open_release(releases / versions.current_version(releases))
    yield current, parquet
    current.close()
    parquet.close()


@pytest.mark.parametrize("number", range(1, 11))
def test_query_gives_the_same_answer_on_current_duckdb_as_on_the_parquet_files(current_and_parquet, number):
    current, parquet = current_and_parquet
    _, sql = questions()[number]
    on_file, on_parquet = run(current, sql), run(parquet, sql)
    assert on_file == on_parquet  # rows and their order (each query orders its rows)
    CHECKS[number](current, on_file)  # and the answer holds against the file's own tables


def test_the_page_shows_the_answers_a_fresh_seed_run_gives(current_and_parquet):
    """Every answer table in docs/queries.md is what its query returns on the seed's release
    now (`stancewire docs --queries-from data/releases/current.duckdb` after `make sample`
    rewrites them when the coding changes)."""
    from pipeline.exports.queries_doc import _ANSWERED, rewrite_answers

    current, _ = current_and_parquet
    page = QUERIES.read_text(encoding="utf-8")
    assert len(_ANSWERED.findall(page)) == 10  # every question's answer is one the rewrite finds
    rewritten = rewrite_answers(page, current)
    stale = [
        q
        for q, (old, new) in enumerate(zip(page.split("\n## ")[1:], rewritten.split("\n## ")[1:], strict=True), 1)
        if old != new
    ]
    assert not stale, f"questions {stale} show old answers: run make sample, then stancewire docs --queries-from ..."


def test_views_open_on_a_release_published_before_a_column_was_added(seed_run, tmp_path):
    """A release is immutable: one published before `quotes.cue_kind` existed still opens,
    with that column NULL, and every view runs on it."""
    import shutil

    import pyarrow.parquet as pq

    tmp, _, _ = seed_run
    old = tmp_path / "v0.9.0"
    shutil.copytree(tmp / "releases" / "v1.0.0", old)
    (old / "quotes.parquet").chmod(0o644)
    quotes = pq.read_table(old / "quotes.parquet")
    pq.write_table(quotes.drop_columns(["cue_kind"]), old / "quotes.parquet")
    con = views.open_release(old)
    try:
        for name in views.VIEW_NAMES:
            con.execute(f"SELECT * FROM {name}").fetchall()
        kinds = con.execute("SELECT DISTINCT cue_kind FROM quotes_with_speakers").fetchall()
        assert kinds == [(None,)]
    finally:
        con.close()


def test_who_said_what_runs_on_a_release_published_before_quotes_had_negated(seed_run, tmp_path):
    """docs/queries.md's first question on a release without `quotes.negated` (NULL there)
    finds what the current release finds: `negated IS NOT TRUE`, as the docs write it."""
    import shutil

    import pyarrow.parquet as pq

    tmp, _, _ = seed_run
    old = tmp_path / "v0.9.0"
    shutil.copytree(tmp / "releases" / "v1.0.0", old)
    (old / "quotes.parquet").chmod(0o644)
    quotes = pq.read_table(old / "quotes.parquet")
    assert not any(quotes.column("negated").to_pylist())  # the seed's quotes: none negated
    pq.write_table(quotes.drop_columns(["negated"]), old / "quotes.parquet")
    sql = questions()[1][1]  # "Who was quoted most?"
    answers = []
    for folder in (tmp / "releases" / "v1.0.0", old):
        con = views.open_release(folder)
        try:
            answers.append(con.execute(sql).fetchall())
        finally:
            con.close()
    assert answers[0] and answers[0] == answers[1]

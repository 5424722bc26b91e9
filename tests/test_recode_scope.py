"""A codebook edit re-codes only the articles the edited target can reach
(`pipeline.steps.coding_scope`), and leaves the warehouse and the release exactly as a
fresh warehouse built with the edited codebook: a term added, a term removed, a version
changed alone."""

from __future__ import annotations

import duckdb
import pytest
from batch_corpus import article
from conftest import CODEBOOKS, make_settings, needs_pipeline, run

from pipeline.release import versions

N_ARTICLES = 8
BOOK = "ukraine-peacekeeping.yaml"
TABLES = ("coded_stances", "stances", "codebook_targets", "article_actors", "actors")


def _write_input(folder):
    folder.mkdir(parents=True)
    for n in range(N_ARTICLES):
        (folder / f"a{n}.txt").write_text(article(n), encoding="utf-8")


def _books(folder, edit=lambda text: text):
    """Every codebook, `edit` applied to the ukraine one, in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for path in sorted(CODEBOOKS.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        (folder / path.name).write_text(edit(text) if path.name == BOOK else text, encoding="utf-8")
        out.append(str(folder / path.name))
    return out


def _rows(warehouse) -> dict[str, list]:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}
    finally:
        conn.close()


def _coding_parts(warehouse) -> dict[str, str]:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = conn.execute("SELECT article_id, fingerprint FROM stage_state WHERE stage = 'stances'").fetchall()
        return {aid: fp.split(":")[0] for aid, fp in rows}
    finally:
        conn.close()


def _titles(warehouse, ids) -> set[str]:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = conn.execute(
            "SELECT title FROM articles WHERE article_id IN (SELECT unnest(?::VARCHAR[]))", [sorted(ids)]
        ).fetchall()
        return {r[0] for r in rows}
    finally:
        conn.close()


def _coded_now(dagster) -> int:
    import dagster as dg

    with dg.DagsterInstance.local_temp(str(dagster)) as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey("coded_stances"))
        return event.asset_materialization.metadata["coded_now"].value


def _fingerprinted(warehouse, book_paths, signed: bool) -> int:
    """How many articles `stances_to_code` fingerprints for these codebooks, given the
    coding signature (model, code, codebooks) or not."""
    from pipeline.fingerprints import coding_fingerprint, work_code_version
    from pipeline.settings import DEFAULTS
    from pipeline.stances.codebooks import load_codebooks
    from pipeline.steps.coding_scope import load_scope
    from pipeline.steps.warehouse_wide import stances_to_code
    from pipeline.steps.worker import WorkerConfig

    books, model = load_codebooks(book_paths), DEFAULTS["spacy_model"]
    config = WorkerConfig.of(model, "", 64, work_code_version(), books)
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        signature = coding_fingerprint(model, work_code_version(), books) if signed else None
        return len(stances_to_code(conn, load_scope(conn, config, books, compute=False), signature)[3])
    finally:
        conn.close()


def _release_files(releases) -> dict[str, bytes]:
    current = versions.current_version(releases)
    return {p.name: p.read_bytes() for p in sorted((releases / current).glob("*.parquet"))}


@pytest.mark.slow
def test_codebook_edits_recode_only_reached_articles(tmp_path):
    needs_pipeline()
    folder = tmp_path / "input"
    _write_input(folder)
    work = tmp_path / "work"
    work.mkdir()

    def settings(root, books):
        return make_settings(root, folder, batch_id="news", codebooks=books)

    first = run(settings(work, _books(tmp_path / "books0")), work / "dagster")
    assert first.ok, first.reason
    # the same codebooks again: no stored article's scope is read
    assert _fingerprinted(work / "warehouse.duckdb", _books(tmp_path / "books0"), signed=True) == 0
    assert _fingerprinted(work / "warehouse.duckdb", _books(tmp_path / "books0"), signed=False) == N_ARTICLES

    edits = [
        # a term whose word is in the articles quoting Kaja Kallas only (3 and 6)
        (
            "added",
            lambda t: t.replace('version: "1.0"', 'version: "1.1"').replace(
                "terms: [backstop,", "terms: [backstop, coalition,"
            ),
            {"Leaders split over Ukraine plan, report 3", "Leaders split over Ukraine plan, report 6"},
        ),
        # a term in the articles quoting Mark Rutte only (4 and 7)
        (
            "removed",
            lambda t: (
                t.replace('version: "1.0"', 'version: "1.1"')
                .replace("terms: [backstop,", "terms: [backstop, coalition,")
                .replace("security guarantee, deterrent]", "security guarantee]")
            ),
            {"Leaders split over Ukraine plan, report 4", "Leaders split over Ukraine plan, report 7"},
        ),
        (
            "version",
            lambda t: (
                t.replace('version: "1.0"', 'version: "1.2"')
                .replace("terms: [backstop,", "terms: [backstop, coalition,")
                .replace("security guarantee, deterrent]", "security guarantee]")
            ),
            set(),
        ),
    ]
    for k, (name, edit, reached) in enumerate(edits, start=1):
        books = _books(tmp_path / f"books{k}", edit)
        before = _coding_parts(work / "warehouse.duckdb")
        again = run(settings(work, books), work / "dagster")
        assert again.ok, (name, again.reason)
        after = _coding_parts(work / "warehouse.duckdb")
        recoded = {aid for aid in after if before.get(aid) != after[aid]}
        assert _titles(work / "warehouse.duckdb", recoded) == reached, name
        assert _coded_now(work / "dagster") == len(reached), name

        fresh_root = tmp_path / f"fresh{k}"
        fresh_root.mkdir()
        fresh = run(settings(fresh_root, books), fresh_root / "dagster")
        assert fresh.ok, (name, fresh.reason)
        assert _rows(work / "warehouse.duckdb") == _rows(fresh_root / "warehouse.duckdb"), name
        assert _release_files(work / "releases") == _release_files(fresh_root / "releases"), name


def test_target_structure_keys_terms_as_the_matcher(nlp, tmp_path):
    """`coding_scope.target_structure` gives what TargetMatcher builds from each target's
    terms (the fingerprint's view of a codebook must be the coder's)."""
    from pipeline.stances.codebooks import load_codebooks
    from pipeline.stances.coder import TargetMatcher
    from pipeline.steps.coding_scope import target_structure

    extra = tmp_path / "extra.yaml"
    extra.write_text(
        'codebook: extra\nversion: "1"\ntargets:\n'
        "  - id: people\n    terms: [Mrs. Clinton, Donald J. Trump, Trump Tower, the Clinton campaign]\n"
        # (a term of punctuation only, "--", is refused by the codebook's check: no entry to hold together)
        "  - id: odd\n    terms: [U.S. troops, peace-keeping forces, Støre, it's, anti-war]\n",
        encoding="utf-8",
    )
    books = load_codebooks([*sorted(CODEBOOKS.glob("*.yaml")), extra])
    matcher = TargetMatcher(nlp, books)
    entries, by_head, person, heads = {}, {}, {}, {}
    for b in books:
        for t in b.targets:
            s = target_structure(nlp, t.terms)
            for words, head in s["entries"]:
                words = tuple(frozenset(w) for w in words)
                for first in words[0]:
                    entries.setdefault(first, []).append((words, b, t.id))
                if head is not None:
                    heads.setdefault((b.name, t.id), set()).add(head)
                    for last in words[-1]:
                        by_head.setdefault(last, []).append((words, b, t.id))
            if s["person"]:
                person[(b.name, t.id)] = [tuple(p) for p in s["person"]]
    assert entries == matcher.entries
    assert by_head == matcher.by_head
    assert person == matcher.person_terms
    assert {k: frozenset(v) for k, v in heads.items()} == matcher._heads

"""The stance corpus (data/stance-corpus/, docs/stance-corpus.md): every statement file
passes the check (fields, codebook targets, labels, verbatim evidence), the check catches
what it should, and the agreement figures are computed as documented."""

from __future__ import annotations

import json

import pytest

from eval import stance_corpus

needs_texts = pytest.mark.skipif(
    not stance_corpus.TRAIN_TEXTS.is_dir(), reason=f"PolNeAR train texts not at {stance_corpus.TRAIN_TEXTS}"
)


def test_cohen_kappa_of_a_known_table():
    assert stance_corpus.cohen_kappa([("a", "a"), ("b", "b"), ("a", "b"), ("b", "b")]) == pytest.approx(0.5)
    assert stance_corpus.cohen_kappa([("a", "a"), ("b", "b")]) == pytest.approx(1.0)


@needs_texts
def test_every_committed_statement_file_passes_the_check():
    problems = [p for f in stance_corpus.statement_files() for p in stance_corpus.check_file(f)]
    assert problems == []


@needs_texts
def test_the_check_names_the_line_and_what_is_wrong(tmp_path, monkeypatch):
    article = stance_corpus.ARTICLES.read_text(encoding="utf-8").split()[0]
    good = {
        "article": article,
        "codebook": "us-election-2016",
        "actor": "Someone",
        "actor_type": "person",
        "country": "USA",
        "target": "trump",
        "stance": "favor",
        "evidence": stance_corpus._text(article)[:20],
        "certainty": "clear",
    }
    rows = [good, {**good, "evidence": "words that are not in the article"}, {**good, "target": "sanders"}]
    monkeypatch.setattr(stance_corpus, "REPO", tmp_path)
    path = tmp_path / "statements.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    problems = stance_corpus.check_file(path)
    assert len(problems) == 2
    assert problems[0].startswith("statements.jsonl:2:") and "not verbatim" in problems[0]
    assert problems[1].startswith("statements.jsonl:3:") and "target 'sanders'" in problems[1]


@needs_texts
def test_agreement_matches_the_documented_figures():
    folder = stance_corpus.CORPUS / "agreement"

    def rows(name):
        return [json.loads(line) for line in (folder / name).read_text(encoding="utf-8").splitlines() if line]

    result = stance_corpus.agreement(
        rows("first.jsonl"), rows("second.jsonl"), (folder / "articles.txt").read_text().split()
    )
    assert result["articles"] == 30
    assert result["f1_all_rows"] == pytest.approx(0.87, abs=0.005)
    assert result["cohen_kappa"] == pytest.approx(0.91, abs=0.005)


def test_a_candidate_takes_its_best_sentence():
    from types import SimpleNamespace

    from cli.stance_training import best_per_candidate

    a1 = SimpleNamespace(group=("a", 0))
    a2 = SimpleNamespace(group=("a", 0))
    b = SimpleNamespace(group=("a", 1))
    scored = [(a1, {"none": 0.9, "favor": 0.1}), (a2, {"none": 0.2, "against": 0.8}), (b, {"none": 0.6})]
    best = {e.group: cats for e, cats in best_per_candidate(scored)}
    assert best == {("a", 0): {"none": 0.2, "against": 0.8}, ("a", 1): {"none": 0.6}}

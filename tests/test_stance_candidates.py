"""Candidate generation for the trained stance decision (`pipeline.stances.candidates`), on
sentences written for it: every (holder, target) pair the guidelines could admit is
proposed, with the source that ties them, and the text the classifier reads names neither
holder nor target. Real small English model, real actor resolver and attribution extractor.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("spacy")

from conftest import quote_scopes

from pipeline.actors.resolver import ArticleActors
from pipeline.stances.candidates import propose, render
from pipeline.stances.codebooks import load_codebook
from pipeline.stances.coder import ArticleReading, TargetMatcher

CODEBOOKS = Path(__file__).resolve().parents[1] / "data" / "codebooks"


@pytest.fixture(scope="module")
def candidates(nlp):
    """text -> {(holder name, target): (sources, rendered text)}, read as the pipeline reads it."""
    matcher = TargetMatcher(nlp, [load_codebook(CODEBOOKS / "us-election-2016.yaml")])

    def _candidates(text: str):
        doc = nlp(text)
        actors = ArticleActors(doc, "test")
        quotes = quote_scopes(doc, actors)
        article = ArticleReading(doc, actors, quotes, matcher)
        out = {}
        for c in propose(article):
            out[(actors.actor(c.actor_id).name, c.target)] = (c.sources, render(article, c))
        return out

    return _candidates


def test_negated_support_is_proposed_with_its_negation(candidates):
    out = candidates("Senator Mark Ellison said he would not support Donald Trump in November.")
    sources, text = out[("Mark Ellison", "trump")]
    assert sources & {"quote", "subject"}
    assert "not" in text.split() and "TARGET" in text and "Trump" not in text


def test_withdrawn_support_is_proposed(candidates):
    out = candidates("Governor Ann Lowry withdrew her endorsement of Donald Trump on Saturday.")
    assert "subject" in out[("Ann Lowry", "trump")][0]


def test_an_act_that_takes_a_side_is_proposed(candidates):
    out = candidates("The billionaire investor Tom Reyes donated $2 million to a group backing Hillary Clinton.")
    _, text = out[("Tom Reyes", "clinton")]
    assert "HOLDER donated" in text and "TARGET" in text


def test_a_speaker_named_in_the_previous_sentence_is_proposed(candidates):
    out = candidates(
        "Mayor Carla Diaz spoke to reporters in Denver on Tuesday.\n"
        "“Hillary Clinton has the experience this country needs,” she said."
    )
    assert ("Carla Diaz", "clinton") in out


def test_a_pronoun_holder_is_resolved(candidates):
    out = candidates("Representative Paul Granger met donors in Ohio. He endorsed Donald Trump the next day.")
    assert "subject" in out[("Paul Granger", "trump")][0]


@pytest.mark.parametrize(
    ("text", "holders"),
    [
        ("Ted Cruz and Marco Rubio said on Monday that Donald Trump was unfit.", ("Ted Cruz", "Marco Rubio")),
        ("Senators Ted Cruz and Marco Rubio said on Monday that Donald Trump was unfit.", ("Ted Cruz", "Marco Rubio")),
        (
            "Two objectors, Lawrence Joyce and William Graham, said Donald Trump was unfit.",
            ("Lawrence Joyce", "William Graham"),
        ),
    ],
)
def test_each_speaker_a_quote_lists_is_a_holder(candidates, text, holders):
    """A quote of several speakers ("Ted Cruz and Marco Rubio said"; a plural noun's
    appositive list) proposes each of them, as its speaker, not the first only nor "Senators"."""
    out = candidates(text)
    for name in holders:
        assert "quote" in out[(name, "trump")][0]
    assert not [k for k in out if k[0] in ("Senators", "Two objectors")]


def test_an_actor_is_never_a_candidate_toward_itself(candidates):
    out = candidates("Donald Trump said Hillary Clinton was unfit to be president.")
    assert ("Donald Trump", "clinton") in out
    assert ("Donald Trump", "trump") not in out and ("Hillary Clinton", "clinton") not in out


def test_the_holders_name_shape_tells_a_named_holder_from_a_described_one(nlp):
    """features._holder_shape: a person named by name has a proper noun and no determiner;
    "A campaign spokesman" has a determiner, lower-case words and no proper noun."""
    from pipeline.stances.features import features

    matcher = TargetMatcher(nlp, [load_codebook(CODEBOOKS / "us-election-2016.yaml")])

    def shape(text: str) -> dict:
        doc = nlp(text)
        actors = ArticleActors(doc, "test")
        article = ArticleReading(doc, actors, quote_scopes(doc, actors), matcher)
        return {
            actors.actor(c.actor_id).name: {k for k in features(article, c) if k.startswith("holder_")}
            for c in propose(article)
        }

    named = shape("Senator Mark Ellison said he would not support Donald Trump in November.")["Mark Ellison"]
    assert "holder_words=2" in named
    assert not named & {"holder_starts_det", "holder_has_lower", "holder_no_propn"}
    described = shape("A campaign spokesman said the party would never support Donald Trump.")["A campaign spokesman"]
    assert {"holder_starts_det", "holder_has_lower", "holder_no_propn", "holder_words=3"} <= described


def test_a_cue_reads_with_its_own_negation(nlp):
    """features._scoped_negation and _polarity: a negated opposition is support ("would not
    oppose", as the guidelines code it), a negated or ended support opposition ("would not
    support", "no longer defend"); a negation elsewhere in the sentence leaves a cue alone."""
    from pipeline.stances.features import features

    matcher = TargetMatcher(nlp, [load_codebook(CODEBOOKS / "us-election-2016.yaml")])

    def polarity(text: str, holder: str) -> set[str]:
        doc = nlp(text)
        actors = ArticleActors(doc, "test")
        article = ArticleReading(doc, actors, quote_scopes(doc, actors), matcher)
        cand = next(c for c in propose(article) if actors.actor(c.actor_id).name == holder)
        return {k.split("=")[1] for k in features(article, cand) if k.startswith("polarity_near_target=")}

    assert polarity("Senator Mark Ellison said he would not oppose Donald Trump in November.", "Mark Ellison") == {
        "favor"
    }
    assert polarity("Senator Mark Ellison said he would not support Donald Trump in November.", "Mark Ellison") == {
        "against"
    }
    assert polarity("Governor Ann Lowry said she would no longer defend Donald Trump.", "Ann Lowry") == {"against"}
    assert polarity("Governor Ann Lowry, who did not attend, said she supports Donald Trump.", "Ann Lowry") == {"favor"}


def test_a_negation_passes_only_through_verbs_that_pass_it_on(nlp):
    """ "did not want to back" does not back; "would not hesitate to oppose" opposes, and a
    negated verb of saying leaves what was said alone ("did not say he opposes")."""
    from pipeline.stances.features import _scoped_negation

    def negated(text: str, cue: str) -> bool:
        return _scoped_negation(next(t for t in nlp(text) if t.lower_ == cue))

    assert negated("Ellison did not want to back Trump.", "back")
    assert not negated("Ellison would not hesitate to oppose Trump.", "oppose")
    assert not negated("Ellison did not say he opposes Trump.", "opposes")
    assert not negated("Ellison said he can't wait to support Trump.", "support")
    assert negated("Ellison is not supportive of Trump.", "supportive")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Britain is ready to send more troops to the region.", True),
        ("He called for a plan to ban all Muslims from the country.", True),
        ("They will send the money, not troops.", False),  # a noun between the words is no gap
        ("Britain will send all the new troops to the region.", False),  # three words: over the limit
        ("Britain will send 3,000 more troops.", True),
    ],
)
def test_a_term_may_enclose_determiners_and_adjectives(nlp, tmp_path, text, found):
    """'send more troops' is 'send troops': up to two determiners, adjectives or numbers
    between a term's words are passed over, nothing else."""
    book = tmp_path / "book.yaml"
    book.write_text(
        'codebook: gaps\nversion: "1"\ntargets:\n  - id: t\n    terms: [send troops, ban Muslims]\n', encoding="utf-8"
    )
    matcher = TargetMatcher(nlp, [load_codebook(book)])
    assert bool(matcher.find(nlp(text))) is found

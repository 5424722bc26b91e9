"""Tests of stance coding on short sentences written for them: negation, hedges and
deferral, reported attitudes with no quote, back-references and pronoun targets,
evaluative language about a person, and who holds a position reported inside a quote.

They run the real small English model, loaded once per module, and the real actor
resolver and attribution extractor.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("spacy")

from pipeline.actors.resolver import ArticleActors
from pipeline.quotes.extractor import extract_attributions
from pipeline.stances.codebooks import CodebookError, load_codebook
from pipeline.stances.coder import QuoteScope, TargetMatcher, rule_statements

CODEBOOKS = Path(__file__).resolve().parents[1] / "data" / "codebooks"


@pytest.fixture(scope="module")
def code(nlp):
    """text -> statements, coded as the pipeline does: attributions first, their speakers
    resolved by one ArticleActors, the statements by another (as in separate stages)."""
    books = [load_codebook(CODEBOOKS / "ukraine-peacekeeping.yaml"), load_codebook(CODEBOOKS / "us-election-2016.yaml")]
    matcher = TargetMatcher(nlp, books)

    def _code(text: str):
        doc = nlp(text)
        speakers = ArticleActors(doc, "test")
        quotes = []
        for att in extract_attributions(doc):
            speaker = speakers.resolve_each(*att.source)[0].actor_id if att.source else None  # as quote_row
            quotes.append(
                QuoteScope(
                    f"test:q{att.content[0][0]}",
                    att.content,
                    speaker,
                    att.cue[0] if att.cue else None,
                    att.source,
                    att.negated,
                )
            )
        return rule_statements(doc, ArticleActors(doc, "test"), quotes, matcher)

    return _code


def coded(statements) -> set[tuple[str, str, str]]:
    return {(s.actor, s.target, s.stance) for s in statements}


# ---------------------------------------------------------------------- negation


def test_would_not_oppose_is_favor(code):
    out = code("Chancellor Anna Berg said she would not oppose sending peacekeeping troops to Ukraine.")
    assert ("Anna Berg", "peacekeeping_force", "favor") in coded(out)
    assert next(s.cue for s in out if s.actor == "Anna Berg") == "would not oppose"


def test_not_prepared_to_send_is_against(code):
    out = coded(code("Portugal is not prepared to send troops to Ukraine."))
    assert out == {("Portugal", "peacekeeping_force", "against")}


def test_a_negated_hedge_is_a_refusal(code):
    out = coded(code("“Nobody is considering sending troops to Ukraine,” said Pedro Alves, the foreign minister."))
    assert ("Pedro Alves", "peacekeeping_force", "against") in out


# ---------------------------------------------------------------------- hedges and deferral


@pytest.mark.parametrize(
    "text, actor",
    [
        ("Finland does not rule out sending peacekeeping troops to Ukraine.", "Finland"),
        ("Prime Minister Lena Holm said she was open to discussing a peacekeeping force.", "Lena Holm"),
        ("Defence Minister Paul Weber said the time had not come to discuss sending troops to Ukraine.", "Paul Weber"),
        ("Austria may consider a peacekeeping force for Ukraine.", "Austria"),
    ],
)
def test_deferral_is_neutral(code, text, actor):
    assert coded(code(text)) == {(actor, "peacekeeping_force", "neutral")}


# ---------------------------------------------------------------------- reported attitudes


def test_reservations_of_two_countries(code):
    out = code("Hungary and Slovakia have expressed reservations about sending troops to Ukraine.")
    assert coded(out) == {("Hungary", "peacekeeping_force", "against"), ("Slovakia", "peacekeeping_force", "against")}
    assert {s.country for s in out} == {"HUN", "SVK"}


def test_members_named_in_a_group_hold_its_position(code):
    out = coded(
        code("Smaller powers such as Ireland and Malta have expressed reservations about a peacekeeping force.")
    )
    assert out == {("Ireland", "peacekeeping_force", "against"), ("Malta", "peacekeeping_force", "against")}


def test_endorsed_by_names_every_endorser(code):
    out = coded(code("Hillary Clinton was endorsed by newspapers ranging from The Denver Post to The Boston Globe."))
    assert ("Denver Post", "clinton", "favor") in out and ("The Boston Globe", "clinton", "favor") in out


def test_support_received_from_a_group(code):
    out = coded(code("Hillary Clinton enjoyed strong support from union members in Ohio."))
    assert ("union members in Ohio", "clinton", "favor") in out  # the description as written


def test_a_journalists_mention_is_not_coded(code):
    assert code("The debate about a peacekeeping force in Ukraine continued on Monday.") == []


# ---------------------------------------------------------------------- targets by reference


def test_the_idea_refers_back(code):
    out = coded(
        code(
            "European leaders discussed a peacekeeping force in Ukraine on Monday. "
            "Belgium is most enthusiastic about the idea."
        )
    )
    assert ("Belgium", "peacekeeping_force", "favor") in out


def test_a_bare_position_takes_the_target_just_named(code):
    out = coded(
        code("Ministers debated a peacekeeping force for Ukraine. Karl Lind, the party leader, said he was opposed.")
    )
    assert ("Karl Lind", "peacekeeping_force", "against") in out


def test_she_in_a_voters_quote_is_the_candidate(code):
    out = coded(code("Mrs. Clinton spoke in Ohio on Monday.\n\n“She is a liar,” said Tom Reed, a retired teacher."))
    assert ("Tom Reed", "clinton", "against") in out


def test_with_her_is_favor(code):
    out = coded(code("Hillary Clinton held a rally in Denver.\n\n“I’m with her,” said Maria Lopez."))
    assert ("Maria Lopez", "clinton", "favor") in out


def test_he_in_a_quote_follows_the_title(code):
    out = coded(
        code(
            "What voters think of Donald Trump.\n\nMany people wrote to us.\n\nWe asked them.\n\n"
            "Some answered at length.\n\nOthers did not.\n\nSome sent pictures.\n\nOne wrote a poem.\n\n"
            "“He shows no respect for anybody.” ― Lisa Gomez"
        )
    )
    assert ("Lisa Gomez", "trump", "against") in out


# ---------------------------------------------------------------------- evaluation of a person


def test_evaluative_language_about_a_person(code):
    assert ("Sarah Cole", "trump", "against") in coded(
        code("“Donald Trump is unfit to be president,” said Sarah Cole.")
    )
    assert ("Sarah Cole", "trump", "favor") in coded(code("“Donald Trump is a champion of workers,” said Sarah Cole."))


def test_a_judgement_by_sentiment_in_a_quote(code):
    out = coded(code("“Donald Trump is hateful and ignorant,” said Ben Ortiz."))
    assert ("Ben Ortiz", "trump", "against") in out


def test_unacceptable_judges_what_this_refers_to(code):
    out = coded(
        code(
            "Ivan Petrov, Russia's foreign minister, said: “European countries want to send troops to Ukraine. "
            "This is unacceptable to us.”"
        )
    )
    assert ("Ivan Petrov", "peacekeeping_force", "against") in out


# ---------------------------------------------------------------------- holders


def test_a_third_person_inside_a_quote_holds_their_own_position(code):
    out = coded(code("Tom Reed said that Ann Fox supports Donald Trump."))
    assert ("Ann Fox", "trump", "favor") in out
    assert not any(actor == "Tom Reed" for actor, _, _ in out)


def test_a_namesake_is_not_the_target_but_may_hold_a_position(code):
    out = coded(code("Former President Bill Clinton praised Hillary Clinton on Monday."))
    assert ("Bill Clinton", "clinton", "favor") in out


def test_an_actor_is_never_coded_toward_itself(code):
    out = coded(code("Donald Trump said Donald Trump would win because voters support Trump."))
    assert not any(actor == "Donald Trump" and target == "trump" for actor, target, _ in out)


def test_every_statement_has_evidence_in_the_text_and_a_cue(code, nlp):
    text = (
        "Hungary and Slovakia have expressed reservations about sending troops to Ukraine. "
        "“Donald Trump is unfit to be president,” said Sarah Cole."
    )
    for s in code(text):
        assert s.evidence and text[s.evidence_start : s.evidence_end] == s.evidence
        assert s.cue.strip()


def test_a_named_law_can_be_declared_no_person(nlp, tmp_path):
    """A target with a proper-noun term is taken as a person ("Affordable Care Act" too);
    `person: false` says it is not, to the matcher and to the re-coding scope alike."""
    from pipeline.steps.coding_scope import Scope, target_structure

    def book(extra: str):
        path = tmp_path / f"law{len(extra)}.yaml"
        path.write_text(
            "codebook: laws\nversion: '1'\ntargets:\n  - id: aca\n    terms: [Affordable Care Act, the health law]\n"
            + extra,
            encoding="utf-8",
        )
        return load_codebook(path)

    inferred, declared = book(""), book("    person: false\n")
    assert TargetMatcher(nlp, [inferred]).is_person(inferred, "aca")
    assert not TargetMatcher(nlp, [declared]).is_person(declared, "aca")
    structure = {("laws", "aca"): target_structure(nlp, declared.target("aca").terms)}
    assert [t.is_person for t in Scope("m", "c", [declared], structure).targets] == [False]
    assert [t.is_person for t in Scope("m", "c", [inferred], structure).targets] == [True]


def test_a_lower_case_term_is_no_name(nlp, tmp_path):
    """A one-word lower-case term the small model tags as a proper noun ("weaponry", alone) is
    no name: the target is no person, to the matcher and to the re-coding scope alike."""
    from pipeline.steps.coding_scope import target_structure

    path = tmp_path / "arms.yaml"
    path.write_text(
        "codebook: arms\nversion: '1'\ntargets:\n  - id: arms\n    terms: [defence spending, weaponry]\n",
        encoding="utf-8",
    )
    book = load_codebook(path)
    assert not TargetMatcher(nlp, [book]).is_person(book, "arms")
    assert target_structure(nlp, book.target("arms").terms)["person"] == []


def test_a_person_declared_may_be_named_in_lower_case(nlp, tmp_path):
    """`person: true` takes a term of proper nouns as a name however it is written ("hillary
    clinton"), to the matcher and to the re-coding scope alike; without it the lower-case term
    is no name. A descriptive term of the same target stays no name."""
    from pipeline.steps.coding_scope import Scope, target_structure

    def book(extra: str):
        path = tmp_path / f"hrc{len(extra)}.yaml"
        path.write_text(
            "codebook: people\nversion: '1'\ntargets:\n  - id: hrc\n"
            "    terms: [hillary clinton, the former secretary of state]\n" + extra,
            encoding="utf-8",
        )
        return load_codebook(path)

    inferred, declared = book(""), book("    person: true\n")
    assert not TargetMatcher(nlp, [inferred]).is_person(inferred, "hrc")
    matcher = TargetMatcher(nlp, [declared])
    assert matcher.is_person(declared, "hrc") and matcher.names_target("Hillary Clinton", declared, "hrc")
    assert not matcher.names_target("Bill Clinton", declared, "hrc")
    structure = {("people", "hrc"): target_structure(nlp, declared.target("hrc").terms)}
    assert [t.is_person for t in Scope("m", "c", [declared], structure).targets] == [True]
    assert [t.is_person for t in Scope("m", "c", [inferred], structure).targets] == [False]


def test_person_must_be_true_or_false(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("codebook: b\nversion: '1'\ntargets:\n  - id: x\n    terms: [X]\n    person: yes please\n")
    with pytest.raises(CodebookError, match="`person` must be true or false"):
        load_codebook(path)


def test_a_hyphenated_person_target_is_the_actor_of_that_name(nlp, tmp_path):
    """Actors keep a name's hyphen ("Alexandria Ocasio-Cortez"); the codebook's terms hold
    it as tokens: the person target is still the actor, and "Ocasio" is not someone else."""
    path = tmp_path / "book.yaml"
    path.write_text(
        "codebook: people\nversion: '1'\ntargets:\n  - id: aoc\n    terms: [Alexandria Ocasio-Cortez, Ocasio-Cortez]\n"
        "  - id: juncker\n    terms: [Jean-Claude Juncker, Juncker]\n",
        encoding="utf-8",
    )
    book = load_codebook(path)
    matcher = TargetMatcher(nlp, [book])
    assert matcher.names_target("Alexandria Ocasio-Cortez", book, "aoc")
    assert matcher.names_target("Ocasio-Cortez", book, "aoc")
    assert matcher.names_target("Jean-Claude Juncker", book, "juncker")
    assert not matcher.other_person("Jean-Claude Juncker", book, "juncker")
    assert not matcher.names_target("Jean-Claude Smith", book, "juncker")


def test_a_hyphenated_term_finds_the_hyphenated_word_and_the_spaced_one(nlp, tmp_path):
    """The tokenizer splits "Dodd-Frank" into Dodd, -, Frank in a term and in a text alike;
    the term drops its punctuation, so the text's hyphen once kept every hyphenated term
    from ever matching ("her anti-gun agenda", "the Trans-Pacific Partnership")."""
    path = tmp_path / "book.yaml"
    path.write_text(
        "codebook: laws\nversion: '1'\ntargets:\n  - id: dodd_frank\n    terms: [Dodd-Frank]\n    person: false\n"
        "  - id: guns\n    terms: [anti-gun, gun control]\n  - id: tpp\n    terms: [Trans Pacific Partnership]\n",
        encoding="utf-8",
    )
    matcher = TargetMatcher(nlp, [load_codebook(path)])
    doc = nlp(
        "She opposes Dodd-Frank, the Dodd Frank rules, her rival's anti-gun agenda and the Trans-Pacific Partnership."
    )
    found = [(target, doc[start:end].text) for _, target, start, end in matcher.find(doc)]
    assert found == [
        ("dodd_frank", "Dodd-Frank"),
        ("dodd_frank", "Dodd Frank"),
        ("guns", "anti-gun"),
        ("tpp", "Trans-Pacific Partnership"),
    ]
    assert matcher.find(nlp("a well-known plan")) == []
    en_dash = TargetMatcher(nlp, [load_codebook(path)])  # a dash in the text, as typeset
    doc = nlp("Critics of Dodd\u2013Frank met.")
    assert [(t, doc[a:b].text) for _, t, a, b in en_dash.find(doc)] == [("dodd_frank", "Dodd\u2013Frank")]

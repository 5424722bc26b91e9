"""Long texts are parsed in bounded pieces that join back into one Doc with the same text."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.nlp.model import CHUNK_CHARS, chunk_text, parse_texts


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('ab .\n"?!')), max_size=400), st.integers(10, 120))
def test_pieces_concatenate_back_and_stay_within_the_limit(text, limit):
    pieces = chunk_text(text, limit)
    assert "".join(pieces) == text
    assert all(len(p) <= limit for p in pieces)
    assert all(pieces) or pieces == [""]


def test_pieces_end_at_a_paragraph_else_a_sentence():
    para = "One sentence here. Another one there.\n"
    assert all(p.endswith("\n") for p in chunk_text(para * 300, 1_000)[:-1])
    run_on = "Word " * 10 + "stop. " + "word " * 2_000
    first = chunk_text(run_on, 200)[0]
    assert first.endswith(("stop. ", " "))


def test_a_long_article_is_parsed_in_pieces_into_one_doc(nlp):
    text = "\n\n".join(f'"We need a plan {i}," said Jane Smith in Paris.' for i in range(400))
    assert len(text) > 3 * CHUNK_CHARS
    (doc,) = list(parse_texts(nlp, [text], batch_size=8))
    assert doc.text == text
    assert sum(1 for e in doc.ents if e.text == "Jane Smith") == 400


class _RecordingNlp:
    """The real pipeline, recording what each parse batch held."""

    def __init__(self, nlp):
        self.nlp, self.batches = nlp, []

    def pipe(self, items, **kwargs):
        items = list(items)
        self.batches.append([text for text, _ in items])
        return self.nlp.pipe(items, **kwargs)


def test_a_parse_batch_is_bounded_by_characters_as_well_as_by_count(nlp):
    paragraph = "The minister said the plan would work. Critics said it would not.\n"
    texts = [paragraph * (20 + 15 * (i % 4)) for i in range(30)]  # 1,300 to 4,300 characters each
    recorder = _RecordingNlp(nlp)
    docs = list(parse_texts(recorder, texts, batch_size=8, batch_chars=10_000))
    assert [d.text for d in docs] == texts
    assert len(recorder.batches) > 1
    assert all(len(b) <= 8 and sum(map(len, b)) <= 10_000 for b in recorder.batches)
    assert sum(len(b) for b in recorder.batches) == len(texts)


@pytest.mark.parametrize(
    ("name", "found_whole"),
    [
        ("Emmanuel Macron", True),
        ("Donald Tusk", True),
        ("Pedro Sánchez", True),
        # the small model does not tag these as a name even without the paragraph rule
        ("Olaf Scholz", False),
        ("Ursula von der Leyen", False),
    ],
)
def test_a_name_opening_a_paragraph_stays_one_name(nlp, name, found_whole):
    """A paragraph break starts a sentence; a name opening the paragraph after a title is not
    cut into two sentences there, so the entity recognizer finds it whole, as it does without
    the paragraph rule (before, "Emmanuel" and "Macron said ..." were two sentences and no
    name was found)."""
    doc = nlp(f"Talks in Warsaw\n\n{name} said on Monday that Europe must act.")
    assert [s.text.strip() for s in doc.sents] == ["Talks in Warsaw", f"{name} said on Monday that Europe must act."]
    if found_whole:
        assert name in [e.text for e in doc.ents]


def test_a_paragraph_break_still_ends_a_sentence(nlp):
    doc = nlp("“We will win,” she said\n\nThe senator left the hall.")
    assert [s.text.strip() for s in doc.sents] == ["“We will win,” she said", "The senator left the hall."]

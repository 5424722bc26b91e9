"""Cleaning repairs text and keeps the way back: every clean offset maps to the raw text."""

from __future__ import annotations

import pytest
from conftest import SEED

from pipeline.text.clean import clean_text


def _check_alignment(raw: str, cleaned) -> None:
    segs = cleaned.alignment.segments
    assert segs[0].clean_start == 0 and segs[-1].clean_end == len(cleaned.text)
    for a, b in zip(segs, segs[1:]):
        assert a.clean_end == b.clean_start and a.raw_end <= b.raw_start + 0
    for s in segs:
        if s.is_copy:
            assert raw[s.raw_start : s.raw_end] == cleaned.text[s.clean_start : s.clean_end]


def test_seed_metadata_moves_to_columns():
    raw = SEED.read_text(encoding="utf-8")
    c = clean_text(raw)
    assert c.title == "UK on collision course with Russia over peacekeeping troops in Ukraine"
    assert c.outlet == "The i Paper"
    assert c.author == "Leo Cendrowicz"
    assert c.original_source == "The i Paper"
    assert "Source:" not in c.text and "By Leo Cendrowicz" not in c.text and "original article" not in c.text
    _check_alignment(raw, c)


def test_glued_paragraphs_are_split():
    raw = "Title\nThey have not endorsed deploying German peacekeepers.Italy\nItalian officials agreed."
    c = clean_text(raw)
    assert "peacekeepers.\n\nItaly" in c.text
    assert "split_glued_paragraphs" in c.repairs
    # abbreviations and initials are not paragraph ends
    assert "\n" not in clean_text("Title\nMr.Smith met U.S.Army staff.", has_title_line=True).text.split("\n\n", 1)[1]


def test_mojibake_is_repaired_and_mapped_back():
    raw = "Headline\n\nA\u00c2\u00a0Bloomberg poll shows Caf\u00c3\u00a9 owners \u00e2\u20ac\u0153worried\u00e2\u20ac\u009d."
    c = clean_text(raw)
    body = c.text.split("\n\n", 1)[1]
    assert "Café" in body and "“worried”" in body and "Â" not in body
    _check_alignment(raw, c)
    start = c.text.index("Café")
    rs, re_ = c.alignment.raw_span(start, start + len("Café"))
    assert raw[rs:re_] == "Caf\u00c3\u00a9"


def test_whitespace_and_control_characters():
    raw = "Title\r\n\r\n  Two   spaces\tand\x07 a bell.  \r\n\r\n\r\nNext paragraph."
    c = clean_text(raw)
    assert c.text == "Title\n\nTwo spaces and a bell.\n\nNext paragraph."
    _check_alignment(raw, c)
    i = c.text.index("Next")
    assert raw[c.alignment.raw_start(i) :].startswith("Next paragraph.")


@pytest.mark.parametrize("raw", ["x", "Title only", "\n\n\nTitle\n\n\n"])
def test_short_texts(raw):
    c = clean_text(raw)
    _check_alignment(raw, c)


@pytest.mark.parametrize(
    "raw, has_title_line, only_metadata",
    [
        ("Source: Reuters\n", True, True),
        ("Source: Reuters\n\nBy Jane Doe\n", True, True),
        ("Source: The Wire", False, True),  # a JSON record's text: no title line
        ("", False, True),
        ("Senate passes the bill\n", True, False),  # a title alone is a (short) article
        ("Budget\n\nBy Tuesday the Senate had passed the budget.\n", True, False),
        ("Budget\n\nSource: Reuters\n\nThe Senate passed the budget.\n", True, False),
    ],
)
def test_a_text_of_metadata_lines_only_is_no_article(raw, has_title_line, only_metadata):
    assert clean_text(raw, has_title_line=has_title_line).only_metadata is only_metadata

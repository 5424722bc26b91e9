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
    # abbreviations, initials and a name's web domain are not paragraph ends
    assert clean_text("Title\nShares of Amazon.Com Inc. rose.").text == "Title\n\nShares of Amazon.Com Inc. rose."
    assert "sharply.\n\nNet income" in clean_text("Title\nProfit fell sharply.Net income was $3m.").text
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


def test_a_line_separator_is_a_space_not_a_paragraph():
    raw = "Title\n\nThe minister said\u2028 the plan would pass.\u2029Next paragraph."
    c = clean_text(raw)
    assert c.text == "Title\n\nThe minister said the plan would pass.\n\nNext paragraph."
    _check_alignment(raw, c)
    # the word after it repaired too (decomposed accents): each still maps to its own raw characters
    raw = "Title\n\nThe minister said\u2028E\u0301lyse\u0301e officials agreed."
    c = clean_text(raw)
    assert c.text == "Title\n\nThe minister said Élysée officials agreed."
    _check_alignment(raw, c)
    segs = c.alignment.segments
    assert all(a.raw_end <= b.raw_start for a, b in zip(segs, segs[1:]))


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
        ("Senate passes the bill\nSource: Example Outlet\nBy John Smith\n", True, True),  # with metadata: none
        ("Budget\n\nBy Tuesday the Senate had passed the budget.\n", True, False),
        ("Budget\n\nSource: Reuters\n\nThe Senate passed the budget.\n", True, False),
    ],
)
def test_a_text_of_metadata_lines_only_is_no_article(raw, has_title_line, only_metadata):
    assert clean_text(raw, has_title_line=has_title_line).only_metadata is only_metadata


def test_markup_left_in_a_text_is_dropped_and_its_contents_kept():
    """Tags in a plain text (an embedded tweet's, stray HTML) are not words: their attribute
    values would read as quotes. Their contents stay, and the alignment still maps every
    copied character back to the raw text."""
    raw = (
        "Shooting\n\nPolice named the suspect.\n\n"
        '<tweet id="672" author="@reporter" datetime="2015-12-02">Scanner: suspect named</tweet>.\n\n'
        "He said <b>nothing</b> else.<br/>Comparisons stay: a < b, <3.\n"
    )
    c = clean_text(raw)
    assert "Scanner: suspect named." in c.text and "He said nothing else. Comparisons stay: a < b, <3." in c.text
    assert "tweet" not in c.text and "@reporter" not in c.text and '"' not in c.text
    assert "markup" in c.repairs
    for seg in c.alignment.segments:
        if seg.is_copy:
            assert c.text[seg.clean_start : seg.clean_end] == raw[seg.raw_start : seg.raw_end]


@pytest.mark.parametrize(
    "raw, text",
    [
        ("Press <Enter> to go on.", "Press <Enter> to go on."),  # prose in angle brackets stays
        ("A List<String> here.", "A List<String> here."),
        ("if x<y and y>z then", "if x<y and y>z then"),
        ("He said “<b>no</b>” (<i>twice</i>).", "He said “no” (twice)."),
        ("Line one<br/>line two<br />.", "Line one line two ."),
        ('<tweet id="1">Opened here\n\nand closed here</tweet>.', "Opened here\n\nand closed here."),
    ],
)
def test_only_markup_is_taken_out(raw, text):
    assert clean_text(raw, has_title_line=False).text == text


def test_a_paragraph_or_record_of_tags_only_is_no_text():
    assert clean_text("Title\n\n<br/>\n\nBody.", has_title_line=True).text == "Title\n\nBody."
    assert clean_text("<br/>", has_title_line=False).only_metadata  # nothing left: rejected as no_article_text
    assert clean_text("&nbsp;", has_title_line=False).only_metadata  # an entity alone cleans to nothing
    assert clean_text("<p></p><div>&nbsp;</div>", has_title_line=False).only_metadata
    assert clean_text("Source: Reuters\n\n<p></p>", has_title_line=True).only_metadata
    assert clean_text("He won<b></b>, again\n\nBody.").title == "He won, again"


WRAPPED = (
    "Senate passes budget bill after long session\n"
    "The Senate passed the budget bill on Wednesday after a debate that\n"
    "lasted more than twelve hours. Senator Jane Smith, who chairs the\n"
    'finance committee, said: "This bill protects working families, keeps\n'
    "the government open and puts the country back on a path to balanced\n"
    'budgets."\n'
    "The opposition leader, Tom Brown, criticised the spending cuts and said\n"
    "the bill would hurt rural hospitals and schools across the country.\n"
)


def test_a_hard_wrapped_text_is_joined_into_its_paragraphs():
    """A text folded at a fixed width (here 72 columns, as `fold -s -w 72` does) is one
    paragraph a paragraph again, not one a line: a quote running over a line break is whole.
    A line the next word would have fitted on ends its paragraph; the title stays apart."""
    c = clean_text(WRAPPED)
    title, first, second = c.text.split("\n\n")
    assert title == "Senate passes budget bill after long session"
    assert first.startswith("The Senate passed") and first.endswith('balanced budgets."')
    assert '"This bill protects working families, keeps the government open' in first
    assert second.startswith("The opposition leader") and "\n" not in first + second
    assert "unwrapped_lines" in c.repairs
    _check_alignment(WRAPPED, c)
    # blank lines between the paragraphs, and Windows line ends, give the same paragraphs
    blank = WRAPPED.replace('budgets."\n', 'budgets."\n\n').replace("session\n", "session\n\n")
    assert clean_text(blank).text == c.text
    crlf = clean_text(blank.replace("\n", "\r\n"))
    assert crlf.text == c.text and "unicode_repair" not in crlf.repairs  # line breaks are whitespace, not repairs
    # a byline under the last paragraph stays a byline, however full that paragraph's last line
    signed = clean_text(
        WRAPPED.replace('budgets."\n', 'budgets." The vote was close and the debate long\n') + "By John Smith\n"
    )
    assert signed.author == "John Smith" and "By John Smith" not in signed.text
    # words tied by a no-break space are wrapped as one: the break before them is soft
    tied = (
        "Title\n"
        "The council voted on Tuesday to close the old library after a long\n"
        "debate about its costs and its future use, which went on until the\n"
        "The prime minister met the party's committee on Monday at\n"
        "10\u00a0Downing Street to agree on the date for the final vote on it,\n"
        "and the library will shut its doors at the end of the month, they\n"
        "said on Wednesday in a short statement to the press and to readers.\n"
    )
    assert clean_text(tied).text.count("\n\n") == 1  # the title and one paragraph
    # a title longer than the body's lines does not hide the wrap
    assert (
        clean_text(WRAPPED.replace("long session", "long session that ran well into the night " * 2)).text.count("\n\n")
        == 2
    )


@pytest.mark.parametrize(
    "raw",
    [
        # one short paragraph a line, each ending a sentence: a list of paragraphs, not a wrap
        "Briefs\n"
        + "".join(
            f"The {w} council met on Monday and approved a plan for the new library and the park.\n"
            for w in ("city", "county", "town", "district", "regional")
        ),
        # a list of results or of names: narrow, no sentence ends, and nothing goes on in lower case
        "Results\nArsenal 2 Chelsea 1\nLiverpool 3 Everton 0\nLeeds United 1 Newcastle United 1\n"
        "Manchester City 4 Fulham 0\nTottenham Hotspur 0 Aston Villa 2\n",
        "The cabinet\nHome Secretary: Yvette Cooper, who leads on borders and on policing\n"
        "Foreign Secretary: David Lammy, who leads on diplomacy and on the Middle East\n"
        "Chancellor of the Exchequer: Rachel Reeves, who leads on the budget and taxes\n"
        "Defence Secretary: John Healey, who leads on the armed forces and Ukraine aid\n",
        # long lines: one paragraph a line, as PolNeAR and the seed article are written
        "Title\n" + "A sentence that goes on for a while and then some more. " * 3 + "\nNext paragraph here.\n",
    ],
)
def test_a_text_of_one_paragraph_a_line_is_not_unwrapped(raw):
    c = clean_text(raw)
    assert "unwrapped_lines" not in c.repairs
    assert c.text.count("\n\n") == len([line for line in raw.splitlines() if line.strip()]) - 1


def test_html_in_a_json_records_text_reads_as_a_browser_shows_it():
    """A JSON record's `content` in HTML (a CMS export): block tags end paragraphs, entities
    are decoded, inline tags are dropped; every copied character still maps back."""
    raw = (
        "<p>The finance minister, <b>Peter Hall</b>, said: &ldquo;We cannot keep borrowing.&rdquo;</p>"
        "<p>Critics &amp; unions said the plan would hit low earners.</p><ul><li>One</li><li>Two</li></ul>"
        "Line one<br>line two<br/><br/>A new paragraph."
    )
    c = clean_text(raw, has_title_line=False)
    assert c.text.split("\n\n") == [
        "The finance minister, Peter Hall, said: “We cannot keep borrowing.”",
        "Critics & unions said the plan would hit low earners.",
        "One",
        "Two",
        "Line one line two",
        "A new paragraph.",
    ]
    assert {"markup", "unicode_repair"} <= set(c.repairs)
    _check_alignment(raw, c)
    # more block elements; a style sheet's contents are no text; escaped brackets are kept escaped
    page = "<section><header><p>One &amp; two</p></header><style>p{color:red}</style><p>Three</p></section>"
    assert clean_text(page, has_title_line=False).text == "One & two\n\nThree"
    escaped = "Editors type <i>bold</i> as &lt;b&gt; in the system."
    assert clean_text(escaped, has_title_line=False).text == "Editors type bold as &lt;b&gt; in the system."
    # tags alone are neither a title nor a byline
    titled = clean_text("<p>Senate passes budget</p><p>The Senate passed it.</p><p>By John Smith</p></div>")
    assert titled.title == "Senate passes budget" and titled.author == "John Smith"
    start = c.text.index("“We")
    rs, re_ = c.alignment.raw_span(start, start + 1)
    assert raw[rs:re_] == "&ldquo;"

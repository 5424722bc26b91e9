"""Clean: repair, normalise and restructure an article's text, keeping the way back.

Steps, each recorded in `CleanArticle.repairs` when it changed something:
- split lines into paragraphs; paragraphs glued without a space ("...peacekeepers.Italy")
  are split (`split_glued_paragraphs`); a hard-wrapped text's lines (folded at a fixed
  width, as plain-text exports and e-mails are) are joined back into their paragraphs
  (`unwrapped_lines`); where a text holds markup, a block tag (`<p>`, `<div>`, `<li>`, two
  `<br>` in a row...) ends a paragraph, as a browser shows it;
- metadata lines leave the body for columns: a `Source:` line (outlet), a `By ...` byline
  (author), and a trailing "The original article: ..." note with what follows it;
- Unicode repair of mojibake with ftfy and NFC normalisation (`unicode_repair`);
- whitespace: runs of spaces, tabs and control characters become one space, lines are
  trimmed, paragraphs are separated by one blank line (`whitespace`);
- markup: tags left in a text (`<tweet author="@x">`, `</b>`, `<br/>`) are dropped, their
  contents kept (`markup`); their attribute values would otherwise read as quotes. In a
  paragraph that holds markup, HTML entities (`&amp;`, `&ldquo;`) are decoded too
  (`unicode_repair`): ftfy leaves them in text with tags, taking it for an HTML document.
The result's `alignment` maps every offset of the clean text back to the raw text.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

import ftfy

from pipeline.text.alignment import Alignment, AlignmentBuilder

PARAGRAPH_SEPARATOR = "\n\n"
# U+2028 (line separator) is a line break inside a paragraph, cleaned to a space like a tab
_LINE = re.compile(r"[^\r\n\u2029\x85]+")
# A sentence end glued to the next paragraph's first word: "peacekeepers.Italy",
# "situation.”Spain", "state).Estonia". The word before the stop must be two or more
# letters (not an initial) and not a known abbreviation; the next word must be Capitalised.
_GLUED = re.compile(r"(?<=[a-z\)][.!?])(?=[A-Z][a-z])|(?<=[a-z\)][.!?][”\"’])(?=[A-Z“\"‘][a-zA-Z])")
_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "st",
    "jr",
    "sr",
    "gov",
    "sen",
    "rep",
    "gen",
    "lt",
    "col",
    "sgt",
    "capt",
    "prof",
    "rev",
    "vs",
    "etc",
    "inc",
    "co",
    "corp",
    "ltd",
    "no",
    "vol",
    "fig",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "ave",
    "mt",
}
# A name written with its web domain ("Amazon.Com Inc."): no paragraph starts at the domain.
_DOMAINS = {"com", "net", "org", "io", "uk", "info", "biz"}
_SOURCE_LINE = re.compile(r"^(?:source|publisher|outlet)\s*:\s*(?P<value>\S.*?)\s*$", re.IGNORECASE)
_BYLINE = re.compile(
    r"^[Bb]y\s+(?P<value>[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|and|de|van|von|der|da|di|le|la)){0,5})\s*$"
)
_ORIGINAL = re.compile(r"^(?:the\s+)?original\s+article\s*:?", re.IGNORECASE)
_WS_TOKEN = re.compile(r"[^\s\x00-\x1f\x7f-\x9f]+")
# An XML/HTML start, end or empty tag: a name, then attributes (quoted or bare values).
_TAG_SHAPE = re.compile(
    r"</?([A-Za-z][\w:.-]*)((?:\s+[A-Za-z_:][\w:.-]*(?:\s*=\s*(?:\"[^\"<>]*\"|'[^'<>]*'|[^\s\"'=<>`]+))?)*)\s*/?>"
)
# Which tag-shaped strings are markup: a tag with a quoted attribute (`<tweet author="@x">`),
# one of these HTML elements, or the end tag of an element the text opened with attributes.
# Prose in angle brackets ("press <Enter>", "List<String>", "x<y and y>z") is not.
_HTML_INLINE = frozenset(
    [
        "a",
        "abbr",
        "b",
        "big",
        "cite",
        "code",
        "del",
        "em",
        "font",
        "i",
        "ins",
        "mark",
        "q",
        "s",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "time",
        "tt",
        "u",
    ]
)
_HTML_BLOCK = frozenset(
    [
        "article",
        "aside",
        "blockquote",
        "br",
        "caption",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "img",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
# A tag between a word and one of these is dropped without a space: "began</b>." -> "began."
_NO_SPACE_BEFORE = frozenset(".,;:!?)]}”’")
_NO_SPACE_AFTER = frozenset("([{“‘")
# ftfy's defaults, except that typographic quotes stay as written: they are data here
# (the quote stage and the PolNeAR scorer rely on them).
# Line breaks inside a paragraph (a joined hard-wrapped text's, U+2028) are left to the
# whitespace step: ftfy's conversion to "\n" made them repairs mapped together with the word after.
_FTFY = ftfy.TextFixerConfig(uncurl_quotes=False, normalization="NFC", explain=False, fix_line_breaks=False)
_FTFY_MARKUP = _FTFY._replace(unescape_html=True)  # a paragraph holding markup: its entities decoded
# Tags that end a paragraph where a text holds markup (a JSON record's HTML `content`); one
# <br> is a line break inside a paragraph (a space), two or more in a row end it.
_PARAGRAPH_TAGS = _HTML_BLOCK - {"br", "img"}
_BREAKS = re.compile(r"(?:<br\s*/?>\s*){2,}", re.IGNORECASE)
# A hard-wrapped text's body lines are at most 40 to 100 characters wide (`_soft_breaks`):
# narrower "lines" are a list's items, wider ones paragraphs written one a line.
WRAP_WIDTH_MIN, WRAP_WIDTH_MAX = 40, 100
_LINE_BREAK = re.compile(r"\r\n|[\r\n\u2029\x85]")
_SENTENCE_END = re.compile(r"[.!?:;][\"”’'»)]*$")


@dataclass
class CleanArticle:
    text: str
    alignment: Alignment
    title: str | None = None
    outlet: str | None = None
    author: str | None = None
    original_source: str | None = None
    n_paragraphs: int = 0
    repairs: list[str] = field(default_factory=list)
    # Nothing but metadata lines (a Source: line, a byline, an "original article" note), or
    # nothing at all: no article to parse (`per_batch` rejects it as no_article_text).
    only_metadata: bool = False

    @property
    def text_sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class _Paragraph:
    start: int  # raw offsets of the paragraph's content (trimmed)
    end: int


def clean_text(raw: str, has_title_line: bool = True, unwrap: bool = True) -> CleanArticle:
    """Clean one record's raw text. `has_title_line`: the first paragraph is the title;
    `unwrap`: join a hard-wrapped text's lines (not for text extracted from HTML, whose
    lines are its paragraphs)."""
    repairs: set[str] = set()
    opened = opened_elements(raw)
    paragraphs = _paragraphs(raw, repairs, has_title_line, opened, unwrap)
    meta: dict[str, str | None] = {"title": None, "outlet": None, "author": None, "original_source": None}
    paragraphs = [p for p in paragraphs if _has_words(raw, p, opened)]  # tags alone are no title, no byline
    body = _take_metadata(raw, paragraphs, has_title_line, meta)
    lines = [raw[p.start : p.end] for p in body]
    if has_title_line and lines and not _is_metadata(lines[0]):
        # a title alone is a (short) article; a title with metadata lines and no body is not
        taken = meta["outlet"] or meta["author"] or meta["original_source"]
        only_metadata = all(_is_metadata(line) for line in lines[1:]) and bool(lines[1:] or taken)
    else:
        only_metadata = all(_is_metadata(line) for line in lines)

    builder = AlignmentBuilder()
    prev_end = None
    for para in body:
        if prev_end is not None:
            between = raw[prev_end : para.start]
            if between == PARAGRAPH_SEPARATOR:
                builder.copy(raw, prev_end, para.start)
            else:
                builder.replace(PARAGRAPH_SEPARATOR, prev_end, para.start)
                repairs.add("whitespace")
        _clean_paragraph(raw, para, builder, repairs, opened)
        prev_end = para.end
    text, alignment = builder.build()
    if meta["title"]:
        meta["title"] = _normalise_inline(meta["title"], opened)
    return CleanArticle(
        text=text,
        alignment=alignment,
        n_paragraphs=len(body),
        repairs=sorted(repairs),
        only_metadata=only_metadata or not text.strip(),  # "&nbsp;" alone cleans to nothing
        **meta,
    )


def _is_metadata(line: str) -> bool:
    return bool(_SOURCE_LINE.match(line) or _BYLINE.match(line) or _ORIGINAL.match(line))


def _paragraphs(
    raw: str, repairs: set[str], has_title_line: bool = True, opened: frozenset[str] = frozenset(), unwrap: bool = True
) -> list[_Paragraph]:
    """Non-blank lines as trimmed raw ranges: a hard-wrapped text's lines joined into their
    paragraphs, cut at block tags where the text holds markup, glued paragraphs split apart."""
    lines = []
    for m in _LINE.finditer(raw):
        start, line = m.start(), m.group()
        lead, trail = len(line) - len(line.lstrip()), len(line.rstrip())
        if trail > lead:
            lines.append(_Paragraph(start + lead, start + trail))
    out = []
    for para in _unwrap(raw, lines, repairs, has_title_line) if unwrap else lines:
        for start, end in _block_cuts(raw, para, repairs, opened):
            cuts = [start + c for c in _glued_cuts(raw[start:end])]
            if cuts:
                repairs.add("split_glued_paragraphs")
            bounds = [start, *cuts, end]
            out.extend(_Paragraph(a, b) for a, b in zip(bounds, bounds[1:]) if b > a)
    return out


def _unwrap(raw: str, lines: list[_Paragraph], repairs: set[str], has_title_line: bool) -> list[_Paragraph]:
    """`lines`, with the lines of a hard-wrapped text joined into paragraphs (the line breaks
    inside one become spaces when it is cleaned). A text is hard-wrapped when at least two
    line breaks are soft (`_soft_breaks`), they are most of the breaks between adjacent lines,
    most of those lines do not end a sentence (a text of one short paragraph a line ends
    nearly every line with one), and at least a third of the soft breaks go on in lower case
    (prose does; a list of names, results or headlines does not). Hand-written: no maintained
    library unwraps plain text while keeping offsets."""
    soft = _soft_breaks(raw, lines, has_title_line)
    adjacent = [i for i in range(len(lines) - 1) if _one_line_break(raw, lines[i], lines[i + 1])]
    ending = sum(1 for i in adjacent if _SENTENCE_END.search(raw[lines[i].start : lines[i].end]))
    lower = sum(1 for i in soft if raw[lines[i + 1].start].islower())
    if len(soft) < 2 or 2 * len(soft) < len(adjacent) or 2 * ending >= len(adjacent) or 3 * lower < len(soft):
        return lines
    repairs.add("unwrapped_lines")
    out = [lines[0]]
    for i in range(1, len(lines)):
        if i - 1 in soft:
            out[-1] = _Paragraph(out[-1].start, lines[i].end)
        else:
            out.append(lines[i])
    return out


def _soft_breaks(raw: str, lines: list[_Paragraph], has_title_line: bool) -> set[int]:
    """Indices i of the lines whose break to line i + 1 is a wrap: the lines are adjacent and
    the next line's first word would not have fitted on line i within the text's width (the
    longest line of its body: the title and metadata lines left out). None when that width is
    over WRAP_WIDTH_MAX or under WRAP_WIDTH_MIN: the text is not wrapped. The title line and
    metadata lines (a Source: line, a byline, an "original article" note) are never joined."""
    first = 1 if has_title_line else 0
    body = [i for i in range(first, len(lines)) if not _is_metadata(raw[lines[i].start : lines[i].end])]
    if len(body) < 3:
        return set()
    width = max(lines[i].end - lines[i].start for i in body)
    if not WRAP_WIDTH_MIN <= width <= WRAP_WIDTH_MAX:
        return set()
    soft = set()
    kept = set(body)
    for i in body:
        if i + 1 not in kept:
            continue
        a, b = lines[i], lines[i + 1]
        first_word = len(
            raw[b.start : b.end].split(" ", 1)[0].split("\t", 1)[0]
        )  # a wrapper breaks at spaces only, not at a no-break space
        if _one_line_break(raw, a, b) and (a.end - a.start) + 1 + first_word > width:
            soft.add(i)
    return soft


def _one_line_break(raw: str, a: _Paragraph, b: _Paragraph) -> bool:
    """Whether nothing but one line break (and spaces) separates two lines: no blank line."""
    return len(_LINE_BREAK.findall(raw, a.end, b.start)) == 1


def _block_cuts(raw: str, para: _Paragraph, repairs: set[str], opened: frozenset[str]) -> list[tuple[int, int]]:
    """The paragraph's raw range cut around each block tag that ends a paragraph
    (`_PARAGRAPH_TAGS`, a run of two or more <br>), when it holds markup (`opened`:
    `opened_elements` of the whole text); the tags themselves become paragraphs of no words,
    which cleaning leaves out."""
    text = raw[para.start : para.end]
    if "<" not in text:
        return [(para.start, para.end)]
    marks = [(m.start(), m.end()) for m in _tags(text, opened) if m[1].lower() in _PARAGRAPH_TAGS]
    marks += [(m.start(), m.end()) for m in _BREAKS.finditer(text)]
    if not marks:
        return [(para.start, para.end)]
    repairs.add("markup")
    bounds = sorted({0, len(text), *(k for mark in marks for k in mark)})
    out = []
    for a, b in zip(bounds, bounds[1:]):
        piece = text[a:b]
        lead, trail = len(piece) - len(piece.lstrip()), len(piece.rstrip())
        if trail > lead:
            out.append((para.start + a + lead, para.start + a + trail))
    return out


def _glued_cuts(line: str) -> list[int]:
    cuts = []
    for m in _GLUED.finditer(line):
        i = m.start()
        stop = i - 1 if line[i - 1] in ".!?" else i - 2
        word = re.search(r"(\w+)\W*$", line[:stop])
        if word and (len(word.group(1)) < 2 or word.group(1).lower() in _ABBREVIATIONS):
            continue
        after = re.match(r"[A-Za-z]+(?![\w-])", line[i:])
        if word and word.group(1)[0].isupper() and after and after.group().lower() in _DOMAINS:
            continue  # "Amazon.Com Inc.", not "sharply.Net income"
        cuts.append(i)
    return cuts


def _take_metadata(raw: str, paragraphs: list[_Paragraph], has_title_line: bool, meta: dict) -> list[_Paragraph]:
    """Remove metadata paragraphs from the body and record their values in `meta`."""
    body = list(paragraphs)
    if not body:
        return body
    if has_title_line:
        meta["title"] = raw[body[0].start : body[0].end]
    # Trailing "The original article: ..." and everything after it.
    for i, p in enumerate(body):
        if i > 0 and _ORIGINAL.match(raw[p.start : p.end]):
            note = _ORIGINAL.sub("", raw[p.start : p.end], count=1)
            meta["original_source"] = _normalise_inline(note).strip(" .") or None
            body = body[:i]
            break
    head_limit = 1 + 3 if has_title_line else 3
    for i in range(1 if has_title_line else 0, min(head_limit, len(body))):
        m = _SOURCE_LINE.match(raw[body[i].start : body[i].end])
        if m:
            meta["outlet"] = _normalise_inline(m.group("value"))
            del body[i]
            break
    candidates = list(range(len(body) - 1, max(len(body) - 3, 0), -1))
    candidates += list(range(1 if has_title_line else 0, min(head_limit, len(body))))
    for i in candidates:
        if i < len(body) and (i > 0 or not has_title_line):
            m = _BYLINE.match(raw[body[i].start : body[i].end])
            if m:
                meta["author"] = _normalise_inline(m.group("value"))
                del body[i]
                break
    return body


def _normalise_inline(s: str, opened: frozenset[str] = frozenset()) -> str:
    fixed = unicodedata.normalize("NFC", ftfy.fix_text(s, _FTFY))
    masked = _mask_tags(fixed, set(), opened)
    tokens = list(_WS_TOKEN.finditer(masked))
    out = [tokens[0].group()] if tokens else []
    for prev, tok in zip(tokens, tokens[1:]):
        out += [_separator(fixed, masked, prev.end(), tok.start()), tok.group()]
    return "".join(out)


def _with_attributes(m: re.Match) -> bool:
    return '="' in m[2] or "='" in m[2]


def opened_elements(text: str) -> frozenset[str]:
    """The names of the elements `text` opens with a quoted attribute (`<tweet id="1">`):
    their end tags are markup too, wherever they are in the text."""
    if "<" not in text:
        return frozenset()
    return frozenset(m[1].lower() for m in _TAG_SHAPE.finditer(text) if _with_attributes(m))


def _tags(text: str, opened: frozenset[str]) -> list[re.Match]:
    """The markup tags of `text` (see `_HTML_INLINE`); `opened`: `opened_elements` of the whole text."""
    known = _HTML_INLINE | _HTML_BLOCK | opened
    return [m for m in _TAG_SHAPE.finditer(text) if m[1].lower() in known or _with_attributes(m)]


# Elements whose contents are no text: a script's code, a style sheet.
_HIDDEN = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def _mask_tags(fixed: str, repairs: set[str], opened: frozenset[str] = frozenset()) -> str:
    """`fixed` with every markup tag, and each script or style element whole, blanked out
    character for character (offsets unchanged)."""
    if "<" not in fixed:
        return fixed
    spans = [(m.start(), m.end()) for m in _tags(fixed, opened)]
    spans += [(m.start(), m.end()) for m in _HIDDEN.finditer(fixed)]
    if not spans:
        return fixed
    repairs.add("markup")
    chars = list(fixed)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _separator(fixed: str, masked: str, gap_start: int, gap_end: int) -> str:
    """What replaces a gap between two words: one space; nothing where the gap held only
    inline tags and a closing mark follows or an opening mark precedes ("began</b>.",
    "(<b>up</b>)"); a block tag (`<br/>`, `<p>`) always leaves a space."""
    gap = fixed[gap_start:gap_end]
    if gap == masked[gap_start:gap_end]:
        return " "
    rest = _TAG_SHAPE.sub("", gap)
    block = any(m[1].lower() in _HTML_BLOCK for m in _TAG_SHAPE.finditer(gap))
    if rest or block:  # whitespace outside the tags, or a line break: a space
        return " "
    glued = masked[gap_end] in _NO_SPACE_BEFORE or masked[gap_start - 1] in _NO_SPACE_AFTER
    return "" if glued else " "


def _has_words(raw: str, para: _Paragraph, opened: frozenset[str]) -> bool:
    """Whether a paragraph holds a word once its markup is taken out (`<br/>` alone does not)."""
    text = raw[para.start : para.end]
    return _WS_TOKEN.search(_mask_tags(text, set(), opened) if "<" in text else text) is not None


def _clean_paragraph(
    raw: str, para: _Paragraph, builder: AlignmentBuilder, repairs: set[str], opened: frozenset[str]
) -> None:
    source = raw[para.start : para.end]
    # entities decoded where the paragraph holds markup, unless it escapes angle brackets:
    # a decoded "&lt;b&gt;" would read as a tag and be dropped
    unescape = "<" in source and bool(_tags(source, opened)) and "&lt;" not in source.lower()
    fixed = unicodedata.normalize("NFC", ftfy.fix_text(source, _FTFY_MARKUP if unescape else _FTFY))
    if fixed != source:
        repairs.add("unicode_repair")
        char_map = _char_map(source, fixed)
    else:
        char_map = None
    masked = _mask_tags(fixed, repairs, opened)
    tokens = list(_WS_TOKEN.finditer(masked))
    if char_map is None:
        _copy_words(raw, fixed, masked, tokens, para.start, builder, repairs)
        return
    for k, tok in enumerate(tokens):
        if k > 0:
            gap_start, gap_end = tokens[k - 1].end(), tok.start()
            rs, re_ = _map(char_map, para.start, gap_start, gap_end)
            builder.replace(_separator(fixed, masked, gap_start, gap_end), rs, re_)
        _emit_mapped(raw, fixed, tok.start(), tok.end(), char_map, para.start, builder)


def _copy_words(
    raw: str, fixed: str, masked: str, tokens: list, base: int, builder: AlignmentBuilder, repairs: set[str]
) -> None:
    """A paragraph ftfy left alone: words and single spaces are copied in runs, other
    whitespace between words becomes one space, a tag nothing or one space (`_separator`;
    the same segments as word by word, fewer calls). `masked`: `fixed` with its tags blanked."""
    if not tokens:
        return
    run = tokens[0].start()
    for prev, tok in zip(tokens, tokens[1:]):
        gap_start, gap_end = prev.end(), tok.start()
        if gap_end - gap_start != 1 or fixed[gap_start] != " ":
            builder.copy(raw, base + run, base + gap_start)
            builder.replace(_separator(fixed, masked, gap_start, gap_end), base + gap_start, base + gap_end)
            if _TAG_SHAPE.sub("", fixed[gap_start:gap_end]) not in ("", " "):
                repairs.add("whitespace")
            run = gap_end
    builder.copy(raw, base + run, base + tokens[-1].end())


def _map(char_map, base: int, start: int, end: int) -> tuple[int, int]:
    if char_map is None:
        return base + start, base + end
    starts, ends = char_map
    return base + starts[start], base + (ends[end - 1] if end > start else starts[start])


def _emit_mapped(raw, fixed, start, end, char_map, base, builder):
    """Emit fixed[start:end]: runs of one-to-one characters as copies, the rest as blocks."""
    starts, ends = char_map
    i = start
    while i < end:
        j = i
        if ends[i] - starts[i] == 1 and raw[base + starts[i]] == fixed[i]:
            while (
                j + 1 < end
                and ends[j + 1] - starts[j + 1] == 1
                and starts[j + 1] == ends[j]
                and raw[base + starts[j + 1]] == fixed[j + 1]
            ):
                j += 1
            builder.copy(raw, base + starts[i], base + ends[j])
        else:
            while j + 1 < end and starts[j + 1] == starts[i] and ends[j + 1] == ends[i]:
                j += 1
            builder.replace(fixed[i : j + 1], base + starts[i], base + ends[i])
        i = j + 1


def _char_map(source: str, fixed: str) -> tuple[list[int], list[int]]:
    """For each character of `fixed`, the [start, end) range of `source` it came from.

    Aligns whitespace-separated words first (fast on long paragraphs, where only a few
    words change), then characters inside the words that differ.
    """
    starts = [0] * len(fixed)
    ends = [0] * len(fixed)
    src_tok = _split_keep(source)
    fix_tok = _split_keep(fixed)
    src_pos = _positions(src_tok)
    fix_pos = _positions(fix_tok)
    for op, i1, i2, j1, j2 in _opcodes(src_tok, fix_tok):
        a0, a1 = src_pos[i1], src_pos[i2]
        b0, b1 = fix_pos[j1], fix_pos[j2]
        if op == "equal":
            for k in range(b1 - b0):
                starts[b0 + k], ends[b0 + k] = a0 + k, a0 + k + 1
            continue
        for cop, c1, c2, d1, d2 in _opcodes(source[a0:a1], fixed[b0:b1]):
            if cop == "equal":
                for k in range(d2 - d1):
                    starts[b0 + d1 + k], ends[b0 + d1 + k] = a0 + c1 + k, a0 + c1 + k + 1
            else:
                for k in range(d1, d2):
                    starts[b0 + k], ends[b0 + k] = a0 + c1, a0 + c2
    return starts, ends


_WINDOW = 64  # tokens (or characters) difflib aligns at a time


def _opcodes(a, b) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes for two sequences, computed a window at a time.

    difflib is quadratic on long sequences of repeated items (docs/scaling.md has the
    figures). Each window is aligned up to its last equal run and the rest is aligned again with the next window, so the cost is
    linear; sequences shorter than a window get exactly difflib's answer.
    """
    out: list[tuple[str, int, int, int, int]] = []
    i = j = 0
    while i < len(a) or j < len(b):
        wa, wb = a[i : i + _WINDOW], b[j : j + _WINDOW]
        ops = difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes()
        if i + len(wa) < len(a) or j + len(wb) < len(b):  # not the last window
            last_equal = max((n for n, op in enumerate(ops) if op[0] == "equal"), default=None)
            ops = ops[: last_equal + 1] if last_equal is not None else [("replace", 0, len(wa), 0, len(wb))]
        out += [(op, i + i1, i + i2, j + j1, j + j2) for op, i1, i2, j1, j2 in ops]
        i, j = out[-1][2], out[-1][4]
    return out


def _split_keep(s: str) -> list[str]:
    return [t for t in re.split(r"(\s+)", s) if t]


def _positions(tokens: list[str]) -> list[int]:
    pos = [0]
    for t in tokens:
        pos.append(pos[-1] + len(t))
    return pos

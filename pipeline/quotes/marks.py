"""Quotation marks in raw text: paragraphs, quoted spans paired within each paragraph, and
whether a span holds a quotation mark (what makes an attribution "direct")."""

from __future__ import annotations

import re
from dataclasses import dataclass

DOUBLE_MARKS = frozenset('"\u201c\u201d\u201e\u201f\u00ab\u00bb\uff02')
OPENING_ONLY = frozenset("\u201c\u201e\u00ab")
CLOSING_ONLY = frozenset("\u201d\u00bb")
# characters of a quoted span that make an attribution "direct" (the PolNeAR scorer's set)
DIRECT_MARKS = DOUBLE_MARKS | frozenset("\u2018\u201b")


@dataclass(frozen=True)
class Quote:
    start: int  # the opening mark
    end: int  # after the closing mark, or the paragraph's end when the quote runs on
    closed: bool


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each run of non-newline text: works for "\\n" and "\\n\\n" breaks."""
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]


def has_quote_mark(s: str) -> bool:
    """Whether s holds a quotation mark: a direct mark, '' or ``."""
    return any(c in DIRECT_MARKS for c in s) or "''" in s or "``" in s


def is_direct(text: str, content) -> bool:
    """Whether a content span holds a quotation mark (pure or mixed quote)."""
    return any(has_quote_mark(text[a:b]) for a, b in content)


def find_quotes(text: str) -> list[Quote]:
    """Quoted spans (marks included), paired within each paragraph.

    Straight marks alternate. Inside an open quote, an opening mark of another style
    starts a quote within the quote, skipped up to its closing mark, while a closing mark
    of another style closes the quote (writers mix “ and "). A curly opening mark met
    while a curly quote is open starts a new one (the writer dropped a closing mark). An
    opening mark never closed runs to the end of its paragraph, the usual way of
    continuing a quote into the next paragraph. Single marks (‘...’) count where no
    double quote is open: headlines quote that way.
    """
    quotes = []
    for p0, p1 in paragraphs(text):
        open_at, style, inner = None, None, None
        for pos, length, ch, kind in _marks(text, p0, p1):
            opens = _opens(text, pos, length, p0, p1)
            closes = _closes(text, pos, p0)
            if open_at is None:
                if ch in CLOSING_ONLY and closes and not opens:
                    continue
                open_at, style = pos, kind
            elif inner is not None:
                if kind == inner:
                    inner = None
            elif kind != style and opens and not closes:
                inner = kind
            elif ch in OPENING_ONLY and opens and not closes:
                quotes.append(Quote(open_at, _rstrip(text, open_at, pos), False))
                open_at, style = pos, kind
            else:
                quotes.append(Quote(open_at, pos + length, True))
                open_at = None
        if open_at is not None:
            quotes.append(Quote(open_at, _rstrip(text, open_at, p1), False))
        quotes.extend(_single_quotes(text, p0, p1, [q for q in quotes if p0 <= q.start < p1]))
    return sorted(quotes, key=lambda q: q.start)


_MARK = re.compile("[" + "".join(sorted(DOUBLE_MARKS)) + "]|''|``")


def _marks(text: str, start: int, end: int) -> list[tuple[int, int, str, str]]:
    """Double quotation marks in text[start:end] as (pos, length, char, style); '' and ``
    count. The style (straight, curly, tick, angle) tells a quote inside a quote. (A regular
    expression finds them: a loop over every character was 5 % of annotating an article.)"""
    out = []
    for m in _MARK.finditer(text, start):
        i = m.start()
        if i >= end:  # a '' or `` may end just past `end`, as it always could
            break
        c = m.group()
        if len(c) == 2:
            out.append((i, 2, '"', "tick"))
        else:
            out.append((i, 1, c, "straight" if c in '"\uff02' else "angle" if c in "\u00ab\u00bb" else "curly"))
    return out


def _opens(text: str, pos: int, length: int, start: int, end: int) -> bool:
    before = text[pos - 1] if pos > start else " "
    after = text[pos + length] if pos + length < end else " "
    return (before.isspace() or before in "([{—–-/") and not after.isspace()


def _closes(text: str, pos: int, start: int) -> bool:
    return pos > start and not text[pos - 1].isspace()


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _single_quotes(text: str, p0: int, p1: int, doubles: list[Quote]) -> list[Quote]:
    out = []
    for m in re.finditer("\u2018", text[p0:p1]):
        pos = p0 + m.start()
        if any(q.start <= pos < q.end for q in doubles) or (out and pos < out[-1].end):
            continue
        if not _opens(text, pos, 1, p0, p1):
            continue
        close = re.compile(r"\u2019(?![A-Za-z])").search(text, pos + 1, p1)
        if close:
            out.append(Quote(pos, close.end(), True))
    return out

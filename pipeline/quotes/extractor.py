"""Quote and attribution extraction from a parsed spaCy Doc.

An attribution is anything the text ascribes to someone: a direct quote, reported speech
("X said (that) ..."), an "according to X" clause, or an inner state or stance the
article credits to someone ("X fears ...", "X vowed to ...", "X criticized ...").
This follows the PolNeAR annotation scheme, on which the rules are tuned.

Two kinds of rules, and where both find the same content the quote wins, because
quotation marks are more reliable than the parse:

1. Cue words found by lemma in the word lists of ``pipeline/nlp/resources`` take their
   complement as content (clause, to-infinitive, object or prepositional object) and
   their subject (or passive agent) as source. A content with a quoted fragment is
   "mixed". A title "Name: statement" is attributed to Name.
2. Quotation marks are paired per paragraph (straight, curly, NYT-style '' and headline
   single quotes). A quote that opens a sentence (or follows "X said:") and has a
   speech-verb frame next to it ("“...,” he said", "X told reporters: “...”") is a direct
   quote; a later quote of the same paragraph with no frame of its own continues it (a
   split quote: one attribution, several segments); a quote opening a later paragraph
   with no frame continues the previous speaker. Quotes inside a clause with no frame
   are scare quotes or titles and are not attributions by themselves.

Attributions nested inside another attribution's content are dropped: PolNeAR gives
each token at most one label, so only the outermost one is annotated.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from spacy.tokens import Doc, Token

from pipeline.nlp.lexicon import word_list

DOUBLE_MARKS = frozenset('"\u201c\u201d\u201e\u201f\u00ab\u00bb\uff02')
OPENING_ONLY = frozenset("\u201c\u201e\u00ab")
CLOSING_ONLY = frozenset("\u201d\u00bb")
# characters of a quoted span that make an attribution "direct" (the PolNeAR scorer's set)
DIRECT_MARKS = DOUBLE_MARKS | frozenset("\u2018\u201b")
SENTENCE_END = frozenset({".", "!", "?", ";"})
DASHES = frozenset({"\u2015", "\u2014", "\u2013", "-", "--"})
# prepositions completing an object cue's content ("blamed X for Y", "described X as Y")
OBJECT_PREPS = frozenset({"as", "for", "of"})
# relations through which a cue verb without a subject takes its governor's subject
CLIMB_DEPS = frozenset({"conj", "advcl", "xcomp", "ccomp", "parataxis", "pcomp"})
# dependents of a cue verb that make up the reported content, not the frame around it
CONTENT_DEPS = frozenset({"ccomp", "xcomp", "dobj", "conj", "parataxis", "advcl", "csubj", "oprd"})
# the same for a frame before a quote, where an object is the addressee ("told me, “...”")
CLAUSE_DEPS = frozenset({"ccomp", "xcomp", "conj", "parataxis", "advcl", "csubj"})
SUBJECT_DEPS = ("nsubj", "nsubjpass", "csubj")
# right-hand dependents that still belong to a speaker's name ("a spokesman for the campaign")
MENTION_RIGHT_DEPS = frozenset({"compound", "prep", "pobj", "cc", "conj", "nummod", "flat", "case", "poss", "amod"})


@dataclass(frozen=True)
class Attribution:
    """One attribution: char spans into ``doc.text``.

    ``content`` holds one or more (start, end) segments in text order (a quote split
    around its attribution has two). ``source`` is the speaker mention as written (a
    pronoun stays a pronoun; resolving it is the caller's job) and may lie in an earlier
    sentence for a quote continuing a previous speaker; None when the text names nobody.
    ``source_token_index`` is the token index of the mention's head word, to help that
    resolution.
    """

    content: tuple[tuple[int, int], ...]
    source: tuple[int, int] | None
    cue: tuple[int, int] | None
    cue_lemma: str | None
    direct: bool
    kind: str
    source_token_index: int | None = None


# ---------------------------------------------------------------- word lists


@dataclass(frozen=True)
class _Lexicon:
    speech: frozenset[str]
    clause: frozenset[str]
    infinitive: frozenset[str]
    object: frozenset[str]
    prep: dict[str, frozenset[str]]
    headline_labels: frozenset[str]
    known: frozenset[str]  # every lemma of the lists
    forms: dict[str, str]  # inflected form -> lemma, for lemmatizer slips ("hoping" -> "hop")


def _inflections(lemma: str) -> set[str]:
    stem = lemma[:-1] if lemma.endswith("e") else lemma
    forms = {lemma, lemma + "s", lemma + "es", lemma + "d", lemma + "ed", stem + "ed", stem + "ing", lemma + "ing"}
    if lemma.endswith("y"):
        forms |= {lemma[:-1] + "ies", lemma[:-1] + "ied"}
    return forms


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    """The cue word lists, read once from pipeline/nlp/resources."""
    speech = word_list("speech_verbs.txt")
    attitude = word_list("attitude_verbs.txt")
    infinitive = word_list("infinitive_cue_verbs.txt")
    obj = word_list("object_cue_verbs.txt")
    prep: dict[str, set[str]] = {}
    for line in word_list("prepositional_cues.txt"):
        verb, _, p = line.partition(" ")
        prep.setdefault(verb, set()).add(p.strip())
    known = speech | attitude | infinitive | obj | set(prep)
    forms = {}
    for lemma in sorted(known):
        for form in _inflections(lemma):
            forms.setdefault(form, lemma)
    return _Lexicon(
        speech,
        speech | attitude,
        infinitive,
        obj,
        {k: frozenset(v) for k, v in prep.items()},
        word_list("headline_labels.txt"),
        frozenset(known),
        forms,
    )


def _lemma(tok: Token, lex: _Lexicon) -> str:
    """The token's lemma, or the list lemma its form inflects when the lemmatizer slipped."""
    lemma = tok.lemma_.lower()
    return lemma if lemma in lex.known else lex.forms.get(tok.lower_, lemma)


# ---------------------------------------------------------------- quotation marks


@dataclass(frozen=True)
class _Quote:
    start: int  # the opening mark
    end: int  # after the closing mark, or the paragraph's end when the quote runs on
    closed: bool


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each run of non-newline text: works for "\\n" and "\\n\\n" breaks."""
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]


def _marks(text: str, start: int, end: int) -> list[tuple[int, int, str, str]]:
    """Double quotation marks in text[start:end] as (pos, length, char, style); '' and ``
    count. The style (straight, curly, tick, angle) tells a quote inside a quote."""
    out = []
    i = start
    while i < end:
        c = text[i]
        if c in DOUBLE_MARKS:
            out.append((i, 1, c, "straight" if c in '"\uff02' else "angle" if c in "\u00ab\u00bb" else "curly"))
        elif text.startswith("''", i) or text.startswith("``", i):
            out.append((i, 2, '"', "tick"))
            i += 1
        i += 1
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


def find_quotes(text: str) -> list[_Quote]:
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
    for p0, p1 in _paragraphs(text):
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
                quotes.append(_Quote(open_at, _rstrip(text, open_at, pos), False))
                open_at, style = pos, kind
            else:
                quotes.append(_Quote(open_at, pos + length, True))
                open_at = None
        if open_at is not None:
            quotes.append(_Quote(open_at, _rstrip(text, open_at, p1), False))
        quotes.extend(_single_quotes(text, p0, p1, [q for q in quotes if p0 <= q.start < p1]))
    return sorted(quotes, key=lambda q: q.start)


def _single_quotes(text: str, p0: int, p1: int, doubles: list[_Quote]) -> list[_Quote]:
    out = []
    for m in re.finditer("\u2018", text[p0:p1]):
        pos = p0 + m.start()
        if any(q.start <= pos < q.end for q in doubles) or (out and pos < out[-1].end):
            continue
        if not _opens(text, pos, 1, p0, p1):
            continue
        close = re.compile(r"\u2019(?![A-Za-z])").search(text, pos + 1, p1)
        if close:
            out.append(_Quote(pos, close.end(), True))
    return out


def is_direct(text: str, content) -> bool:
    """Whether a content span holds a quotation mark (pure or mixed quote)."""
    return any(c in DIRECT_MARKS for a, b in content for c in text[a:b]) or any(
        "''" in text[a:b] or "``" in text[a:b] for a, b in content
    )


# ---------------------------------------------------------------- extraction


@dataclass
class _Found:
    content: list[tuple[int, int]]
    cue: Token | None
    cue_span: tuple[int, int] | None
    cue_lemma: str | None
    source: Token | None
    kind: str
    source_span: tuple[int, int] | None = None  # when the mention is not a phrase of the parse


MAX_SENTENCE_TOKENS = 400  # the longest dev/train sentences hold ~200 tokens


class _Extractor:
    """Holds one Doc with its quotes and paragraph map while rules run over it."""

    def __init__(self, doc: Doc):
        self.doc = doc
        self.text = doc.text
        self.lex = _lexicon()
        self.quotes = find_quotes(self.text)
        self.paras = _paragraphs(self.text)
        self.para_starts = [p[0] for p in self.paras]
        self.quote_of = [-1] * len(doc)
        starts = [t.idx for t in doc]
        for qi, q in enumerate(self.quotes):
            i = bisect.bisect_left(starts, q.start)
            while i < len(doc) and doc[i].idx < q.end:
                if self.quote_of[i] < 0:
                    self.quote_of[i] = qi
                i += 1
        self.found: list[_Found] = []
        self.used_cues: set[int] = set()
        # Tokens of over-long parser sentences (text without sentence punctuation) are not
        # cue candidates: subtrees there span thousands of tokens and the rules would turn
        # quadratic, for no usable attribution.
        self.in_long_sentence = [False] * len(doc)
        for sent in doc.sents:
            if len(sent) > MAX_SENTENCE_TOKENS:
                for i in range(sent.start, sent.end):
                    self.in_long_sentence[i] = True

    # ------------------------------------------------------------ helpers

    def para(self, char: int) -> int:
        return bisect.bisect_right(self.para_starts, char) - 1

    def tokens_in(self, start: int, end: int) -> list[Token]:
        span = self.doc.char_span(start, end, alignment_mode="expand")
        return list(span) if span is not None else []

    def window(self, q: _Quote, step: int) -> list[Token]:
        """Tokens of the same sentence on one side of a quote, up to the sentence's end,
        another quote or the paragraph's end (by punctuation, not by the parser's
        sentences, which often split at a colon)."""
        toks = self.tokens_in(q.start, q.end)
        if not toks:
            return []
        para = self.para(q.start)
        if (
            step < 0
            and self.text[self.paras[para][0] : q.start].strip() == ""
            and para > 0
            and self.text[: self.paras[para - 1][1]].rstrip().endswith(":")
        ):
            para -= 1  # "He said:" closing the previous paragraph
        out = []
        i = toks[-1].i + 1 if step > 0 else toks[0].i - 1
        while 0 <= i < len(self.doc):
            t = self.doc[i]
            if t.is_space:
                i += step
                continue
            if self.quote_of[i] >= 0 or self.para(t.idx) != para or t.text in SENTENCE_END:
                break
            out.append(t)
            i += step
        return out if step > 0 else out[::-1]

    def region(self, tok: Token) -> tuple[int, int]:
        """Token range of the sentence around tok, bounded by sentence-final punctuation
        outside quotes and by the paragraph: the parser's sentences can run over a
        paragraph break or stop inside a quote."""
        para = self.para(tok.idx)
        lo = tok.i
        while lo > 0 and tok.i - lo < MAX_SENTENCE_TOKENS:
            t = self.doc[lo - 1]
            if (t.text in SENTENCE_END and self.quote_of[t.i] < 0) or (not t.is_space and self.para(t.idx) != para):
                break
            lo -= 1
        hi = tok.i + 1
        while hi < len(self.doc) and hi - tok.i < MAX_SENTENCE_TOKENS:
            t = self.doc[hi]
            if not t.is_space and self.para(t.idx) != para:
                break
            hi += 1
            if t.text in SENTENCE_END and self.quote_of[t.i] < 0:
                break
        return lo, hi

    def is_cue_verb(self, t: Token) -> bool:
        """A verb of saying outside quotes: what frames a direct quote."""
        return t.pos_ in ("VERB", "AUX") and self.quote_of[t.i] < 0 and _lemma(t, self.lex) in self.lex.speech

    def subject(self, v: Token, depth: int = 0) -> Token | None:
        """The speaker of cue verb v: its subject or a passive's agent; else the subject of
        the verb it hangs from ("..., adding that", "for saying that", "declined to say");
        else a noun right after it in an inverted frame ("said Jane Doe"). Never a word
        inside a quote or in another paragraph."""
        para = self.para(v.idx)

        def usable(t: Token) -> bool:
            return self.quote_of[t.i] < 0 and self.para(t.idx) == para

        for c in v.children:
            if c.dep_ == "agent":
                for p in c.children:
                    if p.dep_ == "pobj" and usable(p):
                        return p
        passive = any(c.dep_ == "auxpass" for c in v.children)
        for c in v.children:
            if c.dep_ == "expl" or (passive and c.lower_ == "it"):
                return None  # "it was reported that ...": no one is named
            if c.dep_ in SUBJECT_DEPS and usable(c) and not (passive and c.dep_ == "nsubjpass"):
                return c
        head = v.head.head if v.head.pos_ == "ADP" and v.dep_ == "pcomp" else v.head
        if (
            depth < 4
            and head.i != v.i
            and v.dep_ in CLIMB_DEPS
            and head.pos_ in ("VERB", "AUX")
            and (v.dep_ != "ccomp" or v.tag_ == "VBG")
        ):
            return self.subject(head, depth + 1)
        for c in v.rights:
            if (
                c.dep_ in ("dobj", "attr", "npadvmod", "appos", "dep")
                and c.pos_ in ("PROPN", "NOUN", "PRON")
                and c.i == v.i + 1
                and usable(c)
            ):
                return c
        return None

    def mention(self, head: Token) -> tuple[int, int]:
        """Char span naming a speaker: the head's phrase, cut before appositives and
        relative clauses ("HR McMaster, a former general who ..." -> "HR McMaster")."""
        para = self.para(head.idx)
        left = min(t.i for t in head.subtree if self.para(t.idx) == para or t.i >= head.i)
        right = head.i
        for c in head.rights:
            if c.dep_ not in MENTION_RIGHT_DEPS or any(t.text in ",(–—" for t in self.doc[right + 1 : c.i]):
                break
            right = max(t.i for t in c.subtree)
        while right > head.i and (self.doc[right].is_punct or self.doc[right].dep_ == "cc"):
            right -= 1
        while left < head.i and (self.doc[left].is_punct or self.doc[left].is_space):
            left += 1
        return self.doc[left].idx, self.doc[right].idx + len(self.doc[right])

    def cue_span(self, v: Token, extra: Token | None = None) -> tuple[tuple[int, int], str]:
        toks = [v] + [c for c in v.children if c.dep_ == "prt"] + ([extra] if extra is not None else [])
        toks.sort(key=lambda t: t.i)
        lemma = " ".join(_lemma(v, self.lex) if t is v else t.lower_ for t in toks)
        return (toks[0].idx, toks[-1].idx + len(toks[-1])), lemma

    def segments(self, toks) -> list[tuple[int, int]]:
        """Char segments covering tokens, joined across whitespace, trimmed of edge
        punctuation other than quotation marks."""
        toks = sorted(set(toks), key=lambda t: t.i)
        while toks and toks[0].is_punct and not self.has_mark(toks[0]):
            toks.pop(0)
        while toks and (toks[-1].is_punct or toks[-1].is_space) and not self.has_mark(toks[-1]):
            toks.pop()
        segs: list[list[int]] = []
        prev = -2
        for t in toks:
            if t.is_space:
                continue
            if segs and t.i == prev + 1 and self.text[segs[-1][1] : t.idx].strip() == "":
                segs[-1][1] = t.idx + len(t)
            else:
                segs.append([t.idx, t.idx + len(t)])
            prev = t.i
        return [(a, b) for a, b in segs]

    def balance(self, segs: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Stretch a content's ends over a quote it opens or closes: the parse often cuts
        a clause inside a quoted fragment, and a quote is reported whole."""
        if not segs:
            return segs
        (a, _), (_, b) = segs[0], segs[-1]
        for q in self.quotes:
            if q.start < b < q.end and a <= q.start:
                b = q.end
            if q.start < a < q.end and b >= q.end:
                a = q.start
        return [(a, segs[0][1])] + segs[1:-1] + [(segs[-1][0], b)] if len(segs) > 1 else [(a, b)]

    def has_mark(self, t: Token) -> bool:
        return any(c in DIRECT_MARKS for c in t.text) or "''" in t.text or "``" in t.text

    # ------------------------------------------------------------ pass 1: quotes

    def frame_after(self, win: list[Token]) -> tuple[Token, Token | None] | None:
        """“...,” he said / said X / X told reporters / “...” ― Jane Doe: the first speech
        verb after the quote, with nothing before it but its subject and adverbs."""
        if win and win[0].text in DASHES and 1 < len(win) <= 7 and any(t.pos_ == "PROPN" for t in win[1:]):
            return win[0], next(t for t in win[1:] if t.head.i == t.i or not win[1].i <= t.head.i <= win[-1].i)
        for t in win:
            if self.is_cue_verb(t):
                between = [b for b in win if b.i < t.i]
                if all(b.is_punct or self.attached(b, t) for b in between):
                    return t, self.subject(t)
                return None
            if t.pos_ == "VERB" and t.dep_ not in ("amod", "acl", "relcl"):
                return None
        return None

    @staticmethod
    def attached(b: Token, v: Token, content_deps: frozenset[str] = CONTENT_DEPS) -> bool:
        """Whether b belongs to v's frame (subject, adverb, addressee), not its content."""
        while b.head.i != v.i:
            if b.head.i == b.i:
                return False
            b = b.head
        return b.dep_ not in content_deps

    def frame_before(self, win: list[Token]) -> tuple[Token, Token | None] | None:
        """X said: “...” / X told reporters, “...” / X said “...” / X: ‘...’ (a headline)."""
        last = win[-1]
        if last.text not in (":", ","):
            return None
        verbs = [t for t in win if self.is_cue_verb(t)]
        if verbs:
            v = verbs[-1]
            if all(t.is_punct or self.attached(t, v, CLAUSE_DEPS) for t in win if t.i > v.i):
                return v, self.subject(v)
            return None
        if self.lex.forms.get(win[0].lower_) in self.lex.speech and 2 < len(win) <= 8:
            names = [t for t in win[1:-1] if t.pos_ in ("PROPN", "NOUN", "PRON")]
            if names:  # "Said Ellis: “...”", parsed as a name
                return win[0], names[-1]
        if last.text == ":" and 1 <= len(win) - 1 <= 5 and win[0].idx == self.paras[self.para(win[0].idx)][0]:
            heads = [t for t in win[:-1] if t.pos_ in ("PROPN", "NOUN", "PRON")]
            if heads:
                return last, heads[-1]
        return None

    def quote_pass(self) -> None:
        """Direct quotes: framed, split (merged into the previous attribution of the
        paragraph) and continued (a new paragraph carrying on the last speaker)."""
        last: _Found | None = None
        for q in self.quotes:
            para = self.para(q.start)
            pre = self.window(q, -1)
            if pre:
                if (
                    last is not None
                    and last.cue is not None
                    and last.cue.i in {t.i for t in pre}
                    and pre[-1].text in (",", ":")
                ):
                    last.content.append((q.start, q.end))  # “...,” he said, “...”
                    continue
                before = self.frame_before(pre)
                if before is None:
                    continue  # inside a clause: a partial quote, a title or a scare quote
                last = self.add_quote(q, *before)
                continue
            post = self.window(q, +1)
            if post and post[0].text not in DASHES and q.closed and re.search(r"\.\W*$", self.text[q.start : q.end]):
                post = []  # the sentence ended inside the quote: “... this year.” Next sentence
            after = self.frame_after(post)
            if after is not None:
                last = self.add_quote(q, *after)
                continue
            if any(t.pos_ in ("VERB", "AUX") for t in post):
                continue  # the quote opens a clause that goes on; the cue pass handles it
            if last is not None and self.para(last.content[-1][0]) == para:
                last.content.append((q.start, q.end))
                continue
            prev = self.previous(q)
            if prev is None:
                continue
            if prev.source is not None and sum(t.is_alpha for t in self.tokens_in(q.start, q.end)) >= 3:
                last = _Found(
                    [(q.start, q.end)], prev.cue, prev.cue_span, prev.cue_lemma, prev.source, "direct", prev.source_span
                )
                self.found.append(last)

    def previous(self, q: _Quote) -> _Found | None:
        """The attribution last before a quote, if at most two paragraphs back."""
        before = [f for f in self.found if f.content[-1][1] <= q.start and not self.superseded(f)]
        if not before:
            return None
        prev = max(before, key=lambda f: f.content[-1][1])
        return prev if self.para(q.start) - self.para(prev.content[-1][0]) <= 2 else None

    def add_quote(self, q: _Quote, v: Token, src: Token | None) -> _Found:
        if v.text == ":":
            span, lemma = (v.idx, v.idx + 1), ":"
        else:
            span, lemma = self.cue_span(v)
            self.used_cues.add(v.i)
        found = _Found([(q.start, q.end)], v, span, lemma, src, "direct")
        self.found.append(found)
        return found

    # ------------------------------------------------------------ pass 2: cue words

    def cue_pass(self) -> None:
        """Reported speech and stances from cue words outside quotes."""
        for v in self.doc:
            if self.quote_of[v.i] >= 0 or self.in_long_sentence[v.i]:
                continue
            if v.lower_ == "according":
                self.according(v)
                continue
            if v.pos_ not in ("VERB", "AUX"):
                continue
            lemma = _lemma(v, self.lex)
            content, extra = self.complement(v, lemma)
            if not content:
                continue
            span, cue_lemma = self.cue_span(v, extra)
            self.add_frame(content, v, span, cue_lemma, self.subject(v))

    def complement(self, v: Token, lemma: str) -> tuple[list[Token], Token | None]:
        """Content tokens of cue verb v by what it governs, and a preposition that belongs
        to the cue ("call for")."""
        lex = self.lex
        kids = list(v.children)
        if lemma in lex.clause:
            clauses = [c for c in kids if c.dep_ == "ccomp"]
            if clauses:
                return [t for c in clauses for t in c.subtree], None
            if (
                lemma in lex.speech
                and v.dep_ in ("parataxis", "ccomp")
                and v.head.pos_ in ("VERB", "AUX")
                and self.subject(v) is not None
                and not [c for c in kids if c.dep_ in ("dobj", "xcomp")]
            ):
                inner = set(v.subtree)
                return [t for t in v.head.subtree if t not in inner], None
        if lemma in lex.infinitive:
            for c in kids:
                if c.dep_ == "xcomp" and any(a.dep_ == "aux" and a.lower_ == "to" for a in c.children):
                    return list(c.subtree), None
        if lemma in lex.prep:
            for c in kids:
                if c.dep_ == "prep" and c.lower_ in lex.prep[lemma]:
                    objs = [p for p in c.children if p.dep_ in ("pobj", "pcomp")]
                    if objs:
                        toks = [t for p in objs for t in p.subtree]
                        if c.lower_ == "as":  # "described the plan as a “disaster”"
                            toks += [t for d in kids if d.dep_ == "dobj" and d.i < c.i for t in d.subtree]
                        return toks, c
        if lemma in lex.object:
            objs = [c for c in kids if c.dep_ == "dobj"]
            if not objs and any(c.dep_ == "auxpass" for c in kids):
                objs = [c for c in kids if c.dep_ == "nsubjpass"]  # "the plan was criticized by X"
            if objs:
                toks = [t for o in objs for t in o.subtree]
                toks += [
                    t
                    for c in kids
                    if c.i > objs[0].i
                    and (c.dep_ in ("oprd", "ccomp") or (c.dep_ == "prep" and c.lower_ in OBJECT_PREPS))
                    for t in c.subtree
                ]
                return toks, None
        return [], None

    def headline_pass(self) -> None:
        """A title "Name: statement" (or "Name: ‘quote’") attributes the statement to Name."""
        if not self.paras:
            return
        p0, p1 = self.paras[0]
        toks = [t for t in self.tokens_in(p0, p1) if not t.is_space]
        colon = next((t for t in toks[:7] if t.text == ":"), None)
        if colon is None or colon.i == toks[0].i:
            return
        label = [t for t in toks if t.i < colon.i]
        content = [t for t in toks if t.i > colon.i]
        names = [t for t in label if t.pos_ in ("PROPN", "NOUN") and t.text[:1].isupper()]
        if (
            len(content) < 3
            or not names
            or any(t.pos_ in ("VERB", "AUX") for t in label)
            or self.text[label[0].idx : colon.idx].strip().lower() in self.lex.headline_labels
        ):
            return
        segs = self.segments(content)
        if segs:
            self.found.append(
                _Found(
                    segs,
                    colon,
                    (colon.idx, colon.idx + 1),
                    ":",
                    names[-1],
                    "mixed" if is_direct(self.text, segs) else "indirect",
                    (label[0].idx, label[-1].idx + len(label[-1])),
                )
            )

    def according(self, tok: Token) -> None:
        """“according to X, ...” / “..., according to X”."""
        to = next((c for c in tok.children if c.lower_ == "to"), None)
        if to is None and tok.i + 1 < len(self.doc) and self.doc[tok.i + 1].lower_ == "to":
            to = self.doc[tok.i + 1]
        if to is None:
            return
        src = next((c for c in to.children if c.dep_ == "pobj"), None)
        head = tok.head
        while head.pos_ not in ("VERB", "AUX") and head.dep_ != "ROOT" and head.head.i != head.i:
            head = head.head
        inner = set(tok.subtree) | set(to.subtree)
        content = [t for t in head.subtree if t not in inner]
        if src is None or not content:
            return
        self.add_frame(content, tok, (tok.idx, to.idx + len(to)), "according to", src)

    def add_frame(self, content: list[Token], v: Token, span, cue_lemma: str, src: Token | None) -> None:
        lo, hi = self.region(v)
        segs = self.balance(self.segments([t for t in content if lo <= t.i < hi]))
        if not segs:
            return
        kind = "mixed" if is_direct(self.text, segs) else "indirect"
        self.found.append(_Found(segs, v, span, cue_lemma, src, kind))

    # ------------------------------------------------------------ result

    def superseded(self, f: _Found) -> bool:
        """A cue-pass frame whose cue verb frames a direct quote instead."""
        return f.kind != "direct" and f.cue is not None and f.cue.i in self.used_cues

    def result(self) -> list[Attribution]:
        """Drop attributions nested in another's content (the outer one is annotated) and
        those doubling another's content (a quote beats a clause found from its cue)."""
        outer: list[_Found] = []
        for f in sorted((f for f in self.found if not self.superseded(f)), key=lambda f: -_length(f.content)):
            cue_at = f.cue_span[0] if f.cue_span else None
            if cue_at is None or not any(a <= cue_at < b for k in outer for a, b in k.content):
                outer.append(f)
        kept: list[_Found] = []
        for f in sorted(outer, key=lambda f: (f.kind != "direct", -_length(f.content))):
            if not any(
                _overlap(f.content, k.content) > 0.5 * min(_length(f.content), _length(k.content)) for k in kept
            ):
                kept.append(f)
        out = []
        for f in sorted(kept, key=lambda f: f.content[0]):
            content = tuple(sorted(f.content))
            out.append(
                Attribution(
                    content=content,
                    source=f.source_span or (self.mention(f.source) if f.source is not None else None),
                    cue=f.cue_span,
                    cue_lemma=f.cue_lemma,
                    direct=is_direct(self.text, content),
                    kind=f.kind,
                    source_token_index=f.source.i if f.source is not None else None,
                )
            )
        return out


def _length(segs) -> int:
    return sum(b - a for a, b in segs)


def _overlap(x, y) -> int:
    return sum(max(0, min(b, d) - max(a, c)) for a, b in x for c, d in y)


def extract_attributions(doc: Doc) -> list[Attribution]:
    """All attributions of a parsed article, in text order. Pure function of the Doc."""
    ex = _Extractor(doc)
    ex.cue_pass()
    ex.headline_pass()
    ex.quote_pass()
    return ex.result()

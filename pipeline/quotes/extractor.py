"""Quote and attribution extraction from a parsed spaCy Doc.

An attribution is anything the text ascribes to someone: a direct quote, reported speech
("X said (that) ..."), an "according to X" clause, or an inner state or stance the
article credits to someone ("X fears ...", "X vowed to ...", "X criticized ...").
This follows the PolNeAR annotation scheme, on which the rules are tuned.

Two kinds of rules, and where both find the same content the quote wins, because
quotation marks are more reliable than the parse:

1. Cue words found by lemma in the word lists of ``pipeline/nlp/resources`` take their
   complement as content (clause, to-infinitive, object or prepositional object) and their
   subject (or passive agent) as source. A verb no list holds takes a that-clause when its
   subject names someone ("Mr. Trump has intimated that ..."); a raising verb's subject ("X
   seems to ...") is part of the content, with no source. A cue noun ("his claim that ...",
   "the plan to ...", "the mayor's criticism of ...") takes its clause, infinitive or
   prepositional object as content, and its possessor (else the subject of a verb such as
   "make" or "express" it is the object of, else the agent of "by") as source. A content with a
   quoted fragment is "mixed"; one that ends in a comma-set relative clause loses it (the
   writer's description). A title "Name: statement" is attributed to Name.
2. Quotation marks are paired per paragraph (straight, curly, NYT-style '' and headline
   single quotes). A quote that opens a sentence (or follows "X said:") and has a
   speech-verb frame next to it ("“...,” he said", "X told reporters: “...”") is a direct
   quote; a later quote of the same paragraph with no frame of its own continues it (a
   split quote: one attribution, several segments); a quote opening a later paragraph
   with no frame continues the previous speaker. Quotes inside a clause with no frame
   are scare quotes or titles and are not attributions by themselves.

Attributions nested inside another attribution's content are dropped: PolNeAR gives
each token at most one label, so only the outermost one is annotated.

This module runs the passes and picks the outermost attributions; quote marks are paired
in ``marks``, the cue word lists live in ``cues``, the queries over the parse the passes
share are in ``syntax`` and the frames of cues and quotes in ``frames``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.nlp.lexicon import strip_possessive
from pipeline.quotes.cues import noun_cue_lemma
from pipeline.quotes.frames import (
    complement,
    dash_led_label,
    frame_after,
    frame_before,
    noun_complement,
    that_clause_of_a_named_subject,
    without_trailing_modifier,
)
from pipeline.quotes.marks import Quote, is_direct
from pipeline.quotes.syntax import DASHES, ParsedArticle, negated_cue

if TYPE_CHECKING:  # spaCy is imported where a Doc is made, not by the run's process
    from spacy.tokens import Doc, Token

# verbs whose subject holds the claim, plan or call that is their object ("Clinton made the
# claim that", "he had plans to", "set out plans to"); not "face", "draw" or "raise",
# whose subject more often meets someone else's questions or criticism (PolNeAR train)
HOLDER_VERBS = frozenset(
    {"make", "have", "express", "voice", "offer", "issue", "send", "post", "announce", "outline", "unveil"}
    | {"deliver", "present", "reiterate", "repeat", "lay", "set", "release", "put"}
)

# raising verbs: "Trump seems to understand ...", "the party appears to be moving ...": the
# subject is part of what seems so, and the one it seems so to is the writer (no source),
# as PolNeAR marks them
RAISING_VERBS = frozenset({"seem", "appear"})


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
    negated: bool = False  # the cue is negated ("did not say": `syntax.negated_cue`)


@dataclass
class _Found:
    """An attribution while the passes run: cue and source are tokens, and a split quote's
    later segments are appended to its content."""

    content: list[tuple[int, int]]
    cue: Token | None
    cue_span: tuple[int, int] | None
    cue_lemma: str | None
    source: Token | None
    kind: str
    source_span: tuple[int, int] | None = None  # when the mention is not a phrase of the parse


def extract_attributions(doc: Doc) -> list[Attribution]:
    """All attributions of a parsed article, in text order. Pure function of the Doc."""
    ex = _Extractor(doc)
    ex.cue_pass()
    ex.headline_pass()
    ex.quote_pass()
    return ex.result()


class _Extractor:
    """Runs the passes over one article, collecting what they find in ``found``."""

    def __init__(self, doc: Doc):
        self.art = ParsedArticle(doc)
        self.found: list[_Found] = []
        self.used_cues: set[int] = set()

    # ------------------------------------------------------------ cue words

    def cue_pass(self) -> None:
        """Reported speech and stances from cue words outside quotes."""
        art = self.art
        for v in art.doc:
            if art.quote_of[v.i] >= 0 or art.in_long_sentence[v.i]:
                continue
            if v.lower_ == "according":
                self.according(v)
                continue
            if v.pos_ == "NOUN" and not _verb_tagged_a_noun(v):
                self.noun_cue(v)
                continue
            if v.pos_ not in ("VERB", "AUX", "NOUN"):
                continue
            lemma = art.lex.lemma(v)
            content, extra = complement(art, v, lemma)
            if not content and lemma not in art.lex.known:
                content = that_clause_of_a_named_subject(art, v)  # "Mr. Trump has intimated that ..."
            if not content:
                continue
            span, cue_lemma = art.cue_span(v, extra)
            src = art.subject(v)
            own = next((c for c in v.children if c.dep_ in ("nsubj", "nsubjpass")), None)  # not a shared one
            if lemma in RAISING_VERBS and own is not None and src is not None and own.i == src.i < v.i:
                content, src = [*own.subtree, *content], None
            self.add_frame(content, v, span, cue_lemma, src)

    def according(self, tok: Token) -> None:
        """“according to X, ...” / “..., according to X”."""
        doc = self.art.doc
        to = next((c for c in tok.children if c.lower_ == "to"), None)
        if to is None and tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ == "to":
            to = doc[tok.i + 1]
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

    def noun_cue(self, n: Token) -> None:
        """A cue noun's content (`frames.noun_complement`); its source is its possessor
        ("Trump's claim", "his plan"), else the subject of a verb in HOLDER_VERBS whose
        object it is ("Clinton made the claim that ...", "set out plans to ..."), else the
        agent of "by" ("the claim by Trump that ..."), else nobody ("the claim that ...",
        "Republicans blocked the plan to ...")."""
        frames = self.art.lex.nouns.get(n.lemma_.lower())
        if not frames:
            return
        content, frame, prep = noun_complement(n, frames)
        if not content:
            return
        src = next((c for c in n.children if c.dep_ == "poss"), None)
        if src is None and n.dep_ == "dobj" and n.head.lemma_.lower() in HOLDER_VERBS:
            src = self.art.subject(n.head)
        if src is None:  # "the claim by Trump that ..."
            by = next((c for c in n.children if c.dep_ == "prep" and c.lower_ == "by"), None)
            src = next((c for c in by.children if c.dep_ == "pobj"), None) if by is not None else None
        cue = [n, prep] if prep is not None and prep.i == n.i + 1 else [n]  # not "call by Democrats for"
        span = (cue[0].idx, cue[-1].idx + len(cue[-1]))
        self.add_frame(content, n, span, noun_cue_lemma(n.lemma_.lower(), frame), src)
        if src is not None and src.dep_ == "poss" and self.found and self.found[-1].cue is n:  # "Trump's": Trump
            a, b = self.art.mention(src)
            self.found[-1].source_span = (a, a + len(strip_possessive(self.art.text[a:b])))

    def add_frame(self, content: list[Token], v: Token, span, cue_lemma: str, src: Token | None) -> None:
        art = self.art
        lo, hi = art.region(v)
        segs = art.balance(art.segments(without_trailing_modifier(art, [t for t in content if lo <= t.i < hi])))
        if not segs:
            return
        kind = "mixed" if is_direct(art.text, segs) else "indirect"
        self.found.append(_Found(segs, v, span, cue_lemma, src, kind))

    # ------------------------------------------------------------ headline

    def headline_pass(self) -> None:
        """A title "Name: statement" (or "Name: ‘quote’") attributes the statement to Name."""
        art = self.art
        if not art.paras:
            return
        p0, p1 = art.paras[0]
        toks = [t for t in art.tokens_in(p0, p1) if not t.is_space]
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
            or art.text[label[0].idx : colon.idx].strip().lower() in art.lex.headline_labels
        ):
            return
        segs = art.segments(content)
        if segs:
            self.found.append(
                _Found(
                    segs,
                    colon,
                    (colon.idx, colon.idx + 1),
                    ":",
                    names[-1],
                    "mixed" if is_direct(art.text, segs) else "indirect",
                    (label[0].idx, label[-1].idx + len(label[-1])),
                )
            )

    # ------------------------------------------------------------ quotes

    def quote_pass(self) -> None:
        """Direct quotes: framed, split (merged into the previous attribution of the
        paragraph) and continued (a new paragraph carrying on the last speaker)."""
        art = self.art
        last: _Found | None = None
        for q in art.quotes:
            para = art.para(q.start)
            pre = art.window(q, -1)
            if pre:
                if (
                    last is not None
                    and last.cue is not None
                    and last.cue.i in {t.i for t in pre}
                    and pre[-1].text in (",", ":")
                ):
                    last.content.append((q.start, q.end))  # “...,” he said, “...”
                    continue
                before = frame_before(art, pre)
                if before is None:
                    continue  # inside a clause: a partial quote, a title or a scare quote
                if before[0].text == ":":  # "On the plan: “...,” said Kim Lee": the cue after names the speaker
                    after = frame_after(art, self.after_quote(q))
                    if after is not None and after[1] is not None:
                        before = after
                last = self.add_quote(q, *before)
                label = dash_led_label(art, before[0]) if before[0].text == ":" else None
                if label and before[1] is not None and before[1].i == label[-1].i and label[0].i >= pre[0].i:
                    # the name between the dash and the colon (`frame_before` took it), not the
                    # phrase the parser hangs on it
                    last.source_span = (label[0].idx, label[-1].idx + len(label[-1]))
                continue
            post = self.after_quote(q)
            after = frame_after(art, post)
            if after is not None:
                last = self.add_quote(q, *after)
                continue
            if any(t.pos_ in ("VERB", "AUX") for t in post):
                continue  # the quote opens a clause that goes on; the cue pass handles it
            if last is not None and art.para(last.content[-1][0]) == para:
                last.content.append((q.start, q.end))
                continue
            prev = self.previous(q)
            if prev is None:
                continue
            if prev.source is not None and sum(t.is_alpha for t in art.tokens_in(q.start, q.end)) >= 3:
                last = _Found(
                    [(q.start, q.end)], prev.cue, prev.cue_span, prev.cue_lemma, prev.source, "direct", prev.source_span
                )
                self.found.append(last)

    def after_quote(self, q: Quote) -> list[Token]:
        """The tokens after a quote in its sentence; none when the sentence ended inside the
        quote (“... this year.” Critics said ...: the next sentence is not its frame)."""
        post = self.art.window(q, +1)
        if post and post[0].text not in DASHES and q.closed and re.search(r"\.\W*$", self.art.text[q.start : q.end]):
            return []
        return post

    def previous(self, q: Quote) -> _Found | None:
        """The attribution last before a quote, if at most two paragraphs back."""
        before = [f for f in self.found if f.content[-1][1] <= q.start and not self.superseded(f)]
        if not before:
            return None
        prev = max(before, key=lambda f: f.content[-1][1])
        return prev if self.art.para(q.start) - self.art.para(prev.content[-1][0]) <= 2 else None

    def add_quote(self, q: Quote, v: Token, src: Token | None) -> _Found:
        if v.text == ":":
            span, lemma = (v.idx, v.idx + 1), ":"
        else:
            span, lemma = self.art.cue_span(v)
            self.used_cues.add(v.i)
        found = _Found([(q.start, q.end)], v, span, lemma, src, "direct")
        self.found.append(found)
        return found

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
                    source=f.source_span or (self.art.mention(f.source) if f.source is not None else None),
                    cue=f.cue_span,
                    cue_lemma=f.cue_lemma,
                    direct=is_direct(self.art.text, content),
                    kind=f.kind,
                    source_token_index=f.source.i if f.source is not None else None,
                    negated=f.cue is not None and f.cue.text != ":" and negated_cue(f.cue, content),
                )
            )
        return out


def _verb_tagged_a_noun(v: Token) -> bool:
    """ "..., campaign records show.": a sentence's root the tagger took for a noun while the
    parser gave it a subject and a clause, as a verb has."""
    return (
        v.dep_ == "ROOT" and any(c.dep_ == "nsubj" for c in v.children) and any(c.dep_ == "ccomp" for c in v.children)
    )


def _length(segs) -> int:
    return sum(b - a for a, b in segs)


def _overlap(x, y) -> int:
    return sum(max(0, min(b, d) - max(a, c)) for a, b in x for c, d in y)

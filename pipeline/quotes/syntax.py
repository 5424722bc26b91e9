"""A parsed article as the attribution passes see it: its paragraphs and quotes mapped onto
the tokens, and the queries over the parse that the passes share (sentence windows, a cue
verb's speaker, a speaker's mention, content segments)."""

from __future__ import annotations

import bisect
import re
from typing import TYPE_CHECKING

from pipeline.nlp.lexicon import word_list
from pipeline.nlp.model import doc_text
from pipeline.quotes.cues import cue_lexicon
from pipeline.quotes.marks import Quote, find_quotes, has_quote_mark, paragraphs

if TYPE_CHECKING:  # spaCy is imported where a Doc is made, not by the run's process
    from spacy.tokens import Doc, Token

SENTENCE_END = frozenset({".", "!", "?", ";"})
DASHES = frozenset({"\u2015", "\u2014", "\u2013", "-", "--"})
# relations through which a cue verb without a subject shares its governor's subject
# ("X denied it and said ...", "..., adding that", "declined to say")
SHARED_SUBJECT_DEPS = frozenset({"conj", "advcl", "xcomp", "ccomp", "parataxis", "pcomp"})
SUBJECT_DEPS = ("nsubj", "nsubjpass", "csubj")
REFLEXIVES = frozenset({"himself", "herself", "themselves", "itself", "myself", "ourselves", "yourself"})
# right-hand dependents that still belong to a speaker's name ("a spokesman for the campaign")
MENTION_RIGHT_DEPS = frozenset({"compound", "prep", "pobj", "cc", "conj", "nummod", "flat", "case", "poss", "amod"})
# far above any real sentence: only text without sentence punctuation is parsed this long
MAX_SENTENCE_TOKENS = 400


def negated_cue(cue: Token, content: tuple[tuple[int, int], ...] = ()) -> bool:
    """Whether a cue word is negated: a "not", "n't" or "never" of its own ("has not
    commented", "did not say", "never mentioned"), or "no longer" ("would no longer
    defend"), or a subject that says no one did it ("Nobody said", "Neither man has
    suggested": `_no_one`), outside the attribution's `content` (character segments): in '"Absolutely
    not," the mayor said' the parser hangs the quote's "not" on "said". The text then
    reports that the source did not say, think or do it; PolNeAR annotates such
    attributions all the same (about 1.4 % of its train cues)."""

    def outside(t: Token) -> bool:
        return not any(a <= t.idx < b for a, b in content)

    for c in cue.children:
        if c.dep_ == "neg" and outside(c):
            return True
        if c.dep_ == "advmod" and c.lower_ == "longer" and outside(c) and any(g.dep_ == "neg" for g in c.children):
            return True
        if c.dep_ in ("nsubj", "nsubjpass") and outside(c) and _no_one(c):
            return True
    return False


NO_ONE = frozenset({"nobody", "none", "neither", "nothing", "noone"})  # subjects that deny the act


NOT_NO_ONE = frozenset({"other", "but", "except", "fewer", "less", "more", "than"})  # "None other than Trump"


def _no_one(subject: Token) -> bool:
    """Whether a cue's subject says that no one did it: "Nobody said", "None of them has
    suggested", "No one", "No Republicans", "Neither man", "Neither Cruz nor Christie";
    not "None other than Donald Trump", "No fewer than 20 senators", "Nobody but Trump"."""
    doc = subject.doc
    words = {doc[i].lower_ for i in range(subject.left_edge.i, min(subject.right_edge.i + 2, len(doc)))}
    if words & NOT_NO_ONE:
        return False
    return subject.lower_ in NO_ONE or any(
        c.dep_ in ("det", "preconj") and c.lower_ in ("no", "neither") and c.i < subject.i for c in subject.children
    )


def dateline_end(doc: Doc, i: int) -> int | None:
    """Where the dateline opening a paragraph at token `i` ends (the token after its dash):
    a place in capitals, up to six tokens ("WASHINGTON", "ST. LOUIS"), then optionally a
    comma and a state or country ("FARGO, N.D.", "RANGOON, Burma") and an agency in
    brackets ("(AP)"), then a dash (a hyphen only with a space before it). None when no
    dateline opens there."""
    if not (i == 0 or "\n" in doc[i - 1].text_with_ws or doc[i - 1].is_space):
        return None
    j = dateline_place_end(doc, i)
    if j == i or doc[j - 1].text == ".":
        return None
    if j < len(doc) and doc[j].text == ",":  # ", N.H.", ", Calif.", ", Burma"
        k = j + 1
        while k < len(doc) and k - j <= 3 and doc[k].text[:1].isupper():
            k += 1
        j = k
    if j + 2 < len(doc) and doc[j].text == "(" and doc[j + 1].text[:1].isupper() and doc[j + 2].text == ")":
        j += 3  # "(AP)", "(Reuters)"
    if j < len(doc) and is_dash(doc[j]):
        return j + 1  # a dash, not the hyphen of "AP-GfK" or "AFL-CIO"
    return None


def is_dash(tok: Token) -> bool:
    """A dash, not a hyphen: a dash character, and for "-" or "--" a space before it ("AP-GfK",
    "Coca-Cola" and "Ocasio-Cortez" hold hyphens)."""
    return tok.text in DASHES and (tok.i == 0 or tok.doc[tok.i - 1].whitespace_ != "" or tok.text not in ("-", "--"))


def dateline_place_end(doc: Doc, i: int) -> int:
    """The end of the capitals a dateline opens with at token `i` ("ST. LOUIS")."""
    j = i
    while (
        j < len(doc) and j - i < 6 and (doc[j].is_upper and doc[j].is_alpha and len(doc[j]) > 1 or doc[j].text == ".")
    ):
        j += 1
    return j


_PARAGRAPH_CAPITALS = re.compile(r"(?:\A|\n)[ \t]*(?=[A-Z]{2})")


def paragraph_capitals(doc: Doc) -> list[int]:
    """The tokens that open a paragraph with two capitals or more, where a dateline can
    start (found in the text: a look at every token is a tenth of the actor step)."""
    out = []
    for m in _PARAGRAPH_CAPITALS.finditer(doc_text(doc)):
        span = doc.char_span(m.end(), m.end() + 1, alignment_mode="expand")
        if span is not None:
            out.append(span.start)
    return out


_LAST_DATELINES: list = [None, frozenset()]  # the last Doc asked about and its answer (as `doc_text`)


def dateline_tokens(doc: Doc) -> frozenset[int]:
    """The tokens of every dateline's place in capitals (`dateline_end`: "WASHINGTON" of
    "WASHINGTON (AP) —"; the state and the agency after it are names like any other). A
    word of a person the tagger finds elsewhere is no dateline: "OBAMA - We will win." is
    a transcript's speaker. Kept for the last Doc: the actor step and the extractor ask
    for each article's in turn."""
    if _LAST_DATELINES[0] is not doc:
        _LAST_DATELINES[:] = [doc, _dateline_tokens(doc)]
    return _LAST_DATELINES[1]


def _dateline_tokens(doc: Doc) -> frozenset[int]:
    out: set[int] = set()
    for i in paragraph_capitals(doc):
        if dateline_end(doc, i) is not None:
            end = dateline_place_end(doc, i)
            names = {w.lower_ for e in doc.ents if e.label_ == "PERSON" and (e.end <= i or e.start >= end) for w in e}
            if not any(doc[k].lower_ in names for k in range(i, end)):
                out.update(range(i, end))
    return frozenset(out)


class ParsedArticle:
    """One Doc with its quotes, paragraph map and cue lexicon, and the queries over them."""

    def __init__(self, doc: Doc):
        self.doc = doc
        self.text = doc_text(doc)
        self.lex = cue_lexicon()
        self.quotes = find_quotes(self.text)
        self.paras = paragraphs(self.text)
        self.para_starts = [p[0] for p in self.paras]
        self.quote_of = [-1] * len(doc)
        starts = [t.idx for t in doc]
        for qi, q in enumerate(self.quotes):
            i = bisect.bisect_left(starts, q.start)
            while i < len(doc) and doc[i].idx < q.end:
                if self.quote_of[i] < 0:
                    self.quote_of[i] = qi
                i += 1
        # Tokens of over-long parser sentences (text without sentence punctuation) are not
        # cue candidates: subtrees there span thousands of tokens and the rules would turn
        # quadratic, for no usable attribution.
        self.dateline = dateline_tokens(doc)  # "WASHINGTON (AP) —": never a speaker
        self.in_long_sentence = [False] * len(doc)
        for sent in doc.sents:
            if len(sent) > MAX_SENTENCE_TOKENS:
                for i in range(sent.start, sent.end):
                    self.in_long_sentence[i] = True

    # ------------------------------------------------------------ where: paragraphs and sentences

    def para(self, char: int) -> int:
        return bisect.bisect_right(self.para_starts, char) - 1

    def tokens_in(self, start: int, end: int) -> list[Token]:
        span = self.doc.char_span(start, end, alignment_mode="expand")
        return list(span) if span is not None else []

    def window(self, q: Quote, step: int) -> list[Token]:
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

    # ------------------------------------------------------------ who: cue verbs and speakers

    def is_cue_verb(self, t: Token) -> bool:
        """A verb of saying outside quotes: what frames a direct quote."""
        return t.pos_ in ("VERB", "AUX") and self.quote_of[t.i] < 0 and self.lex.lemma(t) in self.lex.speech

    def subject(self, v: Token, depth: int = 0) -> Token | None:
        """The speaker of cue verb v: its subject or a passive's agent; else the subject of the verb
        it hangs from ("..., adding that", "for saying that", "declined to say"); else, for an -ing
        participle, the noun it modifies ("governors seeking ...", "signs calling him ...") or, when
        that noun names an occasion or a text after a preposition or as an object, the subject of
        the verb the preposition or the object hangs on ("attacked Clinton in a speech warning ...",
        "fired back a response saying ..."); else a proper noun the parser joined to the cue right
        before it ('"...," Conway notes'); else a noun right after it in an inverted frame, after a
        quote or a comma ('"...," said Jane Doe'). A participle without its own subject that is
        passive ("Asked whether ..., Johnson demurred") has no speaker: the main verb's subject is
        the one asked; nor has a passive with a subject of its own ("..., but he is widely
        expected to lose"): that subject is the one expected of. Never a word inside a quote or
        in another paragraph."""
        para = self.para(v.idx)

        def usable(t: Token) -> bool:
            return self.quote_of[t.i] < 0 and self.para(t.idx) == para and t.i not in self.dateline

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
        if passive and any(c.dep_ == "nsubjpass" for c in v.children):
            return None  # "X criticised ..., but he is widely expected to lose": the expecting is no one's named
        head = v.head.head if v.head.pos_ == "ADP" and v.dep_ == "pcomp" else v.head
        if v.tag_ == "VBN" and v.dep_ == "advcl" and not any(c.dep_ in ("aux", "auxpass") for c in v.children):
            return None  # "Asked whether ..., Johnson demurred": the one asked, not the asker
        if (
            depth < 4
            and head.i != v.i
            and v.dep_ in SHARED_SUBJECT_DEPS
            and head.pos_ in ("VERB", "AUX")
            and (v.dep_ != "ccomp" or v.tag_ == "VBG")
        ):
            return self.subject(head, depth + 1)
        if v.dep_ == "acl" and v.tag_ == "VBG" and v.head.pos_ in ("NOUN", "PROPN", "PRON") and usable(v.head):
            noun = v.head
            verb = noun.head.head if noun.dep_ == "pobj" else noun.head
            if (
                depth < 4
                and noun.dep_ in ("pobj", "dobj")
                and verb.pos_ in ("VERB", "AUX")
                and noun.lemma_.lower() in word_list("not_actor_nouns.txt")
                # "Clinton's speech saying", "a letter from Clinton warning": hers, the actor step's
                # author ("she revised her statement explaining": the subject's)
                and not any(c.dep_ == "poss" and c.pos_ != "PRON" for c in noun.children)
                and not any(c.dep_ == "prep" and c.lower_ in ("from", "by") for c in noun.children)
            ):
                # "... in a speech warning that", "fired back a response saying": the speaker is the verb's
                return self.subject(verb, depth + 1)
            return noun
        for c in v.lefts:  # '"...," Conway notes.': the parser took the name for a compound of "notes"
            if c.dep_ in ("compound", "npadvmod", "dep", "nmod") and c.pos_ == "PROPN" and c.i == v.i - 1 and usable(c):
                return c
        inverted = v.i > 0 and (self.doc[v.i - 1].is_punct or self.doc[v.i - 1].is_quote)
        for c in v.rights:  # after a quote or a comma only: "did not mention Ryan" names no speaker
            if (
                (inverted or c.lower_ in REFLEXIVES)  # "to defend herself": the reflexive is the subject
                and c.dep_ in ("dobj", "attr", "npadvmod", "appos", "dep")
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
        """Char span and lemma of cue v with its particle and a preposition of the cue ("call for")."""
        toks = [v] + [c for c in v.children if c.dep_ == "prt"] + ([extra] if extra is not None else [])
        # the lemma verb first, as the lists spell it ("apologize for", also in "for which he apologized")
        lemma = " ".join(self.lex.lemma(v) if t is v else t.lower_ for t in toks)
        toks.sort(key=lambda t: t.i)
        return (toks[0].idx, toks[-1].idx + len(toks[-1])), lemma

    # ------------------------------------------------------------ what: content segments

    def segments(self, toks) -> list[tuple[int, int]]:
        """Char segments covering tokens, joined across whitespace, trimmed of edge
        punctuation other than quotation marks."""
        toks = sorted(set(toks), key=lambda t: t.i)
        while toks and toks[0].is_punct and not has_quote_mark(toks[0].text):
            toks.pop(0)
        while toks and (toks[-1].is_punct or toks[-1].is_space) and not has_quote_mark(toks[-1].text):
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

"""Attribution frames in the parse: what a cue verb takes as its content (its complement),
and the speech-verb frame next to a quote ("“...,” he said", "X told reporters: “...”")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.quotes.cues import INFINITIVE
from pipeline.quotes.syntax import DASHES, ParsedArticle, is_dash

if TYPE_CHECKING:  # spaCy is imported where a Doc is made, not by the run's process
    from spacy.tokens import Token

# prepositions completing an object cue's content ("blamed X for Y", "described X as Y")
OBJECT_PREPS = frozenset({"as", "for", "of"})
# dependents of a cue verb that make up the reported content, not the frame around it
CONTENT_DEPS = frozenset({"ccomp", "xcomp", "dobj", "conj", "parataxis", "advcl", "csubj", "oprd"})
# the same for a frame before a quote, where an object is the addressee ("told me, “...”")
CLAUSE_DEPS = frozenset({"ccomp", "xcomp", "conj", "parataxis", "advcl", "csubj"})


def complement(art: ParsedArticle, v: Token, lemma: str) -> tuple[list[Token], Token | None]:
    """Content tokens of cue verb v by what it governs, and a preposition that belongs
    to the cue ("call for")."""
    lex = art.lex
    kids = list(v.children)
    if lemma in lex.clause:
        clauses = [c for c in kids if c.dep_ == "ccomp"]
        if clauses:
            return [t for c in clauses for t in c.subtree], None
        if (
            lemma in lex.speech
            and v.dep_ in ("parataxis", "ccomp")
            and v.head.pos_ in ("VERB", "AUX")
            and art.subject(v) is not None
            and not [c for c in kids if c.dep_ in ("dobj", "xcomp")]
        ):
            inner = set(v.subtree)
            return [t for t in v.head.subtree if t not in inner], None
        if lemma in lex.speech and _closing_frame(art, v):
            inner = set(v.subtree)
            return [t for t in v.head.subtree if t not in inner and t.i < v.i], None
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
                if c.i > objs[0].i and (c.dep_ in ("oprd", "ccomp") or (c.dep_ == "prep" and c.lower_ in OBJECT_PREPS))
                for t in c.subtree
            ]
            return toks, None
    return [], None


NOT_SOMEONE = frozenset({"it", "this", "that", "which", "what", "there"})  # pronouns that name no one


def that_clause_of_a_named_subject(art: ParsedArticle, v: Token) -> list[Token]:
    """The content of a verb no cue list holds: its clause complement opened by "that" when
    its subject names someone, a proper noun, a named entity or a personal pronoun
    ("Mr. Trump has intimated that ...", "she confided that ..."). PolNeAR ascribes such a
    clause to the subject whatever the verb, and the lists hold only the verbs seen often."""
    clauses = [
        c for c in v.children if c.dep_ == "ccomp" and any(m.dep_ == "mark" and m.lower_ == "that" for m in c.children)
    ]
    subject = art.subject(v) if clauses else None
    if subject is None or subject.lower_ in NOT_SOMEONE:
        return []
    if subject.tag_ not in ("NNP", "NNPS", "PRP", "WP") and subject.ent_type_ not in ("PERSON", "ORG", "NORP", "GPE"):
        return []  # not "Something intimates that", "Nobody intimated that"
    return [t for c in clauses for t in c.subtree]


def noun_complement(n: Token, frames) -> tuple[list[Token], str | None, Token | None]:
    """Content tokens of cue noun n by the frames its entries allow (resources/noun_cues.tsv),
    tried in this order: a that-clause ("the claim that he lied": "that" is the clause's
    conjunction, not a relative pronoun as in "the claim that he made"), an active
    to-infinitive ("a plan to deport ...", not "a plan to be unveiled"), a listed
    preposition's object ("criticism of the deal"). Returns the content, the frame and the
    preposition (which belongs to the cue)."""
    kids = {c: list(c.children) for c in n.children}
    if "that" in frames:
        for c, ks in kids.items():
            if c.dep_ in ("acl", "ccomp") and any(k.dep_ == "mark" and k.lower_ == "that" for k in ks):
                return list(c.subtree), "that", None
    if INFINITIVE in frames:
        for c, ks in kids.items():
            if (
                c.dep_ in ("acl", "relcl")
                and any(k.dep_ == "aux" and k.lower_ == "to" for k in ks)
                and not any(k.dep_ == "auxpass" for k in ks)
            ):
                return list(c.subtree), INFINITIVE, None
    for c, ks in kids.items():
        if c.dep_ == "prep" and c.lower_ in frames:
            objs = [k for k in ks if k.dep_ in ("pobj", "pcomp")]
            if objs:
                return [t for o in objs for t in o.subtree], c.lower_, c
    return [], None, None


# speech verbs whose object is the one spoken to ("told a Senate panel"), not what is said
ADDRESSEE_VERBS = frozenset({"tell", "assure", "inform", "remind", "warn", "advise", "brief"})


def _closing_frame(art: ParsedArticle, v: Token) -> bool:
    """ "This includes a special force, Defense Secretary Ash Carter told a Senate panel
    Wednesday.": a speech verb the parser joined to the clause before as a conjunct, set off
    by a comma with its own subject, no conjunction, nothing of its own to report (no object
    but the addressee of ADDRESSEE_VERBS, a time), and closing the sentence. The clause
    before is its content."""
    subject = art.subject(v)
    if v.dep_ != "conj" or v.i < v.head.i or subject is None or v.head.pos_ not in ("VERB", "AUX"):
        return False
    if any(c.dep_ in ("cc", "ccomp", "xcomp", "advcl") or c.dep_ == "prep" and c.i < v.i for c in v.children):
        return False
    if any(c.dep_ == "cc" and subject.left_edge.i > c.i > v.head.i for c in v.head.children):
        return False
    objects = [c for c in v.children if c.dep_ in ("dobj", "dative")]
    if objects and (art.lex.lemma(v) not in ADDRESSEE_VERBS or any(c.pos_ not in ("NOUN", "PROPN") for c in objects)):
        return False  # "..., Carter announced his resignation": the object is what is reported
    before = subject.left_edge.i - 1
    if before <= v.head.i or art.doc[before].text != ",":
        return False
    sentence_end = v.sent.end - 1
    return max(t.i for t in v.subtree) >= sentence_end - (1 if art.doc[sentence_end].is_punct else 0)


# dependents that, set off by a comma at a content's end, are the writer's addition ("said
# he backed Trump, who has a big lead"); trailing adverbial clauses and appositives were
# measured on PolNeAR train too and are not (docs/design.md)
TRAILING_DEPS = frozenset({"relcl"})


def without_trailing_modifier(art: ParsedArticle, toks: list[Token]) -> list[Token]:
    """Content tokens cut before a comma that opens a modifier running to the content's
    end (TRAILING_DEPS), outside quotation marks."""
    toks = sorted(toks, key=lambda t: t.i)
    if not toks:
        return toks
    last = toks[-1].i
    held = {t.i for t in toks}
    for k, t in enumerate(toks[1:-1], start=1):
        if t.text != "," or art.quote_of[t.i] >= 0:
            continue
        nxt = toks[k + 1]
        top = nxt
        while top.head.i in held and top.head.i > t.i and top.head.i != top.i:
            top = top.head
        if top.dep_ in TRAILING_DEPS and top.head.i < t.i and max(x.i for x in top.subtree) >= last:
            return toks[:k]
    return toks


def attached(b: Token, v: Token, content_deps: frozenset[str] = CONTENT_DEPS) -> bool:
    """Whether b belongs to v's frame (subject, adverb, addressee), not its content."""
    while b.head.i != v.i:
        if b.head.i == b.i:
            return False
        b = b.head
    return b.dep_ not in content_deps


FINITE_TAGS = frozenset({"VBD", "VBZ", "VBP", "MD"})


def _name_and_aside(between: list[Token]) -> Token | None:
    """ "“...,” Ramos, 58, told AFP", "“...,” Melanne Verveer, a Ukrainian-American then
    working for the State Department, wrote": a name, and an aside set off by commas (an age,
    an appositive, no clause of its own), before the verb, which the parser often hangs
    elsewhere. The name's last word, else None."""
    k = 0
    while k < len(between) and between[k].pos_ == "PROPN":
        k += 1
    if not 1 <= k <= 4:
        return None
    rest = between[k:]
    if not rest:
        return between[k - 1]
    if rest[0].text != "," or rest[-1].text != "," or len(rest) < 3 or len(rest) > 14:
        return None
    aside = rest[1:-1]
    if any(t.tag_ in FINITE_TAGS or t.text in (",", "“", "”", '"') for t in aside):
        return None
    return between[k - 1]


def frame_after(art: ParsedArticle, win: list[Token]) -> tuple[Token, Token | None] | None:
    """“...,” he said / said X / X told reporters / “...” ― Jane Doe: the first speech
    verb after the quote, with nothing before it but its subject and adverbs."""
    if win and win[0].text in DASHES and 1 < len(win) <= 7 and any(t.pos_ == "PROPN" for t in win[1:]):
        return win[0], next(t for t in win[1:] if t.head.i == t.i or not win[1].i <= t.head.i <= win[-1].i)
    for t in win:
        if art.is_cue_verb(t):
            between = [b for b in win if b.i < t.i]
            if all(b.is_punct or attached(b, t) for b in between):
                return t, art.subject(t)
            name = _name_and_aside(between)
            if name is None:
                return None
            after = art.subject(t)
            return (t, after) if after is not None and after.i > t.i else (t, name)  # '..., Ramos, 58, said his brother
        if t.pos_ == "VERB" and t.dep_ not in ("amod", "acl", "relcl"):
            return None
    return None


def frame_before(art: ParsedArticle, win: list[Token]) -> tuple[Token, Token | None] | None:
    """X said: “...” / X told reporters, “...” / X said “...” / X: ‘...’ (a headline)."""
    last = win[-1]
    if last.text not in (":", ","):
        return None
    verbs = [t for t in win if art.is_cue_verb(t)]
    if verbs:
        v = verbs[-1]
        if all(t.is_punct or attached(t, v, CLAUSE_DEPS) for t in win if t.i > v.i):
            return v, art.subject(v)
        return None
    if art.lex.forms.get(win[0].lower_) in art.lex.speech and 2 < len(win) <= 8:
        names = [t for t in win[1:-1] if t.pos_ in ("PROPN", "NOUN", "PRON")]
        if names:  # "Said Ellis: “...”", parsed as a name
            return win[0], names[-1]
    if last.text == ":" and 1 <= len(win) - 1 <= 5 and win[0].idx == art.paras[art.para(win[0].idx)][0]:
        heads = [t for t in win[:-1] if t.pos_ in ("PROPN", "NOUN", "PRON")]
        if heads:
            return last, heads[-1]
    label = dash_led_label(art, last) if last.text == ":" else None
    if label and label[0].i >= win[0].i:
        return last, label[-1]
    return None


def dash_led_label(art: ParsedArticle, colon: Token) -> list[Token] | None:
    """The name before `colon` when a dash leads it: "... - Jeffrey M. Jones: “...”", "- More
    from Blumenthal and Cohen: “...”" (a digest's item, a transcript's line): one to four
    capitalised words (proper or common nouns, "and" or a hyphen between them), a proper noun
    if only one. A dash, not a hyphen ("Coca-Cola: ..."), leads it. Not a date or a time
    ("- Monday: ..."), nor a label such as "Update" (`headline_labels`). None otherwise."""
    doc = colon.doc
    i, words = colon.i - 1, []
    while i >= 0 and len(words) <= 6 and not is_dash(doc[i]) and not doc[i].is_space:
        words.insert(0, doc[i])
        i -= 1
    if i < 0 or not is_dash(doc[i]):
        return None
    if len(words) > 2 and words[0].lower_ == "more" and words[1].lower_ == "from":
        words = words[2:]
    if not 1 <= len(words) <= 4 or words[0].lower_ == "and" or words[-1].lower_ == "and":
        return None
    if len(words) == 1 and words[0].pos_ != "PROPN":
        return None  # "- Economy: ..."
    for t in words:
        if t.ent_type_ in ("DATE", "TIME"):
            return None  # "- Monday: ..."
        if t.lower_ in ("and", ".") or t.tag_ == "HYPH" and t.i != words[0].i:
            continue
        if not (t.pos_ in ("PROPN", "NOUN") and t.text[:1].isupper()):
            return None
    if art.text[words[0].idx : colon.idx].strip().lower() in art.lex.headline_labels:
        return None
    return words

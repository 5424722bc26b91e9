"""Stance coding (political claims analysis): who takes which position on which target.

A statement is (article, actor, codebook target, stance, evidence, cue). Candidates come
from two places:
1. attributions: the resolved speaker of a quote or reported speech holds the position
   its content expresses;
2. clauses whose grammatical subject is an actor and whose predicate carries a stance
   cue ("Italy and Poland have expressed reservations about ...", "Starmer prepares to
   double down on his plans for a peacekeeping force").
A scope (quote content or clause) is coded when it names a target (codebook terms, lemma-
and case-insensitive, or a back-reference such as "the idea" or a pronoun for a person
target) and carries a cue from `resources/stance_cues.yaml`. Negation flips favor and
against; hedges ("open to discussing", "does not rule out") are neutral. A mention with
no cue is not coded.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources

import yaml

from .actors import ArticleActors
from .codebooks import Codebook
from .lexicon import fold, table

METHOD = "rules-v1"
ANAPHORS = {"idea", "plan", "proposal", "move", "mission", "option", "it", "this", "that", "such"}
FIRST_PERSON = {"i", "we", "me", "us", "you", "they", "them", "it", "this", "that", "who", "which"}
CONTEXT_SENTENCES = 3


@dataclass(frozen=True)
class QuoteScope:
    """What the stance coder needs of one attribution (a row of the quotes table)."""

    quote_id: str
    segments: tuple[tuple[int, int], ...]
    speaker_actor_id: str | None
    cue_start: int | None


@dataclass
class Statement:
    actor_id: str
    actor: str
    actor_type: str
    country: str | None
    codebook: str
    codebook_version: str
    target: str
    stance: str
    confidence: float
    evidence_start: int
    evidence_end: int
    evidence: str
    cue: str
    quote_id: str | None


@dataclass(frozen=True)
class _Cue:
    words: tuple[str, ...]
    label: str
    negated_in_phrase: bool


@functools.cache
def cue_lexicon() -> tuple[dict[str, list[_Cue]], frozenset[str]]:
    """Cues by first lemma, longest first; and the negator words."""
    data = yaml.safe_load(resources.files("pipeline").joinpath("resources", "stance_cues.yaml").read_text("utf-8"))
    by_first: dict[str, list[_Cue]] = {}
    for label in ("favor", "against", "neutral"):
        for entry in data.get(label) or []:
            words = tuple(fold(w) for w in str(entry).split())
            cue = _Cue(words, label, any(w in ("not", "n't", "never", "no") for w in words))
            by_first.setdefault(words[0], []).append(cue)
    for cues in by_first.values():
        cues.sort(key=lambda c: -len(c.words))
    negators = frozenset(fold(str(w)) for w in data.get("negators") or [])
    return by_first, negators


@functools.cache
def holder_nouns() -> frozenset[str]:
    """Head nouns of unnamed actors that can hold a position ("a UK Government source",
    "Whitehall insiders", "the Baltic states")."""
    from .lexicon import word_list

    return word_list("role_nouns.txt") | word_list("group_nouns.txt") | word_list("holder_nouns.txt") | frozenset(
        w[:-1] for w in word_list("group_nouns.txt") if w.endswith("s"))


@functools.cache
def _variants() -> dict[str, frozenset[str]]:
    return {k: frozenset(v.split(",")) for k, v in table("target_variants.tsv").items()}


class TargetMatcher:
    """Finds codebook targets in token sequences by lemma or lower-case form."""

    def __init__(self, nlp, codebooks: list[Codebook]):
        self.entries: dict[str, list[tuple[tuple[frozenset[str], ...], Codebook, str]]] = {}
        self.person_targets: list[tuple[Codebook, str, tuple[str, ...]]] = []
        for book in codebooks:
            for target in book.targets:
                for term, doc in zip(target.terms, nlp.pipe(target.terms)):
                    words = tuple(
                        frozenset({fold(t.lemma_), t.lower_} | _variants().get(fold(t.lemma_), frozenset()))
                        for t in doc if not t.is_punct
                    )
                    if not words:
                        continue
                    for first in words[0]:
                        self.entries.setdefault(first, []).append((words, book, target.id))
                    if any(t.pos_ == "PROPN" for t in doc):
                        self.person_targets.append((book, target.id, tuple(t.lower_ for t in doc)))

    def find(self, tokens) -> list[tuple[Codebook, str, int]]:
        """(codebook, target id, token index) for each term occurrence in `tokens`."""
        out = []
        toks = list(tokens)
        keys = [{fold(t.lemma_), t.lower_} for t in toks]
        for i, key in enumerate(keys):
            for first in key:
                for words, book, target in self.entries.get(first, ()):
                    if i + len(words) <= len(toks) and all(keys[i + k] & words[k] for k in range(len(words))):
                        out.append((book, target, toks[i].i))
        return out

    def targets_of_actor(self, name: str) -> list[tuple[Codebook, str]]:
        """Targets that name the person `name` ("Hillary Clinton" -> target clinton)."""
        words = set(fold(name).split())
        return [(book, tid) for book, tid, term in self.person_targets
                if term and set(term) <= words]


def code_article(doc, actors: ArticleActors, quotes: list[QuoteScope], matcher: TargetMatcher) -> list[Statement]:
    """All statements of one article, one per (actor, codebook, target, stance)."""
    sents = list(doc.sents)
    sent_targets = [_targets_in(s, actors, matcher) for s in sents]
    sent_index = {s.start: k for k, s in enumerate(sents)}
    found: dict[tuple, Statement] = {}

    def add(stmt: Statement | None):
        if stmt is None:
            return
        key = (stmt.actor_id, stmt.codebook, stmt.target, stmt.stance)
        if key not in found or stmt.confidence > found[key].confidence:
            found[key] = stmt

    for q in quotes:
        if not q.speaker_actor_id:
            continue
        for a, b in q.segments:
            span = doc.char_span(a, b, alignment_mode="expand")
            if span is None:
                continue
            for sent in {t.sent for t in span}:
                lo, hi = max(sent.start, span.start), min(sent.end, span.end)
                scope = doc[lo:hi]
                for stmt in _code_scope(doc, scope, q.speaker_actor_id, actors, matcher, sents, sent_targets,
                                        sent_index[sent.start], q.quote_id, context=True):
                    add(stmt)
    for k, sent in enumerate(sents):
        for verb in sent:
            subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
            if not subjects or verb.pos_ not in ("VERB", "AUX", "ADJ"):
                continue
            holders = _holders(subjects[0], actors)
            if not holders:
                continue
            pred = [t for t in verb.subtree if t.i not in {x.i for s in subjects for x in s.subtree}]
            if not pred:
                continue
            scope = doc[min(t.i for t in pred):max(t.i for t in pred) + 1]
            negated_subject = any(t.lower_ in ("nobody", "no one", "none") for t in subjects[0].subtree)
            for actor_id in holders:
                for stmt in _code_scope(doc, scope, actor_id, actors, matcher, sents, sent_targets, k, None,
                                        context=True, extra_negation=negated_subject):
                    add(stmt)
    return sorted(found.values(), key=lambda s: (s.evidence_start, s.codebook, s.target, s.actor_id, s.stance))


def _holders(subject, actors: ArticleActors) -> list[str]:
    """Actor ids of a clause subject and its conjuncts ("Italy and Poland")."""
    heads = [subject] + [c for c in subject.conjuncts if c.i > subject.i]
    out = []
    for head in heads:
        if head.lower_ in FIRST_PERSON:
            continue
        left = min(t.i for t in head.subtree if not (t.dep_ in ("cc", "conj") or any(
            t.i >= c.i for c in head.conjuncts if c.i > head.i)) or t.i == head.i)
        right = head.i + 1
        while right < len(head.doc) and head.doc[right].dep_ in ("compound", "flat") and head.doc[right].head == head:
            right += 1
        span = head.doc[left:right] if left <= head.i else head.doc[head.i:head.i + 1]
        res = actors.resolve(span.start_char, span.end_char)
        if res.actor_id and res.method in ("name", "pronoun", "role", "description"):
            if res.method == "description" and fold(head.lemma_) not in holder_nouns():
                continue  # "the idea", "an effective force": not a stance holder
            out.append(res.actor_id)
    return list(dict.fromkeys(out))


def _targets_in(tokens, actors: ArticleActors, matcher: TargetMatcher) -> list[tuple[Codebook, str, int]]:
    found = matcher.find(tokens)
    for t in tokens:
        if t.lower_ in ("he", "him", "his", "she", "her", "hers"):
            res = actors.resolve(t.idx, t.idx + len(t))
            actor = actors.actor(res.actor_id)
            if actor is not None:
                found.extend((b, tid, t.i) for b, tid in matcher.targets_of_actor(actor.name))
    return found


def _code_scope(doc, scope, actor_id, actors, matcher, sents, sent_targets, k, quote_id,
                context: bool, extra_negation: bool = False):
    cue = _decide(scope, extra_negation)
    if cue is None:
        return []
    label, cue_text, confidence = cue
    targets = _targets_in(scope, actors, matcher)
    if not targets and context:
        has_anaphor = any(t.lemma_.lower() in ANAPHORS and t.dep_ not in ("mark", "det") or
                          (t.lower_ in ("such", "this") and t.dep_ == "det") for t in scope)
        no_object = not any(t.dep_ in ("dobj", "pobj", "xcomp", "ccomp") for t in scope)
        if has_anaphor or no_object:
            for back in range(k - 1, max(-1, k - 1 - CONTEXT_SENTENCES), -1):
                if sent_targets[back]:
                    targets = sent_targets[back]
                    confidence *= 0.8
                    break
    actor = actors.actor(actor_id)
    if actor is None:
        return []
    out = []
    seen = set()
    sent = scope[0].sent
    ev_start, ev_end = max(sent.start_char, scope.start_char), min(sent.end_char, scope.end_char)
    evidence = doc.text[ev_start:ev_end].strip()
    lead = len(doc.text[ev_start:ev_end]) - len(doc.text[ev_start:ev_end].lstrip())
    ev_start += lead
    ev_end = ev_start + len(evidence)
    for book, tid, _ in targets:
        if (book.name, tid) in seen or label not in book.stances:
            continue
        seen.add((book.name, tid))
        if actor.actor_type == "person" and (book, tid) in [(b, t) for b, t in matcher.targets_of_actor(actor.name)]:
            continue  # an actor is never coded toward itself
        out.append(Statement(
            actor_id=actor.actor_id, actor=actor.name, actor_type=actor.actor_type, country=actor.country,
            codebook=book.name, codebook_version=book.version, target=tid, stance=label,
            confidence=round(confidence, 3), evidence_start=ev_start, evidence_end=ev_end,
            evidence=evidence, cue=cue_text, quote_id=quote_id,
        ))
    return out


def _decide(scope, extra_negation: bool = False) -> tuple[str, str, float] | None:
    """(label, cue text, confidence) of a scope, or None when it carries no cue."""
    by_first, negators = cue_lexicon()
    toks = list(scope)
    lemmas = [fold(t.lemma_) for t in toks]
    lowers = [t.lower_ for t in toks]
    hits = []
    i = 0
    while i < len(toks):
        match = None
        for key in {lemmas[i], lowers[i]}:
            for cue in by_first.get(key, ()):
                n = len(cue.words)
                if all(cue.words[k] in (lemmas[i + k], lowers[i + k]) for k in range(n) if i + k < len(toks)) \
                        and i + n <= len(toks):
                    if match is None or n > len(match.words):
                        match = cue
        if match is None:
            i += 1
            continue
        n = len(match.words)
        label = match.label
        if not match.negated_in_phrase and _negated(toks, i, negators) ^ extra_negation:
            # "would not oppose" is favor, "not prepared to send" against, and a negated
            # hedge ("nobody is considering") a refusal.
            label = {"favor": "against", "against": "favor", "neutral": "against"}[label]
        hits.append((label, scope.doc[toks[i].i:toks[i + n - 1].i + 1].text, label == "neutral", n))
        i += n
    if not hits:
        return None
    if any(h[2] for h in hits):
        h = next(h for h in hits if h[2])
        return "neutral", h[1], 0.7
    votes = {"favor": 0, "against": 0}
    for label, _, _, n in hits:
        votes[label] += n
    label = max(votes, key=lambda v: (votes[v], v == "against"))
    cue_text = next(h[1] for h in reversed(hits) if h[0] == label)
    agreement = votes[label] / sum(votes.values())
    return label, cue_text, round(0.5 + 0.4 * agreement, 3)


def _negated(toks, i: int, negators: frozenset[str]) -> bool:
    """A negator governs the cue: a `neg` child of the cue or of its head, or a negator
    among the three tokens before it."""
    t = toks[i]
    for node in (t, t.head):
        if any(c.dep_ == "neg" for c in node.children):
            return True
    window = toks[max(0, i - 3):i]
    return any(fold(w.lower_) in negators for w in window)


def statement_rows(article_id: str, statements: list[Statement], raw_span) -> list[dict]:
    rows = []
    for s in statements:
        rs, re_ = raw_span(s.evidence_start, s.evidence_end)
        rows.append({
            "statement_id": f"{article_id}:{s.codebook}:{s.target}:{s.actor_id}:{s.stance}",
            "article_id": article_id, "actor_id": s.actor_id, "actor": s.actor, "actor_type": s.actor_type,
            "country": s.country, "codebook": s.codebook, "codebook_version": s.codebook_version,
            "target": s.target, "stance": s.stance, "confidence": s.confidence,
            "evidence_char_start": s.evidence_start, "evidence_char_end": s.evidence_end,
            "raw_char_start": rs, "raw_char_end": re_, "evidence": s.evidence, "cue": s.cue,
            "quote_id": s.quote_id, "method": METHOD,
        })
    return rows


def segments_from_json(value: str) -> tuple[tuple[int, int], ...]:
    return tuple((int(a), int(b)) for a, b in json.loads(value))

"""Target matching and the rule coder (political claims analysis): who takes which
position on which target.

The pipeline codes with the trained decision (`decision.py`) over the candidates of
`candidates.py`; this module gives both what they read (target mentions, quote scopes,
evidence spans) and the rule coder, whose statements are among the model's features.

A statement is (article, actor, codebook target, stance, evidence, cue). The rule coder links
three things through the dependency parse, sentence by sentence:

- target mentions: codebook terms (lemma- and case-insensitive; "the Democratic
  presidential nominee" matches "the Democratic nominee"), pronouns that refer to a person
  target ("she" after "Mrs. Clinton", "he" in a quote about Trump), and back-references to
  a target named just before ("the idea", "this");
- cues from `resources/stance_cues.yaml`. A *position* cue is the holder's stance toward
  what it governs ("Italy and Poland have expressed reservations about allowing troops",
  "his plans for a peacekeeping force", "endorsed by The New York Times"); an *evaluation*
  cue judges what it is said of ("this is unacceptable", "Trump is unfit", "called Clinton
  a champion"). Negation flips favor and against ("would not oppose" is favor, "not
  prepared to send" against); hedges and deferrals are neutral ("does not rule out");
- holders: the cue's subject, a noun cue's possessor, a passive's agent, or the speaker
  of the quote that holds the cue when it speaks in the first person or names no one
  else. A third person's position inside a quote is theirs, not the speaker's.

Each statement keeps the cue that decided it and a verbatim evidence excerpt (the
sentence, cut to the quote when a speaker holds it). `rule_statements` takes a parsed Doc,
its actors and its attributions, and returns statements; the one thing it changes is the
actors: a described speaker or holder ("a UK Government source") is added to them
(`ArticleActors.resolve_and_register`), so that its statements can name it. (A sentiment lexicon such as VADER
was tried for judgements the cue list lacks; on PolNeAR articles most of what it added
was wrong, so only listed cues decide.)
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources

import yaml

from pipeline.actors.records import SINGULAR_PRONOUNS
from pipeline.actors.resolver import ArticleActors
from pipeline.nlp.lexicon import fold, table, word_list
from pipeline.nlp.model import doc_text
from pipeline.stances.codebooks import Codebook
from pipeline.text.alignment import trim_span

METHOD = "rules-v2"  # the `method` of the rule coder's statements
PERSON_PRONOUNS = SINGULAR_PRONOUNS  # he/him/his... -> the gender they refer to (actors' table)
HONORIFICS = {"mr": "m", "mr.": "m", "mrs": "f", "mrs.": "f", "ms": "f", "ms.": "f", "miss": "f"}
SPEAKER_WORDS = {"i", "we", "me", "us", "my", "our", "myself", "ourselves"}
NEGATIVE_SUBJECTS = {"nobody", "none", "noone", "neither", "nothing"}
RELATIVIZERS = {"that", "who", "which", "whom"}
UNRESOLVED_SUBJECTS = {
    "you",
    "they",
    "them",
    "it",
    "this",
    "that",
    "there",
    "one",
    "someone",
    "everyone",
    "everybody",
    "anyone",
    "what",
    "which",
    "who",
    "these",
    "those",
    "all",
    "some",
}
ANAPHOR_NOUNS = {"idea", "plan", "proposal", "move", "mission", "option", "deployment", "scheme", "initiative"}
ANAPHOR_PRONOUNS = {"it", "this"}
CALLING_VERBS = {"call", "describe", "label", "brand", "dub", "deem", "term", "consider", "find"}
SUBJECT_DEPS = ("nsubj", "nsubjpass", "csubj")
QUOTE_MARKS = frozenset('"“”„«»')
ANIMATE_PRONOUNS = {
    "they",
    "them",
    "you",
    "he",
    "she",
    "him",
    "her",
    "who",
    "someone",
    "everyone",
    "everybody",
    "anyone",
    "people",
}
DEONTIC = {"should", "must", "have", "need", "require"}  # cues by which a speaker prescribes what others do
CONDITIONS = {"if", "unless", "whether"}
# prepositions whose phrase is a circumstance of a verb, not what a position is about
ADJUNCT_PREPS = {
    "during",
    "after",
    "before",
    "since",
    "amid",
    "despite",
    "following",
    "at",
    "throughout",
    "until",
    "near",
    "while",
    "in",
    "from",
    "by",
    "over",
    "than",
}
# relations through which a cue without a subject of its own takes its governor's
SUBJECT_INHERITING_DEPS = {
    "xcomp",
    "acomp",
    "dobj",
    "attr",
    "oprd",
    "prep",
    "pobj",
    "pcomp",
    "conj",
    "advcl",
    "amod",
    "compound",
    "aux",
    "auxpass",
    "neg",
    "advmod",
    "npadvmod",
    "dative",
    "appos",
    "dep",
    "nmod",
}
CONTEXT_SENTENCES = 3  # how far back a back-reference or a bare cue looks for its target
PRONOUN_SENTENCES = 6  # how far back a pronoun looks for the person target it names


@dataclass(frozen=True)
class QuoteScope:
    """What the stance coder needs of one attribution (a row of the quotes table)."""

    quote_id: str
    segments: tuple[tuple[int, int], ...]
    speaker_actor_id: str | None
    cue_start: int | None
    speaker_span: tuple[int, int] | None = None  # re-creates a described speaker ("a UK Government source")
    negated: bool = False  # "did not say", "Neither Cruz nor Christie said": no speaker holds what it says

    COLUMNS = (
        "quote_id",
        "content_segments",
        "speaker_actor_id",
        "cue_char_start",
        "speaker_char_start",
        "speaker_char_end",
        "negated",
    )

    @classmethod
    def from_row(cls, row) -> QuoteScope:
        """The coder's view of a quotes row (a mapping with at least `COLUMNS`), staged or loaded."""
        start = row["speaker_char_start"]
        speaker = (start, row["speaker_char_end"]) if start is not None else None
        segments = segments_from_json(row["content_segments"])
        return cls(
            row["quote_id"], segments, row["speaker_actor_id"], row["cue_char_start"], speaker, bool(row["negated"])
        )


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
    method: str = METHOD  # the rules, or the trained model's version


# ---------------------------------------------------------------------- lexicons


@dataclass(frozen=True)
class _Cue:
    words: tuple[str, ...]
    pos: str | None
    label: str
    kind: str  # position | evaluation
    negated_in_phrase: bool


@dataclass(frozen=True)
class _Lexicon:
    by_first: dict[str, list[_Cue]]
    negators: frozenset[str]
    receiving: frozenset[str]
    contests: frozenset[str]
    agentive: frozenset[str]
    reversers: frozenset[str]
    acts: frozenset[str]
    prefixes: dict[str, str]


@functools.cache
def lexicon() -> _Lexicon:
    """The cue lexicon of resources/stance_cues.yaml, cues indexed by first word, longest first."""
    data = yaml.safe_load(resources.files("pipeline.nlp").joinpath("resources", "stance_cues.yaml").read_text("utf-8"))
    by_first: dict[str, list[_Cue]] = {}
    for kind in ("position", "evaluation"):
        for label, entries in (data.get(kind) or {}).items():
            for entry in entries or []:
                text, _, pos = str(entry).partition("/")
                words = tuple(fold(w) for w in text.replace("-", " - ").split())  # spaCy splits "fund-raiser"
                cue = _Cue(
                    words, pos.upper() or None, label, kind, any(w in ("not", "n't", "never", "no") for w in words)
                )
                by_first.setdefault(words[0], []).append(cue)
    for cues in by_first.values():
        cues.sort(key=lambda c: -len(c.words))
    prefixes = {fold(str(w)): label for label, words in (data.get("prefixes") or {}).items() for w in words}
    return _Lexicon(
        by_first,
        frozenset(fold(str(w)) for w in data.get("negators") or []),
        frozenset(fold(str(w)) for w in data.get("receiving") or []),
        frozenset(fold(str(w)) for w in data.get("contests") or []),
        frozenset(fold(str(w)) for w in data.get("agentive") or []),
        frozenset(fold(str(w)) for w in data.get("reversers") or []),
        frozenset(fold(str(w)) for w in data.get("acts") or []),
        prefixes,
    )


@functools.cache
def holder_nouns() -> frozenset[str]:
    """Head nouns of unnamed actors that can hold a position ("a UK Government source",
    "Whitehall insiders", "the Clinton campaign")."""
    groups = word_list("group_nouns.txt")
    return (
        word_list("role_nouns.txt")
        | groups
        | word_list("holder_nouns.txt")
        | word_list("organization_nouns.txt")
        | frozenset(w[:-1] for w in groups if w.endswith("s"))
    )


@functools.lru_cache(maxsize=65536)
def _norm(word: str) -> str:
    """A word as the cue lexicon writes it: folded, straight apostrophes, "’m" as "be"."""
    word = fold(word).replace("’", "'")
    return {"'m": "be", "'re": "be", "ai": "be"}.get(word, word)


@functools.cache
def speech_verbs() -> frozenset[str]:
    """Verbs of saying and thinking (the attribution extractor's lists): a clause whose
    subject says or thinks something is that subject's, not part of a complement."""
    return word_list("speech_verbs.txt") | word_list("attitude_verbs.txt")


@functools.cache
def _variants() -> dict[str, frozenset[str]]:
    return {k: frozenset(v.split(",")) for k, v in table("target_variants.tsv").items()}


# ---------------------------------------------------------------------- token arrays


def token_strings(doc, attrs: tuple[str, ...]) -> tuple[list[str], ...]:
    """Each token's string value of each attribute ("LOWER", "LEMMA", "POS", ...), one list
    per attribute, read from the Doc's array: no Token object is made."""
    import numpy
    from spacy import attrs as spacy_attrs

    if not len(doc):
        return tuple([] for _ in attrs)
    strings = doc.vocab.strings
    columns = doc.to_array([getattr(spacy_attrs, a) for a in attrs]).reshape(len(doc), len(attrs))
    out = []
    for k in range(len(attrs)):
        values, index = numpy.unique(columns[:, k], return_inverse=True)
        names = [strings[int(v)] for v in values]
        out.append([names[j] for j in index.tolist()])
    return tuple(out)


def _token_keys(lemmas: list[str], lowers: list[str]) -> list[set[str]]:
    """{folded lemma, lower form} of each token; one set per distinct pair (never mutated)."""
    seen: dict[tuple[str, str], set[str]] = {}
    out = []
    for pair in zip(lemmas, lowers):
        key = seen.get(pair)
        if key is None:
            key = seen[pair] = {fold(pair[0]), pair[1]}
        out.append(key)
    return out


# ---------------------------------------------------------------------- targets


def is_name_term(toks, declared_person: bool = False) -> bool:
    """Whether a codebook term's tokens (punctuation left out) are a name: every word a
    proper noun to the tagger, and one capitalised at least ("weaponry", which the small model
    may tag PROPN when it stands alone, is no name; "von der Leyen" is), unless the target is
    declared a person (`person: true`: "hillary clinton" is a name there)."""
    return (
        bool(toks)
        and all(t.pos_ == "PROPN" for t in toks)
        and (declared_person or any(t.text[:1].isupper() for t in toks))
    )


class TargetMatcher:
    """Finds codebook targets in token sequences by lemma or lower-case form, and knows
    which targets are people (a term that is a name) and by which names."""

    def __init__(self, nlp, codebooks: list[Codebook]):
        self.entries: dict[str, list[tuple[tuple[frozenset[str], ...], Codebook, str]]] = {}
        self.by_head: dict[str, list[tuple[tuple[frozenset[str], ...], Codebook, str]]] = {}
        self.person_terms: dict[tuple[str, str], list[tuple[str, ...]]] = {}
        self.books = {b.name: b for b in codebooks}
        heads: dict[tuple[str, str], set[str]] = {}
        for book in codebooks:
            for target in book.targets:
                for _term, doc in zip(target.terms, nlp.pipe(target.terms)):
                    toks = [t for t in doc if not t.is_punct]
                    words = tuple(
                        frozenset({fold(t.lemma_), t.lower_} | _variants().get(fold(t.lemma_), frozenset()))
                        for t in toks
                    )
                    if not words:
                        continue
                    for first in words[0]:
                        self.entries.setdefault(first, []).append((words, book, target.id))
                    if len(toks) > 1 and toks[-1].pos_ == "NOUN":
                        heads.setdefault((book.name, target.id), set()).add(fold(toks[-1].lemma_))
                        for last in words[-1]:
                            self.by_head.setdefault(last, []).append((words, book, target.id))
                    # a name: the target is a person, unless its codebook says not (`person: false`)
                    if target.person is not False and is_name_term(toks, target.person is True):
                        self.person_terms.setdefault((book.name, target.id), []).append(
                            tuple(t.lower_ for t in toks if t.pos_ == "PROPN")
                        )
        self._heads = {k: frozenset(v) for k, v in heads.items()}
        self._targets_of_actor: dict[str, list[tuple[Codebook, str]]] = {}

    def find(
        self, tokens, keys: list[set[str]] | None = None, poses: list[str] | None = None
    ) -> list[tuple[Codebook, str, int, int]]:
        """(codebook, target id, first token index, end token index) of each term occurrence:
        consecutive words, or a noun whose left modifiers hold the term's other words in
        order ("the Democratic presidential nominee" for "the Democratic nominee").
        `tokens`: a Doc or Span; `keys` (each token's {folded lemma, lower form}) and
        `poses` (each token's POS tag), when the caller has read them already."""
        out = []
        start = getattr(tokens, "start", 0)  # a Span's first token in its Doc
        doc = getattr(tokens, "doc", tokens)
        if keys is None:
            keys = [{fold(t.lemma_), t.lower_} for t in tokens]
        if poses is None:
            poses = [t.pos_ for t in tokens]
        for i, key in enumerate(keys):
            for first in key:
                for words, book, target in self.entries.get(first, ()):
                    end = _words_at(keys, i, words, poses)
                    if end is not None:
                        out.append((book, target, start + i, start + end))
            if poses[i] != "NOUN":
                continue
            for last in key:
                for words, book, target in self.by_head.get(last, ()):
                    head = doc[start + i]
                    left = list(head.lefts)
                    k, matched = 0, []
                    for c in left:
                        if k < len(words) - 1 and {fold(c.lemma_), c.lower_} & words[k]:
                            matched.append(c)
                            k += 1
                    if k == len(words) - 1 and matched:
                        out.append((book, target, matched[0].i, start + i + 1))
        return list(dict.fromkeys(out))  # a noun term's gap and its head noun may find one span twice

    def heads(self, book: Codebook, target: str) -> frozenset[str]:
        """Head nouns of the target's multi-word terms ("troop" for "peacekeeping troops")."""
        return self._heads.get((book.name, target), frozenset())

    def is_person(self, book: Codebook, target: str) -> bool:
        return (book.name, target) in self.person_terms

    def _name_match(self, name: str, book: Codebook, target: str) -> bool | None:
        """True when a person called `name` is the person target ("Hillary Clinton",
        "Clinton", "Donald J. Trump"), False when it is someone else with the target's
        surname ("Bill Clinton"), None when the surname differs."""
        words = [w.rstrip(".") for w in fold(name).replace("-", " ").split() if w.rstrip(".")]  # Ocasio-Cortez
        terms = self.person_terms.get((book.name, target), [])
        surnames = {t[-1].rstrip(".") for t in terms}
        if not words or words[-1] not in surnames:
            return None
        known = {w.rstrip(".") for t in terms for w in t}
        return len(words) == 1 or words[-2] in known

    def names_target(self, name: str, book: Codebook, target: str) -> bool:
        """Whether a person called `name` is the person target."""
        return self._name_match(name, book, target) is True

    def other_person(self, name: str, book: Codebook, target: str) -> bool:
        """Whether `name` is someone else with the target's surname ("Bill Clinton")."""
        return self._name_match(name, book, target) is False

    def in_name(self, name: str, book: Codebook, target: str) -> bool:
        """Whether a description names the person target ("Clinton supporters")."""
        words = set(fold(name).replace("'s", " ").replace("’s", " ").replace("-", " ").split())
        return any(term[-1] in words for term in self.person_terms.get((book.name, target), []))

    def targets_of_actor(self, name: str) -> list[tuple[Codebook, str]]:
        """Person targets that `name` names ("Hillary Clinton" -> target clinton)."""
        found = self._targets_of_actor.get(name)
        if found is None:
            found = self._targets_of_actor[name] = [
                (self.books[b], t) for b, t in self.person_terms if self.names_target(name, self.books[b], t)
            ]
        return found


DASHES = frozenset("-‐‑–—")  # hyphen-minus, hyphen, non-breaking hyphen, en and em dash


TERM_GAP_POS = frozenset({"DET", "ADJ", "NUM"})  # words a term's own words may enclose
MAX_TERM_GAP = 2


def _words_at(
    keys: list[set[str]], i: int, words: tuple[frozenset[str], ...], poses: list[str] | None = None
) -> int | None:
    """The end of a term's `words` read from token i on (None: they are not there). A hyphen
    or dash (DASHES) between two of them is passed over: a term's own hyphens are punctuation, which it drops
    ("Dodd-Frank" keys as dodd, frank), while the text keeps them ("Dodd", "-", "Frank"), so
    "Dodd-Frank" and "Dodd Frank" find each other both ways. With `poses`, determiners,
    adjectives or numbers between the term's words, MAX_TERM_GAP in all, are passed over
    too ("send more troops" for "send troops", "ban all Muslims" for "ban Muslims"; "ban
    no Muslims" as well: the term finds the target, the coder reads the negation)."""
    j, n = i, len(keys)
    gaps = 0
    for k, want in enumerate(words):
        if k and j < n and keys[j] & DASHES and not want & DASHES:
            j += 1
        if k and poses is not None:
            while j < n and not keys[j] & want and poses[j] in TERM_GAP_POS and gaps < MAX_TERM_GAP:
                j, gaps = j + 1, gaps + 1
        if j >= n or not keys[j] & want:
            return None
        j += 1
    return j


@dataclass(frozen=True)
class _Mention:
    book: Codebook
    target: str
    start: int  # token span
    end: int
    head: int
    kind: str  # term | pronoun | anaphor | part (inside another name: "Trump Tower")


@dataclass(frozen=True)
class _Occ:
    """A cue found in the text: its tokens, phrase head and the token it governs from."""

    start: int
    end: int
    cue: _Cue
    head: int
    gov: int


# ---------------------------------------------------------------------- coding


def rule_statements(doc, actors: ArticleActors, quotes: list[QuoteScope], matcher: TargetMatcher) -> list[Statement]:
    """All statements the rule coder finds in one article, one per (actor, codebook,
    target, stance). The pipeline codes with the trained decision
    (`decision.code_article`); the rules' statements are among its features."""
    return ArticleReading(doc, actors, quotes, matcher).code()


class ArticleReading:
    """One article while it is coded: its sentences, quotes, target mentions and cues."""

    def __init__(self, doc, actors: ArticleActors, quotes: list[QuoteScope], matcher: TargetMatcher):
        self.doc, self.actors, self.matcher, self.lex = doc, actors, matcher, lexicon()
        self.text = doc_text(doc)
        self.sents = list(doc.sents)
        # Token attributes read in whole-document passes, read once and from arrays: spaCy
        # makes a new Token object at every doc[i] and every step over the Doc.
        self.lowers, self.lemmas, self.poses = token_strings(doc, ("LOWER", "LEMMA", "POS"))
        self.keys = _token_keys(self.lemmas, self.lowers)  # as TargetMatcher.find
        self.sent_of = [0] * len(doc)
        for k, s in enumerate(self.sents):
            for i in range(s.start, s.end):
                self.sent_of[i] = k
        self.quotes = quotes
        self.quote_of: list[QuoteScope | None] = [None] * len(doc)
        self.quote_start: dict[str, int] = {}
        self.direct: set[str] = set()  # quotes that are the speaker's own words
        self.speakers = {q.speaker_actor_id for q in quotes if q.speaker_actor_id}
        self.co_speakers: dict[str, tuple[str, ...]] = {}  # quote id -> every speaker a span lists
        for q in quotes:
            if not q.speaker_actor_id:
                continue
            if actors.actor(q.speaker_actor_id) is None and q.speaker_span is not None:
                # a described speaker ("a UK Government source") is no entity's actor: add it
                # so that the statements it holds can name it
                actors.resolve_and_register(*q.speaker_span)
            if q.speaker_span is not None and not q.negated:  # "Ted Cruz and Marco Rubio said": both hold it
                each = [actors.register(r).actor_id for r in actors.resolve_each(*q.speaker_span)]
                if len(each) > 1 and q.speaker_actor_id in each:
                    self.co_speakers[q.quote_id] = tuple(each)
                    self.speakers.update(each)
            if any(self.text[a:b].lstrip()[:1] in QUOTE_MARKS for a, b in q.segments):
                self.direct.add(q.quote_id)  # the speaker's own words, not "she said she was “open to ...”"
            for a, b in q.segments:
                span = doc.char_span(a, b, alignment_mode="expand")
                if span is None:
                    continue
                self.quote_start.setdefault(q.quote_id, span.start)
                for i in range(span.start, span.end):
                    if self.quote_of[i] is None:
                        self.quote_of[i] = q
        self.found: dict[tuple, Statement] = {}
        self.coded: list[Statement] | None = None
        self.ents = list(doc.ents)
        self.mentions = self._mentions()
        self.mentions_in: dict[int, list[_Mention]] = {}  # by sentence
        for m in self.mentions:
            self.mentions_in.setdefault(self.sent_of[m.head], []).append(m)
        self.occs = self._cues()

    @functools.cached_property
    def folded_lemmas(self) -> list[str]:
        """Each token's lemma, folded (`lexicon.fold`: lower case, no accents)."""
        return [fold(lemma) for lemma in self.lemmas]

    # ------------------------------------------------------------------ driver

    def code(self) -> list[Statement]:
        """The rule coder's statements (read once, then kept)."""
        if self.coded is None:
            self.coded = self._code()
        return self.coded

    def _code(self) -> list[Statement]:
        by_gov = {}
        for o in sorted(self.occs, key=lambda o: o.head != o.gov):  # "should disqualify": the verb decides
            if o.cue.kind == "position":
                by_gov.setdefault(o.gov, o)
        for m in self.mentions:
            self._position(m, by_gov)
            self._receiving(m, by_gov)
        for m in self.mentions + self.parts:
            self._prefixed(m)
        for o in self.occs:
            if o.cue.kind == "evaluation":
                self._evaluation(o)
            elif not self._governs_any(o):
                self._bare(o)
        return sorted(self.found.values(), key=lambda s: (s.evidence_start, s.codebook, s.target, s.actor_id, s.stance))

    def _add(
        self,
        actor_id: str,
        quote: QuoteScope | None,
        m: _Mention,
        label: str,
        cue: str,
        at: int,
        confidence: float,
        from_name: bool = False,
    ) -> None:
        actor = self.actors.actor(actor_id)
        if actor is None or label not in m.book.stances:
            return
        if actor.actor_type == "person" and self.matcher.names_target(actor.name, m.book, m.target):
            return  # an actor is never coded toward itself
        if not from_name and actor.actor_type != "person" and self.matcher.in_name(actor.name, m.book, m.target):
            return  # "Clinton supporters" toward Clinton: their name, not a statement
        start, end = self.evidence_span(at, quote)
        if m.kind != "term":
            confidence *= 0.9
        key = (actor.actor_id, m.book.name, m.target, label)
        if key in self.found and self.found[key].confidence >= confidence:
            return
        self.found[key] = Statement(
            actor_id=actor.actor_id,
            actor=actor.name,
            actor_type=actor.actor_type,
            country=actor.country,
            codebook=m.book.name,
            codebook_version=m.book.version,
            target=m.target,
            stance=label,
            confidence=round(confidence, 3),
            evidence_start=start,
            evidence_end=end,
            evidence=self.text[start:end],
            cue=cue,
            quote_id=quote.quote_id if quote else None,
        )

    def evidence_span(self, i: int, quote: QuoteScope | None) -> tuple[int, int]:
        """The sentence of token i, cut to the quote segment that holds it."""
        sent = self.sents[self.sent_of[i]]
        a, b = sent.start_char, sent.end_char
        if quote is not None:
            at = self.doc[i].idx
            for s, e in quote.segments:
                if s <= at < e and min(b, e) > max(a, s):
                    a, b = max(a, s), min(b, e)
                    break
        return trim_span(self.text, a, b)

    # ------------------------------------------------------------------ target mentions

    def speakers_of(self, q: QuoteScope) -> tuple[str, ...]:
        """The speakers who hold what attribution q says: every actor its speaker span lists
        ("Ted Cruz and Marco Rubio said"), else its one speaker; () when it has none or its
        cue is negated ("Rubio did not say that ...", "Neither Cruz nor Christie said")."""
        if q.negated:
            return ()
        return self.co_speakers.get(q.quote_id) or ((q.speaker_actor_id,) if q.speaker_actor_id else ())

    def _mentions(self) -> list[_Mention]:
        doc, matcher = self.doc, self.matcher
        hits: dict[tuple, _Mention] = {}
        for sent in self.sents:
            for book, tid, a, b in matcher.find(
                sent, self.keys[sent.start : sent.end], self.poses[sent.start : sent.end]
            ):
                if matcher.is_person(book, tid) and any(
                    (p := self.actors.person_at(i)) is not None and matcher.other_person(p.name, book, tid)
                    for i in range(a, b)
                ):
                    continue  # "Clinton" naming Bill Clinton is not the target Hillary Clinton
                span = doc[a:b]
                key = (book.name, tid, span.root.i)
                kind = "part" if self._inside_name(a, b) else "term"
                if key not in hits or b - a > hits[key].end - hits[key].start:
                    hits[key] = _Mention(book, tid, a, b, span.root.i, kind)
        self.parts = sorted((m for m in hits.values() if m.kind == "part"), key=lambda m: m.start)
        terms = sorted((m for m in hits.values() if m.kind == "term"), key=lambda m: m.start)
        self.gender = self._genders(terms)
        terms = [m for m in terms if not self._other_gender(m)]
        self.term_mentions = terms
        title_end = next((t.i for t in doc if "\n" in t.text), 0)
        in_title: dict[str, dict[str, _Mention]] = {}  # codebook -> its person targets the title names
        for m in hits.values():
            if m.end <= title_end and matcher.is_person(m.book, m.target):
                in_title.setdefault(m.book.name, {})[m.target] = m
        # per codebook, the person the title is about (a codebook reads only its own targets)
        self.topic = {book: next(iter(ms.values())) for book, ms in in_title.items() if len(ms) == 1}
        out = list(terms)
        named: dict[str, set[int]] = {}  # codebook -> the tokens its terms name
        for m in terms:
            named.setdefault(m.book.name, set()).add(m.head)
        heads = frozenset().union(*(matcher.heads(m.book, m.target) for m in terms)) if terms else frozenset()
        for i, (lower, lemma, pos) in enumerate(zip(self.lowers, self.lemmas, self.poses)):
            if pos == "NOUN" and fold(lemma) in heads:
                # a shortened back-reference: "the troops" after "peacekeeping troops"
                for m in self._recent(terms, i, CONTEXT_SENTENCES, persons=False):
                    if i not in named[m.book.name] and fold(lemma) in matcher.heads(m.book, m.target):
                        out.append(_Mention(m.book, m.target, i, i + 1, i, "anaphor"))
            if lower in PERSON_PRONOUNS:
                tok = doc[i]
                person = self.actors.actor(self.actors.resolve(tok.idx, tok.idx + len(tok)).actor_id)
                for book in matcher.books.values():  # each codebook resolves it apart
                    known = [m for m in out if m.book.name == book.name and m.kind in ("term", "pronoun")]
                    hit = self._pronoun_target(tok, known, book, person)
                    if hit is not None:
                        out.append(_Mention(hit[0], hit[1], i, i + 1, i, "pronoun"))
            elif (lower in ANAPHOR_PRONOUNS and pos == "PRON" and doc[i].dep_ in ("nsubj", "nsubjpass", "dobj")) or (
                lemma.lower() in ANAPHOR_NOUNS
                and any(
                    c.dep_ == "det" and c.lower_ in ("the", "this", "that", "such") or c.lower_ == "such"
                    for c in doc[i].children
                )
            ):
                for m in self._recent(terms, i, CONTEXT_SENTENCES if pos == "NOUN" else 1, persons=False):
                    out.append(_Mention(m.book, m.target, i, i + 1, i, "anaphor"))
        return sorted(out, key=lambda m: (m.start, m.kind != "term"))

    def _other_gender(self, m: _Mention) -> bool:
        """ "Mr. Clinton" in an article that calls the target Mrs. Clinton is someone else."""
        said = HONORIFICS.get(self.doc[m.start - 1].lower_) if m.start > 0 else None
        known = self.gender.get((m.book.name, m.target))
        return said is not None and known is not None and said != known

    def _inside_name(self, a: int, b: int) -> bool:
        """Whether tokens a..b are part of a longer name of something else ("the Trump
        Foundation", "pro-Clinton Priorities USA Action"): not a mention of the target."""
        last = self.doc[b - 1]
        if last.dep_ == "compound" and last.head.pos_ == "PROPN" and not a <= last.head.i < b:
            return True  # "Trump Tower"
        head = last
        while head.dep_ == "compound" and head.head.i != head.i:
            head = head.head
            if head.ent_type_ == "PERSON" and not a <= head.i < b:
                return True  # "Donald Trump campaign manager Corey Lewandowski"
        ent = self.doc[a].ent_type_ and next((e for e in self.ents if e.start <= a < e.end), None)
        return (
            bool(ent) and ent.label_ != "PERSON" and any(t.pos_ in ("PROPN", "NOUN") and not a <= t.i < b for t in ent)
        )

    def _genders(self, terms: list[_Mention]) -> dict[tuple[str, str], str]:
        """The gender of each person target as the article shows it: an honorific before
        its name ("Mrs. Clinton") or a pronoun the actor resolver links to it."""
        votes: dict[tuple[str, str], dict[str, int]] = {}
        for m in terms:
            if self.matcher.is_person(m.book, m.target) and m.start > 0:
                g = HONORIFICS.get(self.doc[m.start - 1].lower_)
                if g:
                    votes.setdefault((m.book.name, m.target), {}).setdefault(g, 0)
                    votes[(m.book.name, m.target)][g] += 1
        for i, lower in enumerate(self.lowers):
            g = PERSON_PRONOUNS.get(lower)
            if g is None:
                continue
            t = self.doc[i]
            res = self.actors.resolve(t.idx, t.idx + len(t))
            actor = self.actors.actor(res.actor_id)
            if actor is None or actor.actor_type != "person":
                continue
            for book, tid in self.matcher.targets_of_actor(actor.name):
                votes.setdefault((book.name, tid), {}).setdefault(g, 0)
                votes[(book.name, tid)][g] += 1
        return {k: max(v, key=v.get) for k, v in votes.items()}

    def _recent(self, terms: list[_Mention], i: int, sentences: int, persons: bool | None) -> list[_Mention]:
        """Target mentions of the closest earlier sentence (this one included, up to token i)
        that has any, at most `sentences` back, for each codebook apart (another codebook's
        nearer mention does not hide this one's); one per target."""
        k = self.sent_of[i]
        out: dict[tuple[str, str], _Mention] = {}
        for book in dict.fromkeys(m.book.name for m in terms):
            for back in range(k, max(-1, k - sentences - 1), -1):
                found = [
                    m
                    for m in terms
                    if m.book.name == book
                    and self.sent_of[m.head] == back
                    and m.end <= i
                    and (persons is None or self.matcher.is_person(m.book, m.target) == persons)
                ]
                if found:
                    for m in found:
                        out[(m.book.name, m.target)] = m
                    break
        return list(out.values())

    def _pronoun_target(self, tok, terms: list[_Mention], codebook: Codebook, person) -> tuple[Codebook, str] | None:
        """The person target of `codebook` a he/she refers to (`terms`: that codebook's
        mentions; `person`: the actor the resolver links the pronoun to, or None): that
        actor's target, else the gender-compatible person target named last (within a few
        sentences) unless the resolver's person was named more recently (inside a quote:
        named in that quote), so "he" in a voter's quote about Trump is Trump, not the voter."""
        gender = PERSON_PRONOUNS[tok.lower_]
        if person is not None and person.actor_type == "person":
            for book, tid in self.matcher.targets_of_actor(person.name):
                if book.name == codebook.name and self.gender.get((book.name, tid), gender) == gender:
                    return book, tid
        cands = [
            m
            for m in self._recent(terms, tok.i, PRONOUN_SENTENCES, persons=True)
            if self.gender.get((m.book.name, m.target), gender) == gender
        ]
        q = self.quote_of[tok.i]
        if not cands:
            # far from any mention, "he" in a quote is the person the title is about
            topic = self.topic.get(codebook.name)
            if (
                topic is not None
                and q is not None
                and q.quote_id in self.direct
                and self.gender.get((topic.book.name, topic.target), gender) == gender
                and (person is None or person.actor_id in self.speakers)
            ):
                return topic.book, topic.target
            return None
        best = max(cands, key=lambda m: m.end)
        if person is None:
            return best.book, best.target
        if q is not None and q.quote_id in self.direct:
            # in someone's own words "he" is not the speaker, nor another quoted source, unless
            # the quote itself names someone ("the president signed this bill ... he")
            named = any(
                self._names_someone(i, codebook)
                for i in range(self.quote_start[q.quote_id], tok.i)
                if self.quote_of[i] is q
            )
            if person.actor_id in self.speakers_of(q) or (person.actor_id in self.speakers and not named):
                return best.book, best.target
            return None if named and best.end <= self.quote_start[q.quote_id] else (best.book, best.target)
        elif q is not None and (person.actor_id == q.speaker_actor_id or person.actor_id in self.speakers_of(q)):
            return None  # reported speech: "she said she was ..." is the speaker
        if any(best.end <= i < tok.i for i in self.actors.positions(person.actor_id)):
            return None
        return best.book, best.target

    def _names_someone(self, i: int, codebook: Codebook) -> bool:
        """Whether token i names a person who is not a target of `codebook`: a name or "the
        president"."""
        t = self.doc[i]
        p = self.actors.person_at(i)
        if p is not None:
            return not any(book.name == codebook.name for book, _ in self.matcher.targets_of_actor(p.name))
        return (
            t.pos_ == "NOUN"
            and t.tag_ == "NN"
            and fold(t.lemma_) in word_list("role_nouns.txt")
            and any(c.dep_ in ("det", "poss") for c in t.children)
        )

    # ------------------------------------------------------------------ cues

    def _cues(self) -> list[_Occ]:
        doc, lex = self.doc, self.lex
        lemmas = [_norm(w) for w in self.lemmas]
        lowers = [_norm(w) for w in self.lowers]
        out = []
        i = 0
        while i < len(doc):
            best = None
            for key in {lemmas[i], lowers[i]}:
                for cue in lex.by_first.get(key, ()):
                    n = len(cue.words)
                    if i + n > len(doc) or (best is not None and n <= len(best.words)):
                        continue
                    if cue.pos == "INF":
                        if not any(c.dep_ == "aux" and c.lower_ == "to" for c in doc[i].children):
                            continue
                    elif cue.pos and doc[i].pos_ != cue.pos:
                        continue
                    if (
                        n == 1
                        and (doc[i].pos_ == "ADP" or cue.words[0] == "against")
                        and not self._predicate_prep(doc[i])
                    ):
                        continue
                    if (
                        all(cue.words[k] in (lemmas[i + k], lowers[i + k]) for k in range(n))
                        and self.sent_of[i] == self.sent_of[i + n - 1]
                    ):
                        best = cue
            if best is None:
                i += 1
                continue
            n = len(best.words)
            span = doc[i : i + n]
            tops = [t for t in span if not i <= t.head.i < i + n or t.head.i == t.i]
            content = [t for t in tops if t.dep_ not in ("neg", "aux", "auxpass", "det", "punct", "advmod")]
            head = (content or tops or [span.root])[-1]  # "not fit": fit, not the negation
            gov = head.head if head.dep_ in ("aux", "auxpass") and head.head.i != head.i else head
            out.append(_Occ(i, i + n, best, head.i, gov.i))
            i += n
        return out

    def _predicate_prep(self, t) -> bool:
        """ "is against", "voted against": a preposition cue on "be" or a verb other than
        one of contest ("running against", "charges against her" and "up against" are not)."""
        head = t.head
        if t.i > 0 and fold(self.doc[t.i - 1].lower_) in self.lex.contests:
            return False
        if head.lemma_ == "be":
            return True
        return head.pos_ == "VERB" and fold(head.lemma_) not in self.lex.contests

    def _text(self, o: _Occ) -> str:
        """The cue as written, with a negation and modal just before it ("would not oppose")."""
        doc, start = self.doc, o.start
        for i in range(o.start - 1, max(-1, o.start - 4), -1):
            if self.sent_of[i] != self.sent_of[o.start]:
                break
            if doc[i].dep_ == "neg" or _norm(doc[i].lower_) in self.lex.negators:
                start = i
                if i > 0 and doc[i - 1].pos_ == "AUX":
                    start = i - 1
                break
        return doc[start : o.end].text

    def _negated(self, o: _Occ, owner=None) -> bool:
        """A negation governs the cue: a `neg` or "no" dependent of the cue or of the verbs
        it hangs from within its clause, a negator right before it, or a negative subject."""
        if o.cue.negated_in_phrase:
            return False
        doc = self.doc
        t = doc[o.gov]
        for _ in range(4):
            if any(c.dep_ == "neg" or (c.dep_ == "det" and c.lower_ in ("no", "never")) for c in t.children):
                return True
            if (
                t.dep_ not in ("acomp", "xcomp", "attr", "oprd", "dobj", "aux", "auxpass", "amod", "advmod")
                or t.head.i == t.i
            ):
                break
            t = t.head
        if o.start > 0 and _norm(doc[o.start - 1].lower_) in self.lex.negators:
            return True
        return bool(
            owner is not None
            and (
                owner.lower_ in NEGATIVE_SUBJECTS
                or any(c.dep_ == "det" and c.lower_ == "no" or c.lower_ == "neither" for c in owner.children)
            )
        )

    def _reversed(self, t) -> bool:
        """Whether the cue is the complement of a word that reverses it ("reluctant to endorse")."""
        flip = False
        while t.dep_ in ("xcomp", "acomp", "pcomp", "pobj", "prep") and t.head.i != t.i:
            t = t.head
            flip ^= fold(t.lemma_) in self.lex.reversers
        return flip

    @staticmethod
    def _flip(label: str, negated: bool) -> str:
        if not negated:
            return label
        return {"favor": "against", "against": "favor", "neutral": "against"}[label]

    # ------------------------------------------------------------------ holders

    def _subject(self, t):
        """The effective subject of token t: its own subject, a noun's possessor or "from"
        phrase, else that of the word it depends on, up to a clause boundary."""
        for _ in range(8):
            for c in t.children:
                if c.dep_ in ("nsubj", "csubj") or (c.dep_ == "nsubjpass" and not self._passive(t)):
                    return c
                if c.dep_ == "agent":
                    return next((p for p in c.children if p.dep_ == "pobj"), None)
            if t.pos_ in ("NOUN", "PROPN"):
                for c in t.children:
                    if c.dep_ == "poss":
                        return c
                    if c.dep_ == "prep" and c.lower_ in ("from", "by", "among"):
                        pobj = next((p for p in c.children if p.dep_ == "pobj"), None)
                        if pobj is not None:
                            return pobj
            if t.dep_ in ("relcl", "acl") and t.head.i != t.i:
                return t.head
            if t.dep_ not in SUBJECT_INHERITING_DEPS or t.head.i == t.i:
                return None
            t = t.head
        return None

    def _conditional(self, i: int) -> bool:
        """Whether token i sits in an "if"/"unless"/"whether" clause: a condition or an open
        question ("waffled on whether he would support Trump"), not a position."""
        t = self.doc[i]
        for a in [t, *t.ancestors]:
            if a.dep_ in ("advcl", "ccomp", "pcomp") and any(
                c.dep_ == "mark" and c.lower_ in CONDITIONS for c in a.children
            ):
                return True
        return False

    @staticmethod
    def _passive(t) -> bool:
        return any(c.dep_ in ("auxpass", "agent") for c in t.children)

    @staticmethod
    def _within(tok_i: int, root) -> bool:
        return root.left_edge.i <= tok_i <= root.right_edge.i

    def _holders(self, owner, at: int, deontic: bool = False) -> list[tuple[str, QuoteScope | None]]:
        """Who holds a position whose subject is `owner`, for a cue at token `at`.

        Outside quotes: the actor(s) the subject names, unless the cue prescribes ("X should
        ..."), which says what someone wants of X. Inside a quote: the speaker when the
        subject is "I"/"we", missing or no actor ("the time had not come"); the actor named
        when it is a third party ("Machado promised to continue supporting Clinton"), with
        the speaker too when it is the speaker's own country ("Warsaw was not prepared",
        said Tusk), and the speaker alone when the speaker prescribes ("European countries
        ... require a backstop"); nobody for an unnamed third party ("many individuals who
        support him").
        """
        q = self.quote_of[at]
        if (
            q is not None
            and owner is not None
            and self.quote_of[owner.i] is not q
            and owner.lower_ not in SPEAKER_WORDS
        ):
            q = None  # the subject is the attribution's own frame: "Italy and Poland have expressed ..."
        if q is not None and self._reported_within(at, q):
            q = None  # "the advertisement suggests that Phoenix supports Trump": not the speaker's
        speaker = q.speaker_actor_id if q is not None else None
        own = [(s, q) for s in self.speakers_of(q)] if speaker else []
        if owner is None or owner.lower_ in SPEAKER_WORDS or owner.lower_ in NEGATIVE_SUBJECTS:
            return own
        animate = owner.lower_ in ANIMATE_PRONOUNS or owner.tag_ in ("NNS", "NNPS")
        if owner.lower_ in RELATIVIZERS and owner.head.dep_ in ("relcl", "acl"):
            animate = animate or owner.lower_ == "who"
            owner = owner.head.head
            if owner.dep_ == "appos":
                owner = owner.head
        if deontic and speaker is None:
            return []  # "CNN should pay him": what someone thinks CNN should do, not CNN's position
        ids = self._actors_of(owner)
        if not ids:
            return [] if animate or owner.tag_ in ("NNS", "NNPS") else own
        if speaker is None or speaker in ids:
            return own if speaker in ids else [(i, None) for i in ids]
        if deontic:
            return own
        me = self.actors.actor(speaker)
        named = [self.actors.actor(i) for i in ids]
        mine = all(a.actor_type == "country" and me is not None and me.country == a.country for a in named)
        return (own if mine else []) + [(i, None) for i in ids]

    def _reported_within(self, at: int, q: QuoteScope) -> bool:
        """Whether the cue at `at` is, within quote q, reported from someone other than the
        speaker: under a verb whose subject is a third party ("the ad suggests that ...")."""
        t = self.doc[at]
        for a in t.ancestors:
            if self.quote_of[a.i] is not q:
                return False
            subj = next((c for c in a.children if c.dep_ in ("nsubj", "nsubjpass")), None)
            if (
                a.pos_ in ("VERB", "AUX")
                and subj is not None
                and any(c.dep_ == "ccomp" and self._within(at, c) for c in a.children)
            ):
                if subj.lower_ in SPEAKER_WORDS:
                    return False
                if subj.pos_ in ("NOUN", "PROPN"):
                    speakers = {q.speaker_actor_id, *self.speakers_of(q)}
                    return not speakers & set(self._actors_of(subj))
        return False

    def _actors_of(self, head) -> list[str]:
        """Actor ids a subject names: itself and its conjuncts ("Italy and Poland"), or the
        members it lists ("leading powers such as Italy and Poland")."""
        out = []
        for h in [head] + [c for c in head.conjuncts if c.i > head.i]:
            members = self._members(h)
            if members:
                for m in members:
                    out += self._actors_of_np(m)
                continue
            out += self._actors_of_np(h)
        return list(dict.fromkeys(out))

    def _actors_of_np(self, h) -> list[str]:
        if h.lower_ in UNRESOLVED_SUBJECTS or h.lower_ in SPEAKER_WORDS:
            return []
        if (
            h.is_upper
            and len(h) > 3
            and h.i + 1 < len(self.doc)
            and self.doc[h.i + 1].text in ("—", "–", "-", "(", ",")
        ):
            return []  # a dateline ("TALLAHASSEE — ..."), not an actor
        span = self._np(h)
        res = self.actors.resolve_and_register(span.start_char, span.end_char)  # a holder may be described
        if not res.actor_id:
            return []
        if (
            h.pos_ not in ("PROPN", "PRON")
            and not h.ent_type_
            and fold(h.lemma_) not in holder_nouns()
            and h.lower_ not in holder_nouns()
        ):
            return []  # "the idea", "an effective force", "a vote against Marco": not a stance holder
        q = self.quote_of[h.i]
        if (
            h.lower_ in PERSON_PRONOUNS
            and q is not None
            and q.quote_id in self.direct
            and res.actor_id == q.speaker_actor_id
        ):
            return []  # in their own words a speaker says "I": "his attacks" is someone else's
        return [res.actor_id]

    def _names_in(self, phrase) -> list[str]:
        """Actors named anywhere in a long agent phrase (two or more proper-noun heads)."""
        heads = [t for t in phrase.subtree if t.pos_ == "PROPN" and t.dep_ not in ("compound", "flat")]
        if len(heads) < 2:
            return []
        return list(dict.fromkeys(i for h in heads for i in self._actors_of_np(h)))

    @staticmethod
    def _members(h) -> list:
        out = []
        if h.tag_ in ("NNS", "NNPS") and h.pos_ == "NOUN":  # "Senators Ted Cruz and Marco Rubio"
            for c in h.children:
                if c.dep_ == "appos" and c.i > h.i and c.pos_ == "PROPN":
                    return [c] + [x for x in c.conjuncts if x.i > c.i]
        for c in h.children:
            if c.dep_ not in ("prep", "acl") or not (
                c.lower_ in ("including", "like")
                or (
                    c.lower_ == "as"
                    and (any(x.lower_ == "such" for x in c.children) or (c.i > 0 and c.doc[c.i - 1].lower_ == "such"))
                )
            ):
                continue
            for p in c.children:
                if p.dep_ in ("pobj", "dobj"):
                    out += [p] + [x for x in p.conjuncts if x.i > p.i]
        return out

    def _np(self, h):
        """The noun phrase headed by h as written, without conjuncts, appositions, listed
        members or relative clauses introduced by a relative word, cut at a comma."""
        doc = self.doc
        skip = set()
        for c in h.children:
            if (
                c.dep_ in ("conj", "cc", "appos", "punct")
                or (c.dep_ == "relcl" and any(x.lower_ in RELATIVIZERS or x.tag_ in ("WDT", "WP") for x in c.subtree))
                or (c.dep_ in ("prep", "acl") and c.lower_ in ("including", "like", "as"))
            ):
                skip.update(x.i for x in c.subtree)
        kept = [t.i for t in h.subtree if t.i not in skip]
        left, right = min(kept), max(kept)
        for i in range(h.i + 1, right + 1):
            if doc[i].text in (",", "(", "—", "–", ";", ":"):
                right = i - 1
                break
        while right > h.i and (doc[right].is_punct or doc[right].is_space):
            right -= 1
        while left < h.i and (doc[left].is_punct or doc[left].is_space):
            left += 1
        return doc[left : right + 1]

    # ------------------------------------------------------------------ rules

    def _governing(self, m: _Mention, by_gov: dict[int, _Occ]) -> tuple[_Occ | None, bool]:
        """The nearest position cue that governs the mention as (part of) its complement,
        and whether a negated verb on the way flips it ("a pledge not to pardon Clinton").
        The walk up the parse stops at a clause with a subject of its own (or one the
        mention is the source of: "policies that Trump argues ..."), a coordinated clause,
        a condition or side remark, and a circumstance ("during a stop for Clinton")."""
        doc = self.doc
        prev = a = doc[m.head]
        flip = False
        preps = []
        while True:
            if a.dep_ == "prep":
                preps.append(a)
            if a.i in by_gov:
                occ = by_gov[a.i]
                if (
                    a is not prev
                    and prev.dep_ == "prep"
                    and prev.lower_ != "as"
                    and a.pos_ == "VERB"
                    and any(c.dep_ == "dobj" for c in a.children)
                ):
                    return None, False  # "accused him of pandering to Clinton": the target is him
                if prev.dep_ == "dobj" and any(c.dep_ == "xcomp" for c in a.children):
                    return None, False  # "urged Clinton to decide": Clinton is addressed, the content is the infinitive
                for prep in preps:  # "for" belongs to a noun cue ("support for X"), not to a verb's object
                    if prep.lower_ in ADJUNCT_PREPS or (
                        prep.lower_ == "for" and not (occ.start <= prep.head.i < occ.end and prep.head.pos_ == "NOUN")
                    ):
                        return None, False
                return occ, flip
            if a is not doc[m.head] and (a.pos_ in ("VERB", "AUX") or a.dep_ in ("ccomp", "xcomp", "oprd")):
                subj = next(
                    (
                        c
                        for c in a.children
                        if c.dep_ in ("nsubj", "nsubjpass") and c.lower_ not in RELATIVIZERS and c.tag_ != "EX"
                    ),
                    None,
                )
                if subj is not None and (
                    not self._within(m.head, subj) or a.dep_ in ("conj", "advcl") or fold(a.lemma_) in speech_verbs()
                ):
                    return None, False
                if (
                    prev.dep_ == "ccomp"
                    and fold(a.lemma_) in speech_verbs()
                    and (self._subject(a) is not None and self._subject(a).lower_ not in SPEAKER_WORDS)
                ):
                    return None, False  # "Republicans who suggest Clinton is preferable to Trump": theirs
                flip ^= any(c.dep_ == "neg" for c in a.children)
            if a is not doc[m.head]:
                flip ^= fold(a.lemma_) in self.lex.reversers
            if a.dep_ == "parataxis" or (a.dep_ == "advcl" and any(c.dep_ == "mark" for c in a.children)):
                return None, False
            if a.head.i == a.i:
                return None, False
            prev, a = a, a.head

    def _position(self, m: _Mention, by_gov: dict[int, _Occ]) -> None:
        """The nearest position cue governing the mention decides its label."""
        doc = self.doc
        occ, flip = self._governing(m, by_gov)
        if occ is None or self.sent_of[occ.head] != self.sent_of[m.head] or self._conditional(occ.head):
            return
        gov = doc[occ.gov]
        if (
            gov.pos_ == "NOUN"
            and not any(c.dep_ == "poss" for c in gov.children)
            and any(c.dep_ == "det" and c.lower_ in ("the", "this", "that", "these", "those") for c in gov.children)
        ):
            return  # "developing the plan to deploy troops": a reference to a plan, not a position
        if self._passive(gov):
            agent = next((p for c in gov.children if c.dep_ == "agent" for p in c.children if p.dep_ == "pobj"), None)
            if agent is not None and self._within(m.head, agent):
                return
            names = self._names_in(agent) if agent is not None else []
            if names:  # "endorsed by dozens of papers ranging from The New York Times to ..."
                label = self._flip(occ.cue.label, self._negated(occ))
                for actor_id in names:
                    self._add(actor_id, None, m, label, self._text(occ), occ.head, 0.8)
                return
            owner = agent
        elif fold(gov.lemma_) in self.lex.agentive and gov.dep_ not in ("attr", "oprd", "appos", "ROOT"):
            owner = gov  # "Trump supporters rallied": the group holds it, not the clause's subject
            if self._within(m.head, owner):
                return  # "his supporters", "Clinton allies": what the group is called, not a statement
        else:
            owner = self._subject(gov)
            if owner is not None and self._within(m.head, owner):
                return  # the target's own position ("Trump must stop ...")
        if owner is None and gov.pos_ == "NOUN":
            return  # "support for Trump rose": nobody's in particular
        if occ.cue.label == "neutral" and any(
            c.dep_ == "oprd" or (c.dep_ in ("ccomp", "xcomp") and c.pos_ in ("NOUN", "PROPN", "ADJ"))
            for c in gov.children
        ):
            return  # "considers him a racist" judges; "considers sending troops" hedges
        negated = self._negated(occ, owner) ^ flip ^ self._reversed(gov)
        if negated and " ".join(occ.cue.words) in self.lex.acts:
            return  # "not attacking Trump" is no position
        label = self._flip(occ.cue.label, negated)
        for actor_id, q in self._holders(owner, occ.head, occ.cue.words[0] in DEONTIC):
            self._add(actor_id, q, m, label, self._text(occ), occ.head, 0.85)

    def _receiving(self, m: _Mention, by_gov: dict[int, _Occ]) -> None:
        """ "Clinton enjoyed tremendous support from black voters": a noun cue received by
        the target, held by whoever it comes from."""
        t = self.doc[m.head]
        if t.dep_ not in ("nsubj", "nsubjpass") and not (t.dep_ == "poss" and t.head.dep_ in ("nsubj", "nsubjpass")):
            return
        verb = t.head if t.dep_ != "poss" else t.head.head
        if fold(verb.lemma_) not in self.lex.receiving:
            return
        for c in verb.children:
            occ = by_gov.get(c.i)
            if occ is None or c.dep_ != "dobj" or c.pos_ != "NOUN":
                continue
            src = next(
                (
                    p
                    for x in c.children
                    if x.dep_ == "prep" and x.lower_ in ("from", "among", "of")
                    for p in x.children
                    if p.dep_ == "pobj"
                ),
                None,
            )
            if src is None:
                continue
            label = self._flip(occ.cue.label, self._negated(occ))
            for actor_id in self._actors_of(src):
                self._add(actor_id, None, m, label, self._text(occ), occ.head, 0.8)

    def _prefixed(self, m: _Mention) -> None:
        """ "the pro-Clinton Priorities USA Action", "anti-Trump protesters": the noun phrase
        the hyphenated modifier belongs to holds the position."""
        doc = self.doc
        if m.kind not in ("term", "part") or m.start < 2 or doc[m.start - 1].text not in ("-", "‐"):
            return
        label = self.lex.prefixes.get(fold(doc[m.start - 2].lower_))
        if label is None:
            return
        head = doc[m.head]
        for _ in range(4):
            if head.dep_ not in ("amod", "compound", "npadvmod", "nmod") or head.head.i == head.i:
                break
            head = head.head
        if head.i < m.end or head.pos_ not in ("NOUN", "PROPN"):
            return
        for actor_id in self._actors_of_np(head):  # "anti-Trump protesters", not "an anti-Clinton speech"
            self._add(actor_id, None, m, label, doc[m.start - 2 : m.end].text, m.head, 0.8, from_name=True)

    def _governs_any(self, o: _Occ) -> bool:
        gov = self.doc[o.gov]
        return any(
            c.dep_ in ("dobj", "pobj", "prep", "xcomp", "ccomp", "attr", "oprd", "acomp", "advcl", "agent")
            for c in gov.children
        )

    def _bare(self, o: _Occ) -> None:
        """A position cue with nothing it governs ("he said he was opposed", "Spain was most
        reticent") takes the target of the sentences just before."""
        gov = self.doc[o.gov]
        if gov.dep_ not in ("acomp", "ROOT", "ccomp", "conj") or not (gov.pos_ == "ADJ" or gov.tag_ == "VBN"):
            return  # a predicate ("he was opposed"), not a modifier ("enthusiastic cheers")
        owner = self._subject(gov)
        if owner is None:
            return
        label = self._flip(o.cue.label, self._negated(o, owner))
        targets = self._recent(
            self.mentions, self.sents[self.sent_of[o.head]].start, CONTEXT_SENTENCES - 1, persons=None
        )
        for m in targets:
            if self._within(m.head, owner):
                continue
            for actor_id, q in self._holders(owner, o.head):
                self._add(actor_id, q, m, label, self._text(o), o.head, 0.6)

    def _evaluation(self, o: _Occ) -> None:
        """An evaluation cue judges the subject of its predicate, the noun it modifies, or
        the object it is predicated of ("called Clinton a champion")."""
        if self._inside_other(o):
            return
        judged, anchor, flip = self._judged(self.doc[o.head])
        if not judged:
            return
        mentions = [
            m for m in self.mentions_in.get(self.sent_of[o.head], []) if any(self._within(m.head, j) for j in judged)
        ]
        if (
            not mentions
            and self.quote_of[o.head] is not None
            and judged[0].dep_ == "ROOT"
            and judged[0].pos_ not in ("VERB", "AUX")
        ):
            mentions = self._recent(self.mentions, o.start, CONTEXT_SENTENCES, persons=True)
        if not mentions:
            return
        label = self._flip(o.cue.label, self._negated(o) ^ flip)
        q = self.quote_of[o.head]
        if q is not None:
            holders = [(s, q) for s in self.speakers_of(q)]
        elif anchor is not None:
            holders = [(i, None) for i in self._actors_of(anchor)]
        else:
            return  # the journalist's own judgement
        for m in mentions:
            for actor_id, quote in holders:
                self._add(actor_id, quote, m, label, self._text(o), o.head, 0.8)

    def _inside_other(self, o: _Occ) -> bool:
        """Whether an evaluation cue sits in the complement of another ("least likely to be
        effective"): the outer cue decides."""
        heads = {x.head for x in self.occs if x.cue.kind == "evaluation" and x is not o}
        t = self.doc[o.head]
        for _ in range(4):
            if t.head.i == t.i or t.dep_ not in ("acomp", "xcomp", "attr", "advmod", "amod", "conj", "prep", "pobj"):
                return False
            t = t.head
            if t.i in heads:
                return True
        return False

    def _judged(self, h):
        """(token subtrees judged by an evaluative word at h, the subject of a verb of
        calling or saying above it, whether an extraposed clause is negated)."""
        poss = next((c for c in h.children if c.dep_ == "poss"), None) if h.pos_ == "NOUN" else None
        near = self.mentions_in.get(self.sent_of[h.i], [])
        if poss is not None and any(self._within(m.head, poss) for m in near):
            return [poss], self._speaker_above(h), False  # "his xenophobia", "Trump's lies"
        if h.dep_ in ("amod", "compound", "nmod") and h.head.pos_ in ("NOUN", "PROPN"):
            noun = h.head
            if any(self._within(m.head, noun) and not self._within(m.head, h) for m in near):
                return [noun], self._speaker_above(noun), False
            h = noun
        p = h
        for _ in range(5):
            if any(c.dep_ in SUBJECT_DEPS for c in p.children):
                break
            if p.dep_ == "pobj" and p.head.lower_ == "as":
                p = p.head.head
                continue
            if (
                p.dep_ not in ("acomp", "attr", "oprd", "xcomp", "conj", "dobj", "advmod", "npadvmod", "amod", "appos")
                or p.head.i == p.i
            ):
                break
            p = p.head
        subj = next((c for c in p.children if c.dep_ in SUBJECT_DEPS), None)
        if fold(p.lemma_) in CALLING_VERBS:
            objs = [c for c in p.children if c.dep_ == "dobj"]
            return objs, subj, False
        if subj is None:
            return ([p], None, False) if p.dep_ == "ROOT" else ([], None, False)
        if subj.lower_ == "it":
            clause = next((c for c in p.children if c.dep_ in ("xcomp", "ccomp") and c.i > h.i), None)
            if clause is not None:
                return [clause], self._speaker_above(p), any(c.dep_ == "neg" for c in clause.children)
        return [subj], self._speaker_above(p), False

    def _speaker_above(self, p):
        """The subject of the verb of saying a clause is the complement of ("X says Y is unfit")."""
        for _ in range(3):
            if p.dep_ != "ccomp" or p.head.i == p.i:
                return None
            p = p.head
            subj = next((c for c in p.children if c.dep_ in ("nsubj",)), None)
            if subj is not None:
                return subj
        return None


def segments_from_json(value: str) -> tuple[tuple[int, int], ...]:
    return tuple((int(a), int(b)) for a, b in json.loads(value))

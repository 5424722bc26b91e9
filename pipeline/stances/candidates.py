"""Candidate statements: every (holder, target) pair of an article the guidelines could admit,
with the sentences that tie them, for the trained decision (`decision.py`).

A target mention (a codebook term, a pronoun or a back-reference the rule coder resolves)
proposes as its holders:
- `quote`: the speaker of the quote or reported speech it is in;
- `subject`: the actors named by the subject of each clause that governs it, up to the
  sentence's root (acts and attitudes: "Ryan endorsed Trump", "X said Trump was unfit");
- `nearby`: when it has no holder of its own, the speaker of the closest attribution in the
  same or the previous sentence of its paragraph (a speaker introduced before);
- `rules`: the pairs the rule coder (`coder.ArticleReading`) codes, with its label as a hint;
- `cooccur`: every other actor the article names, toward every target it mentions, read
  in the sentences that name the actor (an endorsement of "the former secretary of
  state", a donation to "Ready for Hillary": the target is not always named where the
  position is).

An actor is never a candidate toward itself (a person toward their own name, a collective
whose name holds the target: "Clinton campaign" toward `clinton`).

The pipeline's model reads a candidate's features (`features.py`); `render` gives it as text
for the text classifier that `eval/stance_cv.py` compares with it: the evidence sentences
with the target mention replaced by TARGET and the holder by HOLDER (so that a model learns
relations, not names), after a few hint tokens (where the pair came from, the rule coder's
label, the holder's type, negation on the path between them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

NEARBY_SENTENCES = 1  # how far back `nearby` looks for a speaker
MAX_SENTENCES = 3  # sentences rendered per candidate (the first ones in the article)
NEGATIONS = {"not", "n't", "never", "no", "neither", "nor", "without"}


@dataclass
class Instance:
    """One place in the article that ties a holder to a target."""

    sentence: int
    target_tokens: tuple[int, int]  # token span of the target mention ((-1, -1) for `cooccur`)
    holder_tokens: tuple[int, int] | None  # token span of the holder's mention in the sentence, if any
    source: str  # quote | subject | nearby | rules | cooccur
    quote_id: str | None = None
    path: tuple[str, ...] = ()  # lemmas of the clause heads between the holder and the target
    negated: bool = False


@dataclass
class Candidate:
    """A holder and a target of one article, with every place that ties them."""

    actor_id: str
    codebook: str
    codebook_version: str
    target: str
    instances: list[Instance] = field(default_factory=list)
    rule_labels: dict[str, float] = field(default_factory=dict)  # rule coder's label -> confidence

    @property
    def sources(self) -> set[str]:
        return {i.source for i in self.instances}


def propose(article) -> list[Candidate]:
    """The candidates of a `coder.ArticleReading` (its mentions, quotes and actors read), in a
    stable order. Runs the rule coder on it too (its labels become hints)."""
    found: dict[tuple[str, str, str], Candidate] = {}

    def add(actor_id, m, instance: Instance) -> None:
        if not actor_id or not _may_hold(article, actor_id, m):
            return
        key = (actor_id, m.book.name, m.target)
        if key not in found:
            found[key] = Candidate(actor_id, m.book.name, m.book.version, m.target)
        found[key].instances.append(instance)

    for m in article.mentions:
        for actor_id, instance in _holders_of(article, m):
            add(actor_id, m, instance)
    for actor_id, spans in _actor_mentions(article).items():
        for m in _first_mention_of_each_target(article):
            if (actor_id, m.book.name, m.target) in found:
                continue
            for k, span in spans[:MAX_SENTENCES]:
                add(actor_id, m, Instance(k, (-1, -1), span, "cooccur"))
    for s in article.code():
        m = _mention_for(article, s)
        if m is None:
            continue
        k = article.sent_of[article.doc.char_span(s.evidence_start, s.evidence_end, alignment_mode="expand").start]
        add(s.actor_id, m, Instance(k, (m.start, m.end), None, "rules", s.quote_id))
        if (s.actor_id, m.book.name, m.target) in found:
            labels = found[(s.actor_id, m.book.name, m.target)].rule_labels
            labels[s.stance] = max(labels.get(s.stance, 0.0), s.confidence)
    return [found[k] for k in sorted(found)]


def _actor_mentions(article) -> dict[str, list[tuple[int, tuple[int, int]]]]:
    """Each actor the article names -> (sentence, token span) of its mentions, one per
    sentence, in text order: entity mentions, and the speakers of attributions."""
    out: dict[str, dict[int, tuple[int, int]]] = {}
    for m in article.actors.mentions:
        if m.actor_id:
            out.setdefault(m.actor_id, {}).setdefault(article.sent_of[m.tok_start], (m.tok_start, m.tok_end))
    return {a: sorted(by_sentence.items()) for a, by_sentence in sorted(out.items())}


def _first_mention_of_each_target(article) -> list:
    firsts: dict[tuple[str, str], object] = {}
    for m in article.mentions:
        firsts.setdefault((m.book.name, m.target), m)
    return list(firsts.values())


def _may_hold(article, actor_id: str, m) -> bool:
    actor = article.actors.actor(actor_id)
    if actor is None:
        return False
    if actor.actor_type == "person":
        return not article.matcher.names_target(actor.name, m.book, m.target)
    return not article.matcher.in_name(actor.name, m.book, m.target)


def _mention_for(article, statement):
    """A mention of the statement's target inside its evidence (the rule coder's), else the
    first one in the article."""
    first = None
    for m in article.mentions:
        if m.book.name != statement.codebook or m.target != statement.target:
            continue
        tok = article.doc[m.head]
        if statement.evidence_start <= tok.idx < statement.evidence_end:
            return m
        first = first or m
    return first


def _holders_of(article, m) -> list[tuple[str, Instance]]:
    doc = article.doc
    k = article.sent_of[m.head]
    out: list[tuple[str, Instance]] = []
    q = article.quote_of[m.head]
    if q is not None:
        for speaker in article.speakers_of(q):  # each of "Ted Cruz and Marco Rubio said"
            out.append((speaker, Instance(k, (m.start, m.end), None, "quote", q.quote_id)))
    path: list[str] = []
    negated = False
    for head in [doc[m.head], *doc[m.head].ancestors]:
        negated = negated or any(c.dep_ == "neg" or c.lower_ in NEGATIONS for c in head.children)
        if head.pos_ in ("VERB", "AUX", "ADJ", "NOUN") and head.i != m.head:
            path.append(head.lemma_.lower())
        for subj in (c for c in head.children if c.dep_ in ("nsubj", "nsubjpass", "agent")):
            if subj.dep_ == "agent":
                subj = next((c for c in subj.children if c.dep_ == "pobj"), None)
            if subj is None or m.start <= subj.i < m.end:
                continue
            span = (subj.left_edge.i, subj.right_edge.i + 1)
            if span[0] <= m.head < span[1]:
                continue  # the target is inside the subject ("Trump's critics"): not its holder
            for actor_id, quote in article._holders(subj, m.head):
                instance = Instance(
                    k, (m.start, m.end), span, "subject", quote.quote_id if quote else None, tuple(path), negated
                )
                out.append((actor_id, instance))
    if not out:
        near = _nearby_speaker(article, m.head)
        if near is not None:
            out.append((near.speaker_actor_id, Instance(k, (m.start, m.end), None, "nearby", near.quote_id)))
    return out


def _nearby_speaker(article, i: int):
    """The attribution with a speaker closest before token i, in its sentence or the
    previous NEARBY_SENTENCES of the same paragraph."""
    k = article.sent_of[i]
    first = article.sents[max(0, k - NEARBY_SENTENCES)].start
    if "\n" in article.text[article.doc[first].idx : article.doc[i].idx]:
        first = next(t.i for t in reversed(article.doc[first:i]) if "\n" in t.whitespace_ + t.text) + 1
    best = None
    for j in range(i - 1, first - 1, -1):
        q = article.quote_of[j]
        if q is not None and q.speaker_actor_id:
            best = q
            break
    return best


def render(article, candidate: Candidate) -> str:
    """The candidate as the classifier reads it: hint tokens, then the sentences that tie
    the pair (those naming both first), every mention of the target replaced by TARGET, of
    another target by OTHER, and the holder by HOLDER."""
    actor = article.actors.actor(candidate.actor_id)
    marks = target_marks(article, candidate)
    hints = sorted({f"src_{s}" for s in candidate.sources})
    hints += [f"rule_{label}" for label in sorted(candidate.rule_labels)] or ["rule_none"]
    hints.append(f"holder_{actor.actor_type if actor else 'unknown'}")
    hints.append(f"target_rank_{target_rank(article, candidate)}")
    if any(i.negated for i in candidate.instances):
        hints.append("negated_path")
    for i in candidate.instances:
        hints += [f"path_{lemma}" for lemma in i.path[:4]]
    by_sentence: dict[int, Instance] = {}
    for inst in sorted(candidate.instances, key=lambda i: i.sentence):
        by_sentence.setdefault(inst.sentence, inst)
    chosen = sorted(by_sentence.values(), key=lambda i: (not _names_target(article, i.sentence, marks), i.sentence))
    chosen = sorted(chosen[:MAX_SENTENCES], key=lambda i: i.sentence)
    if not any(_names_target(article, i.sentence, marks) for i in chosen):
        hints.append("target_not_in_sentence")
    sentences = [_masked_sentence(article, inst, candidate.actor_id, marks) for inst in chosen]
    return " ".join(dict.fromkeys(hints)) + " | " + " | ".join(sentences)


def target_marks(article, candidate: Candidate) -> dict[int, str]:
    """Token -> TARGET (a mention of the candidate's target) or OTHER (another target of its
    codebook). Other codebooks' targets are ordinary words: a codebook's statements do not
    depend on which other codebooks a run loads."""
    marks: dict[int, str] = {}
    for m in article.mentions:
        if m.book.name != candidate.codebook:
            continue
        mine = m.target == candidate.target
        for i in range(m.start, m.end):
            if mine or i not in marks:
                marks[i] = "TARGET" if mine else "OTHER"
    return marks


def target_rank(article, candidate: Candidate) -> int:
    """1 for the target of its codebook the article mentions most, 2 for the next, 3 for any
    other (other codebooks' targets are not counted)."""
    counts: dict[tuple[str, str], int] = {}
    for m in article.mentions:
        if m.book.name == candidate.codebook:
            counts[(m.book.name, m.target)] = counts.get((m.book.name, m.target), 0) + 1
    ranked = sorted(counts, key=lambda k: (-counts[k], k))
    key = (candidate.codebook, candidate.target)
    return min(ranked.index(key) + 1, 3) if key in ranked else 3


def _names_target(article, k: int, marks: dict[int, str]) -> bool:
    sent = article.sents[k]
    return any(marks.get(i) == "TARGET" for i in range(sent.start, sent.end))


def _masked_sentence(article, inst: Instance, actor_id: str, marks: dict[int, str]) -> str:
    sent = article.sents[inst.sentence]
    holder = set(range(*inst.holder_tokens)) if inst.holder_tokens else set()
    for j in range(sent.start, sent.end):  # the holder named again in the sentence
        if (p := article.actors.person_at(j)) is not None and p.actor_id == actor_id:
            holder.add(j)
    words, last = [], None
    for tok in sent:
        word = "HOLDER" if tok.i in holder else marks.get(tok.i, tok.text)
        if word in ("TARGET", "HOLDER", "OTHER") and word == last:
            continue
        words.append(word)
        last = word
    return " ".join(words)

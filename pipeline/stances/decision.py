"""The trained stance decision: for each candidate (`candidates.propose`), a model trained on
stancewire's own corpus (docs/stance-corpus.md) decides none, favor, against or neutral.

The model is a multinomial logistic regression over `features.sentence_features`, stored
as a small JSON artifact beside this module (`models/stance-logreg.json`, written by
`stancewire train stance`) and applied here without scikit-learn: the sentences that tie a
candidate's holder to its target (a quote, a clause, a nearby speaker, the rule coder) are
scored one by one, the candidate takes its sentence least likely `none`, and becomes a
statement when that sentence's probability of `none` is below the artifact's threshold.
Its `confidence` is the model's probability of the stance it is given; its `method` names
the model and its version.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

from pipeline.schema import STANCE_LABELS as STANCES

MODEL_PATH = Path(__file__).with_name("models") / "stance-logreg.json"


class ModelError(ValueError):
    """The stance model file is missing or not a model this code can read."""


@dataclass(frozen=True)
class StanceModel:
    """A multinomial logistic regression: per label an intercept and a weight per feature."""

    labels: tuple[str, ...]
    intercepts: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]
    threshold: float  # a candidate whose best sentence has p(none) below this is a statement
    version: str  # the first 12 hex digits of the SHA-256 of the model's parameters
    info: dict  # what it was trained on, its settings and cross-validated scores

    @property
    def method(self) -> str:
        """The `method` column of the statements it codes."""
        return f"logreg-{self.version}"

    @classmethod
    def from_json(cls, data: dict, source: str = "model") -> StanceModel:
        try:
            labels = tuple(data["labels"])
            intercepts = tuple(float(x) for x in data["intercepts"])
            weights = {k: tuple(float(x) for x in v) for k, v in data["weights"].items()}
            threshold = float(data["threshold"])
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ModelError(f"{source}: not a stance model ({e!r})") from None
        if len(set(labels)) != len(labels) or not set(labels) <= {"none", *STANCES} or "none" not in labels:
            raise ModelError(
                f"{source}: labels {list(labels)} must be none and some of {', '.join(STANCES)}, once each"
            )
        if len(labels) < 2 or len(intercepts) != len(labels):
            raise ModelError(f"{source}: labels {list(labels)} and intercepts do not match")
        if any(len(w) != len(labels) for w in weights.values()):
            raise ModelError(f"{source}: a feature's weights do not match the labels {list(labels)}")
        if not 0 < threshold <= 1:
            raise ModelError(f"{source}: threshold {threshold} is not a probability in (0, 1]")
        return cls(labels, intercepts, weights, threshold, parameters_version(data), data.get("info", {}))

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> StanceModel:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError(f"{path}: no stance model there (`stancewire train stance` writes one)") from None
        except json.JSONDecodeError as e:
            raise ModelError(f"{path}: not JSON ({e})") from None
        return cls.from_json(data, str(path))

    def probabilities(self, features: dict[str, float]) -> dict[str, float]:
        """label -> probability (softmax over the labels' linear scores)."""
        scores = list(self.intercepts)
        for name, value in features.items():
            w = self.weights.get(name)
            if w is not None and value:
                for j, wj in enumerate(w):
                    scores[j] += wj * value
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {label: e / total for label, e in zip(self.labels, exps, strict=True)}


def parameters_version(data: dict) -> str:
    """The model's version: a hash of what decides its output (labels, weights, threshold)."""
    key = json.dumps([data["labels"], data["intercepts"], data["weights"], data["threshold"]], sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:12]


@functools.cache
def default_model() -> StanceModel:
    """The model shipped with the code (loaded once per process)."""
    return StanceModel.load(MODEL_PATH)


@dataclass(frozen=True)
class Decision:
    """The model's decision on one candidate."""

    candidate: object  # candidates.Candidate
    stance: str  # none | favor | against | neutral
    confidence: float  # the probability of `stance`
    sentence: int  # the sentence it was decided on (the candidate's least likely `none`)


def decide(article, candidates: list, model: StanceModel) -> list[Decision]:
    """The model's decision on each candidate with a sentence that ties its holder to its
    target (`features.sentence_features`), in the candidates' order. Candidates whose holder
    and target only co-occur in the article are not decided. A codebook's own labels bound
    the decision (`stances`): the probability of a label it does not code counts as `none`
    (a codebook of favor and against never gets a neutral statement, nor a forced one)."""
    from pipeline.stances.features import sentence_features

    out = []
    books = article.matcher.books
    for cand in candidates:
        labels = [label for label in STANCES if label in books[cand.codebook].stances]
        left_out = [label for label in STANCES if label not in labels]
        best = None
        for k, feats in sentence_features(article, cand):
            p = model.probabilities(feats)
            if left_out:  # a codebook of every label keeps the model's own p(none), unchanged
                p["none"] += sum(p.pop(label, 0.0) for label in left_out)
            if best is None or p["none"] < best[1]["none"]:
                best = (k, p)
        if best is None:
            continue
        k, p = best
        stance = max(labels, key=lambda label: p.get(label, 0.0))
        if p["none"] >= model.threshold:
            out.append(Decision(cand, "none", p["none"], k))
        else:
            out.append(Decision(cand, stance, p[stance], k))
    return out


def code_article(doc, actors, quotes: list, matcher, model: StanceModel | None = None) -> list:
    """All statements of one article, one per (actor, codebook, target): its candidates,
    each decided by the model (`coder.Statement`s with the model's `method`)."""
    from pipeline.stances.candidates import propose
    from pipeline.stances.coder import ArticleReading

    model = model or default_model()
    article = ArticleReading(doc, actors, quotes, matcher)
    decisions = [d for d in decide(article, propose(article), model) if d.stance != "none"]
    statements = [_statement(article, d, model) for d in decisions]
    return sorted(statements, key=lambda s: (s.evidence_start, s.codebook, s.target, s.actor_id, s.stance))


# Which instance of the decided sentence gives the evidence: a clause that ties holder and
# target first, then a quote, a speaker named before, a rule.
_INSTANCE_ORDER = {"subject": 0, "quote": 1, "nearby": 2, "rules": 3}


def _statement(article, d: Decision, model: StanceModel):
    """The statement of a decision. Its evidence, cue and quote are the rule coder's when the
    rules coded the same pair with the same stance. Else the evidence is the sentence it was
    decided on, cut to the quote that ties the pair there, and the cue is the first word of
    the cue lexicon in it (`_cue_in`), else the clause head between holder and target, else
    the quote's cue word."""
    from pipeline.stances.coder import Statement

    cand = d.candidate
    rule = next(
        (
            s
            for s in article.code()
            if (s.actor_id, s.codebook, s.target, s.stance) == (cand.actor_id, cand.codebook, cand.target, d.stance)
        ),
        None,
    )
    actor = article.actors.actor(cand.actor_id)
    if rule is not None:
        start, end, cue, quote_id = rule.evidence_start, rule.evidence_end, rule.cue, rule.quote_id
    else:
        sent = article.sents[d.sentence]
        here = [i for i in cand.instances if i.sentence == d.sentence and i.source in _INSTANCE_ORDER]
        inst = min(here, key=lambda i: _INSTANCE_ORDER[i.source])
        quote = next((q for q in article.quotes if q.quote_id == inst.quote_id), None) if inst.quote_id else None
        inside = sent.start <= inst.target_tokens[0] < sent.end
        start, end = article.evidence_span(inst.target_tokens[0] if inside else sent.start, quote)
        cue = _cue_in(article, start, end, cand) or (inst.path[0] if inst.path else "") or _quote_cue(article, quote)
        quote_id = inst.quote_id
    quote_id = _quote_of_evidence(article, quote_id, start, end, cand.actor_id)
    return Statement(
        actor_id=actor.actor_id,
        actor=actor.name,
        actor_type=actor.actor_type,
        country=actor.country,
        codebook=cand.codebook,
        codebook_version=cand.codebook_version,
        target=cand.target,
        stance=d.stance,
        confidence=round(d.confidence, 3),
        evidence_start=start,
        evidence_end=end,
        evidence=article.text[start:end],
        cue=cue or inst.source,
        quote_id=quote_id,
        method=model.method,
    )


def _quote_of_evidence(article, quote_id: str | None, start: int, end: int, actor_id: str) -> str | None:
    """The statement's quote: the one that tied the pair when its content overlaps the
    evidence, else a quote of the holder's that does (the pair can be tied through a quote
    elsewhere: a pronoun resolved to that quote's speaker), else None. A statement's
    `quote_id` always names a quote its evidence is taken from."""

    def overlaps(q) -> bool:
        return any(min(e, end) > max(s, start) for s, e in q.segments)

    named = next((q for q in article.quotes if q.quote_id == quote_id), None) if quote_id else None
    if named is not None and overlaps(named):
        return quote_id
    return next((q.quote_id for q in article.quotes if q.speaker_actor_id == actor_id and overlaps(q)), None)


def _cue_in(article, start: int, end: int, cand) -> str:
    """The first word of the evidence that the cue lexicon lists as a one-word cue, outside
    the target's mentions (as written), or ''."""
    from pipeline.stances.candidates import target_marks
    from pipeline.stances.coder import lexicon

    lex, marks = lexicon(), target_marks(article, cand)
    span = article.doc.char_span(start, end, alignment_mode="expand")
    for tok in span if span is not None else ():
        if tok.i not in marks and any(len(c.words) == 1 for c in lex.by_first.get(article.folded_lemmas[tok.i], ())):
            return tok.text
    return ""


def _quote_cue(article, quote) -> str:
    """The cue word of a quote ("said", "told"), or ''."""
    if quote is None or quote.cue_start is None:
        return ""
    span = article.doc.char_span(quote.cue_start, quote.cue_start + 1, alignment_mode="expand")
    return span.text if span is not None else ""


def provenance(model: StanceModel, methods_in_data: list[str]) -> dict:
    """What a release's manifest says of the stance model: its method, what it was trained
    on and its cross-validated scores (from the artifact's `info`), and the methods of the
    statements the release holds (another model's, when the data was coded before a
    retraining and not re-coded)."""
    info = model.info
    cv = info.get("cross_validation", {})
    return {
        "method": model.method,
        "methods_in_data": methods_in_data,
        "kind": info.get("kind"),
        "threshold": model.threshold,
        "trained_on": info.get("trained_on", {}),
        "folds": info.get("settings", {}).get("folds"),
        "cross_validated": {
            book: {k: s[k] for k in ("precision", "recall", "f1", "label_accuracy")}
            for book, s in cv.get("scores", {}).items()
        },
    }

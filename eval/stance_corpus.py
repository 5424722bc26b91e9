"""stancewire's own stance corpus (docs/stance-corpus.md): which PolNeAR train articles it
codes, and a check that each statement is well formed and its evidence verbatim.

Run from the repository root:
    .venv/bin/python -m eval.stance_corpus select   # (re)write data/stance-corpus/articles.txt
    .venv/bin/python -m eval.stance_corpus check    # every statement file under data/stance-corpus/

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
N_ARTICLES = 160


def select(n: int = N_ARTICLES, seed: int = SEED) -> list[str]:
    """A seeded random sample of train article names (sorted), the corpus's articles."""
    names = sorted(p.stem for p in TRAIN_TEXTS.glob("*.txt"))
    return sorted(random.Random(seed).sample(names, n))


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


def statement_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*.jsonl"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("select", help=f"write {ARTICLES.relative_to(REPO)}")
    check = sub.add_parser("check", help="check statement files (default: all of the corpus)")
    check.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    if not TRAIN_TEXTS.is_dir():
        print(f"PolNeAR train texts not found at {TRAIN_TEXTS} (set STANCEWIRE_SHARED)", file=sys.stderr)
        return 2
    if args.command == "select":
        ARTICLES.write_text("\n".join(select()) + "\n", encoding="utf-8")
        print(f"wrote {ARTICLES.relative_to(REPO)} ({N_ARTICLES} articles, seed {SEED})")
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

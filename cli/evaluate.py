"""Evaluation: run the pipeline (the same Dagster assets that fill the warehouse) on a folder
of .txt files in a temporary warehouse, and write its output in the formats of the
scorers in ../shared/tools: attributions with raw-text offsets (PolNeAR) and stance
statements (stance gold files).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pipeline.steps.load import LOADED_TABLES

QUOTE_ASSETS = ["batch_files", "batch_nlp", *LOADED_TABLES]
STANCE_ASSETS = QUOTE_ASSETS + ["codebook_targets", "coded_stances"]  # the coder's output, no corrections
SCORERS = {"attributions": "polnear_score.py", "stance": "stance_score.py"}


class EvalError(RuntimeError):
    pass


def default_scorer(kind: str) -> Path:
    """../shared/tools/<scorer> beside the checkout (or $STANCEWIRE_SHARED/tools)."""
    shared = os.environ.get("STANCEWIRE_SHARED")
    base = Path(shared) if shared else Path(__file__).resolve().parent.parent.parent / "shared"
    return base / "tools" / SCORERS[kind]


def load_scorer(kind: str):
    """The shared scorer (`default_scorer(kind)`) as a module, to call its functions."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(Path(SCORERS[kind]).stem, default_scorer(kind))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _stage_texts(texts: Path, articles: list[str] | None, work: Path) -> Path:
    """The input folder to run on: `texts` itself, or a copy holding the listed articles only
    (a copy, not links: ingest refuses links that lead outside the input folder)."""
    if not texts.is_dir():
        raise EvalError(f"{texts} is not a folder of .txt files")
    if not articles:
        if not any(p.is_file() and not p.name.startswith(".") for p in texts.rglob("*")):
            raise EvalError(f"{texts} holds no files to read")
        return texts
    staged = work / "texts"
    staged.mkdir()
    for name in articles:
        src = texts / f"{name.removesuffix('.txt')}.txt"
        if not src.is_file():
            raise EvalError(f"article {name!r} listed for evaluation has no file {src}")
        shutil.copyfile(src, staged / src.name)
    return staged


def run_assets(texts: Path, work: Path, assets: list[str], **settings) -> Path:
    """Materialise `assets` on `texts` into work/warehouse.duckdb through Dagster; return its path."""
    import dagster as dg

    from assets.resources import StancewireSettings
    from assets.runner import run_pipeline

    config = StancewireSettings.from_env(
        input_dir=str(texts),
        warehouse=str(work / "warehouse.duckdb"),
        releases_dir=str(work / "releases"),
        publish=False,
        batch_id="eval",
        **settings,
    )
    with dg.DagsterInstance.ephemeral() as instance:
        outcome = run_pipeline(config, instance=instance, asset_selection=assets)
    if not outcome.ok:
        raise EvalError(f"the pipeline failed: {outcome.reason}")
    return work / "warehouse.duckdb"


def attribution_records(warehouse: Path) -> list[dict]:
    """One PolNeAR-format prediction per quote, offsets in the raw file text."""
    import duckdb

    from pipeline.steps.warehouse_wide import load_alignments

    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = dict(conn.execute("SELECT article_id, doc_name FROM articles").fetchall())
        aligns = load_alignments(conn, list(names))
        rows = conn.execute(
            "SELECT article_id, content_segments, speaker_char_start, speaker_char_end, cue_char_start, cue_char_end, "
            "is_direct FROM quotes ORDER BY article_id, char_start"
        ).fetchall()
    finally:
        conn.close()
    out = []
    for aid, segs, ss, se, cs, ce, direct in rows:
        align = aligns[aid]
        content = [list(align.raw_span(a, b)) for a, b in json.loads(segs)]
        content = [s for s in content if s[1] > s[0]]
        if not content:
            continue
        out.append(
            {
                "doc": names[aid],
                "content": content[0] if len(content) == 1 else content,
                "source": list(align.raw_span(ss, se)) if ss is not None else None,
                "cue": list(align.raw_span(cs, ce)) if cs is not None else None,
                "direct": bool(direct),
            }
        )
    return out


def stance_records(warehouse: Path) -> list[dict]:
    """The stances table in the gold-file format (article = input file name without extension)."""
    import duckdb

    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = conn.execute(
            "SELECT a.doc_name, s.codebook, s.actor, s.actor_type, s.country, s.target, s.stance, s.evidence, "
            "s.confidence, s.cue FROM coded_stances s JOIN articles a USING (article_id) "
            "ORDER BY a.doc_name, s.evidence_char_start, s.target, s.actor"
        ).fetchall()
    finally:
        conn.close()
    keys = (
        "article",
        "codebook",
        "actor",
        "actor_type",
        "country",
        "target",
        "stance",
        "evidence",
        "confidence",
        "cue",
    )
    return [dict(zip(keys, r)) for r in rows]


def write_jsonl(records: list[dict], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def score(kind: str, args: list[str], scorer: Path | None = None) -> str:
    scorer = scorer or default_scorer(kind)
    if not scorer.is_file():
        raise EvalError(
            f"scorer {scorer} not found (it lives in ../shared/tools beside the checkout; pass --scorer PATH)"
        )
    proc = subprocess.run([sys.executable, str(scorer), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise EvalError(f"{scorer.name} failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def eval_attributions(
    texts: Path, out: Path, gold: Path | None = None, scorer: Path | None = None, keep: Path | None = None, **settings
) -> str | None:
    if gold and (not (gold / "text").is_dir() or not (gold / "attributions").is_dir()):
        raise EvalError(f"{gold} is not a PolNeAR split folder (it needs text/ and attributions/)")
    with tempfile.TemporaryDirectory(prefix="stancewire-eval-") as tmp:
        work = Path(keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        warehouse = run_assets(_stage_texts(texts, None, work), work, QUOTE_ASSETS, **settings)
        write_jsonl(attribution_records(warehouse), out)
        if not gold:
            return None
        split, scope = _gold_split_for(texts, gold, work)
        return scope + score("attributions", [str(split), str(out)], scorer)


def _gold_split_for(texts: Path, gold: Path, work: Path) -> tuple[Path, str]:
    """The PolNeAR split to score against, and a line saying what it covers. The scorer counts
    every document of its split, so when `texts` holds only some of them (in it or in its
    subfolders, as the run reads them), a split of those documents alone is made in `work`
    (links to the gold files; made anew each time), and the line says so."""
    ours = {p.stem for p in texts.rglob("*.txt") if not p.name.startswith(".")}
    theirs = {p.stem for p in (gold / "text").glob("*.txt")}
    unknown = sorted(ours - theirs)
    if unknown:
        raise EvalError(
            f"{len(unknown)} text(s) of {texts} are not in the split {gold}, e.g. {unknown[0]}.txt: "
            "score against the split they come from"
        )
    if ours == theirs:
        return gold, ""
    split = work / "gold-split"
    shutil.rmtree(split, ignore_errors=True)  # an earlier evaluation kept in the same --keep folder
    for sub in ("text", "attributions"):
        (split / sub).mkdir(parents=True, exist_ok=True)
    for name in sorted(ours):
        (split / "text" / f"{name}.txt").symlink_to((gold / "text" / f"{name}.txt").resolve())
    for ann in (gold / "attributions").glob("*_*.ann"):  # <doc>_<annotator>.ann, as the scorer reads them
        if ann.stem.rsplit("_", 1)[0] in ours:
            (split / "attributions" / ann.name).symlink_to(ann.resolve())
    return split, f"Scored on the {len(ours)} of the split's {len(theirs)} documents that {texts} holds.\n"


def eval_stance(
    texts: Path,
    codebooks: list[str],
    out: Path,
    gold: Path | None = None,
    articles_file: Path | None = None,
    scorer: Path | None = None,
    keep: Path | None = None,
    **settings,
) -> str | None:
    articles = None
    if articles_file:
        articles = [line.strip() for line in articles_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory(prefix="stancewire-eval-") as tmp:
        work = Path(keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        staged = _stage_texts(texts, articles, work)
        warehouse = run_assets(staged, work, STANCE_ASSETS, codebooks=codebooks, **settings)
        write_jsonl(stance_records(warehouse), out)
        if not gold:
            return None
        scope = ["--articles-file", str(articles_file)] if articles_file else ["--texts", str(staged)]
        return score("stance", [str(gold), str(out), *scope], scorer)

"""Write eval/stance.md: stance-coding scores on the seed gold and the PolNeAR dev gold.

Run from the repository root:  .venv/bin/python -m eval.stance_report

Each gold set is coded by the official evaluation path (`cli.evaluate.eval_stance`:
the real pipeline through Dagster into a temporary warehouse) and scored by the shared
scorer (../shared/tools/stance_score.py). The page adds a confusion table (gold label
against predicted label on the actor-target pairs found) and examples of errors grouped by
their cause, the cause read off the kept warehouse (quotes, speakers) and the gold file.
The gold files and texts are third-party data read in place; the page quotes only short
evidence excerpts.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("STANCEWIRE_SHARED", REPO.parent / "shared"))
LABELS = ("favor", "against", "neutral")
EXAMPLES = 10
REFERRING = {"he", "she", "him", "her", "his", "it", "this", "idea", "plan"}  # words the coder resolves


@dataclass(frozen=True)
class GoldSet:
    name: str
    texts: Path
    codebook: Path
    gold: Path
    articles_file: Path | None


SETS = [
    GoldSet(
        "Seed article (ukraine-peacekeeping)",
        SHARED / "data" / "seed",
        REPO / "data" / "codebooks" / "ukraine-peacekeeping.yaml",
        SHARED / "data" / "stance-gold" / "seed.jsonl",
        None,
    ),
    GoldSet(
        "PolNeAR dev, 21 annotated articles (us-election-2016)",
        SHARED / "data" / "polnear" / "dev" / "text",
        REPO / "data" / "codebooks" / "us-election-2016.yaml",
        SHARED / "data" / "stance-gold" / "polnear-dev.jsonl",
        SHARED / "data" / "stance-gold" / "polnear-dev-articles.txt",
    ),
]

# Why an error happens, by what the warehouse and the gold file show (first match wins).
CAUSES = {
    "label": "Wrong label: the actor and target were linked, but given the other label.",
    "speaker": "Quote given to another speaker: the attribution extractor assigned the quote holding the "
    "evidence to a different source, so its stance went to that source (upstream of stance coding).",
    "naming": "Other holder for the evidence: the statement was found, but held by another actor or by a "
    "description the scorer cannot match to the gold name (a super PAC rather than its funders, "
    '"A union ..." for "Association of ...").',
    "implicit": "Target not named: the evidence refers to the target only through context the resolver "
    'does not follow ("this guy", a plan, the campaign\'s people).',
    "no_cue": "Left out: the target is named near the holder, but the pair was not proposed or the model "
    "decided `none` (often a position implied by irony, reasons, a contrast or an act that takes a side "
    "indirectly).",
    "not_coded": "Not a gold statement: the model coded a pair the annotators did not code here (a "
    "headline, a reported rather than held view, a misparse, a mention with no position).",
}


def _load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_set(gs: GoldSet, work: Path) -> dict:
    """Code a gold set through the pipeline, score it, and collect what the page needs."""
    from cli.evaluate import eval_stance, score

    out = work / "pred.jsonl"
    keep = work / "warehouse"
    eval_stance(gs.texts, [str(gs.codebook)], out, gs.gold, gs.articles_file, keep=keep)
    scope = ["--articles-file", str(gs.articles_file)] if gs.articles_file else ["--texts", str(gs.texts)]
    metrics = json.loads(score("stance", [str(gs.gold), str(out), *scope, "--json"]))
    articles = (
        [line.strip().removesuffix(".txt") for line in gs.articles_file.read_text().splitlines() if line.strip()]
        if gs.articles_file
        else [p.stem for p in gs.texts.glob("*.txt")]
    )
    gold = [g for g in _load(gs.gold) if g["article"] in set(articles)]
    pred = [p for p in _load(out) if p["article"] in set(articles)]
    return {
        "metrics": metrics,
        "gold": gold,
        "pred": pred,
        "quotes": _quotes(keep / "warehouse.duckdb"),
        "terms": _term_words(gs.codebook),
    }


def _term_words(codebook: Path) -> dict[str, set[str]]:
    """Per target: the lower-case words of its codebook terms, without a plural -s."""
    from pipeline.stances.codebooks import load_codebook

    return {
        t.id: {w.lower().rstrip("s") for term in t.terms for w in term.split() if len(w) > 2}
        for t in load_codebook(codebook).targets
    }


def _quotes(warehouse: Path) -> dict[str, list[tuple[str, str, str | None]]]:
    """Per article name: (quote content, resolved speaker name or None) for every quote."""
    import duckdb

    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = conn.execute(
            "SELECT DISTINCT a.doc_name, q.content, s.name FROM quotes q JOIN articles a USING (article_id) "
            "LEFT JOIN (SELECT DISTINCT article_id, actor_id, name FROM article_actors) s "
            "ON s.article_id = q.article_id AND s.actor_id = q.speaker_actor_id"
        ).fetchall()
    finally:
        conn.close()
    out = defaultdict(list)
    for doc, content, speaker in rows:
        out[doc].append((content, speaker))
    return out


def analyse(result: dict, sc) -> tuple[Counter, list[tuple[str, str, dict, dict | None]], dict]:
    """Confusion counts (gold label, predicted label or "none") over clear gold rows, the
    errors as (cause, kind, row, other row), and per label the scorer's counts: predictions
    matched to a clear row, predictions not matched to a debatable one (precision's
    denominator), clear gold rows matched, clear gold rows."""
    gold, pred = result["gold"], result["pred"]
    seen, uniq = set(), []
    for p in pred:  # the scorer's de-duplication
        key = (p["article"], tuple(sc.tokens(p["actor"])), p["target"], p["stance"])
        if key not in seen:
            seen.add(key)
            uniq.append(p)
    pred = uniq
    match_of = dict(_matches(pred, gold, sc))  # prediction -> gold row
    used, matched_pred = set(match_of.values()), set(match_of)
    confusion: Counter = Counter()
    errors = []
    for i, g in enumerate(gold):
        if g["certainty"] != "clear":
            continue
        pairs = [p for p in pred if p["article"] == g["article"] and p["target"] == g["target"] and sc.same_actor(p, g)]
        labels = [p["stance"] for p in pairs]
        got = g["stance"] if g["stance"] in labels else (Counter(labels).most_common(1)[0][0] if labels else "none")
        confusion[(g["stance"], got)] += 1
        if i not in used:
            errors.append(
                (
                    _fn_cause(g, pairs, pred, result["quotes"], result["terms"], sc),
                    "missed",
                    g,
                    pairs[0] if pairs else None,
                )
            )
    missed = [g for i, g in enumerate(gold) if i not in used and g["certainty"] == "clear"]
    for k, p in enumerate(pred):
        if k not in matched_pred:
            errors.append((_fp_cause(p, gold, missed, sc), "false alarm", p, None))
    per_label = {label: [0, 0, 0, 0] for label in LABELS}
    for k, p in enumerate(pred):
        g = gold[match_of[k]] if k in match_of else None
        if g is not None and g["certainty"] != "clear":
            continue  # matched an optional (debatable) row: neither helps nor hurts
        per_label[p["stance"]][1] += 1
        per_label[p["stance"]][0] += g is not None
    for i, g in enumerate(gold):
        if g["certainty"] == "clear":
            per_label[g["stance"]][3] += 1
            per_label[g["stance"]][2] += i in used
    return confusion, errors, per_label


def _matches(pred: list[dict], gold: list[dict], sc):
    """(prediction index, gold index) of the scorer's one-to-one matching, clear rows first."""
    used: set[int] = set()
    for k, p in enumerate(pred):
        hit = None
        for i, g in enumerate(gold):
            if i in used or g["article"] != p["article"] or g["target"] != p["target"] or g["stance"] != p["stance"]:
                continue
            if sc.same_actor(p, g) and (
                hit is None or (gold[hit]["certainty"] != "clear" and g["certainty"] == "clear")
            ):
                hit = i
        if hit is not None:
            used.add(hit)
            yield k, hit


def _overlap(a: str, b: str) -> bool:
    a, b = a.strip().strip("“”\"'"), b.strip().strip("“”\"'")
    return bool(a and b) and (a[:40] in b or b[:40] in a)


def _fn_cause(g, pairs, pred, quotes, terms, sc) -> str:
    if pairs:
        return "label"
    holding = [speaker for content, speaker in quotes.get(g["article"], []) if _overlap(g["evidence"], content)]
    if any(holding) and not any(speaker and sc.same_actor({"actor": speaker}, g) for speaker in holding):
        return "speaker"
    if any(
        p["article"] == g["article"]
        and p["target"] == g["target"]
        and p["stance"] == g["stance"]
        and _overlap(p["evidence"], g["evidence"])
        for p in pred
    ):
        return "naming"
    words = {w.strip('.,;:!?"“”()').lower() for w in g["evidence"].replace("’s", " ").replace("'s", " ").split()}
    if not {w.rstrip("s") for w in words} & terms.get(g["target"], set()) and not words & REFERRING:
        return "implicit"
    return "no_cue"


def _fp_cause(p, gold, missed, sc) -> str:
    same = [g for g in gold if g["article"] == p["article"] and g["target"] == p["target"] and sc.same_actor(p, g)]
    if same:
        return "label"
    if any(
        g["article"] == p["article"]
        and g["target"] == p["target"]
        and g["stance"] == p["stance"]
        and _overlap(g["evidence"], p["evidence"])
        for g in missed
    ):
        return "naming"
    return "not_coded"


def _pick(errors: list, n: int) -> list:
    """n examples spread over the causes, most frequent cause first."""
    by_cause = defaultdict(list)
    for e in errors:
        by_cause[e[0]].append(e)
    order = sorted(by_cause, key=lambda c: -len(by_cause[c]))
    out, k = [], 0
    while len(out) < n and any(by_cause[c][k : k + 1] for c in order):
        for c in order:
            if k < len(by_cause[c]) and len(out) < n:
                out.append(by_cause[c][k])
        k += 1
    return sorted(out, key=lambda e: order.index(e[0]))


def _short(text: str, n: int = 130) -> str:
    text = " ".join(text.split()).replace("|", "/")
    return text if len(text) <= n else text[: n - 1] + "…"


def _set_name(gs: GoldSet) -> str:
    return gs.name.split(",")[0].split(" (")[0]


def render(results: list[tuple[GoldSet, dict]], sc) -> str:
    lines = [
        "# Stance coding: evaluation",
        "",
        "Generated by `.venv/bin/python -m eval.stance_report` (do not edit by hand). Each gold set is",
        "coded by the official evaluation path (`stancewire eval stance`: the pipeline through Dagster",
        "into a temporary warehouse) and scored by `../shared/tools/stance_score.py`. Gold rows marked",
        "`debatable` are optional: matching one neither helps nor hurts. The gold sets are test sets:",
        "nothing in the coder (candidates, features, model, threshold) was chosen by looking at them.",
        "",
        *_model_section(),
        "## Scores on the test sets",
        "",
        "| gold set | gold (clear) | predicted | TP | FP | precision | recall | F1 | pairs found | label accuracy |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    all_errors = []
    confusions = []
    per_labels = []
    for gs, res in results:
        m = res["metrics"]
        lines.append(
            f"| {gs.name} | {m['gold_clear']} | {m['predicted']} | {m['true_positive']} | "
            f"{m['false_positive']} | {m['precision']:.2f} | {m['recall']:.2f} | {m['f1']:.2f} | "
            f"{m['pairs_found']} | {m['label_accuracy']:.2f} |"
        )
        confusion, errors, per_label = analyse(res, sc)
        confusions.append((gs, confusion))
        per_labels.append((gs, per_label))
        all_errors += [(gs, *e) for e in errors]
    lines += [
        "",
        "## Precision and recall by label",
        "",
        "Precision: the share of the statements coded with the label that match a clear gold row",
        "(statements matching a debatable row are left out). Recall: the share of clear gold rows with",
        "the label that a statement matches.",
        "",
        "| gold set | label | coded | precision | gold (clear) | recall |",
        "|---|---|---|---|---|---|",
    ]
    for gs, per_label in per_labels:
        for label in LABELS:
            tp, n, found, clear = per_label[label]
            lines.append(f"| {_set_name(gs)} | {label} | {n} | {_share(tp, n)} | {clear} | {_share(found, clear)} |")
    lines += [
        "",
        "## Calibration on the test sets",
        "",
        "Coded statements binned by `confidence` (the model's probability of the label it gave); precision",
        "as above. The model's own calibration, on its corpus, is in the first section.",
        "",
        "| gold set | " + " | ".join(f"{a:.1f}-{b:.1f}" for a, b in BINS) + " |",
        "|---|" + "---|" * len(BINS),
    ]
    for gs, res in results:
        lines.append(f"| {_set_name(gs)} | " + " | ".join(_bin_cell(res, a, b, sc) for a, b in BINS) + " |")
    lines += [
        "",
        "## Confusion (clear gold rows: gold label by predicted label)",
        "",
        "A row counts once per clear gold statement: the predicted label of the same actor and",
        "target (the gold one when any prediction agrees), or `none` when the pair was not found.",
        "",
    ]
    for gs, confusion in confusions:
        lines += [
            f"**{gs.name}**",
            "",
            "| gold \\ predicted | " + " | ".join(LABELS) + " | none |",
            "|---|" + "---|" * (len(LABELS) + 1),
        ]
        for g in LABELS:
            lines.append(f"| {g} | " + " | ".join(str(confusion[(g, p)]) for p in (*LABELS, "none")) + " |")
        lines.append("")
    counts = Counter((gs.name, cause) for gs, cause, *_ in all_errors)
    lines += [
        "## Errors by cause",
        "",
        "Every missed clear gold statement and every false alarm, by the cause the warehouse and the",
        "gold file show (rules in `eval/stance_report.py`).",
        "",
        "| cause | " + " | ".join(gs.name for gs, _ in results) + " |",
        "|---|" + "---|" * len(results),
    ]
    for cause, text in CAUSES.items():
        if any(counts[(gs.name, cause)] for gs, _ in results):
            lines.append(
                f"| {text.split(':')[0]} | " + " | ".join(str(counts[(gs.name, cause)]) for gs, _ in results) + " |"
            )
    lines += ["", f"## {EXAMPLES} examples, grouped by cause", ""]
    picked = _pick([(cause, gs, kind, row, other) for gs, cause, kind, row, other in all_errors], EXAMPLES)
    current = None
    for cause, gs, kind, row, other in picked:
        if cause != current:
            if current is not None:
                lines.append("")
            current = cause
            title, why = CAUSES[cause].split(": ", 1)
            lines += [f"### {title}", "", why[0].upper() + why[1:], ""]
        what = f"{row['actor']} → {row['target']} **{row['stance']}**"
        if kind == "missed":
            extra = f" (predicted {other['stance']})" if other else ""
            lines.append(f"- missed{extra}, {_set_name(gs)}: {what}. Evidence: “{_short(row['evidence'])}”")
        else:
            lines.append(
                f"- false alarm, {_set_name(gs)}: {what}, cue `{row.get('cue')}`. Evidence: “{_short(row['evidence'])}”"
            )
    lines.append("")
    return "\n".join(lines)


BINS = ((0.0, 0.4), (0.4, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 1.01))


def _share(a: int, n: int) -> str:
    return f"{a / n:.2f}" if n else "–"


def _bin_cell(res: dict, low: float, high: float, sc) -> str:
    """'precision (n)' of the set's statements with confidence in [low, high)."""
    gold, pred = res["gold"], res["pred"]
    match_of = dict(_matches(pred, gold, sc))
    inside = [k for k, p in enumerate(pred) if low <= float(p.get("confidence") or 0) < high]
    counted = [k for k in inside if k not in match_of or gold[match_of[k]]["certainty"] == "clear"]
    return f"{_share(sum(k in match_of for k in counted), len(counted))} ({len(counted)})" if counted else "–"


def _model_section() -> list[str]:
    """What the model is, what it was trained on, its cross-validated scores and calibration."""
    from pipeline.stances.decision import default_model

    model = default_model()
    info = model.info
    cv = info.get("cross_validation", {})
    trained = info.get("trained_on", {})
    lines = [
        "## The model",
        "",
        f"`{model.method}`: {info.get('kind')}, trained by `stancewire train stance` on stancewire's own",
        "corpus (docs/stance-corpus.md): "
        + "; ".join(
            f"{book}: {t['articles']} articles, {t['statements']} statements, {t['candidates']} candidates"
            for book, t in sorted(trained.items())
        )
        + f". {info.get('features')} features. A candidate is coded when its best sentence's probability of",
        f"`none` is below {model.threshold}.",
        "",
        f"Cross-validated on that corpus ({info.get('settings', {}).get('folds')} folds by article, the threshold",
        "chosen on the same folds), scored by the shared scorer:",
        "",
        "| p(none) below | codebook | precision | recall | F1 | label accuracy | coded |",
        "|---|---|---|---|---|---|---|",
    ]
    for threshold, books in sorted(cv.get("by_threshold", {}).items()):
        for book, r in sorted(books.items()):
            mark = " (chosen)" if float(threshold) == model.threshold else ""
            lines.append(
                f"| {threshold}{mark} | {book} | {r['precision']:.2f} | {r['recall']:.2f} | {r['f1']:.2f} | "
                f"{r['label_accuracy']:.2f} | {r['predicted']} |"
            )
    lines += [
        "",
        "Calibration on the corpus (held-out folds, both codebooks): the statements coded at the chosen",
        "threshold, by confidence, and the share whose pair the corpus codes with that label.",
        "",
        "| confidence | statements | precision |",
        "|---|---|---|",
    ]
    for b in cv.get("calibration", []):
        if b["statements"]:
            lines.append(f"| {b['confidence']} | {b['statements']} | {b['precision']:.2f} |")
    return [*lines, ""]


def main() -> int:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "true")
    sys.path.insert(0, str(REPO))
    from cli.evaluate import load_scorer

    sc = load_scorer("stance")
    results = []
    with tempfile.TemporaryDirectory(prefix="stance-report-") as tmp:
        for k, gs in enumerate(SETS):
            work = Path(tmp) / str(k)
            work.mkdir()
            results.append((gs, run_set(gs, work)))
    page = render(results, sc)
    (REPO / "eval" / "stance.md").write_text(page, encoding="utf-8")
    for gs, res in results:
        m = res["metrics"]
        print(
            f"{gs.name}: P {m['precision']:.2f} R {m['recall']:.2f} F1 {m['f1']:.2f} "
            f"label accuracy {m['label_accuracy']:.2f}"
        )
    print(f"wrote {REPO / 'eval' / 'stance.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

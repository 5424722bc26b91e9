"""Write eval/actors.md: mentions to canonical actors, scored on stancewire's own actor gold
(eval/actors/gold-dev.jsonl: 30 PolNeAR dev articles, annotated by eval/actors/GUIDELINES.md).

Run from the repository root:  .venv/bin/python -m eval.actors_report

`--train` scores the development gold instead (eval/actors/gold-train.jsonl: PolNeAR train
articles, annotated by the same guidelines), prints the scores and every error, and leaves
eval/actors.md alone: that gold is for building the rules on.

The 30 articles go through the real pipeline (Dagster, into a temporary warehouse, no
coder's corrections) up to the actors table. Each gold mention is matched to the pipeline's
mention with an actor whose raw-text span overlaps it most; a gold mention with none is an
actor of its own (it costs recall). Then:

- B-cubed F1 of mention -> actor across all 30 articles (cross-document coreference);
- type accuracy and country accuracy (where the gold has a country) of the matched mentions.

The gold is a test set: read to report, never to shape the rules (those are built on
PolNeAR train). The texts are third-party data read in place from ../shared.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("STANCEWIRE_SHARED", REPO.parent / "shared"))
GOLD = REPO / "eval" / "actors" / "gold-dev.jsonl"
ARTICLES = REPO / "eval" / "actors" / "dev-articles.txt"
TEXTS = SHARED / "data" / "polnear" / "dev" / "text"
TRAIN_GOLD = REPO / "eval" / "actors" / "gold-train.jsonl"
TRAIN_TEXTS = SHARED / "data" / "polnear" / "train" / "text"
ACTOR_ASSETS = ["codebook_targets", "coded_stances", "stances", "review_verdicts", "actor_aliases", "actors"]


def read_gold(path: Path = GOLD) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_pipeline(work: Path, names: list[str] | None = None, texts_dir: Path = TEXTS) -> Path:
    """The pipeline on the gold's articles, up to the actors table; the warehouse's path."""
    from cli.evaluate import QUOTE_ASSETS, _stage_texts, run_assets

    names = names or ARTICLES.read_text(encoding="utf-8").split()
    texts = _stage_texts(texts_dir, names, work)
    empty = work / "no-corrections"
    empty.mkdir()
    return run_assets(texts, work, QUOTE_ASSETS + ACTOR_ASSETS, corrections_dir=str(empty))


def system_mentions(warehouse: Path) -> tuple[dict[str, list[tuple]], dict[str, tuple[str, str | None]]]:
    """{article name: [(raw start, raw end, actor id)]} and {actor id: (type, country)}."""
    import duckdb

    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        mentions: dict[str, list[tuple]] = defaultdict(list)
        for doc, start, end, actor in conn.execute(
            "SELECT a.doc_name, m.raw_char_start, m.raw_char_end, m.actor_id FROM mentions m "
            "JOIN articles a USING (article_id) WHERE m.actor_id IS NOT NULL"
        ).fetchall():
            mentions[doc].append((start, end, actor))
        actors = {a: (t, c) for a, t, c in conn.execute("SELECT actor_id, actor_type, country FROM actors").fetchall()}
        return mentions, actors
    finally:
        conn.close()


def match(gold: list[dict], mentions: dict[str, list[tuple]]) -> list[str | None]:
    """The system actor of each gold mention: that of the overlapping mention (most overlap)."""
    out = []
    for g in gold:
        best, overlap = None, 0
        for start, end, actor in mentions.get(g["article"], []):
            o = min(end, g["end"]) - max(start, g["start"])
            if o > overlap:
                best, overlap = actor, o
        out.append(best)
    return out


def b_cubed(gold_keys: list[str], system_keys: list[str | None]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 over the gold mentions (an unmatched mention is a
    system cluster of its own)."""
    system = [k if k is not None else f"__unmatched_{i}" for i, k in enumerate(system_keys)]
    by_gold, by_system = defaultdict(set), defaultdict(set)
    for i, (g, s) in enumerate(zip(gold_keys, system, strict=True)):
        by_gold[g].add(i)
        by_system[s].add(i)
    p = r = 0.0
    for g, s in zip(gold_keys, system, strict=True):
        common = len(by_gold[g] & by_system[s])
        p += common / len(by_system[s])
        r += common / len(by_gold[g])
    n = len(gold_keys)
    p, r = p / n, r / n
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score(gold: list[dict], matched: list[str | None], actors: dict[str, tuple[str, str | None]]) -> dict:
    p, r, f = b_cubed([g["actor"] for g in gold], matched)
    typed = [(g, actors.get(a)) for g, a in zip(gold, matched, strict=True) if a is not None and a in actors]
    with_country = [(g, x) for g, x in typed if g["country"]]
    return {
        "mentions": len(gold),
        "gold_actors": len({g["actor"] for g in gold}),
        "articles": len({g["article"] for g in gold}),
        "matched": sum(a is not None for a in matched),
        "b3_precision": round(p, 4),
        "b3_recall": round(r, 4),
        "b3_f1": round(f, 4),
        "type_accuracy": round(sum(g["type"] == x[0] for g, x in typed) / len(typed), 4),
        "typed": len(typed),
        "country_accuracy": round(sum(g["country"] == x[1] for g, x in with_country) / len(with_country), 4),
        "with_country": len(with_country),
        "country_accuracy_by_type": {
            t: [
                sum(g["country"] == x[1] for g, x in with_country if g["type"] == t),
                sum(g["type"] == t for g, _ in with_country),
            ]
            for t in ("person", "organization", "country", "group")
        },
    }


def error_tables(gold: list[dict], matched: list[str | None], actors: dict) -> list[str]:
    """The gold actors split over the most system actors, and the system actors that join
    the most gold actors: where the B-cubed points go."""
    split: dict[str, Counter] = defaultdict(Counter)
    joined: dict[str, Counter] = defaultdict(Counter)
    for g, a in zip(gold, matched, strict=True):
        split[g["actor"]][a or "(no actor)"] += 1
        if a:
            joined[a][g["actor"]] += 1
    lines = [
        "### Gold actors split over several actors",
        "",
        "| gold actor | mentions | stancewire actors |",
        "|---|---|---|",
    ]
    for actor, c in sorted(split.items(), key=lambda x: (-len(x[1]), -sum(x[1].values()), x[0]))[:12]:
        if len(c) > 1:
            lines.append(
                f"| {actor} | {sum(c.values())} | " + ", ".join(f"{k} ({n})" for k, n in c.most_common(5)) + " |"
            )
    lines += ["", "### Actors that join several gold actors", "", "| stancewire actor | gold actors |", "|---|---|"]
    for actor, c in sorted(joined.items(), key=lambda x: (-len(x[1]), x[0]))[:10]:
        if len(c) > 1:
            lines.append(f"| {actor} | " + ", ".join(f"{k} ({n})" for k, n in c.most_common(5)) + " |")
    wrong_type = Counter(
        (g["type"], actors[a][0])
        for g, a in zip(gold, matched, strict=True)
        if a in actors and actors[a][0] != g["type"]
    )
    lines += ["", "### Type errors (gold -> stancewire)", ""]
    lines += [f"- {g} -> {s}: {n}" for (g, s), n in wrong_type.most_common(8)]
    return lines


def errors(gold: list[dict], matched: list[str | None], actors: dict) -> list[str]:
    """Every gold mention the system gets wrong: no actor, the wrong type or country, or an
    actor the rest of the gold actor's mentions do not have (the development view)."""
    majority: dict[str, Counter] = defaultdict(Counter)
    for g, a in zip(gold, matched, strict=True):
        majority[g["actor"]][a] += 1
    out = []
    for g, a in zip(gold, matched, strict=True):
        where = f'{g["article"][:40]}@{g["start"]} "{g["mention"]}" -> {g["actor"]}'
        if a is None:
            out.append(f"no actor      {where}")
            continue
        top = majority[g["actor"]].most_common(1)[0][0]
        if a != top:
            out.append(f"split         {where}: {a} (most: {top})")
        typ, country = actors.get(a, (None, None))
        if typ != g["type"]:
            out.append(f"type          {where}: {typ} for {g['type']} ({a})")
        if g["country"] and country != g["country"]:
            out.append(f"country       {where}: {country} for {g['country']} ({a})")
    return out


def development() -> int:
    """Score the train gold; print the scores and every error."""
    if not TRAIN_TEXTS.is_dir():
        print(f"{TRAIN_TEXTS} is absent: the train texts are read from ../shared", file=sys.stderr)
        return 2
    gold = read_gold(TRAIN_GOLD)
    names = sorted({g["article"] for g in gold})
    with tempfile.TemporaryDirectory() as tmp:
        mentions, actors = system_mentions(run_pipeline(Path(tmp), names, TRAIN_TEXTS))
    matched = match(gold, mentions)
    print("\n".join(errors(gold, matched, actors)))
    print("\n".join(error_tables(gold, matched, actors)))
    print(json.dumps(score(gold, matched, actors), indent=2))
    return 0


def main() -> int:
    if "--train" in sys.argv[1:]:
        return development()
    if not TEXTS.is_dir():
        print(f"{TEXTS} is absent: the dev texts are read from ../shared", file=sys.stderr)
        return 2
    gold = read_gold()
    with tempfile.TemporaryDirectory() as tmp:
        mentions, actors = system_mentions(run_pipeline(Path(tmp)))
    matched = match(gold, mentions)
    s = score(gold, matched, actors)
    lines = [
        "# Actors: mentions to canonical actors, on stancewire's actor gold",
        "",
        f"Written by `python -m eval.actors_report` on {dt.date.today().isoformat()}. The gold: "
        f"{s['mentions']} named mentions of {s['gold_actors']} actors in {s['articles']} PolNeAR dev articles "
        "(`eval/actors/gold-dev.jsonl`, annotated by `eval/actors/GUIDELINES.md`). It is a test set: the rules "
        "were built on PolNeAR train articles and checked on the development gold of 24 of them "
        "(`eval/actors/gold-train.jsonl`, `python -m eval.actors_report --train`).",
        "",
        "| figure | value | target (issue 20) |",
        "|---|---|---|",
        f"| B³ F1, mention → actor, across articles | {s['b3_f1']:.3f} (P {s['b3_precision']:.3f}, R {s['b3_recall']:.3f}) | ≥ 0.90 |",
        f"| type accuracy ({s['typed']} matched mentions) | {s['type_accuracy']:.3f} | ≥ 0.90 |",
        f"| country accuracy ({s['with_country']} matched mentions the gold gives a country) | {s['country_accuracy']:.3f} | ≥ 0.95 |",
        f"| gold mentions with an overlapping stancewire mention that has an actor | {s['matched']} of {s['mentions']} | — |",
        "",
        "A gold mention without a stancewire actor counts as an actor of its own, so missed mentions "
        "(a name the NER does not find, a place in no gazetteer) lower recall.",
        "",
        "Country accuracy by the gold's type (right / mentions the gold gives a country): "
        + "; ".join(f"{t} {r}/{n}" for t, (r, n) in s["country_accuracy_by_type"].items())
        + ". An actor's country is the one its articles state most often (a role naming a country, a US "
        'state or a party, "Russia\'s foreign minister", "Ohio Gov.", "Republican nominee"; a listed '
        "organisation's; a country, state or party in an organisation's name), else the country most of its "
        "articles are set in (`actors.country_source` 'article_setting', pipeline/actors/setting.py); the gold "
        "gives most people a country from world knowledge.",
        "",
        *error_tables(gold, matched, actors),
        "",
        "```json",
        json.dumps(s, indent=2),
        "```",
        "",
    ]
    (REPO / "eval" / "actors.md").write_text("\n".join(lines), encoding="utf-8")
    print(json.dumps(s, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

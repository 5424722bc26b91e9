"""A stratified random sample of the coded statements (or quotes) as a review CSV.

Strata are (codebook, target, stance) for statements and the quote kind for quotes. The
sample is allocated to strata in proportion to their size (largest remainders), so the
share of `correct` verdicts estimates the precision of the whole without weights; each row
carries its stratum and the stratum's size for those who weight anyway. Items within a
stratum are drawn with `random.Random(seed)` from the id-sorted list: the same warehouse
and seed give the same sample.

The CSV is UTF-8 with a BOM (spreadsheets then read it as UTF-8). The coder fills
`verdict`, `corrected_stance`, `corrected_actor`, `note` (and `coder`).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

STATEMENT_COLUMNS = (
    "statement_id",
    "title",
    "context",
    "evidence",
    "actor",
    "actor_type",
    "country",
    "codebook",
    "codebook_version",
    "target",
    "stance",
    "cue",
    "confidence",
    "verdict",
    "corrected_stance",
    "corrected_actor",
    "corrected_actor_type",
    "note",
    "coder",
    "article_id",
    "evidence_char_start",
    "evidence_char_end",
    "stratum",
    "stratum_size",
    "sample_seed",
    "sampled_at",
)
QUOTE_COLUMNS = (
    "quote_id",
    "title",
    "context",
    "content",
    "speaker",
    "cue",
    "kind",
    "speaker_resolution",
    "verdict",
    "corrected_actor",
    "note",
    "coder",
    "article_id",
    "char_start",
    "char_end",
    "stratum",
    "stratum_size",
    "sample_seed",
    "sampled_at",
)


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """n split over strata in proportion to their sizes (largest remainders; ties by name)."""
    total = sum(sizes.values())
    if n >= total:
        return dict(sizes)
    quotas = {s: n * size / total for s, size in sizes.items()}
    out = {s: int(q) for s, q in quotas.items()}
    for s in sorted(sizes, key=lambda s: (-(quotas[s] - out[s]), s))[: n - sum(out.values())]:
        out[s] += 1
    return out


def draw(items: list[dict], stratum_of, n: int, seed: int) -> list[dict]:
    """A proportional stratified sample of `items` (each gets `stratum`, `stratum_size`)."""
    strata: dict[str, list[dict]] = {}
    for item in items:
        strata.setdefault(stratum_of(item), []).append(item)
    rng = random.Random(seed)
    out = []
    for name, k in sorted(allocate({s: len(v) for s, v in strata.items()}, n).items()):
        for item in rng.sample(strata[name], k):
            out.append({**item, "stratum": name, "stratum_size": len(strata[name])})
    return out


def _context(conn, rows: list[dict], start_col: str, end_col: str) -> None:
    """Set each row's `context`: the sentences its span touches, with one sentence either side."""
    articles = sorted({r["article_id"] for r in rows})
    sentences: dict[str, list[tuple[int, int]]] = {}
    for aid, start, end in conn.execute(
        "SELECT article_id, char_start, char_end FROM sentences WHERE article_id IN (SELECT unnest(?::VARCHAR[])) "
        "ORDER BY article_id, sentence_no",
        [articles],
    ).fetchall():
        sentences.setdefault(aid, []).append((start, end))
    texts = dict(
        conn.execute(
            "SELECT article_id, text FROM articles WHERE article_id IN (SELECT unnest(?::VARCHAR[]))", [articles]
        ).fetchall()
    )
    for r in rows:
        spans = sentences.get(r["article_id"], [])
        start, end = r[start_col], r[end_col]
        touched = [i for i, (s, e) in enumerate(spans) if s < end and start < e]
        if touched:
            lo, hi = max(0, touched[0] - 1), min(len(spans) - 1, touched[-1] + 1)
            start, end = min(start, spans[lo][0]), max(end, spans[hi][1])
        r["context"] = " ".join(texts[r["article_id"]][start:end].split())


def _sample(conn, table: str, key: str, cols: list[str], stratum_of, n: int, seed: int, span: tuple[str, str]):
    """n rows of `table` (with their article's title), stratified by `stratum_of`, each
    with the context of its `span` columns, in `key` order."""
    items = [
        dict(zip([*cols, "title"], r, strict=True))
        for r in conn.execute(
            f"SELECT {', '.join('t.' + c for c in cols)}, coalesce(a.title, a.doc_name) FROM {table} t "
            f"JOIN articles a USING (article_id) ORDER BY t.{key}"
        ).fetchall()
    ]
    rows = draw(items, stratum_of, n, seed)
    _context(conn, rows, *span)
    return sorted(rows, key=lambda r: r[key])


def sample_statements(conn, n: int, seed: int) -> list[dict]:
    """n coded statements (the stance coder's output, `coded_stances`), stratified by
    codebook, target and stance."""
    cols = [
        "statement_id",
        "article_id",
        "actor",
        "actor_type",
        "country",
        "codebook",
        "codebook_version",
        "target",
        "stance",
        "cue",
        "confidence",
        "evidence",
        "evidence_char_start",
        "evidence_char_end",
    ]
    stratum = lambda r: f"{r['codebook']}/{r['target']}/{r['stance']}"
    return _sample(
        conn, "coded_stances", "statement_id", cols, stratum, n, seed, ("evidence_char_start", "evidence_char_end")
    )


def sample_quotes(conn, n: int, seed: int) -> list[dict]:
    """n quotes (attributions), stratified by kind (direct, mixed, indirect)."""
    cols = [
        "quote_id",
        "article_id",
        "content",
        "speaker",
        "cue",
        "kind",
        "speaker_resolution",
        "char_start",
        "char_end",
    ]
    return _sample(conn, "quotes", "quote_id", cols, lambda r: r["kind"], n, seed, ("char_start", "char_end"))


def write_review_csv(path: Path, rows: list[dict], quotes: bool, seed: int) -> None:
    """The review file: UTF-8 with a BOM, the coder's columns empty."""
    columns = QUOTE_COLUMNS if quotes else STATEMENT_COLUMNS
    today = dt.date.today().isoformat()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow(
                {
                    **{c: "" if r.get(c) is None else r.get(c) for c in columns},
                    "sample_seed": seed,
                    "sampled_at": today,
                    **({"confidence": f"{r['confidence']:.3f}"} if "confidence" in r else {}),
                }
            )

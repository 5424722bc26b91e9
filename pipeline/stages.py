"""The pipeline's stages as functions of a DuckDB connection: read inputs, transform with
the pure modules (ingest, clean, nlp, actors, quotes, stances), write tables.

Dagster assets (assets/) call these and add metadata; the evaluation commands run the
same assets. Each stage writes its tables in one transaction per batch of articles, so an
interrupted run never leaves half a batch behind.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from . import schema
from .alignment import Alignment
from .clean import clean_text
from .ingest import IngestResult, ingest_folder
from .warehouse import replace_rows, transaction

log = logging.getLogger(__name__)

ARTICLE_CHUNK = 200  # articles per transaction in the per-article stages

Progress = Callable[[int], None]


@dataclass
class StageReport:
    rows: dict[str, int] = field(default_factory=dict)
    notes: dict[str, object] = field(default_factory=dict)


def _frame(table: str, rows: list[dict]) -> pl.DataFrame:
    """A Polars frame with exactly the table's columns and types."""
    t = schema.TABLES[table]
    types = {"VARCHAR": pl.Utf8, "INTEGER": pl.Int64, "BOOLEAN": pl.Boolean, "DOUBLE": pl.Float64,
             "BLOB": pl.Binary, "BIGINT": pl.Int64}
    return pl.DataFrame(rows, schema={c.name: types[c.type] for c in t.columns}, orient="row") if rows else \
        pl.DataFrame(schema={c.name: types[c.type] for c in t.columns})


# ---------------------------------------------------------------------- ingest


def register_batch(conn, batch_id: str, input_label: str) -> None:
    """Give a batch its sequence number the first time it is seen (articles found in
    several batches belong to the earliest)."""
    if conn.execute("SELECT 1 FROM batches WHERE batch_id = ?", [batch_id]).fetchone():
        return
    seq = conn.execute("SELECT coalesce(max(batch_seq), 0) + 1 FROM batches").fetchone()[0]
    conn.execute("INSERT INTO batches VALUES (?, ?, ?)", [batch_id, seq, input_label])


def run_ingest(conn, input_dir: Path, batch_id: str) -> tuple[StageReport, IngestResult]:
    """Read the batch's folder into raw_articles and rejected_articles (replacing the batch)."""
    if not input_dir.is_dir():
        raise FileNotFoundError(f"input folder {input_dir} does not exist or is not a folder")
    result = ingest_folder(input_dir, batch_id)
    _reject_id_conflicts(conn, result, batch_id)
    raw_rows = [{
        "batch_id": r.batch_id, "source_file": r.source_file, "record_no": r.record_no,
        "input_format": r.input_format, "encoding": r.encoding, "external_id": r.external_id,
        "title": r.title, "outlet": r.outlet, "author": r.author, "url": r.url,
        "published_at": r.published_at, "raw_text": r.raw_text, "record_sha256": r.record_sha256,
    } for r in result.records]
    rej_rows = [{
        "batch_id": r.batch_id, "source_file": r.source_file, "record_no": r.record_no,
        "reason": r.reason, "detail": r.detail, "snippet": r.snippet,
    } for r in result.rejections]
    with transaction(conn):
        register_batch(conn, batch_id, input_dir.name)
        replace_rows(conn, "raw_articles", _frame("raw_articles", raw_rows), "batch_id = ?", [batch_id])
        replace_rows(conn, "rejected_articles", _frame("rejected_articles", rej_rows), "batch_id = ?", [batch_id])
    report = StageReport(rows={"raw_articles": len(raw_rows), "rejected_articles": len(rej_rows)})
    report.notes["records_read"] = len(raw_rows) + len(rej_rows)
    report.notes["skipped_hidden_files"] = result.skipped_hidden
    return report, result


def _reject_id_conflicts(conn, result: IngestResult, batch_id: str) -> None:
    """A record whose input id is already used by a different text (in this batch or an
    earlier one) is rejected: ids must identify one article."""
    from .ingest import Rejection

    known = dict(conn.execute(
        "SELECT external_id, any_value(record_sha256) FROM raw_articles "
        "WHERE external_id IS NOT NULL AND batch_id <> ? GROUP BY external_id", [batch_id]).fetchall())
    kept = []
    for r in result.records:
        if r.external_id is not None:
            sha = known.setdefault(r.external_id, r.record_sha256)
            if sha != r.record_sha256:
                result.rejections.append(Rejection(
                    batch_id, r.source_file, r.record_no, "id_conflict",
                    f"id {r.external_id!r} is already used by a different text; ids must identify one article",
                    r.raw_text[:200]))
                log.warning("rejected %s record %s: id_conflict (%s)", r.source_file, r.record_no, r.external_id)
                continue
        kept.append(r)
    result.records = kept


# ---------------------------------------------------------------------- clean


def run_clean(conn) -> StageReport:
    """Clean every raw record; keep the first of identical texts, list the others as duplicates."""
    rows = conn.execute(
        "SELECT r.batch_id, r.source_file, r.record_no, r.input_format, r.encoding, r.external_id, r.title, "
        "r.outlet, r.author, r.url, r.published_at, r.raw_text FROM raw_articles r "
        "JOIN batches b USING (batch_id) ORDER BY b.batch_seq, r.source_file, r.record_no").fetchall()
    articles, alignment, duplicates = [], [], []
    by_text: dict[str, str] = {}
    by_id: set[str] = set()
    for (batch_id, source_file, record_no, fmt, encoding, ext_id, title, outlet, author, url,
         published_at, raw_text) in rows:
        cleaned = clean_text(raw_text, has_title_line=fmt in ("txt", "html"))
        sha = cleaned.text_sha256
        article_id = ext_id or sha[:16]
        if sha in by_text:
            duplicates.append({"batch_id": batch_id, "source_file": source_file, "record_no": record_no,
                               "duplicate_of": by_text[sha],
                               "match": "same_id_same_text" if by_text[sha] == article_id else "same_text"})
            continue
        if article_id in by_id:  # an input id equal to another article's hash id: keep both, disambiguated
            article_id = f"{article_id}-{sha[:8]}"
        by_text[sha] = article_id
        by_id.add(article_id)
        stem = Path(source_file).stem
        articles.append({
            "article_id": article_id, "batch_id": batch_id, "source_file": source_file, "record_no": record_no,
            "doc_name": ext_id or (stem if fmt in ("txt", "html") else f"{stem}-{record_no}"),
            "input_format": fmt, "encoding": encoding, "external_id": ext_id,
            "title": title if fmt not in ("txt",) else (cleaned.title or title),
            "outlet": outlet or cleaned.outlet, "author": author or cleaned.author, "url": url,
            "published_at": published_at, "original_source": cleaned.original_source,
            "raw_text": raw_text, "text": cleaned.text, "text_sha256": sha, "n_chars": len(cleaned.text),
            "n_paragraphs": cleaned.n_paragraphs, "cleaning": ",".join(cleaned.repairs),
        })
        alignment.extend({"article_id": article_id, "segment_no": n, "char_start": cs, "char_end": ce,
                          "raw_char_start": rs, "raw_char_end": re_, "is_copy": cp}
                         for n, cs, ce, rs, re_, cp in cleaned.alignment.rows())
    with transaction(conn):
        replace_rows(conn, "articles", _frame("articles", articles))
        replace_rows(conn, "article_alignment", _frame("article_alignment", alignment))
        replace_rows(conn, "duplicate_articles", _frame("duplicate_articles", duplicates))
    return StageReport(rows={"articles": len(articles), "article_alignment": len(alignment),
                             "duplicate_articles": len(duplicates)})


def load_alignments(conn, article_ids: list[str]) -> dict[str, Alignment]:
    if not article_ids:
        return {}
    rows = conn.execute(
        "SELECT article_id, char_start, char_end, raw_char_start, raw_char_end, is_copy FROM article_alignment "
        "WHERE article_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY article_id, segment_no", [article_ids]).fetchall()
    grouped: dict[str, list] = {}
    for aid, *seg in rows:
        grouped.setdefault(aid, []).append(seg)
    return {aid: Alignment.from_rows(segs) for aid, segs in grouped.items()}


# ---------------------------------------------------------------------- parse


def run_parse(conn, nlp, batch_size: int = 64, n_process: int = 1, progress: Progress | None = None) -> StageReport:
    """Parse articles that have no parse for their current text and model; store the Docs
    (DocBin) and their sentences. Articles parsed before are not parsed again."""
    from .nlp import doc_to_bytes, model_id, parse_texts

    model = model_id(nlp)
    with transaction(conn):
        conn.execute("DELETE FROM parses WHERE article_id NOT IN (SELECT article_id FROM articles) OR model <> ? "
                     "OR article_id IN (SELECT p.article_id FROM parses p JOIN articles a USING (article_id) "
                     "WHERE p.text_sha256 <> a.text_sha256)", [model])
        conn.execute("DELETE FROM sentences WHERE article_id NOT IN (SELECT article_id FROM parses)")
    todo = [r[0] for r in conn.execute(
        "SELECT article_id FROM articles WHERE article_id NOT IN (SELECT article_id FROM parses) "
        "ORDER BY article_id").fetchall()]

    def texts() -> Iterator[str]:
        for chunk in _chunks(todo, ARTICLE_CHUNK):
            got = dict(conn.execute("SELECT article_id, text FROM articles WHERE article_id IN "
                                    "(SELECT unnest(?::VARCHAR[]))", [chunk]).fetchall())
            yield from (got[a] for a in chunk)

    parsed = 0
    docs = parse_texts(nlp, texts(), batch_size=batch_size, n_process=n_process)
    for chunk in _chunks(todo, ARTICLE_CHUNK):
        aligns = load_alignments(conn, chunk)
        shas = dict(conn.execute("SELECT article_id, text_sha256 FROM articles WHERE article_id IN "
                                 "(SELECT unnest(?::VARCHAR[]))", [chunk]).fetchall())
        parse_rows, sent_rows = [], []
        for article_id in chunk:
            doc = next(docs)
            align = aligns[article_id]
            parse_rows.append({"article_id": article_id, "text_sha256": shas[article_id], "model": model,
                               "n_tokens": len(doc), "docbin": doc_to_bytes(doc)})
            for n, sent in enumerate(doc.sents):
                start, end = _trim(doc.text, sent.start_char, sent.end_char)
                if end <= start:
                    continue
                rs, re_ = align.raw_span(start, end)
                sent_rows.append({"article_id": article_id, "sentence_no": n, "char_start": start, "char_end": end,
                                  "raw_char_start": rs, "raw_char_end": re_, "text": doc.text[start:end]})
        with transaction(conn):
            replace_rows(conn, "parses", _frame("parses", parse_rows),
                         "article_id IN (SELECT unnest(?::VARCHAR[]))", [chunk])
            replace_rows(conn, "sentences", _frame("sentences", sent_rows),
                         "article_id IN (SELECT unnest(?::VARCHAR[]))", [chunk])
        parsed += len(chunk)
        if progress:
            progress(len(chunk))
    return StageReport(rows={"parses": conn.execute("SELECT count(*) FROM parses").fetchone()[0],
                             "sentences": conn.execute("SELECT count(*) FROM sentences").fetchone()[0]},
                       notes={"parsed_now": parsed, "reused": conn.execute(
                           "SELECT count(*) FROM parses").fetchone()[0] - parsed, "model": model})


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def iter_parsed(conn, nlp, chunk_size: int = ARTICLE_CHUNK) -> Iterator[list[tuple[str, object, Alignment]]]:
    """Stored parses as (article_id, Doc, alignment), a chunk at a time (never the whole corpus)."""
    from .nlp import doc_from_bytes

    ids = [r[0] for r in conn.execute("SELECT article_id FROM parses ORDER BY article_id").fetchall()]
    for chunk in _chunks(ids, chunk_size):
        rows = conn.execute("SELECT article_id, docbin FROM parses WHERE article_id IN "
                            "(SELECT unnest(?::VARCHAR[])) ORDER BY article_id", [chunk]).fetchall()
        aligns = load_alignments(conn, chunk)
        yield [(aid, doc_from_bytes(data, nlp.vocab), aligns[aid]) for aid, data in rows]


# ---------------------------------------------------------------------- entities, quotes, stances


def _actor_rows(stage: str, article_id: str, actors, used: Iterable[str]) -> list[dict]:
    rows = []
    for actor_id in sorted(set(used)):
        a = actors.actor(actor_id)
        if a is not None:
            rows.append({"stage": stage, "article_id": article_id, "actor_id": a.actor_id, "name": a.name,
                         "actor_type": a.actor_type, "country": a.country})
    return rows


def _write_article_actors(conn, stage: str, rows: list[dict]) -> None:
    conn.execute("DELETE FROM article_actors WHERE stage = ?", [stage])
    if rows:
        conn.register("_aa", pl.DataFrame(rows).to_arrow())
        try:
            conn.execute("INSERT INTO article_actors SELECT stage, article_id, actor_id, name, actor_type, country FROM _aa")
        finally:
            conn.unregister("_aa")


def run_entities(conn, nlp, progress: Progress | None = None) -> StageReport:
    """Entity mentions with their canonical actors."""
    from .actors import ArticleActors

    mention_rows, actor_rows = [], []
    for chunk in iter_parsed(conn, nlp):
        for article_id, doc, align in chunk:
            actors = ArticleActors(doc, article_id)
            for m in actors.mentions:
                rs, re_ = align.raw_span(m.start, m.end)
                mention_rows.append({
                    "mention_id": f"{article_id}:{m.start}-{m.end}", "article_id": article_id,
                    "char_start": m.start, "char_end": m.end, "raw_char_start": rs, "raw_char_end": re_,
                    "text": m.text, "label": m.label, "label_source": m.label_source, "actor_id": m.actor_id,
                })
            actor_rows += _actor_rows("entities", article_id, actors, (m.actor_id for m in actors.mentions if m.actor_id))
        if progress:
            progress(len(chunk))
    with transaction(conn):
        replace_rows(conn, "mentions", _frame("mentions", mention_rows))
        _write_article_actors(conn, "entities", actor_rows)
    return StageReport(rows={"mentions": len(mention_rows)})


def run_quotes(conn, nlp, progress: Progress | None = None) -> StageReport:
    """Attributions (direct quotes and reported speech) with cue and resolved speaker."""
    from .actors import ArticleActors
    from .quotes import extract_attributions

    rows, actor_rows = [], []
    for chunk in iter_parsed(conn, nlp):
        for article_id, doc, align in chunk:
            actors = ArticleActors(doc, article_id)
            used = []
            for att in extract_attributions(doc):
                rows.append(quote_row(article_id, doc.text, att, actors, align))
                used.append(rows[-1]["speaker_actor_id"])
            actor_rows += _actor_rows("quotes", article_id, actors, [u for u in used if u])
        if progress:
            progress(len(chunk))
    # Two attributions may share a content start (rare, e.g. a nested quote): keep ids unique.
    seen: dict[str, int] = {}
    for r in rows:
        n = seen.get(r["quote_id"], 0)
        seen[r["quote_id"]] = n + 1
        if n:
            r["quote_id"] = f"{r['quote_id']}.{n}"
    with transaction(conn):
        replace_rows(conn, "quotes", _frame("quotes", rows))
        _write_article_actors(conn, "quotes", actor_rows)
    return StageReport(rows={"quotes": len(rows)})


def quote_row(article_id: str, text: str, att, actors, align: Alignment) -> dict:
    segs = [tuple(s) for s in att.content]
    start, end = segs[0][0], segs[-1][1]
    rs, re_ = align.raw_span(start, end)
    speaker_actor, method = None, "none"
    if att.source is not None:
        res = actors.resolve(*att.source)
        speaker_actor, method = res.actor_id, res.method
        if getattr(att, "continuation", False) and res.actor_id:
            method = "continuation"
    return {
        "quote_id": f"{article_id}:q{start}", "article_id": article_id, "kind": att.kind,
        "is_direct": bool(att.direct), "char_start": start, "char_end": end, "raw_char_start": rs,
        "raw_char_end": re_, "content_segments": json.dumps([list(s) for s in segs]),
        "content": " ... ".join(text[a:b] for a, b in segs),
        "cue": text[att.cue[0]:att.cue[1]] if att.cue else None, "cue_lemma": att.cue_lemma,
        "cue_char_start": att.cue[0] if att.cue else None, "cue_char_end": att.cue[1] if att.cue else None,
        "speaker": text[att.source[0]:att.source[1]] if att.source else None,
        "speaker_char_start": att.source[0] if att.source else None,
        "speaker_char_end": att.source[1] if att.source else None,
        "speaker_actor_id": speaker_actor, "speaker_resolution": method,
    }


def run_stances(conn, nlp, codebooks, progress: Progress | None = None) -> StageReport:
    """Stance statements against every configured codebook, and the codebooks' targets."""
    from .actors import ArticleActors
    from .codebooks import codebook_target_rows
    from .stances import QuoteScope, TargetMatcher, code_article, segments_from_json, statement_rows

    matcher = TargetMatcher(nlp, codebooks)
    quotes: dict[str, list[QuoteScope]] = {}
    for qid, aid, segs, speaker, cue_start in conn.execute(
            "SELECT quote_id, article_id, content_segments, speaker_actor_id, cue_char_start FROM quotes "
            "ORDER BY article_id, char_start").fetchall():
        quotes.setdefault(aid, []).append(QuoteScope(qid, segments_from_json(segs), speaker, cue_start))
    rows, actor_rows = [], []
    for chunk in iter_parsed(conn, nlp):
        for article_id, doc, align in chunk:
            actors = ArticleActors(doc, article_id)
            statements = code_article(doc, actors, quotes.get(article_id, []), matcher)
            rows += statement_rows(article_id, statements, align.raw_span)
            actor_rows += _actor_rows("stances", article_id, actors, (s.actor_id for s in statements))
        if progress:
            progress(len(chunk))
    with transaction(conn):
        replace_rows(conn, "codebook_targets", _frame("codebook_targets", codebook_target_rows(codebooks)))
        replace_rows(conn, "stances", _frame("stances", rows))
        _write_article_actors(conn, "stances", actor_rows)
    return StageReport(rows={"stances": len(rows), "codebook_targets": len(codebook_target_rows(codebooks))})


def run_actors(conn) -> StageReport:
    """Canonical actors referenced by mentions, quotes or statements, with counts. The name
    is the longest seen, the country the most frequent one given."""
    sql = """
    WITH names AS (
        SELECT actor_id, first(name ORDER BY length(name) DESC, name) AS name,
               first(actor_type ORDER BY actor_type) AS actor_type,
               count(DISTINCT article_id) AS n_articles
        FROM article_actors GROUP BY actor_id
    ), countries AS (
        SELECT actor_id, first(country ORDER BY n DESC, country) AS country FROM (
            SELECT actor_id, country, count(*) AS n FROM article_actors WHERE country IS NOT NULL GROUP BY ALL)
        GROUP BY actor_id
    ), m AS (SELECT actor_id, count(*) AS n FROM mentions WHERE actor_id IS NOT NULL GROUP BY actor_id
    ), q AS (SELECT speaker_actor_id AS actor_id, count(*) AS n FROM quotes WHERE speaker_actor_id IS NOT NULL GROUP BY 1
    ), s AS (SELECT actor_id, count(*) AS n FROM stances GROUP BY actor_id)
    SELECT names.actor_id, names.name, names.actor_type, countries.country, names.n_articles,
           coalesce(m.n, 0), coalesce(q.n, 0), coalesce(s.n, 0)
    FROM names LEFT JOIN countries USING (actor_id) LEFT JOIN m USING (actor_id) LEFT JOIN q USING (actor_id)
    LEFT JOIN s USING (actor_id)
    ORDER BY names.actor_id
    """
    with transaction(conn):
        conn.execute('DELETE FROM actors')
        conn.execute(f'INSERT INTO actors {sql}')
    return StageReport(rows={"actors": conn.execute("SELECT count(*) FROM actors").fetchone()[0]})

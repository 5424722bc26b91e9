"""Per-batch work (one Dagster partition per ingest batch), written to staging files.

- `stage_files`: read the batch's folder, clean every record -> records, rejections,
  cleaned articles and their alignment.
- `stage_nlp`: parse each distinct text once (parse store), then sentences, entity
  mentions, quotes and the actors they name -> Parquet parts; with the codebooks given,
  stance statements too, coded on the live Docs (`warehouse_wide.run_stances` takes them over).
  With n_process > 1 worker processes (`pipeline.steps.pool`) do all of that per chunk of
  articles and return rows.

Neither touches the warehouse, so batches can run in parallel (processes, Celery
workers); `load.load_warehouse` brings every batch into DuckDB in one step. A batch is
visible to the loader only when its manifest is written, which happens last.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline.steps import pool
from pipeline.steps.dedup import annotated, candidate_article_id
from pipeline.steps.pool import chunked, run_chunks
from pipeline.steps.progress import Progress
from pipeline.steps.worker import WorkerConfig
from pipeline.storage.polars_schemas import RECORD_KEY, STAGED
from pipeline.storage.staging import BATCH_MANIFEST, SOURCE_FILE, Staging
from pipeline.text.alignment import Alignment, AlignmentBuilder, trim_span
from pipeline.text.clean import clean_text
from pipeline.text.dates import publication_date
from pipeline.text.ingest import SNIPPET_CHARS, Rejection, ingest_folder, safe_snippet

log = logging.getLogger(__name__)

CHUNK = 200  # articles per Parquet part: bounds memory whatever the batch size
UNSUPPORTED_LANGUAGE = "unsupported_language"
NO_ARTICLE_TEXT = "no_article_text"
# Reasons the cleaning step gives: the record was read (it is in raw_articles), then refused.
CLEANING_REJECTIONS = (UNSUPPORTED_LANGUAGE, NO_ARTICLE_TEXT)
FILE_TABLES = ["records", "rejections", "cleaned", "alignment"]
NLP_TABLES = ["sentences", "mentions", "quotes", "article_actors"]


@dataclass
class BatchReport:
    batch_id: str
    skipped: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    rejections: list = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)  # files skipped: a name part starts with "."


def _fingerprint(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(json.dumps(p, sort_keys=True, default=str).encode())
    return h.hexdigest()


# ---------------------------------------------------------------------- files


def stage_files(
    input_dir: Path,
    batch_id: str,
    staging: Staging,
    code_fp: str,
    languages: tuple[str, ...] = ("en",),
    named: bool = False,
) -> BatchReport:
    """Ingest and clean the batch's folder into staging (skipped when input, code and the
    accepted `languages` are unchanged), holding the batch's lock: runs of one batch at once
    (sensor and CLI, retries) wait in turn. A record in another language, or one that
    cleaning leaves with only metadata lines, is kept as read (records) and rejected
    (unsupported_language, no_article_text); it is not cleaned into an article.

    A batch staged from another folder of the same name is replaced only when the batch was
    `named` (`--batch`) or the files are the same (a copy of the folder): else
    BatchFolderConflict (`folder_conflict`), raised before anything is written."""
    staging.check_writer()
    with staging.lock(batch_id):
        conflict = None if named else folder_conflict(staging, batch_id, input_dir)
        report = _stage_files(input_dir, batch_id, staging, code_fp, tuple(languages), conflict)
        (staging.batch_dir(batch_id) / SOURCE_FILE).write_text(
            json.dumps({"input_dir": str(Path(input_dir).resolve())}), encoding="utf-8"
        )
        return report


class BatchFolderConflict(ValueError):
    """A batch named after its folder would replace a batch staged from another folder."""


def folder_conflict(staging: Staging, batch_id: str, input_dir: Path) -> str | None:
    """Why staging `input_dir` as `batch_id` would silently replace another folder's batch
    (batches are named after their folder, so two folders called "raw" are one batch), or
    None: the batch is new, was staged from this folder, or from before folders were kept."""
    source = staging.source_folder(batch_id)
    if source is None:
        return None
    here = str(Path(input_dir).resolve())
    if source == here:
        return None
    return (
        f"batch {batch_id!r} holds the articles of {source}; {here} gives the same batch name (a batch is "
        f"named after its folder, made safe as a path), so it would replace them. Give --batch NAME to add "
        f"it as a batch of its own, or --batch {batch_id} to replace the batch from {source} (also when that "
        f"folder was moved here); a folder dropped in the inbox: give it another name"
    )


def _stage_files(
    input_dir: Path,
    batch_id: str,
    staging: Staging,
    code_fp: str,
    languages: tuple[str, ...],
    conflict: str | None = None,
) -> BatchReport:
    from pipeline.text.language import detector_version

    if not input_dir.is_dir():
        raise FileNotFoundError(f"input folder {input_dir} of batch {batch_id} does not exist or is not a folder")
    result = ingest_folder(input_dir, batch_id)
    input_fp = _fingerprint(
        [(r.source_file, r.record_no, r.content_sha256) for r in result.records],  # an edited id or date too
        [(r.source_file, r.record_no, r.reason) for r in result.rejections],
        languages,
        detector_version(),
    )
    report = BatchReport(
        batch_id,
        rejections=list(result.rejections),
        # read: records taken from the files; input: those and the records a file could not give
        counts={
            "records": len(result.records),
            "input_records": len(result.records) + len(result.rejections),
            "rejections": len(result.rejections),
        },
        hidden=list(result.skipped_hidden),
    )
    manifest = staging.read_manifest(batch_id)
    if conflict and not (manifest and manifest.get("input_fp") == input_fp):
        raise BatchFolderConflict(conflict)
    if (
        manifest
        and manifest.get("input_fp") == input_fp
        and manifest.get("files_code_fp") == code_fp
        and not staging.unreadable_parts(batch_id, FILE_TABLES)  # a damaged file: staged again
        and not staging.damaged(batch_id)  # the loader found one damaged inside
    ):
        report.skipped = True
        report.rejections += _cleaning_rejections(staging, batch_id)
        report.counts["rejections"] = len(report.rejections)
        return report
    if manifest:  # the batch is being rewritten: invisible to the loader until complete again
        (staging.batch_dir(batch_id) / BATCH_MANIFEST).unlink()
    staging.start_stage(batch_id, FILE_TABLES + NLP_TABLES)
    staging.clear_damaged(batch_id)  # every table it holds is written anew
    cleaned = _cleaned_records(result.records, languages)
    for part, start in enumerate(range(0, max(len(result.records), 1), CHUNK)):
        chunk = result.records[start : start + CHUNK]
        _stage_chunk(staging, batch_id, part, chunk, [next(cleaned) for _ in chunk], report)
    staging.write_part(batch_id, "rejections", [_row_of(r, "rejections") for r in report.rejections], 0)
    report.counts["rejections"] = len(report.rejections)
    (staging.batch_dir(batch_id) / "files.json").write_text(
        json.dumps({"input_fp": input_fp, "files_code_fp": code_fp}), encoding="utf-8"
    )
    return report


def _stage_chunk(
    staging: Staging, batch_id: str, part: int, chunk: list, cleaned: list[tuple], report: BatchReport
) -> None:
    """Write one chunk of records, and what `_clean_records` made of them, into part `part`
    of records, cleaned and alignment; a record cleaning refused (`CLEANING_REJECTIONS`) goes
    to the report's rejections instead of cleaned."""
    records, cleaned_rows, alignment = [], [], []
    for r, (row, align_rows, refused) in zip(chunk, cleaned, strict=True):
        records.append(_row_of(r, "records"))
        if refused is not None:  # read (in raw_articles), not an article
            report.rejections.append(refused)
            continue
        cleaned_rows.append(row)
        alignment += align_rows
    staging.write_part(batch_id, "records", records, part)
    staging.write_part(batch_id, "cleaned", cleaned_rows, part)
    staging.write_part(batch_id, "alignment", alignment, part)


# Records a worker cleans at a time (`_cleaned_records`) when every worker was started: few
# enough that they share a small batch, enough that a large one is not sent a record at a time.
CLEAN_PIECE = 50


def _cleaned_records(records: list, languages: tuple[str, ...]) -> Iterator[tuple]:
    """What `_clean_records` makes of each record, in order: in the run's shared worker pool
    when `stancewire run` started one (the first worker, or on Linux the zygote every worker
    is forked from, loaded the language detector while Dagster started; spawned workers
    after the first load it with their first records; the run's process only writes), else
    here. A pool that could start more workers gets one piece per started
    worker: a piece waiting for a worker would make it start one more (a second model load)."""
    shared = pool.shared()
    if shared is None or not records:
        yield from _clean_records(records, languages)
        return
    size = -(-len(records) // shared.started)
    if shared.started == shared.processes:
        size = min(CLEAN_PIECE, size)
    jobs = ((piece, languages) for piece in chunked(records, size))
    for piece in shared.map(_clean_records, jobs, wanted=shared.started):
        yield from piece


def _clean_records(records: list, languages: tuple[str, ...]) -> list[tuple]:
    """Each record cleaned and its language detected: (cleaned row, alignment rows, None),
    or (None, [], its Rejection: no_article_text when cleaning left only metadata lines or
    nothing at all, unsupported_language). Raises ValueError for a language code the detector does not know."""
    from pipeline.text.language import check_languages, detect

    if records:
        check_languages(languages)
    out = []
    for r in records:
        titled = r.input_format in ("txt", "html")
        c = clean_text(r.raw_text, has_title_line=titled, unwrap=r.input_format != "html")
        if not c.only_metadata and not any(ch.isalnum() for ch in c.text):
            detail = "the text holds no article text: no letter or digit (only marks, symbols or invisible characters)"
            rejection = Rejection(
                r.batch_id, r.source_file, r.record_no, NO_ARTICLE_TEXT, detail, safe_snippet(r.raw_text)
            )
            out.append((None, [], rejection))
            continue
        if c.only_metadata:
            title = "a title line, " if titled else ""
            detail = f"the text holds no article text, only {title}metadata lines (a Source: line, a byline) or markup"
            if not c.text.strip() and not (c.title or c.outlet or c.author or c.original_source):
                # markup or entities alone ("<p></p>&nbsp;"), no metadata line taken: nothing once cleaned
                detail = "the text holds no article text: nothing is left once its markup and entities are cleaned"
            rejection = Rejection(
                r.batch_id, r.source_file, r.record_no, NO_ARTICLE_TEXT, detail, safe_snippet(r.raw_text)
            )
            out.append((None, [], rejection))
            continue
        language = detect(c.text, languages)
        if language.refused:
            rejection = Rejection(
                r.batch_id,
                r.source_file,
                r.record_no,
                UNSUPPORTED_LANGUAGE,
                language.describe(languages),
                c.text[:SNIPPET_CHARS],
            )
            out.append((None, [], rejection))
            continue
        key = [getattr(r, k) for k in RECORD_KEY]
        alignment = [(*key, *row) for row in c.alignment.rows()]  # the columns of STAGED["alignment"]
        out.append((_cleaned_row(r, c, language.language), alignment, None))
    return out


def _row_of(item, staged_table: str) -> dict:
    """A staged row from a Record or Rejection: its attributes named like the table's columns."""
    return {name: getattr(item, name) for name in STAGED[staged_table]}


def _cleaned_row(r, c, language: str | None) -> dict:
    """The cleaned row of record `r`: its cleaned text `c`, metadata from the record or, when
    the record has none, from the text's own lines."""
    sha = c.text_sha256
    return {
        **{k: getattr(r, k) for k in RECORD_KEY},
        "article_id": candidate_article_id(r.external_id, sha),
        "doc_name": r.doc_name,
        "title": (c.title or r.title) if r.input_format == "txt" else r.title,
        "outlet": r.outlet or c.outlet,
        "author": r.author or c.author,
        "published_date": publication_date(r.published_at),
        "original_source": c.original_source,
        "text": c.text,
        "text_sha256": sha,
        "n_chars": len(c.text),
        "n_paragraphs": c.n_paragraphs,
        "language": language,
        "cleaning": ",".join(c.repairs),
    }


def _cleaning_rejections(staging: Staging, batch_id: str) -> list[Rejection]:
    """The batch's rejections made by cleaning, as staged (a skipped batch reports them too)."""
    parts = staging.parts(batch_id, "rejections")
    if not parts:
        return []
    frame = pl.read_parquet(parts).filter(pl.col("reason").is_in(CLEANING_REJECTIONS))
    return [
        Rejection(r["batch_id"], r["source_file"], r["record_no"], r["reason"], r["detail"], r["snippet"])
        for r in frame.iter_rows(named=True)
    ]


# ---------------------------------------------------------------------- nlp


def annotated_records(staging: Staging, batch_id: str) -> tuple[set[tuple[str, int]], list[str]]:
    """The batch's records that the loader may keep, whatever is stored when it loads them
    (`dedup.annotated`, in file and record order: the first record of each article id; rows
    are keyed by article id, so two texts under one id must not both be annotated). Returns
    their (source file, record number) and their text hashes, one per record, in that
    order. Reads no text."""
    parts = staging.parts(batch_id, "cleaned")
    if not parts:
        return set(), []
    keys = pl.read_parquet(parts, columns=["source_file", "record_no", "article_id", "text_sha256"])
    rows = list(keys.sort(["source_file", "record_no"]).iter_rows())
    kept, shas = set(), []
    for (source_file, record_no, _, sha), annotate in zip(rows, annotated((r[2], r[3]) for r in rows), strict=True):
        if annotate:
            kept.add((source_file, record_no))
            shas.append(sha)
    return kept, shas


def _kept_articles(staging: Staging, batch_id: str, kept: set[tuple[str, int]]) -> Iterator[tuple]:
    """(article id, text, text sha, alignment) of each kept record, one cleaned part (and its
    alignment part) at a time: the batch's texts are never all in memory."""
    for part in staging.parts(batch_id, "cleaned"):
        cleaned = pl.read_parquet(part, columns=["source_file", "record_no", "article_id", "text", "text_sha256"])
        aligns = _alignments(staging.batch_dir(batch_id) / "alignment" / part.name)
        for source_file, record_no, article_id, text, sha in cleaned.iter_rows():
            if (source_file, record_no) in kept:
                yield article_id, text, sha, aligns[(source_file, record_no)]


def _alignments(part: Path) -> dict[tuple[str, int], Alignment]:
    """The alignments of one part's records (stage_files writes a part of each per chunk)."""
    if not part.is_file():
        return {}
    out: dict[tuple[str, int], list] = {}
    for r in pl.read_parquet(part).sort(["source_file", "record_no", "segment_no"]).iter_rows(named=True):
        out.setdefault((r["source_file"], r["record_no"]), []).append(
            (r["char_start"], r["char_end"], r["raw_char_start"], r["raw_char_end"], r["is_copy"])
        )
    return {k: Alignment.from_rows(v) for k, v in out.items()}


# Below this many texts to parse, worker processes cost more to start than they save.
MIN_TEXTS_PER_PROCESS = 100
# Articles a worker (`pipeline.steps.pool`) takes at a time. Small, so that the workers finish
# together (the last chunk is one a single worker runs alone); a divisor of CHUNK, so parts
# keep CHUNK articles.
WORKER_CHUNK = 20
# Stance statements coded while the Docs are live (see `warehouse_wide.run_stances`), keyed by the
# coding fingerprint; the stance step uses them when the codebooks have not changed since.
CODED_TABLES = ["stance_coded", "stance_statements", "stance_actors"]


def stage_nlp(
    batch_id: str,
    staging: Staging,
    model_name: str,
    code_fp: str,
    batch_size: int = 64,
    n_process: int = 1,
    progress: Progress | None = None,
    codebooks=None,
) -> BatchReport:
    """Parse the batch's new texts (once per text and model) and extract sentences, mentions,
    quotes and their actors, and, given `codebooks`, code stances while the Docs are live;
    then mark the batch complete. The model is loaded only when there is work. Holds the
    batch's lock (see stage_files).

    With n_process > 1, worker processes do all per-article work (parse, store, extract,
    code) and send back rows; this process only writes them, so no Doc crosses processes."""
    from pipeline.nlp.model import model_id_for

    staging.check_writer()
    with staging.lock(batch_id):
        files = json.loads((staging.batch_dir(batch_id) / "files.json").read_text(encoding="utf-8"))
        model = model_id_for(model_name)
        kept, shas = annotated_records(staging, batch_id)
        nlp_fp = _fingerprint(files, model, code_fp, shas)
        manifest = staging.read_manifest(batch_id)
        report = BatchReport(batch_id)
        if (
            manifest
            and manifest.get("nlp_fp") == nlp_fp
            and not staging.unreadable_parts(batch_id, NLP_TABLES + CODED_TABLES)  # a damaged file: staged again
        ):
            report.skipped = True
            return report
        if manifest:  # as in stage_files: invisible to the loader until complete again
            (staging.batch_dir(batch_id) / BATCH_MANIFEST).unlink()
        staging.start_stage(batch_id, NLP_TABLES + CODED_TABLES)
        n_todo = sum(not staging.parses.has(model, sha) for sha in set(shas))
        processes = max(1, min(n_process, n_todo // MIN_TEXTS_PER_PROCESS))
        config = WorkerConfig.of(model_name, staging.parses.root, batch_size, code_fp, codebooks)
        tables = NLP_TABLES + (CODED_TABLES if codebooks else [])
        counts = _annotate_batch(staging, batch_id, kept, len(shas), config, processes, tables, progress)
        report.counts = {"articles": len(shas), "parsed": n_todo, **{t: counts[t] for t in NLP_TABLES}}
        staging.write_manifest(batch_id, {**files, "nlp_fp": nlp_fp, "model": model, "counts": report.counts})
        return report


def _annotate_batch(
    staging: Staging, batch_id: str, kept, n_articles: int, config, processes: int, tables: list, progress
) -> dict[str, int]:
    """Annotate the kept articles in chunks (in the pool, or here) and write their rows a
    part of CHUNK articles at a time; the row count of each table."""
    # A batch smaller than a chunk per worker is shared out among the workers (10 new
    # articles: 5 each), so that a small file drop is not parsed by one worker alone.
    size = max(1, min(WORKER_CHUNK, -(-n_articles // pool.pool_size(config, processes))))
    sizes: deque[int] = deque()  # of the chunks handed out, whose rows have not come back yet

    def jobs():  # read a part at a time, as the workers take the chunks
        for chunk in chunked(_kept_articles(staging, batch_id, kept), size):
            sizes.append(len(chunk))
            yield batch_id, chunk

    counts = dict.fromkeys(tables, 0)
    rows: dict[str, list] = {t: [] for t in tables}
    part, in_part = 0, 0
    for chunk_rows in run_chunks(config, processes, _annotate_chunk, jobs()):
        n = sizes.popleft()
        for t in tables:
            rows[t] += chunk_rows[t]
        in_part += n
        if progress:
            progress(n)
        if in_part >= CHUNK:
            _write_nlp_part(staging, batch_id, part, rows, counts)
            rows, part, in_part = {t: [] for t in tables}, part + 1, 0
    if in_part or part == 0:
        _write_nlp_part(staging, batch_id, part, rows, counts)
    return counts


def _write_nlp_part(staging: Staging, batch_id: str, part: int, rows: dict[str, list], counts: dict) -> None:
    for table, table_rows in rows.items():
        staging.write_part(batch_id, table, table_rows, part)
        counts[table] += len(table_rows)


def _annotate_chunk(batch_id: str, items: list[tuple]) -> dict[str, list]:
    """Rows of every staging table for a chunk of (article id, text, text sha, alignment):
    each text parsed (or its stored parse read), stored, annotated and, with codebooks,
    coded. Runs in a worker (`pool.init` done)."""
    from pipeline.nlp.model import doc_from_bytes, doc_to_bytes, parse_texts

    w = pool.state()
    config, nlp, parses, model, matcher = w["config"], w["nlp"], w["parses"], w["model"], w["matcher"]
    todo = list({item[2]: item for item in items if not parses.has(model, item[2])}.values())  # a text once
    parsed = parse_texts(nlp, (item[1] for item in todo), batch_size=config.batch_size)
    todo_shas = {item[2] for item in todo}
    rows: dict[str, list] = {t: [] for t in NLP_TABLES + (CODED_TABLES if matcher else [])}
    for article_id, _text, sha, align in items:
        if sha in todo_shas:  # its first record in the chunk: parsed now, stored for the others
            doc = next(parsed)
            parses.write(model, sha, doc_to_bytes(doc))
            todo_shas.discard(sha)
        else:
            doc = doc_from_bytes(parses.read(model, sha), nlp.vocab)
        first_quote = len(rows["quotes"])
        actors = annotate(batch_id, article_id, doc, align, rows)
        if matcher is not None:
            _precode(batch_id, article_id, sha, doc, align, rows["quotes"][first_quote:], rows, actors.as_built())
    return rows


def _precode(
    batch_id: str,
    article_id: str,
    sha: str,
    doc,
    align: Alignment,
    quote_rows: list[dict],
    rows: dict[str, list],
    actors,
) -> None:
    """Stance statements of a live Doc, exactly as the stance step would code them from its
    stored parse and the loaded quotes (see `warehouse_wide.run_stances`); `actors`: the
    article's actors as built (`ArticleActors.as_built`)."""
    from pipeline.stances.coder import QuoteScope
    from pipeline.steps.coding_scope import code_scoped

    w = pool.state()
    keys = {"batch_id": batch_id, "text_sha256": sha, "coding_fp": w["coding_fp"]}
    ordered = sorted(quote_rows, key=lambda q: (q["char_start"], q["quote_id"]))  # as the stance step reads them
    quotes = [QuoteScope.from_row(q) for q in ordered]
    statements, actor_rows, scope = code_scoped(article_id, doc, quotes, w["matcher"], align, actors)
    rows["stance_coded"].append({**keys, "article_id": article_id, "coding_scope": scope})
    rows["stance_statements"] += [{**keys, **r} for r in statements]
    rows["stance_actors"] += [{**keys, **r} for r in actor_rows]


# Quoted speech, people, a place with an AP abbreviation, an organisation: what the
# annotation and the coder load at their first article (`warm_up_coding`).
WARM_UP_TEXT = (
    '"We will not support {target}," Senator Jane Doe said on Monday in Sacramento, Calif. '
    "She added that the Department of Labor had doubts about {target} too. "
    "The union said it opposed {target}."
)


def warm_up_coding() -> None:
    """Annotate and code a short built-in text naming each codebook's first target (in a
    worker, `pool.init` done), as `_annotate_chunk` does an article but writing nothing (no
    stored parse): what the code loads at its first article (the stance model, the US
    states' table, the name-matching libraries: about 0.2 s) is loaded now. The zygote runs
    it after the pool's own warm-up (`pipeline.steps.zygote`), so the workers forked from it
    start with all of that loaded. Errors are left to the real articles."""
    w = pool.state()
    if w.get("matcher") is None:  # no codebooks, or a config that did not load
        return
    targets = [b.targets[0].terms[0] for b in w["matcher"].books.values() if b.targets and b.targets[0].terms]
    if not targets:
        return
    text = WARM_UP_TEXT.format(target=" and ".join(targets))
    builder = AlignmentBuilder()
    builder.copy(text, 0, len(text))
    clean, align = builder.build()
    rows: dict[str, list] = {t: [] for t in NLP_TABLES + CODED_TABLES}
    doc = w["nlp"](clean)
    actors = annotate("warm-up", "warm-up", doc, align, rows)
    sha = hashlib.sha256(clean.encode()).hexdigest()
    _precode("warm-up", "warm-up", sha, doc, align, rows["quotes"], rows, actors.as_built())


def annotate(batch_id: str, article_id: str, doc, align: Alignment, rows: dict[str, list]):
    """Sentences, mentions, quotes and article actors of one parsed article, into `rows`;
    returns the article's `ArticleActors`."""
    from pipeline.actors.resolver import ArticleActors, reference_rows
    from pipeline.nlp.model import doc_text
    from pipeline.quotes.extractor import extract_attributions
    from pipeline.quotes.rows import quote_row

    text = doc_text(doc)
    for n, sent in enumerate(doc.sents):
        start, end = trim_span(text, sent.start_char, sent.end_char)
        if end > start:
            rs, re_ = align.raw_span(start, end)
            rows["sentences"].append(
                {
                    "batch_id": batch_id,
                    "article_id": article_id,
                    "sentence_no": n,
                    "char_start": start,
                    "char_end": end,
                    "raw_char_start": rs,
                    "raw_char_end": re_,
                    "text": text[start:end],
                }
            )
    actors = ArticleActors(doc, article_id)
    used = {}
    for m in actors.mentions:
        rs, re_ = align.raw_span(m.start, m.end)
        rows["mentions"].append(
            {
                "batch_id": batch_id,
                "mention_id": f"{article_id}:{m.start}-{m.end}",
                "article_id": article_id,
                "char_start": m.start,
                "char_end": m.end,
                "raw_char_start": rs,
                "raw_char_end": re_,
                "text": m.text,
                "label": m.label,
                "label_source": m.label_source,
                "actor_id": m.actor_id,
            }
        )
        if m.actor_id:
            used.setdefault(m.actor_id, "entities")
    seen_ids: dict[str, int] = {}
    for att in extract_attributions(doc):
        row = quote_row(article_id, text, att, actors, align)
        n = seen_ids.get(row["quote_id"], 0)  # two attributions may share a content start (nested quotes)
        seen_ids[row["quote_id"]] = n + 1
        if n:
            row["quote_id"] = f"{row['quote_id']}.{n}"
        rows["quotes"].append({"batch_id": batch_id, **row})
        if row["speaker_actor_id"]:
            used.setdefault(row["speaker_actor_id"], "quotes")
    rows["article_actors"] += [{"batch_id": batch_id, **r} for r in reference_rows(article_id, actors, used)]
    return actors

"""The single step that brings every complete batch from staging into the warehouse.

In one transaction it brings raw_articles, rejected_articles, articles (first record of
each distinct text, batches in the order they were first loaded), article_alignment,
duplicate_articles, sentences, mentions, quotes and the per-article actor references up to
date with staging, doing work in proportion to what changed:
- new batches are appended, their duplicates and id conflicts decided against the stored
  articles that share an id or a text with them (a semi-join on two columns: no staged
  batch or article text is read again);
- batches staged again (a re-run with other files or other code) replace their own rows
  when no batch loaded after them could be affected (their records come last, so no other
  record's duplicate or conflict depends on them), then count as new;
- anything else (a batch gone from staging, an earlier batch re-run under later ones, or a
  full rebuild asked for, `stancewire rebuild`) rebuilds the tables from every batch.
Rows of records that did not become articles are left behind; nothing is parsed here.
"""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import dataclass, field

import duckdb
import polars as pl

from pipeline.schema import TABLES, sql_literal
from pipeline.steps.dedup import DUPLICATE, ID_CONFLICT, annotated, candidate_article_id, decide
from pipeline.storage.polars_schemas import RECORD_KEY, STAGED, schema_for, table_schema
from pipeline.storage.staging import Staging
from pipeline.storage.warehouse import insert_values, mark_actors, replace_rows, transaction, warehouse_id

# The tables the loader fills from staged batches (one Dagster multi-asset, `load_batches`).
LOADED_TABLES = (
    "raw_articles",
    "rejected_articles",
    "articles",
    "article_alignment",
    "duplicate_articles",
    "sentences",
    "mentions",
    "quotes",
)


@dataclass
class LoadReport:
    batches: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    id_conflicts: list[dict] = field(default_factory=list)  # records rejected here, for the run log
    appended: bool = False  # only new (or replaced last) batches were added to what was loaded before
    replaced: list[str] = field(default_factory=list)  # batches whose own rows were replaced
    read: list[str] = field(default_factory=list)  # batches whose staged rows this load read (new or all)


def _register_batches(conn, batches: list[str]) -> dict[str, int]:
    known = dict(conn.execute("SELECT batch_id, batch_seq FROM batches").fetchall())
    seq = max(known.values(), default=0)
    for b in batches:
        if b not in known:
            seq += 1
            conn.execute("INSERT INTO batches VALUES (?, ?, ?)", [b, seq, b])
            known[b] = seq
    return known


def _files(paths) -> list[str]:
    return [str(p) for p in paths]


def load_warehouse(conn, staging: Staging, full: bool = False) -> LoadReport:
    """Load every complete batch of the warehouse's staging folder, each locked so that no
    run rewrites it while it is read. The folder must be this warehouse's (`Staging.claim`):
    a staging folder made for another warehouse raises StagingMismatch, nothing loaded.
    `full`: rebuild the tables from every batch even when appending would do."""
    loaded = [b for (b,) in conn.execute("SELECT batch_id FROM loaded_batches").fetchall()]
    staging.claim(warehouse_id(conn), loaded)
    with staging.locked_batches() as batches:
        return _load(conn, staging, batches, full)


def _load(conn, staging: Staging, batches: list[str], full: bool = False) -> LoadReport:
    """Append new batches, replace re-staged last ones, or rebuild (module docstring).

    Rows to be replaced are deleted in a transaction of their own, committed before the new
    rows are inserted: deleting and inserting a large batch's rows in one transaction keeps
    both in DuckDB's key indexes until the commit, which then needs more than the memory cap
    (a re-staged batch of 8,000 articles at 256 MB: "failed to pin block" at commit). The
    deleted batches stop being listed as loaded in that same transaction, so a run stopped
    between the two, or failing in the second, loads them again next time, as new."""
    report = LoadReport(batches=batches)
    fingerprints = {b: (staging.read_manifest(b) or {}).get("nlp_fp", "") for b in batches}
    with transaction(conn):
        loaded = dict(conn.execute("SELECT batch_id, fingerprint FROM loaded_batches").fetchall())
        seqs = _register_batches(conn, batches)
        order = sorted(batches, key=lambda b: seqs[b])
        changed = [b for b in order if b in loaded and fingerprints.get(b) != loaded[b]]
        unchanged = [b for b in order if b in loaded and b not in changed]
        append = (
            bool(loaded)
            and not full
            and set(loaded) <= set(batches)  # a batch gone from staging: rebuild
            and all(seqs[c] > seqs[u] for c in changed for u in unchanged)  # re-staged batches come last
        )
        _refuse_unreadable(staging, [b for b in order if b not in unchanged] if append else order)
        if append and changed:
            _delete_batches(conn, changed)
            conn.execute("DELETE FROM loaded_batches WHERE batch_id IN (SELECT unnest(?::VARCHAR[]))", [changed])
            report.replaced = changed
        elif not append and loaded:
            _delete_loaded_rows(conn)
            conn.execute("DELETE FROM loaded_batches")
    with transaction(conn):
        new = [b for b in order if b not in unchanged] if append else order
        report.read = new
        if new or not append:
            _load_batches(conn, staging, new, {b: i for i, b in enumerate(order)}, append, report)
        conn.execute("DELETE FROM batches WHERE batch_id NOT IN (SELECT unnest(?::VARCHAR[]))", [batches])
        conn.execute("DELETE FROM loaded_batches")
        insert_values(conn, "loaded_batches", [[b, fp] for b, fp in fingerprints.items()])
    report.appended = append
    for table in LOADED_TABLES:
        report.rows[table] = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    return report


class StagedBatchUnreadable(RuntimeError):
    """A staged file the load would read cannot be read; nothing in the warehouse changed."""


# What the load reads of each batch it loads (`_load_batches`).
READ_TABLES = ["records", "rejections", "cleaned", "alignment", "sentences", "mentions", "quotes", "article_actors"]


def _refuse_unreadable(staging: Staging, batches: list[str]) -> None:
    """StagedBatchUnreadable, before any row is deleted, when a Parquet part the load would
    read is damaged (truncated, overwritten, or damaged inside: each part is read whole, one
    at a time; what an append reads is a drop's, a rebuild reads every batch anyway): the
    message names the file and how to stage the batch again (a run of its folder does,
    since a stage with a damaged file is not skipped)."""
    for batch in batches:
        bad = staging.unreadable_parts(batch, READ_TABLES, whole=True)
        if not bad:
            continue
        path, why = bad[0]
        staging.mark_damaged(batch, path, why)  # so that a run of its folder stages it again
        source = staging.source_folder(batch) or "<its input folder>"
        more = f" (and {len(bad) - 1} more of its files)" if len(bad) > 1 else ""
        raise StagedBatchUnreadable(
            f"staged batch {batch} cannot be read: {path}{more}: {why}. Nothing in the warehouse was changed. "
            f"Stage it again with `stancewire run --input {source} --batch {batch}`, or move "
            f"{staging.batch_dir(batch)} out of the staging folder to leave the batch out."
        )


def _delete_loaded_rows(conn) -> None:
    """Every loaded row, before a rebuild loads them all again (in the caller's transaction)."""
    for table in LOADED_TABLES:
        conn.execute(f'DELETE FROM "{table}"')
    _forget_actor_references(conn)


def _forget_actor_references(conn) -> None:
    """The loaded stages' per-article actor references and the coders' merges applied to
    loaded rows (reloaded rows carry none yet); every actor is marked changed. The stance
    stage's references that a merge rewrote are forgotten too, their articles coded again
    (from the staged statements where they match): else a merge taken back (a corrections
    file removed, then `stancewire rebuild`) left the merged-away holder of a statement with
    no actor, and the release blocked."""
    conn.execute(
        "DELETE FROM stage_state WHERE stage = 'stances' AND article_id IN (SELECT article_id FROM article_actors "
        "WHERE stage = 'stances' AND actor_id IN (SELECT merged_into FROM applied_merges))"
    )
    conn.execute("DELETE FROM article_actors WHERE stage IN ('entities', 'quotes')")
    conn.execute("DELETE FROM applied_merges")
    conn.execute("DELETE FROM merged_speakers")
    mark_actors(conn, None)


def _delete_batches(conn, batches: list[str]) -> None:
    """Delete the loaded rows of `batches` (which no later batch depends on), in the
    caller's transaction; the stance and actor steps then follow the articles."""
    params = [batches]
    of_articles = "article_id IN (SELECT article_id FROM articles WHERE batch_id IN (SELECT unnest(?::VARCHAR[])))"
    mark_actors(conn, of_articles, params)
    conn.execute(
        f"DELETE FROM merged_speakers WHERE quote_id IN (SELECT quote_id FROM quotes WHERE {of_articles})", params
    )
    for table in ("article_alignment", "sentences", "mentions", "quotes"):
        conn.execute(f'DELETE FROM "{table}" WHERE {of_articles}', params)
    conn.execute(f"DELETE FROM article_actors WHERE stage IN ('entities', 'quotes') AND {of_articles}", params)
    for table in ("articles", "raw_articles", "rejected_articles", "duplicate_articles"):
        conn.execute(f'DELETE FROM "{table}" WHERE batch_id IN (SELECT unnest(?::VARCHAR[]))', params)


def _load_batches(
    conn, staging: Staging, order: list[str], rank: dict[str, int], append: bool, report: LoadReport
) -> None:
    """Load the batches in `order`: replacing every loaded row, or (append) adding to them,
    with duplicates and id conflicts judged against the articles already loaded."""
    rejected = _read(staging, "rejections", order)
    cleaned = _read(
        staging, "cleaned", order, columns=["batch_id", "source_file", "record_no", "article_id", "text_sha256"]
    )
    stored = _stored_matches(conn, cleaned) if append else []
    seen = [(aid, sha) for aid, sha, *_ in stored]
    kept, duplicates, conflicts = _deduplicate(cleaned, rank, seen, {aid: tuple(at) for aid, _, *at in stored})
    report.id_conflicts = conflicts.to_dicts()
    rejected = pl.concat([rejected, conflicts], how="vertical_relaxed") if len(conflicts) else rejected
    scope = ("batch_id IN (SELECT unnest(?::VARCHAR[]))", [order]) if append else (None, None)
    conn.register("_kept", kept.to_arrow())
    try:
        records, cleaned_scan = _scan(staging, "records", order), _scan(staging, "cleaned", order)
        _insert(conn, "raw_articles", records and f"SELECT * FROM {records}", append)
        replace_rows(conn, "rejected_articles", rejected.select(TABLES["rejected_articles"].column_names), *scope)
        replace_rows(conn, "duplicate_articles", duplicates, *scope)
        _insert(
            conn,
            "articles",
            records
            and cleaned_scan
            and f"""
            SELECT c.article_id, c.batch_id, c.source_file, c.record_no, c.doc_name, r.input_format, r.encoding,
                   r.external_id, c.title, c.outlet, c.author, r.url, r.published_at, c.published_date,
                   c.original_source,
                   r.raw_text, c.text, c.text_sha256, c.n_chars, c.n_paragraphs, c.language, c.cleaning
            FROM {cleaned_scan} c
            JOIN _kept k USING (batch_id, source_file, record_no)
            JOIN {records} r USING (batch_id, source_file, record_no)""",
            append,
        )
        alignment = _scan(staging, "alignment", order)
        _insert(
            conn,
            "article_alignment",
            alignment
            and f"""
            SELECT k.article_id, a.segment_no, a.char_start, a.char_end, a.raw_char_start, a.raw_char_end, a.is_copy
            FROM {alignment} a JOIN _kept k USING (batch_id, source_file, record_no)""",
            append,
        )
        for table in ("sentences", "mentions", "quotes"):
            scan = _scan(staging, table, order)
            cols = ", ".join(f't."{c}"' for c in TABLES[table].column_names)
            _insert(
                conn,
                table,
                scan
                and f"""
                SELECT {cols} FROM {scan} t JOIN _kept k ON k.batch_id = t.batch_id AND k.article_id = t.article_id""",
                append,
            )
        if not append:
            _forget_actor_references(conn)
        actors_scan = _scan(staging, "article_actors", order)
        if actors_scan:
            conn.execute(f"""
                INSERT INTO article_actors SELECT a.stage, a.article_id, a.actor_id, a.name, a.actor_type, a.country
                FROM {actors_scan} a JOIN _kept k ON k.batch_id = a.batch_id AND k.article_id = a.article_id""")
            if append:
                mark_actors(conn, "article_id IN (SELECT article_id FROM _kept)")
    finally:  # in a transaction a failed statement aborted, unregistering fails too: the rollback undoes it
        with contextlib.suppress(duckdb.Error):
            conn.unregister("_kept")


def _stored_matches(conn, cleaned: pl.DataFrame) -> list[tuple]:
    """(article_id, text_sha256, batch_id, source_file, record_no) of the stored articles
    that share an id or a text with the incoming records (a semi-join on those two columns,
    not a read of the articles)."""
    if not len(cleaned):
        return []
    conn.register("_incoming_keys", cleaned.select("article_id", "text_sha256").to_arrow())
    try:
        return conn.execute(
            "SELECT a.article_id, a.text_sha256, a.batch_id, a.source_file, a.record_no FROM articles a "
            "WHERE a.article_id IN "
            "(SELECT article_id FROM _incoming_keys) OR a.text_sha256 IN (SELECT text_sha256 FROM _incoming_keys) "
            "ORDER BY a.article_id"
        ).fetchall()
    finally:
        conn.unregister("_incoming_keys")


def _scan(staging: Staging, table: str, batches: list[str]) -> str | None:
    """A DuckDB read_parquet over the batches' parts of `table`, or None when there are none.
    The paths are staging's own (batch ids are sanitised names), quoted as SQL literals."""
    files = _files(staging.all_parts(table, batches))
    if not files:
        return None
    return "read_parquet([" + ", ".join(sql_literal(f) for f in files) + "], union_by_name = true)"


def _read(staging: Staging, table: str, batches: list[str], columns: list[str] | None = None) -> pl.DataFrame:
    files = staging.all_parts(table, batches)
    if files:
        return pl.read_parquet(files, columns=columns)
    schema = STAGED[table]
    return pl.DataFrame(schema={k: v for k, v in schema.items() if columns is None or k in columns})


def _insert(conn, table: str, select_sql: str | None, append: bool = False) -> None:
    """Replace the table's rows (or add to them) by the result of `select_sql` (nothing when None)."""
    cols = ", ".join(f'"{c}"' for c in TABLES[table].column_names)
    if not append:
        conn.execute(f'DELETE FROM "{table}"')
    if select_sql:
        conn.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM ({select_sql})')


def _deduplicate(
    cleaned: pl.DataFrame, batch_rank: dict[str, int], seen=(), stored_at: dict | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Which records become articles (the rule: `dedup.decide`), in batch order, then file
    and record order; `seen`: (article_id, text_sha256) of articles already loaded, and
    `stored_at` their (batch, file, record) by article id. Returns the kept records, the
    duplicates and the id conflicts (rejections)."""
    kept_at = dict(stored_at or {})  # article id -> (batch, file, record) of the article that holds it
    rows = sorted(
        cleaned.iter_rows(named=True), key=lambda r: (batch_rank[r["batch_id"]], r["source_file"], r["record_no"])
    )
    kept, dups, conflicts = [], [], []
    flags: list[bool] = []  # whether its batch annotated the record (the rule: `dedup.annotated`)
    for _, batch in itertools.groupby(rows, key=lambda r: r["batch_id"]):
        flags += annotated((r["article_id"], r["text_sha256"]) for r in batch)
    first_of_id: dict[tuple[str, str], dict] = {}  # (batch, article id) -> its first record, for the message
    for r in rows:
        first_of_id.setdefault((r["batch_id"], r["article_id"]), r)
    pairs = ((r["article_id"], r["text_sha256"]) for r in rows)
    for r, was_annotated, decision in zip(rows, flags, decide(pairs, seen, flags), strict=True):
        key = {k: r[k] for k in RECORD_KEY}
        aid = r["article_id"]
        if decision.outcome == DUPLICATE:
            # An id-less record's id is its text's hash prefix: the same text, not the same id.
            given_id = aid != candidate_article_id(None, r["text_sha256"])
            match = "same_id_same_text" if given_id and decision.duplicate_of == aid else "same_text"
            dups.append({**key, "duplicate_of": decision.duplicate_of, "match": match})
        elif decision.outcome == ID_CONFLICT:
            first = first_of_id[(r["batch_id"], aid)]
            # The same words whether the batch is appended or every batch reloaded (a rebuild
            # gives the same release files): the record in its own batch, else an earlier one.
            if not was_annotated and first["text_sha256"] != r["text_sha256"]:
                where = f"record {first['record_no']} of {first['source_file']} in this batch"
            elif aid in kept_at:  # the article that holds it, stored or loaded before in this load
                batch, source, record = kept_at[aid]
                where = f"the article of record {record} of {source} in batch {batch}"
            else:
                where = "first seen in an earlier record or batch"
            detail = f"id {aid!r} is already used by a different text ({where}); ids must identify one article"
            conflicts.append({**key, "reason": "id_conflict", "detail": detail, "snippet": None})
        else:
            kept.append({**key, "article_id": aid})
            kept_at[aid] = (r["batch_id"], r["source_file"], r["record_no"])
    kept_df = pl.DataFrame(kept, schema=schema_for([*RECORD_KEY, "article_id"]), orient="row")
    dup_df = pl.DataFrame(dups, schema=table_schema("duplicate_articles"), orient="row")
    conf_df = pl.DataFrame(conflicts, schema=table_schema("rejected_articles"), orient="row")
    return kept_df, dup_df, conf_df

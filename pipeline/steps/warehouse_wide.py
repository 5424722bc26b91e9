"""The warehouse-wide stages: stance coding and canonical actors.

Per-batch work (ingest, clean, parse, entities, quotes) lives in `pipeline.steps.per_batch`
and reaches the warehouse through `pipeline.steps.load`. Stance coding is warehouse-wide because
it depends on the configured codebooks: an article is (re)coded when its text, the
the model or stancewire's code changed since it was last coded, or a codebook target that can
reach it (`pipeline.steps.coding_scope`), from its stored parse, and each chunk of articles
is written in one transaction with its bookkeeping.
Articles the parse step already coded with the same fingerprint (`per_batch.stage_nlp` given
the codebooks) are taken from staging instead of being coded again.
"""

from __future__ import annotations

import logging

import polars as pl

from pipeline.actors.entities import stateless_organisations
from pipeline.actors.setting import article_settings
from pipeline.fingerprints import coding_fingerprint
from pipeline.steps import pool
from pipeline.steps.coding_scope import code_scoped, load_scope, same_coding
from pipeline.steps.pool import chunked, pool_size, run_chunks
from pipeline.steps.progress import Progress
from pipeline.steps.worker import WorkerConfig
from pipeline.storage.polars_schemas import schema_for
from pipeline.storage.warehouse import ALL_ACTORS, insert_values, mark_actors, transaction
from pipeline.text.alignment import Alignment

log = logging.getLogger(__name__)

# An actor takes the country most of its articles are set in (`pipeline.actors.setting`)
# when that country is the setting of this share of its articles that have one.
SETTING_SHARE = 0.6
_HOMES = {"article_id": pl.String, "country": pl.String}

ARTICLE_CHUNK = 200  # articles per transaction


def load_alignments(conn, article_ids: list[str]) -> dict[str, Alignment]:
    if not article_ids:
        return {}
    rows = conn.execute(
        "SELECT article_id, char_start, char_end, raw_char_start, raw_char_end, is_copy FROM article_alignment "
        "WHERE article_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY article_id, segment_no",
        [article_ids],
    ).fetchall()
    grouped: dict[str, list] = {}
    for aid, *seg in rows:
        grouped.setdefault(aid, []).append(seg)
    return {aid: Alignment.from_rows(segs) for aid, segs in grouped.items()}


CODING_SIGNATURE = "coding_signature"  # warehouse_info: the coding fingerprint every article was last checked under


def stances_to_code(
    conn, scope, signature: str | None = None
) -> tuple[list[tuple[str, str]], list[str], list[str], dict[str, str]]:
    """(article_id, text_sha256) of articles whose statements are missing or stale; ids of
    articles whose statements only need their codebooks' new versions; ids of articles coded
    before that no longer exist; and the fingerprints computed (`coding_scope.Scope`).

    When `signature` (model, code and codebooks: `fingerprints.coding_fingerprint`) is the
    one the last completed stance step stored, only the articles without statements, scope
    or with another text are looked at: the others' fingerprints cannot have changed (a
    drop of ten articles does not read every article's scope)."""
    state = dict(conn.execute("SELECT article_id, fingerprint FROM stage_state WHERE stage = 'stances'").fetchall())
    stored = conn.execute("SELECT value FROM warehouse_info WHERE key = ?", [CODING_SIGNATURE]).fetchone()
    unchanged = signature is not None and stored is not None and stored[0] == signature
    rows = conn.execute(
        "SELECT a.article_id, a.text_sha256, s.scope FROM articles a LEFT JOIN coding_scope s "
        "ON s.article_id = a.article_id AND s.text_sha256 = a.text_sha256 "
        + (
            "LEFT JOIN stage_state st ON st.stage = 'stances' AND st.article_id = a.article_id "
            "WHERE st.article_id IS NULL OR s.article_id IS NULL "
            if unchanged
            else ""
        )
        + "ORDER BY a.article_id"
    ).fetchall()
    todo, relabel, want = [], [], {}
    for aid, sha, article_scope in rows:
        fp = want[aid] = scope.fingerprint(sha, article_scope)
        old = state.get(aid)
        if old == fp:
            continue
        if article_scope is not None and same_coding(old, fp):
            relabel.append(aid)
        else:
            todo.append((aid, sha))
    present = {aid for (aid,) in conn.execute("SELECT article_id FROM articles").fetchall()}
    return todo, relabel, sorted(set(state) - present), want


def run_stances(
    conn,
    model_name: str,
    codebooks,
    staging,
    code_fp: str,
    progress: Progress | None = None,
    n_process: int = 1,
    batch_size: int = 64,
) -> dict:
    """Stance statements against every configured codebook, and the codebooks' targets.
    Only articles that are new, or whose text, model, code or reaching targets changed are
    coded; those whose codebooks only changed version have it written into their statements
    (see module docstring)."""
    from pipeline.stances.codebooks import codebook_target_rows

    fingerprint = coding_fingerprint(model_name, code_fp, codebooks)  # of precoded statements
    config = WorkerConfig.of(model_name, staging.parses.root, batch_size, code_fp, codebooks)
    scope = load_scope(conn, config, codebooks)
    todo, relabel, gone, want = stances_to_code(conn, scope, fingerprint)
    with transaction(conn):
        conn.execute("DELETE FROM warehouse_info WHERE key = ?", [CODING_SIGNATURE])  # stored again when done
        conn.execute("DELETE FROM codebook_targets")
        targets = codebook_target_rows(codebooks)
        if targets:
            insert_values(
                conn,
                "codebook_targets",
                [
                    [t["codebook"], t["target"], t["codebook_version"], t["label"], t["description"], t["terms"]]
                    for t in targets
                ],
            )
        for table in ("coded_stances", "stage_state", "article_actors", "coding_scope"):
            where = {
                "coded_stances": "article_id",
                "stage_state": "stage = 'stances' AND article_id",
                "article_actors": "stage = 'stances' AND article_id",
                "coding_scope": "article_id",
            }[table]
            if table == "coded_stances":
                mark_actors(
                    conn, "article_id IN (SELECT unnest(?::VARCHAR[]))", [gone], ("article_actors", "coded_stances")
                )
            conn.execute(f"DELETE FROM {table} WHERE {where} IN (SELECT unnest(?::VARCHAR[]))", [gone])
    for chunk in chunked(relabel, ARTICLE_CHUNK):
        _relabel(conn, chunk, codebooks, want)
    precoded = _precoded(conn, staging, fingerprint, todo)
    for chunk in chunked([a for a in todo if a in precoded], ARTICLE_CHUNK):
        _write_coded(
            conn,
            chunk,
            (
                [r for a in chunk for r in precoded[a][0]],
                [r for a in chunk for r in precoded[a][1]],
                [precoded[a][2] for a in chunk],
            ),
            scope,
            progress,
        )
    todo = [a for a in todo if a not in precoded]
    if todo:
        processes = max(1, min(n_process, len(todo) // MIN_ARTICLES_PER_PROCESS))
        # shared out evenly among the workers there are (61 articles on two: 31 and 30, not 50 and 11)
        size = max(1, min(CODING_CHUNK, -(-len(todo) // pool_size(config, processes))))
        chunks = list(chunked(todo, size))
        jobs = ((_coding_items(conn, chunk, staging, model_name),) for chunk in chunks)  # read as the workers take them
        for chunk, coded in zip(chunks, run_chunks(config, processes, _code_items, jobs)):
            _write_coded(conn, chunk, coded, scope, progress)
    conn.execute("INSERT INTO warehouse_info VALUES (?, ?)", [CODING_SIGNATURE, fingerprint])
    return {
        "coded": len(todo) + len(precoded),
        "precoded": len(precoded),
        "relabelled": len(relabel),
        "removed": len(gone),
        "statements": conn.execute("SELECT count(*) FROM coded_stances").fetchone()[0],
    }


def _relabel(conn, ids: list[str], codebooks, want: dict[str, str]) -> None:
    """Statements whose coding holds but whose codebooks changed version: the new versions
    written in, as coding them again would."""
    of_chunk = "article_id IN (SELECT unnest(?::VARCHAR[]))"
    with transaction(conn):
        for b in codebooks:
            conn.execute(
                f"UPDATE coded_stances SET codebook_version = ? WHERE codebook = ? AND codebook_version <> ? AND {of_chunk}",
                [b.version, b.name, b.version, ids],
            )
        conn.execute(f"DELETE FROM stage_state WHERE stage = 'stances' AND {of_chunk}", [ids])
        insert_values(conn, "stage_state", [["stances", aid, want[aid]] for aid in ids])


def _precoded(conn, staging, fingerprint: str, todo: list[tuple[str, str]]) -> dict[tuple, tuple[list, list, str]]:
    """Statements the parse step coded with the same fingerprint (same codebooks, model and
    code), from the batch each article was loaded from: {(article, sha): (rows, actor rows,
    scope)}.
    Nothing when they cannot be read (a batch being rewritten): those are coded here."""
    if not todo or not staging.all_parts("stance_coded"):
        return {}
    want = pl.DataFrame(
        conn.execute(
            "SELECT batch_id, article_id, text_sha256 FROM articles a JOIN (SELECT unnest(?::VARCHAR[]) AS article_id) "
            "USING (article_id)",
            [[aid for aid, _ in todo]],
        ).fetchall(),
        schema=schema_for(["batch_id", "article_id", "text_sha256"]),
        orient="row",
    )
    keys = ["batch_id", "article_id", "text_sha256"]
    wanted = set(todo)
    batches = sorted(set(want["batch_id"]))
    parts = {t: staging.all_parts(t, batches) for t in ("stance_coded", "stance_statements", "stance_actors")}
    if not all(parts.values()):  # batches staged without codebooks
        return {}
    try:
        frames = {
            t: pl.scan_parquet(files).filter(pl.col("coding_fp") == fingerprint).join(want.lazy(), on=keys).collect()
            for t, files in parts.items()
        }
    except (OSError, pl.exceptions.PolarsError) as e:
        log.warning("precoded stances not used (%s); coding from stored parses", e)
        return {}
    out = {
        (r["article_id"], r["text_sha256"]): ([], [], r["coding_scope"])
        for r in frames["stance_coded"].iter_rows(named=True)
    }
    out = {k: v for k, v in out.items() if k in wanted}
    for table, slot in (("stance_statements", 0), ("stance_actors", 1)):
        for r in frames[table].drop(["batch_id", "coding_fp"]).iter_rows(named=True):
            key = (r["article_id"], r.pop("text_sha256"))
            if key in out:
                out[key][slot].append(r)
    return out


def _coding_items(conn, chunk: list[tuple[str, str]], staging, model_name: str) -> list[tuple]:
    """What coding a chunk needs besides the parse: (article, text sha, quotes, alignment
    rows, text). The text only when its parse is not in the cache (a cache deleted, or a
    warehouse moved without it): the worker parses it again."""
    from pipeline.nlp.model import model_id_for

    ids = [aid for aid, _ in chunk]
    model = model_id_for(model_name)
    missing = [aid for aid, sha in chunk if not staging.parses.has(model, sha)]
    texts = (
        dict(
            conn.execute(
                "SELECT article_id, text FROM articles WHERE article_id IN (SELECT unnest(?::VARCHAR[]))", [missing]
            ).fetchall()
        )
        if missing
        else {}
    )
    from pipeline.stances.coder import QuoteScope

    quotes: dict[str, list] = {}
    columns = ["article_id", *QuoteScope.COLUMNS]
    # a speaker id as the quotes step gave it, before a coder's actor merge (pipeline.review.apply)
    select = ", ".join(
        "coalesce(m.speaker_actor_id, q.speaker_actor_id)" if c == "speaker_actor_id" else f'q."{c}"' for c in columns
    )
    for row in conn.execute(
        f"SELECT {select} FROM quotes q LEFT JOIN merged_speakers m USING (quote_id) "
        "WHERE q.article_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY q.article_id, q.char_start, q.quote_id",
        [ids],
    ).fetchall():
        record = dict(zip(columns, row, strict=True))
        quotes.setdefault(record["article_id"], []).append(QuoteScope.from_row(record))
    aligns = {
        aid: [(s.clean_start, s.clean_end, s.raw_start, s.raw_end, s.is_copy) for s in a.segments]
        for aid, a in load_alignments(conn, ids).items()
    }
    return [(aid, sha, quotes.get(aid, []), aligns[aid], texts.get(aid)) for aid, sha in chunk]


# Below this many articles per process, starting coder processes costs more than it saves
# (unless the run's shared pool is already up, see `pipeline.steps.pool`).
MIN_ARTICLES_PER_PROCESS = 150
CODING_CHUNK = 50  # articles a worker codes at a time


def _code_items(items: list[tuple]) -> tuple[list[dict], list[dict], list[str]]:
    """Statements, actor references and each article's scope (`coding_scope`) of a chunk,
    from the stored parses, or parsed again when an item carries its text (in a worker,
    `pool.init` done)."""
    from pipeline.nlp.model import doc_from_bytes, doc_to_bytes, parse_texts

    w = pool.state()
    nlp, matcher, parses, model = w["nlp"], w["matcher"], w["parses"], w["model"]
    rows, actor_rows, scopes = [], [], []
    parsed = parse_texts(nlp, (item[4] for item in items if item[4] is not None), batch_size=w["config"].batch_size)
    for aid, sha, quotes, align_rows, text in items:
        if text is None:
            doc = doc_from_bytes(parses.read(model, sha), nlp.vocab)
        else:
            doc = next(parsed)
            parses.write(model, sha, doc_to_bytes(doc))
        statements, actors, scope = code_scoped(aid, doc, quotes, matcher, Alignment.from_rows(align_rows))
        rows += statements
        actor_rows += actors
        scopes.append(scope)
    return rows, actor_rows, scopes


def _write_coded(
    conn, chunk: list[tuple[str, str]], coded: tuple[list, list, list], scope, progress: Progress | None
) -> None:
    """Replace a chunk's statements and bookkeeping (its articles' scopes and fingerprints)
    in one transaction."""
    rows, actor_rows, scopes = coded
    ids = [aid for aid, _ in chunk]
    of_chunk, coded_tables = "article_id IN (SELECT unnest(?::VARCHAR[]))", ("article_actors", "coded_stances")
    with transaction(conn):
        mark_actors(conn, of_chunk, [ids], coded_tables)  # the actors the chunk's statements named before
        for table, where in (
            ("coded_stances", "article_id"),
            ("article_actors", "stage = 'stances' AND article_id"),
            ("stage_state", "stage = 'stances' AND article_id"),
            ("coding_scope", "article_id"),
        ):
            conn.execute(f"DELETE FROM {table} WHERE {where} IN (SELECT unnest(?::VARCHAR[]))", [ids])
        _insert_rows(conn, "coded_stances", rows)
        _insert_rows(conn, "article_actors", actor_rows)
        mark_actors(conn, of_chunk, [ids], coded_tables)  # and those they name now
        insert_values(
            conn,
            "stage_state",
            [["stances", aid, scope.fingerprint(sha, s)] for (aid, sha), s in zip(chunk, scopes, strict=True)],
        )
        insert_values(conn, "coding_scope", [[aid, sha, s] for (aid, sha), s in zip(chunk, scopes, strict=True)])
    if progress:
        progress(len(chunk))


def _insert_rows(conn, table: str, rows: list[dict]) -> None:
    """Rows given as dicts, by `insert_values`: the first row's keys are the columns (a key
    another row lacks is NULL there)."""
    if rows:
        columns = list(rows[0])
        insert_values(conn, table, [[r.get(c) for c in columns] for r in rows], columns=columns)


def run_actors(conn) -> int:
    """Canonical actors referenced by mentions, quotes or statements, with counts. The name
    is a coder's (`actor_renames`), else the most frequent well-cased full form (a
    headline's capitals last, and in title case when no other form exists).

    The country is the one the articles state most often for the actor (a role, a place or
    a party: `country_source` 'text'). Else, for a person, organisation or group, the
    country its articles are set in (`country_source` 'article_setting',
    `pipeline.actors.setting`): the one set for most of its articles that have a setting,
    if it holds SETTING_SHARE of them. Listed international bodies and platforms
    (resources/organisation_aliases.tsv without a country) never get one this way.

    Only the actors whose references changed since the last build (`dirty_actors`, noted
    by the loader and the stance step) are computed again; an actor's row depends on its
    own references and on its articles' settings, which depend on their mentions and
    per-batch actor rows only: those change when the article is loaded again (all its actors
    are marked) or a merge rewrites them (`review.apply.apply_merges` marks all the actors
    of the articles it touches)."""
    everything = conn.execute("SELECT count(*) FROM dirty_actors WHERE actor_id = ?", [ALL_ACTORS]).fetchone()[0] > 0
    dirty_ids = "IN (SELECT actor_id FROM dirty_actors)"
    only, and_only, and_speaker = (
        ("", "", "")
        if everything
        else (
            f"WHERE actor_id {dirty_ids}",
            f"AND actor_id {dirty_ids}",
            f"AND speaker_actor_id {dirty_ids}",
        )
    )
    sql = f"""
    WITH forms AS (  -- each name an actor is given, and in how many articles
        SELECT actor_id, name, count(DISTINCT article_id) AS n FROM article_actors {only} GROUP BY ALL
    ), names AS (  -- the most frequent well-cased full form (not a headline's capitals)
        SELECT f.actor_id, first(f.name ORDER BY (f.name = upper(f.name) AND length(f.name) > 3),
               (f.name LIKE '% %') DESC, f.n DESC, length(f.name) DESC, f.name) AS name,
               t.actor_type, t.n_articles
        FROM forms f JOIN (SELECT actor_id, coalesce(CASE WHEN split_part(actor_id, ':', 1) IN
                                  ('person', 'organization', 'country', 'group') THEN split_part(actor_id, ':', 1) END,
                                  first(actor_type ORDER BY actor_type)) AS actor_type,
                           count(DISTINCT article_id) AS n_articles FROM article_actors {only} GROUP BY actor_id) t
        USING (actor_id) GROUP BY f.actor_id, t.actor_type, t.n_articles
    ), countries AS (
        SELECT actor_id, first(country ORDER BY n DESC, country) AS country FROM (
            SELECT actor_id, country, count(*) AS n FROM article_actors WHERE country IS NOT NULL GROUP BY ALL)
        {only} GROUP BY actor_id
    ), settings AS (  -- the country most of an actor's articles are set in
        SELECT actor_id, country FROM (
            SELECT actor_id, h.country, count(DISTINCT article_id) AS n,
                   sum(count(DISTINCT article_id)) OVER (PARTITION BY actor_id) AS total
            FROM article_actors JOIN article_homes h USING (article_id)
            WHERE split_part(actor_id, ':', 1) IN ('person', 'organization', 'group')
            AND actor_id NOT IN (SELECT unnest(?::VARCHAR[])) {and_only} GROUP BY actor_id, h.country)
        WHERE n >= {SETTING_SHARE} * total
    ), m AS (SELECT actor_id, count(*) AS n FROM mentions WHERE actor_id IS NOT NULL {and_only} GROUP BY actor_id
    ), q AS (SELECT speaker_actor_id AS actor_id, count(*) AS n FROM quotes
             WHERE speaker_actor_id IS NOT NULL {and_speaker} GROUP BY 1
    ), s AS (SELECT actor_id, count(*) AS n FROM stances {only} GROUP BY actor_id)
    SELECT names.actor_id, coalesce(r.name, CASE WHEN names.name = upper(names.name) AND names.name LIKE '% %'
               -- only ever in headline capitals: shown in title case ("Australian Olympic Team")
               THEN array_to_string(list_transform(string_split(lower(names.name), ' '),
                                                   lambda w: upper(w[1]) || w[2:]), ' ')
               ELSE names.name END), names.actor_type, coalesce(countries.country, settings.country),
           CASE WHEN countries.country IS NOT NULL THEN 'text' WHEN settings.country IS NOT NULL
                THEN 'article_setting' END, names.n_articles,
           coalesce(m.n, 0), coalesce(q.n, 0), coalesce(s.n, 0)
    FROM names LEFT JOIN countries USING (actor_id) LEFT JOIN settings USING (actor_id) LEFT JOIN m USING (actor_id) LEFT JOIN q USING (actor_id)
    LEFT JOIN s USING (actor_id) LEFT JOIN actor_renames r USING (actor_id)
    ORDER BY names.actor_id
    """
    of_articles = f"article_id IN (SELECT article_id FROM article_actors {only})"
    homes = article_settings(
        conn.execute(
            "SELECT article_id, substr(actor_id, 9), text, count(*) FROM mentions "
            f"WHERE actor_id LIKE 'country:%' AND {of_articles} GROUP BY ALL"
        ).fetchall(),
        conn.execute(  # the per-batch stages only: the stance step's holders change with the codebooks
            "SELECT article_id, min(country) FROM article_actors WHERE country IS NOT NULL "
            f"AND stage IN ('entities', 'quotes') AND actor_type <> 'country' AND {of_articles} "
            "GROUP BY article_id, actor_id"
        ).fetchall(),
    )
    conn.register(
        "article_homes",
        pl.DataFrame({"article_id": list(homes), "country": list(homes.values())}, schema=_HOMES),
    )
    try:
        with transaction(conn):
            conn.execute("DELETE FROM actors" + ("" if everything else " " + only))
            conn.execute(f"INSERT INTO actors {sql}", [sorted(stateless_organisations())])
            conn.execute("DELETE FROM dirty_actors")
    finally:
        conn.unregister("article_homes")
    return conn.execute("SELECT count(*) FROM actors").fetchone()[0]

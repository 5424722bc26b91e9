"""The stage after stance coding: coders' corrections applied to the coded statements.

- `stances` is `coded_stances` (the stance coder's output) with each verdict in force:
  not_a_statement removes the statement, wrong_stance sets the coder's stance, wrong_actor
  the coder's actor, correct marks it; add_statement adds a statement coded by hand.
  Corrected and added statements say `method` = manual; `review_verdict` holds the verdict.
- A verdict finds its statement by id, else (the statement was re-coded: its stance, and so
  its id, changed) by article, codebook, target and actor with overlapping evidence. A
  verdict that finds none is `orphaned`: listed in `review_verdicts` and reported by the run.
- Actor merges are carried into mentions, quotes and the actor references (`applied_merges`
  remembers them: a merge taken back needs the tables reloaded, `stancewire rebuild`);
  renames give an actor its name in `actors` (`actor_renames`).
- `review_verdicts` lists every line of every corrections file with its status.

Work follows what changed: an article's statements are written again only when its coding,
the corrections that touch it or the merges changed (`stage_state`, stage 'corrections').
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field

import polars as pl

from pipeline.review.corrections import Corrections, ReviewError
from pipeline.schema import ACTOR_TYPES, TABLES
from pipeline.storage.warehouse import CODED_STANCE_COLUMNS, insert_values, mark_actors, transaction

STAGE = "corrections"
MANUAL = "manual"  # `method` of a statement a coder added or corrected
MANUAL_CUE = "(coded by hand)"
CHUNK = 500  # articles per statement


@dataclass
class ApplyReport:
    articles_written: int = 0
    applied: Counter = field(default_factory=Counter)  # verdict -> lines in force
    orphaned: list[str] = field(default_factory=list)  # what could not be applied, for the run log
    lines: int = 0


@dataclass
class _Line:
    """One entry of a corrections file and what became of it."""

    review: str
    reviewed_at: str
    entry: dict
    purpose: str = "corrections"
    offsets: tuple[int, int] | None = None  # an added statement's evidence, found again in a changed text
    status: str = "applied"
    applied_to: str | None = None
    reason: str = ""


def apply_corrections(conn, corrections: Corrections) -> ApplyReport:
    """Bring `stances`, `review_verdicts`, the merged actor ids and `actor_renames` up to
    date with the corrections, in one transaction. ReviewError: the corrections cannot be
    applied (a merge cycle, or a merge taken back: `stancewire rebuild` reloads the tables)."""
    from pipeline.actors.canonical import update_auto_aliases

    lines = [_Line(f.review, f.applied_at, e, f.purpose) for f, e in corrections.entries()]
    report = ApplyReport(lines=len(lines))
    with transaction(conn):
        auto = update_auto_aliases(conn)
        merges = merge_map(lines, {a: b for a, (b, _) in auto.items()})
        apply_merges(conn, merges)
        by_coders = {x.entry["actor_id"] for x in lines if x.entry["verdict"] == "merge_actor"}
        _write_aliases(conn, merges, {a: r for a, (_, r) in auto.items() if a not in by_coders})
        _supersede(lines)
        _resolve_statements(conn, lines)
        report.articles_written = _write_stances(conn, lines, merges)
        _write_renames(conn, lines, merges)
        _write_verdicts(conn, lines)
    for line in lines:
        if line.status == "applied":
            report.applied[line.entry["verdict"]] += 1
        elif line.status == "orphaned":
            e = line.entry
            report.orphaned.append(
                f"{line.review} line {e['line']}: {e['verdict']} on {e['item']} {e['item_id']} not applied: {line.reason}"
            )
    return report


# -- actor merges ---------------------------------------------------------------------------


def merge_map(lines: list[_Line], automatic: dict[str, str] | None = None) -> dict[str, str]:
    """{merged actor id: the id it is merged into}, chains followed (a->b, b->c: a->c): the
    `automatic` aliases (pipeline.actors.canonical), then the coders' merges over them."""
    coders: dict[str, str] = {}
    for line in lines:
        e = line.entry
        if e["verdict"] == "merge_actor":
            coders[e["actor_id"]] = e["corrected_actor_id"]
    # a coder's merge wins over an automatic alias: one that points the other way is dropped,
    # and an id a coder merges into itself is kept apart
    targets = set(coders.values())
    direct = {a: b for a, b in (automatic or {}).items() if a not in targets}
    direct.update(coders)
    direct = {a: b for a, b in direct.items() if a != b}
    out = {}
    for source in direct:
        seen, target = [source], direct[source]
        while target in direct:
            if target in seen:
                raise ReviewError(
                    "the corrections folder", [f"actor merges go round in a circle: {' -> '.join([*seen, target])}"]
                )
            seen.append(target)
            target = direct[target]
        out[source] = target
    return out


def apply_merges(conn, merges: dict[str, str]) -> None:
    """Carry the merges into the loaded tables and the actor references (rows loaded since
    the last run still have the merged ids), marking the actors concerned for the actors step."""
    applied = dict(conn.execute("SELECT actor_id, merged_into FROM applied_merges").fetchall())
    # rows of a merged actor now carry the id it was merged into: still right when that id is
    # merged on in turn (a->b, then b->c), wrong when the merge is gone or points elsewhere
    taken_back = sorted(a for a, b in applied.items() if a not in merges or merges[a] != merges.get(b, b))
    if taken_back:
        raise ReviewError(
            "the corrections folder",
            [
                f"actor {a} was merged into {applied[a]} and the corrections no longer say so (a corrections file "
                "removed or changed?): the loaded tables still carry that merge. Run `stancewire rebuild` to "
                "reload them with the corrections as they are."
                for a in taken_back
            ],
        )
    if not merges:
        return
    frame = pl.DataFrame({"actor_id": list(merges), "merged_into": list(merges.values())})
    conn.register("_merges", frame.to_arrow())
    try:
        # the stance coder links quotes to the actors it finds in the parse, by the unmerged
        # ids: keep a quote's first speaker id (`stances_to_code`'s items read it back)
        conn.execute(
            "INSERT OR IGNORE INTO merged_speakers SELECT q.quote_id, q.speaker_actor_id FROM quotes q "
            "JOIN _merges m ON q.speaker_actor_id = m.actor_id"
        )
        # an article's setting (`pipeline.actors.setting`) counts its actors: every actor of an
        # article whose rows a merge rewrites is computed again, as a full build would
        conn.execute(
            "INSERT OR IGNORE INTO dirty_actors SELECT DISTINCT actor_id FROM article_actors WHERE article_id IN ("
            "SELECT article_id FROM article_actors WHERE actor_id IN (SELECT actor_id FROM _merges) UNION "
            "SELECT article_id FROM mentions WHERE actor_id IN (SELECT actor_id FROM _merges))"
        )
        changed = 0
        for table, col in (("mentions", "actor_id"), ("quotes", "speaker_actor_id")):
            changed += conn.execute(
                f'UPDATE "{table}" SET "{col}" = m.merged_into FROM _merges m WHERE "{table}"."{col}" = m.actor_id'
            ).fetchone()[0]
        changed += conn.execute(
            "SELECT count(*) FROM article_actors WHERE actor_id IN (SELECT actor_id FROM _merges)"
        ).fetchone()[0]
        conn.execute(
            "INSERT OR IGNORE INTO article_actors SELECT a.stage, a.article_id, m.merged_into, a.name, a.actor_type, "
            "a.country FROM article_actors a JOIN _merges m USING (actor_id)"
        )
        conn.execute("DELETE FROM article_actors WHERE actor_id IN (SELECT actor_id FROM _merges)")
        if changed or set(applied) != set(merges):
            conn.execute(
                "INSERT OR IGNORE INTO dirty_actors SELECT actor_id FROM _merges UNION SELECT merged_into FROM _merges"
            )
        conn.execute("DELETE FROM applied_merges")
        conn.execute("INSERT INTO applied_merges SELECT actor_id, merged_into FROM _merges")
    finally:
        conn.unregister("_merges")


# -- which lines are in force ---------------------------------------------------------------


def _supersede(lines: list[_Line]) -> None:
    """A later line on the same item replaces an earlier one; quote verdicts are measured."""
    last: dict[tuple, _Line] = {}
    for line in lines:
        e = line.entry
        if e["item"] == "quote" or line.purpose == "reliability":
            line.status = "measured"
            continue
        key = (e["item"], e["item_id"], "rename" if e["verdict"] == "rename_actor" else "")
        if key in last:
            last[key].status, last[key].applied_to = "superseded", None
        last[key] = line
        line.applied_to = e["item_id"] if e["item"] == "actor" or e["verdict"] == "add_statement" else None


def _resolve_statements(conn, lines: list[_Line]) -> None:
    """Find the coded statement of each verdict in force (see the module docstring); check
    that added statements still have their article and codebook target."""
    verdicts = [x for x in lines if x.status == "applied" and x.entry["item"] == "statement"]
    articles = sorted({x.entry["article_id"] for x in verdicts})
    coded: dict[str, list[dict]] = {}
    texts: dict[str, str | None] = {}
    if articles:
        cols = [
            "statement_id",
            "article_id",
            "codebook",
            "target",
            "actor_id",
            "evidence_char_start",
            "evidence_char_end",
        ]
        for row in conn.execute(
            f"SELECT {', '.join(cols)} FROM coded_stances WHERE article_id IN (SELECT unnest(?::VARCHAR[])) "
            "ORDER BY statement_id",
            [articles],
        ).fetchall():
            coded.setdefault(row[1], []).append(dict(zip(cols, row, strict=True)))
        added = sorted({x.entry["article_id"] for x in verdicts if x.entry["verdict"] == "add_statement"})
        texts = dict(  # the text of the articles with added statements, None for the others
            conn.execute(
                "SELECT article_id, CASE WHEN article_id IN (SELECT unnest(?::VARCHAR[])) THEN text END FROM articles "
                "WHERE article_id IN (SELECT unnest(?::VARCHAR[]))",
                [added, articles],
            ).fetchall()
        )
    targets = set(conn.execute("SELECT codebook, target FROM codebook_targets").fetchall())
    taken: dict[str, tuple[_Line, bool]] = {}
    for line in verdicts:
        e = line.entry
        if e["article_id"] not in texts:
            line.status, line.reason = "orphaned", f"article {e['article_id']} is not in the warehouse any more"
            continue
        if (e["codebook"], e["target"]) not in targets:
            line.status, line.reason = "orphaned", f"codebook {e['codebook']} has no target {e['target']} any more"
            continue
        if e["verdict"] == "add_statement":
            _anchor_added(line, texts[e["article_id"]])
            continue
        found = _match(e, coded.get(e["article_id"], []))
        if found is None:
            line.status = "orphaned"
            line.reason = "no statement of that actor on that target with that evidence in the article after re-coding"
            continue
        match, exact = found
        earlier = taken.get(match)
        if earlier is not None and earlier[1] and not exact:  # a verdict on this very statement comes first
            line.status, line.reason = "superseded", f"a verdict on {match} itself is in force"
            continue
        if earlier is not None:  # two verdicts found one statement: the later one is in force
            earlier[0].status, earlier[0].applied_to = "superseded", None
        taken[match] = (line, exact)
        line.applied_to = match


def _anchor_added(line: _Line, text: str) -> None:
    """An added statement's evidence where the coder marked it, or where the same words are
    (once) in an article whose text changed since; else the line is orphaned."""
    e = line.entry
    start, end, evidence = e["evidence_char_start"], e["evidence_char_end"], e["evidence"]
    if text[start:end] == evidence:
        return
    hits, at = [], text.find(evidence)
    while at >= 0 and len(hits) < 2:
        hits.append(at)
        at = text.find(evidence, at + 1)
    if len(hits) == 1:
        line.offsets = (hits[0], hits[0] + len(evidence))
        return
    line.status = "orphaned"
    line.reason = "the article's text changed since, and the evidence " + (
        "is in it more than once" if hits else "is no longer in it"
    )


def _match(entry: dict, candidates: list[dict]) -> tuple[str, bool] | None:
    """(statement id, found by its id) of the coded statement a verdict is about: the one
    with its id, else the one with its article, codebook, target and actor whose evidence
    overlaps the evidence the coder saw (the nearest start)."""
    for c in candidates:
        if c["statement_id"] == entry["item_id"]:
            return c["statement_id"], True
    key = (entry["codebook"], entry["target"], entry["actor_id"])
    start, end = entry["evidence_char_start"], entry["evidence_char_end"]
    overlapping = [
        c
        for c in candidates
        if (c["codebook"], c["target"], c["actor_id"]) == key
        and c["evidence_char_start"] < end
        and start < c["evidence_char_end"]
    ]
    if not overlapping:
        return None
    return min(overlapping, key=lambda c: abs(c["evidence_char_start"] - start))["statement_id"], False


# -- writing --------------------------------------------------------------------------------


def _article_corrections(lines: list[_Line]) -> dict[str, list[_Line]]:
    out: dict[str, list[_Line]] = {}
    for line in lines:
        if line.status == "applied" and line.entry["item"] == "statement":
            out.setdefault(line.entry["article_id"], []).append(line)
    return out


def _digest(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _write_stances(conn, lines: list[_Line], merges: dict[str, str]) -> int:
    """Write again the statements of the articles whose coding or corrections changed."""
    by_article = _article_corrections(lines)
    merges_fp = _digest(sorted(merges.items()))
    coded_fp = dict(conn.execute("SELECT article_id, fingerprint FROM stage_state WHERE stage = 'stances'").fetchall())
    done = dict(conn.execute("SELECT article_id, fingerprint FROM stage_state WHERE stage = ?", [STAGE]).fetchall())
    # An article's statements depend on the merges of the actors coded in it only (an article
    # with corrections: on every merge, as its lines may name any actor): a new merge rewrites
    # the articles it reaches, not all of them.
    merged_in = dict(
        conn.execute(
            "SELECT article_id, list(DISTINCT actor_id ORDER BY actor_id) FROM coded_stances "
            "WHERE actor_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY article_id",
            [list(merges)],
        ).fetchall()
    )

    def merges_of(aid: str) -> str:
        if aid in by_article:
            return merges_fp
        return _digest([(a, merges[a]) for a in merged_in.get(aid, [])])

    want = {
        aid: _digest(fp, merges_of(aid), [(x.entry, x.applied_to, x.offsets) for x in by_article.get(aid, [])])
        for aid, fp in coded_fp.items()
    }
    todo = sorted(a for a, fp in want.items() if done.get(a) != fp)
    gone = sorted(set(done) - set(want))
    of_articles = "article_id IN (SELECT unnest(?::VARCHAR[]))"
    tables = ("stances", "article_actors")
    if gone:
        mark_actors(conn, of_articles, [gone], tables)
        conn.execute(f"DELETE FROM stances WHERE {of_articles}", [gone])
        conn.execute(f"DELETE FROM article_actors WHERE stage = '{STAGE}' AND {of_articles}", [gone])
        conn.execute(f"DELETE FROM stage_state WHERE stage = '{STAGE}' AND {of_articles}", [gone])
    frame = pl.DataFrame(
        {"actor_id": list(merges), "merged_into": list(merges.values())},
        schema=[("actor_id", pl.Utf8), ("merged_into", pl.Utf8)],
    )
    conn.register("_merged", frame.to_arrow())
    try:
        for start in range(0, len(todo), CHUNK):
            ids = todo[start : start + CHUNK]
            mark_actors(conn, of_articles, [ids], tables)
            conn.execute(f"DELETE FROM stances WHERE {of_articles}", [ids])
            conn.execute(f"DELETE FROM article_actors WHERE stage = '{STAGE}' AND {of_articles}", [ids])
            cols = [c.name for c in CODED_STANCE_COLUMNS]
            merged = {  # a merged statement takes its actor's id and type
                "actor_id": "coalesce(m.merged_into, c.actor_id)",
                "actor_type": "coalesce(split_part(m.merged_into, ':', 1), c.actor_type)",
            }
            select = ", ".join(merged.get(c, f'c."{c}"') for c in cols)
            conn.execute(
                f"INSERT INTO stances ({', '.join(cols)}, review_verdict) SELECT {select}, NULL "
                f"FROM coded_stances c LEFT JOIN _merged m ON c.actor_id = m.actor_id WHERE c.{of_articles}",
                [ids],
            )
            for aid in ids:
                for line in by_article.get(aid, []):
                    _apply_line(conn, line, merges)
            mark_actors(conn, of_articles, [ids], tables)
            conn.execute(f"DELETE FROM stage_state WHERE stage = '{STAGE}' AND {of_articles}", [ids])
            done_now = pl.DataFrame({"article_id": ids, "fingerprint": [want[a] for a in ids]})
            conn.register("_done", done_now.to_arrow())
            conn.execute(f"INSERT INTO stage_state SELECT '{STAGE}', article_id, fingerprint FROM _done")
            conn.unregister("_done")
    finally:
        conn.unregister("_merged")
    return len(todo)


def _apply_line(conn, line: _Line, merges: dict[str, str]) -> None:
    e, sid = line.entry, line.applied_to
    verdict = e["verdict"]
    if verdict == "correct":
        conn.execute("UPDATE stances SET review_verdict = 'correct' WHERE statement_id = ?", [sid])
    elif verdict == "not_a_statement":
        conn.execute("DELETE FROM stances WHERE statement_id = ?", [sid])
    elif verdict == "wrong_stance":
        conn.execute(
            "UPDATE stances SET stance = ?, confidence = 1.0, method = ?, review_verdict = 'wrong_stance' "
            "WHERE statement_id = ?",
            [e["corrected_stance"], MANUAL, sid],
        )
    elif verdict == "wrong_actor":
        actor_id = merges.get(e["corrected_actor_id"], e["corrected_actor_id"])
        actor_type, country = _actor_kind(conn, actor_id, e)
        conn.execute(
            "UPDATE stances SET actor = ?, actor_id = ?, actor_type = ?, country = ?, stance = coalesce(?, stance), "
            "confidence = 1.0, method = ?, review_verdict = 'wrong_actor' WHERE statement_id = ?",
            [e["corrected_actor"], actor_id, actor_type, country, e["corrected_stance"], MANUAL, sid],
        )
        _reference(conn, e["article_id"], actor_id, e["corrected_actor"], actor_type, country)
    elif verdict == "add_statement":
        offsets = line.offsets or (e["evidence_char_start"], e["evidence_char_end"])
        _add_statement(conn, e, merges.get(e["actor_id"], e["actor_id"]), *offsets)


def _actor_kind(conn, actor_id: str, entry: dict) -> tuple[str, str | None]:
    """The type and country of a corrected statement's actor: the actor's own when it exists."""
    known = conn.execute("SELECT actor_type, country FROM actors WHERE actor_id = ?", [actor_id]).fetchone()
    if known:
        return known
    prefix = actor_id.split(":", 1)[0]
    return (prefix if prefix in ACTOR_TYPES else entry["actor_type"]), None


def _reference(conn, article_id, actor_id, name, actor_type, country) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO article_actors VALUES (?, ?, ?, ?, ?, ?)",
        [STAGE, article_id, actor_id, name, actor_type, country],
    )


def _add_statement(conn, e: dict, actor_id: str, start: int, end: int) -> None:
    from pipeline.steps.warehouse_wide import load_alignments

    evidence, version = conn.execute(
        "SELECT substring(a.text, ? + 1, ? - ?), c.codebook_version FROM articles a, codebook_targets c "
        "WHERE a.article_id = ? AND c.codebook = ? AND c.target = ?",
        [start, end, start, e["article_id"], e["codebook"], e["target"]],
    ).fetchone()
    raw_start, raw_end = load_alignments(conn, [e["article_id"]])[e["article_id"]].raw_span(start, end)
    conn.execute(
        f"INSERT INTO stances ({', '.join(TABLES['stances'].column_names)}) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1.0, ?, ?, ?, ?, ?, ?, NULL, ?, 'added')",
        [
            e["item_id"],
            e["article_id"],
            actor_id,
            e["actor"],
            e["actor_type"],
            e["country"],
            e["codebook"],
            version,
            e["target"],
            e["corrected_stance"],
            start,
            end,
            raw_start,
            raw_end,
            evidence,
            MANUAL_CUE,
            MANUAL,
        ],
    )
    _reference(conn, e["article_id"], actor_id, e["actor"], e["actor_type"], e["country"])


def _write_renames(conn, lines: list[_Line], merges: dict[str, str]) -> None:
    names = {}
    for line in lines:
        if line.status == "applied" and line.entry["verdict"] == "rename_actor":
            actor_id = merges.get(line.entry["actor_id"], line.entry["actor_id"])
            if conn.execute("SELECT count(*) FROM article_actors WHERE actor_id = ?", [actor_id]).fetchone()[0]:
                names[actor_id] = line.entry["corrected_actor"]
            else:
                line.status, line.applied_to = "orphaned", None
                line.reason = f"no article names actor {actor_id} any more"
    before = dict(conn.execute("SELECT actor_id, name FROM actor_renames").fetchall())
    changed = {a for a in set(before) | set(names) if before.get(a) != names.get(a)}
    if not changed:
        return
    conn.execute("DELETE FROM actor_renames")
    insert_values(conn, "actor_renames", [[a, n] for a, n in sorted(names.items())])
    insert_values(conn, "dirty_actors", [[a] for a in sorted(changed)], or_ignore=True)


def _write_aliases(conn, merges: dict[str, str], rules: dict[str, str]) -> None:
    """The published actor_aliases: every id merged away and the actor it is now."""
    rows = [{"alias_id": a, "actor_id": b, "rule": rules.get(a, "coder_merge")} for a, b in sorted(merges.items())]
    before = conn.execute("SELECT alias_id, actor_id, rule FROM actor_aliases ORDER BY 1").fetchall()
    if before == [(r["alias_id"], r["actor_id"], r["rule"]) for r in rows]:
        return
    from pipeline.storage.polars_schemas import table_schema
    from pipeline.storage.warehouse import replace_rows

    replace_rows(conn, "actor_aliases", pl.DataFrame(rows, schema=table_schema("actor_aliases"), orient="row"))


def _write_verdicts(conn, lines: list[_Line]) -> None:
    table = TABLES["review_verdicts"]
    rows = []
    for line in lines:
        e = line.entry
        rows.append(
            {
                "review": line.review,
                "line": e["line"],
                "coder": e["coder"],
                "reviewed_at": line.reviewed_at,
                "item": e["item"],
                "item_id": e["item_id"],
                "article_id": e["article_id"],
                "codebook": e["codebook"],
                "codebook_version": e["codebook_version"],
                "target": e["target"],
                "actor": e["actor"],
                "machine_stance": e["machine_stance"],
                "verdict": e["verdict"],
                "corrected_stance": e["corrected_stance"],
                "corrected_actor": e["corrected_actor"],
                "note": e["note"],
                "status": line.status,
                "applied_to": line.applied_to,
            }
        )
    before = conn.execute("SELECT count(*) FROM review_verdicts").fetchone()[0]
    if not rows and not before:
        return
    from pipeline.storage.polars_schemas import table_schema
    from pipeline.storage.warehouse import replace_rows

    replace_rows(conn, table, pl.DataFrame(rows, schema=table_schema("review_verdicts"), orient="row"))

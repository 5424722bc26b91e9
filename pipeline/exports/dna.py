"""Statements as one CSV in the shape Discourse Network Analyzer (DNA) users know, for
researchers who go on coding by hand (`stancewire export statements --format dna`).

DNA codes a statement as (document, person, organization, concept, agreement) over a text
excerpt. The mapping (docs/review.md has it as a table):

    id            stances.statement_id
    document      articles.doc_name (the input file's name), `title` beside it
    date          articles.published_date (YYYY-MM-DD), else published_at as given
    start, stop   evidence offsets in articles.text
    coder         the statement's method: the model's version, or manual
    person        the actor's canonical name (`actors.name`: merges and renames applied)
                  when it is a person, else empty
    organization  the actor's name when it is an organisation, country or group, else empty
    concept       the codebook target's label (`target` has its id, `codebook` the codebook)
    agreement     yes (favor), no (against), neutral (neutral); DNA's own qualifier is a
                  yes/no boolean: filter out neutral for it
    text          the evidence excerpt
"""

from __future__ import annotations

import csv
from pathlib import Path

AGREEMENT = {"favor": "yes", "against": "no", "neutral": "neutral"}
COLUMNS = (
    "id",
    "document",
    "title",
    "date",
    "start",
    "stop",
    "coder",
    "person",
    "organization",
    "concept",
    "agreement",
    "text",
    "actor_id",
    "actor_type",
    "country",
    "codebook",
    "target",
    "review_verdict",
)


def export_dna(conn, out: Path) -> int:
    """Write the statements of `conn` (warehouse or release) to `out`; the number written."""
    rows = conn.execute("""
        SELECT s.statement_id, a.doc_name, a.title, coalesce(CAST(a.published_date AS VARCHAR), a.published_at), s.evidence_char_start, s.evidence_char_end,
               s.method, coalesce(ac.name, s.actor), coalesce(ac.actor_type, s.actor_type),
               coalesce(t.label, s.target), s.stance, s.evidence, s.actor_id,
               coalesce(s.country, ac.country), s.codebook, s.target, s.review_verdict
        FROM stances s JOIN articles a USING (article_id)
        LEFT JOIN actors ac USING (actor_id)
        LEFT JOIN codebook_targets t USING (codebook, target)
        ORDER BY a.doc_name, s.evidence_char_start, s.statement_id""").fetchall()
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for (
            sid,
            doc,
            title,
            date,
            start,
            stop,
            method,
            actor,
            atype,
            concept,
            stance,
            text,
            aid,
            country,
            book,
            target,
            verdict,
        ) in rows:
            writer.writerow(
                [
                    sid,
                    doc,
                    title or "",
                    date or "",
                    start,
                    stop,
                    method,
                    actor if atype == "person" else "",
                    actor if atype != "person" else "",
                    concept,
                    AGREEMENT[stance],
                    text,
                    aid,
                    atype,
                    country or "",
                    book,
                    target,
                    verdict or "",
                ]
            )
    return len(rows)

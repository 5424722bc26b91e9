"""The `stances` table rows of one parsed article, and the actors its statements name (its
`article_actors` rows), as the stance step and the per-batch precoding both write them."""

from __future__ import annotations

from pipeline.actors.resolver import ArticleActors, reference_rows
from pipeline.stances.coder import Statement
from pipeline.stances.decision import code_article
from pipeline.text.alignment import Alignment


def code_doc(
    article_id: str, doc, quotes: list, matcher, align: Alignment, actors: ArticleActors | None = None
) -> tuple[list[dict], list[dict], ArticleActors]:
    """Statement rows and actor references of one parsed article (its quotes in text order),
    and the article's actors as the coder saw them (`pipeline.steps.coding_scope` reads their
    names). `actors`: the article's actors as built (`ArticleActors.as_built`), else built here."""
    actors = ArticleActors(doc, article_id) if actors is None else actors
    statements = code_article(doc, actors, quotes, matcher)
    return (
        statement_rows(article_id, statements, align.raw_span),
        reference_rows(article_id, actors, dict.fromkeys((s.actor_id for s in statements), "stances")),
        actors,
    )


def statement_rows(article_id: str, statements: list[Statement], raw_span) -> list[dict]:
    """`stances` rows of the statements; `raw_span` maps an evidence span to raw-text offsets."""
    rows = []
    for s in statements:
        rs, re_ = raw_span(s.evidence_start, s.evidence_end)
        rows.append(
            {
                "statement_id": f"{article_id}:{s.codebook}:{s.target}:{s.actor_id}:{s.stance}",
                "article_id": article_id,
                "actor_id": s.actor_id,
                "actor": s.actor,
                "actor_type": s.actor_type,
                "country": s.country,
                "codebook": s.codebook,
                "codebook_version": s.codebook_version,
                "target": s.target,
                "stance": s.stance,
                "confidence": s.confidence,
                "evidence_char_start": s.evidence_start,
                "evidence_char_end": s.evidence_end,
                "raw_char_start": rs,
                "raw_char_end": re_,
                "evidence": s.evidence,
                "cue": s.cue,
                "quote_id": s.quote_id,
                "method": s.method,
            }
        )
    return rows

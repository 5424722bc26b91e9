"""The one rule for which input records become articles, used when a batch is annotated
(`per_batch`: only the records that will be loaded are parsed) and when batches are
loaded (`load`: against the articles already stored).

In order (batch, then file and record): the first record of a text is kept; a later
record of the same text is a duplicate of it; a record whose article id is already held
by a different text is an id conflict (an id names one article)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

KEPT, DUPLICATE, ID_CONFLICT = "kept", "duplicate", "id_conflict"


@dataclass(frozen=True)
class Decision:
    outcome: str  # KEPT, DUPLICATE or ID_CONFLICT
    duplicate_of: str | None = None  # for a duplicate: the article id that has its text


def decide(records: Iterable[tuple[str, str]], seen: Iterable[tuple[str, str]] = ()) -> Iterator[Decision]:
    """One decision per (article_id, text_sha256) of `records`, taken in the order given;
    `seen` holds the (article_id, text_sha256) of articles already kept."""
    seen = list(seen)
    by_text: dict[str, str] = {sha: aid for aid, sha in seen}
    by_id: dict[str, str] = dict(seen)
    for aid, sha in records:
        if sha in by_text:
            yield Decision(DUPLICATE, by_text[sha])
        elif aid in by_id:
            yield Decision(ID_CONFLICT)
        else:
            by_text[sha], by_id[aid] = aid, sha
            yield Decision(KEPT)

"""The one rule for which input records become articles, used when a batch is annotated
(`per_batch`: only the records that will be loaded are parsed) and when batches are
loaded (`load`: against the articles already stored).

In order (batch, then file and record): the first record of a text is kept; a later
record of the same text is a duplicate of it; a record whose article id is already held
by a different text is an id conflict (an id names one article).

A batch is annotated before it is loaded, so which of its records the load keeps depends on
what is stored then. Every record that may be kept is annotated (`annotated`): the first
record of each article id in the batch. A record under an id that an earlier record of its
batch gave another text is not annotated, and never kept: an id conflict in its own batch,
whatever is stored (`decide`'s `annotated`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

KEPT, DUPLICATE, ID_CONFLICT = "kept", "duplicate", "id_conflict"


def candidate_article_id(external_id: str | None, text_sha256: str) -> str:
    """The article id a record gets if it is kept: its input id, else a text hash prefix."""
    return external_id or text_sha256[:16]


@dataclass(frozen=True)
class Decision:
    outcome: str  # KEPT, DUPLICATE or ID_CONFLICT
    duplicate_of: str | None = None  # for a duplicate: the article id that has its text


def decide(
    records: Iterable[tuple[str, str]], seen: Iterable[tuple[str, str]] = (), annotated: Iterable[bool] | None = None
) -> Iterator[Decision]:
    """One decision per (article_id, text_sha256) of `records`, taken in the order given;
    `seen` holds the (article_id, text_sha256) of articles already kept. `annotated`, one
    flag per record: a record its batch did not annotate is never kept (an id conflict)."""
    seen = list(seen)
    by_text: dict[str, str] = {sha: aid for aid, sha in seen}
    by_id: dict[str, str] = dict(seen)
    flags = iter(annotated) if annotated is not None else None
    for aid, sha in records:
        can_keep = next(flags) if flags is not None else True
        if sha in by_text:
            yield Decision(DUPLICATE, by_text[sha])
        elif aid in by_id or not can_keep:
            yield Decision(ID_CONFLICT)
        else:
            by_text[sha], by_id[aid] = aid, sha
            yield Decision(KEPT)


def annotated(records: Iterable[tuple[str, str]]) -> Iterator[bool]:
    """For the (article_id, text_sha256) of one batch's records, in file and record order:
    whether the record is annotated, that is, may become an article (the first record of
    each article id). Staged rows are keyed by article id, so one id is annotated once; a
    text under several ids is annotated under each (its parse is made once)."""
    ids: set[str] = set()
    for aid, _sha in records:
        yield aid not in ids
        ids.add(aid)

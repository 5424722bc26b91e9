"""A `quotes` table row of one attribution: its content, cue and speaker spans (and their
raw-text offsets), the speaker resolved to an actor (a described speaker is registered as
one; of a span listing several, the first), and how it was resolved."""

from __future__ import annotations

import json

from pipeline.quotes.cues import cue_kind
from pipeline.text.alignment import Alignment


def quote_row(article_id: str, text: str, att, actors, align: Alignment) -> dict:
    """The row of attribution `att` (see the module docstring); `actors` is the article's
    `ArticleActors`."""
    segs = [tuple(s) for s in att.content]
    start, end = segs[0][0], segs[-1][1]
    rs, re_ = align.raw_span(start, end)
    speaker_actor, method = None, "none"
    if att.source is not None:
        # the first of the speakers a span lists ("Senators Ted Cruz and Marco Rubio": Cruz;
        # the stance coder gives each a statement); a described speaker becomes an actor
        res = actors.register(actors.resolve_each(*att.source)[0])
        speaker_actor, method = res.actor_id, res.method
        if att.source[0] < start and res.actor_id and _is_continuation(text, att):
            method = "continuation"
    return {
        "quote_id": f"{article_id}:q{start}",
        "article_id": article_id,
        "kind": att.kind,
        "is_direct": bool(att.direct),
        "char_start": start,
        "char_end": end,
        "raw_char_start": rs,
        "raw_char_end": re_,
        "content_segments": json.dumps([list(s) for s in segs]),
        "content": " ... ".join(text[a:b] for a, b in segs),
        "cue": text[att.cue[0] : att.cue[1]] if att.cue else None,
        "cue_lemma": att.cue_lemma,
        "cue_kind": cue_kind(att.cue_lemma, _infinitive(text, segs), att.direct),
        "negated": bool(att.negated),
        "cue_char_start": att.cue[0] if att.cue else None,
        "cue_char_end": att.cue[1] if att.cue else None,
        "speaker": text[att.source[0] : att.source[1]] if att.source else None,
        "speaker_char_start": att.source[0] if att.source else None,
        "speaker_char_end": att.source[1] if att.source else None,
        "speaker_actor_id": speaker_actor,
        "speaker_resolution": method,
    }


def _is_continuation(text: str, att) -> bool:
    """A quote whose speaker was named in an earlier paragraph (a continuation quote)."""
    return "\n" in text[att.source[1] : att.content[0][0]]


def _infinitive(text: str, segs) -> bool:
    """Whether the content is a to-infinitive ("to republish the book")."""
    return text[segs[0][0] : segs[0][1]].lstrip("\"“‘'").lower().startswith("to ")

"""What the actors package works with: canonical actors, entity mentions, the people of one
article, and what a span of the text resolves to."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.nlp.lexicon import slug

PERSON_LABELS = {"PERSON"}
PLACE_LABELS = {"GPE", "LOC", "NORP", "FAC"}
SINGULAR_PRONOUNS = {
    "he": "m",
    "him": "m",
    "his": "m",
    "himself": "m",
    "she": "f",
    "her": "f",
    "hers": "f",
    "herself": "f",
}


@dataclass(frozen=True)
class Actor:
    actor_id: str
    name: str
    actor_type: str
    country: str | None


@dataclass
class Mention:
    start: int
    end: int
    tok_start: int
    tok_end: int
    text: str
    label: str
    label_source: str
    actor_id: str | None = None


@dataclass(frozen=True)
class Resolution:
    actor_id: str | None
    method: str  # name | pronoun | role | description | unresolved
    # the actor a description defines ("a UK Government source"): not among the article's
    # actors until `ArticleActors.register` adds it
    new_actor: Actor | None = None


@dataclass
class Person:
    """One person of an article, with every name and position the article gives them."""

    names: list[tuple[str, ...]] = field(default_factory=list)  # title-free token tuples
    display: str = ""
    positions: list[int] = field(default_factory=list)  # token indices of mentions
    subjects: set[int] = field(default_factory=set)  # those that are a clause's subject
    country: str | None = None
    gender: str | None = None  # "m" / "f" when an honorific or a gendered noun says so

    @property
    def actor_id(self) -> str:
        return f"person:{slug(self.display)}"


def add_actor(actors: dict[str, Actor], actor: Actor) -> str:
    """Put `actor` among `actors`; it replaces a known actor of the same id only when that
    one has no country and it has. Returns the id."""
    known = actors.get(actor.actor_id)
    if known is None or (known.country is None and actor.country):
        actors[actor.actor_id] = actor
    return actor.actor_id


def same_person(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two title-free names can be one person: same surname, and the same first
    name or one name's words all within the other's."""
    la, lb = [w.lower() for w in a], [w.lower() for w in b]
    if la[-1] != lb[-1]:
        return False
    return la[0] == lb[0] or set(la) <= set(lb) or set(lb) <= set(la)

"""What the actors package works with: canonical actors, entity mentions, the people of one
article, and what a span of the text resolves to."""

from __future__ import annotations

import functools
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
    gender: str | None = None  # "m" / "f" when an honorific or a gendered noun says so, or the first name
    gender_from_name: bool = False  # the gender is the first name's only: a word of the article overrides it

    @property
    def actor_id(self) -> str:
        return f"person:{slug(self.display)}"


def well_cased(words) -> bool:
    """Whether a name is written in mixed case (not a headline's capitals: "HILLARY CLINTON")."""
    letters = "".join(words)
    return not (letters.isupper() and len(letters) > 3)


def display_name(names: list[tuple[str, ...]], hyphens: dict | None = None) -> str:
    """The name to show for a person: the most frequent well-cased form among the longest
    (full) names; a name seen only in capitals is title-cased. `hyphens`: name -> whether a
    hyphen, not a space, comes before each word after the first ("Pannier-Runacher")."""
    counts: dict[tuple[str, ...], int] = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    best = max(counts, key=lambda n: (len(n) >= 2, well_cased(n), counts[n], len(" ".join(n))))
    words = list(best if well_cased(best) else (w.capitalize() for w in best))
    joins = (hyphens or {}).get(best) or (False,) * (len(words) - 1)
    return words[0] + "".join(("-" if h else " ") + w for h, w in zip(joins, words[1:], strict=True)) if words else ""


def add_actor(actors: dict[str, Actor], actor: Actor) -> str:
    """Put `actor` among `actors`; it replaces a known actor of the same id only when that
    one has no country and it has. Returns the id."""
    known = actors.get(actor.actor_id)
    if known is None or (known.country is None and actor.country):
        actors[actor.actor_id] = actor
    return actor.actor_id


# Generational suffixes after a surname ("Luther Stan Pate IV", "Robert F. Kennedy Jr."):
# the surname is the word before them.
NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})


@functools.lru_cache(maxsize=1 << 16)  # pure, and asked for the same names over and over
def surname(name: tuple[str, ...]) -> str:
    """The surname of a title-free name, lower case: its last word that is not a
    generational suffix ("Pate" of "Luther Stan Pate IV")."""
    words = [w.lower() for w in name]
    while len(words) > 1 and words[-1].rstrip(",") in NAME_SUFFIXES:
        words.pop()
    return words[-1]


@functools.lru_cache(maxsize=1 << 16)
def same_person(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two title-free names can be one person: same surname, and the same first
    name or one name's words all within the other's."""
    la, lb = [w.lower() for w in a], [w.lower() for w in b]
    if surname(a) != surname(b):
        return False
    return la[0] == lb[0] or set(la) <= set(lb) or set(lb) <= set(la)


def headline_like(text: str, at: int) -> bool:
    """Whether the line around offset `at` is written in title case, as headlines are (the
    title, or a list of related headlines in the body): most of its words capitalised."""
    start, end = text.rfind("\n", 0, at) + 1, text.find("\n", at)
    words = [w for w in text[start : end if end >= 0 else len(text)].split() if w[:1].isalpha()]
    return len(words) >= 4 and sum(w[0].isupper() for w in words) >= 0.75 * len(words)

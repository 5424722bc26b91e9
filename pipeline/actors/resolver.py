"""Entities and actors of one article: NER mentions corrected by patterns, people merged,
countries coded, and any speaker or stance-holder span resolved to one canonical actor.

Canonical actor ids are readable and need no global state, so the same name gets the
same id in every article: `person:keir-starmer`, `country:RUS`, `organization:nato`,
`group:republicans`. Unnamed sources ("a UK Government source") are article-scoped:
`person:a-uk-government-source@<article_id>`.

Within an article:
- people are merged by name ("Sir Keir Starmer", "Starmer", "Keir Starmer"), titles removed;
- role phrases attached to a name ("US President Donald Trump", "John Healey, the Defence
  Secretary", "Russia's foreign minister, Sergei Lavrov") give the person a role and a
  country, so a later "the Defence Secretary" resolves to John Healey;
- "the union", "the national committee" resolve to the organization last named before them
  whose name ends in that noun and holds the other words ("Service Employees International
  Union", "Republican National Committee");
- a relative "who" ("Sen. Brian Schatz of Hawaii, who said ...") is the named person its
  clause hangs on, a relative "which" the named organization or group;
- he/she resolve to the nearest preceding person, preferring the subject of the closest
  sentence that names one, skipping a person an honorific or a gendered noun shows to be
  of the other gender ("Mrs. Clinton", "his wife Hillary Clinton") and a name inside
  another quote;
- "they" is the group or organization the nearest earlier plural subject names ("Clinton
  aides ... They said");
- a description whose appositive names a person is that person ("his wife, longtime
  Clinton aide Huma Abedin"); one headed by an abstract noun ("The decision", "Recent
  polling") is no actor;
- a person the tagger took for an organization ("Carly Fiorina") is a person, and a
  one-word PERSON or ORG that is a common word ("he looked gaunt") no mention;
- a one-word name goes to the person named before it with that surname: the one named in
  full in its sentence or the one before (the last seen as a subject first: Bill, not
  Hillary, Clinton right after "Bill Clinton said ..."), else the one the article has
  named most so far;
- a collective built on a name is its own actor ("Clinton supporters", "Clinton's
  campaign"), not the person.

`ArticleActors.resolve` only answers; an actor a span describes is among the article's
actors once `register` (or `resolve_and_register`) has added it.
"""

from __future__ import annotations

import copy

from pipeline.actors.coreference import PersonCoreference
from pipeline.actors.entities import (
    add_country,
    entity_mentions,
    link_acronyms,
    link_short_names,
    mention_actor,
    names_the_tagger_missed,
    place_context,
)
from pipeline.actors.people import ArticlePeople
from pipeline.actors.records import Actor, Mention, Resolution, add_actor, surname
from pipeline.actors.span_resolution import SpanResolver


class ArticleActors:
    """Mentions and actors of one parsed article, and a resolver for spans of it."""

    def __init__(self, doc, article_id: str):
        self.doc = doc
        self.article_id = article_id
        self.actors: dict[str, Actor] = {}
        self.mentions: list[Mention] = entity_mentions(doc)
        self._people = ArticlePeople(doc, self.mentions)
        self._coreference = PersonCoreference(doc, self._people)
        self._give_bosses_country()
        people_words = frozenset(surname(n) for p in self._people.persons for n in p.names)
        context = place_context(self.mentions, people_words)
        for m in self.mentions:
            m.actor_id = mention_actor(m, doc, self._people.person_at, self.actors, context, people_words)
        for m in names_the_tagger_missed(doc, self.mentions):
            if m.actor_id is None:  # a listed organisation
                m.actor_id = mention_actor(m, doc, self._people.person_at, self.actors, context, people_words)
            elif m.actor_id.startswith("country:"):
                add_country(m.actor_id.split(":", 1)[1], self.actors)
            self.mentions.append(m)
        self.mentions.sort(key=lambda m: m.tok_start)
        replaced = link_short_names(doc, self.mentions)  # "The Post": the outlet named in full
        replaced |= link_acronyms(doc, self.mentions)  # "the FSA": the Free Syrian Army named in the article
        for gone in replaced - {m.actor_id for m in self.mentions}:
            self.actors.pop(gone, None)
        for person in self._people.persons:
            add_actor(self.actors, Actor(person.actor_id, person.display, "person", person.country))
        self._spans = SpanResolver(doc, article_id, self.mentions, self._people, self._coreference)
        self._as_built = dict(self.actors)

    def as_built(self) -> ArticleActors:
        """The article's actors as a new `ArticleActors(doc, article_id)` would give them,
        without building them again: the same analysis (mentions, people, coreference; none
        of it changes after construction), without the actors registered since. The parse
        step annotates and then codes each article; building them twice took a fifth of the
        spaCy workers' time beyond the parse."""
        fresh = copy.copy(self)
        fresh.actors = dict(self._as_built)
        return fresh

    def _give_bosses_country(self) -> None:
        """ "His Defence Minister Boris Pistorius": a role with no country of its own is in
        the country of the boss the possessive refers to."""
        for person, pronoun in self._people.roles.bosses:
            boss = self._coreference.pronoun(pronoun)
            if person.country is None and boss is not None and boss is not person:
                person.country = boss.country

    def resolve(self, start: int, end: int) -> Resolution:
        """The actor a span of the text (a speaker or stance holder) refers to. Adds no
        actor: a described one is the Resolution's `new_actor`, for `register`."""
        return self._spans.resolve(start, end)

    def resolve_each(self, start: int, end: int) -> list[Resolution]:
        """The actors a span lists ("Ted Cruz and Marco Rubio"), each resolved alone; one
        Resolution, `resolve`'s, when it lists fewer than two. Adds no actor."""
        return self._spans.resolve_each(start, end)

    def register(self, resolution: Resolution) -> Resolution:
        """Add the actor a resolution describes, if any, to the article's actors."""
        if resolution.new_actor is not None:
            add_actor(self.actors, resolution.new_actor)
        return resolution

    def resolve_and_register(self, start: int, end: int) -> Resolution:
        """`resolve`, then `register`: for callers that look the actor up or report it."""
        return self.register(self.resolve(start, end))

    def person_at(self, i: int) -> Actor | None:
        """The person whose name covers token i, if any."""
        person = self._people.person_at.get(i)
        return self.actors.get(person.actor_id) if person is not None else None

    def positions(self, actor_id: str) -> list[int]:
        """Token indices where a person is named (for recency: who was mentioned last)."""
        return sorted(i for p in self._people.persons if p.actor_id == actor_id for i in p.positions)

    def actor(self, actor_id: str | None) -> Actor | None:
        return self.actors.get(actor_id) if actor_id else None


def reference_rows(article_id: str, actors: ArticleActors, stage_of: dict[str, str]) -> list[dict]:
    """article_actors rows of an article: each actor in `stage_of` (actor id -> the stage
    that referenced it: entities, quotes, stances) that the article knows, in id order."""
    rows = []
    for actor_id, stage in sorted(stage_of.items()):
        a = actors.actor(actor_id)
        if a is not None:
            rows.append(
                {
                    "stage": stage,
                    "article_id": article_id,
                    "actor_id": a.actor_id,
                    "name": a.name,
                    "actor_type": a.actor_type,
                    "country": a.country,
                }
            )
    return rows

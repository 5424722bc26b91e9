"""Entity mentions of one article and the actors they name: spaCy's NER labels corrected by
patterns, then each mention linked to its person, country, organisation or group."""

from __future__ import annotations

from pipeline.actors.records import PERSON_LABELS, PLACE_LABELS, Actor, Mention, Person, add_actor
from pipeline.actors.roles import country_in
from pipeline.nlp.lexicon import country_lookup, country_name, slug


def entity_mentions(doc) -> list[Mention]:
    """A mention for every entity of `doc`, its label corrected where patterns say so."""
    out = []
    for ent in doc.ents:
        label, source = _fixed_label(ent)
        out.append(Mention(ent.start_char, ent.end_char, ent.start, ent.end, ent.text, label, source))
    return out


def _fixed_label(ent) -> tuple[str, str]:
    """Correct obvious NER errors: a country, capital or demonym is a place, not a person
    or organisation ("Kyiv" tagged PERSON becomes GPE); a metonym ("the Kremlin")
    is an organisation."""
    if len(ent) <= 3 and ent.label_ in ("PERSON", "ORG", "GPE", "LOC", "FAC", "WORK_OF_ART", "PRODUCT", "NORP"):
        code, how = country_lookup(ent.text)
        if how == "metonym":
            return "ORG", "model" if ent.label_ == "ORG" else "pattern"
        if code and ent.label_ not in ("GPE", "NORP"):
            demonym = ent.root.pos_ == "ADJ" or ent.text.lower().endswith(("ian", "ish", "ese", "ch"))
            return ("NORP" if demonym else "GPE"), "pattern"
    return ent.label_, "model"


def mention_actor(m: Mention, doc, person_at: dict[int, Person], actors: dict[str, Actor]) -> str | None:
    """The id of the actor mention `m` names, adding a country, organisation or group to
    `actors` (people are added by the caller, once all their names are known)."""
    if m.label in PERSON_LABELS:
        person = person_at.get(m.tok_start)
        return person.actor_id if person else None
    code, how = country_lookup(m.text) if m.label in PLACE_LABELS or m.label == "ORG" else (None, None)
    if m.label in PLACE_LABELS and code:
        return _add_country(code, actors)
    if m.label == "ORG":
        if code and how == "name":
            return _add_country(code, actors)
        name = _strip_the(m.text)
        country = code or country_in(doc[m.tok_start : m.tok_end])
        return add_actor(actors, Actor(f"organization:{slug(name)}", name, "organization", country))
    if m.label == "NORP" and m.text.lower().endswith("s") and not code:
        name = _strip_the(m.text)
        return add_actor(actors, Actor(f"group:{slug(name)}", name, "group", None))
    return None


def _add_country(code: str, actors: dict[str, Actor]) -> str:
    return add_actor(actors, Actor(f"country:{code}", country_name(code), "country", code))


def _strip_the(text: str) -> str:
    return text[4:] if text.lower().startswith("the ") else text

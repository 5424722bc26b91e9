"""The country an article is set in, from its country and place mentions: what gives an
actor no article states a country for its country (`steps.warehouse_wide.run_actors`,
`actors.country_source` 'article_setting').

An article is set in a country when
- that country has at least SHARE of the article's country and place mentions (its
  names, demonyms, capitals, states and towns) and of the countries the article states
  for its people, organisations and groups (one each: national agencies and parties are
  strong signs; an outlet or a news agency credited for a photo is a weak one, kept
  because leaving organisations out lost more settings than it saved on the development
  gold), or else
- it has at least two and SHARE of the article's places below the country (states,
  regions, towns: not a country's name, demonym, capital or metonym). A domestic story
  names the towns and states where it happens ("Iowa", "Ames", "South Carolina") even
  when foreign countries outnumber its own in the text.

A story about a foreign country that names its towns ("Aleppo", "Homs") is set there, and
an actor no article places, quoted only in such stories, takes that country: the
`country_source` column says so. A story naming countries and capitals, none of them
dominant (as the seed article on Ukraine), is set nowhere.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from pipeline.nlp.lexicon import country_lookup

SHARE = 0.6
MIN_LOCAL_PLACES = 2


def article_settings(
    places: Iterable[tuple[str, str, str, int]], stated: Iterable[tuple[str, str]] = ()
) -> dict[str, str]:
    """{article id: ISO3} from (article id, ISO3 of the country actor, mention text, how
    many such mentions) rows of the articles' country and place mentions and (article id,
    ISO3) rows of the countries they state for their other actors; articles set nowhere are
    left out."""
    every: dict[str, Counter] = defaultdict(Counter)
    local: dict[str, Counter] = defaultdict(Counter)
    for article, code in stated:
        every[article][code] += 1
    for article, code, text, n in places:
        every[article][code] += n
        if country_lookup(text)[0] is None:  # a state, region or town, not the country itself
            local[article][code] += n
    out = {}
    for article, counts in every.items():
        code, n = counts.most_common(1)[0]
        if n >= SHARE * sum(counts.values()):
            out[article] = code
            continue
        if local[article]:
            code, n = local[article].most_common(1)[0]
            if n >= MIN_LOCAL_PLACES and n >= SHARE * sum(local[article].values()):
                out[article] = code
    return out

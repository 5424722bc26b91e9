"""One node per real actor (issue 20): each rule on sentences written for it, and the
cross-article aliases on counts written for them. The real small English model."""

from __future__ import annotations

from collections import Counter

import pytest

pytest.importorskip("spacy")

from pipeline.actors.canonical import propose
from pipeline.actors.places import place_country
from pipeline.actors.resolver import ArticleActors


@pytest.fixture(scope="module")
def actors_of(nlp):
    """text -> {mention text: actor} of every entity mention that names an actor."""

    def _actors(text: str) -> dict:
        found = ArticleActors(nlp(text), "t1")
        return {m.text: found.actor(m.actor_id) for m in found.mentions if m.actor_id}

    return _actors


def test_a_surname_after_a_full_name_is_that_person(actors_of):
    got = actors_of("Barack Obama spoke in Ohio on Monday. Later, Obama said the plan would pass.")
    assert got["Obama"].actor_id == got["Barack Obama"].actor_id == "person:barack-obama"


def test_a_possessive_never_reaches_a_name(actors_of):
    got = actors_of("Donald Trump‘s plan was criticised by the Democratic National Committee’s chairwoman on Monday.")
    assert got["Donald Trump‘s"].name == "Donald Trump"
    committee = next(a for t, a in got.items() if t.startswith(("the Democratic", "Democratic")))
    assert committee.name == "Democratic National Committee"


def test_an_acronym_and_the_full_name_of_a_party_are_one_actor(actors_of):
    got = actors_of("The GOP met in Cleveland. Later the Republican Party said its platform was final.")
    assert got["GOP"].actor_id == got["the Republican Party"].actor_id == "organization:republican-party"


def test_a_platform_is_an_organisation_and_a_family_a_group(actors_of):
    got = actors_of(
        "Twitter said on Tuesday that it had removed the posts. Bill Clinton said the Clintons would travel."
    )
    assert got["Twitter"].actor_type == "organization"
    assert got["Clintons"].actor_type == "group"


def test_a_us_city_that_shares_a_british_name_is_american_in_an_american_article(actors_of):
    got = actors_of("Delegates arrived in Cleveland, Ohio, for the convention. Cleveland was busy all week.")
    assert got["Cleveland"].country == "USA"
    manchester = actors_of("Voters queued at a polling station in Manchester, New Hampshire, on Tuesday.")
    assert manchester["Manchester"].country == "USA"  # the state beside it, though England's Manchester is larger
    assert place_country("Cleveland") == "USA"  # alone: the largest place of that name
    assert place_country("Birmingham", Counter({"GBR": 2})) == "GBR"
    assert place_country("Birmingham", Counter({"USA": 2})) == "USA"
    assert place_country("Mexico", Counter({"USA": 5})) == "MEX"  # a country's own name is the country


def test_a_headline_name_is_cut_where_the_body_name_ends_and_capitals_are_not_the_display(actors_of):
    got = actors_of("Marco Rubio Responds To Question\n\nMarco Rubio said on Monday that he would run again.")
    assert set(got) == {"Marco Rubio"} and got["Marco Rubio"].actor_id == "person:marco-rubio"  # the mention cut too
    caps = actors_of("HILLARY CLINTON WINS\n\nHillary Clinton said she was pleased. Clinton thanked voters.")
    assert {a.name for a in caps.values() if a.actor_type == "person"} == {"Hillary Clinton"}


def test_a_surname_joins_the_full_name_the_corpus_gives_when_it_dominates():
    counts = {"person:barack-obama": 20, "person:michelle-obama": 3, "person:obama": 5}
    assert propose(counts, set()) == {"person:obama": ("person:barack-obama", "surname")}


def test_a_surname_with_two_rival_full_names_stays_ambiguous():
    counts = {"person:hillary-clinton": 20, "person:bill-clinton": 12, "person:clinton": 5}
    assert "person:clinton" not in propose(counts, set())


def test_a_middle_name_form_joins_the_usual_full_name_and_known_aliases_stay():
    counts = {"person:donald-trump": 40, "person:donald-j-trump": 4, "person:trump": 2}
    got = propose(counts, set())
    assert got["person:donald-j-trump"] == ("person:donald-trump", "full_name")
    assert got["person:trump"] == ("person:donald-trump", "surname")
    again = propose(counts, {"person:trump", "person:donald-trump"})  # aliases made before are kept as they are
    assert again == {"person:donald-j-trump": ("person:donald-trump", "full_name")}


def test_places_the_lists_call_never_a_country_and_capitals_follow_the_article_only_for_big_cities():
    assert place_country("Georgia") is None  # alone: the state or the country, the article must say
    assert place_country("Georgia", Counter({"USA": 2})) == "USA"
    assert place_country("Washington", Counter({"GBR": 3})) == "USA"  # a town of that name does not win
    assert place_country("San Jose", Counter({"USA": 3})) == "USA"  # a big US city, not Costa Rica's capital
    assert place_country("Palestine") == "PSE"  # a country's name beats small towns


def test_a_small_foreign_town_is_no_place_in_an_article_set_among_other_countries():
    """The gazetteer holds towns of 15,000 people and more: Palm Beach, Florida is not in it,
    a suburb in Australia is. A town below 100,000 whose country the article never names,
    in an article naming other places, is left out; alone it is still the town."""
    from pipeline.actors.places import unambiguous_country

    assert place_country("Palm Beach", Counter({"USA": 4})) is None
    assert place_country("Palm Beach") == "AUS"
    assert place_country("Palm Beach", Counter({"AUS": 1})) == "AUS"
    assert unambiguous_country("Palm Beach") is None  # a town names no country whatever the article
    assert unambiguous_country("Ohio") == "USA"


def test_a_surname_tagged_as_a_place_is_not_a_place(nlp):
    from pipeline.actors.entities import mention_actor
    from pipeline.actors.records import Mention

    doc = nlp("Barack Obama spoke. Crowds cheered Obama.")
    start = doc.text.rindex("Obama")
    tagged_place = Mention(start, start + 5, 5, 6, "Obama", "GPE", "model")  # as the NER sometimes tags it
    assert mention_actor(tagged_place, doc, {}, {}) == "country:JPN"  # the town in Japan, read as a place
    assert mention_actor(tagged_place, doc, {}, {}, not_places=frozenset({"obama"})) is None


def test_namesakes_with_middle_names_and_generations_stay_apart():
    counts = {
        "person:george-w-bush": 30,
        "person:george-h-w-bush": 6,
        "person:george-bush": 3,
        "person:joseph-kennedy-iii": 4,
        "person:joseph-kennedy": 9,
    }
    got = propose(counts, set())
    assert "person:george-h-w-bush" not in got  # George Bush (3) does not dominate George W. Bush's forms
    assert "person:joseph-kennedy-iii" not in got


def test_a_title_is_never_a_country_code(actors_of):
    from pipeline.nlp.lexicon import country_lookup

    assert country_lookup("Sen.") == (None, None)  # not Senegal's ISO code
    got = actors_of("Sen. Marco Rubio spoke in Miami on Monday. Rubio said he would vote no.")
    assert got["Marco Rubio"].country is None  # the sentence names no country, state or party for him


def test_a_party_or_a_us_state_in_a_role_gives_a_person_a_country(actors_of):
    got = actors_of("Republican presidential nominee Donald Trump spoke on Monday. He said the plan was bad.")
    assert got["Donald Trump"].country == "USA"
    got = actors_of("Tory leader Theresa May said on Monday that the vote was lost.")
    assert got["Theresa May"].country == "GBR"
    got = actors_of("Ohio Gov. John Kasich told reporters on Monday that he would stay in the race.")
    assert got["John Kasich"].country == "USA"


def test_a_word_of_a_us_place_name_is_not_a_british_county(nlp):
    found = ArticleActors(nlp("A reporter at a New Hampshire paper said voters were angry."), "t1")
    text = found.doc.text
    start = text.index("A reporter")
    actor = found.resolve_and_register(start, text.index(" said")).new_actor
    assert actor is not None and actor.country == "USA"  # not GBR for "Hampshire"


def test_a_listed_national_organisation_has_its_country_a_platform_none(actors_of):
    got = actors_of(
        "The FBI said on Tuesday that the inquiry was closed. Twitter said on Tuesday that it had removed the posts."
    )
    assert (got["FBI"].name, got["FBI"].country) == ("Federal Bureau of Investigation", "USA")
    assert (got["Twitter"].actor_type, got["Twitter"].country) == ("organization", None)


def test_a_headline_organisation_that_starts_with_a_body_name_is_that_person(actors_of):
    got = actors_of(
        "Cruz: Trump Would Put Liberals On Court\n\nTexas Senator Ted Cruz argued that Donald Trump would "
        "appoint liberal judges."
    )
    assert {a.actor_id for a in got.values() if a.actor_type == "organization"} == set()
    assert got["Trump"].actor_id == "person:donald-trump"


def test_a_headline_speaker_tagged_as_a_common_noun_is_the_body_person(nlp):
    text = "Sanders: Clinton Email Story Has Moved\n\nSenator Bernie Sanders stated that the story was over."
    found = ArticleActors(nlp(text), "t1")
    assert found.resolve(0, text.index(":")).actor_id == "person:bernie-sanders"


def test_a_one_word_organisation_joins_a_far_more_frequent_person_of_that_surname():
    counts = {"person:donald-trump": 40, "organization:trump": 6, "person:gerald-ford": 4, "organization:ford": 3}
    got = propose(counts, set())
    assert got["organization:trump"] == ("person:donald-trump", "person_name")
    assert "organization:ford" not in got  # the person is not in five times as many articles: the company stays


def test_an_actor_name_is_a_noun_phrase_not_a_clause_a_quote_or_markup(nlp):
    text = (
        "Hillary Clinton spoke on Monday. Her campaign and Democrats across the country, who highlighted "
        "comments Donald Trump made in 2006, said he was unfit. Clinton wrote at https://t.co/KR4767EKcx today."
    )
    found = ArticleActors(nlp(text), "t1")
    actor = found.resolve(text.index("Her campaign"), text.index(", said")).new_actor
    assert actor.name == "Her campaign and Democrats across the country"
    assert not any("://" in m.text for m in found.mentions)


def test_a_quote_or_colon_the_tagger_ran_across_is_cut_from_an_entity(nlp):
    from pipeline.actors.entities import name_part

    doc = nlp("“It is paranoia,”Clinton said. The New York Post: a report.")
    assert name_part(doc[3:4]) is None  # "paranoia,”Clinton" is one token: no name can be cut from it
    assert name_part(doc[6:11]).text == "The New York Post"
    doc = nlp("He called it the “Southern Strategy and left.")
    assert name_part(doc[4:7]).text == "Southern Strategy"


def test_a_word_an_editor_bracketed_in_a_quote_is_no_actor(nlp):
    """ "[W]e" is tokenised "[", "W]e", and the tagger takes "W]e" for a person."""
    from spacy.tokens import Span

    from pipeline.actors.entities import name_part

    text = "Barack Obama spoke on Monday. “[W]e are committed to welcoming the stranger,” Obama said."
    doc = nlp(text)
    edited = next(t.i for t in doc if t.text == "W]e")
    assert name_part(Span(doc, edited, edited + 1, label="PERSON")) is None
    assert {a.actor_id for a in ArticleActors(doc, "t1").actors.values()} == {"person:barack-obama"}
    doc = nlp("We met Sen[ator] John Smith today.")  # an edited title before a name: the name stays
    assert name_part(Span(doc, 2, 6, label="PERSON")).text == "John Smith"


def test_a_full_name_the_tagger_ran_into_other_words_joins_that_name():
    counts = {
        "person:donald-trump": 40,
        "person:donald-trump-leads": 1,
        "person:billionaire-donald-trump": 1,
        "person:donald-trump-jr": 3,
        "person:george-washington": 2,
        "person:george-washington-carver": 1,
    }
    got = propose(counts, set())
    assert got["person:donald-trump-leads"] == ("person:donald-trump", "name_in_span")
    assert got["person:billionaire-donald-trump"] == ("person:donald-trump", "name_in_span")
    assert "person:donald-trump-jr" not in got  # a generation is another person
    assert "person:george-washington-carver" not in got  # the shorter name is not five times as frequent


def test_a_name_the_tagger_missed_once_is_found_where_the_article_names_it_again(nlp):
    """The tagger's misses are simulated by dropping its mention of the second "Trump" and
    "GOP"; a "Trump" glued to another name ("Trump Tower") is never taken."""
    from pipeline.actors.entities import entity_mentions, mention_actor, names_the_tagger_missed
    from pipeline.actors.people import ArticlePeople

    doc = nlp("Donald Trump spoke to the GOP in Ohio. Trump Tower was busy. Later Trump said the GOP would win.")
    second_trump = doc.text.rindex("Trump")
    second_gop = doc.text.rindex("GOP")
    kept = [m for m in entity_mentions(doc) if m.start not in (second_trump, second_gop)]
    people = ArticlePeople(doc, kept)
    found = {m.start: m for m in kept if m.label == "PERSON" and m.label_source == "pattern"}
    assert found[second_trump].text == "Trump"
    assert people.person_at[found[second_trump].tok_start].actor_id == "person:donald-trump"
    assert doc.text.index("Trump Tower") not in found
    for m in kept:
        m.actor_id = mention_actor(m, doc, people.person_at, {})
    again = {m.start: m.actor_id for m in names_the_tagger_missed(doc, kept)}
    assert again == {second_gop: "organization:republican-party"}


def test_a_party_word_inside_another_country_s_party_name_gives_no_country(actors_of):
    got = actors_of("Liberal Democratic Party chief Shinzo Abe said on Monday that taxes would rise.")
    assert got["Shinzo Abe"].country is None  # not USA for "Democratic"


def _warehouse(articles: dict[str, list[tuple[str, str | None]]], places: dict[str, list[str]]):
    """An in-memory warehouse holding `articles` ({article: [(actor id, stated country)]})
    whose country and place mentions are `places` ({article: [ISO3, ...]}), after run_actors."""
    import duckdb

    from pipeline.steps.warehouse_wide import run_actors
    from pipeline.storage.warehouse import ALL_ACTORS, ensure_schema

    conn = duckdb.connect()
    ensure_schema(conn)
    for article, rows in articles.items():
        for actor_id, country in rows:
            kind, _, key = actor_id.partition(":")
            name = " ".join(w.title() for w in key.split("-"))
            conn.execute(
                "INSERT INTO article_actors VALUES ('entities', ?, ?, ?, ?, ?)",
                [article, actor_id, name, kind, country],
            )
    for article, codes in places.items():
        for i, code in enumerate(codes):
            conn.execute(
                "INSERT INTO mentions VALUES (?, ?, 0, 1, 0, 1, ?, 'GPE', 'model', ?)",
                [f"{article}:m{i}", article, code, f"country:{code}"],
            )
    conn.execute("INSERT INTO dirty_actors VALUES (?)", [ALL_ACTORS])
    run_actors(conn)
    return conn


def _actors_table(articles: dict[str, list[tuple[str, str | None]]], places: dict[str, list[str]]) -> dict:
    """{actor id: (country, country_source)} of `_warehouse(articles, places)`."""
    conn = _warehouse(articles, places)
    return {a: (c, s) for a, c, s in conn.execute("SELECT actor_id, country, country_source FROM actors").fetchall()}


def test_an_acronym_an_article_never_expands_joins_the_organization_other_articles_link_it_to():
    """a1 names the Free Syrian Army and then "the FSA" (linked in the article); a2 writes
    only "FSA". The warehouse joins a2's organization:fsa to the Free Syrian Army; an
    acronym linked to two organizations stays apart."""
    from pipeline.actors.canonical import update_auto_aliases

    army, fsa = "organization:free-syrian-army", "organization:fsa"
    conn = _warehouse({"a1": [(army, None)], "a2": [(fsa, None)], "a3": [("organization:abc", None)]}, {})
    mentions = [
        ("a1", "the FSA", army),
        ("a2", "FSA", fsa),
        ("a3", "ABC", "organization:abc"),
        ("a4", "ABC", "organization:american-bridge-coalition"),
        ("a5", "ABC", "organization:american-broadcasting-company"),
    ]
    for i, (article, text, actor_id) in enumerate(mentions):
        conn.execute(
            "INSERT INTO mentions VALUES (?, ?, 0, 1, 0, 1, ?, 'ORG', 'model', ?)",
            [f"{article}:o{i}", article, text, actor_id],
        )
    for article, actor_id in (
        ("a4", "organization:american-bridge-coalition"),
        ("a5", "organization:american-broadcasting-company"),
    ):
        conn.execute(
            "INSERT INTO article_actors VALUES ('entities', ?, ?, 'x', 'organization', NULL)", [article, actor_id]
        )
    aliases = update_auto_aliases(conn)
    assert aliases[fsa] == (army, "acronym")
    assert "organization:abc" not in aliases


def test_an_actor_without_a_stated_country_takes_the_country_its_articles_are_set_in():
    got = _actors_table(
        {
            "a1": [("person:jane-roe", None), ("organization:twitter", None), ("person:ann-lee", "GBR")],
            "a2": [("person:jane-roe", None), ("person:max-mo", None)],
            "a3": [("person:ann-lee", None), ("group:voters", None)],
        },
        {"a1": ["USA", "USA", "USA", "MEX"], "a2": ["USA"], "a3": ["FRA", "USA", "DEU"]},
    )
    assert got["person:jane-roe"] == ("USA", "article_setting")  # both of her articles are set in the US
    assert got["person:max-mo"] == ("USA", "article_setting")
    assert got["person:ann-lee"] == ("GBR", "text")  # a stated country beats any setting
    assert got["group:voters"] == (None, None)  # no country has 60 % of a3's places
    assert got["organization:twitter"] == (None, None)  # a listed platform has no country


def test_an_actor_whose_articles_are_set_in_different_countries_gets_none():
    got = _actors_table(
        {"a1": [("person:jo-doe", None)], "a2": [("person:jo-doe", None)]},
        {"a1": ["USA", "USA"], "a2": ["FRA", "FRA"]},
    )
    assert got["person:jo-doe"] == (None, None)


def test_a_group_s_head_noun_gives_its_country(nlp):
    from pipeline.actors.entities import group_country

    def of(text: str) -> str | None:
        return group_country(nlp(text)[:])

    assert of("Japanese Americans") == of("African-Americans") == of("Mexican Americans") == "USA"
    assert of("Syrians") == "SYR"
    # Georgia's name never decides alone: the article's setting does ("Georgians" voting in Atlanta)
    assert of("Georgians") is None and of("Latinos") is None


def test_a_surname_the_tagger_calls_a_place_joins_the_person_but_a_town_stays_a_place(nlp):
    from spacy.tokens import Span

    doc = nlp("John Kasich spoke in Ohio on Monday. Voters cheered Kasich in Washington.")
    words = [t.text for t in doc]
    doc.ents = [
        Span(doc, 0, 2, "PERSON"),
        Span(doc, words.index("Ohio"), words.index("Ohio") + 1, "GPE"),
        Span(doc, len(words) - 4, len(words) - 3, "GPE"),  # "Kasich", as the small model sometimes tags it
        Span(doc, len(words) - 2, len(words) - 1, "GPE"),  # "Washington"
    ]
    found = ArticleActors(doc, "t1")
    got = {(m.text, m.start): m.actor_id for m in found.mentions}
    assert got[("Kasich", doc.text.rindex("Kasich"))] == "person:john-kasich"
    assert got[("Washington", doc.text.rindex("Washington"))] == "country:USA"
    assert got[("Ohio", doc.text.index("Ohio"))] == "country:USA"


def test_an_article_is_set_where_most_of_its_places_are_or_where_its_towns_and_states_are():
    from pipeline.actors.setting import article_settings

    domestic = [("d", "USA", "Iowa", 1), ("d", "USA", "Ames", 1), ("d", "USA", "the United States", 1)]
    domestic += [("d", "FRA", "Paris", 1), ("d", "IRQ", "Iraq", 3), ("d", "SYR", "Syria", 3)]  # more foreign names
    foreign = [
        ("f", "UKR", "Ukraine", 1),
        ("f", "UKR", "Kyiv", 1),
        ("f", "RUS", "Russia", 1),
        ("f", "GBR", "London", 1),
    ]
    foreign += [("f", "FRA", "France", 1), ("f", "USA", "Washington", 1)]  # countries and capitals only
    mostly = [("m", "USA", "U.S.", 1), ("m", "USA", "American", 1), ("m", "MEX", "Mexico", 1)]
    assert article_settings(domestic + foreign + mostly) == {"d": "USA", "m": "USA"}
    # the countries an article states for its people count too: three Mexican officials
    people = [("m", "MEX"), ("m", "MEX"), ("m", "MEX")]
    assert article_settings(mostly, people) == {"m": "MEX"}


def test_two_names_joined_by_a_slash_are_two_mentions(nlp):
    from pipeline.actors.entities import entity_mentions

    doc = nlp("A poll by the New York Times/CBS News found support.")
    assert [m.text for m in entity_mentions(doc)] == ["the New York Times", "CBS News"]


def test_an_untagged_listed_organisation_and_a_state_abbreviation_are_found(actors_of):
    got = actors_of("Sen. Bob Corker (R-Tenn.) said Facebook would act. Later, Rep. Adam Schiff (D-Calif.) agreed.")
    assert got["Facebook"].actor_id == "organization:facebook"
    assert got["Tenn."].actor_id == got["Calif."].actor_id == "country:USA"


def test_a_state_abbreviation_or_a_bracket_is_never_a_country_code():
    from pipeline.nlp.lexicon import country_lookup

    assert country_lookup("Va.)") == country_lookup("Md.") == country_lookup("EST,") == (None, None)
    assert country_lookup("U.S.A.") == ("USA", "name")
    assert place_country("Calif.") == place_country("Mass.") == "USA"


def test_a_surname_tagged_as_another_part_of_speech_inside_a_sentence_is_the_person(nlp):
    from spacy.tokens import Span

    doc = nlp("Donald Trump spoke on Monday. Voters said Trump would win.")
    later = [t.i for t in doc if t.text == "Trump"][-1]
    doc[later].pos = doc.vocab.strings.add("VERB")  # as the small model sometimes tags it
    doc.ents = [Span(doc, 0, 2, "PERSON")]
    found = ArticleActors(doc, "t1")
    assert {m.text: m.actor_id for m in found.mentions if m.start > 20}["Trump"] == "person:donald-trump"


def test_a_listed_name_the_tagger_cut_short_and_a_dateline_are_found(actors_of):
    got = actors_of("Officials had underestimated the Islamic State, also known as ISIL, they said.")
    assert got["Islamic State"].actor_id == "organization:islamic-state"
    got = actors_of("Trump leads in Iowa\n\nDES MOINES - Donald Trump dominated the field on Monday.")
    assert got["DES MOINES"].actor_id == "country:USA"
    assert not [t for t in actors_of("Title\n\nBREAKING NEWS - Donald Trump spoke.") if t.startswith("BREAKING")]
    assert actors_of("Barack Obama spoke.\n\nOBAMA - We will win.")["OBAMA"].actor_id == "person:barack-obama"


def test_a_surname_two_full_names_share_is_recorded_as_ambiguous_not_guessed():
    conn = _warehouse(
        {
            "a1": [("person:hillary-clinton", "USA"), ("person:bill-clinton", "USA"), ("person:barack-obama", "USA")],
            "a2": [("person:clinton", None), ("person:obama", None), ("person:bob-casey-jr", None)],
            "a3": [("person:hillary-clinton", None), ("person:jr", None)],
        },
        {},
    )
    rows = conn.execute("SELECT actor_id, n_candidates, candidate_ids FROM ambiguous_actors").fetchall()
    assert rows == [("person:clinton", 2, ["person:hillary-clinton", "person:bill-clinton"])]


def test_a_merge_that_changes_an_article_s_setting_updates_its_other_actors_as_a_full_build():
    from pipeline.review.apply import apply_merges
    from pipeline.steps.warehouse_wide import run_actors
    from pipeline.storage.warehouse import ALL_ACTORS

    articles = {"a1": [("person:ann-roe", None), ("person:al-mex", "MEX"), ("person:cy-usa", "USA")]}
    conn = _warehouse(articles, {"a1": ["USA"]})
    assert conn.execute("SELECT country FROM actors WHERE actor_id = 'person:ann-roe'").fetchone() == ("USA",)
    # USA 2 of 3 (a place, Cy) sets a1 in the US; Cy merged into the Mexican leaves 1 of 2: set nowhere
    apply_merges(conn, {"person:cy-usa": "person:al-mex"})
    run_actors(conn)
    assert conn.execute("SELECT country FROM actors WHERE actor_id = 'person:ann-roe'").fetchone() == (None,)
    incremental = conn.execute("SELECT * FROM actors ORDER BY actor_id").fetchall()
    conn.execute("INSERT INTO dirty_actors VALUES (?)", [ALL_ACTORS])
    run_actors(conn)
    assert conn.execute("SELECT * FROM actors ORDER BY actor_id").fetchall() == incremental


def test_a_country_or_a_town_after_a_locative_that_shares_a_surname_stays_a_place(nlp):
    from spacy.tokens import Span

    doc = nlp("Rep. Jim Jordan said refugees in Jordan need help. Bob Ferguson spoke in Ferguson.")
    words = [t.text for t in doc]
    at = [i for i, w in enumerate(words) if w in ("Jordan", "Ferguson")]  # Jim Jordan, Jordan, Bob Ferguson, Ferguson
    doc.ents = [
        Span(doc, at[0] - 1, at[0] + 1, "PERSON"),
        Span(doc, at[1], at[1] + 1, "GPE"),
        Span(doc, at[2] - 1, at[2] + 1, "PERSON"),
        Span(doc, at[3], at[3] + 1, "GPE"),
    ]
    found = {m.start: m.actor_id for m in ArticleActors(doc, "t1").mentions}
    # not the person (the place of a name the article gives a person is left without an actor)
    assert not str(found.get(doc[at[1]].idx)).startswith("person:")
    assert not str(found.get(doc[at[3]].idx)).startswith("person:")


def test_a_word_opening_a_quote_is_no_mistagged_surname(actors_of):
    got = actors_of('Rep. Don Young spoke on Monday. Another voter said, "Young people want jobs."')
    assert list(got) == ["Don Young"]


def test_a_listed_name_that_is_a_known_town_stays_a_place(actors_of):
    got = actors_of("Officials in Gallup, N.M., said on Monday that the NRA would help.")
    assert got["Gallup"].actor_id == "country:USA"  # the town, though Gallup (the pollster) is listed
    assert got["NRA"].actor_id == "organization:national-rifle-association"


def test_a_headline_name_is_cut_to_the_body_name_inside_it_and_capitals_alone_are_no_person(nlp):
    """A title-case headline runs a name into the words around it: the mention is cut to
    the name the body gives, wherever it sits in the run ("Derelict Obama Ignores"); a run of
    three capitalised words or more of which no word names a body person is no person (its
    mention stays, naming no actor); an organisation's run is cut to a person's own words
    ("The Democratic Party's Move Against Bernie Sanders" is not that person's name)."""
    texts = {
        "Derelict Obama Ignores The Border\n\nPresident Barack Obama said on Monday that the border was secure.": [
            ("Obama", "person:barack-obama")
        ],
        "Group Will Run Ads Demanding Action\n\nThe group said on Monday that the ads would run in Iowa.": [],
        "The Democratic Party’s Move Against Bernie Sanders Backfires\n\n"
        "Bernie Sanders spoke in Iowa. Sanders said the party was wrong.": [
            ("Bernie Sanders", "person:bernie-sanders")
        ],
    }
    for text, expected in texts.items():
        found = ArticleActors(nlp(text), "t1")
        title_end = text.index("\n")
        got = [
            (m.text, m.actor_id)
            for m in found.mentions
            if m.start < title_end and m.actor_id and "person:" in m.actor_id
        ]
        assert got == expected, (text, got, [(m.text, m.label, m.actor_id) for m in found.mentions])


def test_a_gendered_title_and_a_pronoun_skip_a_person_whose_first_name_has_the_other_gender(nlp):
    """ "Mrs. Clinton" after Bill Clinton was last named is not Bill Clinton, nor is the "she"
    that follows: his first name is a man's (the name counts, `first_names`)."""
    text = (
        "Clintons split up on the trail\n\nHillary Clinton campaigned in Ohio on Sunday. "
        "Bill Clinton spoke in Florida on Monday.\n\n"
        'Mrs. Clinton said on Tuesday that she would return to Ohio. "We will win here," she said. '
        'Her husband spoke later. "It was a good day," he said.'
    )
    doc = nlp(text)
    found = ArticleActors(doc, "t1")
    mrs = next(m for m in found.mentions if text[m.start - 5 : m.start] == "Mrs. ")
    assert mrs.actor_id == "person:hillary-clinton"
    she = [found.resolve(t.idx, t.idx + len(t)) for t in doc if t.lower_ == "she"]
    assert [r.actor_id for r in she] == ["person:hillary-clinton"] * 2


def test_a_first_name_has_a_gender_only_when_the_counts_leave_no_doubt():
    from pipeline.actors.first_names import first_name_gender

    assert first_name_gender("Hillary") == "f" and first_name_gender("bill") == "m"
    assert first_name_gender("Robin") is None and first_name_gender("Leslie") is None  # both, often
    assert first_name_gender("Zbigniewx") is None


def test_a_holder_the_tagger_missed_is_the_person_the_article_names_by_that_one_word(nlp):
    """A person the article names only by one word ("Oz") is the one a later, untagged "Oz"
    refers to, not a second, described actor of the same name (which made a person a tie
    to himself in the discourse network)."""
    text = (
        "But for Donald Trump, Oz's show proved to be a safe space.\n\n"
        "FELLOW DOCTORS DON’T WANT TO ASSOCIATE WITH HIM — Oz may hit TV ratings gold week after week, "
        "but his peers disagree."
    )
    found = ArticleActors(nlp(text), "t1")
    assert "person:oz" in {m.actor_id for m in found.mentions}
    at = text.index("— Oz may") + 2
    assert found.resolve(at, at + 2).actor_id == "person:oz"


def test_a_quantity_says_nothing(nlp):
    """A speaker span that is a share, a sum or a date ("Twelve percent said ...") is no
    actor; an unnamed person described ("A local shopkeeper") still is."""
    text = "Twelve percent said they would vote for Trump, the poll found. A local shopkeeper said business was slow."
    found = ArticleActors(nlp(text), "t1")
    assert found.resolve(0, len("Twelve percent")).actor_id is None
    at = text.index("A local shopkeeper")
    assert found.resolve(at, at + len("A local shopkeeper")).method == "description"


@pytest.mark.parametrize(
    "text, holder, expected",
    [
        # a headline's first name and surname, where the body names another of that surname
        (
            "Hillary Clinton Slams Trump Over Taxes\n\nBill Clinton said on Monday the campaign was strong.",
            "Hillary Clinton",
            "person:hillary-clinton",
        ),
        # "miss" is a verb here, no title: Trump stays one person
        ("Donald Trump lost in Iowa on Monday. Voters will miss Trump, aides said.", "Trump", "person:donald-trump"),
        # "Mr." beats a first name the counts read as a woman's, and "He" follows it
        (
            "Prime Minister Jean Castex announced new rules. Mr. Castex said the country was ready. He added more.",
            "He",
            "person:jean-castex",
        ),
        # a first name read as another gender's does not leave the only person near unresolved
        ("Andrea Orlando spoke in Rome on Monday. He said the government would act.", "He", "person:andrea-orlando"),
        # ... when that person is a subject near it: named only as a possessor or an object, no one
        (
            "The networks barely covered Hillary Clinton's remarks on Tuesday. He said his network held on.",
            "He",
            None,
        ),
    ],
)
def test_gender_from_a_first_name_only_chooses_and_a_word_of_the_article_beats_it(nlp, text, holder, expected):
    found = ArticleActors(nlp(text), "t1")
    at = text.rindex(holder)
    assert found.resolve(at, at + len(holder)).actor_id == expected


def test_a_person_the_tagger_took_for_an_organization_is_a_person(actors_of):
    """ "Carly Fiorina" tagged ORG is a person (a first name of one gender, then a word no
    dictionary holds), and so is her surname alone; organizations of two words stay what
    they are, a first name before them ("Morgan Stanley", "Fox News") or not."""
    got = actors_of(
        "Carly Fiorina Endorses Ted Cruz\n\nFormer Hewlett-Packard CEO Carly Fiorina endorsed Ted Cruz on "
        "Wednesday. Fiorina said Cruz could beat Donald Trump. Fox News said on Monday that the debate would go "
        "ahead. Morgan Stanley said the market was calm. The Clinton Foundation said it had received the money."
    )
    assert got["Carly Fiorina"].actor_id == got["Fiorina"].actor_id == "person:carly-fiorina"
    assert got["Carly Fiorina"].actor_type == "person"
    for org in ("Fox News", "Morgan Stanley", "The Clinton Foundation", "Hewlett-Packard"):
        assert got[org].actor_type == "organization", org


def test_the_dictionary_travels_with_the_vocab(nlp):
    from pipeline.nlp.model import is_dictionary_word

    assert is_dictionary_word(nlp.vocab, "Bond") and is_dictionary_word(nlp.vocab, "news")
    assert not is_dictionary_word(nlp.vocab, "Fiorina") and not is_dictionary_word(nlp.vocab, "Stearns")


def test_a_name_inside_a_quote_is_not_the_speaker_a_pronoun_after_it_refers_to(nlp):
    """ "..., this was his mistake," he said: "he" is the person named before the quote,
    not Bush, whom the quote names; a pronoun inside a quote may still refer to a name in it."""
    text = (
        'Bill Maher spoke on Friday about the war. "This is what Bush did, this was his mistake," he said. '
        '"Obama said he would act," Maher added.'
    )
    doc = nlp(text)
    found = ArticleActors(doc, "t1")
    he = [t for t in doc if t.lower_ == "he"]
    assert found.resolve(he[0].idx, he[0].idx + 2).actor_id == "person:bill-maher"
    assert found.resolve(he[1].idx, he[1].idx + 2).actor_id == "person:obama"


def test_a_pronoun_in_a_clause_before_its_main_clause_is_that_clauses_subject(nlp):
    """Cataphora: "Though she never mentioned Sanders by name, Hillary Clinton said ...": "she"
    is Clinton, named after it, not Bernie Sanders named before (a man by his first name);
    without a subordinating word, or with no person as the main subject, the search goes back."""
    text = (
        "Bernie Sanders spoke on Monday. Though she never mentioned Sanders by name, Hillary Clinton said "
        "her rival was weak. Donald Trump held a rally. After he left the stage, he said the party was divided."
    )
    doc = nlp(text)
    found = ArticleActors(doc, "t1")
    she = next(t for t in doc if t.lower_ == "she")
    assert found.resolve(she.idx, she.idx + 3).actor_id == "person:hillary-clinton"
    he = [t for t in doc if t.lower_ == "he"]
    assert found.resolve(he[0].idx, he[0].idx + 2).actor_id == "person:donald-trump"  # the main subject is "he"


@pytest.mark.parametrize(
    "text, speaker, actor",
    [
        ("The decision shows how weak the campaign is, the paper said.", "The decision", False),
        ("His popularity suggests that voters are tired of the old guard.", "His popularity", False),
        ("Recent polling shows that Clinton leads in Ohio.", "Recent polling", False),
        ("A witness said the police arrived late.", "A witness", True),
        ("The NeverTrump faction said it would not back the nominee.", "The NeverTrump faction", True),
        ("The commission said the rules would change next year.", "The commission", True),
        ("The prosecution said the witness had lied.", "The prosecution", True),
    ],
)
def test_an_abstract_noun_is_no_speaker_unless_it_names_people(nlp, text, speaker, actor):
    """A speaker span headed by a noun with an abstract noun's ending ("The decision", "his
    popularity", "polling") describes no actor; the listed nouns that end so and name people
    or a body ("witness", "faction", "commission") still do."""
    found = ArticleActors(nlp(text), "t1")
    at = text.index(speaker)
    got = found.resolve(at, at + len(speaker))
    assert (got.actor_id is not None) == actor, got
    assert got.method == ("description" if actor else "unresolved")


def test_a_description_with_a_named_appositive_is_that_person(nlp):
    """ "his wife, longtime Hillary Clinton aide Huma Abedin, announced": the speaker is Huma
    Abedin, not an unnamed "his wife"; a plural's appositive lists several people and
    names none of them alone."""
    text = (
        "Anthony Weiner had a rough day on Monday. First his wife, longtime Hillary Clinton aide Huma Abedin, "
        "announced they were separated. Two objectors, Lawrence Joyce and William Graham, said the rules were clear."
    )
    found = ArticleActors(nlp(text), "t1")
    wife = found.resolve(text.index("his wife"), text.index("his wife") + len("his wife"))
    assert (wife.actor_id, wife.method) == ("person:huma-abedin", "name")
    objectors = found.resolve(text.index("Two objectors"), text.index("Two objectors") + len("Two objectors"))
    assert objectors.method == "description" and objectors.actor_id.startswith("group:")


def test_a_common_word_the_tagger_took_for_a_person_names_no_one(nlp):
    """ "he looked gaunt": the tagger's one-word PERSON "gaunt" (an adjective, a dictionary
    word, no first name) is no actor; "Trump", a dictionary word too, stays a person where
    the article names him."""
    text = "The last time she saw Freddy, he looked gaunt. Donald Trump said Trump would win."
    found = ArticleActors(nlp(text), "t1")
    assert "gaunt" in {e.text for e in found.doc.ents if e.label_ == "PERSON"}  # what the tagger says
    named = {m.text: m.actor_id for m in found.mentions}
    assert "gaunt" not in named and named["Freddy"] == "person:freddy"
    assert named["Trump"] == named["Donald Trump"] == "person:donald-trump"


def test_they_and_which_refer_to_the_group_or_organization_named_before(nlp):
    """ "They said" goes to the group the nearest earlier plural subject names ("Clinton
    aides"), "which" to the organization its clause hangs on; with no such subject, or one
    naming no group ("The numbers"), they stay unresolved."""
    text = (
        "Hillary Clinton spoke in Ohio. Clinton aides met in Brooklyn on Monday. "
        "They said the campaign was ready. The Republican National Committee, which said the rules were fair, "
        "met on Tuesday. The numbers were close. They said little about turnout."
    )
    doc = nlp(text)
    found = ArticleActors(doc, "t1")
    they = [t for t in doc if t.text == "They"]
    first = found.resolve(they[0].idx, they[0].idx + 4)
    assert first.method == "pronoun" and first.actor_id.startswith("group:") and "aides" in first.actor_id
    which = next(t for t in doc if t.lower_ == "which")
    assert found.resolve(which.idx, which.idx + 5).actor_id == "organization:republican-national-committee"
    assert found.resolve(they[1].idx, they[1].idx + 4).actor_id is None


@pytest.mark.parametrize(
    "text, word",
    [
        ("Halfway into the primary season, the race moves to Western states.", "Halfway"),
        ("Realistically, the most important voters are in Ohio, said Geoff Garin.", "Realistically"),
        ("Disconsolate Republican operatives spent the weekend in dismay.", "Disconsolate"),
    ],
)
def test_a_common_word_the_tagger_took_for_an_organization_names_none(nlp, text, word):
    """An adverb or adjective the tagger labelled ORG ("Halfway", "Realistically") is no
    organization; the people the sentence names still are."""
    doc = nlp(text)
    assert word in {e.text for e in doc.ents if e.label_ == "ORG"}  # what the tagger says
    found = ArticleActors(doc, "t1")
    assert word not in {m.text for m in found.mentions}
    assert all(not a.startswith("organization:") for a in found.actors)


def test_the_new_rules_leave_alone_what_they_should(nlp):
    """The guards of this stop's rules: a singular collective with a list appositive is no one
    person; "they" after a coordinated subject names no one actor; an apostrophe ("the
    ‘90s") is no quote hiding a name from "he"; the dictionary reaches a restored Doc."""
    from pipeline.nlp.model import doc_from_bytes, doc_to_bytes, is_dictionary_word

    text = (
        "The couple, Bill and Hillary Clinton, said they were pleased. "
        "Hillary Clinton and Bernie Sanders met on Monday. They said the talks went well. "
        "In the \u201890s, Bill Clinton backed the deal. He said it was fair."
    )
    doc = nlp(text)
    found = ArticleActors(doc, "t1")
    couple = found.resolve(0, len("The couple"))
    assert couple.actor_id is None or not couple.actor_id.startswith("person:bill")
    they = next(t for t in doc if t.text == "They")
    assert found.resolve(they.idx, they.idx + 4).actor_id is None
    he = next(t for t in doc if t.text == "He")
    assert found.resolve(he.idx, he.idx + 2).actor_id == "person:bill-clinton"
    restored = doc_from_bytes(doc_to_bytes(doc), nlp.vocab)
    assert is_dictionary_word(restored.vocab, "bond") and not is_dictionary_word(restored.vocab, "Fiorina")


def test_the_target_of_an_alias_joins_the_usual_full_name_in_turn():
    """ "Donald J. Trump Foundation" joins "Donald J. Trump" (a name run into other words), and
    "Donald J. Trump" joins "Donald Trump" (a middle initial): the first alias no longer keeps
    the second from being made, and the chain leads to "Donald Trump". A second look at
    the same warehouse keeps what it made."""
    from pipeline.actors.canonical import update_auto_aliases
    from pipeline.review.apply import merge_map

    full, middle, fragment = "person:donald-trump", "person:donald-j-trump", "person:donald-j-trump-foundation"
    articles = {f"t{i}": [(full, None)] for i in range(12)}
    articles |= {f"m{i}": [(middle, None)] for i in range(5)}
    articles["f0"] = [(fragment, None)]
    conn = _warehouse(articles, {})
    aliases = update_auto_aliases(conn)
    assert aliases[fragment] == (middle, "name_in_span")
    assert aliases[middle] == (full, "full_name")
    assert merge_map([], {a: b for a, (b, _) in aliases.items()}) == {fragment: full, middle: full}
    assert update_auto_aliases(conn) == aliases


def test_aliases_that_would_go_round_in_a_circle_are_not_made():
    from pipeline.actors.canonical import _without_cycles

    kept = {"person:a-b": ("person:a-c-b", "full_name")}
    proposed = {"person:a-c-b": ("person:a-b", "full_name"), "person:x": ("person:a-b", "surname")}
    assert _without_cycles(kept, proposed) == {"person:x": ("person:a-b", "surname")}


def test_a_formal_name_joins_the_usual_form_of_its_first_name():
    """ "Charles E. Grassley" and "Joseph R. Biden Jr." (a formal name with an initial, as the
    New York Times writes them) join "Chuck Grassley" and "Joe Biden"; "Donald J. Trump"
    keeps the full_name rule; a "III", a name without an initial and a George H. W. Bush
    whose other form is no two-word name stay apart."""
    counts = {
        "person:joe-biden": 28,
        "person:joseph-r-biden-jr": 7,
        "person:charles-e-grassley": 3,
        "person:chuck-grassley": 9,
        "person:donald-j-trump": 10,
        "person:donald-trump": 50,
        "person:ronald-johnson-iii": 1,
        "person:ron-johnson": 8,
        "person:garrett-johnson": 1,
        "person:gary-johnson": 5,
        "person:george-h-w-bush": 5,
        "person:george-w-bush": 20,
    }
    got = propose(counts, set())
    assert got["person:joseph-r-biden-jr"] == ("person:joe-biden", "nickname")
    assert got["person:charles-e-grassley"] == ("person:chuck-grassley", "nickname")
    assert got["person:donald-j-trump"] == ("person:donald-trump", "full_name")
    for apart in ("person:ronald-johnson-iii", "person:garrett-johnson", "person:george-h-w-bush"):
        assert apart not in got

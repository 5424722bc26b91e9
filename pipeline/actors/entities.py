"""Entity mentions of one article and the actors they name: spaCy's NER labels corrected by
patterns, then each mention linked to its person, country, organisation or group."""

from __future__ import annotations

import re
from collections import Counter

from pipeline.actors.first_names import first_name_gender, is_first_name
from pipeline.actors.places import (
    candidates,
    never_a_country,
    place_country,
    small_country_by_another_name,
    state_abbreviations,
    unambiguous_country,
)
from pipeline.actors.records import (
    PERSON_LABELS,
    PLACE_LABELS,
    Actor,
    Mention,
    Person,
    add_actor,
    headline_like,
)
from pipeline.actors.roles import country_in, single_country_in
from pipeline.nlp.lexicon import (
    country_code,
    country_lookup,
    country_name,
    fold,
    slug,
    strip_possessive,
    table,
    word_list,
)
from pipeline.nlp.model import doc_text, has_dictionary, is_dictionary_word
from pipeline.quotes.syntax import dateline_end, dateline_place_end, dateline_tokens, paragraph_capitals


def entity_mentions(doc) -> list[Mention]:
    """A mention for every entity of `doc` that can name an actor: two names joined by a
    slash split (`slash_parts`), cut to its name (`name_part`), extended to a listed
    organisation the tagger cut short (`_listed_extension`), its label corrected where
    patterns say so (`_fixed_label`; the surname alone of a person the tagger took for an
    organization is that person too, and a person's name the gazetteer would make a place
    stays a person when it ends a full name the article gives: "Alexander Hamilton" ...
    "Hamilton said", not Bermuda's capital). A one-word PERSON or ORG that is a common word
    (`_common_word`: "he looked gaunt", "Halfway into the season") is no mention, nor is a
    pro- or anti- attitude (`_attitude_word`: "a pro-Clinton super PAC"), a title's
    department (`_department_in_a_title`: "Secretary of State") or the "PAC" of "super PAC".
    An entity inside a dateline (`dateline_places`: "MANCHESTER, N.H. -", tagged ORG) is left
    to `_datelines`, which makes the place a place; one the tagger ran on from a dateline is
    the person's name after it ("CLEVELAND - Donald Trump"), else no mention."""
    from spacy.tokens import Span

    dateline = dateline_places(doc)  # {place's first token: the token after the dateline's dash}
    tails = person_name_tails(doc)
    ents, taken = [], 0  # taken: the end of a name extended over the next entity
    for found in (part for e in doc.ents for part in slash_parts(e) for part in repaired_names(part, tails)):
        if found.start < taken:
            continue  # "Leyen" after "Ursula von der", now one name
        taken = found.end
        if found.start in dateline:  # "MANCHESTER, N.H. -", "CLEVELAND - Donald Trump"
            end = dateline[found.start]
            if found.end <= end:
                continue  # the dateline: `_datelines` makes its place a place mention
            rest = doc[end : found.end]  # "CLEVELAND - Donald Trump": a person's name, else no mention
            if not (len(rest) > 1 and all(t.pos_ == "PROPN" for t in rest) and is_first_name(rest[0].text)):
                continue  # "WASHINGTON - Republicans" tagged ORG as a whole: not an organization
            found = Span(doc, rest.start, rest.end, label="PERSON")
        ent = name_part(found)
        if ent is not None:
            ent = _listed_extension(ent)
        if ent is not None:
            ents.append((ent, _fixed_label(ent)))
    # the surnames of people the tagger took for organizations: its other ORG mentions of them too
    surnames = {ent[-1].text for ent, (label, _) in ents if label == "PERSON" and ent.label_ == "ORG"}
    name_words = {
        t.text for ent, (label, _) in ents if label == "PERSON" for t in ent if len(ent) > 1 or t.pos_ == "PROPN"
    }
    org_words = {t.text for ent, (label, _) in ents if label == "ORG" for t in ent if t.pos_ == "PROPN"}
    out = []
    for ent, (label, source) in ents:
        if _attitude_word(ent) or (label == "ORG" and (_department_in_a_title(ent) or _super_pac_head(ent))):
            continue  # "a pro-Clinton super PAC", "Secretary of State", "a super PAC": no actor of its own
        if label == "ORG" and len(ent) == 1 and ent.text in surnames:
            label, source = "PERSON", "pattern"  # "Fiorina" tagged ORG after "Carly Fiorina"
        if label in ("GPE", "NORP") and ent.label_ == "PERSON" and _name_words(ent) in tails:
            label, source = "PERSON", "model"  # "Hamilton" (Bermuda's capital) after "Alexander Hamilton"
        if label in _MISTAKEN_FOR_A_THING and _a_first_name_and_a_known_surname(ent, tails):
            label, source = "PERSON", "pattern"  # "Ivanka Trump" tagged PRODUCT where the article names Donald Trump
        if label == "ORG" and len(ent) > 1 and _names_a_person(ent, tails):
            label, source = "PERSON", "pattern"  # "Von der Leyen" tagged ORG after "Ursula von der Leyen"
        if label == "PERSON" and len(ent) == 1 and _common_word(ent[0], name_words):
            continue  # "Nationally, however, ...", "he looked gaunt": no name
        if label == "ORG" and len(ent) == 1 and not ent[0].is_upper and _common_word(ent[0], name_words, org_words):
            continue  # "Accurate or not, ...", "Halfway into the season": no organization
        out.append(Mention(ent.start_char, ent.end_char, ent.start, ent.end, ent.text, label, source))
    return out


# labels the tagger gives a relative's name ("Ivanka Trump" PRODUCT, "Hillary Clinton" ORG)
_MISTAKEN_FOR_A_THING = frozenset({"ORG", "PRODUCT", "WORK_OF_ART", "EVENT", "FAC", "GPE", "LOC", "NORP"})


def _a_first_name_and_a_known_surname(ent, tails: frozenset[tuple[str, ...]]) -> bool:
    """Whether an entity is two capitalised words, a first name the name lists know and the
    surname of a person the article names in full (`person_name_tails`): a relative of
    theirs ("Ivanka Trump" where the article names Donald Trump), not a listed organisation
    nor a name ending in an organization or venue noun."""
    words = [t for t in ent if t.tag_ != "POS"]  # no punctuation between: not "Lazar, Song"
    if len(words) != 2 or not all(t.is_title and t.is_alpha for t in words):
        return False
    if first_name_gender(words[0].text) is None or (words[1].lower_,) not in tails:
        return False
    return not _an_organization_or_venue(ent)


def _names_a_person(ent, tails: frozenset[tuple[str, ...]]) -> bool:
    """Whether an entity of several words is written as the end of a person's name the
    article gives in full (`person_name_tails`: "Von der Leyen", "al-Baghdadi"), words and
    hyphens only, and is no listed organisation nor a name ending in an organization or
    venue noun ("White House" after "the Obama White House")."""
    if not all(t.is_alpha or t.text == "-" for t in ent) or _an_organization_or_venue(ent):
        return False
    return _name_words(ent) in tails


def _an_organization_or_venue(ent) -> bool:
    """Whether a name is a listed organisation or ends in an organization or venue noun
    ("Donald J. Trump Foundation", "Trump Tower"), whatever the tagger's label."""
    return (
        listed_organisation(ent.text) is not None
        or _ends_in_an_organization_noun(ent)
        or _ends_in_an_organization_noun(ent, "venue_nouns.txt")
    )


_ATTITUDE_PREFIXES = frozenset({"pro", "anti"})
# how a word hangs on the noun it describes (or, "is pro-Israel", on the verb)
_MODIFIER_DEPS = frozenset({"amod", "compound", "nmod", "acomp", "advmod", "npadvmod", "det", "dep"})


def _attitude_word(ent) -> bool:
    """Whether an entity is a pro- or anti- word describing something else ("a pro-Clinton
    super PAC", "Trump's anti-Clinton speech", "he is pro-Israel"): an attitude, not a name
    (it made "pro-Clinton" a person, who then took the article's later "Clinton"s). It
    modifies a noun or a verb, and what follows the hyphen is one word or a name of its own
    (a country, a listed organisation, "the pro-Islamic State"; a name whose last word another
    entity of the article holds, "a pro-Jeb Bush super PAC"). A name that starts so has more
    words ("the Anti-Defamation League said", "Anti-Defamation League CEO Jonathan
    Greenblatt")."""
    words = [t for t in ent if t.lower_ != "the"]
    if len(words) < 3 or words[0].lower_ not in _ATTITUDE_PREFIXES or words[1].text != "-":
        return False
    if ent.root.dep_ not in _MODIFIER_DEPS:
        return False
    rest = ent.doc[words[2].i : ent.end]
    if len(words) == 3 or listed_organisation(rest.text) is not None or country_lookup(rest.text)[0] is not None:
        return True
    last = rest[-1].text  # "the pro-Jeb Bush super PAC" where the article names Jeb Bush
    return any(e.start != ent.start and any(t.text == last for t in e) for e in ent.doc.ents)


def _super_pac_head(ent) -> bool:
    """Whether a one-word ORG is the head of the common noun "super PAC" (the tagger tags the
    acronym alone): a kind of organization, not one by name ("organization:pac" had gathered
    79 mentions of the super PACs of the PolNeAR train articles). A lower-case word before a
    name is no test in general: "broadcaster BFMTV", "investment giant CITIC" are names."""
    return len(ent) == 1 and ent.start > 0 and ent.doc[ent.start - 1].lower_ == "super"


_TITLE_HEADS = frozenset({"secretary", "undersecretary", "minister"})


def _department_in_a_title(ent) -> bool:
    """Whether an entity is the department a title names ("Secretary of State", "Secretary of
    Defense", "Minister of Justice", "Defence Secretary"): part of its holder's role, not an
    organization of its own (the tagger's "State" had made one actor in 119 of the 840
    PolNeAR train articles). Not after a plural ("the foreign ministers of NATO") nor a
    listed organisation ("NATO Secretary General")."""
    doc = ent.doc
    if listed_organisation(ent.text) is not None:
        return False
    before = ent.start >= 2 and doc[ent.start - 1].lower_ == "of" and doc[ent.start - 2].lower_ in _TITLE_HEADS
    # the British order: "Defence Secretary John Healey", "Treasury Secretary Steven Mnuchin";
    # a department's name only (resources/portfolio_words.txt), not a party's or a body's ("a
    # Labour minister", "Hamas minister", "Arab League Secretary General")
    after = (
        len(ent) <= 2
        and ent.end < len(doc)
        and doc[ent.end].lower_ in _TITLE_HEADS
        and ent[-1].lower_ in word_list("portfolio_words.txt")
        and not (ent.end + 1 < len(doc) and doc[ent.end + 1].lower_ in ("general", "-"))
    )
    return before or after


def _common_word(token, name_words: set[str], org_words: set[str] = frozenset()) -> bool:
    """Whether a one-word PERSON or ORG is a common word: not a proper noun for the tagger, a
    word of the model's dictionary and no first name, no listed organisation, and lower-case
    or a word the article never uses in a name ("Trump" of "Donald Trump", or tagged a proper
    noun elsewhere, is a dictionary word too)."""
    if token.pos_ == "PROPN" or is_first_name(token.text) or not is_dictionary_word(token.doc.vocab, token.text):
        return False
    if listed_organisation(token.text) is not None:
        return False
    return token.is_lower or (token.text not in name_words and token.text not in org_words)


def _listed_extension(ent):
    """`ent` with the capitalised words after it when together they are a listed
    organisation the tagger cut short ("Islamic" tagged NORP before "State"), as an ORG."""
    from spacy.tokens import Span

    doc = ent.doc
    for extra in (2, 1):
        end = ent.end + extra
        if (
            end <= len(doc)
            and all(t.text[:1].isupper() for t in doc[ent.end : end])
            and listed_organisation(doc[ent.start : end].text)
        ):
            return Span(doc, ent.start, end, label="ORG")
    return ent


def slash_parts(ent) -> list:
    """An entity the tagger ran across a slash between two names ("New York Times/CBS
    News", a joint poll; "Getty/AFP", a photo credit) as one span per name, each with the
    entity's label; any other entity as itself."""
    from spacy.tokens import Span

    cuts = [t.i for t in ent if t.text == "/" and t.i + 1 < ent.end and ent.doc[t.i + 1].text[:1].isupper()]
    if not cuts:
        return [ent]
    bounds = [ent.start, *cuts, ent.end]
    parts = [(a + (a in cuts), b) for a, b in zip(bounds, bounds[1:], strict=False)]
    return [Span(ent.doc, a, b, label=ent.label_) for a, b in parts if a < b]


# lower-case words inside a person's name ("Ursula von der Leyen", "Osama bin Laden")
NAME_PARTICLES = frozenset({"von", "van", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le"})
NAME_PARTICLES |= frozenset({"bin", "ibn", "al", "el", "dos", "das", "ter", "zu"})
_FUNCTION_TAGS = frozenset({"ADP", "CCONJ", "DET", "SCONJ", "PART"})
_NAME_LABELS = frozenset({"PERSON", "ORG", "NORP", "GPE", "LOC", "FAC"})  # not "Between 2002 and" (DATE)
_MOST_PARTICLE_WORDS = 2  # capitalised words a name cut after its particles is extended over
_SHARE_WORDS = frozenset({"percent", "per", "points", "pct"})  # after a number, a poll's share


def _particle(tok) -> bool:
    """A name particle as written inside a name: lower-case ("von", "der"; "Le" and "Van"
    are surnames of their own)."""
    return tok.is_lower and tok.lower_ in NAME_PARTICLES


def _name_words(span) -> tuple[str, ...]:
    """A name's words, lower-cased, without punctuation ("al-Baghdadi": al, baghdadi)."""
    return tuple(t.lower_ for t in span if not t.is_punct)


def _function_word(tok) -> bool:
    """A lower-case word no name ends with: a preposition, conjunction, article or particle
    ("Christie at", "Committee for"), not a possessive ("Obama's")."""
    return tok.is_lower and tok.tag_ != "POS" and (tok.pos_ in _FUNCTION_TAGS or tok.lower_ in NAME_PARTICLES)


def mended_bounds(ent) -> tuple[int, int]:
    """The token bounds of an entity's name (docs/design.md, "Name spans"): a person's name
    cut inside its particles runs on over the capitalised words after them ("Ursula von
    der" + "Leyen"); a person's full name stops at a function word after it ("Travis
    Kalanick of Uber"); a name stops at a poll's share ("Rubio 68 percent"); and a name of
    an actor's label loses the function words at its end ("Christie at 8 percent", "the
    Legal Counsel of")."""
    doc, start, end = ent.doc, ent.start, ent.end
    if ent.label_ not in _NAME_LABELS or not _has_a_lower_case_word(doc, ent):
        return start, end  # most names: every word capitalised, nothing to mend
    if ent.label_ == "PERSON" and _particle(doc[end - 1]) and doc[end - 1].whitespace_:
        run, words, last = end, 0, end
        while run < len(doc) and words < _MOST_PARTICLE_WORDS and doc[run].ent_type_ in ("", *_NAME_LABELS):
            if doc[run].is_alpha and doc[run].is_title:
                words, last = words + 1, run + 1
            elif not _particle(doc[run]):
                break  # "Ursula von" + "der Leyen": particles in between; not "Leyen Tuesday" (a DATE)
            run += 1
        if last > end:
            return start, last
    if ent.label_ == "PERSON":
        inside = next((t.i for t in doc[start + 1 : end] if _function_word(t) and t.lower_ not in NAME_PARTICLES), end)
        if inside < end and doc[inside].lower_ != "and" and _a_full_name(doc[start:inside]):  # "and": below
            end = inside  # "Travis Kalanick of Uber"; not "Victoria" alone, nor "Robert's Rules"
    share = next((t.i for t in doc[start + 1 : end - 1] if t.like_num and doc[t.i + 1].lower_ in _SHARE_WORDS), end)
    end = share  # a poll's list: "Trump 46 percent to Clinton's 40"
    while end - start > 1 and _function_word(doc[end - 1]):
        end -= 1
    return start, end


_LOWER_CASE_WORD = re.compile(r"[\s-][a-z]")  # "Ursula von der", "Christie at", "Dan-el"


def _has_a_lower_case_word(doc, ent) -> bool:
    """Whether a word after an entity's first starts in lower case (a cheap test on the
    article's text before its tokens are looked at)."""
    return _LOWER_CASE_WORD.search(doc_text(doc), ent.start_char + 1, ent.end_char) is not None


_NAME_WORD = re.compile(r"[A-Z]\.|[A-Z][\w'’]*\.?")  # "J.", "Jr.", "McCain", "O'Rourke", "DeSantis"


def _a_full_name(span) -> bool:
    """Whether a span is written as a person's full name: a first name, then capitalised
    words, initials or name particles."""
    return (
        len(span) > 1
        and is_first_name(span[0].text)
        and all(_NAME_WORD.fullmatch(t.text) or _particle(t) or t.text == "-" for t in span)
    )


def person_name_tails(doc) -> frozenset[tuple[str, ...]]:
    """The lower-cased word sequences that end a person's name of two or more words that
    starts with a first name, the whole name included ("chris christie", "christie";
    "ursula von der leyen", "von der leyen", "der leyen", "leyen"): what names a person of
    the article on its own. Names as `mended_bounds` has them; not "Trump Tower"
    (`_an_organization_or_venue`)."""
    out = set()
    for e in doc.ents:
        if e.label_ != "PERSON":
            continue
        start, end = mended_bounds(e)
        if _a_full_name(doc[start:end]) and not _an_organization_or_venue(e):
            words = _name_words(doc[start:end])
            out.update(words[k:] for k in range(len(words)))
    return frozenset(out)


def repaired_names(ent, tails: frozenset[tuple[str, ...]]) -> list:
    """An entity as the spans that are names (`mended_bounds`); besides:
    - two names joined by "and", each a name (or the surname) of a person the article
      names in full (`person_name_tails`), are two people ("candidates such as Christie
      and Jindal", tagged ORG);
    - two names joined by "and" in an ORG, each a listed organisation or one the tagger
      finds on its own elsewhere in the article, are two organizations ("Alphabet and
      Facebook");
    - a first name and a surname before "of" are a person ("Carly Fiorina of Hewlett
      Packard", tagged ORG): the part after "of" stays an organization only when it is a
      listed one or the article writes it again."""
    doc = ent.doc
    if not _has_a_lower_case_word(doc, ent):  # nothing to mend, no "and" or "of" inside: most names
        return [ent]
    from spacy.tokens import Span

    start, end = mended_bounds(ent)
    words = [t.lower_ for t in doc[start:end]]
    if "and" in words[1:-1] and listed_organisation(doc[start:end].text) is None:
        k = start + words.index("and", 1)
        parts = [(start, k), (k + 1, end)]
        if all(_name_words(doc[a:b]) in tails for a, b in parts):
            return [Span(doc, a, b, label="PERSON") for a, b in parts]
        if ent.label_ == "ORG" and all(_an_organization_named(doc[a:b], ent) for a, b in parts):
            return [Span(doc, a, b, label="ORG") for a, b in parts]  # "Alphabet and Facebook"
    if len(words) > 3 and words[2] == "of" and ent.label_ == "ORG" and _first_name_and_surname(doc[start : start + 2]):
        rest = doc[start + 3 : end]
        keep = listed_organisation(rest.text) is not None or doc_text(doc).count(rest.text) > 1  # named again
        return [Span(doc, start, start + 2, label="PERSON")] + (
            [Span(doc, rest.start, end, label="ORG")] if keep else []
        )
    if (start, end) == (ent.start, ent.end):
        return [ent]
    return [Span(doc, start, end, label=ent.label_)]


def _an_organization_named(span, ent) -> bool:
    """Whether `span` (a part of the entity `ent`) is a listed organisation or the text of
    an ORG entity of the article other than `ent`."""
    text = span.text
    return listed_organisation(text) is not None or any(
        e.label_ == "ORG" and e.start != ent.start and e.text == text for e in span.doc.ents
    )


_BREAKS = {":", ";", "—", "–", "|"}  # inside a name only where a headline or a quote ran into it
_MARKUP = ("://", "<", ">", "=", "@")
_GLUED_MARKS = '"“”'  # the quote marks a word can be glued to
_GLUED_QUOTE = re.compile(rf"\w\W*[{_GLUED_MARKS}]\W*\w")
_EDITORIAL_BRACKET = re.compile(r"\w[\[\]]|[\[\]]\w")  # "[W]e", "[T]his": a quote's word as edited


def _has_quote_mark(text: str) -> bool:
    """Whether `text` holds a mark `_GLUED_QUOTE` looks for (a cheap test before the search)."""
    return any(mark in text for mark in _GLUED_MARKS)


def name_part(ent):
    """The part of an entity span that can be a name: quotes, colons and dashes the tagger
    ran across split it, and the part holding its head word is kept ("“Southern Strategy" is
    "Southern Strategy", "New York Post:" is "New York Post"); punctuation at either end is
    cut. None for markup, a web address (`<tweet pic=`, `https://t.co/...`) or a span with
    a word glued to a quote mark ("paranoia,”Clinton", one token). A word an editor bracketed
    ("[W]e", tokenised "[", "W]e"; "Gov[ernor") is cut from either end like punctuation: the
    tagger takes "W]e" for a person, which leaves nothing."""
    from spacy.tokens import Span

    text = ent.text
    if any(m in text for m in _MARKUP) or (_has_quote_mark(text) and any(_GLUED_QUOTE.search(t.text) for t in ent)):
        return None  # markup, or a word glued to a quote ("paranoia,”Clinton": no name can be cut from it)
    bracketed = "[" in text or "]" in text  # else no word of it was bracketed by an editor
    doc, root = ent.doc, ent.root
    start, end = ent.start, ent.end
    for t in ent:
        if t.is_quote or t.text in _BREAKS:
            if t.i < root.i:
                start = max(start, t.i + 1)
            else:
                end = min(end, t.i)
    while start < end and (
        doc[start].is_punct or doc[start].is_quote or bracketed and _EDITORIAL_BRACKET.search(doc[start].text)
    ):
        start += 1
    while end > start and (
        (doc[end - 1].is_punct or doc[end - 1].is_quote)
        and doc[end - 1].text != "."
        or bracketed
        and _EDITORIAL_BRACKET.search(doc[end - 1].text)
    ):
        end -= 1
    if start >= end or bracketed and any(_EDITORIAL_BRACKET.search(t.text) for t in doc[start:end]):
        return None  # nothing left, or an edited word inside the name
    if (start, end) == (ent.start, ent.end):
        return ent
    return Span(doc, start, end, label=ent.label_)


def listed_organisation(text: str) -> tuple[str, str | None] | None:
    """(canonical name, ISO3 country or None) of a listed organisation, platform or outlet
    ("GOP" -> ("Republican Party", "USA"), "Twitter" -> ("Twitter", None)), from
    resources/organisation_aliases.tsv; None when not listed."""
    listed = table("organisation_aliases.tsv")
    key = strip_possessive(text.strip()).lower()
    found = listed.get(key) or listed.get(_strip_the(key))
    if found is None:
        return None
    name, _, country = found.partition("\t")
    return name.strip(), country.strip() or None


def group_country(span) -> str | None:
    """A group's country: its head noun's when that is a people ("Japanese Americans" and
    "African-Americans" are American, "Syrians" Syrian), unless the lists keep that
    country's name from deciding alone ("Georgians" voting in Atlanta: the article's
    setting decides); else the country named in it, none when it names several ("powers
    such as Italy and Poland" are no Italian voice)."""
    words = strip_possessive(span.text).split()
    if words and span.root.i == span[-1].i - (span[-1].lower_ in ("'s", "’s", "'", "’")):
        # the last word is the head ("Japanese Americans"), not a place after it ("voters in
        # New Hampshire", "powers such as Italy and Poland")
        head = words[-1].rsplit("-", 1)[-1]
        for form in (head, head[:-1]) if head.endswith("s") else (head,):
            code = country_code(form)
            if code:
                return None if never_a_country(fold(country_name(code))) else code
    return single_country_in(span)


def stateless_organisations() -> set[str]:
    """Actor ids of the listed organisations without a country (international bodies,
    multinational platforms): no article's setting gives them one (`run_actors`)."""
    countries: dict[str, set[str]] = {}
    for value in table("organisation_aliases.tsv").values():
        name, _, country = value.partition("\t")
        countries.setdefault(name.strip(), set()).add(country.strip())
    return {f"organization:{slug(name)}" for name, codes in countries.items() if codes == {""}}


def _family(ent) -> bool:
    """Whether a one-word PERSON is a family: "the Clintons" where the article names a Clinton."""
    word = ent.text
    if not word.endswith("s") or not ent.start or ent.doc[ent.start - 1].lower_ != "the":
        return False
    singular = set(_singulars(word))
    return any(e.label_ == "PERSON" and e[-1].text in singular for e in ent.doc.ents)


def _singulars(word: str) -> tuple[str, ...]:
    """The forms a plural in -s or -es may have in the singular ("Clintons" -> "Clinton",
    "Brothers" -> "Brother"); none for a word without the ending."""
    if word.endswith("es"):
        return (word[:-1], word[:-2])
    return (word[:-1],) if word.endswith("s") else ()


def _ends_in_an_organization_noun(ent, nouns: str = "organization_nouns.txt") -> bool:
    """Whether a name's last word is a capitalised noun of `organization_nouns.txt`
    ("Foundation", "PAC", "Party", "Coalition", "Center"): an organization's name, even
    named after a person; with `nouns` another list (`venue_nouns.txt`: "Trump Tower"). Not
    a first name and a surname that is such a noun ("Margaret Court", "Tom Union", "Sarah
    Park"); an acronym is no surname ("Hillary PAC")."""
    last = ent[-1]
    if not last.text[:1].isupper() or last.lower_ not in word_list(nouns):
        return False
    return last.is_upper or not (len(ent) == 2 and is_first_name(ent[0].text))


def _first_name_and_surname(ent) -> bool:
    """Whether an entity is two capitalised words, the first a first name of one gender
    ("Carly", not "Morgan"), the second neither a first name ("Stanley", "Mae") nor a word
    of the model's dictionary ("Fiorina", not "News", "Foundation" or "Bond"), and the two
    no listed organisation: a person, whatever label the tagger gave."""
    if len(ent) != 2 or not all(t.is_title and t.is_alpha for t in ent):
        return False
    first, last = ent[0].text, ent[1].text
    if not has_dictionary(ent.doc.vocab) or first_name_gender(first) is None or is_first_name(last):
        return False  # without a dictionary "Hugo Boss" would pass
    if any(is_dictionary_word(ent.doc.vocab, w) for w in (last, *_singulars(last))):  # "Brothers", "Airlines"
        return False
    return listed_organisation(ent.text) is None


def _fixed_label(ent) -> tuple[str, str]:
    """Correct obvious NER errors: a country, capital or demonym is a place, not a person
    or organisation ("Kyiv" tagged PERSON becomes GPE); a metonym ("the Kremlin")
    is an organisation; a listed organisation, platform or outlet ("Twitter", "NRA") is
    never a person, nor a place the gazetteer does not know; a plural family name ("the
    Clintons") is a group; a name ending in an organization noun ("Donald J. Trump
    Foundation") is an organisation, one ending in a venue noun ("Trump Tower") a facility,
    and a people's or a religion's name (`people_names.txt`: "Latinos", "Islam") a NORP."""
    if (
        ent.label_ not in ("ORG", "LOC")
        and listed_organisation(ent.text)
        and not (ent.label_ == "GPE" and candidates(ent.text)[3])  # "Gallup, N.M." is a town
    ):
        return "ORG", "pattern"
    if ent.label_ == "PERSON" and len(ent) == 1 and _family(ent):
        return "NORP", "pattern"  # "the Clintons", "the Obamas"
    if ent.label_ in ("PERSON", "ORG") and len(ent) == 1 and ent[0].lower_ in word_list("people_names.txt"):
        return "NORP", "pattern"  # "Latinos" tagged ORG or PERSON, "Islam" ORG: a people or a religion
    if ent.label_ in ("PERSON", "ORG") and len(ent) > 1 and _ends_in_an_organization_noun(ent, "venue_nouns.txt"):
        return "FAC", "pattern"  # "Trump Tower" tagged PERSON, "Quicken Loans Arena" ORG: a venue, no actor
    if ent.label_ == "PERSON" and len(ent) > 1 and _ends_in_an_organization_noun(ent):
        return "ORG", "pattern"  # "Donald J. Trump Foundation", "Our Principles PAC" tagged PERSON
    if ent.label_ == "ORG" and _first_name_and_surname(ent):
        return "PERSON", "pattern"  # "Carly Fiorina" tagged ORG
    if len(ent) <= 3 and ent.label_ in ("PERSON", "ORG", "GPE", "LOC", "FAC", "WORK_OF_ART", "PRODUCT", "NORP"):
        code, how = country_lookup(ent.text)
        if how == "metonym":
            return "ORG", "model" if ent.label_ == "ORG" else "pattern"
        one_word = sum(not (t.is_punct or t.tag_ == "POS") for t in ent) == 1
        if code and ent.label_ in ("PERSON", "ORG") and one_word and small_country_by_another_name(ent.text):
            return ent.label_, "model"  # "McDonald's", "Hamilton": not Heard Island, not Bermuda's capital
        if code and ent.label_ not in ("GPE", "NORP"):
            demonym = ent.root.pos_ == "ADJ" or ent.text.lower().endswith(("ian", "ish", "ese", "ch"))
            return ("NORP" if demonym else "GPE"), "pattern"
    return ent.label_, "model"


def place_context(mentions: list[Mention], not_places: frozenset[str] = frozenset()) -> Counter:
    """How often the article names each country unambiguously (its country names, capitals
    and metonyms): what decides an ambiguous place name (`places.place_country`).
    `not_places`: lower-cased words that are people's names in the article."""
    return Counter(
        code
        for m in mentions
        if m.label in PLACE_LABELS
        and m.text.lower() not in not_places
        and (code := unambiguous_country(m.text)) is not None
    )


def mention_actor(
    m: Mention,
    doc,
    person_at: dict[int, Person],
    actors: dict[str, Actor],
    context: Counter | None = None,
    not_places: frozenset[str] = frozenset(),
) -> str | None:
    """The id of the actor mention `m` names, adding a country, organisation or group to
    `actors` (people are added by the caller, once all their names are known). `context`:
    the article's `place_context`; `not_places`: the article's people's names, never read
    as places ("Obama" tagged a place is not the Japanese town)."""
    if m.label in PERSON_LABELS:
        person = person_at.get(m.tok_start)
        return person.actor_id if person else None
    listed = listed_organisation(m.text) if m.label == "ORG" else None
    if listed:
        name, country = listed
        return add_actor(actors, Actor(f"organization:{slug(name)}", name, "organization", country))
    code, how = country_lookup(m.text) if m.label in PLACE_LABELS or m.label == "ORG" else (None, None)
    if m.label == "ORG" and code and small_country_by_another_name(m.text):
        code = None  # "McDonald's" is the company, not Heard Island and McDonald Islands
    if m.label in PLACE_LABELS:
        if m.text.lower() in not_places:
            return None
        code = place_country(m.text, context) if m.label != "NORP" else code
        if code:
            return add_country(code, actors)
    if m.label == "ORG":
        if code and how == "name":
            return add_country(code, actors)
        name = strip_possessive(_strip_the(m.text))
        country = code or country_in(doc[m.tok_start : m.tok_end])
        return add_actor(actors, Actor(f"organization:{slug(name)}", name, "organization", country))
    if m.label == "NORP" and strip_possessive(m.text).lower().endswith("s") and not code:
        name = strip_possessive(_strip_the(m.text))
        return add_actor(
            actors, Actor(f"group:{slug(name)}", name, "group", group_country(doc[m.tok_start : m.tok_end]))
        )
    return None


def link_short_names(doc, mentions: list[Mention]) -> set[str]:
    """Give an organization written by the last word of its name ("The Post", "the
    Journal's") the actor of that name, where the article styles that name with a capital
    "The" inside a sentence of its body ("The Washington Post", "The Wall Street Journal":
    outlets write their names so, then shorten them) and no other name of the article, of
    any styling, ends in that word ("The New York Times" and "The Times of London" leave
    "The Times" alone). A name written "the White House" is not so styled, so "the House"
    stays the House; neither is a headline's title case ("... At The White House").
    Returns the ids the linked mentions had (actors no mention may name any more)."""
    text = doc_text(doc)
    names: dict[str, set[str]] = {}  # last word -> the ids of the longer names ending in it
    styled: set[str] = set()
    for m in mentions:
        words = strip_possessive(_strip_the(m.text)).split()
        if m.label != "ORG" or not m.actor_id or len(words) < 2:
            continue
        heads = {words[-1]} | {words[i - 1] for i, w in enumerate(words) if w == "of" and i > 0}  # "Times of London"
        for head in heads:
            names.setdefault(head, set()).add(m.actor_id)
        if m.text.startswith("The ") and not doc[m.tok_start].is_sent_start and not headline_like(text, m.start):
            styled.add(words[-1])
    replaced = set()
    for m in mentions:
        words = strip_possessive(_strip_the(m.text)).split()
        if m.label != "ORG" or len(words) != 1 or words[0] not in styled:
            continue
        if len(ids := names[words[0]]) == 1 and m.actor_id not in ids:
            replaced.add(m.actor_id)
            m.actor_id = next(iter(ids))
    return replaced


_ACRONYM = re.compile(r"[A-Z]{2,6}")


def initials(name: str) -> str:
    """The acronym a name of several words is written as: the first letters of its
    capitalised words and of a hyphenated word's parts ("Free Syrian Army": FSA,
    "Anti-Defamation League": ADL, "Committee on Foreign Investment in the United States":
    CFIUS). Lower-case words ("of", "the", "for") give no letter."""
    words = [part for word in strip_possessive(_strip_the(name)).split() for part in word.split("-")]
    return "".join(w[0] for w in words if w[:1].isupper())


def link_acronyms(doc, mentions: list[Mention]) -> set[str]:
    """Give an organization written as an acronym ("the FSA", "AIPAC") the actor of the
    organization the same article names in full with those initials ("Free Syrian Army",
    "American Israel Public Affairs Committee"), when exactly one of its names does. A
    two-letter acronym only where the article defines it in brackets after the full name
    ("General Electric (GE)"): two letters match too many names by chance (a "BS" degree is
    no "Big Sisters"). An acronym the organisation table lists keeps its listed name.
    Returns the ids the linked mentions had (actors no mention may name any more)."""
    text = doc_text(doc)
    expansions: dict[str, set[str]] = {}
    defined: set[str] = set()
    for m in mentions:
        name = strip_possessive(_strip_the(m.text))
        if m.label == "ORG" and m.actor_id and len(name.split()) >= 2:
            acronym = initials(name)
            expansions.setdefault(acronym, set()).add(m.actor_id)
            if re.match(rf"\s*\({re.escape(acronym)}\)", text[m.end : m.end + len(acronym) + 4]):
                defined.add(acronym)
    replaced = set()
    for m in mentions:
        name = strip_possessive(_strip_the(m.text))
        if m.label != "ORG" or not m.actor_id or not _ACRONYM.fullmatch(name) or listed_organisation(name):
            continue
        if len(name) == 2 and name not in defined:
            continue
        if len(ids := expansions.get(name, set())) == 1 and m.actor_id not in ids:
            replaced.add(m.actor_id)
            m.actor_id = next(iter(ids))
    return replaced


def names_the_tagger_missed(doc, mentions: list[Mention]) -> list[Mention]:
    """New mentions where the article writes again, outside any entity, the name of an
    organisation or place one of its mentions names ("GOP" tagged in one sentence, not in
    the next), or a country's name ("U.S." left untagged): proper nouns with no other
    capitalised word glued to them. Each gets the actor its form names elsewhere in the
    article; a form that names two actors is left alone. Also a listed organisation's name
    (resources/organisation_aliases.tsv; its actor is left to `mention_actor`) and a US
    state's AP abbreviation after a party letter or a town ("R-Tenn.", "Springfield,
    Mass."). A span never ends on punctuation or space ("Texas)"), and a title's department
    or the "PAC" of "super PAC" is none of these names. People: `ArticlePeople`."""
    people = {w.lower() for m in mentions if m.label in PERSON_LABELS for w in m.text.split()}
    datelines = _datelines(doc, mentions, people)
    covered = {i for m in mentions for i in range(m.tok_start, m.tok_end)}
    covered |= {k for i in dateline_places(doc) for k in range(i, dateline_place_end(doc, i))}
    forms: dict[tuple[str, ...], tuple[str, str] | None] = {}
    for m in mentions:
        if m.actor_id and "@" not in m.actor_id and m.label not in PERSON_LABELS and m.label != "NORP":
            words = _form(doc[m.tok_start : m.tok_end])
            if words and forms.get(words, (m.label, m.actor_id)) == (m.label, m.actor_id):
                forms[words] = (m.label, m.actor_id)
            elif words:
                forms[words] = None
    by_first: dict[str, list[int]] = {}  # first word -> the token lengths of its forms
    for words, known in forms.items():
        if known is not None:
            by_first.setdefault(words[0], []).append(len(words))
    added, i = [], 0
    while i < len(doc):
        t = doc[i]
        found = None
        if i not in covered and t.text[:1].isupper() and not t.is_punct:
            lengths = set(by_first.get(t.lower_, ())) | set(range(1, _LONGEST_COUNTRY + 1))
            for k in sorted(lengths, reverse=True):
                span = doc[i : i + k]
                if len(span) < k or any(j in covered for j in range(i, i + k)):
                    continue
                if span[-1].is_punct or span[-1].is_space:
                    continue  # "Israel." matches the form "israel" too: the name without its stop
                known = None
                if free_standing(span):
                    form = _form(span)
                    if form in forms and forms[form] is None:
                        continue  # a form that names two actors in this article
                    known = forms.get(form)
                    if known is None:
                        code, how = country_lookup(span.text)
                        known = ("GPE", f"country:{code}") if code and how == "name" else None
                if known is None and capitalised_alone(span) and listed_organisation(span.text):
                    known = ("ORG", None)  # "Facebook", "Islamic State" untagged: `mention_actor` names it
                if known is None and k == 1 and _state_abbreviation(doc, i):
                    known = ("GPE", "country:USA")
                if known is not None and known[0] == "ORG" and (_department_in_a_title(span) or _super_pac_head(span)):
                    known = None  # "Secretary of State" where the article names the State Department too
                if known is not None:
                    found = Mention(span.start_char, span.end_char, i, i + k, span.text, known[0], "pattern", known[1])
                    break
        if found:
            added.append(found)
            i = found.tok_end
        else:
            i += 1
    return datelines + added


_LAST_PLACES: list = [None, {}]  # the last Doc asked about and its answer (as `doc_text`)


def dateline_places(doc) -> dict[int, int]:
    """{first token of a dateline's place: the token after the dateline's dash}, for the
    datelines (`quotes.syntax.dateline_tokens`) whose capitals are a place the gazetteer
    knows or have a state or an agency after them ("OSCEOLA, Iowa -"), and are no listed
    organisation: "AIPAC - The group said" and a transcript's "SANDERS - We will win" are
    no datelines. Kept for the last Doc: the mentions, the people and the names the tagger
    missed ask for each article's in turn."""
    if _LAST_PLACES[0] is not doc:
        _LAST_PLACES[:] = [doc, _dateline_places(doc)]
    return _LAST_PLACES[1]


def _dateline_places(doc) -> dict[int, int]:
    tokens = dateline_tokens(doc)
    out = {}
    for i in paragraph_capitals(doc):
        end = dateline_end(doc, i) if i in tokens else None
        if end is None:
            continue
        j = dateline_place_end(doc, i)
        name = doc[i:j].text
        if listed_organisation(name):
            continue
        if (j < len(doc) and doc[j].text in (",", "(")) or candidates(name.title())[3] or country_lookup(name)[0]:
            out[i] = end
    return out


def _datelines(doc, mentions: list[Mention], people: set[str]) -> list[Mention]:
    """The place of each dateline (`quotes.syntax.dateline_end`: "DES MOINES - ...",
    "WASHINGTON (AP) —", "DECATUR, Ill. —"): its capitals, looked up title-cased in the
    country lists and the gazetteer, weighed by the article's places ("MANCHESTER, N.H."
    is not the English city). A word of the article's people's names is no dateline
    ("OBAMA - We ...", a transcript's speaker). Entities inside a dateline are no mentions
    (`entity_mentions`)."""
    context = place_context(mentions, frozenset(people))
    out = []
    for i in dateline_places(doc):
        j = dateline_place_end(doc, i)
        if any(doc[k].lower_ in people for k in range(i, j)):
            continue
        span = doc[i:j]
        code = place_country(span.text.title(), context)
        if code:
            out.append(Mention(span.start_char, span.end_char, i, j, span.text, "GPE", "pattern", f"country:{code}"))
    return out


_LONGEST_COUNTRY = 4  # words in the country names looked up ("United States of America")


def _form(span) -> tuple[str, ...]:
    words = [t.lower_ for t in span if not t.is_punct and t.tag_ != "POS"]
    if words and words[0] == "the":
        words = words[1:]
    return tuple(words)


def free_standing(span, titles: frozenset[str] | set[str] = frozenset()) -> bool:
    """Whether `span` is a name of its own: capitalised proper nouns (punctuation aside),
    with no capitalised proper noun glued before or after it ("Trump Tower", "Melania
    Trump"); a title before it ("Sen.") does not count when `titles` lists it."""
    if span[0].is_punct or not all((t.pos_ == "PROPN" and t.text[:1].isupper()) or not t.is_alpha for t in span):
        return False  # a capitalised common noun ("Times are hard") is no name
    return not _glued_to_a_name(span, titles)


def _glued_to_a_name(span, titles) -> bool:
    """Whether a capitalised proper noun stands right before or after `span` ("Trump
    Tower", "Melania Trump"), a title `titles` lists aside."""
    doc = span.doc
    before = doc[span.start - 1] if span.start else None
    after = doc[span.end] if span.end < len(doc) else None
    return any(
        t is not None
        and t.is_alpha
        and t.text[:1].isupper()
        and t.pos_ == "PROPN"
        and t.lower_.rstrip(".") not in titles
        for t in (before, after)
    )


def capitalised_alone(span, titles: frozenset[str] | set[str] = frozenset()) -> bool:
    """Whether `span` is written as a name whatever its tags: every word capitalised; when
    not tagged a proper noun, a noun or verb inside a sentence ("voters said Trump would"
    with "Trump" tagged a verb), not the first word of a sentence or a quote ("Young
    people want jobs"); and no capitalised proper noun glued before or after it (a title
    before it aside, when `titles` lists it)."""
    doc = span.doc
    if span[0].is_punct or not all(t.text[:1].isupper() for t in span if t.is_alpha):
        return False
    first, prev = span[0], doc[span.start - 1] if span.start else None
    if first.pos_ != "PROPN" and (
        first.is_sent_start
        or first.pos_ not in ("NOUN", "VERB")  # a mistagged name; not "Young" (ADJ) opening a quote
        or (prev is not None and (prev.is_quote or prev.text in (":", "—", "–")))  # a quote's first word
    ):
        return False
    return not _glued_to_a_name(span, titles)


def _state_abbreviation(doc, i: int) -> bool:
    """Whether token `i` is a US state's AP abbreviation where one is written: after a party
    letter ("(R-Tenn.)", "D-Ore.") or after a town and a comma ("Springfield, Mass.")."""
    if doc[i].text not in state_abbreviations() or i < 2:
        return False
    before, prev = doc[i - 2], doc[i - 1]
    return (prev.text == "-" and before.text in ("R", "D", "I")) or (
        prev.text == "," and before.pos_ == "PROPN" and before.text[:1].isupper()
    )


def add_country(code: str, actors: dict[str, Actor]) -> str:
    return add_actor(actors, Actor(f"country:{code}", country_name(code), "country", code))


def _strip_the(text: str) -> str:
    return text[4:] if text.lower().startswith("the ") else text

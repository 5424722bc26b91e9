"""Role phrases attached to a person's name ("US President Donald Trump", "John Healey, the
Defence Secretary", "Russia's foreign minister, Sergei Lavrov"): the role and country they
give the person, so that a later "the Defence Secretary" can be resolved to them."""

from __future__ import annotations

from typing import NamedTuple

from pipeline.actors.places import unambiguous_country
from pipeline.actors.records import PLACE_LABELS, SINGULAR_PRONOUNS, Person
from pipeline.nlp.lexicon import country_code, small_country_capital, strip_possessive, table, word_list

_NP_POS = {"PROPN", "NOUN", "ADJ", "NUM"}
_ROLE_ABBREVIATIONS = {"gov": "governor", "sen": "senator", "rep": "representative"}  # "Gov. John Kasich"


class RoleAttachment(NamedTuple):
    key: str  # "defence secretary"
    country: str | None
    person: Person
    token: int  # where the person is named with the role
    party: str | None = None  # "democratic" for "Democratic presidential nominee"


def party_of(tokens) -> str | None:
    """The party a role phrase names in one word ("Democratic nominee", "the Tory MP"), from
    resources/party_names.tsv: the one nearest its end ("Conservative Democrat" is a
    Democrat); None when it names none. A party word is not the party when it begins a
    government office ("Labour Secretary", "Labor Department") or is part of another name
    (`_inside_other_name`: "Green Bay Packers", "Democratic Republic of the Congo")."""
    parties = table("party_names.tsv")
    tokens = list(tokens)
    named = [
        parties[t.lower_]
        for k, t in enumerate(tokens)
        if t.lower_ in parties
        and t.text[:1].isupper()
        and not (k + 1 < len(tokens) and tokens[k + 1].lower_.rstrip(".") in _OFFICE_NOUNS)
        and not _inside_other_name(t)
    ]
    return named[-1] if named else None


# nouns of government offices and bodies: a party word just before one names a portfolio
_OFFICE_NOUNS = frozenset({"secretary", "department", "dept", "ministry"})
# words of a party's own bodies: a longer name holding one is the party's ("Democratic National Committee")
_PARTY_BODY_WORDS = frozenset({"party", "national", "committee", "convention", "caucus", "conference", "club"})


def _inside_other_name(token) -> bool:
    """Whether `token` is part of a longer named entity that is a place, or an organisation
    whose name holds no word of a party's own bodies."""
    if token.ent_iob_ not in ("B", "I"):
        return False
    doc, start, end = token.doc, token.i, token.i + 1
    while start > 0 and doc[start].ent_iob_ == "I":
        start -= 1
    while end < len(doc) and doc[end].ent_iob_ == "I":
        end += 1
    if end - start < 2:
        return False
    if token.ent_type_ in PLACE_LABELS - {"NORP"}:  # "Tea Party Republicans" are Republicans
        return True
    return token.ent_type_ == "ORG" and not any(t.lower_ in _PARTY_BODY_WORDS for t in doc[start:end])


def role_key(tokens) -> tuple[str | None, str | None]:
    """('defence secretary', 'GBR')-like key and country of a role phrase, or (None, None)."""
    roles = word_list("role_nouns.txt")
    role_idx = [k for k, t in enumerate(tokens) if t.lemma_.lower() in roles or t.lower_.rstrip(".") in roles]
    if not role_idx:
        return None, None
    k = role_idx[-1]
    words = [_ROLE_ABBREVIATIONS.get(w, w) for w in [tokens[k].lemma_.lower().rstrip(".")]]
    if k > 0:
        prev = tokens[k - 1]
        if (
            prev.pos_ in ("NOUN", "ADJ", "PROPN")
            and not country_code(prev.text)
            and prev.ent_type_ not in PLACE_LABELS | {"ORG"}
        ):
            words.insert(0, prev.lower_)
    return " ".join(words), country_in(tokens)


def country_in(tokens) -> str | None:
    """The first country named among `tokens`: a whole entity first (a country, a place of
    one country only such as "New Hampshire", a party such as "Republican"), then a single
    word that is not part of a longer place name ("Hampshire" in "New Hampshire" is not
    England's, nor in "New Hampshire Institute of Politics": a place of two or three words
    inside a longer name is looked up whole). A word of a person's name names no country."""
    for t in tokens:
        if t.ent_type_ == "PERSON":  # "Kerry" of "John Kerry" or of "the Kerry campaign" is not County Kerry
            continue
        if t.ent_iob_ == "B":
            code = _entity_country(_entity_text_from(t), t.ent_type_)
            if code:
                return code
        if _inside_longer(t) and not _inside_longer_place(t):
            code = _place_inside(t)
            if code:
                return code
            if t.ent_iob_ == "I" and t.i > 0 and t.doc[t.i - 1].text == "New":
                continue  # "New England" (Patriots, Journal) is no known place, and not England
        if (t.pos_ in ("PROPN", "ADJ") or t.ent_type_) and not _inside_longer_place(t):
            # a party word alone, never one of a longer name ("Liberal Democratic Party" is Japan's)
            alone = not _inside_longer(t) and t.text[:1].isupper()
            if not alone and small_country_capital(t.text):
                continue  # "Georgetown University" is not Guyana's, "Morgan Stanley" not the Falklands'
            code = country_code(t.text) or (party_country(t.text) if alone else None)
            if code:
                return code
    return None


def single_country_in(tokens) -> str | None:
    """`country_in`, unless the tokens coordinate places of different countries ("powers such
    as Italy and Poland", "officials from the United States and Britain", "Italian and French
    officials"): a group of several countries has none of its own. "The U.S. ambassador to
    Russia" keeps the first: not coordinated."""
    code = country_in(tokens)
    if code is None:
        return None
    tokens = list(tokens)
    mentions: list[tuple[int, int, str]] = []  # (first, last token index, code) of each country named
    for t in tokens:
        if t.ent_iob_ == "I" and mentions and mentions[-1][1] == t.i - 1:
            mentions[-1] = (mentions[-1][0], t.i, mentions[-1][2])  # the rest of "the United States"
            continue
        found = country_in([t])
        if found is not None:
            mentions.append((t.i, t.i, found))
    doc = tokens[0].doc if tokens else None
    for (a0, a1, ca), (b0, b1, cb) in zip(mentions, mentions[1:]):
        if ca == cb:
            continue
        between = doc[a1 + 1 : b0]
        if all(w.lower_ in ("and", "or", ",", "&", "the", "nor") for w in between):
            return None  # "Italy and Poland", "Saudi Arabia and Iran", "U.S. and British"
        if any(c.i in range(b0, b1 + 1) for w in doc[a0 : a1 + 1] for c in w.conjuncts):
            return None  # "Kurds in Iraq, in Turkey and in Syria"
    return code


def party_country(name: str) -> str | None:
    """The country of a political party named `name` ("GOP", "Labour"), from
    resources/party_countries.tsv; None for any other name."""
    return table("party_countries.tsv").get(strip_possessive(name.strip()).lower())


def _entity_country(text: str, label: str) -> str | None:
    code = country_code(text) or party_country(text)
    if code is None and label in PLACE_LABELS:
        code = unambiguous_country(text)
    return code


def _inside_longer(t) -> bool:
    """Whether `t` is one word of a longer entity."""
    doc = t.doc
    return t.ent_iob_ == "I" or (t.ent_iob_ == "B" and t.i + 1 < len(doc) and doc[t.i + 1].ent_iob_ == "I")


def _place_inside(t) -> str | None:
    """The country of a place named by two or three proper nouns that start at `t` inside a
    longer entity ("New Hampshire" of "New Hampshire Institute of Politics"), or None."""
    doc = t.doc
    for k in (3, 2):
        span = doc[t.i : t.i + k]
        if len(span) < k or any(w.ent_iob_ != "I" for w in span[1:]):
            continue
        if not all(w.pos_ == "PROPN" and w.text[:1].isupper() and not w.is_stop for w in span):
            continue
        code = country_code(span.text) or unambiguous_country(span.text)
        if code:
            return code
    return None


def _inside_longer_place(t) -> bool:
    """Whether `t` is one word of a longer place name (that name was looked up whole)."""
    return _inside_longer(t) and t.ent_type_ in ("GPE", "LOC", "FAC")


def _entity_text_from(t) -> str:
    doc = t.doc
    j = t.i + 1
    while j < len(doc) and doc[j].ent_iob_ == "I":
        j += 1
    return doc[t.i : j].text


def _attached(phrase: list, name) -> list:
    """A pre-modifier phrase cut after a plural noun that heads a phrase of its own (its
    dependency head is neither to its right in the phrase nor in the name): "the Syrian
    refugees President Obama wants to bring" keeps "President", while "Canadian Foreign
    Affairs Minister" and "US Secretary of State" stay whole. Only plural common nouns cut:
    a role written before a name is singular, and the small parser often hangs even a true
    role ("British diplomat Sir Peter Westmacott") elsewhere."""
    roles = word_list("role_nouns.txt")
    hold = {t.i for t in name}
    for k in range(len(phrase) - 1, -1, -1):
        t = phrase[k]
        if t.tag_ == "NNS" and t.head.i not in hold and t.lemma_.lower() not in roles:
            return phrase[k + 1 :]
        hold.add(t.i)
    return phrase


class RoleFinder:
    """The role phrases around people's names: pre-modifiers ("Defence Secretary John
    Healey") and appositives ("John Healey, the Defence Secretary"). A role names a country
    for the person when its phrase does; "his Defence Minister Boris Pistorius" leaves it to
    the boss the possessive refers to (`bosses`). Without a role's country, a place right
    after the name gives one ("Angela Merkel of Germany", "Sen. Brian Schatz of Hawaii")."""

    def __init__(self, doc, person_at: dict[int, Person]):
        self.doc = doc
        self.person_at = person_at  # token index -> person, for every token of a person's name
        self.attachments: list[RoleAttachment] = []
        self.bosses: list[tuple[Person, int]] = []  # (person, token of the "his"/"her" before their role)

    def find(self, person: Person, tok_start: int) -> None:
        """Role phrases around the mention of `person` that starts at token `tok_start`."""
        doc = self.doc
        ent_end = tok_start
        while ent_end < len(doc) and self.person_at.get(ent_end) is person:
            ent_end += 1
        phrases = []
        pre = _attached(self._walk_left(tok_start - 1), doc[tok_start:ent_end])
        if pre:
            phrases.append(pre)
        if tok_start >= 2 and doc[tok_start - 1].text == ",":
            before = self._walk_left(tok_start - 2, allow_det=True)
            if before:
                phrases.append(before)
        if ent_end < len(doc) - 1 and doc[ent_end].text == ",":
            after = self._walk_right(ent_end + 1)
            if after:
                phrases.append(after)
        for phrase in phrases:
            key, country = role_key(phrase)
            if key is None:
                continue
            before = phrase[0].i - 1
            if (
                country is None
                and before >= 0
                and doc[before].tag_ == "PRP$"
                and doc[before].lower_ in SINGULAR_PRONOUNS
            ):
                self.bosses.append((person, before))
            self.attachments.append(RoleAttachment(key, country, person, tok_start, party_of(phrase)))
            if country and person.country is None:
                person.country = country
        if person.country is None and ent_end < len(doc) - 1 and doc[ent_end].lower_ == "of":
            place = doc[ent_end + 1]  # no role gave one: "Angela Merkel of Germany", "Anne Hidalgo of Paris"
            if place.ent_iob_ == "B" and place.ent_type_ == "GPE":
                person.country = country_in([place])

    def _walk_left(self, i: int, allow_det: bool = False) -> list:
        doc, out = self.doc, []
        while i >= 0 and len(out) < 7:
            t = doc[i]
            if i in self.person_at:
                break
            if t.pos_ in _NP_POS or t.tag_ == "POS" or (t.lower_ == "of" and out):
                out.insert(0, t)
            elif allow_det and t.pos_ == "DET":
                out.insert(0, t)
                break
            else:
                break
            i -= 1
        return out

    def _walk_right(self, i: int) -> list:
        doc, out = self.doc, []
        while i < len(doc) and len(out) < 9:
            t = doc[i]
            if t.is_punct or t.pos_ in ("VERB", "AUX", "PRON", "CCONJ", "SCONJ") or i in self.person_at:
                break
            out.append(t)
            i += 1
        return out

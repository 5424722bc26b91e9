"""The people one article names: PERSON mentions merged by name ("Sir Keir Starmer",
"Starmer", "Keir Starmer") with titles removed, a one-word name given to the person it
shortens, mentions tagged an organisation, place or facility that are a person's name
taken back as that person, and the roles found around each name."""

from __future__ import annotations

import functools

from pipeline.actors.entities import capitalised_alone, dateline_places, free_standing, listed_organisation
from pipeline.actors.first_names import first_name_gender, is_first_name
from pipeline.actors.places import TOWN, candidates, never_a_country
from pipeline.actors.records import (
    PERSON_LABELS,
    Mention,
    Person,
    display_name,
    headline_like,
    same_person,
    surname,
)
from pipeline.actors.roles import RoleFinder
from pipeline.nlp.lexicon import country_lookup, strip_possessive, table, word_list
from pipeline.nlp.model import doc_text
from pipeline.quotes.syntax import dateline_place_end

# Labels the tagger gives a person's name by mistake ("Kasich" GPE, "Rubio" FAC): such a
# mention that is the name of a person the article names is that person.
_MISTAKEN_LABELS = ("ORG", "GPE", "LOC", "FAC", "PRODUCT", "WORK_OF_ART", "EVENT", "NORP")
# A one-word name two people share goes by recency only to one named in full this close
# before it (sentences back); further on, to the one the article has named most so far.
NEAR_SENTENCES = 1


class ArticlePeople:
    """The people of one article, where each is named, and the roles attached to them.
    Relabels as PERSON the mentions tagged otherwise that are a person's name, and adds to
    `mentions` the names of its people the tagger missed (`_names_the_tagger_missed`)."""

    def __init__(self, doc, mentions: list[Mention]):
        self.doc = doc
        self.persons: list[Person] = []
        self.person_at: dict[int, Person] = {}  # token index -> person, for every token of a name
        self.roles = RoleFinder(doc, self.person_at)
        self._titles = word_list("titles.txt")
        self._gender_words = table("gender_words.tsv")
        self._text = doc_text(doc)
        self._title_end = next((t.i for t in doc if "\n" in t.text), 0)  # the title's line ends here
        self.hyphens: dict[tuple[str, ...], tuple[bool, ...]] = {}  # name -> a hyphen before each later word?
        self._sentences: list[int] | None = None  # token index -> sentence number (`_sentence_of`)
        self._cluster(mentions)
        self._take_people_tagged_as_other_things(mentions)
        mentions += self._names_the_tagger_missed(mentions)
        mentions.sort(key=lambda m: m.tok_start)

    def name_tokens(self, tokens) -> tuple[str, ...]:
        """The words of a name without punctuation, possessive or leading titles. A hyphen
        inside a name parts words ("Pannier-Runacher": Pannier, Runacher), so that each
        matches the article's tokens; `hyphens` remembers it for the name shown."""
        triples = self._name_words(tokens)
        name = tuple(w for w, _, _ in triples)
        if any(j for _, j, _ in triples[1:]):
            self.hyphens[name] = tuple(j for _, j, _ in triples[1:])
        return name

    def _name_words(self, tokens) -> list[tuple[str, bool, int]]:
        """(word, joined to the word before by a hyphen, token index) for each word of the
        name `name_tokens` reads in `tokens`."""
        kept = [t for t in tokens if not t.is_punct and t.text not in ("'s", "’s", "‘s", "'", "’", "‘")]
        words = [t.text for t in kept]
        if words:  # "Trump‘s" as one token
            words[-1] = strip_possessive(words[-1])
        joined = [k > 0 and _hyphen_between(kept[k - 1], t) for k, t in enumerate(kept)]
        triples = [(w, j, t.i) for w, j, t in zip(words, joined, kept, strict=True) if w]
        while triples and triples[0][0].lower().rstrip(".") in self._titles:
            triples = triples[1:]
        return triples

    def _cut_to_words(self, m: Mention, first: int, end: int) -> None:
        """Shorten mention `m` to its name's words first..end-1 (a title before the first
        word kept when the cut keeps the name's start)."""
        at = [i for _, _, i in self._name_words(self.doc[m.tok_start : m.tok_end])]
        start = m.tok_start if first == 0 else at[first]
        span = self.doc[start : at[end - 1] + 1]
        m.tok_start, m.tok_end, m.start, m.end, m.text = span.start, span.end, span.start_char, span.end_char, span.text

    def _cluster(self, mentions: list[Mention]) -> None:
        """People from PERSON mentions: full names first, then one-word names (the body's
        before the title's), then the roles around every name."""
        people = [m for m in mentions if m.label in PERSON_LABELS]
        named = [(m, self.name_tokens(self.doc[m.tok_start : m.tok_end])) for m in people]
        named = [(m, n) for m, n in named if n]
        title_end = self._title_end
        trimmed = []
        for m, name, kept in _trim_headline_names(named, title_end, self._text):
            if kept is None:  # no person: the mention stays, naming no actor
                continue
            if kept != (0, len(name)):
                self._cut_to_words(m, *kept)
                name = name[kept[0] : kept[1]]
            trimmed.append((m, name))
        named = trimmed
        for m, name in named:
            if len(name) < 2:
                continue
            person = next((p for p in self.persons if any(same_person(name, q) for q in p.names)), None)
            if person is None:
                person = Person()
                self.persons.append(person)
            self._attach(person, m, name)
        for person in self.persons:  # a first name's gender where no word before a name gave one
            if person.gender is None and (gender := self._first_name_gender(person)) is not None:
                person.gender, person.gender_from_name = gender, True
        singles = [(m, n) for m, n in named if len(n) == 1]
        body = [x for x in singles if x[0].tok_start >= title_end]
        for m, name in body + [x for x in singles if x[0].tok_start < title_end]:  # the title last
            person = self._person_for_word(name[0].lower(), m.tok_start, m.tok_start < title_end, self._gender_at(m))
            self._attach(person, m, name)
        for person in self.persons:
            person.display = display_name(person.names, self.hyphens)
            for i in person.positions:
                self.roles.find(person, i)

    def _first_name_gender(self, person: Person) -> str | None:
        """The gender of the first name of the person's first full name, when the name
        counts give it one (`first_names`); none for a compound first name ("Jean-Noël")."""
        full = next((q for q in person.names if len(q) > 1), None)
        if full is None or self.hyphens.get(full, (False,))[0]:
            return None
        return first_name_gender(full[0])

    def _gender_at(self, m: Mention) -> str | None:
        """The gender a word opening the mention or just before it gives ("Mrs. Clinton",
        "his wife Hillary"), else None. An honorific counts capitalised only: "will miss
        Trump" is no "Miss"."""
        for t in (self.doc[m.tok_start], self.doc[m.tok_start - 1] if m.tok_start else None):
            if t is not None and t.lower_ in self._gender_words:
                if t.lower_.rstrip(".") in HONORIFICS and not t.text[:1].isupper():
                    continue
                return self._gender_words[t.lower_]
        return None

    def _person_for_word(self, word: str, pos: int, in_title: bool, gender: str | None = None) -> Person:
        """The person a one-word name ("Obama", "Starmer") refers to: in the body, the
        person whose surname (else first name) it is and who was mentioned before it, since a
        full name is introduced before it is shortened ("Mr. Obama" is not Michelle Obama
        named later). When several were: one named in full in its sentence or the one before
        (the last mentioned, preferring a subject: "Bill Clinton criticized ... for his wife
        Hillary Clinton. Clinton said" is Bill), else the one named most so far, of those
        named in full, counting the one-word names given to each before (a debate report
        naming "Bill Clinton" once goes on with Hillary's "Clinton"; "his father, Rafael
        Cruz" does not take Ted's later "Mr. Cruz"). In the title, the body's most mentioned
        such person. A name with a gendered word before it
        ("Mrs. Clinton") is none of the people a word shows to be of the other gender, and
        one whose first name fits before one whose does not. A word no earlier mention explains
        starts a person of its own, even when a person named in full later has it: "Obama"
        before "Michelle Obama" is more often Barack, never named in full, than her (so
        "Brafman ... Ben Brafman", named in full only at a column's end, stays two)."""

        person = self._named_person_for_word(word, pos, in_title, gender)
        if person is None and not in_title:
            person = self._misspelt_surname_of(word, pos)
        if person is None:
            person = Person()
            self.persons.append(person)
        return person

    def _misspelt_surname_of(self, word: str, pos: int) -> Person | None:
        """The one person named in full before `pos` whose surname `word` misspells once: a
        letter dropped or two swapped ("Vigurie" for Viguerie, "Keidis" for Kiedis), both
        words of six letters or more with the same first letter, the word written nowhere
        else in the article, and no common first name ("Jonas" is no Jones). A letter added
        or changed is not taken: "Johnston" and "McCann" are names of their own. None when
        no person or several fit."""

        if len(word) < 6 or is_first_name(word) or sum(t.lower_ == word for t in self.doc) > 1:
            return None
        fits = []
        for p in self.persons:
            names = {surname(q) for q in p.names if len(q) > 1}
            if not any(i < pos for i in p.positions):
                continue
            if any(_dropped_or_swapped(word, s) for s in names):
                fits.append(p)
        return fits[0] if len(fits) == 1 else None

    def _named_person_for_word(self, word: str, pos: int, in_title: bool, gender: str | None = None) -> Person | None:
        """`_person_for_word`'s choice among the people named so, or None when it would
        start a person of its own."""

        def named_by(p: Person, k: int) -> bool:
            return any(
                (len(q) > 1 and (surname(q) if k == -1 else q[k].lower()) == word)
                or (len(q) == 1 and q[0].lower() == word)
                for q in p.names
            )

        for k in (-1, 0):
            cands = [p for p in self.persons if named_by(p, k)]
            if gender is not None:  # none known (by a word) to be of the other gender; those that fit first
                cands = [p for p in cands if p.gender in (None, gender) or p.gender_from_name]
                cands = [p for p in cands if p.gender in (None, gender)] or cands
            if in_title and cands:
                return max(cands, key=lambda p: len(p.positions))
            before = [(max(i for i in p.positions if i < pos), p) for p in cands if any(i < pos for i in p.positions)]
            if len(before) > 1:  # several: those named in full just before, else the most named in full
                recent = [x for x in before if self._named_in_full_near(x[1], pos)]
                if not recent:
                    full = [x for x in before if any(len(q) > 1 for q in x[1].names)] or before
                    most = max(sum(i < pos for i in p.positions) for _, p in full)
                    recent = [x for x in full if sum(i < pos for i in x[1].positions) == most]
                before = recent
            if before:
                return max(before, key=lambda x: (x[0] in x[1].subjects, x[0]))[1]
        return None

    def _named_in_full_near(self, person: Person, pos: int) -> bool:
        """Whether the person's full name is written in token pos's sentence, before it, or
        in the NEAR_SENTENCES before that."""
        sent_of = self._sentence_of()
        return any(
            len(name) > 1 and i < pos and sent_of[i] >= sent_of[pos] - NEAR_SENTENCES
            for name, i in zip(person.names, person.positions, strict=True)
        )

    def _sentence_of(self) -> list[int]:
        if self._sentences is None:
            self._sentences = [0] * len(self.doc)
            for k, sent in enumerate(self.doc.sents):
                self._sentences[sent.start : sent.end] = [k] * len(sent)
        return self._sentences

    def _take_people_tagged_as_other_things(self, mentions: list[Mention]) -> None:
        """An ORG mention that is a person's name in this article ("Starmer", "Olaf Scholz" tagged
        ORG) is that person; a surname two of its people share goes to the one named most before it,
        else most in all, else first (`_named_most_before`): "Trump" in a report of Donald Trump's
        speech is not his daughter Ivanka Trump, named in full first. In a title-case headline, an
        ORG that holds such a name ("Trump Would Put Liberals On Court", "The Democratic Party's
        Move Against Bernie Sanders") is cut to the name, a name of the person's own words only. So
        is a place, facility or work that is the whole name ("Kasich" tagged GPE where the article
        names John Kasich), unless the name is a country, a listed organisation or, tagged a place,
        a town of the gazetteer (`_a_town`)."""
        title_end = self._title_end
        for m in mentions:
            if m.label not in _MISTAKEN_LABELS or country_lookup(m.text)[0]:
                continue
            if m.label != "ORG" and (_a_town(m, self.doc) or listed_organisation(m.text)):
                continue
            name = self.name_tokens(self.doc[m.tok_start : m.tok_end])
            if not name or not all(w[:1].isupper() for w in name):
                continue
            windows = [(0, len(name))]
            headline = m.label == "ORG" and len(name) > 1
            if headline := headline and (m.tok_start < title_end or headline_like(self._text, m.start)):
                windows += [(0, k) for k in range(len(name) - 1, 0, -1)]
                windows += [(i, j) for i in range(1, len(name)) for j in range(len(name), i, -1)]
            for i, j in windows:
                words = name[i:j]
                person = next(
                    (
                        p
                        for p in self.persons
                        if any(_may_name(words, q) and (not headline or _within(words, q)) for q in p.names)
                    ),
                    None,
                )
                if person is not None and len(words) == 1:  # a surname two people share: the one named most
                    shared = [p for p in self.persons if any(_may_name(words, q) for q in p.names)]
                    if (gender := self._gender_at(m)) is not None:  # "Mrs. Trump": none of the men
                        shared = [p for p in shared if p.gender in (None, gender)] or shared
                    if len(shared) > 1:
                        person = max(shared, key=lambda p: _named_most_before(p, m.tok_start))
                if person is not None:
                    if (i, j) != (0, len(name)):
                        self._cut_to_words(m, i, j)
                    m.label, m.label_source = "PERSON", "pattern"
                    self._attach(person, m, words)
                    break

    def _names_the_tagger_missed(self, mentions: list[Mention]) -> list[Mention]:
        """New PERSON mentions where the article writes again, outside any entity, the full
        name or the surname of a person it names in full ("Trump" the tagger left untagged
        in one sentence of twenty): a capitalised proper noun, or a capitalised word the
        tagger took for another part of speech inside a sentence, with no other capitalised
        name word joined to it ("Trump Tower", "Melania Trump" are not Donald Trump). A
        surname two of the article's people share is left alone, and so is a dateline
        ("WASHINGTON (AP) —" is no Kerry Washington)."""
        doc = self.doc
        covered = {i for m in mentions for i in range(m.tok_start, m.tok_end)}
        covered |= {k for i in dateline_places(doc) for k in range(i, dateline_place_end(doc, i))}
        forms: dict[tuple[str, ...], Person | None] = {}
        for person in self.persons:
            for q in {tuple(w.lower() for w in q) for q in person.names if len(q) > 1}:
                for form in (q, q[-1:]):
                    forms[form] = person if forms.get(form, person) is person else None
        by_first: dict[str, list[tuple[str, ...]]] = {}  # first word -> its forms, longest first
        for form in sorted((f for f, p in forms.items() if p is not None), key=len, reverse=True):
            by_first.setdefault(form[0], []).append(form)
        added, i = [], 0
        while i < len(doc):
            t = doc[i]
            options = (
                by_first.get(strip_possessive(t.text).lower()) if t.text[:1].isupper() and i not in covered else None
            )
            for form in options or ():
                j = i + len(form)
                words = tuple(strip_possessive(x.text).lower() for x in doc[i:j])
                if (
                    words == form
                    and not any(k in covered for k in range(i, j))
                    and (free_standing(doc[i:j], self._titles) or capitalised_alone(doc[i:j], self._titles))
                ):
                    span = doc[i:j]
                    m = Mention(span.start_char, span.end_char, i, j, span.text, "PERSON", "pattern")
                    self._attach(forms[form], m, tuple(x.text for x in span))
                    added.append(m)
                    i = j - 1
                    break
            i += 1
        return added

    def _attach(self, person: Person, m: Mention, name: tuple[str, ...]) -> None:
        person.names.append(name)
        person.positions.append(m.tok_start)
        if self.doc[m.tok_start : m.tok_end].root.dep_ in ("nsubj", "nsubjpass"):
            person.subjects.add(m.tok_start)
        if (person.gender is None or person.gender_from_name) and (gender := self._gender_at(m)) is not None:
            person.gender, person.gender_from_name = gender, False  # a word of the article beats the name
        for i in range(m.tok_start, m.tok_end):
            self.person_at[i] = person


def _dropped_or_swapped(word: str, name: str) -> bool:
    """Whether `word` is `name` (six letters or more, the same first letter) with one letter
    dropped or two neighbouring letters swapped (jellyfish's Damerau-Levenshtein distance 1)."""
    import jellyfish

    if len(name) < 6 or word[0] != name[0] or len(word) not in (len(name), len(name) - 1):
        return False
    if len(word) == len(name) and sorted(word) != sorted(name):
        return False  # a letter changed, not two swapped
    return jellyfish.damerau_levenshtein_distance(word, name) == 1


def _named_most_before(person: Person, pos: int) -> tuple[int, int, int]:
    """How often `person` is named before token `pos`, how often in all, and how early
    first (the one introduced first wins a tie: "The founder, Tony Podesta, is the brother
    of ... John Podesta")."""
    return sum(i < pos for i in person.positions), len(person.positions), -min(person.positions, default=0)


def _hyphen_between(left, right) -> bool:
    """Whether a hyphen joins two name tokens with no space around it ("Pannier-Runacher")."""
    doc = left.doc
    between = doc[left.i + 1 : right.i]
    return (
        len(between) == 1
        and between[0].text in ("-", "\u2010", "\u2011")
        and not left.whitespace_
        and not between[0].whitespace_
    )


HONORIFICS = {"mr", "mrs", "ms", "miss", "sir", "lord", "dame", "lady"}  # gender words that are titles
_LOCATIVES = {"in", "at", "near", "from", "to", "of", "across", "around", "outside", "inside", "throughout"}


def _a_town(m: Mention, doc) -> bool:
    """Whether a mention tagged a place (GPE, LOC) reads as a place, not a mistaken name:
    a US state or a town of at least TOWN people in the gazetteer ("Washington", not
    "Rubio" in Venezuela), a country's name the lists keep from deciding alone ("Jordan",
    "Georgia"), or any gazetteer place after a locative ("in Ferguson", "of Jordan")."""
    if m.label not in ("GPE", "LOC"):
        return False
    code, _, key, places = candidates(m.text)
    if code or never_a_country(key) or any(n >= TOWN for n in places.values()):
        return True
    return bool(places) and m.tok_start > 0 and doc[m.tok_start - 1].lower_ in _LOCATIVES


@functools.lru_cache(maxsize=1 << 16)  # pure; asked for every person's every name, mention after mention
def _may_name(name: tuple[str, ...], known: tuple[str, ...]) -> bool:
    """Whether an ORG mention's `name` can be the person one of whose names is `known`: the
    same person's name, or one word that is the surname of a full name."""
    if len(name) > 1:
        return same_person(name, known)
    return len(known) > 1 and name[0].lower() == surname(known)


def _within(words: tuple[str, ...], known: tuple[str, ...]) -> bool:
    """Whether every word of `words` is a word of the name `known` (any case)."""
    return {w.lower() for w in words} <= {w.lower() for w in known}


def _trim_headline_names(named: list, title_end: int, text: str) -> list:
    """A headline in title case lets a name run into the words around it ("Marco Rubio
    Responds To Question", "Bernie Sanders Beats", "Kill Trayvon Martin"). For each
    (mention, name): (mention, name, kept), where `kept` = (first, end) are the name's
    words a person is read from:
    - the whole name, outside a headline, or when the body gives it;
    - a headline name that starts with a name the body gives (a full name, or a surname)
      is cut to that name; else one holding a body's full name further on is cut to it
      ("Kill Trayvon Martin"); else a common first name (`first_names.is_first_name`) and a
      body surname after it are cut to ("Hillary Clinton Slams" where the body names Bill
      Clinton; "Derelict Obama" has no first name); else one holding a surname the body
      writes only alone keeps the words up to it ("Keir Starmer Says" where the body writes
      "Starmer"); else one holding a word of a
      body name further on is cut to that word ("Bill Revoking Hillary's");
    - None for a headline "name" of three words or more none of whose words is a word of
      a name the body gives ("Will Run Ads Demanding"): the tagger
      read a headline's capitals as a name, and it is no person. (Shorter ones stay: a
      headline may name a person the body only describes.)"""
    headline = {id(m) for m, _ in named if m.tok_start < title_end or headline_like(text, m.start)}
    body = {tuple(w.lower() for w in n) for m, n in named if id(m) not in headline}
    body |= {(n[-1],) for n in body}  # the surnames of the body's full names
    body_words = {w for n in body for w in n}
    full_surnames = {n[-1] for n in body if len(n) > 1}
    out = []
    for m, name in named:
        kept = (0, len(name))
        if id(m) in headline and len(name) >= 2:
            lowered = tuple(w.lower() for w in name)
            if lowered not in body:
                starts = [len(b) for b in body if len(b) < len(name) and lowered[: len(b)] == b]
                # a body name further on ("Kill Trayvon Martin"), or one word of one
                inside = [
                    (j - i, -i)
                    for i in range(1, len(name))
                    for j in range(i + 1, len(name) + 1)
                    if lowered[i:j] in body or (j == i + 1 and lowered[i] in body_words)
                ]
                # a first name before a body surname: a full name ("Hillary Clinton Slams" where
                # the body names Bill Clinton), even when the body names another of that surname
                first_names = [
                    (k - 1, k + 1)
                    for k in range(1, len(name))
                    if (lowered[k],) in body and is_first_name(lowered[k - 1])
                ]
                up_to_surname = [  # a surname the body gives alone, never with a first name
                    k + 1 for k in range(1, len(name) - 1) if (lowered[k],) in body and lowered[k] not in full_surnames
                ]
                if starts:
                    kept = (0, max(starts))
                elif inside and max(inside)[0] >= 2:
                    size, first = max(inside)
                    kept = (-first, -first + size)
                elif first_names:
                    kept = first_names[0]
                elif up_to_surname:  # "Keir Starmer Says" where the body writes "Starmer"
                    kept = (0, max(up_to_surname))
                elif inside:
                    size, first = max(inside)
                    kept = (-first, -first + size)
                elif len(name) >= 3 and not body_words & set(lowered):
                    kept = None
        out.append((m, name, kept))
    return out

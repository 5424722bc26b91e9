"""Which person of an article a word refers to when it does not name them: he/she (the
nearest preceding person of a compatible gender, preferring a subject), a role ("the
Defence Secretary": the person last given that role), or a first or last name the NER
missed."""

from __future__ import annotations

import bisect

from pipeline.actors.people import ArticlePeople
from pipeline.actors.records import SINGULAR_PRONOUNS, Person, surname
from pipeline.actors.roles import party_of, role_key
from pipeline.nlp.lexicon import table, word_list
from pipeline.nlp.model import doc_text
from pipeline.quotes.marks import find_quotes


def sentences_back(doc, i: int, n: int) -> list:
    """The sentence of token i, then up to n sentences before it, nearest first."""
    sents = [doc[i].sent]
    while len(sents) <= n and sents[-1].start > 0:
        sents.append(doc[sents[-1].start - 1].sent)
    return sents


def _clause_verb(t):
    """The verb whose subject token t is, or whose subject's name t is part of ("James" of
    "James Henson"); None for a word that only modifies the subject ("Jeb Bush's spokesman")."""
    if t.dep_ in ("nsubj", "nsubjpass"):
        return t.head
    return t.head.head if t.dep_ in ("compound", "flat") else None


class PersonCoreference:
    """Finds the person a pronoun, a role phrase or a single name refers to. Answers for
    pronouns and role nouns are memoised per token; a token being worked out answers None
    to the lookups it starts, which breaks cycles ("he" -> "the president" -> "he")."""

    def __init__(self, doc, people: ArticlePeople):
        self.doc = doc
        self.people = people
        self._roles = word_list("role_nouns.txt")
        self._speech = word_list("speech_verbs.txt")
        self._memo: dict[int, Person | None] = {}  # token index of a pronoun or role noun -> person
        self._quotes: list[tuple[int, int]] | None = None  # (start, end) characters of each quoted span

    def pronoun(self, i: int) -> Person | None:
        """The person the he/she/his... at token i refers to."""
        if i not in self._memo:
            self._memo[i] = None  # guards against cycles
            gender = SINGULAR_PRONOUNS[self.doc[i].lower_]
            found = self._cataphora(i, gender)
            if found is None:
                found = self.recent_person(i, max_sentences=3, gender=gender, prefer_speaker=True)
            if found is None and any(p.gender_from_name for p in self.people.persons):  # else the same search again
                found = self.recent_person(
                    i, max_sentences=3, gender=gender, name_gender_binds=False, prefer_speaker=True, subject_only=True
                )
            self._memo[i] = found
        return self._memo[i]

    def _cataphora(self, i: int, gender: str | None) -> Person | None:
        """The person a subject pronoun of a clause put before its main clause refers to:
        the main clause's subject, named after it ("Though she never mentioned Sanders by
        name, Hillary Clinton said ...", "After he left the stage, Rubio said ..."). The
        clause opens with a subordinating word ("though", "after", "when"); the subject is a
        person of a gender the pronoun allows. None otherwise: the usual search back."""
        t = self.doc[i]
        clause = t.head
        if t.dep_ not in ("nsubj", "nsubjpass") or clause.dep_ != "advcl" or clause.i > clause.head.i:
            return None
        if not any(c.dep_ == "mark" and c.i < t.i for c in clause.children):
            return None
        for s in clause.head.children:
            if s.dep_ in ("nsubj", "nsubjpass") and s.i > clause.i:
                person = self.people.person_at.get(s.i)
                if person is not None and (gender is None or person.gender in (None, gender)):
                    return person
        return None

    def role(self, span, skip: Person | None = None) -> Person | None:
        """The person a role phrase ("the Defence Secretary", "Russia's foreign minister")
        refers to: the one last given that role (before the span or in its sentence), else
        the first person of the role's country named before it, else the nearest person.
        A role naming a party ("the Democratic nominee") is none of the people the article
        gives roles of other parties only; a party's member ("the Kentucky Republican") is
        the person last given a role of that party, or nobody. `skip`: a person the phrase
        itself names ("Trump's campaign manager"), never the one it refers to; the phrase
        then refers only to someone the article gave that role."""
        key, country = role_key(list(span))
        party = party_of(span)
        attachments = self.people.roles.attachments
        of_party = {id(a.person) for a in attachments if party and a.party == party}
        other_party = {id(a.person) for a in attachments if party and a.party and a.party != party} - of_party
        excluded = other_party | ({id(skip)} if skip is not None else set())
        member = party is not None and key is not None and key.split()[-1] in table("party_names.tsv")
        sent = span.sent
        best = None
        for k, c, person, pos, _ in attachments:
            if country and c and c != country or id(person) in excluded:
                continue
            if member:
                if id(person) not in of_party:
                    continue
            elif not (key == k or key.split()[-1] == k.split()[-1] and (country or len(key.split()) == 1)):
                continue
            if (pos < span.start or sent.start <= pos < sent.end) and (best is None or pos > best[1]):
                best = (person, pos)
        if best:
            return best[0]
        if member or skip is not None:  # (so `excluded` below holds other parties only)
            return None
        if country:
            for person in self.people.persons:
                if person.country == country and min(person.positions) < span.start and id(person) not in excluded:
                    return person
        return self.recent_person(span.start, max_sentences=2, skip=excluded)

    def by_word(self, word: str, near: int) -> Person | None:
        """The person whose full name starts or ends with `word`, or whose one-word name it is
        (a person the article names only so, "Oz"), named nearest before token `near` (else
        nearest after it)."""
        candidates = [
            p
            for p in self.people.persons
            if any(word in (q[0].lower(), surname(q)) if len(q) > 1 else q[0].lower() == word for q in p.names)
        ]
        if not candidates:
            return None
        return min(candidates, key=lambda p: min((near - i if i < near else 10_000 + i - near) for i in p.positions))

    def recent_person(
        self,
        i: int,
        max_sentences: int,
        gender: str | None = None,
        skip: set[int] = frozenset(),
        name_gender_binds: bool = True,
        prefer_speaker: bool = False,
        subject_only: bool = False,
    ) -> Person | None:
        """The person nearest before token i: in its own sentence the subject else the last
        one named before i; otherwise the subject (else the first) of the closest earlier
        sentence that names a person. A person known to be of another gender than a
        pronoun's is skipped (by a word of the article; by their first name too unless
        `name_gender_binds` is False: `pronoun` tries that when no one else is near, and
        then takes a subject only, `subject_only`), and so is a person whose id() is in
        `skip`. With `prefer_speaker` (a pronoun), an earlier
        sentence whose main verb is a verb of saying gives its subject, the speaker, before a
        subject of the clause it reports ("Cruz will struggle, Henson said.")."""
        doc = self.doc
        quote_of_i = self.quote_at(doc[i].idx)
        for k, s in enumerate(sentences_back(doc, i, max_sentences)):
            end = i if k == 0 else s.end
            cands = []
            for t in doc[s.start : end]:
                p = self._person_referred_by(t, i)
                fits = gender is None or p is None or p.gender in (None, gender)
                fits = fits or (not name_gender_binds and p.gender_from_name)
                if p is not None and fits and id(p) not in skip and self.quote_at(t.idx) in (None, quote_of_i):
                    cands.append((t, p))  # a name in another quote is a speaker's words, not the antecedent
            if not cands:
                continue
            subjects = [
                (t, p) for t, p in cands if t.dep_ in ("nsubj", "nsubjpass") or t.head.dep_ in ("nsubj", "nsubjpass")
            ]
            if subjects:
                if k > 0 and prefer_speaker:  # "..., Henson said. '...,' he said.": Henson, not the one he spoke of
                    root = s.root
                    speaker = [
                        p
                        for t, p in subjects
                        if (verb := _clause_verb(t)) is not None and verb.i == root.i and root.lemma_ in self._speech
                    ]
                    if speaker:
                        return speaker[0]
                return subjects[0][1]
            if subject_only:
                continue
            return cands[-1][1] if k == 0 else cands[0][1]
        return None

    def quote_at(self, char: int) -> tuple[int, int] | None:
        """The quoted span (marks included) that holds character `char`, if any. Only closed
        quotes in double marks count: an unclosed one runs to its paragraph's end, and a
        single mark is often an apostrophe ("the ‘90s")."""
        if self._quotes is None:
            text = doc_text(self.doc)
            self._quotes = [(q.start, q.end) for q in find_quotes(text) if q.closed and text[q.start] != "\u2018"]
        k = bisect.bisect_right(self._quotes, (char, float("inf"))) - 1
        return self._quotes[k] if k >= 0 and self._quotes[k][0] <= char < self._quotes[k][1] else None

    def _person_referred_by(self, t, i: int) -> Person | None:
        """The person token t names or (before token i) refers to as a pronoun or a role."""
        p = self.people.person_at.get(t.i)
        if p is None and t.lower_ in SINGULAR_PRONOUNS and t.i != i and t.i < i:
            p = self.pronoun(t.i)
        if p is None and t.i < i and self._is_definite_role(t):
            p = self._role_of_noun(t)
        return p

    def _is_definite_role(self, t) -> bool:
        """ "the Prime Minister", "Russia's foreign minister": a singular role noun with a
        definite determiner or a possessor."""
        if t.tag_ not in ("NN", "NNP") or (t.lemma_.lower() not in self._roles and t.lower_ not in self._roles):
            return False
        return any(c.dep_ == "poss" or (c.dep_ == "det" and c.lower_ == "the") for c in t.children)

    def _role_of_noun(self, t) -> Person | None:
        if t.i not in self._memo:
            self._memo[t.i] = None
            left = min(c.i for c in t.subtree if c.i <= t.i)
            self._memo[t.i] = self.role(self.doc[left : t.i + 1])
        return self._memo[t.i]

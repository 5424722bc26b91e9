"""Entities and actors of one article: NER mentions corrected by patterns, people merged,
countries coded, and any speaker or stance-holder span resolved to one canonical actor.

Canonical actor ids are readable and need no global state, so the same name gets the
same id in every article: `person:keir-starmer`, `country:RUS`, `organization:nato`,
`group:republicans`. Unnamed sources ("a UK Government source") are article-scoped:
`person:a-uk-government-source@<article_id>`.

Within an article:
- people are merged by name ("Sir Keir Starmer", "Starmer", "Keir Starmer"), titles removed;
- role phrases attached to a name ("US President Donald Trump", "John Healey, the Defence
  Secretary", "Russia's foreign minister, Sergei Lavrov") give the person a role and a
  country, so a later "the Defence Secretary" resolves to John Healey;
- he/she resolve to the nearest preceding person, preferring the subject of the closest
  sentence that names one, and skipping a person an honorific or a gendered noun shows to
  be of the other gender ("Mrs. Clinton", "his wife Hillary Clinton");
- a one-word name goes to the person last named before it with that surname, preferring
  the one last seen as a subject (Bill, not Hillary, Clinton after "Bill Clinton said ...");
- a collective built on a name is its own actor ("Clinton supporters", "Clinton's
  campaign"), not the person.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.nlp.lexicon import country_code, country_lookup, country_name, slug, table, word_list

PERSON_LABELS = {"PERSON"}
PLACE_LABELS = {"GPE", "LOC", "NORP", "FAC"}
SINGULAR_PRONOUNS = {
    "he": "m",
    "him": "m",
    "his": "m",
    "himself": "m",
    "she": "f",
    "her": "f",
    "hers": "f",
    "herself": "f",
}
INDEFINITE = {"a", "an", "one", "another", "some", "several", "many", "two", "three", "other", "few"}
_NP_POS = {"PROPN", "NOUN", "ADJ", "NUM"}


@dataclass(frozen=True)
class Actor:
    actor_id: str
    name: str
    actor_type: str
    country: str | None


@dataclass
class Mention:
    start: int
    end: int
    tok_start: int
    tok_end: int
    text: str
    label: str
    label_source: str
    actor_id: str | None = None


@dataclass(frozen=True)
class Resolution:
    actor_id: str | None
    method: str  # name | pronoun | role | description | unresolved


@dataclass
class _Person:
    names: list[tuple[str, ...]] = field(default_factory=list)  # title-free token tuples
    display: str = ""
    positions: list[int] = field(default_factory=list)  # token indices of mentions
    subjects: set[int] = field(default_factory=set)  # those that are a clause's subject
    country: str | None = None
    gender: str | None = None  # "m" / "f" when an honorific or a gendered noun says so

    @property
    def actor_id(self) -> str:
        return f"person:{slug(self.display)}"


class ArticleActors:
    """Mentions and actors of one parsed article, and a resolver for spans of it."""

    def __init__(self, doc, article_id: str):
        self.doc = doc
        self.article_id = article_id
        self.actors: dict[str, Actor] = {}
        self.mentions: list[Mention] = []
        self._titles = word_list("titles.txt")
        self._roles = word_list("role_nouns.txt")
        self._gender_words = table("gender_words.tsv")
        self._groups = word_list("group_nouns.txt")
        self._organizations = word_list("organization_nouns.txt")
        self._persons: list[_Person] = []
        self._person_at: dict[int, _Person] = {}  # token index -> person, for every PERSON token
        self._role_attachments: list[tuple[str, str | None, _Person, int]] = []  # key, country, person, token
        self._pronoun_memo: dict[int, _Person | None] = {}
        self._bosses: list[tuple[_Person, int]] = []  # (person, "his"/"her" before their role)
        self._build()

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        doc = self.doc
        for ent in doc.ents:
            label, source = self._fixed_label(ent)
            self.mentions.append(Mention(ent.start_char, ent.end_char, ent.start, ent.end, ent.text, label, source))
        self._cluster_people()
        self._people_tagged_as_organisations()
        for person, pronoun in self._bosses:  # "His Defence Minister Boris Pistorius": his boss's country
            boss = self._pronoun(pronoun)
            if person.country is None and boss is not None and boss is not person:
                person.country = boss.country
        for m in self.mentions:
            m.actor_id = self._mention_actor(m)
        for person in self._persons:
            self._add_actor(Actor(person.actor_id, person.display, "person", person.country))

    def _fixed_label(self, ent) -> tuple[str, str]:
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

    def _name_tokens(self, tokens) -> tuple[str, ...]:
        words = [t.text for t in tokens if not t.is_punct and t.text not in ("'s", "’s", "'", "’")]
        while words and words[0].lower().rstrip(".") in self._titles:
            words = words[1:]
        return tuple(words)

    def _cluster_people(self) -> None:
        people = [m for m in self.mentions if m.label in PERSON_LABELS]
        named = [(m, self._name_tokens(self.doc[m.tok_start : m.tok_end])) for m in people]
        named = [(m, n) for m, n in named if n]
        for m, name in named:
            if len(name) < 2:
                continue
            person = next((p for p in self._persons if any(_same_person(name, q) for q in p.names)), None)
            if person is None:
                person = _Person()
                self._persons.append(person)
            self._attach(person, m, name)
        title_end = next((t.i for t in self.doc if "\n" in t.text), 0)
        singles = [(m, n) for m, n in named if len(n) == 1]
        body = [x for x in singles if x[0].tok_start >= title_end]
        for m, name in body + [x for x in singles if x[0].tok_start < title_end]:  # the title last
            self._attach(self._person_for_word(name[0].lower(), m.tok_start, m.tok_start < title_end), m, name)
        for person in self._persons:
            person.display = " ".join(max(person.names, key=len))
            for i in person.positions:
                self._find_roles(person, i)

    def _person_for_word(self, word: str, pos: int, in_title: bool) -> _Person:
        """The person a one-word name ("Obama", "Starmer") refers to: in the body, the
        person whose surname (else first name) it is and who was mentioned last before it,
        since a full name is introduced before it is shortened ("Mr. Obama" is not Michelle
        Obama named later), preferring one last mentioned as a subject ("Bill Clinton
        criticized ... for his wife Hillary Clinton. ... Clinton said" is Bill); in the
        title, the body's most mentioned such person. A word no earlier mention explains
        starts a person of its own."""

        def named_by(p: _Person, k: int) -> bool:
            return any((len(q) > 1 and q[k].lower() == word) or (len(q) == 1 and q[0].lower() == word) for q in p.names)

        for k in (-1, 0):
            cands = [p for p in self._persons if named_by(p, k)]
            if in_title and cands:
                return max(cands, key=lambda p: len(p.positions))
            before = [(max(i for i in p.positions if i < pos), p) for p in cands if any(i < pos for i in p.positions)]
            if before:
                return max(before, key=lambda x: (x[0] in x[1].subjects, x[0]))[1]
        person = _Person()
        self._persons.append(person)
        return person

    def _people_tagged_as_organisations(self) -> None:
        """An ORG mention that is a person's name in this article ("Starmer", "Olaf Scholz"
        tagged ORG) is that person."""
        for m in self.mentions:
            if m.label != "ORG" or country_lookup(m.text)[0]:
                continue
            name = self._name_tokens(self.doc[m.tok_start : m.tok_end])
            if not name or not all(w[:1].isupper() for w in name):
                continue
            person = next(
                (
                    p
                    for p in self._persons
                    if any(
                        _same_person(name, q) if len(name) > 1 else (len(q) > 1 and name[0].lower() == q[-1].lower())
                        for q in p.names
                    )
                ),
                None,
            )
            if person is not None:
                m.label, m.label_source = "PERSON", "pattern"
                self._attach(person, m, name)

    def _attach(self, person: _Person, m: Mention, name: tuple[str, ...]) -> None:
        person.names.append(name)
        person.positions.append(m.tok_start)
        if self.doc[m.tok_start : m.tok_end].root.dep_ in ("nsubj", "nsubjpass"):
            person.subjects.add(m.tok_start)
        for t in (self.doc[m.tok_start], self.doc[m.tok_start - 1] if m.tok_start else None):
            if t is not None and t.lower_ in self._gender_words and person.gender is None:
                person.gender = self._gender_words[t.lower_]
        for i in range(m.tok_start, m.tok_end):
            self._person_at[i] = person

    def _find_roles(self, person: _Person, tok_start: int) -> None:
        """Role phrases around one mention of `person`: pre-modifiers and appositives."""
        doc = self.doc
        ent_end = tok_start
        while ent_end < len(doc) and self._person_at.get(ent_end) is person:
            ent_end += 1
        phrases = []
        pre = self._walk_left(tok_start - 1, include_title=True)
        if pre:
            phrases.append(pre)
        if tok_start >= 2 and doc[tok_start - 1].text == ",":
            before = self._walk_left(tok_start - 2, include_title=True, allow_det=True)
            if before:
                phrases.append(before)
        if ent_end < len(doc) - 1 and doc[ent_end].text == ",":
            after = self._walk_right(ent_end + 1)
            if after:
                phrases.append(after)
        for phrase in phrases:
            key, country = self._role_key(phrase)
            if key is None:
                continue
            before = phrase[0].i - 1
            if (
                country is None
                and before >= 0
                and doc[before].tag_ == "PRP$"
                and doc[before].lower_ in SINGULAR_PRONOUNS
            ):
                self._bosses.append((person, before))
            self._role_attachments.append((key, country, person, tok_start))
            if country and person.country is None:
                person.country = country

    def _walk_left(self, i: int, include_title: bool, allow_det: bool = False) -> list:
        doc, out = self.doc, []
        while i >= 0 and len(out) < 7:
            t = doc[i]
            if i in self._person_at:
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
            if t.is_punct or t.pos_ in ("VERB", "AUX", "PRON", "CCONJ", "SCONJ") or i in self._person_at:
                break
            out.append(t)
            i += 1
        return out

    def _role_key(self, tokens) -> tuple[str | None, str | None]:
        """('defence secretary', 'GBR')-like key and country of a role phrase, or (None, None)."""
        role_idx = [k for k, t in enumerate(tokens) if t.lemma_.lower() in self._roles or t.lower_ in self._roles]
        if not role_idx:
            return None, None
        k = role_idx[-1]
        words = [tokens[k].lemma_.lower()]
        if k > 0:
            prev = tokens[k - 1]
            if (
                prev.pos_ in ("NOUN", "ADJ", "PROPN")
                and not country_code(prev.text)
                and prev.ent_type_ not in PLACE_LABELS | {"ORG"}
            ):
                words.insert(0, prev.lower_)
        return " ".join(words), self._country_in(tokens)

    def _country_in(self, tokens) -> str | None:
        """The first country named among `tokens` (a whole entity first, then single words)."""
        for t in tokens:
            if t.ent_iob_ == "B":
                code = country_code(self._ent_text_from(t.i))
                if code:
                    return code
            if t.pos_ in ("PROPN", "ADJ") or t.ent_type_:
                code = country_code(t.text)
                if code:
                    return code
        return None

    def _ent_text_from(self, i: int) -> str:
        doc = self.doc
        j = i + 1
        while j < len(doc) and doc[j].ent_iob_ == "I":
            j += 1
        return doc[i:j].text

    def _mention_actor(self, m: Mention) -> str | None:
        if m.label in PERSON_LABELS:
            person = self._person_at.get(m.tok_start)
            return person.actor_id if person else None
        code, how = country_lookup(m.text) if m.label in PLACE_LABELS or m.label == "ORG" else (None, None)
        if m.label in PLACE_LABELS and code:
            return self._country_actor(code)
        if m.label == "ORG":
            if code and how == "name":
                return self._country_actor(code)
            name = _strip_the(m.text)
            country = code or self._country_in(self.doc[m.tok_start : m.tok_end])
            return self._add_actor(Actor(f"organization:{slug(name)}", name, "organization", country))
        if m.label == "NORP" and m.text.lower().endswith("s") and not code:
            name = _strip_the(m.text)
            return self._add_actor(Actor(f"group:{slug(name)}", name, "group", None))
        return None

    def _country_actor(self, code: str) -> str:
        return self._add_actor(Actor(f"country:{code}", country_name(code), "country", code))

    def _add_actor(self, actor: Actor) -> str:
        known = self.actors.get(actor.actor_id)
        if known is None or (known.country is None and actor.country):
            self.actors[actor.actor_id] = actor
        return actor.actor_id

    # ------------------------------------------------------------------ resolution

    def resolve(self, start: int, end: int) -> Resolution:
        """The actor a span of the text (a speaker or stance holder) refers to."""
        span = self.doc.char_span(start, end, alignment_mode="expand")
        if span is None or len(span) == 0:
            return Resolution(None, "unresolved")
        root = span.root
        if len(span) == 1 and root.lower_ in SINGULAR_PRONOUNS:
            person = self._pronoun(root.i)
            return Resolution(person.actor_id if person else None, "pronoun" if person else "unresolved")
        person = self._person_at.get(root.i) or next(
            (self._person_at[t.i] for t in span if t.i in self._person_at), None
        )
        if person is not None and (root.i in self._person_at or root.pos_ == "PROPN"):
            return Resolution(person.actor_id, "name")
        for m in self.mentions:
            if m.tok_start <= root.i < m.tok_end and m.actor_id:
                return Resolution(m.actor_id, "name")
        first = span[0].lower_
        if (
            first not in INDEFINITE
            and (root.lemma_.lower() in self._roles or root.lower_ in self._roles)
            and root.tag_ not in ("NNS", "NNPS")
        ):
            person = self._role(span)
            if person is not None:
                return Resolution(person.actor_id, "role")
        if person is not None and root.pos_ == "NOUN" and (root.tag_ in ("NNS", "NNPS") or self._collective(root)):
            return Resolution(self._description(span), "description")  # "Clinton supporters", "Clinton's campaign"
        if person is not None:
            return Resolution(person.actor_id, "name")
        for t in span:  # a name the NER missed ("Sir Iain added"): a known person's first or last name
            if t.pos_ == "PROPN" and t.lower_.rstrip(".") not in self._titles:
                person = self._person_by_word(t.lower_, span.start)
                if person is not None:
                    return Resolution(person.actor_id, "name")
        if root.pos_ in ("PRON", "DET") or all(t.is_stop or t.is_punct for t in span):
            return Resolution(None, "unresolved")
        return Resolution(self._description(span), "description")

    def _person_by_word(self, word: str, near: int) -> _Person | None:
        candidates = [
            p for p in self._persons if any(len(q) > 1 and word in (q[0].lower(), q[-1].lower()) for q in p.names)
        ]
        if not candidates:
            return None
        return min(candidates, key=lambda p: min((near - i if i < near else 10_000 + i - near) for i in p.positions))

    def _role(self, span) -> _Person | None:
        key, country = self._role_key(list(span))
        sent = span.sent
        best = None
        for k, c, person, pos in self._role_attachments:
            if country and c and c != country:
                continue
            if not (key == k or key.split()[-1] == k.split()[-1] and (country or len(key.split()) == 1)):
                continue
            if (pos < span.start or sent.start <= pos < sent.end) and (best is None or pos > best[1]):
                best = (person, pos)
        if best:
            return best[0]
        if country:
            for person in self._persons:
                if person.country == country and min(person.positions) < span.start:
                    return person
        return self._recent_person(span.start, max_sentences=2)

    def _is_definite_role(self, t) -> bool:
        """ "the Prime Minister", "Russia's foreign minister": a singular role noun with a
        definite determiner or a possessor."""
        if t.tag_ not in ("NN", "NNP") or (t.lemma_.lower() not in self._roles and t.lower_ not in self._roles):
            return False
        return any(c.dep_ == "poss" or (c.dep_ == "det" and c.lower_ == "the") for c in t.children)

    def _role_memo(self, t) -> _Person | None:
        if t.i not in self._pronoun_memo:
            self._pronoun_memo[t.i] = None
            left = min(c.i for c in t.subtree if c.i <= t.i)
            self._pronoun_memo[t.i] = self._role(self.doc[left : t.i + 1])
        return self._pronoun_memo[t.i]

    def _pronoun(self, i: int) -> _Person | None:
        if i not in self._pronoun_memo:
            self._pronoun_memo[i] = None  # guards against cycles
            self._pronoun_memo[i] = self._recent_person(
                i, max_sentences=3, gender=SINGULAR_PRONOUNS[self.doc[i].lower_]
            )
        return self._pronoun_memo[i]

    def _recent_person(self, i: int, max_sentences: int, gender: str | None = None) -> _Person | None:
        """The person nearest before token i: in its own sentence the subject else the last
        one named before i; otherwise the subject (else the first) of the closest earlier
        sentence that names a person. A person known to be of another gender than a
        pronoun's is skipped."""
        doc = self.doc
        sent = doc[i].sent
        sents = [sent]
        s = sent
        while len(sents) <= max_sentences and s.start > 0:
            s = doc[s.start - 1].sent
            sents.append(s)
        for k, s in enumerate(sents):
            end = i if k == 0 else s.end
            cands = []
            for t in doc[s.start : end]:
                p = self._person_at.get(t.i)
                if p is None and t.lower_ in SINGULAR_PRONOUNS and t.i != i and t.i < i:
                    p = self._pronoun(t.i)
                if p is None and t.i < i and self._is_definite_role(t):
                    p = self._role_memo(t)
                if p is not None and (gender is None or p.gender in (None, gender)):
                    cands.append((t, p))
            if not cands:
                continue
            subjects = [
                p for t, p in cands if t.dep_ in ("nsubj", "nsubjpass") or t.head.dep_ in ("nsubj", "nsubjpass")
            ]
            if subjects:
                return subjects[0]
            return cands[-1][1] if k == 0 else cands[0][1]
        return None

    def _collective(self, root) -> bool:
        lemma = root.lemma_.lower()
        return lemma in self._groups or lemma in self._organizations or root.lower_ in self._groups

    def _description(self, span) -> str:
        """An actor described rather than named: "a UK Government source" (person), "Whitehall
        insiders" (group), "the Clinton campaign" (organization). A description built on a
        name ("Clinton's campaign") is written with that name in full and gets an id shared
        across articles; other descriptions are article-scoped."""
        root = span.root
        if (
            root.lemma_.lower() in self._organizations
            or root.lower_ in self._organizations
            or (root.pos_ == "PROPN" and root.ent_type_ and root.ent_type_ != "PERSON")
        ):
            kind = "organization"  # "the Clinton campaign", "the Arizona Republic" (a name NER took for a place)
        elif root.tag_ in ("NNS", "NNPS") or root.lower_ in self._groups:
            kind = "group"
        else:
            kind = "person"
        parts, anchored, i = [], False, span.start
        while i < span.end:
            person = self._person_at.get(i)
            if person is not None and i != root.i:
                j = i
                while j < span.end and self._person_at.get(j) is person:
                    j += 1
                possessive = self.doc[j - 1].text if self.doc[j - 1].tag_ == "POS" else ""
                parts.append(person.display + possessive + self.doc[j - 1].whitespace_)
                anchored, i = True, j
                continue
            parts.append(self.doc[i].text_with_ws)
            i += 1
        name = "".join(parts).strip(" ,.;:\"“”'’")
        country = self._country_in(list(span))
        actor_id = f"{kind}:{slug(name)}" if anchored else f"{kind}:{slug(name)}@{self.article_id}"
        return self._add_actor(Actor(actor_id, name, kind, country))

    def person_at(self, i: int) -> Actor | None:
        """The person whose name covers token i, if any."""
        person = self._person_at.get(i)
        return self.actors.get(person.actor_id) if person is not None else None

    def positions(self, actor_id: str) -> list[int]:
        """Token indices where a person is named (for recency: who was mentioned last)."""
        return sorted(i for p in self._persons if p.actor_id == actor_id for i in p.positions)

    def actor(self, actor_id: str | None) -> Actor | None:
        return self.actors.get(actor_id) if actor_id else None


def _same_person(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    la, lb = [w.lower() for w in a], [w.lower() for w in b]
    if la[-1] != lb[-1]:
        return False
    return la[0] == lb[0] or set(la) <= set(lb) or set(lb) <= set(la)


def _strip_the(text: str) -> str:
    return text[4:] if text.lower().startswith("the ") else text


def reference_rows(article_id: str, actors: ArticleActors, stage_of: dict[str, str]) -> list[dict]:
    """article_actors rows of an article: each actor in `stage_of` (actor id -> the stage
    that referenced it: entities, quotes, stances) that the article knows, in id order."""
    rows = []
    for actor_id, stage in sorted(stage_of.items()):
        a = actors.actor(actor_id)
        if a is not None:
            rows.append(
                {
                    "stage": stage,
                    "article_id": article_id,
                    "actor_id": a.actor_id,
                    "name": a.name,
                    "actor_type": a.actor_type,
                    "country": a.country,
                }
            )
    return rows

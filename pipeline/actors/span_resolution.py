"""What a span of an article (a speaker or a stance holder) refers to: a person or entity it
names, the person a pronoun or a role phrase refers to, or an actor it describes ("a UK
Government source", "Clinton supporters"). Resolving reads the article's people and
mentions and changes none of them; a described actor comes back in the Resolution."""

from __future__ import annotations

import re

from pipeline.actors.coreference import PersonCoreference, sentences_back
from pipeline.actors.first_names import is_first_name
from pipeline.actors.people import HONORIFICS, ArticlePeople
from pipeline.actors.records import SINGULAR_PRONOUNS, Actor, Mention, Resolution, surname
from pipeline.actors.roles import single_country_in
from pipeline.nlp.lexicon import slug, strip_possessive, table, word_list
from pipeline.nlp.model import is_dictionary_word

# the ending of an abstract noun ("the decision", "his popularity", "polling", "an average"): a
# speaker or holder such a noun heads is no actor unless it is listed as one
ABSTRACT_ENDING = re.compile(r"(?:tion|sion|ment|ness|ity|ism|ance|ence|ship|ure|ics|ing|ogy|age)$")
COLLECTIVES = ("group:", "organization:")  # the actors "they" and "which" can refer to
QUANTITIES = {"PERCENT", "MONEY", "QUANTITY", "CARDINAL", "ORDINAL", "DATE", "TIME"}  # entity types no actor has
# not_actor_nouns that measure rather than say: a poll's or a study's findings are no one's words
MEASURES = {"poll", "survey", "study", "analysis", "data", "datum", "statistic", "result", "tally", "count", "average"}
MEASURES |= {"estimate", "projection", "forecast", "ranking", "rating", "index", "chart", "math", "research", "record"}
QUANTIFIERS = {"some", "many", "most", "both", "all", "several", "few"}  # "Some of Clinton's allies"
FRACTIONS = {"half", "third", "quarter"}  # "A third of independents": a share of people, as "31%" is
# the endings of agent nouns ("hacker", "trader", "strategist", "historian"): a singular noun a
# "who" clause hangs on names a person when it has one (`SpanResolver._who_noun`)
AGENT_ENDINGS = ("er", "or", "ist", "ian")
# title words that say something of the description, not of the person: "Former Carson advisers"
KEPT_TITLE_WORDS = frozenset({"former", "vice"})
POSSESSIVE_S = re.compile(r"(?<=\w)['’]s\b")  # "Clinton's", "Clinton’s"
INDEFINITE = {"a", "an", "one", "another", "some", "several", "many", "two", "three", "other", "few"}


def _share(root) -> bool:
    """Whether `root` heads a share of people ("31% of Republicans", "Six in 10", "half of
    voters", "Some of Clinton's allies"): a percentage or a number other than "one" ("One
    of his advisers" is a person; "the 46-year-old", a date, is too), a fraction or a
    quantifier."""
    return (
        (root.ent_type_ in ("PERCENT", "CARDINAL") and root.lower_ != "one")
        or root.lemma_.lower() in FRACTIONS
        or root.lower_ in QUANTIFIERS
    )


def _relative_clause(pronoun):
    """The verb of the relative clause a "who"/"which" opens, when it hangs on a noun (the
    second of two clauses joined by "and" hangs on the first: "Cruz, who ..., and who ...")."""
    verb = pronoun.head
    while verb.dep_ == "conj" and verb.head.i != verb.i:
        verb = verb.head
    if verb.dep_ != "relcl" or verb.head.i == pronoun.i:
        return None
    return verb


# Texts that "say" things, as an organization does ("The letter said", "the bill says"): an
# organization's object of these may be the "it" that speaks next. Hand-picked from the
# documents and works of not_actor_nouns.txt (which also holds occasions, forecasts and
# policies, none of which speaks), with "bill", which is no entry there: the list is read by
# lemma, and the first name "Bill" would match it.
TEXTS_THAT_SPEAK = frozenset(
    {"letter", "memo", "memorandum", "report", "statement", "study", "document", "book", "article", "bill"}
    | {"law", "legislation", "filing", "lawsuit", "complaint", "indictment", "transcript", "email", "e-mail"}
    | {"tweet", "post", "ad", "advertisement", "video", "proposal", "survey", "poll", "analysis", "editorial"}
)


class SpanResolver:
    """Resolves character spans of one article to actors."""

    def __init__(
        self, doc, article_id: str, mentions: list[Mention], people: ArticlePeople, coreference: PersonCoreference
    ):
        self.doc = doc
        self.article_id = article_id
        self.mentions = mentions
        self.people = people
        self.coreference = coreference
        self._titles = word_list("titles.txt")
        self._roles = word_list("role_nouns.txt")
        self._groups = word_list("group_nouns.txt")
        self._organizations = word_list("organization_nouns.txt")
        self._not_actors = word_list("not_actor_nouns.txt")
        self._speech = word_list("speech_verbs.txt")
        self._people_nouns = self._roles | self._groups | word_list("holder_nouns.txt")
        self._actor_nouns = (
            self._people_nouns | self._organizations | word_list("actor_nouns_with_abstract_endings.txt")
        )

    def resolve(self, start: int, end: int) -> Resolution:
        """The actor the text between characters `start` and `end` refers to."""
        span = self.doc.char_span(start, end, alignment_mode="expand")
        if span is None or len(span) == 0:
            return Resolution(None, "unresolved")
        root = span.root
        person_at = self.people.person_at
        if len(span) == 1 and root.lower_ in ("who", "which") and _relative_clause(root) is not None:
            return self._relative_antecedent(root)
        if len(span) == 1 and root.lower_ == "they":
            return self._plural_antecedent(root)
        if len(span) == 1 and root.lower_ == "it":
            return self._organization_antecedent(root)
        if len(span) == 1 and root.lower_ in SINGULAR_PRONOUNS:
            person = self.coreference.pronoun(root.i)
            return Resolution(person.actor_id if person else None, "pronoun" if person else "unresolved")
        person = person_at.get(root.i) or next((person_at[t.i] for t in span if t.i in person_at), None)
        # a person the phrase names only as a modifier of its head ("Clinton's husband", "a
        # woman at one of Trump's rallies", a headline's "Trump's Campaign Manager") is not the
        # one it refers to; a possessed name is read as a mention first ("Obama's DOJ")
        modifier = (
            person
            if person is not None and root.i not in person_at and not self._named_in(root, person, "appos")
            else None
        )
        if person is not None and (
            root.i in person_at or (root.pos_ == "PROPN" and not self._named_in(root, person, "poss"))
        ):
            return Resolution(person.actor_id, "name")
        for m in self.mentions:
            if m.tok_start <= root.i < m.tok_end and m.actor_id:
                return Resolution(m.actor_id, "name")
        appositive = self._appositive_person(root)
        if appositive is not None:
            return Resolution(appositive.actor_id, "name")  # "his wife, longtime Clinton aide Huma Abedin,"
        first = span[0].lower_
        if (
            first not in INDEFINITE
            and (root.lemma_.lower() in self._roles or root.lower_ in self._roles)
            and root.tag_ not in ("NNS", "NNPS")
        ):
            holder = self.coreference.role(span, skip=modifier)
            if holder is not None:
                return Resolution(holder.actor_id, "role")
        if (
            person is not None
            and root.pos_ == "NOUN"
            and (root.tag_ in ("NNS", "NNPS") or self._collective(root))
            and not self._not_actor(root)  # "Palin's posts about ISIS", "Trump's comments": their author, below
        ):
            return self._described(span)  # "Clinton supporters", "Clinton's campaign"
        if modifier is not None and root.pos_ in ("NOUN", "PROPN") and self._people_noun(root):
            return self._described(span)  # "Clinton's husband", "Trump's campaign manager" no one else is given
        if (
            modifier is not None
            and not self._not_actor(root)
            and not self._abstract(root)
            and self._people_noun_above(modifier, root)
        ):
            return self._described(span)  # "one of the former prosecutors for David Petraeus": not Petraeus
        if person is not None and root.tag_ in ("NNS", "NNPS") and self._not_actor(root):
            if self._named_in(root, person, "poss"):
                return Resolution(person.actor_id, "name")  # "Palin's posts about ISIS", "Trump's comments"
            return Resolution(None, "unresolved")  # "Exit polls from the primary, which Mr. Trump won"
        if person is not None:
            return Resolution(person.actor_id, "name")  # "Rubio's press release", "Hoff's letter": its author
        for t in span:  # a name the NER missed ("Sir Iain added"): a known person's first or last name
            # a capitalised word a headline tagger took for a common noun counts ("Sanders:")
            if (t.pos_ == "PROPN" or (t.is_title and t.pos_ == "NOUN")) and t.lower_.rstrip(".") not in self._titles:
                person = self.coreference.by_word(t.lower_, span.start)
                if person is not None:
                    return Resolution(person.actor_id, "name")
        if root.pos_ in ("PRON", "DET") or all(t.is_stop or t.is_punct for t in span):
            return Resolution(None, "unresolved")
        if self._not_actor(root):  # "a new poll", "the email", "his eyes": no actor, unless a text names its author
            issuer = None if root.lemma_.lower() in MEASURES else self._issuer(root)
            return Resolution(issuer, "name") if issuer else Resolution(None, "unresolved")
        if self._abstract(root):
            return Resolution(None, "unresolved")  # "The decision", "his popularity", "Polling of union voters"
        if all(t.ent_type_ in QUANTITIES for t in span if not t.is_punct):
            return Resolution(None, "unresolved")  # "Twelve percent", "$2 million": no actor ("of voters" is)
        named = self._organization_named_before(noun_phrase(span))
        if named is not None:
            return Resolution(named, "role")
        return self._described(span)

    def resolve_each(self, start: int, end: int) -> list[Resolution]:
        """The actors a span lists, each resolved alone ("Ted Cruz and Marco Rubio",
        "Senators Ted Cruz and Marco Rubio", "Neither Cruz nor Christie", "Both Democrats and
        Republicans"), in text order; `[resolve(start, end)]` when it lists
        fewer than two actors. A plural noun's appositive list counts as the list
        ("Senators" names no one of its own)."""
        span = self.doc.char_span(start, end, alignment_mode="expand")
        if span is None:
            return [self.resolve(start, end)]
        head, last = span.root, span.end
        if head.tag_ in ("NNS", "NNPS") and head.pos_ == "NOUN":  # "Senators Ted Cruz and Marco Rubio"
            appos = next((c for c in head.children if c.dep_ == "appos" and c.i > head.i), None)
            if appos is not None:  # a speaker span ends before its appositive: the list is the span
                head, last = appos, max(last, appos.right_edge.i + 1)
        items = [head]
        while True:
            nxt = next((c for c in items[-1].children if c.dep_ == "conj" and c.i < last), None)
            if nxt is None:
                break
            items.append(nxt)
        if len(items) < 2 or not any(c.dep_ == "cc" for item in items[:-1] for c in item.children):
            return [self.resolve(start, end)]
        out: list[Resolution] = []
        for k, item in enumerate(items):
            rest = items[k + 1] if k + 1 < len(items) else None
            cut = {c.i for c in item.children if c.dep_ in ("cc", "preconj", "punct") and c.i > item.i}
            if rest is not None:
                cut |= {t.i for t in rest.subtree}
            toks = [t for t in item.subtree if t.i not in cut and span.start <= t.i < last and not t.is_punct]
            if k == 0 and head.i != span.root.i:
                toks = [t for t in toks if t.i > span.root.i]
            toks = [t for t in toks if t.dep_ != "preconj" and t.lower_ not in ("both", "neither", "either")]
            if not toks:
                return [self.resolve(start, end)]
            r = None
            if len(toks) == 1 and toks[0].pos_ == "PROPN" and k < len(items) - 1:
                # "Bill and Hillary Clinton": a first name that shares the last item's surname
                r = self._first_name_of_family(toks[0], items[-1])
            r = r or self.resolve(toks[0].idx, toks[-1].idx + len(toks[-1].text))
            if (
                r.actor_id
                and r.actor_id.startswith("person:")
                and "-" not in r.actor_id
                and is_first_name(toks[-1].text)
            ):
                return [self.resolve(start, end)]  # "Donald and Melania Trump": no "person:donald"
            if r.actor_id is None or r.actor_id.startswith("country:") or r.method not in ("name", "pronoun"):
                return [self.resolve(start, end)]  # "employers and insurers", "the businessman and reality star"
            if all(r.actor_id != o.actor_id for o in out):
                out.append(r)
        return out if len(out) >= 2 else [self.resolve(start, end)]

    def _first_name_of_family(self, first, last_item) -> Resolution | None:
        """The person the article names in full with first name `first` and the surname of
        `last_item` ("Bill" of "Bill and Hillary Clinton"), or None."""
        surname_word = last_item.text.lower()
        for person in self.people.persons:
            if any(len(n) > 1 and n[0].lower() == first.lower_ and surname(n) == surname_word for n in person.names):
                return Resolution(person.actor_id, "name")
        return None

    def _relative_antecedent(self, pronoun) -> Resolution:
        """ "who" or "which" of a relative clause: the actor named by the noun the clause hangs
        on ("Sen. Brian Schatz of Hawaii, who has spoken ...", "Republicans who say"), for
        "which" an organization or group only ("the Communications Workers of America, which
        endorsed Mr. Sanders"). For "who" the noun is first lifted to the head of its phrase
        (`_phrase_head`: the parser often hangs the clause on a word inside it, "Democrats
        across the country, who"); a noun reached so that names no one (a description) or a
        country leaves it unresolved."""
        ante = _relative_clause(pronoun).head
        if pronoun.lower_ == "who":
            ante = self._phrase_head(ante, pronoun)
        named = self.resolve(self.doc[ante.left_edge.i].idx, ante.idx + len(ante.text))
        if named.actor_id is None or named.actor_id.startswith("country:"):
            return Resolution(None, "unresolved")
        if named.method == "description":
            if pronoun.lower_ != "who" or not self._who_noun(ante):
                return Resolution(None, "unresolved")
            # the noun with its prepositional phrases: "A spokesman for the campaign, who", not
            # "A spokesman"; not the people listed with it ("partisans and thinkers who")
            ends = [ante.i] + [
                t.i
                for c in ante.rights
                if c.dep_ == "prep" and c.lower_ not in ("like", "including", "as") and c.i < pronoun.i
                for t in c.subtree
                if t.i < pronoun.i and not t.is_punct
            ]
            end = self.doc[max(ends)]
            named = self.resolve(self.doc[ante.left_edge.i].idx, end.idx + len(end.text))
            if named.actor_id is None or named.method != "description" or named.actor_id.startswith("organization:"):
                return Resolution(None, "unresolved")  # "who" is people: never "the Trump campaign"
            return Resolution(named.actor_id, "pronoun", new_actor=named.new_actor)
        if pronoun.lower_ == "which" and not named.actor_id.startswith(COLLECTIVES):
            return Resolution(None, "unresolved")
        return Resolution(named.actor_id, "pronoun")

    def _who_noun(self, noun) -> bool:
        """Whether a common noun a "who" clause hangs on reads as people, so that the
        description it heads is who spoke: a listed people noun, a plural ("lawmakers who
        thought", "their editors, who") or an agent noun ("a Romanian hacker who"); not a
        share ("18% who say") nor a thing the parser hung the clause on ("a fierce battle
        that will test the neophyte -- who")."""
        if noun.pos_ != "NOUN" or _share(noun):
            return False
        if self._people_noun(noun) or noun.tag_ == "NNS":
            return True
        return noun.lower_.endswith(AGENT_ENDINGS) and not self._not_actor(noun)

    def _phrase_head(self, noun, pronoun):
        """The noun a "who" clause describes when the parser hung it on a word inside the
        phrase: from a place, a named organization or a thing (not a people or organization
        noun such as "campaign") that is the object of a preposition up to the noun the
        preposition modifies ("Allan Lichtman, a professor at American
        University who", "Democrats across the country, who"; from people to people only when
        a comma sets the clause off: "the girlfriend of his best friend, who"); from an
        appositive up to the name it describes ("Gov. Terry Branstad, a Republican who"); from
        a predicate noun to a subject that names someone ("Trump is a bully who")."""
        person_at = self.people.person_at
        comma = pronoun.i > 0 and self.doc[pronoun.i - 1].text == ","
        for _ in range(4):
            if noun.i in person_at:
                break
            up = noun.head.head
            if noun.dep_ == "pobj" and noun.head.dep_ == "prep" and up.pos_ in ("NOUN", "PROPN"):
                if noun.pos_ == "PROPN" and noun.ent_type_ not in ("ORG", "GPE", "LOC", "FAC"):
                    break  # "the Tea Party Republicans who": a name of people
                people = noun.pos_ != "PROPN" and self._people_noun(noun)
                if people and not (comma and up.pos_ == "NOUN" and self._people_noun(up)):
                    break  # "dozens of women who", "a lecture from the Mexican president, who"
                noun = up
            elif noun.dep_ == "appos" and noun.head.pos_ in ("NOUN", "PROPN"):
                noun = noun.head
            elif noun.dep_ == "attr" and noun.head.lemma_ == "be":
                subject = next((c for c in noun.head.children if c.dep_ == "nsubj"), None)
                if subject is None or not (subject.i in person_at or subject.pos_ in ("PROPN", "PRON")):
                    break
                noun = subject
            else:
                break
        return noun

    def _plural_antecedent(self, they) -> Resolution:
        """ "they said": the group or organization named by the nearest earlier plural subject
        ("Clinton aides", "Democrats"): the last one before "they" in its sentence, else the
        first of the closest of the two sentences before that has one. A subject inside a
        quote is a speaker's words and does not count; a subject naming no group or
        organization leaves "they" unresolved."""
        doc = self.doc
        own_quote = self.coreference.quote_at(they.idx)
        for k, s in enumerate(sentences_back(doc, they.i, 2)):
            subjects = [
                t
                for t in doc[s.start : they.i if k == 0 else s.end]
                if t.dep_ in ("nsubj", "nsubjpass")
                and (t.tag_ in ("NNS", "NNPS") or any(c.dep_ == "conj" for c in t.children))
                and self.coreference.quote_at(t.idx) in (None, own_quote)
            ]
            if not subjects:
                continue
            t = subjects[-1] if k == 0 else subjects[0]
            if any(c.dep_ == "conj" for c in t.children):
                return Resolution(None, "unresolved")  # "Clinton and Sanders ...; they said": no one actor
            end = t  # the subject's phrase up to its prepositions ("Six Gannett newspapers in New Jersey"),
            for c in t.rights:  # as a speaker span is cut: before an appositive, a comma or a clause
                if c.dep_ != "prep":
                    break
                end = c.right_edge
            named = self.resolve(doc[t.left_edge.i].idx, end.idx + len(end.text))
            people_noun = t.lemma_.lower() in self._people_nouns or t.lower_ in self._people_nouns
            if (
                named.actor_id
                and named.actor_id.startswith(COLLECTIVES)
                and (named.method != "description" or people_noun)
            ):
                return Resolution(named.actor_id, "pronoun", new_actor=named.new_actor)
            return Resolution(None, "unresolved")
        return Resolution(None, "unresolved")

    def _organization_antecedent(self, it) -> Resolution:
        """ "it said": the organization named by the nearest earlier singular subject ("The
        Post reported that ... It added", "Trump's campaign backtracked ... it said"): the last
        one before "it" in its sentence, else the first of the closest of the two sentences
        before that has one, as for "they". Only when "it" is the subject of a verb of saying
        (not "it's fair to say", "it gets better") and the subject names an organization,
        by name or by description; anything else (a memo, a post, the Dow) leaves it
        unresolved, and so does a thing the organization's verb takes as object, which "it"
        may be as well ("The Senate passed the bill. It says")."""
        doc = self.doc
        verb = it.head
        if (
            it.dep_ != "nsubj"
            or verb.lemma_.lower() not in self._speech
            or any(c.dep_ == "expl" for c in verb.children)
        ):
            return Resolution(None, "unresolved")
        own_quote = self.coreference.quote_at(it.idx)
        for k, s in enumerate(sentences_back(doc, it.i, 2)):
            subjects = [
                t
                for t in doc[s.start : it.i if k == 0 else s.end]
                if t.dep_ in ("nsubj", "nsubjpass")
                and t.tag_ in ("NN", "NNP")
                and t.lower_ not in ("it", "this", "that")
                and self.coreference.quote_at(t.idx) in (None, own_quote)
            ]
            if not subjects:
                continue
            t = subjects[-1] if k == 0 else subjects[0]
            if any(self._text_object(c) for c in t.head.children):
                return Resolution(None, "unresolved")  # "The Senate passed the bill. It says": the bill may speak
            named = self.resolve(doc[t.left_edge.i].idx, t.idx + len(t.text))
            if named.actor_id and named.actor_id.startswith("organization:"):
                return Resolution(named.actor_id, "pronoun", new_actor=named.new_actor)
            return Resolution(None, "unresolved")
        return Resolution(None, "unresolved")

    def _text_object(self, tok) -> bool:
        """A singular text the verb takes as its object, which may speak in turn ("sent a
        letter", "passed the bill"): TEXTS_THAT_SPEAK. Not an occasion, a forecast or a policy
        ("held a rally", "cut its forecast": "it said" is still the organization), nor an
        abstract thing ("denied any role")."""
        return tok.dep_ == "dobj" and tok.tag_ == "NN" and tok.pos_ == "NOUN" and tok.lemma_.lower() in TEXTS_THAT_SPEAK

    def _appositive_person(self, root):
        """The person an appositive of a singular common noun names ("his wife, longtime
        Hillary Clinton aide Huma Abedin, announced"), or None. A plural's appositive lists
        several ("Two objectors, Lawrence Joyce and William Graham"): none of them alone."""
        if root.pos_ != "NOUN" or root.tag_ != "NN" or self._collective(root):
            return None  # "The couple, Bill and Hillary Clinton,": no one person
        person_at = self.people.person_at
        for child in root.children:
            if (
                child.dep_ == "appos"
                and not any(c.dep_ == "conj" for c in child.children)
                and not any(t.text == ":" for t in self.doc[root.i : child.left_edge.i])  # not a headline's "Reid: ..."
            ):
                person = person_at.get(child.i)
                if person is not None:
                    return person
        return None

    def _organization_named_before(self, span) -> str | None:
        """The organization a definite description refers back to: "the union" after "the
        Service Employees International Union", "the national committee" after "the
        Republican National Committee". The organization last named before the span whose
        name ends in the description's head noun and holds its other words; None when the
        span is not "the" and a singular noun of `organization_nouns.txt` (its modifiers
        optional)."""
        root = span.root
        if span[0].lower_ != "the" or root.pos_ != "NOUN" or root.tag_ != "NN" or root.i != span.end - 1:
            return None
        if root.lower_ not in self._organizations:  # "the union", "the party"; not "the movie"
            return None
        modifiers = [t.lower_ for t in span[1:-1]]
        if any(t.pos_ not in ("ADJ", "NOUN", "PROPN") for t in span[1:-1]):
            return None
        for m in reversed(self.mentions):
            if m.tok_end > span.start or not (m.actor_id or "").startswith("organization:"):
                continue
            words = [t.lower_ for t in self.doc[m.tok_start : m.tok_end]]
            if words[-1] == root.lower_ and all(w in words for w in modifiers):
                return m.actor_id
        return None

    def _abstract(self, root) -> bool:
        """Whether `root` is a common noun with an abstract noun's ending (`ABSTRACT_ENDING`)
        that names no people or body: the listed actor nouns do not count, nor does a
        capitalised word inside a sentence, nor a capitalised first word no dictionary holds
        ("Hannity", which the tagger took for a noun)."""
        lemma = root.lemma_.lower()
        if root.pos_ != "NOUN" or len(lemma) < 5:
            return False
        if root.is_title and (root.i != root.sent.start or not is_dictionary_word(root.doc.vocab, lemma)):
            return False
        return (
            bool(ABSTRACT_ENDING.search(lemma))
            and lemma not in self._actor_nouns
            and root.lower_ not in self._actor_nouns
        )

    def _issuer(self, root) -> str | None:
        """The organization or person a text names as its author: its possessor ("Kantar
        Media's ad tracker", "the Justice Department's guidelines") or the object of "from"
        or "by" ("a letter from the American Legion", "a 2009 report by the Center
        for Economic and Policy Research"); None when it names none."""
        for c in root.children:
            if c.dep_ == "poss":  # not a name modifying it: "a YouTube video", "FEC filings" are no one's
                heads = [c]
            elif c.dep_ == "prep" and c.lower_ in ("from", "by"):
                heads = [p for p in c.children if p.dep_ == "pobj"]
            else:
                continue
            for h in heads:
                person = self.people.person_at.get(h.i)
                if person is not None:
                    return person.actor_id
                named = next((m.actor_id for m in self.mentions if m.tok_start <= h.i < m.tok_end and m.actor_id), None)
                if named and named.startswith("organization:"):
                    return named
        return None

    def _people_noun_above(self, person, root) -> bool:
        """Whether a common noun stands between a person named inside a phrase and the
        phrase's head, the person hanging on it ("one of the former prosecutors for David
        Petraeus"): the phrase names whoever that noun is, not the person. A text ("one of
        the emails from Clinton": hers) or an abstract noun does not count."""
        at = [i for i in person.positions if root.left_edge.i <= i <= root.right_edge.i]
        for i in at:
            t = self.doc[i].head
            for _ in range(6):
                if t.i == root.i or t.head.i == t.i:
                    break
                if t.pos_ == "NOUN" and not self._not_actor(t) and not self._abstract(t):
                    return True  # a people noun, listed or not ("prosecutors"); not a text or an abstraction
                t = t.head
        return False

    def _not_actor(self, root) -> bool:
        """A head noun of `not_actor_nouns.txt`: a document, work, occasion or measure."""
        return root.lemma_.lower() in self._not_actors or root.lower_ in self._not_actors

    def _people_noun(self, root) -> bool:
        """A head noun naming people or a body: a role, group, holder or organization noun."""
        return any(w in self._people_nouns or w in self._organizations for w in (root.lemma_.lower(), root.lower_))

    def _named_in(self, root, person, dep: str) -> bool:
        """Whether `person` is named under a child of `root` with dependency `dep`: "appos"
        ("his best friend, Bruce Turry"), "poss" ("Obama's DOJ")."""
        person_at = self.people.person_at
        return any(c.dep_ == dep and any(person_at.get(t.i) is person for t in c.subtree) for c in root.children)

    def _collective(self, root) -> bool:
        lemma = root.lemma_.lower()
        return lemma in self._groups or lemma in self._organizations or root.lower_ in self._groups

    def _described(self, span) -> Resolution:
        actor = self._described_actor(noun_phrase(span))
        return Resolution(actor.actor_id, "description", new_actor=actor)

    def _described_actor(self, span) -> Actor:
        """An actor described rather than named: "a UK Government source" (person), "Whitehall
        insiders" (group), "the Clinton campaign" (organization). A description built on a
        name is written with that name in full; a group's or an organization's then gets an
        id shared across articles ("Clinton's campaign", "Clinton supporters"), a person's
        stays its article's ("a spokesman for Bernie Sanders", "Trump's campaign manager"
        name different people in different articles), as do other descriptions."""
        root = span.root
        if root.tag_ in ("NN", "NNP") and root.lower_ in table("party_names.tsv"):
            kind = "person"  # "a Kentucky Republican", "a Democrat in the House": a party's member
        elif (
            root.lemma_.lower() in self._organizations
            or root.lower_ in self._organizations
            or (root.pos_ == "PROPN" and root.ent_type_ and root.ent_type_ != "PERSON")
        ):
            kind = "organization"  # "the Clinton campaign", "the Arizona Republic" (a name NER took for a place)
        elif root.tag_ in ("NNS", "NNPS") or root.lower_ in self._groups or _share(root):
            kind = "group"  # "Whitehall insiders", "31% of Republicans", "Six in 10"
        else:
            kind = "person"
        name, anchored = self._description_text(span)
        country = single_country_in(list(span))
        shared = anchored and kind != "person"
        actor_id = f"{kind}:{shared_slug(name)}" if shared else f"{kind}:{slug(name)}@{self.article_id}"
        return Actor(actor_id, name, kind, country)

    def _description_text(self, span) -> tuple[str, bool]:
        """The span's text with each person named in it (its head excepted) written by their
        full name, and whether it names anyone."""
        doc, person_at, root = self.doc, self.people.person_at, span.root
        parts, anchored, i = [], False, span.start
        while i < span.end:
            person = person_at.get(i)
            if person is not None and i != root.i:
                j = i
                while j < span.end and person_at.get(j) is person:
                    j += 1
                possessive = doc[j - 1].text if doc[j - 1].tag_ == "POS" else ""
                parts.append(person.display + possessive + doc[j - 1].whitespace_)
                anchored, i = True, j
                continue
            word = doc[i].lower_.rstrip(".")
            if (
                (word in HONORIFICS or word in self._titles)
                and word not in KEPT_TITLE_WORDS
                and person_at.get(i + 1) is not None
                and i + 1 != root.i
            ):
                i += 1  # "Mr. Sanders's campaign", "Sen. Cruz's campaign": the full name stands for both
                continue
            parts.append(doc[i].text_with_ws)
            i += 1
        return strip_possessive("".join(parts).strip(" ,.;:\"“”'’")).strip(" ,"), anchored


def shared_slug(name: str) -> str:
    """The id part of a description built on a name, the same however the article joins the
    name to its noun: "The Hillary Clinton campaign", "Hillary Clinton's campaign" and
    "Hillary Clinton campaign" are hillary-clinton-campaign, "Trump's supporters" and "Trump
    supporters" donald-trump-supporters."""
    return slug(re.sub(r"^the\s+", "", POSSESSIVE_S.sub("", name), flags=re.IGNORECASE))


def noun_phrase(span):
    """`span` without what makes it a clause: a relative clause (", who highlighted ..."),
    a quote after its head word, and the punctuation and conjunctions left at its end."""
    doc, root = span.doc, span.root
    end = span.end
    for t in span:
        if t.i <= root.i:
            continue
        if t.dep_ == "relcl" or t.tag_ in ("WDT", "WP", "WP$"):
            end = min(end, min(x.i for x in t.subtree) if t.dep_ == "relcl" else t.i)
        elif t.is_quote:
            end = min(end, t.i)
    while end > span.start + 1 and (doc[end - 1].is_punct or doc[end - 1].pos_ in ("CCONJ", "SCONJ")):
        end -= 1
    return span if end == span.end else doc[span.start : end]

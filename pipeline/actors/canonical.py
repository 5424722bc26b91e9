"""One actor across articles: the short forms an article leaves on their own ("Obama",
"Mr. Trump" in an article that never gives the full name, "Donald J. Trump") joined to the
corpus's full-name actor, when that is unambiguous.

Within an article, `people.ArticlePeople` already gives a surname or titled form to the
full name the article uses. What is left is decided here, over the whole warehouse
(`article_actors`), by actor id (ids are slugs of the names):

- **surname**: a one-word person ("person:obama") joins the full-name person with that
  surname that is in at least two articles and in at least twice as many articles as the
  next one ("Barack Obama" over "Michelle Obama"); otherwise it stays as it is, ambiguous
  (Bill and Hillary Clinton in a corpus that names both as often).
- **first_name**: the same for a one-word first name ("Hillary"), when no surname matches
  and the full name is in twice as many articles as all the people with that word as their
  surname.
- **full_name**: a full name with extra middle words ("Donald J. Trump") joins the two-word
  name with the same first and last word ("Donald Trump") when that one dominates every
  form of it; never a "Jr." or "III".
- **nickname**: a formal name with a middle initial ("Charles E. Grassley", "Joseph R. Biden
  Jr.") joins the two-word name with the same surname and another form of the first name
  ("Chuck Grassley", "Joe Biden"; the `nicknames` package's table) when that one dominates
  and is in more articles; a "Jr." may be kept or dropped, never a "III".
- **name_in_span**: a person whose name holds a full name and more words (a headline
  or list the tagger ran across: "Donald Trump Leads", "Billionaire Donald Trump", "Ted
  Cruz—35") joins that full name when it is in at least five times as many articles;
  never a "Jr." or "III".
- **person_name**: a one-word organisation that is such a surname joins the person when it
  is only ever named in capitals ("TRUMP" tagged as an organisation in a headline), or
  when the person is in at least five times as many articles ("Trump" tagged ORG in
  articles that never give the full name). A company that shares a frequent politician's
  surname would be joined too: a coder keeps it apart (`stancewire review`).

- **acronym**: an organization some articles write only as an acronym ("organization:fsa")
  joins the organization the articles that name it in full link that acronym to (the
  actor step's `entities.link_acronyms`: "the Free Syrian Army ... the FSA"), when they
  link it to one organization only.

Ids stay stable as the warehouse grows: an alias, once made, is kept (`auto_aliases`, in
the warehouse file; a new warehouse decides again), and the published `actor_aliases`
table maps every old id to the id it now belongs to, so releases made before can be
joined to later ones. A coder's merges (`stancewire review`) come on top: one can also
keep an alias apart (merge an id into itself: `pipeline.review.apply.merge_map`).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict

from pipeline.actors.records import surname
from pipeline.storage.warehouse import insert_values

GENERATIONS = {"jr", "sr", "ii", "iii", "iv"}  # "Joseph Kennedy Jr." is not Joseph Kennedy
DOMINANCE = 2.0  # the chosen full name is in this many times more articles than the next
MIN_ARTICLES = 2  # ... and in at least this many
ORGANISATION_AS_SURNAME = 5.0  # a one-word organisation is a person in this many times fewer articles
FRAGMENT = 5.0  # a name run into other words is the full name in this many times more articles
ACRONYM_SLUG = re.compile(r"[a-z]{2,6}")  # the slug of an acronym ("fsa"; "nato" is listed, never one)


def _words(actor_id: str) -> list[str]:
    return actor_id.split(":", 1)[1].split("-")


def propose(counts: dict[str, int], known: set[str], capitals: set[str] = frozenset()) -> dict[str, tuple[str, str]]:
    """{alias id: (canonical id, rule)} for the ids of `counts` (actor id -> articles)
    that are not in `known` (already aliases or the target of one); `capitals`: the ids
    only ever named in capitals (headlines)."""
    people = {a: n for a, n in counts.items() if a.startswith("person:") and "@" not in a}
    full = {a: n for a, n in people.items() if len(_words(a)) >= 2}
    by_last, by_first, by_ends = defaultdict(list), defaultdict(list), defaultdict(list)
    for a, n in full.items():
        w = _words(a)
        by_last[w[-1]].append((n, a))
        by_first[w[0]].append((n, a))
        by_ends[(w[0], w[-1])].append((n, a))
    two_word = defaultdict(list)  # surname -> (articles, id, first name, generation) of the two-word names
    for b, m in full.items():
        w = _words(b)
        name = [x for x in w if x not in GENERATIONS]
        if len(name) == 2:
            two_word[name[1]].append((m, b, name[0], w[-1] if w[-1] in GENERATIONS else None))
    out: dict[str, tuple[str, str]] = {}

    def dominant(options: list[tuple[int, str]]) -> str | None:
        ranked = sorted(options, reverse=True)
        if not ranked or ranked[0][0] < MIN_ARTICLES:
            return None
        if len(ranked) > 1 and ranked[0][0] < DOMINANCE * ranked[1][0]:
            return None
        return ranked[0][1]

    for a in counts:
        if a in known or "@" in a:
            continue
        kind, words = a.split(":", 1)[0], _words(a)
        target, rule = None, None
        if kind == "person" and len(words) == 1:
            target, rule = dominant(by_last.get(words[0], [])), "surname"
            rivals = sum(n for n, _ in by_last.get(words[0], []))  # people with that word as surname
            if target is None:
                target, rule = dominant(by_first.get(words[0], [])), "first_name"
                if target is not None and counts[target] < DOMINANCE * rivals:
                    target = None  # "Kelly": Megyn Kelly is as likely as Kelly Ayotte
        elif (
            kind == "person"
            and len(words) >= 3
            and _has_initial(words)
            and (target := dominant(_first_name_forms(a, words, two_word, counts[a]))) is not None
        ):
            # "Charles E. Grassley", "Joseph R. Biden Jr.": a formal name (with an initial) of a
            # person the corpus mostly names by another form of the first name ("Chuck
            # Grassley", "Joe Biden"), or by the same first name without the initial
            rule = "nickname"
        elif kind == "person" and len(words) >= 3 and not set(words) & GENERATIONS:
            # the two-word form of the same first and last name, when it dominates every other
            # form (George H. W. Bush is not George W. Bush: neither is a two-word name)
            same = [(n, b) for n, b in by_ends.get((words[0], words[-1]), []) if b != a]
            short = [(n, b) for n, b in same if len(_words(b)) == 2 and n > counts[a]]
            target = dominant(same) if short and dominant(same) == max(short)[1] else None
            rule = "full_name"
            if target is None:
                target, rule = _full_name_within(words, full, counts[a]), "name_in_span"
        elif kind == "organization" and len(words) == 1:
            target, rule = dominant(by_last.get(words[0], [])), "person_name"
            if target is not None and a not in capitals and counts[target] < ORGANISATION_AS_SURNAME * counts[a]:
                target = None
        if target is not None:
            out[a] = (target, rule)
    return out


def _has_initial(words: list[str]) -> bool:
    """Whether a name has a middle initial ("charles-e-grassley"): a one-letter word
    between its first and last word."""
    return any(len(w) == 1 for w in words[1:-1])


@functools.cache
def _nicknames():
    from nicknames import NickNamer

    return NickNamer()


def _first_name_forms(a: str, words: list[str], two_word: dict, n: int) -> list[tuple[int, str]]:
    """(articles, id) of the two-word names (`two_word`: by surname), in more articles than
    `n`, of the same surname with another form of the first name ("Chuck" for "Charles",
    "Joe" for "Joseph": the `nicknames` package's hand-curated table), a "Jr." kept or
    dropped. A "III" is another person ("Ronald Johnson III" is no Ron Johnson); the same
    first name is `full_name`'s."""
    generation = words[-1] if words[-1] in GENERATIONS else None
    if generation not in (None, "jr"):
        return []
    first, last = words[0], surname(tuple(words))  # a generational suffix dropped
    candidates = two_word.get(last, ())
    if not candidates:
        return []
    forms = (_nicknames().nicknames_of(first) | _nicknames().canonicals_of(first)) - {first}
    return [
        (m, b)
        for m, b, name_first, their_generation in candidates
        if b != a and m > n and name_first in forms and their_generation in (None, generation)
    ]


def _full_name_within(words: list[str], full: dict[str, int], n: int) -> str | None:
    """The longest full name (two words or more) that `words` hold as a run, when it is in
    FRAGMENT times `n` articles or more."""
    found = []
    for k in range(len(words) - 1, 1, -1):
        for i in range(len(words) - k + 1):
            b = "person:" + "-".join(words[i : i + k])
            if full.get(b, 0) >= max(FRAGMENT * n, MIN_ARTICLES):
                found.append((k, full[b], b))
    return max(found)[2] if found else None


def acronym_aliases(conn, counts: dict[str, int], known: set[str]) -> dict[str, tuple[str, str]]:
    """{acronym id: (organization id, "acronym")}: an organization written as an acronym
    ("organization:fsa") joins the one organization that other articles' mentions of the
    same acronym ("FSA", "the FSA's") were linked to (`entities.link_acronyms`)."""
    forms: dict[str, str] = {}
    for a in counts:
        kind, slug_ = a.split(":", 1)
        if kind == "organization" and a not in known and ACRONYM_SLUG.fullmatch(slug_):
            letters = slug_.upper()
            for form in (letters, f"the {letters}", f"The {letters}"):
                forms[form] = forms[form + "'s"] = forms[form + "\u2019s"] = a
    if not forms:
        return {}
    linked: dict[str, set[str]] = defaultdict(set)
    for text, actor_id in conn.execute(
        "SELECT DISTINCT text, actor_id FROM mentions "
        "WHERE label = 'ORG' AND actor_id LIKE 'organization:%' AND text IN (SELECT unnest(?::VARCHAR[]))",
        [list(forms)],
    ).fetchall():
        if actor_id != forms[text] and actor_id in counts:
            linked[forms[text]].add(actor_id)
    return {a: (next(iter(ids)), "acronym") for a, ids in linked.items() if len(ids) == 1}


def update_auto_aliases(conn) -> dict[str, tuple[str, str]]:
    """Add the aliases the warehouse now supports to `auto_aliases` (kept ones are never
    taken back) and return all of them: {alias id: (canonical id, rule)}."""
    kept = {a: (b, r) for a, b, r in conn.execute("SELECT alias_id, actor_id, rule FROM auto_aliases").fetchall()}
    counts = dict(
        conn.execute(
            "SELECT actor_id, count(DISTINCT article_id) FROM article_actors WHERE actor_id NOT LIKE '%@%' GROUP BY 1"
        ).fetchall()
    )
    capitals = {
        a
        for (a,) in conn.execute(
            "SELECT actor_id FROM article_actors WHERE actor_id LIKE 'organization:%' GROUP BY 1 "
            "HAVING bool_and(name = upper(name) AND length(name) > 3)"
        ).fetchall()
    }
    # an id already aliased is decided; the target of an alias may join another actor in turn
    # ("Donald J. Trump Foundation" -> "Donald J. Trump" -> "Donald Trump"): the chains are
    # followed where the aliases are applied (`pipeline.review.apply.merge_map`)
    known = set(kept)
    proposed = propose(counts, known, capitals)
    proposed.update({a: v for a, v in acronym_aliases(conn, counts, known).items() if a not in proposed})
    new = _without_cycles(kept, proposed)
    if new:
        insert_values(conn, "auto_aliases", [[a, b, r] for a, (b, r) in sorted(new.items())])
    return {**kept, **new}


def _without_cycles(kept: dict[str, tuple[str, str]], proposed: dict[str, tuple[str, str]]) -> dict:
    """The proposed aliases that lead nowhere back to themselves, followed through the kept
    ones and those taken before them (in id order)."""
    links = {a: b for a, (b, _) in kept.items()}
    out = {}
    for a, (b, rule) in sorted(proposed.items()):
        target, seen = b, {a}
        while target in links and target not in seen:
            seen.add(target)
            target = links[target]
        if target in seen:
            continue
        links[a] = b
        out[a] = (b, rule)
    return out

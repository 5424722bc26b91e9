"""Which codebook targets can reach an article: the coding fingerprint that lets a codebook
edit re-code only the articles it can change (`warehouse_wide.run_stances`).

The stance coder reads the codebooks through `pipeline.stances.coder.TargetMatcher` only: a
term is found where each of its words' keys ({folded lemma, lower form} and the variants of
resources/target_variants.tsv) meets a token's keys {folded lemma, lower form}; a person
target is also found through the words of the article's actor names (its surnames, the
other words of its name terms, `in_name`). So each coded article keeps its *scope*: its
tokens' keys and its actors' name words (table `coding_scope`, written with its statements).
Its fingerprint lists, in codebook order, only the targets that can reach it, each with its
codebook's name and stance labels, its id, whether it is a person, its terms whose every
word the article holds, and the part of its head nouns and name words the article holds.
An edit to a target that cannot reach an article leaves the article's fingerprint as it
was. The codebooks' versions label statements and nothing else: they are a second part of
the fingerprint, and a version alone changed is written into the stored statements.
An article with no stored scope takes every target in full (re-coded on any edit).

How TargetMatcher keys a term needs the spaCy model: `target_structure` (a worker) keys
each target's terms exactly as the matcher does (a test holds the two together), and the
result is kept in `coding_terms` by model, code and terms.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from pipeline.nlp.lexicon import fold


def target_structure(nlp, terms) -> dict:
    """What TargetMatcher takes from one target's terms (parsed together, as it does):
    `entries`, each term's word key sets and its head lemma when it is also found by its
    head noun; `person`, the lower forms of its name terms; `proper`, those of its terms of
    proper nouns in any case (the names of a target declared a person)."""
    from pipeline.stances.coder import _variants, is_name_term

    entries, person, proper = [], [], []
    for doc in nlp.pipe(list(terms)):
        toks = [t for t in doc if not t.is_punct]
        words = [sorted({fold(t.lemma_), t.lower_} | _variants().get(fold(t.lemma_), frozenset())) for t in toks]
        if not words:
            continue
        head = fold(toks[-1].lemma_) if len(toks) > 1 and toks[-1].pos_ == "NOUN" else None
        entries.append([words, head])
        if is_name_term(toks):
            person.append([t.lower_ for t in toks if t.pos_ == "PROPN"])
        if is_name_term(toks, declared_person=True):
            proper.append([t.lower_ for t in toks if t.pos_ == "PROPN"])
    return {"entries": entries, "person": person, "proper": proper}


def approximate_structure(terms) -> dict:
    """A guess at `target_structure` without the model (lower-cased words), for estimates only."""
    return {
        "entries": [[[[fold(w), fold(w).rstrip(".")] for w in t.split()], None] for t in terms],
        "person": [],
        "proper": [],
    }


def name_words(name: str) -> set[str]:
    """The words of an actor's name as TargetMatcher compares them with a person target's
    (`_name_match`: folded, without a final full stop; `in_name`: without 's and hyphens)."""
    f = fold(name)
    words = {w.rstrip(".") for w in f.split()}
    words |= set(f.replace("'s", " ").replace("’s", " ").replace("-", " ").split())
    return words


def article_scope(doc, actors) -> str:
    """An article's scope (JSON): its tokens' keys and the words of its actors' names, after
    coding (`actors`: the `ArticleActors` the coder used)."""
    from pipeline.stances.coder import token_strings

    lowers, lemmas = token_strings(doc, ("LOWER", "LEMMA"))
    tokens = set(lowers) | {fold(lemma) for lemma in lemmas}
    names: set[str] = set()
    for actor in actors.actors.values():
        names |= name_words(actor.name)
    return json.dumps({"tokens": sorted(tokens), "names": sorted(names)}, ensure_ascii=False)


def code_scoped(article_id: str, doc, quotes: list, matcher, align, actors=None) -> tuple[list[dict], list[dict], str]:
    """`pipeline.stances.rows.code_doc`'s statement rows and actor references, and the
    article's scope (`actors`: as for code_doc)."""
    from pipeline.stances.rows import code_doc

    statements, references, actors = code_doc(article_id, doc, quotes, matcher, align, actors)
    return statements, references, article_scope(doc, actors)


@dataclass(frozen=True)
class _Target:
    book: str
    stances: tuple[str, ...]
    version: str
    id: str
    entries: tuple[tuple[tuple[frozenset[str], ...], str | None], ...]
    heads: frozenset[str]
    is_person: bool
    surnames: frozenset[str]
    known: frozenset[str]
    lasts: frozenset[str]

    def reach(self, tokens: frozenset[str] | None, names: frozenset[str] | None) -> list | None:
        """What of the target the article can see (None: nothing, the target cannot reach it);
        everything when the article's scope is unknown."""
        entries = [e for e in self.entries if tokens is None or all(w & tokens for w in e[0])]
        surnames, lasts = (self.surnames, self.lasts) if names is None else (self.surnames & names, self.lasts & names)
        if not entries and not surnames and not lasts:
            return None
        return [
            [[[sorted(w) for w in words], head] for words, head in entries],
            sorted(self.heads if tokens is None else self.heads & tokens),
            self.is_person,
            sorted(surnames),
            sorted(self.known if names is None else self.known & names),
            sorted(lasts),
        ]


class Scope:
    """The codebooks as the fingerprint of each article sees them."""

    def __init__(self, model_id: str, code_fp: str, books, structures: dict[tuple[str, str], dict]):
        self.base = [model_id, code_fp]
        self.targets = []
        for b in books:
            for t in b.targets:
                s = structures[(b.name, t.id)]
                # as TargetMatcher: none when declared no person, any term of proper nouns when declared one
                names = {False: [], True: s.get("proper", []), None: s["person"]}[t.person]
                person = [tuple(p) for p in names]
                self.targets.append(
                    _Target(
                        b.name,
                        tuple(b.stances),
                        b.version,
                        t.id,
                        tuple((tuple(frozenset(w) for w in words), head) for words, head in s["entries"]),
                        frozenset(head for _, head in s["entries"] if head is not None),
                        bool(person),
                        frozenset(p[-1].rstrip(".") for p in person),
                        frozenset(w.rstrip(".") for p in person for w in p),
                        frozenset(p[-1] for p in person),
                    )
                )
        self.versions = {b.name: b.version for b in books}

    def fingerprint(self, text_sha256: str, scope: str | None) -> str:
        """'<coding>:<versions>': the article's coding (model, code, text and the targets that
        reach it), and the versions of those targets' codebooks."""
        tokens = names = None
        if scope is not None:
            data = json.loads(scope)
            tokens, names = frozenset(data["tokens"]), frozenset(data["names"])
        reached, versions = [], {}
        for t in self.targets:
            seen = t.reach(tokens, names)
            if seen is not None:
                reached.append([t.book, list(t.stances), t.id, seen])
                versions[t.book] = t.version
        coding = _sha([self.base, text_sha256, reached])
        return f"{coding}:{_sha(sorted(versions.items()))}"


def same_coding(a: str | None, b: str) -> bool:
    """Whether two fingerprints (`Scope.fingerprint`) agree on everything but the versions."""
    return a is not None and ":" in a and a.split(":")[0] == b.split(":")[0]


def _sha(value) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode()).hexdigest()


def terms_key(model_id: str, code_fp: str, terms) -> str:
    """The key of a target's structure in `coding_terms`."""
    return _sha([model_id, code_fp, list(terms)])


def _structures_job(terms_lists: list[list[str]]) -> list[str]:
    """In a worker (`pool.init` done): each target's `target_structure`, as JSON."""
    from pipeline.steps import pool

    nlp = pool.state()["nlp"]
    return [json.dumps(target_structure(nlp, terms), ensure_ascii=False) for terms in terms_lists]


def load_scope(conn, config, books, compute: bool = True) -> Scope:
    """The codebooks' `Scope` for `config` (a `WorkerConfig`): each target's structure from
    `coding_terms`, the missing ones computed in a worker and kept (or, with compute=False,
    guessed: for an estimate)."""
    from pipeline.nlp.model import model_id_for
    from pipeline.steps.pool import run_chunks
    from pipeline.storage.warehouse import insert_values  # here: the spaCy workers code without DuckDB

    model = model_id_for(config.model_name)
    keys = {(b.name, t.id): terms_key(model, config.code_fp, t.terms) for b in books for t in b.targets}
    terms = {terms_key(model, config.code_fp, t.terms): list(t.terms) for b in books for t in b.targets}
    found = dict(
        conn.execute(
            "SELECT key, structure FROM coding_terms WHERE key IN (SELECT unnest(?::VARCHAR[]))", [sorted(terms)]
        ).fetchall()
    )
    missing = sorted(k for k in terms if k not in found)
    if missing and compute:
        [made] = list(run_chunks(config, 1, _structures_job, [([terms[k] for k in missing],)]))
        new = dict(zip(missing, made, strict=True))
        insert_values(conn, "coding_terms", [[k, v] for k, v in new.items()], or_ignore=True)
        found.update(new)
    structures = {bt: json.loads(found[k]) if k in found else approximate_structure(terms[k]) for bt, k in keys.items()}
    return Scope(model, config.code_fp, books, structures)

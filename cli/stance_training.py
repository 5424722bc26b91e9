"""Training data for the stance decision: stancewire's own corpus (data/stance-corpus/,
docs/stance-corpus.md) turned into labelled candidates.

For each corpus article: the text cleaned and parsed as the pipeline does it, its actors and
attributions found, the candidates proposed (`candidates.propose`) and each labelled with
the stance the corpus gives its (holder, target) pair, or `none`. Holder and corpus actor
are matched as the shared scorer matches them (the same name, one name inside the other
ending alike, or two countries with one ISO code): the scorer's own `same_actor`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.schema import STANCE_LABELS

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "data" / "stance-corpus"
LABELS = ("none", *STANCE_LABELS)


@dataclass
class Example:
    article: str
    codebook: str
    target: str
    actor: str
    actor_type: str
    country: str | None
    text: str  # the candidate as rendered for the classifier
    label: str  # none | favor | against | neutral
    certainty: str | None  # of the corpus row it matched (None for `none`)
    rule_label: str | None
    features: dict  # `features.features` of the candidate (or of one of its sentences)
    group: tuple = ()  # (codebook, article, candidate number): the sentences of one candidate share it
    tied: bool = True  # the sentence ties holder and target (`features.tied_sentences`): the pipeline decides on it


def statement_row(e: Example, stance: str, **extra) -> dict:
    """A candidate coded with `stance`, as a row of the gold files' format (for the scorer)."""
    return {
        "article": e.article,
        "actor": e.actor,
        "actor_type": e.actor_type,
        "country": e.country,
        "target": e.target,
        "stance": stance,
        **extra,
    }


def corpus_rows(codebook: str) -> list[dict]:
    rows = []
    for path in sorted((CORPUS / codebook).glob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def corpus_articles(codebook: str) -> list[str]:
    """The articles coded with `codebook` (an article may hold no statement)."""
    if codebook == "us-election-2016":
        return (CORPUS / "articles.txt").read_text(encoding="utf-8").split()
    names = set()
    for path in (CORPUS / codebook).glob("*.articles.txt"):
        names |= set(path.read_text(encoding="utf-8").split())
    return sorted(names)


def same_actor(a: dict, b: dict) -> bool:
    """Whether two statements' actors are the same actor, as the shared scorer decides."""
    return scorer().same_actor(a, b)


@functools.cache
def scorer():
    from cli.evaluate import load_scorer

    return load_scorer("stance")


class Reader:
    """Parses and reads corpus articles as the pipeline does (cleaning, model, actors,
    attributions), parses cached by model and text hash."""

    def __init__(self, texts_dir: Path, model_name: str, codebooks: list, parse_cache: Path):
        from pipeline.nlp.model import load_nlp, model_id_for
        from pipeline.stances.coder import TargetMatcher
        from pipeline.storage.staging import ParseCache

        self.texts_dir = texts_dir
        self.nlp = load_nlp(model_name)
        self.model = model_id_for(model_name)
        self.cache = ParseCache(parse_cache)
        self.books = codebooks
        self.matcher = TargetMatcher(self.nlp, codebooks)

    def cleaned(self, name: str):
        from pipeline.text.clean import clean_text

        raw = (self.texts_dir / f"{name}.txt").read_text(encoding="utf-8")
        return clean_text(raw, has_title_line=True)

    def parse_all(self, names: list[str]) -> None:
        """Parse the articles not in the cache yet."""
        from pipeline.nlp.model import doc_to_bytes, parse_texts

        todo = []
        for name in names:
            c = self.cleaned(name)
            if not self.cache.has(self.model, c.text_sha256):
                todo.append(c)
        for c, doc in zip(todo, parse_texts(self.nlp, [c.text for c in todo]), strict=True):
            self.cache.write(self.model, c.text_sha256, doc_to_bytes(doc))

    def article(self, name: str):
        """(`coder.ArticleReading`, candidates) of one article."""
        from pipeline.actors.resolver import ArticleActors
        from pipeline.nlp.model import doc_from_bytes
        from pipeline.quotes.extractor import extract_attributions
        from pipeline.quotes.rows import quote_row
        from pipeline.stances.candidates import propose
        from pipeline.stances.coder import ArticleReading, QuoteScope

        c = self.cleaned(name)
        doc = doc_from_bytes(self.cache.read(self.model, c.text_sha256), self.nlp.vocab)
        actors = ArticleActors(doc, name)
        rows = [quote_row(name, doc.text, att, actors, c.alignment) for att in extract_attributions(doc)]
        quotes = [QuoteScope.from_row(r) for r in sorted(rows, key=lambda q: (q["char_start"], q["quote_id"]))]
        article = ArticleReading(doc, actors, quotes, self.matcher)
        return article, propose(article)


def examples(reader: Reader, names: list[str], gold: list[dict], per_sentence: bool = False) -> Iterator[Example]:
    """Every candidate of the articles, labelled from `gold` (rows of the same codebooks).
    With `per_sentence`, one example per sentence of the candidate
    (`features.sentence_features`, all of them, `tied` marking those the pipeline decides
    on), each with the candidate's label and `group`: a learner scores the sentences and a
    candidate takes its best one."""
    from pipeline.stances.candidates import render
    from pipeline.stances.features import features, sentence_features, tied_sentences

    by_article: dict[str, list[dict]] = {}
    for row in gold:
        by_article.setdefault(row["article"], []).append(row)
    for name in names:
        article, candidates = reader.article(name)
        rows = by_article.get(name, [])
        for number, cand in enumerate(candidates):
            actor = article.actors.actor(cand.actor_id)
            me = {"actor": actor.name, "actor_type": actor.actor_type, "country": actor.country}
            matches = [
                r for r in rows if r["codebook"] == cand.codebook and r["target"] == cand.target and same_actor(me, r)
            ]
            matches.sort(key=lambda r: r["certainty"] != "clear")
            example = Example(
                article=name,
                codebook=cand.codebook,
                target=cand.target,
                actor=actor.name,
                actor_type=actor.actor_type,
                country=actor.country,
                text=render(article, cand),
                label=matches[0]["stance"] if matches else "none",
                certainty=matches[0]["certainty"] if matches else None,
                rule_label=max(cand.rule_labels, key=cand.rule_labels.get) if cand.rule_labels else None,
                features={},
                group=(cand.codebook, name, number),
            )
            if not per_sentence:
                yield dataclasses.replace(example, features=features(article, cand))
                continue
            tied = tied_sentences(cand)
            for k, feats in sentence_features(article, cand, tied_only=False):
                yield dataclasses.replace(example, features=feats, tied=k in tied)


def best_per_candidate(scored: list[tuple]) -> list[tuple]:
    """One (example, probabilities) per candidate (`Example.group`): its sentence least likely
    `none`, as `decision.decide` takes it."""
    best: dict[tuple, tuple] = {}
    for e, p in scored:
        if e.group not in best or p["none"] < best[e.group][1]["none"]:
            best[e.group] = (e, p)
    return list(best.values())


def fold_of(article: str, k: int) -> int:
    """The cross-validation fold of an article: a hash of its name, so folds are by article
    and do not move when articles are added."""
    return int(hashlib.sha256(article.encode()).hexdigest(), 16) % k


def default_parse_cache() -> Path:
    return Path(os.environ.get("STANCEWIRE_PARSE_CACHE") or REPO / "data" / "parse-cache")

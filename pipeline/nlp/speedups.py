"""Faster paths through two spaCy components, with the same output token for token.

Profiled on PolNeAR train texts with en_core_web_sm, two components that add no model
take a fifth of the parse (docs/scaling.md):
- the attribute ruler (12 %): spaCy's Matcher tries each of its 179 patterns on each token;
- the rule lemmatizer (7 %): a Python loop over the tokens, through Token objects.

Both do per token what depends only on a few of the token's attributes, and a text holds
few distinct combinations of them. So:
- **attribute ruler** (`fast_match`): a pattern of one token without operators matches a
  token when its attributes (tag, lower form, dependency, ...) have certain values. Such
  patterns are tried once per distinct combination of those attributes, read with
  `Doc.to_array`, and the outcome is reused. Patterns of another shape (several tokens,
  operators, predicates other than IN and NOT_IN) still go through a Matcher. The matches
  are then sorted and applied exactly as `AttributeRuler.match` and `set_annotations` do.
- **lemmatizer** (`fast_lemmatize`): a rule lemma is a function of the token's orth, POS
  and morphology. spaCy's own cache leaves out the commonest case, a word already in its
  base form, which it works out again for every token; here each combination is worked out
  once, by the lemmatizer itself, and kept; the lemmas are written back with
  `Doc.from_array`. The lemmatizer's word index, which it only asks whether a form is in,
  is held as sets instead of lists.

`install` puts both on a loaded pipeline, if its components are of the kinds these paths
know: spaCy 3's AttributeRuler, and a Lemmatizer in "rule" mode. It then checks them
against the stock components on a probe text and keeps them only if the output is the
same. `STOCK_ENV=1` turns them off (the bench's floor is stock spaCy). tests/test_speedups.py
compares whole parses of the sample and the PolNeAR texts.
"""

from __future__ import annotations

import logging
import os
import types

log = logging.getLogger(__name__)

STOCK_ENV = "STANCEWIRE_STOCK_SPACY"

# Token attributes a one-token pattern may test and `fast_match` reads with Doc.to_array.
# Their Matcher values are what to_array returns: string hashes, or 0/1 flags.
_ARRAY_ATTRS = ("ORTH", "TEXT", "LOWER", "NORM", "TAG", "POS", "DEP", "LEMMA", "ENT_TYPE", "IS_SPACE", "IS_PUNCT")
_SET_PREDICATES = ("IN", "NOT_IN")

# Rule lemmatizers whose lemma is a function of the token's orth, POS and morphology
# (spaCy's own, and English's, which overrides only `is_base_form`, read from POS and
# morphology); another language's may read more of the token, and keeps its stock path.
_PURE_LEMMATIZERS = ("spacy.pipeline.lemmatizer.Lemmatizer", "spacy.lang.en.lemmatizer.EnglishLemmatizer")
MAX_KEPT_LEMMAS = 200_000  # (orth, POS, morphology) -> lemma kept per process: about 50 MB at most

PROBE_TEXT = (
    'But the senator said that "a fair deal" was "not possible" yet, and whether\n\n'
    "it'll pass isn't clear. Those 2 aides, who'd been there since 2015, won't say."
)


def install(nlp) -> list[str]:
    """Put the fast paths on `nlp`'s attribute ruler and lemmatizer where they apply and
    give the stock output on the probe text; the names of the components changed."""
    if os.environ.get(STOCK_ENV, "") not in ("", "0"):
        return []
    changed = []
    ruler = _component(nlp, "attribute_ruler", "AttributeRuler")
    if ruler is not None:
        ruler._stancewire_plan = _RulerPlan(ruler)
        ruler.match = types.MethodType(_ruler_match, ruler)
        changed.append(_name_of(nlp, ruler))
    lemmatizer = _component(nlp, "lemmatizer", "Lemmatizer")
    if (
        lemmatizer is not None
        and getattr(lemmatizer, "mode", None) == "rule"
        and f"{type(lemmatizer).__module__}.{type(lemmatizer).__qualname__}" in _PURE_LEMMATIZERS
    ):
        lemmatizer.pipe = types.MethodType(_lemmatizer_pipe, lemmatizer)
        _index_as_sets(lemmatizer)
        changed.append(_name_of(nlp, lemmatizer))
    if changed and not _same_as_stock(nlp):
        uninstall(nlp)
        log.warning("spaCy fast paths off for this model: their output differed from the stock components'")
        return []
    return changed


def uninstall(nlp) -> None:
    """Remove what `install` put on `nlp`'s components."""
    for _, proc in nlp.pipeline:
        for attr in ("match", "pipe", "_stancewire_plan", "_stancewire_lemmas"):
            if attr in getattr(proc, "__dict__", {}):
                delattr(proc, attr)


def _name_of(nlp, component) -> str:
    return next(name for name, proc in nlp.pipeline if proc is component)


def _component(nlp, kind: str, class_name: str):
    """The pipeline's component of spaCy class `class_name` (or a subclass), if there is one."""
    for _, proc in nlp.pipeline:
        if any(c.__name__ == class_name and c.__module__.startswith("spacy.") for c in type(proc).__mro__):
            return proc
    return None


def _same_as_stock(nlp) -> bool:
    """Whether the fast paths give the stock components' output on PROBE_TEXT."""
    from spacy.attrs import LEMMA, MORPH, POS, TAG

    fast = next(nlp.pipe([PROBE_TEXT]))
    fast_arr = fast.to_array([POS, TAG, MORPH, LEMMA])
    saved = {name: dict(getattr(proc, "__dict__", {})) for name, proc in nlp.pipeline}
    uninstall(nlp)
    try:
        stock = nlp(PROBE_TEXT)
        return bool((stock.to_array([POS, TAG, MORPH, LEMMA]) == fast_arr).all())
    finally:
        for name, proc in nlp.pipeline:
            for attr in ("match", "pipe", "_stancewire_plan", "_stancewire_lemmas"):
                if attr in saved[name]:
                    setattr(proc, attr, saved[name][attr])


class _RulerPlan:
    """An attribute ruler's patterns split into those `fast_match` evaluates itself (one
    token, no operator, attributes of _ARRAY_ATTRS, plain values or IN / NOT_IN sets) and
    the rest, left to a Matcher of their own (`residual`, None when there are none)."""

    def __init__(self, ruler):
        import numpy
        from spacy import attrs as spacy_attrs
        from spacy.matcher import Matcher
        from spacy.strings import get_string_id

        self.columns: list[str] = []
        self.tests: list[tuple[int, list[tuple[int, str, object]]]] = []  # (match key, [(column, kind, value)])
        residual = Matcher(ruler.vocab, validate=False)
        n_residual = 0
        for i in range(len(ruler.attrs)):  # AttributeRuler.add names the i-th rule's patterns str(i)
            key_str = str(i)
            key = get_string_id(key_str)
            for pattern in ruler.matcher.get(key_str)[1]:
                test = self._one_token_test(pattern)
                if test is None:
                    residual.add(key_str, [pattern])
                    n_residual += 1
                else:
                    self.tests.append((key, test))
        self.attr_ids = [getattr(spacy_attrs, name) for name in self.columns]
        self.residual = residual if n_residual else None
        self.cache: dict[tuple, tuple[int, ...]] = {}
        # A value no test names behaves like any other such value, so each string column's
        # values are mapped to `other` unless a test names them: the cache then holds at
        # most a combination per named value, not one per word of the corpus.
        self.named: list[tuple[object, int] | None] = []
        for col, name in enumerate(self.columns):
            if name.startswith("IS_"):
                self.named.append(None)
                continue
            values = set()
            for _, test in self.tests:
                for c, kind, value in test:
                    if c == col:
                        values |= {value} if kind == "EQ" else value
            other = next(v for v in range(len(values) + 1) if v not in values)
            self.named.append((numpy.array(sorted(values), dtype=numpy.uint64), other))

    def rows(self, doc) -> list[list[int]]:
        """Each token's column values, those no test names mapped to their column's `other`."""
        import numpy

        array = doc.to_array(self.attr_ids)
        for col, named in enumerate(self.named):
            if named is not None:
                values, other = named
                array[~numpy.isin(array[:, col], values), col] = other
        return array.tolist()

    def _one_token_test(self, pattern):
        from spacy.strings import get_string_id

        if len(pattern) != 1 or not isinstance(pattern[0], dict):
            return None
        test = []
        for name, value in pattern[0].items():
            name = name.upper()
            if name not in _ARRAY_ATTRS:
                return None
            column = "ORTH" if name == "TEXT" else name
            flag = name.startswith("IS_")
            if isinstance(value, dict):
                if len(value) != 1 or next(iter(value)) not in _SET_PREDICATES or flag:
                    return None
                ((kind, values),) = value.items()
                if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
                    return None
                hashed = frozenset(get_string_id(v) for v in values)
                test.append((self._column(column), kind, hashed))
            elif flag and isinstance(value, bool):
                test.append((self._column(column), "EQ", int(value)))
            elif not flag and isinstance(value, str):
                test.append((self._column(column), "EQ", get_string_id(value)))
            else:
                return None
        return test or None

    def _column(self, name: str) -> int:
        if name not in self.columns:
            self.columns.append(name)
        return self.columns.index(name)

    def keys_matching(self, row: tuple) -> tuple[int, ...]:
        """The match keys of the one-token patterns a token with these column values matches."""
        found = self.cache.get(row)
        if found is None:
            found = tuple(
                key
                for key, test in self.tests
                if all(
                    (row[col] == value) if kind == "EQ" else ((row[col] in value) == (kind == "IN"))
                    for col, kind, value in test
                )
            )
            self.cache[row] = found
        return found


def _ruler_match(ruler, doc):
    """AttributeRuler.match through `fast_match` (put on a ruler by `install`)."""
    return fast_match(ruler, ruler._stancewire_plan, doc)


def fast_match(ruler, plan: _RulerPlan, doc):
    """What `AttributeRuler.match(doc)` returns: [(attribute id, match key, start, end)]
    sorted, one per distinct (key, start, end)."""
    matches = set()
    if plan.columns and len(doc):
        for i, row in enumerate(plan.rows(doc)):
            for key in plan.keys_matching(tuple(row)):
                matches.add((key, i, i + 1))
    if plan.residual is not None:
        matches.update(plan.residual(doc, allow_missing=True, as_spans=False))
    strings = ruler.vocab.strings
    out = [(int(strings[key]), key, start, end) for key, start, end in matches]
    out.sort()
    return out


def _index_as_sets(lemmatizer) -> None:
    """Hold the lemmatizer's word index (per POS, the words it knows as lemmas) as sets:
    `rule_lemmatize` only asks whether a form is in it, which in a list of thousands of
    words took most of the 75 microseconds of each word it works out."""
    lookups = getattr(lemmatizer, "lookups", None)
    if lookups is None or not lookups.has_table("lemma_index"):
        return
    table = lookups.get_table("lemma_index")
    for key in list(table.keys()):
        if isinstance(table[key], list):
            table[key] = frozenset(table[key])


def _lemmatizer_pipe(self, stream, *, batch_size: int = 128):
    """Lemmatizer.pipe with `fast_lemmatize` in place of a call per Doc."""
    for doc in stream:
        yield fast_lemmatize(self, doc)


def fast_lemmatize(lemmatizer, doc):
    """What the rule lemmatizer's __call__ does to `doc`: each token without a lemma (every
    token, when it overwrites) gets `lemmatize(token)[0]`. A rule lemma depends on the
    token's orth, POS and morphology only (`_PURE_LEMMATIZERS`), so it is computed once per
    such combination and kept (`_stancewire_lemmas`); spaCy's own cache leaves out the
    commonest case, a word already in its base form, which it works out again every time."""
    import numpy
    from spacy.attrs import LEMMA, MORPH, ORTH, POS
    from spacy.errors import Errors

    if not lemmatizer._validated:
        lemmatizer._validate_tables(Errors.E1004)
    if not len(doc):
        return doc
    known = lemmatizer.__dict__.setdefault("_stancewire_lemmas", {})
    if len(known) > MAX_KEPT_LEMMAS:
        known.clear()
    array = doc.to_array([ORTH, POS, MORPH, LEMMA])
    lemmas = array[:, 3].copy()
    strings = doc.vocab.strings
    overwrite = lemmatizer.overwrite
    changed = False
    for i, (orth, pos, morph, lemma) in enumerate(array.tolist()):
        if lemma and not overwrite:
            continue
        key = (orth, pos, morph)
        h = known.get(key)
        if h is None:
            h = known[key] = strings.add(lemmatizer.lemmatize(doc[i])[0])
        if h != lemma:
            lemmas[i] = h
            changed = True
    if changed:
        doc.from_array([LEMMA], numpy.ascontiguousarray(lemmas.reshape(-1, 1)))
    return doc

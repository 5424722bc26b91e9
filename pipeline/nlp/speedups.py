"""Faster paths through two spaCy components, with the same output token for token.

Profiled on PolNeAR train texts with en_core_web_sm, two components that hold no model took
a fifth of the parse (docs/design.md, "The attribute ruler and the lemmatizer on faster
paths"):
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
  The plan is rebuilt when the ruler's rules change.
- **lemmatizer** (`fast_lemmatize`): a rule lemma is a function of the token's orth, POS
  and morphology. spaCy's own cache leaves out the commonest case, a word already in its
  base form, which it works out again for every token; here each combination is worked out
  once, by the lemmatizer itself, and kept; the lemmas are written back with
  `Doc.from_array`. The lemmatizer's word index, which it only asks whether a form is in,
  answers that through a set (`_WordIndex`, still a list to serialise).

`install` puts both on a loaded pipeline when its components are of the classes these
paths were written against (spaCy 3's AttributeRuler; spaCy's and English's rule
Lemmatizer), as instance attributes (`functools.partial`, so the pipeline still pickles
and copies). As a smoke check it parses a probe text with them and without and keeps them
only if every token attribute agrees; anything raised while installing leaves the stock
components. They cover `nlp.pipe` (what stancewire calls); `nlp(text)` runs the stock
lemmatizer. Warning W108 (no POS) is given once per word rather than once per token.
`STANCEWIRE_STOCK_SPACY=1` turns them off (the bench's spaCy floors run the stock ones).
tests/test_speedups.py compares whole parses of the sample, odd texts, rulers of every
shape and PolNeAR dev texts.
"""

from __future__ import annotations

import functools
import logging
import os

log = logging.getLogger(__name__)

STOCK_ENV = "STANCEWIRE_STOCK_SPACY"

# Token attributes a one-token pattern may test and `fast_match` reads with Doc.to_array.
# Their Matcher values are what to_array returns: string hashes, or 0/1 flags.
_ARRAY_ATTRS = ("ORTH", "TEXT", "LOWER", "NORM", "TAG", "POS", "DEP", "LEMMA", "ENT_TYPE", "IS_SPACE", "IS_PUNCT")
_SET_PREDICATES = ("IN", "NOT_IN")

# The classes these paths were written against (spaCy 3.8): a subclass may override what
# they replace. A rule lemma of these lemmatizers is a function of the token's orth, POS
# and morphology (English's overrides only `is_base_form`, read from POS and morphology).
_RULER_CLASS = "spacy.pipeline.attributeruler.AttributeRuler"
_PURE_LEMMATIZERS = ("spacy.pipeline.lemmatizer.Lemmatizer", "spacy.lang.en.lemmatizer.EnglishLemmatizer")
MAX_KEPT_LEMMAS = 200_000  # (orth, POS, morphology) -> lemma kept per process: about 50 MB at most

# What `install` put on a component: {"attributes": {attribute: (whether the instance had
# one, its value)}} and, for the lemmatizer, {"lemma_index": {key: the list it replaced}}
# (plain values: the record pickles with the component).
_INSTALLED = "_stancewire_installed"
_PLAN = "_stancewire_plan"
_LEMMAS = "_stancewire_lemmas"

PROBE_TEXT = (
    'But the senator said that "a fair deal" was "not possible" yet, and whether\n\n'
    "it'll pass isn't clear. Those 2 aides, who'd been there since 2015, won't say."
)


def stock_requested() -> bool:
    """Whether STANCEWIRE_STOCK_SPACY asks for the stock components (anything but empty,
    0, false, no or off)."""
    return os.environ.get(STOCK_ENV, "").strip().lower() not in ("", "0", "false", "no", "off")


def install(nlp) -> list[str]:
    """Put the fast paths on `nlp`'s attribute ruler and lemmatizer where they apply and the
    probe text parses as with the stock components; the names of the components changed."""
    if stock_requested():
        return []
    try:
        changed = _apply(nlp)
        if changed:
            fast = _probe_attrs(next(nlp.pipe([PROBE_TEXT])))
            uninstall(nlp)
            if _probe_attrs(nlp(PROBE_TEXT)) != fast:
                log.warning("spaCy fast paths off for this model: the probe text parsed differently with them")
                return []
            changed = _apply(nlp)
    except Exception as e:  # a component of an unforeseen shape: keep the stock ones
        uninstall(nlp)
        log.warning("spaCy fast paths off for this model: %s: %s", type(e).__name__, e)
        return []
    return changed


def _apply(nlp) -> list[str]:
    changed = []
    for name, proc in nlp.pipeline:
        kind = _class_name(proc)
        if kind == _RULER_CLASS:
            proc.__dict__[_PLAN] = _RulerPlan(proc)
            _set(proc, "match", functools.partial(_ruler_match, proc))
            changed.append(name)
        elif kind in _PURE_LEMMATIZERS and getattr(proc, "mode", None) == "rule":
            _set(proc, "pipe", functools.partial(_lemmatizer_pipe, proc))
            _index_as_sets(proc)
            changed.append(name)
    return changed


def uninstall(nlp) -> None:
    """Undo what `install` did, on the components it changed only."""
    for _, proc in nlp.pipeline:
        record = getattr(proc, "__dict__", {}).pop(_INSTALLED, None)
        if record is None:
            continue
        for attr, (had, before) in record.get("attributes", {}).items():
            if had:
                proc.__dict__[attr] = before
            else:
                proc.__dict__.pop(attr, None)
        if "lemma_index" in record:
            table = proc.lookups.get_table("lemma_index")
            for key, words in record["lemma_index"].items():
                table[key] = words
        proc.__dict__.pop(_PLAN, None)
        proc.__dict__.pop(_LEMMAS, None)


def _class_name(proc) -> str:
    return f"{type(proc).__module__}.{type(proc).__qualname__}"


def _record(proc) -> dict:
    return proc.__dict__.setdefault(_INSTALLED, {})


def _set(proc, attr: str, value) -> None:
    _record(proc).setdefault("attributes", {}).setdefault(attr, (attr in proc.__dict__, proc.__dict__.get(attr)))
    proc.__dict__[attr] = value


def _probe_attrs(doc) -> tuple:
    """Every token attribute a parse sets, and the lemma and morphology strings."""
    from spacy.attrs import DEP, ENT_IOB, ENT_TYPE, HEAD, LEMMA, MORPH, NORM, ORTH, POS, SENT_START, TAG

    array = doc.to_array([ORTH, NORM, TAG, POS, MORPH, LEMMA, DEP, HEAD, ENT_IOB, ENT_TYPE, SENT_START])
    return array.tolist(), [(t.lemma_, str(t.morph)) for t in doc]


class _RulerPlan:
    """An attribute ruler's patterns split into those `fast_match` evaluates itself (one
    token, no operator, attributes of _ARRAY_ATTRS, plain values or IN / NOT_IN sets) and
    the rest, left to a Matcher of their own (`residual`, None when there are none)."""

    def __init__(self, ruler):
        import numpy
        from spacy import attrs as spacy_attrs
        from spacy.matcher import Matcher
        from spacy.strings import get_string_id

        self.n_rules, self.matcher = len(ruler.attrs), ruler.matcher  # what it was built from
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

        array = doc.to_array(self.attr_ids).reshape(len(doc), -1)  # one column: to_array gives 1-D
        for col, named in enumerate(self.named):
            if named is not None:
                values, other = named
                array[~numpy.isin(array[:, col], values), col] = other
        return array.tolist()

    def _one_token_test(self, pattern):
        """[(column, kind, value)] for a pattern `fast_match` evaluates, else None (its
        columns are registered only then)."""
        from spacy.strings import get_string_id

        if len(pattern) != 1 or not isinstance(pattern[0], dict):
            return None
        test = []
        for name, value in pattern[0].items():
            if not isinstance(name, str):  # an attribute given by its id: left to the Matcher
                return None
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
                test.append((column, kind, frozenset(get_string_id(v) for v in values)))
            elif flag and isinstance(value, bool):
                test.append((column, "EQ", int(value)))
            elif not flag and isinstance(value, str):
                test.append((column, "EQ", get_string_id(value)))
            else:
                return None
        return [(self._column(column), kind, value) for column, kind, value in test] or None

    def _column(self, name: str) -> int:
        if name not in self.columns:
            self.columns.append(name)
        return self.columns.index(name)

    def built_from(self, ruler) -> bool:
        """Whether the ruler's rules are still those this plan was built from (`add` adds a
        rule; `clear`, `initialize` and loading replace its matcher)."""
        return self.matcher is ruler.matcher and self.n_rules == len(ruler.attrs)

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
    """AttributeRuler.match through `fast_match` (put on a ruler by `install`), with a plan
    of the ruler's current rules."""
    plan = ruler.__dict__.get(_PLAN)
    if plan is None or not plan.built_from(ruler):
        plan = ruler.__dict__[_PLAN] = _RulerPlan(ruler)
    return fast_match(ruler, plan, doc)


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


class _WordIndex(list):
    """A lemmatizer's list of the words it knows as lemmas of one POS, answering `in`
    through a set; still a list, so the lookups serialise and pickle as before. Not to be
    changed in place (nothing does: the lists are read-only data of the model)."""

    def __init__(self, words):
        super().__init__(words)
        self.words = frozenset(self)

    def __contains__(self, word) -> bool:
        return word in self.words


def _index_as_sets(lemmatizer) -> None:
    """Have the lemmatizer's word index answer `in` through sets (`_WordIndex`):
    `rule_lemmatize` only asks whether a form is in it, which in a list of thousands of
    words took most of the 75 microseconds of each word it works out."""
    lookups = getattr(lemmatizer, "lookups", None)
    if lookups is None or not lookups.has_table("lemma_index"):
        return
    table = lookups.get_table("lemma_index")
    replaced = _record(lemmatizer).setdefault("lemma_index", {})
    for key in list(table.keys()):
        words = table[key]
        if type(words) is list:
            replaced[key] = words
            table[key] = _WordIndex(words)


def _lemmatizer_pipe(lemmatizer, stream, *, batch_size: int = 128):
    """Lemmatizer.pipe with `fast_lemmatize` in place of a call per Doc (and, as spaCy's
    Pipe.pipe, a failure handed to the pipeline's error handler)."""
    error_handler = lemmatizer.get_error_handler()
    for doc in stream:
        try:
            yield fast_lemmatize(lemmatizer, doc)
        except Exception as e:
            error_handler(lemmatizer.name, lemmatizer, [doc], e)


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
    known = lemmatizer.__dict__.setdefault(_LEMMAS, {})  # (orth, POS, morph) -> lemma
    if len(known) > MAX_KEPT_LEMMAS:
        known.clear()
    array = doc.to_array([ORTH, POS, MORPH, LEMMA])
    lemmas = array[:, 3].copy()
    strings = doc.vocab.strings
    overwrite = lemmatizer.overwrite
    hashes: dict[str, int] = {}  # added to the Doc's string store once per Doc, as the stock
    changed = False  # component adds each lemma (a memory zone may have dropped it since)
    for i, (orth, pos, morph, lemma) in enumerate(array.tolist()):
        if lemma and not overwrite:
            continue
        key = (orth, pos, morph)
        form = known.get(key)
        if form is None:
            form = known[key] = lemmatizer.lemmatize(doc[i])[0]
        h = hashes.get(form)
        if h is None:
            h = hashes[form] = strings.add(form)
        if h != lemma:
            lemmas[i] = h
            changed = True
    if changed:
        doc.from_array([LEMMA], numpy.ascontiguousarray(lemmas.reshape(-1, 1)))
    return doc

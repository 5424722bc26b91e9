"""The cue lexicon: the word lists of ``pipeline/nlp/resources`` that mark an attribution
(verbs of saying, of attitude, taking an infinitive, an object or a preposition; nouns
taking a clause, an infinitive or a preposition; headline labels), the lemma of a token as
those lists spell it, and the kind of act a cue reports
(`cue_kind`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from pipeline.nlp.lexicon import table, word_list

if TYPE_CHECKING:  # spaCy is imported where a Doc is made, not by the run's process
    from spacy.tokens import Token


@dataclass(frozen=True)
class CueLexicon:
    speech: frozenset[str]
    clause: frozenset[str]
    infinitive: frozenset[str]
    object: frozenset[str]
    prep: dict[str, frozenset[str]]
    headline_labels: frozenset[str]
    known: frozenset[str]  # every lemma of the lists
    forms: dict[str, str]  # inflected form -> lemma, for lemmatizer slips ("hoping" -> "hop")
    nouns: dict[str, dict[str, str]]  # noun lemma -> {"that" / INFINITIVE / a preposition: kind}

    def lemma(self, tok: Token) -> str:
        """The token's lemma, or the list lemma its form inflects when the lemmatizer slipped."""
        lemma = tok.lemma_.lower()
        return lemma if lemma in self.known else self.forms.get(tok.lower_, lemma)


@lru_cache(maxsize=1)
def cue_lexicon() -> CueLexicon:
    """The cue word lists, read once from pipeline/nlp/resources."""
    speech = word_list("speech_verbs.txt")
    attitude = word_list("attitude_verbs.txt")
    infinitive = word_list("infinitive_cue_verbs.txt")
    obj = word_list("object_cue_verbs.txt")
    prep: dict[str, set[str]] = {}
    for line in word_list("prepositional_cues.txt"):
        verb, _, p = line.partition(" ")
        prep.setdefault(verb, set()).add(p.strip())
    known = speech | attitude | infinitive | obj | set(prep)
    forms = {}
    for lemma in sorted(known):
        for form in _inflections(lemma):
            forms.setdefault(form, lemma)
    return CueLexicon(
        speech,
        speech | attitude,
        infinitive,
        obj,
        {k: frozenset(v) for k, v in prep.items()},
        word_list("headline_labels.txt"),
        frozenset(known),
        forms,
        noun_cues(),
    )


INFINITIVE = "to-infinitive"  # the frame of a noun taking a to-infinitive in resources/noun_cues.tsv


def noun_cues() -> dict[str, dict[str, str]]:
    """resources/noun_cues.tsv: {noun lemma: {frame: kind}}, where the frame is "that" (a
    clause), "to-infinitive" or a preposition, and the kind what the noun reports."""
    out: dict[str, dict[str, str]] = {}
    for cue, kind in table("noun_cues.tsv").items():
        noun, _, frame = cue.partition(" ")
        out.setdefault(noun, {})[frame] = kind
    return out


def noun_cue_lemma(noun: str, frame: str) -> str:
    """The `cue_lemma` of a noun cue: the noun and the word its content hangs on ("claim
    that", "plan to", "criticism of")."""
    return f"{noun} {'to' if frame == INFINITIVE else frame}"


def _inflections(lemma: str) -> set[str]:
    stem = lemma[:-1] if lemma.endswith("e") else lemma
    forms = {lemma, lemma + "s", lemma + "es", lemma + "d", lemma + "ed", stem + "ed", stem + "ing", lemma + "ing"}
    if lemma.endswith("y"):
        forms |= {lemma[:-1] + "ies", lemma[:-1] + "ied"}
    return forms


# Cues that are no verb: a source "according to", a colon after a name ("Garcia: ...").
_NOT_VERBS = {"according to", ":"}


def cue_kind(cue_lemma: str | None, infinitive: bool = False, direct: bool = False) -> str:
    """What an attribution's cue reports: `speech` (a verb of saying or of a verbal act:
    said, told, accused, endorsed; "according to", a colon after a name; a quotation with
    no cue), `thought` (believing, knowing, expecting, finding: attitude_verbs.txt, and
    a prepositional cue built on one, "worry about") or `other` (wanting, planning, seeming,
    acting: a verb that only takes an infinitive, "wants to", "appears to"; a cue no list
    knows). resources/cue_kinds.tsv overrides the lists, for a lemma ("remember") or for
    a lemma whose content is a to-`infinitive` ("agree to"). A noun cue ("claim that", "plan
    to", "criticism of") has its kind in resources/noun_cues.tsv. PolNeAR's attributions
    hold all three; "who said what" is `speech`."""
    if not cue_lemma:
        return "speech" if direct else "other"
    lex = cue_lexicon()
    overrides = table("cue_kinds.tsv")
    verb = cue_lemma.split(" ", 1)[0]
    for key in (f"{verb} to", cue_lemma, verb) if infinitive else (cue_lemma, verb):
        if key in overrides:
            return overrides[key]
    noun, _, word = cue_lemma.partition(" ")  # a noun cue: "claim that", "plan to", "criticism of"
    frames = lex.nouns.get(noun, {})
    for frame in (INFINITIVE, "to") if word == "to" and infinitive else (word,):
        if frame in frames:
            return frames[frame]
    if cue_lemma in _NOT_VERBS or verb in lex.speech:
        return "speech"
    if verb in lex.clause:  # the attitude verbs (clause = speech | attitude)
        return "thought"
    if verb in lex.object or verb in lex.prep:  # "criticize", "accuse of", "call for"
        return "speech"
    return "other"

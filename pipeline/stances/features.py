"""Features of a stance candidate for the learner (`decision.py`, `cli/train.py`): where the
pair came from, the rule coder's label, the cue lexicon's words around the holder and the
target, negation (of the sentence, and of each cue word: a cue's polarity as its negation
leaves it), the clause heads between them, and the words near each. Relative to the
target's mention, never its identity: the target's own words are left out and another
target's words (of the same codebook; other codebooks' are ordinary words) read
OTHER_TARGET, so no feature names a codebook target and a new codebook needs no
retraining."""

from __future__ import annotations

import dataclasses
from collections import Counter

from pipeline.nlp.lexicon import fold

WINDOW = 4  # words taken either side of the target and of the holder
NEGATORS = {"not", "n't", "never", "no", "nobody", "neither", "nor", "without", "longer"}
OTHER_TARGET = "OTHER_TARGET"  # a word of another target's mention, in place of its lemma


def features(article, candidate, marks: dict[int, str] | None = None, own: dict | None = None) -> dict[str, float]:
    """Feature name -> value (counts and indicators). `marks` (`candidates.target_marks`)
    and `own` (`candidate_features` of this candidate) may be given when the caller has
    them already. Words that name another codebook target read as OTHER_TARGET, so no
    feature names a target."""
    from pipeline.stances.candidates import target_marks
    from pipeline.stances.coder import lexicon

    lex = lexicon()
    if marks is None:
        marks = target_marks(article, candidate)
    out: Counter = Counter(candidate_features(article, candidate) if own is None else own)
    out["instances"] = min(len(candidate.instances), 10) / 10
    base = article.folded_lemmas

    def word(i: int) -> str:
        return OTHER_TARGET if marks.get(i) == "OTHER" else base[i]

    sentences = {}
    for inst in candidate.instances:
        sentences.setdefault(inst.sentence, inst)
        out["negated_path"] = max(out["negated_path"], float(inst.negated))
        for lemma in inst.path[:4]:
            out[f"path={lemma}"] = 1
            for cue in lex.by_first.get(fold(lemma), ()):
                if len(cue.words) == 1:
                    out[f"path_cue={cue.label}{'_neg' if inst.negated else ''}"] = 1
    holder_tokens = _holder_tokens(article, candidate)
    doc = article.doc
    for k in sorted(sentences)[:3]:
        sent = article.sents[k]
        first, last = sent.start, sent.end
        lemmas = [word(i) for i in range(first, last)]
        in_target = [marks.get(i) == "TARGET" for i in range(first, last)]
        in_holder = [i in holder_tokens for i in range(first, last)]
        near_target, near_holder = _near(in_target), _near(in_holder)
        both = any(in_target) and any(in_holder)
        out["sentence_has_both"] = max(out["sentence_has_both"], float(both))
        negated = any(lemma in NEGATORS for lemma in lemmas)
        out["sentence_negated"] = max(out["sentence_negated"], float(negated))
        for j, lemma in enumerate(lemmas):
            if in_target[j] or in_holder[j]:
                continue
            for cue in lex.by_first.get(lemma, ()):
                if len(cue.words) == 1:
                    out[f"cue={cue.kind}:{cue.label}{'_neg' if negated else ''}"] += 1
                    polarity = _polarity(cue.label, _scoped_negation(doc[first + j]))
                    out[f"polarity={polarity}"] += 1
                    if near_target[j]:
                        out[f"polarity_near_target={polarity}"] = 1
            if near_target[j]:
                out[f"t_win={lemma}"] = 1
            if near_holder[j]:
                out[f"h_win={lemma}"] = 1
            if both and near_target[j] and near_holder[j]:
                out[f"between={lemma}"] = 1
        if any(article.quote_of[i] is not None for i in range(first, last)):
            out["in_quote"] = 1
        targets = [doc[first + j] for j, mark in enumerate(in_target) if mark][:2]
        holders = [doc[first + j] for j, mark in enumerate(in_holder) if mark][:2]
        for t in targets:
            head = t.head
            out[f"t_dep={t.dep_}"] = 1
            out[f"t_head={word(head.i)}"] = 1
            _cue_features(out, "t_head_cue", word(head.i), _negated(head), lex)
        for h in holders:
            out[f"h_dep={h.dep_}"] = 1
            out[f"h_head={word(h.head.i)}"] = 1
        if targets and holders:
            path, top = _path(holders[0], targets[0])
            out[f"lca={word(top.i)}"] = 1
            _cue_features(out, "lca_cue", word(top.i), _negated(top), lex)
            for tok in path:
                out[f"between_path={word(tok.i)}"] = 1
                _cue_features(out, "path2_cue", word(tok.i), _negated(tok), lex)
    out.update(_holder_shape(article, candidate, holder_tokens))
    return dict(out)


# Words a holder's name may hold in lower case and still be a name ("Bank of America").
NAME_PARTICLES = {"of", "and", "the", "for", "de", "van", "von"}
DETERMINERS = {"a", "an", "the", "this", "that", "these", "those", "his", "her", "their", "its", "our", "my", "your"}


def _holder_shape(article, candidate, holder_tokens: set[int]) -> dict[str, float]:
    """What the holder's name looks like: a determiner first ("A campaign spokesman", "A
    national poll"), words in lower case ("Just Gave Hillary Some"), its length in words,
    and whether any token naming it in the sentence is a proper noun. They tell a named
    holder from a described one and from an actor found in error (a poll, a slogan, a
    headline's words, which carry no positions); on the corpus's folds they lifted F1 by
    about 0.02 (docs/stance-corpus.md)."""
    out: dict[str, float] = {}
    actor = article.actors.actor(candidate.actor_id)
    words = actor.name.split() if actor is not None and actor.name else []
    if words:
        if words[0].lower() in DETERMINERS:
            out["holder_starts_det"] = 1
        if any(w[:1].islower() and w.lower() not in NAME_PARTICLES for w in words[1:]):
            out["holder_has_lower"] = 1
        out[f"holder_words={min(len(words), 4)}"] = 1
    if holder_tokens and not any(article.doc[i].pos_ == "PROPN" for i in holder_tokens):
        out["holder_no_propn"] = 1
    return out


def _near(flags: list[bool]) -> list[bool]:
    """Per position: whether a flag is set within WINDOW positions either side."""
    ahead = [0] * (len(flags) + 1)  # prefix counts
    for j, flag in enumerate(flags):
        ahead[j + 1] = ahead[j] + flag
    n = len(flags)
    return [ahead[min(n, j + WINDOW + 1)] > ahead[max(0, j - WINDOW)] for j in range(n)]


def candidate_features(article, candidate) -> dict[str, float]:
    """The features of the candidate as a whole: the holder's type, the target's rank in
    the article, where the pair came from, the rule coder's labels (with its confidence)."""
    from pipeline.stances.candidates import target_rank

    actor = article.actors.actor(candidate.actor_id)
    out = {
        f"holder_type={actor.actor_type if actor else 'unknown'}": 1,
        f"target_rank={target_rank(article, candidate)}": 1,
    }
    for source in candidate.sources:
        out[f"source={source}"] = 1
    for label, confidence in candidate.rule_labels.items():
        out[f"rule={label}"] = confidence
    return out


MAX_SENTENCES_PER_CANDIDATE = 5  # sentences scored per candidate, the first ones in the article
TIED = {"quote", "subject", "nearby", "rules"}  # sources that tie holder and target in a sentence


def tied_sentences(candidate) -> set[int]:
    """The sentences that tie the candidate's holder to its target: those of its instances
    found by a quote, a clause, a nearby speaker or the rule coder (`TIED`), not by
    co-occurrence alone."""
    return {i.sentence for i in candidate.instances if i.source in TIED}


def sentence_features(article, candidate, tied_only: bool = True) -> list[tuple[int, dict[str, float]]]:
    """(sentence, features) for each sentence of the candidate, the first
    MAX_SENTENCES_PER_CANDIDATE: with `tied_only` (how the pipeline decides), only those that
    tie holder and target (`tied_sentences`); else all (how the model is trained: the others
    teach it what is not a position). The features are the sentence's, with the
    candidate-wide ones (where the pair came from, the rule coder's label, the holder's
    type, the target's rank) prefixed `candidate_`. A learner scores each sentence; a
    candidate takes its best."""
    from pipeline.stances.candidates import target_marks

    pool = tied_sentences(candidate) if tied_only else {i.sentence for i in candidate.instances}
    chosen = sorted(pool)[:MAX_SENTENCES_PER_CANDIDATE]
    if not chosen:
        return []
    whole = candidate_features(article, candidate)
    wide = {f"candidate_{k}": v for k, v in whole.items()}
    marks = target_marks(article, candidate)
    unsourced = {k: v for k, v in whole.items() if not k.startswith("source=")}
    out = []
    for k in chosen:
        one = dataclasses.replace(candidate, instances=[i for i in candidate.instances if i.sentence == k])
        own = {**unsourced, **{f"source={source}": 1 for source in one.sources}}  # = candidate_features(one)
        out.append((k, {**features(article, one, marks, own), **wide}))
    return out


# Verbs whose negation carries over to the verb they take ("did not want to back" does not
# back); "would not hesitate to oppose", "did not say he opposes" keep their cue as it is.
TRANSPARENT = {"want", "plan", "intend", "expect", "try", "seek", "hope", "wish", "need", "go", "decide", "agree"}
TRANSPARENT |= {"promise", "vow", "pledge", "mean", "like", "love", "be", "have"}


def _scoped_negation(tok) -> bool:
    """Whether the cue word `tok` is negated: a negation on it ("would not oppose"), on the
    word it is the complement or object of ("is not supportive", "did not express support"),
    on the verb that takes it when that verb passes negation on (TRANSPARENT: "did not want
    to back"), or among the two words before it ("no longer defend")."""
    head = tok.head
    if _negated(tok) or (tok.dep_ in ("acomp", "attr", "dobj", "amod") and _negated(head)):
        return True
    if tok.dep_ == "xcomp" and head.lemma_.lower() in TRANSPARENT and _negated(head):
        return True
    doc = tok.doc
    return any(doc[k].lower_ in NEGATORS for k in range(max(0, tok.i - 2), tok.i))


def _polarity(label: str, negated: bool) -> str:
    """A cue's label as its negation leaves it: a negated opposition is weak support
    ("would not oppose": favor, as the guidelines code it), a negated support opposition."""
    if not negated:
        return label
    return {"favor": "against", "against": "favor"}.get(label, "negated_" + label)


def _negated(tok) -> bool:
    return any(c.dep_ == "neg" or c.lower_ in NEGATORS for c in tok.children)


def _cue_features(out: Counter, prefix: str, lemma: str, negated: bool, lex) -> None:
    for cue in lex.by_first.get(lemma, ()):
        if len(cue.words) == 1:
            out[f"{prefix}={cue.label}{'_neg' if negated else ''}"] = 1


def _path(a, b):
    """The tokens on the dependency path between tokens a and b (both ends left out), and
    their lowest common ancestor."""
    up_a = [a, *a.ancestors]
    up_b = [b, *b.ancestors]
    ids_b = {t.i for t in up_b}
    top = next((t for t in up_a if t.i in ids_b), up_a[-1])
    path = [t for t in up_a[1:] if t.i != top.i and t.i not in ids_b]
    path += [t for t in up_b[1:] if t.i != top.i and t.i not in {x.i for x in up_a}]
    return path, top


def _holder_tokens(article, candidate) -> set[int]:
    """Tokens that name the holder: the spans the instances give, and the person's name."""
    tokens: set[int] = set()
    for inst in candidate.instances:
        if inst.holder_tokens:
            tokens |= set(range(*inst.holder_tokens))
    for inst in candidate.instances:
        sent = article.sents[inst.sentence]
        for j in range(sent.start, sent.end):
            if (p := article.actors.person_at(j)) is not None and p.actor_id == candidate.actor_id:
                tokens.add(j)
    return tokens

"""Features of a stance candidate for a learner over features (see `candidates`): where the
pair came from, the rule coder's label, the cue lexicon's words around the holder and the
target, negation, the clause heads between them, and the words near each. Relative to the
target's mention, never its identity: a new codebook needs no retraining."""

from __future__ import annotations

import dataclasses
from collections import Counter

WINDOW = 4  # words taken either side of the target and of the holder
NEGATORS = {"not", "n't", "never", "no", "nobody", "neither", "nor", "without", "longer"}


def features(article, candidate) -> dict[str, float]:
    """Feature name -> value (counts and indicators)."""
    from pipeline.nlp.lexicon import fold
    from pipeline.stances.candidates import target_marks
    from pipeline.stances.coder import lexicon

    lex = lexicon()
    marks = target_marks(article, candidate)
    out: Counter = Counter(candidate_features(article, candidate))
    out["instances"] = min(len(candidate.instances), 10) / 10
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
    for k in sorted(sentences)[:3]:
        sent = article.sents[k]
        tokens = list(sent)
        lemmas = [fold(t.lemma_) for t in tokens]
        in_target = [marks.get(t.i) == "TARGET" for t in tokens]
        in_holder = [t.i in holder_tokens for t in tokens]
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
            near_target = any(in_target[max(0, j - WINDOW) : j + WINDOW + 1])
            near_holder = any(in_holder[max(0, j - WINDOW) : j + WINDOW + 1])
            if near_target:
                out[f"t_win={lemma}"] = 1
            if near_holder:
                out[f"h_win={lemma}"] = 1
            if both and near_target and near_holder:
                out[f"between={lemma}"] = 1
        if article.quote_of[sent.start] is not None or any(article.quote_of[t.i] is not None for t in tokens):
            out["in_quote"] = 1
        targets = [t for t, mark in zip(tokens, in_target, strict=True) if mark]
        holders = [t for t, mark in zip(tokens, in_holder, strict=True) if mark]
        for t in targets[:2]:
            head = t.head
            out[f"t_dep={t.dep_}"] = 1
            out[f"t_head={fold(head.lemma_)}"] = 1
            _cue_features(out, "t_head_cue", fold(head.lemma_), _negated(head), lex)
        for h in holders[:2]:
            out[f"h_dep={h.dep_}"] = 1
            out[f"h_head={fold(h.head.lemma_)}"] = 1
        if targets and holders:
            path, top = _path(holders[0], targets[0])
            out[f"lca={fold(top.lemma_)}"] = 1
            _cue_features(out, "lca_cue", fold(top.lemma_), _negated(top), lex)
            for tok in path:
                out[f"between_path={fold(tok.lemma_)}"] = 1
                _cue_features(out, "path2_cue", fold(tok.lemma_), _negated(tok), lex)
    return dict(out)


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


def sentence_features(article, candidate) -> list[dict[str, float]]:
    """One feature dict per sentence that ties the candidate (at most
    MAX_SENTENCES_PER_CANDIDATE): that sentence's features, with the candidate-wide ones
    (where the pair came from, the rule coder's label, the holder's type, the target's rank)
    prefixed `candidate_`. A learner scores each sentence; a candidate takes its best."""
    wide = {f"candidate_{k}": v for k, v in candidate_features(article, candidate).items()}
    out = []
    for k in sorted({i.sentence for i in candidate.instances})[:MAX_SENTENCES_PER_CANDIDATE]:
        one = dataclasses.replace(candidate, instances=[i for i in candidate.instances if i.sentence == k])
        out.append({**features(article, one), **wide})
    return out


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

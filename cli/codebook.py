"""`stancewire codebook check FILE...`: a codebook read as a run would read it, before a run.

It prints each target with its terms and says what the coder will make of them, where a
first-time author is most often surprised (docs/codebooks.md):
- which targets are taken as *persons* (a term made only of proper nouns), and, for those
  of which the spaCy model reads a term as an organisation, a law or a place and none as a
  person (each term read alone: "Trump" alone may read as ORG, "Donald Trump" as PERSON),
  that `person: false` keeps them from pronouns and surname rules;
- terms made only of common words ("the", "it"), which mark nearly every sentence;
- terms that two targets share (each is coded on its own).
A file that does not follow the format fails as `stancewire run` fails: one line naming the
file and the field, exit status 2. Notes do not fail the check.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Entity labels of en_core_web_sm that name no person: a target whose name terms the model
# reads so is likely a body, a law or a place taken as a person by the proper-noun rule.
NOT_PERSON_LABELS = {"ORG", "LAW", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "EVENT", "WORK_OF_ART"}


def add_parser(sub) -> None:
    cb = sub.add_parser("codebook", help="check a codebook before a run: its targets, persons and doubtful terms")
    cb_sub = cb.add_subparsers(dest="codebook_command", required=True)
    check = cb_sub.add_parser("check", help="read codebooks as a run would and say what the coder makes of them")
    check.add_argument(
        "files", nargs="*", metavar="FILE", help="codebook YAML files or folders (default: data/codebooks, as for run)"
    )
    check.add_argument("--spacy-model", metavar="NAME", help="spaCy model (as for run)")


def main(args) -> int:
    from cli.common import fail
    from pipeline import settings
    from pipeline.stances.codebooks import CodebookError, load_codebooks

    names = args.files or [settings.DEFAULT_CODEBOOKS]
    files = []
    for path in map(Path, names):
        files += sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml")) if path.is_dir() else [path]
    if not files:
        return fail(f"no codebook files (.yaml, .yml) in {', '.join(names)}")
    try:
        books = load_codebooks(files)
    except CodebookError as e:
        return fail(str(e))
    model_name = settings.resolve(spacy_model=args.spacy_model)["spacy_model"]
    from pipeline.nlp.model import load_nlp
    from pipeline.stances.coder import TargetMatcher, is_name_term

    try:
        nlp = load_nlp(model_name)
    except RuntimeError as e:  # not installed: load_nlp's message says what to do
        return fail(str(e))
    matcher = TargetMatcher(nlp, books)
    notes = 0
    for book in books:
        print(
            f"{book.path}: codebook {book.name} {book.version}, {len(book.targets)} targets; "
            f"stances {', '.join(book.stances)}"
        )
        for k, target in enumerate(book.targets):
            docs = list(nlp.pipe(target.terms))
            person = matcher.is_person(book, target.id)
            if person:  # as TargetMatcher decides it: a term whose words are proper nouns, one capitalised
                declared = target.person is True
                proper = [
                    t
                    for t, d in zip(target.terms, docs, strict=True)
                    if is_name_term([w for w in d if not w.is_punct], declared)
                ]
                kind = f"a person{' (person: true)' if declared else ''} (proper names: {', '.join(proper)})"
            elif target.person is True:
                kind = "not a person (person: true, but no term is made of proper nouns: write the person's name)"
            else:
                kind = "not a person" + (" (person: false)" if target.person is False else "")
            print(f"  {target.id} ({target.label}): {kind}; terms: {', '.join(target.terms)}")
            for line in target_notes(docs, k, target, person):
                notes += 1
                print(f"    note: {line}")
    for line in shared_terms(books):
        notes += 1
        print(f"note: {line}")
    print(f"{sum(len(b.targets) for b in books)} targets in {len(books)} codebook(s), {notes} note(s)")
    sys.stdout.flush()
    return 0


def target_notes(docs: list, k: int, target, person: bool) -> list[str]:
    """What may surprise the codebook's author about one target (see the module docstring);
    `docs`: its terms as the model parses them."""
    out = []
    if person:
        whole = {
            term: {e.label_ for e in doc.ents if e.end - e.start == len(doc)}
            for term, doc in zip(target.terms, docs, strict=True)
        }
        if not any("PERSON" in labels for labels in whole.values()):
            term, labels = next(
                ((t, ls & NOT_PERSON_LABELS) for t, ls in whole.items() if ls & NOT_PERSON_LABELS), ("", set())
            )
            if labels:
                out.append(
                    f"taken as a person because a term is a proper name, but the model reads {term!r} as "
                    f"{'/'.join(sorted(labels))} and no term as a person: give the target `person: false` if it is a "
                    "body, a law or a place (pronouns and surnames would otherwise be read as it)"
                )
    for j, (term, doc) in enumerate(zip(target.terms, docs, strict=True)):
        words = [t for t in doc if not t.is_punct]
        if words and all(t.is_stop for t in words):
            out.append(
                f"targets[{k}].terms[{j}] {term!r} is common words only: it marks nearly every sentence of every article"
            )
    return out


def shared_terms(books) -> list[str]:
    """Terms (lower-cased) that more than one target lists."""
    holders: dict[str, list[str]] = {}
    for book in books:
        for target in book.targets:
            for term in dict.fromkeys(t.lower() for t in target.terms):
                holders.setdefault(term, []).append(f"{book.name}/{target.id}")
    return [
        f"{term!r} is a term of {', '.join(where)}: each is coded on its own"
        for term, where in holders.items()
        if len(where) > 1
    ]

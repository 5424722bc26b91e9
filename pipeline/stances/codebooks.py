"""Codebooks: YAML files naming the targets stance is coded toward.

Format (see data/codebooks/*.yaml): `codebook` (name), `version`, `description`,
`stances` (labels, a subset of favor/against/neutral) and `targets`, each with `id`,
`label`, `description`, `terms` (phrases whose presence, case- and lemma-insensitive,
signals the target) and `person` (optional: false keeps a target named by a proper noun,
a law or a body, from being taken as a person; true takes a term of proper nouns as a name
even written in lower case). A file that does not follow it raises `CodebookError` naming the file
and the field. docs/codebooks.md is the users' guide.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.schema import STANCE_LABELS

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class CodebookError(ValueError):
    pass


@dataclass(frozen=True)
class Target:
    id: str
    label: str
    description: str | None
    terms: tuple[str, ...]
    # False: never a person; True: a person, its terms of proper nouns names in any case; None:
    # inferred from its terms (`coder.is_name_term`)
    person: bool | None = None


@dataclass(frozen=True)
class Codebook:
    name: str
    version: str
    description: str | None
    stances: tuple[str, ...]
    targets: tuple[Target, ...]
    sha256: str
    path: str

    def target(self, target_id: str) -> Target:
        return next(t for t in self.targets if t.id == target_id)


TOP_KEYS = ("codebook", "version", "description", "stances", "targets")
TARGET_KEYS = ("id", "label", "description", "terms", "person")


def _check_keys(path: Path, obj: dict, known: tuple[str, ...], where: str) -> None:
    """A key the format does not have is refused: a misspelt `lable` would be ignored."""
    for key in obj:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            raise CodebookError(f"{path}: {where}: unknown key `{key}` (the keys are {', '.join(known)}){hint}")


def load_codebook(path: str | Path) -> Codebook:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise CodebookError(f"{path}: cannot read the codebook ({e.strerror or e})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CodebookError(f"{path}: not UTF-8 text (byte {e.start}); save the codebook as UTF-8") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise CodebookError(f"{path}: not valid YAML ({e})") from None
    if not isinstance(data, dict):
        raise CodebookError(f"{path}: expected a mapping with codebook, version and targets")

    def need(obj, key, where, kind=str):
        value = obj.get(key)
        if not isinstance(value, kind) or not (value.strip() if isinstance(value, str) else value):
            raise CodebookError(f"{path}: {where}: `{key}` must be a non-empty {kind.__name__}")
        return value

    _check_keys(path, data, TOP_KEYS, "top level")
    name = need(data, "codebook", "top level")
    if not _ID.match(name):
        raise CodebookError(f"{path}: codebook name {name!r} may hold only letters, digits, '_', '.', '-'")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, str | int | float) or not str(version).strip():
        raise CodebookError(f'{path}: top level: `version` is required (a string such as "1.0")')
    if not isinstance(version, str):  # as written: YAML reads an unquoted 1.10 as the number 1.1
        version = yaml.load(text, Loader=yaml.BaseLoader).get("version", version)
    version = str(version).strip()
    stances = data.get("stances") or list(STANCE_LABELS)
    if not isinstance(stances, list):
        raise CodebookError(f"{path}: top level: `stances` must be a list, such as [favor, against, neutral]")
    stances = tuple(stances)
    for k, label in enumerate(stances):
        if label not in STANCE_LABELS:
            close = difflib.get_close_matches(str(label), STANCE_LABELS, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            raise CodebookError(
                f"{path}: stances[{k}]: {label!r} is not a stance label (the labels are {', '.join(STANCE_LABELS)}){hint}"
            )
    targets = []
    for k, t in enumerate(need(data, "targets", "top level", list)):
        where = f"targets[{k}]"
        if not isinstance(t, dict):
            raise CodebookError(f"{path}: {where}: expected a mapping with id, label and terms")
        _check_keys(path, t, TARGET_KEYS, where)
        tid = need(t, "id", where)
        if not _ID.match(tid):
            raise CodebookError(f"{path}: {where}: id {tid!r} may hold only letters, digits, '_', '.', '-'")
        terms = need(t, "terms", where, list)
        if not all(isinstance(x, str) and x.strip() for x in terms):
            raise CodebookError(f"{path}: {where}: every term must be a non-empty string")
        for j, term in enumerate(terms):
            if not any(c.isalnum() for c in term):
                raise CodebookError(
                    f"{path}: {where}.terms[{j}]: {term!r} holds no word (no letter or digit); it could never match"
                )
        person = t.get("person")
        if person is not None and not isinstance(person, bool):
            raise CodebookError(
                f"{path}: {where}: `person` must be true or false (false: no person although a term is a proper "
                "name; true: a person whose names may be written in lower case); leave it out and a person is "
                "inferred from the names in its terms"
            )
        label = str(t.get("label") or tid)
        targets.append(Target(tid, label, t.get("description"), tuple(x.strip() for x in terms), person))
    first: dict[str, int] = {}
    for k, t in enumerate(targets):
        if t.id in first:
            raise CodebookError(
                f"{path}: targets[{k}]: id {t.id!r} is already the id of targets[{first[t.id]}]; target ids must be unique"
            )
        first[t.id] = k
    return Codebook(
        name, version, data.get("description"), stances, tuple(targets), hashlib.sha256(raw).hexdigest(), str(path)
    )


def load_codebooks(paths) -> list[Codebook]:
    books = [load_codebook(p) for p in paths]
    by_name: dict[str, list[str]] = {}
    for b in books:
        by_name.setdefault(b.name, []).append(b.path)
    shared = {name: files for name, files in by_name.items() if len(files) > 1}
    if shared:
        name, files = next(iter(shared.items()))
        raise CodebookError(f"two codebooks share the name {name!r}: {', '.join(files)}; give each its own `codebook`")
    return books


def codebook_target_rows(books: list[Codebook]) -> list[dict]:
    return [
        {
            "codebook": b.name,
            "target": t.id,
            "codebook_version": b.version,
            "label": t.label,
            "description": (t.description or "").strip() or None,
            "terms": json.dumps(list(t.terms), ensure_ascii=False),
        }
        for b in books
        for t in b.targets
    ]

"""What stancewire's stored work depends on, as fingerprints: its own code, the release
schema (a change is a major version), a release's input, and a statement's coding (model,
code, codebooks).

The code is fingerprinted three ways, each over the modules that can change what it keys
and every module they import (imports inside functions too), with every resource file:
`work_code_version` (staged batches, parses, codings; the warehouse assets' code version in
Dagster), `checks_code_version` (kept validation outcomes), and `code_version`, all of it
(the release's reused files).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

from pipeline.schema import schema_fingerprint_source

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("pipeline", "assets", "expectations")
RESOURCE_SUFFIXES = (".txt", ".tsv", ".yaml", ".sql", ".json")

# The modules whose code decides what is staged, parsed, extracted, coded, corrected and
# aliased: the per-batch and warehouse-wide steps, the review's application, the automatic
# actor aliases, and the Dagster assets that call them. With every stancewire module they
# import (`module_closure`) they make `work_code_version`, the key of staged batches, parses
# and codings. Left out, because no stored row depends on them: the release (export, card,
# figures, changelog), the expectations and checks, the exports, the review's sampling and
# agreement, and where the steps run (the runner, the distributed executors), which the
# CLI and `assets.distributed` decide.
WORK_ENTRIES = (
    "assets.stages",
    "pipeline.steps.per_batch",
    "pipeline.steps.worker",
    "pipeline.steps.warehouse_wide",
    "pipeline.steps.load",
    "pipeline.steps.coding_scope",
    "pipeline.review.apply",
    "pipeline.actors.canonical",
)
# The modules whose code decides a validation's outcomes: the asset checks and every
# expectations module (`expectations.suites` imports the table modules by name). With what
# they import they make `checks_code_version`, the key of kept validation outcomes.
CHECK_ENTRIES = ("assets.checks", "expectations")


def schema_fingerprint() -> str:
    return hashlib.sha256(json.dumps(schema_fingerprint_source(), sort_keys=True).encode()).hexdigest()


def code_fingerprint(modules: Iterable[str] | None = None, root: Path = ROOT) -> str:
    """SHA-256 over stancewire's own source and resource files (not the environment);
    `modules`: of the Python files, only these modules' (every resource file all the same)."""
    wanted = None if modules is None else set(modules)
    h = hashlib.sha256()
    for package in PACKAGES:
        base = root / package
        for path in sorted(base.rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            if path.suffix == ".py":
                if wanted is not None and _module_name(path, root) not in wanted:
                    continue
            elif path.suffix not in RESOURCE_SUFFIXES:
                continue
            h.update(path.relative_to(root).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def code_version() -> str:
    """The short fingerprint of all of stancewire's code: what the release's reused files
    key on."""
    return code_fingerprint()[:12]


@functools.cache
def work_code_version() -> str:
    """The short fingerprint of the code stored work depends on (`WORK_ENTRIES`): each
    warehouse asset's code version in Dagster, and the key of staged batches, parses and
    codings. An edit to the release, the checks or the CLI therefore stages, parses and
    codes nothing again."""
    return entries_fingerprint(WORK_ENTRIES)[:12]


@functools.cache
def checks_code_version() -> str:
    """The short fingerprint of the code a validation's outcomes depend on (`CHECK_ENTRIES`):
    the key of kept outcomes. An edit to the release or the CLI validates nothing again."""
    return entries_fingerprint(CHECK_ENTRIES)[:12]


def entries_fingerprint(entries: Iterable[str], root: Path = ROOT) -> str:
    """`code_fingerprint` of the modules `entries` name (a package: every module in it) and of
    every module they import, directly or not, with every resource file."""
    modules = _modules(root)
    named = [m for m in modules if any(m == e or m.startswith(e + ".") for e in entries)]
    return code_fingerprint(module_closure(named, root), root)


# An import statement: `from X import names` (names possibly in parentheses over several
# lines) or `import X, Y as Z`, at any indentation (imports inside functions count too).
_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)|import[ \t]+([^\n]*))", re.MULTILINE
)


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(root: Path = ROOT) -> dict[str, Path]:
    return {
        _module_name(p, root): p
        for package in PACKAGES
        for p in sorted((root / package).rglob("*.py"))
        if "__pycache__" not in p.parts
    }


def imported_modules(name: str, path: Path, known: Iterable[str]) -> set[str]:
    """The stancewire modules (of `known`) that the module `name` at `path` imports, and the
    packages above them (their `__init__` runs too). Read with a regular expression, not a
    parser: 0.01 s for every module against 0.12 s to parse them, at each run's start. A
    line inside a string that looks like an import only adds a module, which can make a
    fingerprint change too often, never too rarely."""
    known = set(known)
    text = re.sub(r"#[^\n]*", "", path.read_text(encoding="utf-8")).replace("\\\n", " ")
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for base, names, plain in _IMPORT.findall(text):
        if plain:
            candidates = [n.split(" as ")[0].strip() for n in plain.split(",")]
        else:
            dots = len(base) - len(base.lstrip("."))
            if dots:
                parts = package.split(".")
                parts = parts[: len(parts) - (dots - 1)]
                base = ".".join(parts + ([base[dots:]] if base[dots:] else []))
            items = names.strip().strip("()").split(",")
            candidates = [base] + [f"{base}.{n.split(' as ')[0].strip()}" for n in items if n.strip()]
        for candidate in candidates:
            while candidate:
                if candidate in known:
                    found.add(candidate)
                candidate = candidate.rpartition(".")[0]
    return found


def module_closure(entries: Iterable[str], root: Path = ROOT) -> frozenset[str]:
    """The modules `entries` import, directly or not (`imported_modules`), with themselves."""
    modules = _modules(root)
    seen: set[str] = set()
    todo = list(entries)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in modules:
            raise ValueError(f"{name} is not a stancewire module (fingerprints.WORK_ENTRIES)")
        seen.add(name)
        todo.extend(imported_modules(name, modules[name], modules) - seen)
    return frozenset(seen)


def row_hash_sql(columns) -> str:
    """SQL: DuckDB's hash of a row over the named columns (the same value as
    `hash(*COLUMNS(*))` when they are all of them, in order)."""
    return "hash(" + ", ".join(f'"{c}"' for c in columns) + ")"


def table_content(conn, table: str) -> str:
    """Row count and the sum of row hashes: a changed, added or removed row changes it (the
    validation cache and the release's file reuse both key on it)."""
    rows, total = conn.execute(f'SELECT count(*), sum(hash(*COLUMNS(*))) FROM "{table}"').fetchall()[0]
    return f"{rows}:{total}"


def input_fingerprint(conn) -> str:
    h = hashlib.sha256()
    for row in conn.execute(
        "SELECT batch_id, source_file, record_no, record_sha256 FROM raw_articles "
        "ORDER BY batch_id, source_file, record_no"
    ).fetchall():
        h.update(json.dumps(row).encode())
    for row in conn.execute(
        "SELECT batch_id, source_file, record_no, reason FROM rejected_articles "
        "ORDER BY batch_id, source_file, record_no"
    ).fetchall():
        h.update(json.dumps(row).encode())
    return h.hexdigest()


def coding_fingerprint(model_name: str, code_fp: str, codebooks) -> str:
    """What a statement depends on besides its article: model, stancewire's code, codebooks."""
    from pipeline.nlp.model import model_id_for

    return hashlib.sha256(
        json.dumps([model_id_for(model_name), code_fp, [(b.name, b.sha256) for b in codebooks]]).encode()
    ).hexdigest()

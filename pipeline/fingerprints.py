"""What stancewire's stored work depends on, as fingerprints: its own code, the release
schema (a change is a major version), a release's input, and a statement's coding (model,
code, codebooks).

The code is fingerprinted three ways, each over every resource file and the Python modules
that can change what it keys: `work_code_version` (staged batches, parses, codings; the
warehouse assets' code version in Dagster), `checks_code_version` (kept validation
outcomes), and `code_version`, all of it (the release's reused files).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from pipeline.schema import schema_fingerprint_source

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("pipeline", "assets", "expectations")
RESOURCE_SUFFIXES = (".txt", ".tsv", ".yaml", ".sql", ".json")

# What neither stored rows nor validation outcomes depend on, module or package: the
# release (export, card, figures, changelog), the exports, the review's sampling and
# agreement, and the Dagster wiring (the job definitions, the runner, the distributed
# executors, the sensors and schedules). A fingerprint covers every other module and every
# module those import, directly or not (`module_closure`): a new module is in by default,
# and a left-out one that an included module imports comes back in.
_NOT_STORED = (
    "pipeline.release",
    "pipeline.exports",
    "pipeline.review.sample",
    "pipeline.review.agreement",
    "assets.release",
    "assets.definitions",
    "assets.runner",
    "assets.distributed",
    "assets.automation",
)
# Stored rows do not depend on the expectations and the asset checks either; validation
# outcomes do.
NOT_WORK = _NOT_STORED + ("expectations", "assets.checks")
NOT_CHECKS = _NOT_STORED


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
    """The short fingerprint of the code stored work depends on (all of it but `NOT_WORK`):
    each warehouse asset's code version in Dagster, and the key of staged batches, parses
    and codings. An edit to the release, the checks or the wiring stages, parses and codes
    nothing again."""
    return code_fingerprint(_fingerprinted_modules()["work"])[:12]


@functools.cache
def checks_code_version() -> str:
    """The short fingerprint of the code a validation's outcomes depend on (all of it but
    `NOT_CHECKS`): the key of kept outcomes. An edit to the release or the wiring validates
    nothing again."""
    return code_fingerprint(_fingerprinted_modules()["checks"])[:12]


@functools.cache
def _fingerprinted_modules() -> dict[str, list[str]]:
    """{"work": modules, "checks": modules}, from the user's cache folder when no Python file
    changed since they were found (`derived_cache`: keyed by every file's path, size and
    modification time; parsing every module takes 0.12-0.2 s, at every run's start)."""
    from pipeline.nlp.derived_cache import cached_json

    files = sorted(modules().values())
    return cached_json("code_modules", files, lambda: {k: sorted(v) for k, v in fingerprinted_modules().items()})


def fingerprinted_modules(root: Path = ROOT) -> dict[str, frozenset[str]]:
    """The modules each code fingerprint covers: every module not under `NOT_WORK` (or
    `NOT_CHECKS`), and every module those import."""
    graph = import_graph(root)
    return {
        kind: module_closure([m for m in graph if not _under(m, left_out)], graph)
        for kind, left_out in (("work", NOT_WORK), ("checks", NOT_CHECKS))
    }


def _under(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def modules(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    """Dotted module name -> file, for every module of stancewire's packages."""
    return {
        _module_name(path, root): path
        for package in packages
        for path in sorted((root / package).rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The stancewire modules (of `known`) that module `name` imports, anywhere in the file
    (functions included), as Python's parser reads it."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # `from pipeline.steps import pool` imports a module; `from .x import f` imports x
            targets = [
                f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in known else prefix for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import a.b.c` of a package's attribute
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> dict[str, set[str]]:
    """{module: the stancewire modules it imports (`imports`)}, every file parsed once."""
    files = modules(root, packages)
    known = set(files)
    return {name: imports(name, path, known) for name, path in files.items()}


def module_closure(entries: Iterable[str], graph: dict[str, set[str]] | None = None) -> frozenset[str]:
    """`entries` and the modules they import, directly or not (`graph`: `import_graph()`),
    with the packages above each (their `__init__` runs first)."""
    graph = import_graph() if graph is None else graph
    seen: set[str] = set()
    todo = list(entries)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in graph:
            raise ValueError(f"{name} is not a stancewire module")
        seen.add(name)
        parents = [name.rsplit(".", k)[0] for k in range(1, name.count(".") + 1)]
        todo.extend(m for m in (*graph[name], *parents) if m in graph and m not in seen)
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

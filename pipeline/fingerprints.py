"""What stancewire's stored work depends on, as fingerprints: its own code, the release
schema (a change is a major version), a release's input, and a statement's coding (model,
code, codebooks).

The code is fingerprinted three ways, each over every resource file and the Python modules
that can change what it keys: `work_code_version` (staged batches, parses, codings; the
warehouse assets' code version in Dagster), `checks_code_version` (kept validation
outcomes), and `code_version`, all of it (the release's reused files). The first two also
cover the installed version of every library those modules import and of every library
those require (`LIBRARIES_NOT_SHAPING` aside): an upgraded cleaner, parser or gazetteer
changes stored rows as a code edit does.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from pipeline.nlp.derived_cache import library_versions
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

# Libraries whose version changes no stored row and no validation outcome; their own
# requirements are not followed for them. Orchestration, console and command line; files,
# caches and locks; network and TLS; typing, packaging and build tools; rendering for display.
# Every other library a covered module imports is in its fingerprint with its installed
# version, and so is every library those require, followed down (`library_closure`): a
# library new to the code, or to a library's requirements, is in by default.
LIBRARIES_NOT_SHAPING = frozenset(
    {
        *("dagster", "rich", "click", "typer", "shellingham", "tqdm", "wasabi", "spacy-loggers", "colorama", "weasel"),
        *("platformdirs", "filelock", "smart-open", "cloudpathlib"),
        *("requests", "urllib3", "certifi", "idna", "charset-normalizer", "httpx", "httpcore", "h11", "anyio"),
        *("sniffio", "cryptography", "cffi", "pycparser"),
        *("typing-extensions", "typing-inspection", "annotated-types", "annotated-doc", "setuptools", "packaging"),
        *("wheel", "jinja2", "markupsafe", "markdown-it-py", "mdurl", "pygments", "mistune", "altair"),
    }
)
# Libraries a library uses without declaring them: trafilatura's justext imports
# lxml.html.clean, a package of its own since lxml 5.2 (stancewire requires it for that).
LIBRARIES_BEHIND = {"trafilatura": ("lxml-html-clean",)}


def schema_fingerprint() -> str:
    return hashlib.sha256(json.dumps(schema_fingerprint_source(), sort_keys=True).encode()).hexdigest()


def code_fingerprint(
    modules: Iterable[str] | None = None, root: Path = ROOT, libraries: Mapping[str, str] | None = None
) -> str:
    """SHA-256 over stancewire's own source and resource files; `modules`: of the Python
    files, only these modules' (every resource file all the same); `libraries`: distribution
    -> installed version (`library_versions`), hashed with them."""
    wanted = None if modules is None else set(modules)
    h = hashlib.sha256()
    for name, version in sorted((libraries or {}).items()):
        h.update(f"library {name}=={version}\0".encode())
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


def git_revision(root: Path = ROOT) -> dict:
    """{"git_commit": the checkout's HEAD, "git_dirty": whether tracked files differ from it}
    when stancewire runs from a git checkout with git installed, else {}: lets a release's
    reader find the source its `source_sha256` was computed from."""
    import subprocess

    try:
        top = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        if not top or Path(top).resolve() != root.resolve():  # an installed copy inside someone else's repository
            return {}
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    return {"git_commit": head, "git_dirty": bool(status.strip())} if head else {}


@functools.cache
def source_fingerprint() -> str:
    """`code_fingerprint()` of all of stancewire's code, computed once per process: a release
    needs it twice (`code_version` for its reused files, the manifest's `source_sha256`),
    and reading every source file took 0.12 s each time. It describes the code the process
    imported when it first asked, even if a file is edited later."""
    return code_fingerprint()


def code_version() -> str:
    """The short fingerprint of all of stancewire's code: what the release's reused files
    key on."""
    return source_fingerprint()[:12]


@functools.cache
def work_code_version() -> str:
    """The short fingerprint of the code stored work depends on (all of it but `NOT_WORK`)
    and of the libraries it imports: each warehouse asset's code version in Dagster, and the
    key of staged batches, parses and codings. An edit to the release, the checks or the
    wiring stages, parses and codes nothing again; an upgraded spaCy or ftfy does."""
    covered = _fingerprinted_inputs()
    return code_fingerprint(covered["work"], libraries=covered["libraries"]["work"])[:12]


@functools.cache
def checks_code_version() -> str:
    """The short fingerprint of the code a validation's outcomes depend on (all of it but
    `NOT_CHECKS`) and of the libraries it imports (Great Expectations among them): the key
    of kept outcomes. An edit to the release or the wiring validates nothing again."""
    covered = _fingerprinted_inputs()
    return code_fingerprint(covered["checks"], libraries=covered["libraries"]["checks"])[:12]


def stored_work_libraries() -> dict[str, str]:
    """Distribution -> installed version of every library stored rows or validation
    outcomes depend on (both fingerprints' libraries): what a release's manifest records."""
    covered = _fingerprinted_inputs()["libraries"]
    return dict(sorted({**covered["work"], **covered["checks"]}.items()))


@functools.cache
def _fingerprinted_inputs() -> dict:
    """{"work": modules, "checks": modules, "libraries": {"work": {distribution: version},
    "checks": {...}}}, from the user's cache folder when no Python file changed and nothing
    was installed, upgraded or removed since they were found (`derived_cache`: keyed by every
    Python file's and every folder on the import path's path, size and modification time; an
    install changes its folder's). Found afresh, they take about 1 s: parsing every module,
    mapping imports to distributions, reading their requirements."""
    from pipeline.nlp.derived_cache import cached_json

    inputs = [*sorted(modules().values()), *_import_folders()]

    def build() -> dict:
        covered = fingerprinted_modules()
        found = fingerprinted_libraries(covered)
        return {k: sorted(v) for k, v in covered.items()} | {
            "libraries": {kind: library_versions(names) for kind, names in found.items()}
        }

    return cached_json("code_inputs", inputs, build)


def _import_folders() -> list[Path]:
    """The folders distributions are found in: every folder on the import path, and where
    this environment installs packages."""
    import sysconfig

    found = {*sys.path, sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    return sorted({Path(p).resolve() for p in found if p and Path(p).is_dir()})


def library_imports(path: Path, root: Path = ROOT) -> set[str]:
    """The top-level names of the libraries a module imports (anywhere in the file): absolute
    imports of neither the standard library nor stancewire's own packages."""
    found = set()
    for node in _import_nodes(path):
        if isinstance(node, ast.Import):
            found |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.partition(".")[0])
    return {
        name
        for name in found
        if name not in sys.stdlib_module_names and name not in PACKAGES and not (root / name / "__init__.py").is_file()
    }


def fingerprinted_libraries(covered: Mapping[str, Iterable[str]], root: Path = ROOT) -> dict[str, list[str]]:
    """{kind: distributions}: those that provide what the modules of each kind
    (`fingerprinted_modules`) import, with `LIBRARIES_BEHIND` them and all they require
    (`library_closure`), less `LIBRARIES_NOT_SHAPING`. An import no installed distribution
    provides stays under its own name (version "-"): installing it changes the fingerprint."""
    from importlib import metadata

    files = modules(root)
    provided = metadata.packages_distributions()
    out = {}
    for kind, names in covered.items():
        direct: set[str] = set()
        for top in set().union(*(library_imports(files[m], root) for m in names)):
            direct |= {_canonical(d) for d in provided.get(top, [top])}
        direct |= {b for d in direct for b in LIBRARIES_BEHIND.get(d, ())}
        out[kind] = sorted(library_closure(direct))
    return out


def library_closure(names: Iterable[str]) -> set[str]:
    """`names` and every distribution they require (requirements of no extra, for this
    Python and platform), followed down, less `LIBRARIES_NOT_SHAPING` (not followed)."""
    from importlib import metadata

    from packaging.requirements import InvalidRequirement, Requirement

    seen: set[str] = set()
    todo = [_canonical(n) for n in names]
    while todo:
        name = todo.pop()
        if name in seen or name in LIBRARIES_NOT_SHAPING:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(_canonical(req.name))
    return seen


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return canonicalize_name(name)


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
    for node in _import_nodes(path):
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


def _import_nodes(path: Path) -> list[ast.Import | ast.ImportFrom]:
    """The import statements of a module, anywhere in it (parsed once per file version)."""
    st = path.stat()
    return _parsed_imports(path, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=1024)
def _parsed_imports(path: Path, mtime_ns: int, size: int) -> list[ast.Import | ast.ImportFrom]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]


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

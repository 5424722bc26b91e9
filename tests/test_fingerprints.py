"""The code fingerprints: all of stancewire's code (`code_fingerprint`), the code stored rows
depend on (`work_code_version`: every module but `NOT_WORK`'s, with every module those
import), and the code validation outcomes depend on (`checks_code_version`)."""

from __future__ import annotations

import shutil

import pytest

from pipeline.fingerprints import (
    NOT_WORK,
    PACKAGES,
    ROOT,
    checks_code_version,
    code_fingerprint,
    fingerprinted_modules,
    module_closure,
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


def test_the_cached_module_lists_are_those_found_now():
    covered = fingerprinted_modules()
    assert work_code_version() == code_fingerprint(covered["work"])[:12]
    assert checks_code_version() == code_fingerprint(covered["checks"])[:12]


def test_an_unknown_module_is_named():
    with pytest.raises(ValueError, match="stancewire_nowhere"):
        module_closure(["stancewire_nowhere"])

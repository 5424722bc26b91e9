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
        (GOOD + "stances: [favor, maybe]\n", r"stances \['maybe'\] are not among"),
    ],
)
def test_a_codebook_with_a_wrong_field_names_the_file_and_the_field(tmp_path, text, message):
    path = _book(tmp_path, text)
    with pytest.raises(CodebookError, match=message) as refused:
        load_codebook(path)
    assert str(refused.value).startswith(f"{path}: ")


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

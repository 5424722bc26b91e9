"""docs/data-dictionary.md is generated from the schema; regenerate with `stancewire docs`."""

from pathlib import Path

from pipeline.exports.dictionary import data_dictionary

REPO = Path(__file__).resolve().parent.parent


def test_data_dictionary_is_current():
    path = REPO / "docs" / "data-dictionary.md"
    assert path.read_text(encoding="utf-8") == data_dictionary(), "run `stancewire docs` and commit the result"

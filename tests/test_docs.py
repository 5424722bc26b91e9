"""The documents: docs/data-dictionary.md is generated from the schema (regenerate with
`stancewire docs`), the guides' examples run, and their links lead somewhere."""

import re
from pathlib import Path

from pipeline.exports.dictionary import data_dictionary

REPO = Path(__file__).resolve().parent.parent


def test_data_dictionary_is_current():
    path = REPO / "docs" / "data-dictionary.md"
    assert path.read_text(encoding="utf-8") == data_dictionary(), "run `stancewire docs` and commit the result"


def test_the_codebook_guides_example_is_a_valid_codebook(tmp_path):
    """docs/codebooks.md's example loads as it is written (the guide is not left behind the format)."""
    import re

    from conftest import REPO

    from pipeline.stances.codebooks import load_codebook

    guide = (REPO / "docs" / "codebooks.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", guide, re.S)[1]
    (tmp_path / "example.yaml").write_text(example, encoding="utf-8")
    book = load_codebook(tmp_path / "example.yaml")
    assert book.name == "city-transport" and [t.id for t in book.targets] == ["congestion_charge", "mayor_reyes"]


def test_every_relative_link_in_the_documents_names_a_file_of_the_repository():
    """A document moved or renamed (docs/scaling.md's log became docs/scaling-log.md) leaves
    no link in README.md, docs/ or eval/ pointing at nothing."""
    documents = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), *sorted((REPO / "eval").glob("*.md"))]
    broken = []
    for doc in documents:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            if "://" not in target and not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(REPO)}: {target}")
    assert len(documents) > 5
    assert not broken, broken

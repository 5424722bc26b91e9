"""The publisher's description of the dataset (`dataset.yaml` in the releases folder): read
and checked, refused with the file and key named, and carried into the manifest, the
dataset card, datapackage.json and croissant.json, which stay valid."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from pipeline.release.dataset_info import DatasetInfoError, load_dataset_info

REPO = Path(__file__).resolve().parents[1]

INFO = """\
title: "Peacekeeping coverage: who said what"
description: Positions on a European force in Ukraine, from one article.
license:
  id: CC-BY-4.0
  url: https://creativecommons.org/licenses/by/4.0/
citation: Doe, J. (2026). Peacekeeping coverage [Data set].
url: https://example.org/peacekeeping
creators:
  - name: Jane Doe
    affiliation: Example University
    orcid: 0000-0002-1825-0097
  - Sam Roe
sources:
  - title: The i Paper
    url: https://inews.co.uk
    description: One article, February 2025.
"""


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dataset.yaml").write_text(text, encoding="utf-8")
    return folder


def test_no_file_is_no_description(tmp_path):
    assert load_dataset_info(tmp_path) == {}


def test_a_description_is_read_and_normalised(tmp_path):
    info = load_dataset_info(write(tmp_path, INFO))
    assert info["license"] == {"id": "CC-BY-4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}
    assert info["creators"][1] == {"name": "Sam Roe"}  # a bare name is a creator
    assert info["sources"][0]["title"] == "The i Paper"
    assert load_dataset_info(write(tmp_path, "license: MIT\n")) == {"license": {"id": "MIT"}}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("titel: x\n", "unknown key(s) titel"),
        ("license:\n  url: https://x\n", "license needs an id"),
        ("license:\n  id: MIT\n  version: 2\n", "license: unknown key(s) version"),
        ("creators: Jane\n", "creators must be a list"),
        ("creators:\n  - affiliation: X\n", "creators item 1 needs a name"),
        ("title: [a, b]\n", "title must be text, not list"),
        ("title: '  '\n", "title is empty"),
        ("- a\n- b\n", "found a list"),
        ("title: [unclosed\n", "cannot be read as YAML"),
    ],
)
def test_a_wrong_description_is_refused_with_file_and_key(tmp_path, text, says):
    with pytest.raises(DatasetInfoError) as e:
        load_dataset_info(write(tmp_path, text))
    assert str(tmp_path / "dataset.yaml") in str(e.value) and says in str(e.value)


def test_a_run_refuses_a_wrong_description_before_it_starts(tmp_path, capsys):
    from cli.main import main

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Title\n\nSome text.", encoding="utf-8")
    write(tmp_path / "releases", "licence: CC-BY-4.0\n")
    args = ["run", "--input", str(folder), "--warehouse", str(tmp_path / "w.duckdb")]
    args += [
        "--releases",
        str(tmp_path / "releases"),
        "--codebook",
        str(REPO / "data" / "codebooks" / "us-election-2016.yaml"),
    ]
    assert main(args) == 2
    assert "unknown key(s) licence (known: title," in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()


def test_the_release_files_carry_the_description_and_stay_valid(seed_run, tmp_path, monkeypatch):
    """The seed's release, its metadata files written again with a description: the card,
    the Data Package (checked by frictionless) and Croissant (by mlcroissant) carry it."""
    import frictionless
    import mlcroissant as mlc

    from pipeline.release import card, metadata, versions

    src, settings, outcome = seed_run
    assert outcome.ok, outcome.reason
    folder = tmp_path / "v1.0.0"
    shutil.copytree(src / "releases" / "v1.0.0", folder)
    folder.chmod(0o755)
    for p in folder.iterdir():
        p.chmod(0o644)
    manifest = versions.read_manifest(src / "releases", "v1.0.0")
    manifest["dataset_info"] = load_dataset_info(write(tmp_path / "releases", INFO))
    conn = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        package = metadata.datapackage(manifest, conn)
        text = card.dataset_card(manifest, conn)
    finally:
        conn.close()
    (folder / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    (folder / "croissant.json").write_text(json.dumps(metadata.croissant(manifest)), encoding="utf-8")

    assert package["title"] == "Peacekeeping coverage: who said what"
    assert package["licenses"][0] == {
        "name": "CC-BY-4.0",
        "path": "https://creativecommons.org/licenses/by/4.0/",
        "title": "Data: CC-BY-4.0",
    }
    assert package["contributors"][0]["path"] == "https://orcid.org/0000-0002-1825-0097"
    assert package["sources"][0] == {
        "title": "The i Paper",
        "path": "https://inews.co.uk",
        "description": "One article, February 2025.",
    }
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "type", "note"])[:10]

    ds = mlc.Dataset(jsonld=str(folder / "croissant.json"))
    issues = ds.metadata.ctx.issues
    assert not issues.errors and not issues.warnings, issues.report()
    assert ds.metadata.cite_as == "Doe, J. (2026). Peacekeeping coverage [Data set]."

    assert text.startswith("# Peacekeeping coverage: who said what, version 1.0.0")
    assert "licenses the data under CC-BY-4.0 (https://creativecommons.org/licenses/by/4.0/)" in text
    # the publisher's text as written (HTML-escaped only), not with the data's Markdown escapes
    assert "Cite as: Doe, J. (2026). Peacekeeping coverage [Data set]. (https://example.org/peacekeeping)" in text
    assert "Jane Doe (Example University), ORCID 0000-0002-1825-0097; Sam Roe" in text
    assert "full text of every article" in text
    # every card says how far to trust automatic coding, with the model's own scores
    limits = text.split("## Limitations", 1)[1].split("\n## ", 1)[0]
    assert "of 10 coded statements agree with a hand-coder's" in limits and "stancewire review" in limits


def test_a_description_edited_alone_is_published_as_a_patch_version(seed_run, tmp_path):
    """The same rows under an edited dataset.yaml: a new patch version (v1.0.1) carrying it,
    its CHANGELOG saying so; the same rows and description again: nothing published."""
    from pipeline.release import checksums, versions
    from pipeline.release import publish as release

    src, settings, outcome = seed_run
    assert outcome.ok, outcome.reason
    releases = tmp_path / "releases"
    shutil.copytree(src / "releases", releases, symlinks=True)
    shutil.copy(settings.warehouse, tmp_path / "warehouse.duckdb")
    previous = versions.read_manifest(releases, "v1.0.0")
    provenance = {k: previous[k] for k in ("spacy", "codebooks", "warehouse_id") if k in previous}
    conn = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    try:
        assert not release.publish(conn, releases, provenance, {}).created  # same rows, no description
        info = load_dataset_info(write(releases, INFO))
        result = release.publish(conn, releases, {**provenance, "dataset_info": info}, {})
        assert result.created and result.version == "v1.0.1"
        assert not release.publish(conn, releases, {**provenance, "dataset_info": info}, {}).created
    finally:
        conn.close()
    assert versions.read_manifest(releases, "v1.0.1")["dataset_info"] == info
    log = (releases / "v1.0.1" / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "- the dataset's description (dataset.yaml" in log
    assert (releases / "v1.0.1" / "README.md").read_text(encoding="utf-8").startswith("# Peacekeeping coverage")
    assert not checksums.verify(releases, "v1.0.1")

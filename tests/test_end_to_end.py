"""The whole graph on the seed article (the reference article the project was born from):
who said what, who is who, who stands where, and a release whose checksums verify."""

from __future__ import annotations

import json
import shutil
from importlib import metadata
from pathlib import Path

import pytest
from conftest import SEED, make_settings, run

from pipeline.release import checksums, versions


def _speaker_of(db, fragment: str) -> tuple[str, str]:
    rows = db.execute(
        "SELECT a.name, q.kind FROM quotes q JOIN actors a ON a.actor_id = q.speaker_actor_id "
        "WHERE strpos(q.content, ?) > 0",
        [fragment],
    ).fetchall()
    assert rows, f"no quote containing {fragment!r}"
    return rows[0]


def test_run_publishes_v1(seed_run):
    tmp, settings, outcome = seed_run
    assert outcome.ok, outcome.reason
    assert versions.current_version(tmp / "releases") == "v1.0.0"
    # the UI tells runs on different warehouses apart by this tag
    assert outcome.result.dagster_run.tags["stancewire/warehouse"] == str(Path(settings.warehouse).resolve())
    manifest = versions.read_manifest(tmp / "releases", "v1.0.0")
    assert manifest["version"] == "1.0.0"
    assert manifest["spacy"]["model"].startswith("en_core_web_sm")
    # the libraries the rows depend on, at their installed versions, in the manifest and the card
    assert manifest["libraries"]["spacy"] == metadata.version("spacy") and "dagster" not in manifest["libraries"]
    card = (tmp / "releases" / "v1.0.0" / "README.md").read_text(encoding="utf-8")
    assert f"`ftfy=={metadata.version('ftfy')}`" in card
    assert [c["name"] for c in manifest["codebooks"]] == ["ukraine-peacekeeping", "us-election-2016"]
    assert manifest["tables"]["articles"]["rows"] == 1
    assert all(v["failed_blocking"] == 0 for v in manifest["validation"].values())
    assert checksums.verify(tmp / "releases", "v1.0.0") == []


def test_direct_quotes_have_their_speakers(seed_db):
    assert _speaker_of(seed_db, "Of course this is unacceptable to us.")[0] == "Sergei Lavrov"
    assert _speaker_of(seed_db, "If they want to do that, that’d be fine")[0] == "Donald Trump"
    assert _speaker_of(seed_db, "“We need a security guarantee for Ukraine")[0] == "John Healey"
    assert _speaker_of(seed_db, "We need to know that there is a meaningful US backstop")[0] == "A UK Government source"


def test_actors_are_canonical(seed_db):
    lavrov = seed_db.execute("SELECT actor_type, country FROM actors WHERE name = 'Sergei Lavrov'").fetchall()
    assert lavrov == [("person", "RUS")]
    # "Sir Keir Starmer", "Starmer" and "the Prime Minister" are one person
    assert seed_db.execute("SELECT count(*) FROM actors WHERE name LIKE '%Starmer%'").fetchone()[0] == 1
    countries = dict(seed_db.execute("SELECT actor_id, country FROM actors WHERE actor_type = 'country'").fetchall())
    assert countries["country:GBR"] == "GBR" and countries["country:RUS"] == "RUS"
    kyiv = seed_db.execute("SELECT DISTINCT label FROM mentions WHERE text = 'Kyiv'").fetchall()
    assert kyiv == [("GPE",)]


def test_lavrov_is_against_the_peacekeeping_force(seed_db):
    rows = set(
        seed_db.execute(
            "SELECT actor, stance FROM stances WHERE codebook = 'ukraine-peacekeeping' "
            "AND target = 'peacekeeping_force'"
        ).fetchall()
    )
    assert ("Sergei Lavrov", "against") in rows


@pytest.mark.xfail(
    strict=True,
    reason="the trained stance model (issue 17) does not code Starmer favor on the seed; the seed is a "
    "test set, so nothing was changed to make it (eval/stance.md has the seed's scores)",
)
def test_starmer_favors_the_peacekeeping_force(seed_db):
    rows = set(
        seed_db.execute(
            "SELECT actor, stance FROM stances WHERE codebook = 'ukraine-peacekeeping' "
            "AND target = 'peacekeeping_force'"
        ).fetchall()
    )
    assert ("Keir Starmer", "favor") in rows


def test_every_statement_shows_its_evidence(seed_db):
    rows = seed_db.execute(
        "SELECT s.evidence, s.cue, a.text, s.evidence_char_start, s.evidence_char_end FROM stances s "
        "JOIN articles a USING (article_id)"
    ).fetchall()
    assert rows
    for evidence, cue, text, start, end in rows:
        assert evidence.strip() and cue.strip()
        assert text[start:end] == evidence


def test_a_statements_quote_holds_its_evidence(seed_db):
    """`quote_id` names the attribution a statement was coded from: its content overlaps the
    statement's evidence (not another quote that only tied the holder)."""
    rows = seed_db.execute(
        "SELECT s.statement_id, s.evidence_char_start, s.evidence_char_end, q.char_start, q.char_end "
        "FROM stances s JOIN quotes q USING (quote_id)"
    ).fetchall()
    assert rows
    for statement, start, end, q_start, q_end in rows:
        assert start < q_end and end > q_start, statement


def test_offsets_map_back_to_the_raw_text(seed_db):
    raw = SEED.read_text(encoding="utf-8")
    rows = seed_db.execute(
        "SELECT content, raw_char_start, raw_char_end, kind FROM quotes WHERE kind = 'direct'"
    ).fetchall()
    assert rows
    for content, rs, re_, _ in rows:
        # direct quotes are single paragraphs or joined ones; their first 20 characters are raw text
        assert raw[rs:re_][:20] == content[:20]


def test_unchanged_input_makes_no_new_version(seed_run, tmp_path):
    tmp, settings, _ = seed_run
    work = tmp_path / "copy"
    shutil.copytree(tmp, work, ignore=shutil.ignore_patterns("dagster"))
    settings2 = make_settings(work, work / "raw")
    outcome = run(settings2, tmp_path / "dagster")
    assert outcome.ok, outcome.reason
    assert versions.list_versions(work / "releases") == ["v1.0.0"]
    assert "no new version" in outcome.summary


def test_manifest_checksums_detect_a_changed_byte(seed_run, tmp_path):
    tmp, _, _ = seed_run
    rel = tmp_path / "releases"
    shutil.copytree(tmp / "releases", rel)
    target = rel / "v1.0.0" / "quotes.parquet"
    target.chmod(0o644)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    problems = checksums.verify(rel, "v1.0.0")
    assert problems == ["quotes.parquet: sha256 differs from the manifest (the file was changed)"]
    manifest = json.loads((rel / "v1.0.0" / "manifest.json").read_text())
    assert manifest["tables"]["quotes"]["sha256"] != versions.sha256_file(target)

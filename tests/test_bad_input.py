"""Bad input never stops a run or vanishes: every record is an article, a duplicate or a
rejection with its file, record number and reason."""

from __future__ import annotations

import json
import shutil

import duckdb
from conftest import SEED, make_settings, run


def test_bad_records_are_rejected_and_counted(tmp_path):
    raw = tmp_path / "input"
    raw.mkdir()
    shutil.copy(SEED, raw / "seed.txt")
    shutil.copy(SEED, raw / "seed-copy.txt")  # the same article twice
    good = {"id": "wire-1", "title": "Minister backs plan", "text": "The minister said: “We back the plan.”"}
    lines = [
        json.dumps(good),
        '{"id": "wire-2", "text": "unterminated',
        json.dumps({"id": "wire-3", "title": "no text"}),
    ]
    (raw / "wire.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (raw / "empty.txt").write_bytes(b"")
    (raw / "image.txt").write_bytes(bytes(range(256)) * 8)

    outcome = run(make_settings(tmp_path, raw), tmp_path / "dagster")
    assert outcome.ok, outcome.reason

    db = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    rejected = {
        (f, n): reason
        for f, n, reason in db.execute("SELECT source_file, record_no, reason FROM rejected_articles").fetchall()
    }
    assert rejected == {
        ("wire.jsonl", 2): "invalid_json",
        ("wire.jsonl", 3): "missing_text",
        ("empty.txt", 1): "empty_file",
        ("image.txt", 1): "binary_file",
    }
    details = [d for (d,) in db.execute("SELECT detail FROM rejected_articles").fetchall()]
    assert all(len(d) > 10 for d in details)
    duplicates = db.execute("SELECT source_file, duplicate_of FROM duplicate_articles").fetchall()
    articles = dict(db.execute("SELECT source_file, article_id FROM articles").fetchall())
    assert duplicates == [("seed.txt", articles["seed-copy.txt"])]
    n_articles = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert n_articles == 2  # the seed once, the good JSON line
    input_records = 2 + 3 + 1 + 1  # two .txt copies, three JSON lines, the empty and the binary file
    assert input_records == n_articles + len(rejected) + len(duplicates)
    assert "4 rejected" in outcome.summary and "1 duplicates" in outcome.summary


def test_a_missing_spacy_model_is_named_before_anything_runs(tmp_path, capsys):
    """`stancewire run` starts its spaCy workers first; a model that is not installed must
    be reported by name (exit 2), not as a worker that died while loading it."""
    from cli.main import main

    raw = tmp_path / "input"
    raw.mkdir()
    (raw / "a.txt").write_text("Title\n\nThe minister said: “We back the plan.”\n", encoding="utf-8")
    code = main(
        [
            "run",
            "--input",
            str(raw),
            "--spacy-model",
            "no_such_spacy_model_xyz",
            "--no-progress",
            "--warehouse",
            str(tmp_path / "w.duckdb"),
            "--releases",
            str(tmp_path / "releases"),
            "--dagster-home",
            str(tmp_path / "dagster"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2, err
    assert "no_such_spacy_model_xyz" in err and "not installed" in err
    assert not (tmp_path / "w.duckdb").exists()

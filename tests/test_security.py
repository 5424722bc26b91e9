"""Issue #7, security: names from input data (ids, file names, outlets, titles, authors,
codebook ids and labels, actor names, batch names) never reach a path or an SQL string
unescaped; everything rendered to Markdown or HTML escapes data text; no network at run
time; the Dagster UI binds 127.0.0.1."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import CODEBOOKS, REPO, SEED, make_settings, run
from robustness_helpers import cli_args, run_cli

from pipeline.release import publish as release
from pipeline.release.card import dataset_card
from pipeline.schema import TABLES
from pipeline.stances.codebooks import CodebookError, load_codebook

SCRIPT = "<script>alert('x')</script>"
INJECT = "'; DROP TABLE articles; --"
HOSTILE_NAMES = [f"{INJECT}.txt", "x..%2F..%2Fescape.txt", "$(touch PWNED).txt", "x..txt", "-rf .txt"]
HOSTILE_IDS = ["../../../../tmp/stancewire-pwned", INJECT, 'x"; DROP TABLE raw_articles; --', "..", "a/b\\c"]

HOSTILE_CODEBOOK = f"""
codebook: hostile-book
version: "1.0{SCRIPT}"
description: "{INJECT}"
targets:
  - id: plan
    label: "<img src=x onerror=alert(1)> {INJECT}"
    description: "{SCRIPT}"
    terms: [plan, "peace deal", "{INJECT}"]
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("security")
    drop = tmp / "drop"
    drop.mkdir()
    for n, name in enumerate(HOSTILE_NAMES):
        (drop / name).write_text(
            f"{SCRIPT} Minister backs plan {n}\n\nConor O'Brien said: “We back the plan number {n}.” {INJECT}\n",
            encoding="utf-8",
        )
    (drop / f"sub {INJECT}").mkdir()
    (drop / f"sub {INJECT}" / "nested.txt").write_text(
        "Nested\n\nThe mayor said the park would open.\n", encoding="utf-8"
    )
    lines = [
        json.dumps(
            {
                "id": i,
                "title": SCRIPT,
                "author": f"<b>{INJECT}</b>",
                "outlet": f"../{INJECT}",
                "url": "javascript:alert(1)",
                "text": f"Text {n}: Jean O'Neil said the {INJECT} plan was good.",
            }
        )
        for n, i in enumerate(HOSTILE_IDS)
    ]
    (drop / "wire.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copy(SEED, drop / "seed.txt")
    book = tmp / "hostile.yaml"
    book.write_text(HOSTILE_CODEBOOK, encoding="utf-8")
    from assets.resources import StancewireSettings

    base = make_settings(tmp, drop)  # with one more codebook (model_copy does not reach Dagster's resource config)
    settings = StancewireSettings(
        input_dir=base.input_dir,
        warehouse=base.warehouse,
        releases_dir=base.releases_dir,
        codebooks=[str(p) for p in sorted(CODEBOOKS.glob("*.yaml"))] + [str(book)],
    )
    outcome = run(settings, tmp / "dagster")
    db = duckdb.connect(settings.warehouse, read_only=True)
    yield tmp, settings, outcome, db
    db.close()


def test_hostile_names_are_stored_verbatim_and_every_table_survives(hostile):
    tmp, settings, outcome, db = hostile
    assert outcome.ok, outcome.reason
    present = {r[0] for r in db.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert set(TABLES) <= present
    ids = {r[0] for r in db.execute("SELECT external_id FROM articles WHERE external_id IS NOT NULL").fetchall()}
    assert set(HOSTILE_IDS) <= ids
    files = {r[0] for r in db.execute("SELECT source_file FROM articles").fetchall()}
    assert set(HOSTILE_NAMES) <= files and f"sub {INJECT}/nested.txt" in files
    assert db.execute("SELECT count(*) FROM articles WHERE outlet = ?", [f"../{INJECT}"]).fetchone()[0] == len(
        HOSTILE_IDS
    )
    assert (
        db.execute("SELECT label FROM codebook_targets WHERE codebook = 'hostile-book'").fetchone()[0].endswith(INJECT)
    )
    assert db.execute("SELECT count(*) FROM actors WHERE name LIKE '%O''Brien%' OR name LIKE '%O''Neil%'").fetchone()[0]


def test_no_input_name_becomes_a_path(hostile):
    tmp, settings, _, _ = hostile
    assert not list(Path("/tmp").glob("stancewire-pwned*")) and not (REPO / "PWNED").exists()
    allowed = re.compile(
        r"^(part-\d{5}\.parquet|batch\.json|files\.json|[0-9a-f]{64}\.spacy|[0-9a-f]{2}|"
        r"[a-z_]+|drop|[a-z_0-9.+-]+|v\d+\.\d+\.\d+|LATEST|SHA256SUMS|index\.(json|html)|[\w.-]+\.(parquet|json|md|svg))$"
    )
    for root in (Path(settings.staging.root), Path(settings.releases_dir)):
        for path in root.rglob("*"):
            rel = path.relative_to(root).as_posix()
            assert "'" not in rel and "DROP" not in rel and ".." not in rel and "$" not in rel, rel
            assert allowed.match(path.name), rel
            assert path.resolve().is_relative_to(tmp), rel


def test_rendered_markdown_and_html_escape_data_text(hostile):
    tmp, settings, _, db = hostile
    releases = Path(settings.releases_dir)
    rendered = [p for p in releases.rglob("*") if p.suffix in (".md", ".html", ".svg")]
    card = releases / "v1.0.0" / "README.md"
    assert card in rendered
    for path in rendered:
        text = path.read_text(encoding="utf-8")
        assert "<script" not in text.lower() and "<img" not in text.lower(), path  # only escaped, never a tag
    line = next(x for x in card.read_text(encoding="utf-8").splitlines() if x.startswith("- Codebooks:"))
    assert "hostile\\-book 1.0&lt;script&gt;" in line, line  # the hostile codebook's version, escaped
    from pipeline.storage.warehouse import preview_markdown

    for table in ("articles", "raw_articles", "codebook_targets", "actors"):
        assert "<script" not in preview_markdown(db, table, limit=50).lower(), table


def test_dataset_card_escapes_a_script_in_an_actor_name_and_a_title():
    """The card's data-driven parts, fed directly: an actor named <script>."""
    from pipeline.storage.warehouse import ensure_schema

    conn = duckdb.connect()
    ensure_schema(conn)
    conn.execute(
        "INSERT INTO actors VALUES (?, ?, 'person', NULL, NULL, 1, 1, 3, 0)", ["person:x", SCRIPT + " | # *x*"]
    )
    for k in range(3):  # what the actor said: the card's "most quoted" counts speech
        conn.execute(
            "INSERT INTO quotes (quote_id, article_id, kind, is_direct, char_start, char_end, raw_char_start, "
            "raw_char_end, content_segments, content, cue_kind, negated, speaker_actor_id, speaker_resolution) "
            "VALUES (?, 'a', 'direct', true, 0, 1, 0, 1, '[[0, 1]]', 'x', 'speech', false, 'person:x', 'name')",
            [f"a:q{k}"],
        )
    tables = {t: {"rows": 1, "file": f"{t}.parquet"} for t in TABLES}
    manifest = {
        "version": "1.0.0",
        "created": "2025-01-01T00:00:00Z",
        "previous_version": None,
        "spacy": {"model": "m"},
        "codebooks": [{"name": SCRIPT, "version": SCRIPT}],
        "code_version": {"stancewire": "0", "source_sha256": "0" * 64},
        "input_fingerprint": "0",
        "tables": tables,
        "validation": {},
        "files": {},
    }
    card = dataset_card(manifest, conn)
    assert "<script" not in card and "&lt;script&gt;" in card
    assert "\\| \\# \\*x\\*" in card  # Markdown structure in data cannot break the table


def test_batch_names_and_staging_paths_cannot_leave_their_folder(tmp_path):
    from assets.resources import batch_name
    from pipeline.storage.staging import Staging

    for raw in ("../../etc", "..", ".", f"a/{INJECT}", "\n", "", "x" * 200):
        name = batch_name(raw)
        assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}", name), name
        assert Staging(tmp_path).batch_dir(name).resolve().parent == (tmp_path / "batches").resolve()
    # other scripts are transliterated, not dropped: "Ärzte" is not batch "rzte", nor two
    # folders "新闻" and "Новости" both batch "batch"
    assert [batch_name(raw) for raw in ("Ärzte Artikel", "Новости", "新闻")] == ["Arzte-Artikel", "Novosti", "XinWen"]
    for bad in ("../x", "..", "a/b", "x\n", f"{INJECT}", ".hidden"):  # e.g. a partition key typed in the UI
        with pytest.raises(ValueError, match="not a safe folder name"):
            Staging(tmp_path).batch_dir(bad)


def test_codebook_ids_and_names_cannot_carry_paths_or_sql(tmp_path):
    for field, value in (("codebook", "../evil"), ("codebook", INJECT), ("id", "../../t"), ("id", INJECT)):
        book = {"codebook": "ok", "version": "1", "targets": [{"id": "t", "label": "T", "terms": ["x"]}]}
        if field == "codebook":
            book["codebook"] = value
        else:
            book["targets"][0]["id"] = value
        path = tmp_path / "b.yaml"
        path.write_text(json.dumps(book), encoding="utf-8")
        with pytest.raises(CodebookError, match="may hold only letters"):
            load_codebook(path)


def test_paths_with_quotes_reach_sql_only_as_escaped_literals(tmp_path):
    """Staging parts and release files are read/written by DuckDB SQL with the path in a
    string literal: a folder named like an injection must just work."""
    from pipeline.steps.load import load_warehouse
    from pipeline.steps.per_batch import stage_files
    from pipeline.storage.staging import Staging
    from pipeline.storage.warehouse import ensure_schema

    evil = tmp_path / f"o'brien{INJECT}"
    drop = evil / "drop"
    drop.mkdir(parents=True)
    (drop / "a.txt").write_text("Title\n\nThe mayor said yes.\n", encoding="utf-8")
    staging = Staging(evil / "staging")
    stage_files(drop, "drop", staging, "code")
    staging.write_manifest("drop", json.loads((staging.batch_dir("drop") / "files.json").read_text(encoding="utf-8")))
    conn = duckdb.connect()
    ensure_schema(conn)
    assert load_warehouse(conn, staging).rows["articles"] == 1
    out = release.export_tables(conn, _mkdir(evil / "rel"))
    assert out["articles"]["rows"] == 1 and conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 1


def _mkdir(p: Path) -> Path:
    p.mkdir(parents=True)
    return p


def test_no_network_at_run_time(tmp_path):
    """The whole `stancewire run` with every connection and name lookup outside 127.0.0.1
    refused and recorded: it succeeds and nothing even tried."""
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a.txt").write_text("Minister backs plan\n\nThe minister said: “We back the plan.”\n", encoding="utf-8")
    attempts = tmp_path / "attempts.log"
    code, out, err = run_cli(cli_args(drop, tmp_path), no_net_log=attempts)
    assert code == 0, err[-3000:]
    assert "published v1.0.0" in out
    assert not attempts.exists() or attempts.read_text() == "", attempts.read_text()
    config = (tmp_path / "dagster" / "dagster.yaml").read_text(encoding="utf-8")
    assert re.search(r"telemetry:\s*\n\s*enabled: false", config)


def test_telemetry_and_analytics_are_off_by_default(tmp_path, monkeypatch):
    from cli.main import prepare_dagster_home

    monkeypatch.delenv("DAGSTER_DISABLE_TELEMETRY", raising=False)
    monkeypatch.delenv("GX_ANALYTICS_ENABLED", raising=False)
    home = prepare_dagster_home(str(tmp_path / "home"))
    import os

    assert os.environ["DAGSTER_DISABLE_TELEMETRY"] == "true" and os.environ["GX_ANALYTICS_ENABLED"] == "false"
    assert "enabled: false" in (home / "dagster.yaml").read_text(encoding="utf-8")
    text = (REPO / "expectations" / "__init__.py").read_text(encoding="utf-8")
    assert 'os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")' in text


def test_dagster_ui_binds_loopback():
    from cli.main import build_parser

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"dagster dev[^\n`]*", readme)
    assert commands and all("-h 127.0.0.1" in c for c in commands), commands
    assert "0.0.0.0" not in readme
    args = build_parser().parse_args(["ui"])
    assert args.host == "127.0.0.1"

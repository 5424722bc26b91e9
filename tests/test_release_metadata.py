"""What a release carries for its consumers: two runs on different inputs make v1.0.0 and
v1.1.0; `release diff` and CHANGELOG.md report the added article; datapackage.json and
croissant.json validate with the reference libraries with the network cut off; the static
index is served on 127.0.0.1 and a table is read over HTTP; files rebuild byte for byte."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import signal
import socket
import threading
import time
import urllib.request
import xml.etree.ElementTree as ET

import duckdb
import pytest
from conftest import SEED, make_settings, run

from cli.main import main
from pipeline.release import checksums, figures, versions
from pipeline.release import diff as release_diff
from pipeline.release import publish as release
from pipeline.schema import TABLES

SECOND_BATCH = "drop-2"
# Title with markup and Markdown metacharacters: every place it is shown must escape it.
SECOND_ARTICLE = """\
Macron and Orbán split over <peacekeepers> | *Ukraine* [update]
Source: Test Wire
French President Emmanuel Macron said on Thursday that European troops could help secure a peace deal in Ukraine.
“Europe must be ready to send a peacekeeping force to Ukraine,” Macron told reporters in Paris.
Hungarian Prime Minister Viktor Orbán said he was opposed to sending peacekeeping troops to Ukraine.
"""


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory):
    """A fresh warehouse: the seed article (batch "raw", as in seed_run), then a second batch."""
    tmp = tmp_path_factory.mktemp("two_versions")
    first = tmp / "raw"
    first.mkdir()
    shutil.copy(SEED, first / SEED.name)
    outcome = run(make_settings(tmp, first), tmp / "dagster")
    assert outcome.ok, outcome.reason
    second = tmp / SECOND_BATCH
    second.mkdir()
    (second / "macron-orban.txt").write_text(SECOND_ARTICLE, encoding="utf-8")
    outcome = run(make_settings(tmp, second), tmp / "dagster")
    assert outcome.ok, outcome.reason
    conn = duckdb.connect(str(tmp / "warehouse.duckdb"), read_only=True)
    new_id, title = conn.execute(
        "SELECT article_id, title FROM articles WHERE batch_id = ?", [SECOND_BATCH]
    ).fetchall()[0]
    conn.close()
    return tmp, new_id, title


@pytest.fixture
def offline(monkeypatch):
    """Cut the network off (loopback and Unix sockets still work); fail on any attempt."""
    attempts = []
    real_connect, real_connect_ex, real_getaddrinfo = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.getaddrinfo,
    )

    def local(address) -> bool:
        return isinstance(address, (str, bytes)) or address[0] in ("127.0.0.1", "::1", "localhost")

    def connect(self, address):
        if local(address):
            return real_connect(self, address)
        attempts.append(address)
        raise OSError(f"network disabled in this test: {address}")

    def connect_ex(self, address):
        if local(address):
            return real_connect_ex(self, address)
        attempts.append(address)
        return 101

    def getaddrinfo(host, *args, **kwargs):
        if host in (None, "127.0.0.1", "::1", "localhost"):
            return real_getaddrinfo(host, *args, **kwargs)
        attempts.append(host)
        raise socket.gaierror(f"network disabled in this test: {host}")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    assert attempts == [], f"tried to reach the network: {attempts}"


# ---------------------------------------------------------------- versions, diff, changelog


def test_two_runs_on_different_inputs_make_v1_0_and_v1_1(two_versions):
    tmp, _, _ = two_versions
    releases = tmp / "releases"
    assert versions.list_versions(releases) == ["v1.0.0", "v1.1.0"]
    assert versions.current_version(releases) == "v1.1.0"
    m = versions.read_manifest(releases, "v1.1.0")
    assert m["previous_version"] == "1.0.0"
    assert m["tables"]["articles"]["rows"] == 2
    for version in ("v1.0.0", "v1.1.0"):
        files = versions.read_manifest(releases, version)["files"]
        # the articles carry no date: every figure but positions over time
        drawn = set(figures.FIGURES) - {figures.OVER_TIME}
        assert {"README.md", "CHANGELOG.md", "datapackage.json", "croissant.json", *drawn} <= set(files)
        assert figures.OVER_TIME not in files
        assert checksums.verify(releases, version) == []


def test_each_parquet_column_is_required_or_optional_as_the_schema_declares(two_versions):
    """The files' schemas follow the data dictionary, whatever the rows: a nullable column
    with no NULL in this release is still optional (DuckDB's own COPY would make it
    required, so a file's schema changed between releases with the data)."""
    import pyarrow.parquet as pq

    tmp, _, _ = two_versions
    for name in release.RELEASED_TABLES:
        schema = pq.read_schema(tmp / "releases" / "v1.1.0" / f"{name}.parquet")
        assert [(f.name, f.nullable) for f in schema] == [(c.name, c.nullable) for c in TABLES[name].columns], name
    quotes = pq.read_schema(tmp / "releases" / "v1.1.0" / "quotes.parquet")
    assert quotes.field("cue").nullable and not quotes.field("quote_id").nullable


def test_a_table_of_any_size_is_written_in_whole_row_groups(tmp_path, monkeypatch):
    """export_parquet cuts the rows into groups of ROW_GROUP_ROWS, whatever batches DuckDB
    hands over, in primary-key order; an empty table is a file with its schema."""
    import pyarrow.parquet as pq

    monkeypatch.setattr(release, "ROW_GROUP_ROWS", 1000)
    conn = duckdb.connect()
    table = TABLES["codebook_targets"]
    cols = ", ".join(f'"{c.name}" {c.type}' for c in table.columns)
    conn.execute(f"CREATE TABLE codebook_targets ({cols})")
    assert release.export_parquet(conn, table, tmp_path / "empty.parquet") == 0
    assert pq.read_table(tmp_path / "empty.parquet").num_rows == 0
    conn.execute(  # in reverse key order: the file must be in key order
        "INSERT INTO codebook_targets SELECT 'book', lpad(i::VARCHAR, 5, '0'), '1', 'x', NULL, '[]' "
        "FROM range(2499, -1, -1) r(i)"
    )
    assert release.export_parquet(conn, table, tmp_path / "t.parquet") == 2500
    meta = pq.ParquetFile(tmp_path / "t.parquet").metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [1000, 1000, 500]
    keys = pq.read_table(tmp_path / "t.parquet").column("target").to_pylist()
    assert keys == sorted(keys)


def test_release_diff_reports_the_added_article(two_versions, capsys):
    tmp, new_id, title = two_versions
    diff = release_diff.diff_versions(tmp / "releases", "v1.0.0", "v1.1.0")
    articles = diff.table("articles")
    assert (articles.rows_before, articles.rows_after) == (1, 2)
    assert (articles.added, articles.removed, articles.changed) == (1, 0, 0)
    assert articles.added_keys == [[new_id, title]]
    assert diff.table("quotes").added >= 1 and diff.table("quotes").removed == 0
    assert all(key[0].startswith(new_id + ":") for key in diff.table("quotes").added_keys)
    assert not diff.schema_changed

    assert main(["release", "diff", "v1.0.0", "v1.1.0", "--releases", str(tmp / "releases")]) == 0
    out = capsys.readouterr().out
    assert "schema: unchanged" in out
    assert re.search(r"^articles\s+1\s+2\s+1\s+0\s+0$", out, flags=re.M)
    assert f"+ {new_id}  “{title}”" in out

    assert main(["release", "diff", "1.0.0", "1.1.0", "--json", "--releases", str(tmp / "releases")]) == 0
    data = json.loads(capsys.readouterr().out)
    by_table = {t["table"]: t for t in data["tables"]}
    assert by_table["articles"]["added"] == 1 and by_table["articles"]["added_keys"][0][0] == new_id

    assert main(["release", "diff", "v1.0.0", "v7.0.0", "--releases", str(tmp / "releases")]) == 2


def test_changelog_says_the_same(two_versions):
    tmp, new_id, _ = two_versions
    diff = release_diff.diff_versions(tmp / "releases", "v1.0.0", "v1.1.0")
    log = (tmp / "releases" / "v1.1.0" / "CHANGELOG.md").read_text(encoding="utf-8")
    assert log.index("## 1.1.0") < log.index("## 1.0.0")  # newest first, older entries kept
    assert "Compared with 1.0.0: 1 article added, 0 removed, 0 changed." in log
    for t in diff.tables:  # the table of counts is the diff's
        assert (
            f"| {versions.md(t.table)} | {t.rows_before} | {t.rows_after} | {t.added} | {t.removed} | {t.changed} |"
            in log
        )
    assert "### Articles added" in log and f"- {new_id}: " in log
    # the title's angle brackets (not markup, so cleaning keeps them) are escaped, not live
    assert "<peacekeepers>" not in log and "&lt;peacekeepers&gt; \\| \\*Ukraine\\* \\[update\\]" in log
    assert "No schema change." in log
    first = (tmp / "releases" / "v1.0.0" / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## 1.0.0" in first and "First release: 1 article," in first


def test_an_edited_text_is_named_as_an_edit_not_only_added_and_removed(tmp_path):
    """A file without an id whose text is edited gets a new id (its text's hash): by key, one
    article removed and one added. The CHANGELOG (from the release database's patch) and
    `release diff` (from the Parquet files) both say that one of them is an edit."""
    folder = tmp_path / "raw"
    folder.mkdir()
    (folder / "a.txt").write_text(SECOND_ARTICLE, encoding="utf-8")
    (folder / "b.txt").write_text("Budget passes\n\nThe council passed the budget on Monday.\n", encoding="utf-8")
    assert run(make_settings(tmp_path, folder), tmp_path / "dagster").ok
    (folder / "a.txt").write_text(SECOND_ARTICLE.replace("Thursday", "Friday", 1), encoding="utf-8")
    assert SECOND_ARTICLE.count("Thursday")  # the edit changes the text
    outcome = run(make_settings(tmp_path, folder), tmp_path / "dagster")
    assert outcome.ok, (outcome.reason, outcome.details)
    # the run's summary says what the batch's re-run did to the articles (its counts alone did not)
    assert "(articles since v1.0.0: 1 added, 1 removed, 0 changed; 1 of them edited)" in outcome.summary
    log = (tmp_path / "releases" / "v1.1.0" / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "Compared with 1.0.0: 1 article added, 1 removed, 0 changed." in log
    assert "1 of the added is an edited record: the same input file and record as a removed one" in log
    diff = release_diff.diff_versions(tmp_path / "releases", "v1.0.0", "v1.1.0")
    assert diff.table("articles").edited == 1
    assert "articles: 1 of the added is an edited record" in release_diff.format_diff(diff)


def test_an_edit_is_an_added_row_from_a_removed_rows_record():
    """Only added rows whose input record a removed row came from count: a record inserted
    at the top of a file shifts the record numbers of every later one (changed rows, not edits)."""
    con = duckdb.connect()

    def table(name, rows):
        con.execute(f"CREATE TABLE {name} (article_id VARCHAR, batch_id VARCHAR, source_file VARCHAR, record_no INT)")
        con.executemany(f"INSERT INTO {name} VALUES (?, 'b', 'f.jsonl', ?)", rows)

    table("old1", [("a", 1), ("b", 2), ("c", 3)])
    table("new1", [("z", 1), ("a", 2), ("b", 3)])  # z inserted on top, c removed, a and b shifted
    assert release_diff.edited_records(con, "articles", "new1", "old1", ["article_id"]) == 0
    table("old2", [("a", 1), ("b", 2)])
    table("new2", [("a2", 1), ("b", 2)])  # record 1's text edited: a new id
    assert release_diff.edited_records(con, "articles", "new2", "old2", ["article_id"]) == 1


def test_diff_of_folders_with_schema_changes(tmp_path):
    """Columns added / removed / retyped and whole tables added or removed are reported;
    rows of a table are matched by key."""
    old, new = tmp_path / "v1.0.0", tmp_path / "v2.0.0"
    old.mkdir()
    new.mkdir()
    con = duckdb.connect()

    def write(folder, name, sql):
        con.execute(f"COPY ({sql}) TO '{folder / (name + '.parquet')}' (FORMAT parquet)")

    write(
        old,
        "actors",
        "SELECT * FROM (VALUES ('person:a', 'A', 1), ('person:b', 'B', 2), ('person:c', 'C', 3)) "
        "t(actor_id, name, n_quotes)",
    )
    write(
        new,
        "actors",
        "SELECT * FROM (VALUES ('person:a', 'A', 1.0::DOUBLE, 'GBR'), ('person:b', 'B', 5.0::DOUBLE, NULL), "
        "('person:d', 'D', 0.0::DOUBLE, NULL)) t(actor_id, name, n_quotes, country)",
    )
    write(old, "gone", "SELECT 1 AS x")
    write(new, "fresh", "SELECT 1 AS y UNION ALL SELECT 2")
    diff = release_diff.diff_folders(old, new)
    actors = diff.table("actors")
    assert (actors.added, actors.removed, actors.changed) == (1, 1, 1)
    assert actors.added_keys == [["person:d", "D"]] and actors.removed_keys == [["person:c", "C"]]
    assert actors.changed_keys == [["person:b", "B"]]
    assert actors.columns_added == ["country"] and actors.types_changed == [["n_quotes", "INTEGER", "DOUBLE"]]
    assert diff.table("gone").status == "removed" and diff.table("fresh").status == "added"
    assert diff.table("fresh").added == 2
    assert diff.schema_changed
    text = release_diff.format_diff(diff)
    assert "actors: column n_quotes: type INTEGER -> DOUBLE" in text and "(removed table)" in text


# ---------------------------------------------------------------- datapackage and croissant


def test_datapackage_validates_with_frictionless(two_versions, offline, tmp_path):
    import frictionless

    tmp, _, _ = two_versions
    folder = tmp / "releases" / "v1.1.0"
    desc = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in desc["resources"]] == list(versions.read_manifest(tmp / "releases", "v1.1.0")["tables"])
    stances = next(r for r in desc["resources"] if r["name"] == "stances")
    assert stances["schema"]["primaryKey"] == list(TABLES["stances"].primary_key)
    assert {"fields": ["actor_id"], "reference": {"resource": "actors", "fields": ["actor_id"]}} in stances["schema"][
        "foreignKeys"
    ]
    assert {
        "fields": ["codebook", "target"],
        "reference": {"resource": "codebook_targets", "fields": ["codebook", "target"]},
    } in stances["schema"]["foreignKeys"]
    assert {lic["name"] for lic in desc["licenses"]} == {"notspecified", "MIT"}
    assert {s["title"] for s in desc["sources"]} >= {
        "Input batch raw",
        f"Input batch {SECOND_BATCH}",
        "Codebook ukraine-peacekeeping 1.0",
    }

    # 1. The release as published (Parquet): every check (types, required, enums, primary and
    #    foreign keys) passes; nullable numeric fields declare pandas' NaN as their missing value.
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])[:10]
    assert len(report.tasks) == len(desc["resources"])
    nullable_ints = [
        f
        for r in desc["resources"]
        for f in r["schema"]["fields"]
        if f["type"] == "integer" and not f.get("constraints", {}).get("required")
    ]
    assert nullable_ints and all(f["missingValues"] == ["", "nan"] for f in nullable_ints)

    # 2. The same descriptor over a CSV rendition of the same data (NULL written as \N): every
    #    check runs (types, required, enums, primary keys, foreign keys) and passes.
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    con = duckdb.connect()
    for r in desc["resources"]:
        con.execute(
            f"COPY (SELECT * FROM read_parquet('{folder / r['path']}')) TO '{csv_dir / (r['name'] + '.csv')}' "
            "(HEADER, NULL '\\N')"
        )
        r.update(path=r["name"] + ".csv", format="csv", mediatype="text/csv")
        r.pop("hash")
        r["schema"]["missingValues"] = ["\\N"]
        for f in r["schema"]["fields"]:
            f.pop("missingValues", None)
    (csv_dir / "datapackage.json").write_text(json.dumps(desc), encoding="utf-8")
    report = frictionless.validate(str(csv_dir / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])[:10]

    # ... and a dangling reference is caught, so the foreign keys are really checked.
    con.execute(
        f"COPY (SELECT * REPLACE (CASE WHEN actor_id IS NOT NULL THEN 'person:nobody' END AS actor_id) "
        f"FROM read_parquet('{folder / 'mentions.parquet'}')) TO '{csv_dir / 'mentions.csv'}' (HEADER, NULL '\\N')"
    )
    report = frictionless.validate(str(csv_dir / "datapackage.json"))
    assert not report.valid
    assert {e.type for task in report.tasks for e in task.errors} == {"foreign-key"}


def test_croissant_validates_with_mlcroissant(two_versions, offline):
    import mlcroissant as mlc

    tmp, new_id, _ = two_versions
    folder = tmp / "releases" / "v1.1.0"
    manifest = versions.read_manifest(tmp / "releases", "v1.1.0")
    ds = mlc.Dataset(jsonld=str(folder / "croissant.json"))
    issues = ds.metadata.ctx.issues
    assert not issues.errors and not issues.warnings, issues.report()
    assert [rs.name for rs in ds.metadata.record_sets] == list(manifest["tables"])
    # the record sets resolve to the Parquet files beside the JSON-LD
    ids = [r["articles/article_id"] for r in ds.records("articles")]
    assert len(ids) == manifest["tables"]["articles"]["rows"]
    assert new_id in {i.decode() if isinstance(i, bytes) else i for i in ids}
    assert sum(1 for _ in ds.records("quotes")) == manifest["tables"]["quotes"]["rows"]


# ---------------------------------------------------------------- index and HTTP


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _RangeRequests(_Quiet):
    """A static server that also answers HTTP Range requests, as nginx, S3 and other object
    stores do (Polars reads remote Parquet by ranges)."""

    def send_head(self):
        m = re.fullmatch(r"bytes=(\d*)-(\d*)", (self.headers.get("Range") or "").strip())
        path = self.translate_path(self.path)
        if not m or not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        if m[1] == "":
            start, end = max(size - int(m[2]), 0), size - 1
        else:
            start, end = int(m[1]), min(int(m[2]) if m[2] else size - 1, size - 1)
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read(end - start + 1)
        self.send_response(206)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        return io.BytesIO(data)


@contextlib.contextmanager
def serve(root, handler=_Quiet):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_index_lists_every_version(two_versions):
    tmp, _, _ = two_versions
    root = tmp / "releases"
    index = json.loads((root / "index.json").read_text(encoding="utf-8"))
    assert index["latest"] == "v1.1.0"
    assert [(v["version"], v["latest"]) for v in index["versions"]] == [("v1.1.0", True), ("v1.0.0", False)]
    for v in index["versions"]:
        m = versions.read_manifest(root, v["version"])
        assert v["created"] == m["created"]
        assert v["rows"] == {t: m["tables"][t]["rows"] for t in m["tables"]}
        for name, f in v["files"].items():
            path = root / f["href"]
            assert path.is_file() and f["href"] == f"{v['version']}/{name}"
            assert (path.stat().st_size, sha256(path)) == (f["bytes"], f["sha256"])
    page = (root / "index.html").read_text(encoding="utf-8")
    assert 'href="v1.1.0/quotes.parquet"' in page and "v1.1.0 (latest)" in page
    assert not list(root.glob(".index*"))  # no temporary file left behind


def test_a_table_is_read_over_http(two_versions):
    import pandas as pd
    import polars as pl

    tmp, new_id, _ = two_versions
    root = tmp / "releases"
    local = pl.read_parquet(root / "v1.1.0" / "quotes.parquet")
    # Any static file server: Python's own (no Range support); pandas fetches the whole file.
    with serve(root) as base:
        page = urllib.request.urlopen(base, timeout=10).read().decode()  # index.html is the folder's page
        assert "stancewire releases" in page
        index = json.load(urllib.request.urlopen(base + "index.json", timeout=10))
        latest = next(v for v in index["versions"] if v["latest"])
        url = base + latest["files"]["quotes.parquet"]["href"]
        frame = pd.read_parquet(url)
        assert frame["quote_id"].tolist() == local["quote_id"].to_list()
        assert any(q.startswith(new_id) for q in frame["quote_id"])
    # A server with Range requests (nginx, object stores): Polars reads the URL directly.
    with serve(root, _RangeRequests) as base:
        remote = pl.read_parquet(base + "v1.1.0/quotes.parquet")
        assert remote.equals(local)
        articles = pl.read_parquet(base + "v1.1.0/articles.parquet", columns=["article_id"])
        assert articles.height == 2 and new_id in articles["article_id"].to_list()


# ---------------------------------------------------------------- reproducibility


def test_same_input_in_a_fresh_warehouse_gives_identical_files(seed_run, two_versions):
    """seed_run and two_versions' first run are independent warehouses fed the same article."""
    seed_tmp, _, outcome = seed_run
    assert outcome.ok, outcome.reason
    tmp, _, _ = two_versions
    a = versions.read_manifest(seed_tmp / "releases", "v1.0.0")
    b = versions.read_manifest(tmp / "releases", "v1.0.0")
    assert {t: v["sha256"] for t, v in a["tables"].items()} == {t: v["sha256"] for t, v in b["tables"].items()}
    drawn = sorted(name for name in a["files"] if name.startswith("figure-"))
    assert drawn == sorted(name for name in b["files"] if name.startswith("figure-")) and len(drawn) >= 4
    for name in drawn:
        assert a["files"][name] == b["files"][name]


def test_rebuilding_a_release_gives_identical_files(two_versions, tmp_path):
    tmp, _, _ = two_versions
    manifest = versions.read_manifest(tmp / "releases", "v1.1.0")
    conn = duckdb.connect(str(tmp / "warehouse.duckdb"), read_only=True)
    try:
        for attempt in ("one", "two"):
            folder = tmp_path / attempt
            folder.mkdir()
            tables = release.export_tables(conn, folder)
            assert {t: v["sha256"] for t, v in tables.items()} == {
                t: v["sha256"] for t, v in manifest["tables"].items()
            }
            for name in figures.write_figures(conn, folder):
                assert sha256(folder / name) == manifest["files"][name], name
    finally:
        conn.close()


# ---------------------------------------------------------------- the card and its figures


def test_card_shows_figures_drawn_from_the_data(two_versions):
    tmp, _, _ = two_versions
    folder = tmp / "releases" / "v1.1.0"
    card = (folder / "README.md").read_text(encoding="utf-8")
    for name in set(figures.FIGURES) - {figures.OVER_TIME}:
        assert f"]({name})" in card
        root = ET.parse(folder / name).getroot()
        assert root.tag.endswith("svg")
    # no dates in these articles: the card says so instead of a chart
    assert f"]({figures.OVER_TIME})" not in card
    assert "No time axis for positions over time: none of the 2 articles has a publication date" in card
    assert "[CHANGELOG.md](CHANGELOG.md)" in card and "[datapackage.json](datapackage.json)" in card
    conn = duckdb.connect(str(tmp / "warehouse.duckdb"), read_only=True)
    top = conn.execute("SELECT name FROM actors WHERE n_quotes > 0 ORDER BY n_quotes DESC, name LIMIT 1").fetchall()[0][
        0
    ]
    conn.close()
    # glyphs are drawn as paths; matplotlib keeps each label's text in a comment
    assert f"<!-- {top}" in (folder / figures.MOST_QUOTED).read_text(encoding="utf-8")


def _tiny_warehouse(rows):
    from pipeline.storage.warehouse import ensure_schema

    con = duckdb.connect()
    ensure_schema(con)  # every table and the views (the network figure reads `discourse_network`)
    if rows:
        name = "Dollar $Bill$ \\$ <script>"  # mathtext and markup characters
        con.execute(
            "INSERT INTO actors (actor_id, name, actor_type, n_articles, n_mentions, n_quotes, n_statements) "
            "VALUES ('person:x', ?, 'person', 1, 1, 2, 1)",
            [name],
        )
        con.execute(
            "INSERT INTO codebook_targets (codebook, target, codebook_version, label, terms) "
            "VALUES ('cb', 't', '1', 'Target $x$', '[]')"
        )
        con.execute(
            "INSERT INTO stances (statement_id, article_id, actor_id, actor, actor_type, codebook, "
            "codebook_version, target, stance, confidence, evidence_char_start, evidence_char_end, "
            "raw_char_start, raw_char_end, evidence, cue, method) VALUES ('s1', 'a1', 'person:x', ?, "
            "'person', 'cb', '1', 't', 'favor', 0.9, 0, 5, 0, 5, 'yes', 'yes', 'rules-v1')",
            [name],
        )
    return con


def test_figures_take_awkward_names_and_empty_data():
    full, empty = _tiny_warehouse(True), _tiny_warehouse(False)
    label = figures._label("a\nb\x1b[31m" + "x" * 50, 20)
    assert label.startswith("a b [31m") and len(label) == 20 and label.endswith("\u2026")
    svg = figures.stance_map(full).decode()
    # drawn literally (no mathtext), markup escaped in the SVG
    assert "<!-- Dollar $Bill$ \\$ &lt;script&gt; -->" in svg and "<script" not in svg
    assert "<!-- Target $x$ -->" in svg
    assert figures.stance_map(full) == figures.stance_map(full)  # deterministic
    assert figures.most_quoted(full).startswith(b"<?xml")
    for draw in (figures.stance_map, figures.most_quoted):
        assert b"No " in draw(empty)


def test_figures_drawn_in_a_thread_are_those_drawn_in_line(tmp_path):
    """The release draws its figures in a thread while it exports the tables: the same
    bytes as drawing them in line, read from the data as it was when the thread started."""
    full = _tiny_warehouse(True)
    drawn = figures.draw_in_background(full)
    full.execute("DELETE FROM stances")  # after the rows were read: no effect on the drawing
    assert drawn.result() == figures._draw(figures.read_rows(_tiny_warehouse(True)))
    assert drawn.result()[figures.STANCE_MAP] == figures.stance_map(_tiny_warehouse(True))
    assert figures.write_figures(full, tmp_path, drawn) == list(drawn.result())
    assert (tmp_path / figures.STANCE_MAP).read_bytes() == drawn.result()[figures.STANCE_MAP]


def test_figures_drawn_in_the_validator_are_those_drawn_in_line(monkeypatch):
    """Under `stancewire run` the validator process draws the figures (matplotlib's import
    and the drawing off the run's interpreter): the same bytes as in line."""
    from pipeline.steps import pool

    expected = figures._draw(figures.read_rows(_tiny_warehouse(True)))
    helper = pool.start_helper(pool.VALIDATOR, "os:getpid")
    submitted = []
    submit = helper.submit
    monkeypatch.setattr(helper, "submit", lambda fn, *args: submitted.append(fn) or submit(fn, *args))
    try:
        assert figures.draw_in_background(_tiny_warehouse(True)).result() == expected
        assert submitted == [figures._draw]  # drawn there, not in a thread of this process
    finally:
        pool.stop_shared()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kills the validator with SIGKILL")
@pytest.mark.parametrize("when", ["before the release", "while it draws"])
def test_figures_are_drawn_by_the_run_when_the_validator_is_gone(when, monkeypatch):
    """A validator that died before the release (the submission fails) or while it drew
    (the result fails), or was stopped, leaves the drawing to the run's process."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from pipeline.steps import pool

    expected = figures._draw(figures.read_rows(_tiny_warehouse(True)))
    helper = pool.start_helper(pool.VALIDATOR, "os:getpid")
    try:
        pid = helper.call(os.getpid)
        if when == "before the release":
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:  # until the executor has noticed
                try:
                    helper.submit(int).result()
                except Exception:
                    break
                time.sleep(0.05)
        else:
            failed = Future()
            failed.set_exception(BrokenProcessPool("the validator died while drawing"))
            monkeypatch.setattr(helper, "submit", lambda fn, *args: failed)
        assert figures.draw_in_background(_tiny_warehouse(True)).result() == expected
    finally:
        pool.stop_shared()
    cancelled = figures.draw_in_background(_tiny_warehouse(True))  # no validator now: a thread
    cancelled.cancel()  # nothing published: dropped if not started, harmless if done
    assert cancelled.result() == expected


def test_changelog_says_what_changed_in_what_made_the_data():
    """A version made by other code, another stance model, an edited codebook and a new
    dataset description says so under "What made the data"; the same makers say nothing."""
    from pipeline.release.changelog import changelog_entry

    before = {
        "version": "1.0.0",
        "created": "2026-12-01T00:00:00Z",
        "tables": {k: {"rows": 1} for k in ("articles", "quotes", "stances", "actors")},
        "code_version": {"stancewire": "0.1.0", "source_sha256": "a" * 64},
        "stance_model": {"method": "logreg-111111111111"},
        "spacy": {"model": "en_core_web_sm-3.8.0", "spacy_version": "3.8.2"},
        "codebooks": [{"name": "us-election-2016", "version": "1.0", "sha256": "x"}, {"name": "old", "version": "2"}],
    }
    after = {
        **before,
        "version": "1.1.0",
        "code_version": {"stancewire": "0.1.0", "source_sha256": "b" * 64, "git_commit": "c" * 40, "git_dirty": True},
        "stance_model": {"method": "logreg-222222222222"},
        "codebooks": [
            {"name": "us-election-2016", "version": "1.1", "sha256": "y"},
            {"name": "new", "version": "1", "sha256": "z"},
        ],
        "dataset_info": {"title": "T"},
    }
    diff = release_diff.ReleaseDiff("v1.0.0", "v1.1.0", [])
    entry = changelog_entry(after, diff, before)
    assert "### What made the data" in entry
    for line in (
        "- stancewire code: 0.1.0 (source sha256 aaaaaaaaaaaa) -> 0.1.0 (source sha256 bbbbbbbbbbbb, commit "
        "cccccccccccc, with local changes)",
        "- stance model: logreg\\-111111111111 -> logreg\\-222222222222",
        "- codebook new 1 added",
        "- codebook old 2 removed",
        "- codebook us\\-election\\-2016: 1.0 -> 1.1 (file changed)",
        "- the dataset's description",
    ):
        assert line in entry, line
    assert "spaCy:" not in entry  # unchanged
    assert "### What made the data" not in changelog_entry({**before, "version": "1.1.0"}, diff, before)

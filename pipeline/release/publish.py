"""Published releases: immutable folders of Parquet files with a manifest and a card.

    <releases>/v1.2.0/<table>.parquet   one file per released table, rows in key order
    <releases>/v1.2.0/manifest.json     version, provenance, row counts, sha256 of each file
    <releases>/v1.2.0/README.md         dataset card
    <releases>/LATEST                   the current version

Publishing writes into a hidden staging folder and renames it into place, so a release
folder is either complete or absent. Versions follow semantic versioning: a schema change
is a major bump, new data a minor one; data identical to the current release makes no
new version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline import __version__
from pipeline.fingerprints import code_fingerprint, input_fingerprint, schema_fingerprint
from pipeline.release.versions import (  # noqa: F401
    CARD,
    DATASET_NAME,
    LATEST_FILE,
    MANIFEST,
    MANIFEST_SHA,
    VERSION_DIR,
    ReleaseError,
    current_version,
    list_versions,
    md,
    parse_version,
    read_manifest,
    sha256_file,
)
from pipeline.schema import RELEASED_TABLES, TABLES, sql_literal


@dataclass(frozen=True)
class PublishResult:
    version: str
    path: Path
    created: bool  # False: the data equals the current release, nothing was written
    previous: str | None


def export_tables(conn, folder: Path) -> dict[str, dict]:
    """Write each released table to folder/<table>.parquet in primary-key order."""
    out = {}
    for name in RELEASED_TABLES:
        table = TABLES[name]
        path = folder / f"{name}.parquet"
        order = ", ".join(f'"{k}"' for k in table.primary_key)
        cols = ", ".join(f'"{c}"' for c in table.column_names)
        conn.execute(
            f'COPY (SELECT {cols} FROM "{name}" ORDER BY {order}) TO {sql_literal(str(path))} '
            f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)"
        )
        rows = conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        out[name] = {"file": path.name, "rows": rows, "bytes": path.stat().st_size, "sha256": sha256_file(path)}
    return out


def next_version(previous: dict | None, schema_fp: str) -> str:
    if previous is None:
        return "v1.0.0"
    major, minor, _ = parse_version("v" + previous["version"])
    if previous.get("schema_fingerprint") != schema_fp:
        return f"v{major + 1}.0.0"
    return f"v{major}.{minor + 1}.0"


def publish(conn, releases_dir: Path, provenance: dict, validation: dict) -> PublishResult:
    """Export, compare with the current release, and publish atomically if the data changed."""
    try:
        releases_dir.mkdir(parents=True, exist_ok=True)
        _remove_stale_staging(releases_dir)
        staging = releases_dir / f".staging-{uuid.uuid4().hex}"
        staging.mkdir()
    except OSError as e:
        raise _write_error(releases_dir, e) from None
    try:
        from pipeline.release.figures import draw_in_background

        # Drawn while the tables are exported and compared; not waited for when nothing is
        # published (the data did not change): the figures are not needed then.
        figures_drawn = draw_in_background(conn)
        tables = export_tables(conn, staging)
        current = current_version(releases_dir)
        previous = read_manifest(releases_dir, current) if current else None
        if previous and {k: v["sha256"] for k, v in previous["tables"].items()} == {
            k: v["sha256"] for k, v in tables.items()
        }:
            shutil.rmtree(staging)
            return PublishResult(current, releases_dir / current, False, current)
        schema_fp = schema_fingerprint()
        version = next_version(previous, schema_fp)
        manifest = {
            "dataset": DATASET_NAME,
            "version": version[1:],
            "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            "previous_version": previous["version"] if previous else None,
            "input_fingerprint": input_fingerprint(conn),
            "code_version": {"stancewire": __version__, "source_sha256": code_fingerprint()},
            **provenance,
            "schema_fingerprint": schema_fp,
            "tables": tables,
            "validation": validation,
        }
        from pipeline.release.meta import write_index, write_release_files  # CHANGELOG, datapackage, croissant, figures

        manifest["files"] = write_release_files(
            conn, staging, manifest, releases_dir / current if current else None, figures_drawn
        )
        card = dataset_card(manifest, conn)
        (staging / CARD).write_text(card, encoding="utf-8")
        manifest["files"] = {CARD: sha256_file(staging / CARD), **manifest["files"]}
        manifest[MANIFEST_SHA] = _manifest_sha256(manifest)  # `release verify` checks the manifest's own bytes too
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        _fsync_tree(staging)
        final = releases_dir / version
        if final.exists():
            done = read_manifest(releases_dir, version) if (final / MANIFEST).is_file() else None
            if done and {k: v["sha256"] for k, v in done["tables"].items()} == {
                k: v["sha256"] for k, v in tables.items()
            }:
                # This very data was published by a run stopped before LATEST named it: finish that.
                shutil.rmtree(staging)
                _write_latest(releases_dir, version)
                write_index(releases_dir)
                return PublishResult(version, final, True, current)
            raise ReleaseError(f"{final} already exists; a published release is never overwritten")
        for f in staging.iterdir():
            f.chmod(0o444)
        os.rename(staging, final)
        _write_latest(releases_dir, version)
        write_index(releases_dir)  # index.json / index.html of every version, for static serving
        return PublishResult(version, final, True, current)
    except (OSError, duckdb.IOException) as e:  # disk full, folder not writable
        shutil.rmtree(staging, ignore_errors=True)
        raise _write_error(releases_dir, e) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_error(releases_dir: Path, e: Exception) -> ReleaseError:
    if isinstance(e, OSError) and e.strerror:
        reason = e.strerror + (f": {e.filename}" if e.filename else "")
    else:
        reason = (str(e).splitlines() or [e.__class__.__name__])[0]
    try:
        current = current_version(releases_dir)
    except OSError:
        current = None
    return ReleaseError(
        f"could not write the release into {releases_dir} ({reason}); the current release is {current or 'none'}"
    )


def _manifest_sha256(manifest: dict) -> str:
    """SHA-256 of the manifest without this field, as it is written (JSON, indent 2)."""
    rest = {k: v for k, v in manifest.items() if k != MANIFEST_SHA}
    return hashlib.sha256(json.dumps(rest, indent=2, ensure_ascii=False).encode("utf-8")).hexdigest()


def _remove_stale_staging(releases_dir: Path) -> None:
    for p in releases_dir.glob(".staging-*"):
        shutil.rmtree(p, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    for f in folder.iterdir():
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())


def _write_latest(releases_dir: Path, version: str) -> None:
    tmp = releases_dir / f".{LATEST_FILE}.{uuid.uuid4().hex}"
    tmp.write_text(version + "\n", encoding="utf-8")
    os.replace(tmp, releases_dir / LATEST_FILE)


def verify(releases_dir: Path, version: str) -> list[str]:
    """Problems with a published release (empty when every checksum matches)."""
    try:
        manifest = read_manifest(releases_dir, version)
    except ValueError:  # no longer UTF-8 or JSON
        return [f"{MANIFEST}: not valid JSON (the manifest was changed)"]
    folder = releases_dir / version
    problems = []
    # The manifest itself: byte for byte as written, and its recorded checksum matches.
    if (folder / MANIFEST).read_bytes() != (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8"):
        problems.append(f"{MANIFEST}: not as written (bytes changed)")
    if manifest.get(MANIFEST_SHA) != _manifest_sha256(manifest):
        problems.append(f"{MANIFEST}: {MANIFEST_SHA} is missing or differs (the manifest was changed)")
    try:
        expected = {v["file"]: v["sha256"] for v in manifest["tables"].values()}
        expected.update(manifest.get("files", {}))
    except (KeyError, TypeError, AttributeError):
        return problems + [f"{MANIFEST}: the list of files cannot be read (the manifest was changed)"]
    for name, sha in sorted(expected.items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256_file(path) != sha:
            problems.append(f"{name}: sha256 differs from the manifest (the file was changed)")
    extra = sorted({p.name for p in folder.iterdir()} - set(expected) - {MANIFEST})
    problems += [f"{name}: not listed in the manifest" for name in extra]
    return problems


def dataset_card(manifest: dict, conn) -> str:
    """The release's README.md: what each table holds, how it was made, and counts."""
    t = manifest["tables"]
    lines = [
        f"# stancewire dataset {manifest['version']}",
        "",
        "Who is mentioned, who said what, and who stands where in a collection of news articles: "
        "entity mentions and canonical actors, quotes and reported speech with their speakers, and "
        "stance statements (actor, codebook target, favor/against/neutral, evidence) coded following "
        "political claims analysis.",
        "",
        f"- Created: {manifest['created']}",
        f"- Previous version: {manifest['previous_version'] or 'none (first release)'}",
        f"- Articles: {t['articles']['rows']}; quotes: {t['quotes']['rows']}; statements: {t['stances']['rows']}; "
        f"actors: {t['actors']['rows']}; rejected input records: {t['rejected_articles']['rows']}; "
        f"duplicates: {t['duplicate_articles']['rows']}",
        f"- spaCy model: {md(manifest.get('spacy', {}).get('model'))} (spaCy {md(manifest.get('spacy', {}).get('spacy_version'))})",
        "- Codebooks: " + ", ".join(f"{md(c['name'])} {md(c['version'])}" for c in manifest.get("codebooks", [])),
        *(
            [
                f"- Languages taken: {md(', '.join(manifest['languages']['accepted']))} "
                f"(detected with {md(manifest['languages']['detector'])}; others in `rejected_articles`)"
            ]
            if manifest.get("languages")
            else []
        ),
        f"- Code: stancewire {manifest['code_version']['stancewire']} (source sha256 {manifest['code_version']['source_sha256'][:12]})",
        f"- Input fingerprint: {manifest['input_fingerprint']}",
        "",
        "## How it was made",
        "",
        "1. Ingest: .txt, .json/.jsonl and .html files read; unreadable records listed in `rejected_articles`.",
        "2. Clean: Unicode repair (ftfy), whitespace, glued paragraphs split, metadata lines moved to columns; "
        "exact duplicates listed in `duplicate_articles`. `article_alignment` maps every offset back to the raw text. "
        "Each text's language detected (py3langid); texts in a language not taken listed in `rejected_articles`.",
        "3. Parse and entities: spaCy; NER corrected by patterns; people merged within an article; countries coded ISO 3166-1 alpha-3.",
        "4. Quotes: direct quotes and reported speech with cue and speaker; speakers resolved to actors.",
        "5. Stances: statements coded against the codebooks with rules (cue words, negation, hedges); each has its evidence and cue.",
        "6. Validation: Great Expectations suites over every table; this release passed every blocking expectation.",
        "",
        "## Validation",
        "",
        "| table | expectations | passed | failed (non-blocking) |",
        "|---|---|---|---|",
    ]
    for name, v in manifest["validation"].items():
        lines.append(f"| {name} | {v['expectations']} | {v['passed']} | {v['failed_nonblocking']} |")
    top = conn.execute(
        "SELECT name, actor_type, coalesce(country, ''), n_quotes FROM actors WHERE n_quotes > 0 "
        "ORDER BY n_quotes DESC, name LIMIT 10"
    ).fetchall()
    if top:
        lines += ["", "## Most quoted actors", "", "| actor | type | country | quotes |", "|---|---|---|---|"]
        lines += [f"| {md(n)} | {ty} | {c} | {q} |" for n, ty, c, q in top]
    from pipeline.release.meta import card_markdown

    lines += card_markdown(manifest.get("files", {}))  # figures and metadata files
    lines += ["", "## Tables", ""]
    for name in RELEASED_TABLES:
        table = TABLES[name]
        lines += [
            f"### {name} ({t[name]['rows']} rows, `{t[name]['file']}`)",
            "",
            f"{table.description} {table.grain} Primary key: {', '.join(table.primary_key)}.",
            "",
            "| column | type | description |",
            "|---|---|---|",
        ]
        lines += [
            f"| {c.name} | {c.type}{'' if c.nullable else ', not null'} | {c.description} |" for c in table.columns
        ]
        lines.append("")
    lines += [
        "## Reading it",
        "",
        "```python",
        "import polars as pl",
        "quotes = pl.read_parquet('quotes.parquet')",
        "import pandas as pd",
        "stances = pd.read_parquet('stances.parquet')",
        "import duckdb",
        "duckdb.sql(\"SELECT actor, target, stance FROM 'stances.parquet'\").show()",
        "```",
        "",
        "Check the files with `stancewire release verify VERSION` (sha256 of every file is in manifest.json).",
        "",
    ]
    return "\n".join(lines)

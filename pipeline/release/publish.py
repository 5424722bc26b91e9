"""Published releases: immutable folders of Parquet files with a manifest and a card.

    <releases>/v1.2.0/<table>.parquet   one file per released table, rows in key order
    <releases>/v1.2.0/manifest.json     version, provenance, row counts, sha256 of each file
    <releases>/v1.2.0/README.md         dataset card (`release.card`)
    <releases>/v1.2.0/CHANGELOG.md, datapackage.json, croissant.json, figure-*.svg
                                        (`release.metadata`, `release.changelog`, `release.figures`)
    <releases>/v1.2.0/stancewire.duckdb every table, the views and the comments (`release.database`)
    <releases>/LATEST                   the current version
    <releases>/current.duckdb           -> v1.2.0/stancewire.duckdb, what researchers open
    <releases>/index.json, index.html   every version (`release.index`)

Publishing writes into a hidden staging folder and renames it into place, so a release
folder is either complete or absent. A table whose rows are those of the current
release's file (same content fingerprint, same code) is not exported again: the new
version's file is a hard link to the current one (a copy where the file system has no
links), byte for byte the same; the manifest and checksums stay per version. Linked
versions share the file on disk (read-only, as every release file): `release verify`
checks each version's files against its own manifest. Versions follow semantic versioning: a schema change
is a major bump, new data a minor one; data identical to the current release makes no
new version.

`current.duckdb` is a relative symbolic link, switched by renaming a new link over it
(atomic): a session opened on it keeps reading the version it opened (the file it resolved
to is immutable and never removed), the next open reads the new one, and nothing a reader
does touches what a run writes. Where links cannot be made it is a hard link (switched the
same way), else a copy.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline import __version__
from pipeline.fingerprints import git_revision, input_fingerprint, schema_fingerprint, source_fingerprint
from pipeline.release.card import dataset_card
from pipeline.release.changelog import LIST_LIMIT
from pipeline.release.checksums import CHECKSUMS_FIELD, SHA256SUMS, sha256sums_text
from pipeline.release.database import TableFeed, write_release_database
from pipeline.release.versions import (
    CARD,
    CURRENT_DB,
    DATASET_NAME,
    LATEST_FILE,
    MANIFEST,
    MANIFEST_SHA,
    RELEASE_DB,
    ReleaseError,
    current_version,
    manifest_sha256,
    parse_version,
    read_manifest,
    sha256_file,
)
from pipeline.schema import RELEASED_TABLES, TABLES
from pipeline.storage.warehouse import insert_values


@dataclass(frozen=True)
class PublishResult:
    version: str
    path: Path
    created: bool  # False: the data equals the current release, nothing was written
    previous: str | None
    articles_change: str = ""  # "1 added, 1 removed, 0 changed (1 edited)" against `previous`, when known


def _articles_change(diff) -> str:
    """The articles table's change in a release diff, for the run's summary ("" without one)."""
    arts = next((t for t in diff.tables if t.table == "articles"), None) if diff is not None else None
    if arts is None:
        return ""
    edited = f"; {arts.edited} of them edited" if arts.edited else ""
    return f"{arts.added} added, {arts.removed} removed, {arts.changed} changed{edited}"


def export_tables(
    conn,
    folder: Path,
    current: Path | None = None,
    previous: dict | None = None,
    state: dict | None = None,
    on_table=None,
) -> dict[str, dict]:
    """Write each released table to folder/<table>.parquet in primary-key order; a table
    unchanged since the current release (`current` folder, `previous` its manifest) is
    linked from it instead (see the module docstring). `state` receives {table: (content
    fingerprint, sha256)} of the files, for `_keep_release_files` once they are published;
    `on_table(name, entry, rows)` is called as each file is complete (`rows`: its rows'
    `fingerprints.table_content`)."""
    from pipeline.fingerprints import code_version, table_content

    out = {}
    state = {} if state is None else state
    stored = dict(conn.execute("SELECT table_name, content || ' ' || sha256 FROM release_files").fetchall())
    code = code_version()  # once, not once per table
    with one_thread(conn):  # see one_thread
        for name in RELEASED_TABLES:
            table = TABLES[name]
            path = folder / f"{name}.parquet"
            rows_content = table_content(conn, name)
            content = _content_fingerprint(rows_content, code)
            before = (previous or {}).get("tables", {}).get(name)
            reusable = (
                current is not None
                and before
                and stored.get(name) == f"{content} {before['sha256']}"
                and (current / before["file"]).is_file()
                and (current / before["file"]).stat().st_size == before["bytes"]  # not altered since (cheap)
            )
            if reusable and _link_or_copy(current / before["file"], path):
                out[name] = {"file": path.name, **{k: before[k] for k in ("rows", "bytes", "sha256")}}
            else:
                rows = export_parquet(conn, table, path)
                out[name] = {"file": path.name, "rows": rows, "bytes": path.stat().st_size, "sha256": sha256_file(path)}
            state[name] = (content, out[name]["sha256"])
            if on_table is not None:
                on_table(name, out[name], rows_content)
    return out


ROW_GROUP_ROWS = 100_000
ZSTD_LEVEL = 3  # DuckDB's own default level, which wrote these files before


def export_parquet(conn, table, path: Path) -> int:
    """Write `table` to `path` in primary-key order, zstd, row groups of ROW_GROUP_ROWS; its
    row count. Each column is required or optional in the file as the schema declares it
    (`Column.nullable`): DuckDB's own COPY marks a column required when the rows at hand
    hold no NULL, so a file's schema would change from one release to the next with the
    data. Rows stream through Arrow a row group at a time (memory bounded as with COPY)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    order = ", ".join(f'"{k}"' for k in table.primary_key)
    cols = ", ".join(f'"{c}"' for c in table.column_names)
    reader = conn.sql(f'SELECT {cols} FROM "{table.name}" ORDER BY {order}').to_arrow_reader(ROW_GROUP_ROWS)
    nullable = {c.name: c.nullable for c in table.columns}
    schema = pa.schema([f.with_nullable(nullable[f.name]) for f in reader.schema])
    rows, pending, held = 0, [], 0
    try:
        with pq.ParquetWriter(path, schema, compression="zstd", compression_level=ZSTD_LEVEL) as writer:
            for batch in reader:
                pending.append(pa.RecordBatch.from_arrays(batch.columns, schema=schema))
                held += batch.num_rows
                rows += batch.num_rows
                if held >= ROW_GROUP_ROWS:  # whole row groups now, the rest kept for the next
                    whole = pa.Table.from_batches(pending, schema)
                    cut = held - held % ROW_GROUP_ROWS
                    writer.write_table(whole.slice(0, cut), row_group_size=ROW_GROUP_ROWS)
                    pending, held = whole.slice(cut).to_batches(), held - cut
            if held:
                writer.write_table(pa.Table.from_batches(pending, schema), row_group_size=ROW_GROUP_ROWS)
    finally:
        # the query's open result holds the database: a failed write (a full disk) must not
        # leave it open, or the run's own summary cannot connect to the warehouse again
        reader.close()
    return rows


@contextmanager
def one_thread(conn):
    """DuckDB work on `conn` in one thread, the connection's setting restored afterwards
    (the setting is the database's: every cursor of `conn` runs in one thread meanwhile).
    The sorted Parquet export is nearly serial: with two threads it took as long and 10-40 %
    more CPU (docs/scaling.md), which the release database's patch, running beside it on
    the other core, then lacked. The files are byte for byte the same either way."""
    threads = conn.execute("SELECT current_setting('threads')").fetchone()[0]
    conn.execute("SET threads = 1")
    try:
        yield conn
    finally:
        conn.execute(f"SET threads = {int(threads)}")


def _content_fingerprint(rows: str, code: str) -> str:
    """The table's rows (`rows`: its `fingerprints.table_content`), the code that exports
    them (`code`: its `code_version`) and the DuckDB that writes the file: equal
    fingerprints give byte-identical files."""
    return f"{code}:{duckdb.__version__}:{rows}"


def _link_or_copy(source: Path, target: Path) -> bool:
    """Hard-link `source` to `target` (a copy across file systems); False when it is gone."""
    try:
        os.link(source, target)
    except FileNotFoundError:
        return False
    except OSError:
        try:
            shutil.copyfile(source, target)
        except OSError:
            return False
    return True


def _keep_release_files(conn, state: dict) -> None:
    """The published files' fingerprints become the ones the next release compares with."""
    conn.execute("DELETE FROM release_files")
    insert_values(conn, "release_files", [[n, c, h] for n, (c, h) in state.items()])


def next_version(previous: dict | None, schema_fp: str, same_rows: bool = False) -> str:
    """v1.0.0 first; a major bump for a schema change, a minor one for new data, a patch for
    the same rows under an edited description (dataset.yaml)."""
    if previous is None:
        return "v1.0.0"
    major, minor, patch = parse_version("v" + previous["version"])
    if previous.get("schema_fingerprint") != schema_fp:
        return f"v{major + 1}.0.0"
    if same_rows:
        return f"v{major}.{minor}.{patch + 1}"
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
        current = current_version(releases_dir)
        previous = read_manifest(releases_dir, current) if current else None
        current_dir = releases_dir / current if current else None
        files_state: dict = {}
        schema_fp = schema_fingerprint()
        from pipeline.release.index import write_index
        from pipeline.release.metadata import write_release_files  # CHANGELOG, datapackage, croissant, figures

        # The release's DuckDB file is written in a thread from each Parquet file as soon as
        # it is exported (`TableFeed`: the export is mostly one core's work), its own DuckDB
        # outside the interpreter lock; patched from the previous version's file, it tells
        # the CHANGELOG what changed (else the CHANGELOG compares the two versions' files).
        feed = TableFeed(schema_fingerprint=schema_fp)
        unchanged = False
        # the warehouse, for the patch's reads in the writer's thread (a connection of its own)
        rows_from = conn.cursor()
        with rows_from, ThreadPoolExecutor(1) as pool:
            database_written = pool.submit(
                write_release_database,
                staging,
                feed,
                previous=current_dir,
                previous_manifest=previous,
                diff_sample=LIST_LIMIT,
                rows_from=rows_from,
            )
            try:
                tables = export_tables(conn, staging, current_dir, previous, files_state, on_table=feed.put)
                same_rows = bool(previous) and {k: v["sha256"] for k, v in previous["tables"].items()} == {
                    k: v["sha256"] for k, v in tables.items()
                }
                # the publisher's description (dataset.yaml) edited alone is a new version too: a patch
                unchanged = same_rows and previous.get("dataset_info") == provenance.get("dataset_info")
                if unchanged:
                    feed.cancel()  # the thread stops; this block waits for it before leaving
                    figures_drawn.cancel()  # not published: not drawn, unless it has started
                else:
                    version = next_version(previous, schema_fp, same_rows)
                    manifest = {
                        "dataset": DATASET_NAME,
                        "version": version[1:],
                        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
                        "previous_version": previous["version"] if previous else None,
                        "input_fingerprint": input_fingerprint(conn),
                        "code_version": {
                            "stancewire": __version__,
                            "source_sha256": source_fingerprint(),
                            **git_revision(),
                        },
                        **provenance,
                        "schema_fingerprint": schema_fp,
                        "tables": tables,
                        "validation": validation,
                    }
                    feed.finish(manifest)
                    manifest["files"], diff = write_release_files(
                        conn,
                        staging,
                        manifest,
                        current_dir,
                        figures_drawn,
                        diff_from=lambda: database_written.result().diff,
                    )
                    database = database_written.result().file
                    change = _articles_change(diff)
            except BaseException:
                feed.cancel()
                figures_drawn.cancel()
                raise
        if unchanged:
            shutil.rmtree(staging)
            _keep_release_files(conn, files_state)
            point_current(releases_dir, current)  # already so, unless a run stopped before it switched
            return PublishResult(current, releases_dir / current, False, current)
        manifest["files"] = dict(sorted({**manifest["files"], database: sha256_file(staging / database)}.items()))
        card = dataset_card(manifest, conn)
        (staging / CARD).write_text(card, encoding="utf-8")
        manifest["files"] = {CARD: sha256_file(staging / CARD), **manifest["files"]}
        manifest[CHECKSUMS_FIELD] = SHA256SUMS  # written beside it, below
        manifest[MANIFEST_SHA] = manifest_sha256(manifest)  # `release verify` checks the manifest's own bytes too
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (staging / SHA256SUMS).write_text(sha256sums_text(manifest, sha256_file(staging / MANIFEST)), encoding="utf-8")
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
                point_current(releases_dir, version)
                _keep_release_files(conn, files_state)
                write_index(releases_dir)
                return PublishResult(version, final, True, current, change)
            raise ReleaseError(f"{final} already exists; a published release is never overwritten")
        for f in staging.iterdir():
            f.chmod(0o444)
        os.rename(staging, final)
        _write_latest(releases_dir, version)
        point_current(releases_dir, version)
        _keep_release_files(conn, files_state)
        write_index(releases_dir)  # index.json / index.html of every version, for static serving
        return PublishResult(version, final, True, current, change)
    # disk full, folder not writable (DuckDB reports a full disk while it checkpoints the
    # release's DuckDB file as a FatalException: that file's own database, not the warehouse)
    except (OSError, duckdb.IOException, duckdb.FatalException) as e:
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


def _remove_stale_staging(releases_dir: Path) -> None:
    """What a killed publish left: staging folders (and their DuckDB spill folders), and
    a link made for current.duckdb but not yet renamed over it."""
    for p in releases_dir.glob(".staging-*"):
        shutil.rmtree(p, ignore_errors=True)
    for p in releases_dir.glob(f".{CURRENT_DB}.*"):
        p.unlink(missing_ok=True)


def _fsync_tree(folder: Path) -> None:
    for f in folder.iterdir():
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())


def _write_latest(releases_dir: Path, version: str) -> None:
    tmp = releases_dir / f".{LATEST_FILE}.{uuid.uuid4().hex}"
    tmp.write_text(version + "\n", encoding="utf-8")
    os.replace(tmp, releases_dir / LATEST_FILE)


def point_current(releases_dir: Path, version: str) -> bool:
    """Make `<releases>/current.duckdb` name `version`'s DuckDB file: a relative symbolic
    link put in place by a rename (atomic; the module docstring says why). False when the
    version has no such file (published before releases had one): the link is left as it is.
    ReleaseError when neither a link nor a copy can be made."""
    target = Path(version) / RELEASE_DB
    link = releases_dir / CURRENT_DB
    if not (releases_dir / target).is_file():
        return False
    if link.is_symlink() and Path(os.readlink(link)) == target:
        return True
    tmp = releases_dir / f".{CURRENT_DB}.{uuid.uuid4().hex}"
    try:
        os.symlink(target, tmp)
    except OSError:  # no symbolic links here (Windows without the privilege, some mounts)
        if not _link_or_copy(releases_dir / target, tmp):
            raise ReleaseError(
                f"{version} is published, but {link} could not be switched to it (no link or copy possible): "
                f"open {releases_dir / target} instead"
            ) from None
    try:
        os.replace(tmp, link)
    finally:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
    return True

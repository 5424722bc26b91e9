"""Measure a release's DuckDB file: materialised tables against views over the Parquet files.

    python -m bench.release_db RELEASE_FOLDER [RELEASE_FOLDER ...] [--repeat R] [--out FILE.json]

For each published release folder (e.g. data/releases/v1.0.0), in a scratch folder holding
hard links to its Parquet files:

- `tables`: what `publish` writes (`release.database.write_release_database`): every table
  materialised, views and comments, no primary-key index;
- `tables+pk`: the same with the primary keys declared (an index each);
- `views`: a DuckDB file holding only views over the Parquet files (absolute paths), and
  the researcher views;
- `parquet`: for reference, `storage.views.open_release` (in memory, views over the files).

Figures: the file's size against the Parquet files'; the time to write it, and for `tables`
the time the publish step adds (write, sha256, fsync); the ten docs/queries.md queries,
each run on a fresh connection per round (open, run the ten, close), per-query and total
medians of R rounds. The answers of every variant are compared with `parquet`'s.
The file system cache is warm after the first round, as it is for a researcher's second query.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
QUERIES = REPO / "docs" / "queries.md"
VARIANTS = ("tables", "tables+pk", "views", "parquet")


def doc_queries(path: Path = QUERIES) -> dict[int, tuple[str, str]]:
    """number -> (question, SQL) from docs/queries.md (the first ```sql block under each '## N.')."""
    text = path.read_text(encoding="utf-8")
    found = {}
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        m = re.match(r"(\d+)\. (.+)", section)
        sql = re.search(r"```sql\n(.*?)```", section, flags=re.S)
        if m and sql:
            found[int(m[1])] = (m[2].strip(), sql[1])
    return found


def _scratch(release: Path, into: Path) -> dict:
    """Hard links to the release's Parquet files and its manifest in `into` (no copy)."""
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    into.mkdir(parents=True)
    for t in manifest["tables"].values():
        try:
            os.link(release / t["file"], into / t["file"])
        except OSError:
            shutil.copyfile(release / t["file"], into / t["file"])
    return manifest


def _views_file(folder: Path, manifest: dict) -> Path:
    from pipeline.storage.views import create_views

    path = folder / "views.duckdb"
    conn = duckdb.connect(str(path))
    try:
        for name, t in manifest["tables"].items():
            literal = "'" + str((folder / t["file"]).resolve()).replace("'", "''") + "'"
            conn.execute(f'CREATE VIEW "{name}" AS SELECT * FROM read_parquet({literal})')
        create_views(conn)
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
    return path


def build(variant: str, folder: Path, manifest: dict) -> Path:
    from pipeline.release.database import write_release_database
    from pipeline.release.versions import RELEASE_DB

    for p in folder.glob("*.duckdb"):
        p.unlink()
    if variant == "views":
        return _views_file(folder, manifest)
    write_release_database(folder, manifest, primary_keys=variant == "tables+pk")
    return folder / RELEASE_DB


def connect(variant: str, path: Path | None, folder: Path):
    if variant == "parquet":
        from pipeline.storage.views import open_release

        return open_release(folder)
    return duckdb.connect(str(path), read_only=True)


def _answers(conn, sql: str) -> list:
    return sorted(conn.execute(sql).fetchall(), key=repr)


def publish_added_seconds(folder: Path, manifest: dict) -> float:
    """What `publish` does for the file: write it, checksum it, fsync it."""
    from pipeline.release.database import write_release_database
    from pipeline.release.versions import RELEASE_DB, sha256_file

    (folder / RELEASE_DB).unlink(missing_ok=True)
    t = time.perf_counter()
    write_release_database(folder, manifest)
    sha256_file(folder / RELEASE_DB)
    with open(folder / RELEASE_DB, "rb") as fh:
        os.fsync(fh.fileno())
    return time.perf_counter() - t


def measure(release: Path, repeat: int) -> dict:
    queries = doc_queries()
    with tempfile.TemporaryDirectory(prefix="release-db-bench-") as tmp:
        folder = Path(tmp) / "release"
        manifest = _scratch(release, folder)
        parquet_bytes = sum(t["bytes"] for t in manifest["tables"].values())
        out = {
            "release": str(release),
            "version": manifest["version"],
            "articles": manifest["tables"]["articles"]["rows"],
            "parquet_bytes": parquet_bytes,
            "repeat": repeat,
            "variants": {},
        }
        reference = None
        for variant in ("parquet", *[v for v in VARIANTS if v != "parquet"]):
            builds, path = [], None
            if variant != "parquet":
                for _ in range(repeat):
                    t = time.perf_counter()
                    path = build(variant, folder, manifest)
                    builds.append(time.perf_counter() - t)
            per_query = {n: [] for n in queries}
            totals = []
            answers = {}
            for _ in range(repeat):
                t0 = time.perf_counter()
                conn = connect(variant, path, folder)
                try:
                    for n, (_, sql) in queries.items():
                        t = time.perf_counter()
                        answers[n] = _answers(conn, sql)
                        per_query[n].append(time.perf_counter() - t)
                finally:
                    conn.close()
                totals.append(time.perf_counter() - t0)
            if reference is None:
                reference = answers
            out["variants"][variant] = {
                "file_bytes": path.stat().st_size if path else None,
                "build_seconds": statistics.median(builds) if builds else None,
                "queries_seconds": statistics.median(totals),
                "per_query_seconds": {n: statistics.median(v) for n, v in per_query.items()},
                "same_answers_as_parquet": answers == reference,
            }
        out["publish_added_seconds"] = statistics.median(publish_added_seconds(folder, manifest) for _ in range(repeat))
    return out


def table(results: list[dict]) -> str:
    lines = []
    for r in results:
        mb = r["parquet_bytes"] / 1e6
        lines += [
            f"{r['release']} (v{r['version']}, {r['articles']} articles; Parquet files {mb:.1f} MB; "
            f"medians of {r['repeat']}; publish step adds {r['publish_added_seconds']:.2f} s)",
            f"{'variant':<10} {'file MB':>8} {'x Parquet':>9} {'write s':>8} {'10 queries s':>12} "
            f"{'slowest query s':>16} {'same answers':>12}",
        ]
        for name, v in r["variants"].items():
            size, built = v["file_bytes"], v["build_seconds"]
            n, slowest = max(v["per_query_seconds"].items(), key=lambda kv: kv[1])
            mb = "" if size is None else f"{size / 1e6:.1f}"
            ratio = "" if size is None else f"{size / r['parquet_bytes']:.2f}"
            write = "" if built is None else f"{built:.2f}"
            lines.append(
                f"{name:<10} {mb:>8} {ratio:>9} {write:>8} {v['queries_seconds']:>12.3f} "
                f"{f'{slowest:.3f} (#{n})':>16} {'yes' if v['same_answers_as_parquet'] else 'NO':>12}"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.release_db", description=__doc__.split("\n\n")[0])
    parser.add_argument("releases", nargs="+", type=Path, metavar="RELEASE_FOLDER")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, metavar="FILE.json")
    args = parser.parse_args(argv)
    results = [measure(r, args.repeat) for r in args.releases]
    print(table(results))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What a release carries for its consumers, beside the Parquet files.

    CHANGELOG.md        the diff against the previous release (rows added / removed /
                        changed per table by primary key, schema changes), newest first
    datapackage.json    Frictionless Data Package: table schemas, keys, licences, sources
    croissant.json      Croissant (JSON-LD) metadata: files, record sets, fields, keys
    figure-*.svg        figures for the dataset card (`pipeline.figures`)

and, for the whole releases folder, a static index (`index.json`, `index.html`) that any
static file server or object store can serve as is.

`publish()` calls `write_release_files` on the staging folder (the files go into the
manifest, so `release verify` checks them) and `write_index` after the rename.
Everything here is derived from `schema.TABLES` and the manifest; text that comes from the
data is escaped (`versions.md` for Markdown, `html.escape` for HTML).
"""

from __future__ import annotations

import html
import json
import os
import re
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from pipeline.release.versions import ReleaseError, current_version, list_versions, md, read_manifest, sha256_file
from pipeline.schema import RELEASED_TABLES, TABLES, sql_literal

CHANGELOG = "CHANGELOG.md"
DATAPACKAGE = "datapackage.json"
CROISSANT = "croissant.json"
INDEX_JSON = "index.json"
INDEX_HTML = "index.html"
SAMPLE_KEYS = 20  # keys listed per table and kind of change
LIST_LIMIT = 50  # articles listed by name in a changelog entry

CODE_LICENCE = "MIT"
DATA_LICENCE_NOTE = (
    "The data are derived from the input articles and inherit their licence: stancewire "
    "does not re-license them. The stancewire code that made them is MIT-licensed."
)

# How each released table's rows are named in a diff or changelog, besides their key.
_LABEL_COLUMN = {"articles": "title", "actors": "name", "codebook_targets": "label"}

_FRICTIONLESS_TYPE = {
    "VARCHAR": "string",
    "INTEGER": "integer",
    "BIGINT": "integer",
    "DOUBLE": "number",
    "BOOLEAN": "boolean",
}
_CROISSANT_TYPE = {
    "VARCHAR": "sc:Text",
    "INTEGER": "sc:Integer",
    "BIGINT": "sc:Integer",
    "DOUBLE": "sc:Float",
    "BOOLEAN": "sc:Boolean",
}


def _dump(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---------------------------------------------------------------------------- diff


@dataclass
class TableDiff:
    table: str
    status: str  # same | changed | added | removed (the table itself)
    rows_before: int = 0
    rows_after: int = 0
    added: int = 0
    removed: int = 0
    changed: int = 0
    primary_key: list[str] = field(default_factory=list)
    added_keys: list[list] = field(default_factory=list)  # [key..., label?] samples
    removed_keys: list[list] = field(default_factory=list)
    changed_keys: list[list] = field(default_factory=list)
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    types_changed: list[list[str]] = field(default_factory=list)  # [column, old type, new type]
    note: str = ""

    @property
    def schema_changed(self) -> bool:
        return bool(self.columns_added or self.columns_removed or self.types_changed) or self.status in (
            "added",
            "removed",
        )


@dataclass
class ReleaseDiff:
    old: str
    new: str
    tables: list[TableDiff]

    def table(self, name: str) -> TableDiff:
        return next(t for t in self.tables if t.table == name)

    @property
    def schema_changed(self) -> bool:
        return any(t.schema_changed for t in self.tables)

    def to_json(self) -> dict:
        return {
            "old": self.old,
            "new": self.new,
            "schema_changed": self.schema_changed,
            "tables": [asdict(t) for t in self.tables],
        }


def _release_tables(folder: Path) -> dict[str, Path]:
    """table name -> Parquet file of a release folder (from its manifest, else the files)."""
    manifest = folder / "manifest.json"
    if manifest.is_file():
        tables = json.loads(manifest.read_text(encoding="utf-8")).get("tables", {})
        return {name: folder / t["file"] for name, t in tables.items()}
    return {p.stem: p for p in sorted(folder.glob("*.parquet"))}


def _primary_keys(folder: Path) -> dict[str, list[str]]:
    """Primary keys as the release declared them (datapackage.json), else the current schema's."""
    keys = {name: list(t.primary_key) for name, t in TABLES.items()}
    dp = folder / DATAPACKAGE
    if dp.is_file():
        for res in json.loads(dp.read_text(encoding="utf-8")).get("resources", []):
            pk = res.get("schema", {}).get("primaryKey")
            if pk:
                keys[res["name"]] = [pk] if isinstance(pk, str) else list(pk)
    return keys


def _columns(conn, view: str) -> dict[str, str]:
    return {r[0]: r[1] for r in conn.execute(f"DESCRIBE {_ident(view)}").fetchall()}


def diff_folders(
    old_dir: Path, new_dir: Path, old_name: str | None = None, new_name: str | None = None, sample: int = SAMPLE_KEYS
) -> ReleaseDiff:
    """Compare two release folders table by table: rows added, removed and changed (same
    primary key, other values), and schema changes (columns added, removed, retyped)."""
    old_dir, new_dir = Path(old_dir), Path(new_dir)
    old_files, new_files = _release_tables(old_dir), _release_tables(new_dir)
    old_keys, new_keys = _primary_keys(old_dir), _primary_keys(new_dir)
    order = [t for t in RELEASED_TABLES if t in old_files or t in new_files]
    order += sorted((set(old_files) | set(new_files)) - set(order))
    conn = duckdb.connect()
    try:
        conn.execute("SET threads = 1")
        out = []
        for name in order:
            out.append(
                _diff_table(
                    conn, name, old_files.get(name), new_files.get(name), old_keys.get(name), new_keys.get(name), sample
                )
            )
    finally:
        conn.close()
    return ReleaseDiff(old_name or old_dir.name, new_name or new_dir.name, out)


def _same_bytes(a: Path, b: Path) -> bool:

    return Path(a).stat().st_size == Path(b).stat().st_size and sha256_file(a) == sha256_file(b)


def _diff_table(conn, name, old_file, new_file, old_pk, new_pk, sample) -> TableDiff:
    if old_file is not None:
        conn.execute(f"CREATE OR REPLACE TEMP VIEW a AS SELECT * FROM read_parquet({sql_literal(old_file)})")
    if new_file is not None:
        conn.execute(f"CREATE OR REPLACE TEMP VIEW b AS SELECT * FROM read_parquet({sql_literal(new_file)})")
    count = lambda v: conn.execute(f"SELECT count(*) FROM {v}").fetchall()[0][0]
    if old_file is None:
        n = count("b")
        return TableDiff(
            name, "added", 0, n, added=n, primary_key=new_pk or [], columns_added=list(_columns(conn, "b"))
        )
    if new_file is None:
        n = count("a")
        return TableDiff(
            name, "removed", n, 0, removed=n, primary_key=old_pk or [], columns_removed=list(_columns(conn, "a"))
        )
    if old_pk == new_pk and _same_bytes(old_file, new_file):  # an unchanged table: nothing to compare
        n = count("b")
        return TableDiff(name, "same", n, n, primary_key=new_pk or [])
    ca, cb = _columns(conn, "a"), _columns(conn, "b")
    d = TableDiff(name, "same", count("a"), count("b"), primary_key=new_pk or [])
    d.columns_added = [c for c in cb if c not in ca]
    d.columns_removed = [c for c in ca if c not in cb]
    d.types_changed = [[c, ca[c], cb[c]] for c in cb if c in ca and ca[c] != cb[c]]
    pk = new_pk if new_pk and new_pk == old_pk and all(k in ca and k in cb for k in new_pk) else None
    if pk is None:
        # No common key: compare the rows as multisets over the common columns.
        common = [c for c in cb if c in ca]
        sel = ", ".join(_ident(c) for c in common)
        d.added = conn.execute(f"SELECT count(*) FROM (SELECT {sel} FROM b EXCEPT ALL SELECT {sel} FROM a)").fetchall()[
            0
        ][0]
        d.removed = conn.execute(
            f"SELECT count(*) FROM (SELECT {sel} FROM a EXCEPT ALL SELECT {sel} FROM b)"
        ).fetchall()[0][0]
        d.note = "no common primary key: rows compared as a whole"
    else:
        on = " AND ".join(f"x.{_ident(k)} = y.{_ident(k)}" for k in pk)
        keys = ", ".join(f"x.{_ident(k)}" for k in pk)
        label = _LABEL_COLUMN.get(name)
        label_sel = lambda src: (
            f", CAST({src}.{_ident(label)} AS VARCHAR)" if label and label in ca and label in cb else ""
        )
        order = ", ".join(f"x.{_ident(k)}" for k in pk)

        def anti(x, y):
            n = conn.execute(f"SELECT count(*) FROM {x} AS x ANTI JOIN {y} AS y ON {on}").fetchall()[0][0]
            rows = conn.execute(
                f"SELECT {keys}{label_sel('x')} FROM {x} AS x ANTI JOIN {y} AS y ON {on} "
                f"ORDER BY {order} LIMIT {int(sample)}"
            ).fetchall()
            return n, [list(r) for r in rows]

        d.added, d.added_keys = anti("b", "a")
        d.removed, d.removed_keys = anti("a", "b")
        others = [c for c in cb if c in ca and c not in pk]
        if others:
            # a retyped column compares the old value cast to the new type (1 -> 1.0 is no change)
            old_value = lambda c: f"TRY_CAST(y.{_ident(c)} AS {cb[c]})" if ca[c] != cb[c] else f"y.{_ident(c)}"
            differs = " OR ".join(f"x.{_ident(c)} IS DISTINCT FROM {old_value(c)}" for c in others)
            where = f"FROM b AS x JOIN a AS y ON {on} WHERE {differs}"
            d.changed = conn.execute(f"SELECT count(*) {where}").fetchall()[0][0]
            d.changed_keys = [
                list(r)
                for r in conn.execute(
                    f"SELECT {keys}{label_sel('x')} {where} ORDER BY {order} LIMIT {int(sample)}"
                ).fetchall()
            ]
    if d.added or d.removed or d.changed or d.schema_changed:
        d.status = "changed"
    return d


def diff_versions(releases_dir: Path, old: str, new: str) -> ReleaseDiff:

    for v in (old, new):
        read_manifest(releases_dir, v)  # raises ReleaseError for an unknown version
    if old == new:
        raise ReleaseError("give two different versions")
    return diff_folders(releases_dir / old, releases_dir / new, old, new)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _plain(value) -> str:
    """Data text for a terminal: control characters (escape sequences) made visible."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", lambda m: f"\\x{ord(m[0]):02x}", str(value))


def _key_text(row: list, n_key: int, labelled: bool) -> str:
    key = ", ".join(_plain(v) for v in row[:n_key])
    if labelled and len(row) > n_key and row[n_key] is not None:
        return f"{key}  \u201c{_plain(row[n_key])}\u201d"
    return key


def format_diff(diff: ReleaseDiff) -> str:
    """The diff as the `release diff` command prints it."""
    lines = [
        f"release diff {diff.old} -> {diff.new}",
        "schema: " + ("changed" if diff.schema_changed else "unchanged"),
        "",
    ]
    width = max(len(t.table) for t in diff.tables) if diff.tables else 5
    lines.append(f"{'table':<{width}}  {'before':>8}  {'after':>8}  {'added':>7}  {'removed':>7}  {'changed':>7}")
    for t in diff.tables:
        lines.append(
            f"{t.table:<{width}}  {t.rows_before:>8}  {t.rows_after:>8}  {t.added:>7}  {t.removed:>7}  "
            f"{t.changed:>7}" + (f"  ({t.status} table)" if t.status in ("added", "removed") else "")
        )
    for t in diff.tables:
        n = len(t.primary_key)
        labelled = t.table in _LABEL_COLUMN
        for kind, total, keys, sign in (
            ("added", t.added, t.added_keys, "+"),
            ("removed", t.removed, t.removed_keys, "-"),
            ("changed", t.changed, t.changed_keys, "~"),
        ):
            if total and keys:
                lines += ["", f"{t.table}: {total} {kind}" + (f" (first {len(keys)})" if total > len(keys) else "")]
                lines += [f"  {sign} {_key_text(k, n, labelled)}" for k in keys]
        for c in t.columns_added:
            lines.append(f"{t.table}: column added: {c}")
        for c in t.columns_removed:
            lines.append(f"{t.table}: column removed: {c}")
        for c, a, b in t.types_changed:
            lines.append(f"{t.table}: column {c}: type {a} -> {b}")
        if t.note:
            lines.append(f"{t.table}: {t.note}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- changelog


def changelog_entry(manifest: dict, diff: ReleaseDiff | None) -> str:
    """One version's entry (Markdown); data text escaped."""

    t = manifest["tables"]
    date = manifest["created"][:10]
    lines = [f"## {manifest['version']} ({date})", ""]
    if diff is None:
        n = {k: t[k]["rows"] for k in ("articles", "quotes", "stances", "actors")}
        lines += [
            f"First release: {_n(n['articles'], 'article')}, {_n(n['quotes'], 'quote')}, "
            f"{_n(n['stances'], 'stance statement')}, {_n(n['actors'], 'actor')}.",
            "",
        ]
        return "\n".join(lines)
    arts = diff.table("articles") if any(x.table == "articles" for x in diff.tables) else None
    summary = f"Compared with {md(diff.old.lstrip('v'))}"
    if arts:
        summary += f": {_n(arts.added, 'article')} added, {arts.removed} removed, {arts.changed} changed"
    lines += [summary + ".", ""]
    lines += ["| table | rows before | rows after | added | removed | changed |", "|---|---|---|---|---|---|"]
    for d in diff.tables:
        lines.append(f"| {md(d.table)} | {d.rows_before} | {d.rows_after} | {d.added} | {d.removed} | {d.changed} |")
    lines.append("")
    if arts:
        for kind, keys, total in (("added", arts.added_keys, arts.added), ("removed", arts.removed_keys, arts.removed)):
            if total:
                lines += [f"### Articles {kind}", ""]
                lines += [f"- {md(k[0])}" + (f": {md(k[1])}" if len(k) > 1 and k[1] else "") for k in keys]
                if total > len(keys):
                    lines.append(
                        f"- ... and {total - len(keys)} more (`stancewire release diff {diff.old} {diff.new}`)"
                    )
                lines.append("")
    lines += ["### Schema", ""]
    if not diff.schema_changed:
        lines += ["No schema change.", ""]
    else:
        for d in diff.tables:
            if d.status in ("added", "removed"):
                lines.append(f"- table {md(d.table)} {d.status}")
            lines += [f"- {md(d.table)}: column {md(c)} added" for c in d.columns_added if d.status != "added"]
            lines += [f"- {md(d.table)}: column {md(c)} removed" for c in d.columns_removed if d.status != "removed"]
            lines += [f"- {md(d.table)}: column {md(c)} type {md(a)} -> {md(b)}" for c, a, b in d.types_changed]
        lines.append("")
    return "\n".join(lines)


def changelog(manifest: dict, diff: ReleaseDiff | None, previous_changelog: str | None) -> str:
    """CHANGELOG.md: this version's entry, then the previous release's entries."""
    lines = [
        "# Changelog",
        "",
        f"Changes of the {manifest.get('dataset', 'stancewire')} dataset, newest first. "
        "Rows are compared by primary key; `stancewire release diff VA VB` shows any two versions.",
        "",
        changelog_entry(manifest, diff),
    ]
    if previous_changelog:
        older = previous_changelog.split("\n## ", 1)
        if len(older) == 2:
            lines.append("## " + older[1].rstrip("\n") + "\n")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- datapackage


def _sources(conn, manifest: dict) -> list[dict]:
    sources = []
    rows = conn.execute(
        "SELECT b.batch_id, "
        "  (SELECT count(*) FROM articles a WHERE a.batch_id = b.batch_id), "
        "  (SELECT count(*) FROM rejected_articles r WHERE r.batch_id = b.batch_id), "
        "  (SELECT count(*) FROM duplicate_articles d WHERE d.batch_id = b.batch_id) "
        "FROM (SELECT DISTINCT batch_id FROM articles UNION SELECT DISTINCT batch_id FROM rejected_articles "
        "      UNION SELECT DISTINCT batch_id FROM duplicate_articles) AS b ORDER BY b.batch_id"
    ).fetchall()
    for batch, n_art, n_rej, n_dup in rows:
        sources.append(
            {
                "title": f"Input batch {batch}",
                "description": f"News articles ingested as batch {batch}: {n_art} articles kept, "
                f"{n_rej} records rejected, {n_dup} duplicates. The articles' own licence applies.",
            }
        )
    for book in manifest.get("codebooks", []):
        sources.append(
            {
                "title": f"Codebook {book['name']} {book['version']}",
                "description": f"Stance coding targets and terms (sha256 {book.get('sha256', '')}).",
            }
        )
    return sources


def _field(c) -> dict:
    out = {"name": c.name, "type": _FRICTIONLESS_TYPE.get(c.type, "any"), "description": c.description}
    constraints = {}
    if not c.nullable:
        constraints["required"] = True
    elif out["type"] in ("integer", "number"):
        # frictionless reads Parquet through pandas, where a NULL in a numeric column arrives
        # as NaN (rendered "nan"): declare that as this field's missing value, and only here
        out["missingValues"] = ["", "nan"]
    if c.values:
        constraints["enum"] = list(c.values)
    if constraints:
        out["constraints"] = constraints
    return out


def datapackage(manifest: dict, conn) -> dict:
    """A Frictionless (tabular) Data Package describing the release's Parquet files."""
    resources = []
    for name, t in manifest["tables"].items():
        table = TABLES[name]
        fks = [
            {
                "fields": [c.name],
                "reference": {
                    "resource": "" if c.references[0] == name else c.references[0],
                    "fields": [c.references[1]],
                },
            }
            for c in table.columns
            if c.references and c.references[0] in manifest["tables"]
        ]
        schema = {"fields": [_field(c) for c in table.columns], "primaryKey": list(table.primary_key)}
        if fks:
            schema["foreignKeys"] = fks
        resources.append(
            {
                "name": name,
                "path": t["file"],
                "profile": "tabular-data-resource",
                "format": "parquet",
                "mediatype": "application/vnd.apache.parquet",
                "title": name.replace("_", " "),
                # no "bytes": frictionless reads Parquet through pyarrow and cannot count them (it
                # reports byte-count errors); the size is in manifest.json and index.json
                "description": f"{table.description} {table.grain}",
                "hash": f"sha256:{t['sha256']}",
                "schema": schema,
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": manifest.get("dataset", "stancewire"),
        "title": "stancewire: who is mentioned, who said what, and who stands where",
        "description": "Entity mentions and canonical actors, quotes and reported speech with their speakers, "
        "and stance statements (actor, codebook target, favor/against/neutral, evidence) coded "
        "following political claims analysis, extracted from news articles. " + DATA_LICENCE_NOTE,
        "version": manifest["version"],
        "created": manifest["created"],
        "keywords": ["news", "quotes", "stance", "political claims analysis", "discourse network"],
        "licenses": [
            {
                "name": "notspecified",
                "title": "Data: the licence of the input articles applies (inherited; stancewire does not re-license them)",
            },
            {
                "name": CODE_LICENCE,
                "path": "https://opensource.org/licenses/MIT",
                "title": "Code: the stancewire software that made the data (MIT)",
            },
        ],
        "sources": _sources(conn, manifest),
        "contributors": [{"title": "stancewire pipeline", "role": "author"}],
        "resources": resources,
    }


# ---------------------------------------------------------------------------- croissant

CROISSANT_CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}


def croissant(manifest: dict, base_url: str = "") -> dict:
    """Croissant 1.0 metadata (JSON-LD, context inline: nothing is fetched to read it).
    File URLs are relative to the release folder unless base_url is given."""
    distribution, record_sets = [], []
    for name, t in manifest["tables"].items():
        table = TABLES[name]
        file_id = t["file"]
        distribution.append(
            {
                "@type": "cr:FileObject",
                "@id": file_id,
                "name": file_id,
                "description": f"The {name} table as Parquet.",
                "contentUrl": base_url + file_id,
                "contentSize": f"{t['bytes']} B",
                "encodingFormat": "application/x-parquet",
                "sha256": t["sha256"],
            }
        )
        fields = []
        for c in table.columns:
            f = {
                "@type": "cr:Field",
                "@id": f"{name}/{c.name}",
                "name": c.name,
                "description": c.description,
                "dataType": _CROISSANT_TYPE.get(c.type, "sc:Text"),
                "source": {"fileObject": {"@id": file_id}, "extract": {"column": c.name}},
            }
            if c.references and c.references[0] in manifest["tables"]:
                f["references"] = {"field": {"@id": f"{c.references[0]}/{c.references[1]}"}}
            fields.append(f)
        key = [{"@id": f"{name}/{k}"} for k in table.primary_key]
        record_sets.append(
            {
                "@type": "cr:RecordSet",
                "@id": name,
                "name": name,
                "description": f"{table.description} {table.grain}",
                "key": key[0] if len(key) == 1 else key,
                "field": fields,
            }
        )
    return {
        "@context": CROISSANT_CONTEXT,
        "@type": "sc:Dataset",
        "name": manifest.get("dataset", "stancewire"),
        "description": "Who is mentioned, who said what, and who stands where in a collection of news articles: "
        "actors, quotes with speakers, and stance statements with evidence. " + DATA_LICENCE_NOTE,
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "citeAs": f"stancewire dataset, version {manifest['version']}",
        "version": manifest["version"],
        "datePublished": manifest["created"],
        "license": "The licence of the input articles (inherited); stancewire code: MIT",
        "url": base_url or "./",
        "keywords": ["news", "quotes", "stance", "political claims analysis"],
        "distribution": distribution,
        "recordSet": record_sets,
    }


# ---------------------------------------------------------------------------- the hook


def write_release_files(
    conn, staging: Path, manifest: dict, previous_dir: Path | None, figures_drawn=None
) -> dict[str, str]:
    """Write CHANGELOG.md, datapackage.json, croissant.json and the figures (drawn here, or
    taken from `figures_drawn`, see `figures.draw_in_background`) into the staging folder
    (the Parquet files are already there); return {file name: sha256}."""
    from pipeline.release import figures

    diff = (
        diff_folders(
            previous_dir, staging, "v" + manifest["previous_version"], "v" + manifest["version"], sample=LIST_LIMIT
        )
        if previous_dir is not None and manifest.get("previous_version")
        else None
    )
    previous_log = None
    if previous_dir is not None and (previous_dir / CHANGELOG).is_file():
        previous_log = (previous_dir / CHANGELOG).read_text(encoding="utf-8")
    written = {
        CHANGELOG: changelog(manifest, diff, previous_log),
        DATAPACKAGE: _dump(datapackage(manifest, conn)),
        CROISSANT: _dump(croissant(manifest)),
    }
    for name, text in written.items():
        (staging / name).write_text(text, encoding="utf-8")
    files = list(written) + figures.write_figures(conn, staging, figures_drawn)
    return {name: sha256_file(staging / name) for name in sorted(files)}


def card_markdown(files) -> list[str]:
    """The dataset card's sections for the files written here: figures, then metadata."""
    from pipeline.release import figures

    files = set(files)
    lines = figures.card_markdown(files)
    meta = [
        (CHANGELOG, "what changed since the previous release (rows added / removed / changed per table)"),
        (DATAPACKAGE, "Frictionless Data Package: table schemas, primary and foreign keys, licences, sources"),
        (CROISSANT, "Croissant (JSON-LD) metadata for ML dataset tools"),
    ]
    present = [(f, text) for f, text in meta if f in files]
    if present:
        lines += ([] if lines and lines[-1] == "" else [""]) + ["## Metadata files", ""]
        lines += [f"- [{f}]({f}): {text}" for f, text in present]
        lines += ["", DATA_LICENCE_NOTE]
    return lines


# ---------------------------------------------------------------------------- index


def release_index(releases_dir: Path) -> dict:
    """Every published version with date, row counts, files (bytes, sha256, link), newest first."""

    latest = current_version(releases_dir)
    versions = []
    for v in reversed(list_versions(releases_dir)):
        folder = releases_dir / v
        try:
            m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        files = {}
        for name, t in m.get("tables", {}).items():
            files[t["file"]] = {
                "table": name,
                "rows": t["rows"],
                "bytes": t["bytes"],
                "sha256": t["sha256"],
                "href": f"{v}/{t['file']}",
            }
        for name, sha in sorted(m.get("files", {}).items()):
            path = folder / name
            files[name] = {
                "bytes": path.stat().st_size if path.is_file() else None,
                "sha256": sha,
                "href": f"{v}/{name}",
            }
        versions.append(
            {
                "version": v,
                "created": m.get("created"),
                "previous_version": f"v{m['previous_version']}" if m.get("previous_version") else None,
                "latest": v == latest,
                "href": f"{v}/",
                "manifest": f"{v}/manifest.json",
                "rows": {name: t["rows"] for name, t in m.get("tables", {}).items()},
                "files": files,
            }
        )
    return {
        "dataset": "stancewire",
        "latest": latest,
        "latest_href": f"{latest}/" if latest else None,
        "versions": versions,
    }


def index_html(index: dict) -> str:
    e = lambda v: html.escape("" if v is None else str(v), quote=True)
    out = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{e(index['dataset'])} releases</title>",
        "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
        "td.n{text-align:right}code{font-size:.85em}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(index['dataset'])} releases</h1>",
    ]
    if index["latest"]:
        out.append(
            f'<p>Latest: <a href="{e(index["latest_href"])}">{e(index["latest"])}</a> '
            f'(<a href="{e(index["latest"])}/README.md">dataset card</a>). '
            f'Machine-readable: <a href="{INDEX_JSON}">{INDEX_JSON}</a>.</p>'
        )
    else:
        out.append("<p>No release yet.</p>")
    out += [
        "<table>",
        "<tr><th>version</th><th>created</th><th>articles</th><th>quotes</th><th>statements</th>"
        "<th>actors</th><th></th></tr>",
    ]
    for v in index["versions"]:
        rows = v["rows"]
        out.append(
            f'<tr><td><a href="#{e(v["version"])}">{e(v["version"])}</a>{" (latest)" if v["latest"] else ""}</td>'
            f"<td>{e(v['created'])}</td>"
            + "".join(f'<td class="n">{e(rows.get(t, ""))}</td>' for t in ("articles", "quotes", "stances", "actors"))
            + f'<td><a href="{e(v["manifest"])}">manifest</a></td></tr>'
        )
    out.append("</table>")
    for v in index["versions"]:
        out += [
            f'<h2 id="{e(v["version"])}">{e(v["version"])}{" (latest)" if v["latest"] else ""}</h2>',
            f"<p>Created {e(v['created'])}; previous version {e(v['previous_version'] or 'none')}.</p>",
            "<table>",
            "<tr><th>file</th><th>rows</th><th>bytes</th><th>sha256</th></tr>",
        ]
        for name, f in v["files"].items():
            out.append(
                f'<tr><td><a href="{e(f["href"])}">{e(name)}</a></td><td class="n">{e(f.get("rows", ""))}</td>'
                f'<td class="n">{e(f["bytes"])}</td><td><code>{e(f["sha256"])}</code></td></tr>'
            )
        out.append("</table>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_index(releases_dir: Path) -> dict:
    """(Re)write index.json and index.html for the whole releases folder, each atomically."""
    releases_dir = Path(releases_dir)
    index = release_index(releases_dir)
    _write_atomic(releases_dir / INDEX_JSON, _dump(index))
    _write_atomic(releases_dir / INDEX_HTML, index_html(index))
    return index

"""The machine-readable files a release carries beside its Parquet files, and the hook
`publish()` calls to write them into the staging folder (they go into the manifest, so
`release verify` checks them):

    CHANGELOG.md        `pipeline.release.changelog`
    datapackage.json    Frictionless Data Package: table schemas, keys, licences, sources
    croissant.json      Croissant (JSON-LD) metadata: files, record sets, fields, keys
    figure-*.svg        figures for the dataset card (`pipeline.release.figures`)

Everything is derived from `schema.TABLES` and the manifest.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.release.changelog import LIST_LIMIT, changelog
from pipeline.release.diff import diff_folders
from pipeline.release.versions import (
    CHANGELOG,
    CROISSANT,
    DATAPACKAGE,
    MANIFEST,
    RELEASE_INFO,
    RELEASE_INFO_DDL,
    json_text,
    release_info_values,
    sha256_file,
)
from pipeline.schema import TABLES, sql_literal

VIEWS_SQL = "views.sql"  # the researcher views over the Parquet files, for DuckDB without the project

CODE_LICENCE = "MIT"


DATA_LICENCE_NOTE = (
    "The data are derived from the input articles and inherit their licence: stancewire "
    "does not re-license them. The stancewire code that made them is MIT-licensed."
)
DEFAULT_TITLE = "stancewire: who is mentioned, who said what, and who stands where"


def _orcid_url(orcid: str | None) -> str | None:
    """An ORCID as a URL: given bare ("0000-0002-1825-0097") or as its URL already."""
    if not orcid:
        return None
    return orcid if orcid.startswith(("http://", "https://")) else f"https://orcid.org/{orcid}"


def licence_note(manifest: dict) -> str:
    """What the release says of its licence: the publisher's (`dataset.yaml`), else that the
    input articles' applies."""
    lic = manifest.get("dataset_info", {}).get("license")
    if not lic:
        return DATA_LICENCE_NOTE
    named = lic["id"] + (f" ({lic['url']})" if lic.get("url") else "")
    return (
        f"The publisher licenses the data under {named}; the input articles' own terms still apply to their "
        "text. The stancewire code that made them is MIT-licensed."
    )


def citation(manifest: dict) -> str:
    return manifest.get("dataset_info", {}).get("citation") or (
        f"{manifest.get('dataset_info', {}).get('title') or 'stancewire dataset'}, version {manifest['version']}"
    )


_FRICTIONLESS_TYPE = {
    "VARCHAR": "string",
    "INTEGER": "integer",
    "BIGINT": "integer",
    "DOUBLE": "number",
    "BOOLEAN": "boolean",
    "DATE": "date",
}


_CROISSANT_TYPE = {
    "VARCHAR": "sc:Text",
    "INTEGER": "sc:Integer",
    "BIGINT": "sc:Integer",
    "DOUBLE": "sc:Float",
    "BOOLEAN": "sc:Boolean",
    "DATE": "sc:Date",
}


def _sources(conn, manifest: dict) -> list[dict]:
    sources = [
        {k: v for k, v in (("title", x["title"]), ("path", x.get("url")), ("description", x.get("description"))) if v}
        for x in manifest.get("dataset_info", {}).get("sources", [])
    ]
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
    info = manifest.get("dataset_info", {})
    lic = info.get("license")
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
        ] + [
            {"fields": list(cols), "reference": {"resource": parent, "fields": list(pcols)}}
            for cols, parent, pcols in table.composite_references
            if parent in manifest["tables"]
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
        "title": info.get("title") or DEFAULT_TITLE,
        "description": (info["description"] + " " if info.get("description") else "")
        + "Entity mentions and canonical actors, quotes and reported speech with their speakers, "
        "and stance statements (actor, codebook target, favor/against/neutral, evidence) coded "
        "following political claims analysis, extracted from news articles. " + licence_note(manifest),
        **({"homepage": info["url"]} if info.get("url") else {}),
        "version": manifest["version"],
        "created": manifest["created"],
        "keywords": ["news", "quotes", "stance", "political claims analysis", "discourse network"],
        "licenses": [
            {
                k: v
                for k, v in (
                    ("name", lic["id"]),
                    ("path", lic.get("url")),
                    ("title", "Data: " + (lic.get("title") or lic["id"])),
                )
                if v
            }
            if lic
            else {
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
        "contributors": [
            {
                k: v
                for k, v in (
                    ("title", c["name"]),
                    ("role", "author"),
                    ("organization", c.get("affiliation")),
                    ("email", c.get("email")),
                    ("path", c.get("url") or _orcid_url(c.get("orcid"))),
                )
                if v
            }
            for c in info.get("creators", [])
        ]
        + [{"title": "stancewire pipeline", "role": "contributor" if info.get("creators") else "author"}],
        "resources": resources,
        **_review(manifest),
    }


def _review(manifest: dict) -> dict:
    """The coders' review of the automatic coding (a custom property, as the Data Package
    spec allows): the figures, one sentence each, and the corrections files in force."""
    from pipeline.review.agreement import summary_lines

    if not manifest.get("review"):
        return {}
    return {
        "stancewire:review": {
            "summary": summary_lines(manifest["review"]),
            "figures": manifest["review"],
            "corrections": manifest.get("corrections") or [],
        }
    }


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
    info = manifest.get("dataset_info", {})
    lic = info.get("license")
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
                # mlcroissant reads Parquet only under this name (not IANA's application/vnd.apache.parquet,
                # which datapackage.json gives)
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
        "description": (info["description"] + " " if info.get("description") else "")
        + "Who is mentioned, who said what, and who stands where in a collection of news articles: "
        "actors, quotes with speakers, and stance statements with evidence. " + licence_note(manifest),
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "citeAs": citation(manifest),
        "version": manifest["version"],
        "datePublished": manifest["created"],
        "license": (lic.get("url") or lic["id"])
        if lic
        else "The licence of the input articles (inherited); stancewire code: MIT",
        **(
            {
                "creator": [
                    {
                        "@type": "sc:Person",
                        "name": c["name"],
                        **({"affiliation": c["affiliation"]} if "affiliation" in c else {}),
                    }
                    for c in info["creators"]
                ]
            }
            if info.get("creators")
            else {}
        ),
        "url": base_url or info.get("url") or "./",
        "keywords": ["news", "quotes", "stance", "political claims analysis"],
        "distribution": distribution,
        "recordSet": record_sets,
    }


def views_sql(manifest: dict) -> str:
    """views.sql of a release: a view per table over its Parquet file, then the researcher
    views of `pipeline/storage/sql/views.sql` with their comments. DuckDB runs it in the
    release folder (`duckdb -init views.sql`), or anywhere with `file_search_path` set to
    the folder: the same views as the release's DuckDB file, for a copy of the Parquet files
    alone and without stancewire."""
    from pipeline.release.database import release_table_sql
    from pipeline.storage.views import statements

    lines = [
        f"-- The views of stancewire {manifest['version']} over its Parquet files, for DuckDB 1.4 or later.",
        "-- In this folder: duckdb -init views.sql",
        "-- Elsewhere (Python): con = duckdb.connect(); con.execute(\"SET file_search_path = 'path/to/this/folder'\");",
        "--   con.execute(open('path/to/this/folder/views.sql').read())",
        "-- stancewire.duckdb beside it holds the same tables and views.",
        "",
    ]
    for name, entry in sorted(manifest["tables"].items()):
        lines.append(f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM read_parquet({sql_literal(entry["file"])});')
        if name in TABLES:  # the comments of stancewire.duckdb's table, on the view
            comments = release_table_sql(TABLES[name], primary_key=False)[1:]
            lines += [c.replace("COMMENT ON TABLE", "COMMENT ON VIEW", 1) + ";" for c in comments]
        lines.append("")
    create, *comments = RELEASE_INFO_DDL  # as in stancewire.duckdb; run twice, still one row
    lines.append(create.replace("CREATE TABLE", "CREATE OR REPLACE TABLE", 1).rstrip(";") + ";")
    lines += [statement.rstrip(";") + ";" for statement in comments]
    values = ", ".join("NULL" if v is None else sql_literal(str(v)) for v in release_info_values(manifest))
    lines.append(f"INSERT INTO {RELEASE_INFO} VALUES ({values});")
    for statement in statements():
        lines += ([""] if statement.startswith("CREATE") else []) + [statement.rstrip(";") + ";"]
    return "\n".join(lines) + "\n"


def write_release_files(
    conn, staging: Path, manifest: dict, previous_dir: Path | None, figures_drawn=None, diff_from=None
) -> tuple[dict[str, str], object]:
    """Write CHANGELOG.md, datapackage.json, croissant.json and the figures (drawn here, or
    taken from `figures_drawn`, see `figures.draw_in_background`) into the staging folder
    (the Parquet files are already there); return ({file name: sha256}, the diff the CHANGELOG
    entry was written from, or None for a first release). `diff_from`: called
    last, what changed since the previous release if it is known already (a
    `diff.ReleaseDiff` of `LIST_LIMIT` keys, or None); else the two folders are compared."""
    from pipeline.release import figures

    written = {
        DATAPACKAGE: json_text(datapackage(manifest, conn)),
        CROISSANT: json_text(croissant(manifest)),
        VIEWS_SQL: views_sql(manifest),
    }
    for name, text in written.items():
        (staging / name).write_text(text, encoding="utf-8")
    files = list(written) + figures.write_figures(conn, staging, figures_drawn)
    diff = None
    if previous_dir is not None and manifest.get("previous_version"):
        diff = diff_from() if diff_from is not None else None
        if diff is None:
            diff = diff_folders(
                previous_dir, staging, "v" + manifest["previous_version"], "v" + manifest["version"], sample=LIST_LIMIT
            )
    previous_log = None
    if previous_dir is not None and (previous_dir / CHANGELOG).is_file():
        previous_log = (previous_dir / CHANGELOG).read_text(encoding="utf-8")
    previous = None
    if previous_dir is not None and (previous_dir / MANIFEST).is_file():
        previous = json.loads((previous_dir / MANIFEST).read_text(encoding="utf-8"))
    (staging / CHANGELOG).write_text(changelog(manifest, diff, previous_log, previous), encoding="utf-8")
    files.append(CHANGELOG)
    return {name: sha256_file(staging / name) for name in sorted(files)}, diff

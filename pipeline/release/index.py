"""The releases folder's static index (`index.json`, `index.html`): every published
version with its date, row counts and files, servable as is by any static file server or
object store. `publish()` rewrites it after each release; text from the data is escaped
(`html.escape`)."""

from __future__ import annotations

import html
import json
import os
import uuid
from pathlib import Path

from pipeline.release.checksums import SHA256SUMS
from pipeline.release.versions import current_version, json_text, list_versions, sha256_file

INDEX_JSON = "index.json"


INDEX_HTML = "index.html"


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
        sums = folder / SHA256SUMS  # not in the manifest (it holds the manifest's sum); a download wants it
        if sums.is_file():
            files[SHA256SUMS] = {"bytes": sums.stat().st_size, "sha256": sha256_file(sums), "href": f"{v}/{SHA256SUMS}"}
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
    _write_atomic(releases_dir / INDEX_JSON, json_text(index))
    _write_atomic(releases_dir / INDEX_HTML, index_html(index))
    return index

"""The releases folder's basics, shared by publishing (`publish`) and by what is written
around a release (changelog, metadata, index, card): version names, the current version, manifests, file
checksums, and Markdown escaping for the texts the cards quote from the data.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from pathlib import Path

VERSION_DIR = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")
LATEST_FILE = "LATEST"
MANIFEST = "manifest.json"
MANIFEST_SHA = "manifest_sha256"
CARD = "README.md"
CHANGELOG = "CHANGELOG.md"
DATAPACKAGE = "datapackage.json"
CROISSANT = "croissant.json"
DATASET_NAME = "stancewire"
RELEASE_DB = f"{DATASET_NAME}.duckdb"  # each version's DuckDB file (`release.database`)
CURRENT_DB = "current.duckdb"  # at the releases root: names the current version's DuckDB file


class ReleaseError(RuntimeError):
    pass


def parse_version(name: str) -> tuple[int, int, int] | None:
    m = VERSION_DIR.match(name)
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


def list_versions(releases_dir: Path) -> list[str]:
    """Published versions, oldest first (folders named vX.Y.Z holding a manifest)."""
    if not releases_dir.is_dir():
        return []
    found = [
        p.name for p in releases_dir.iterdir() if p.is_dir() and parse_version(p.name) and (p / MANIFEST).is_file()
    ]
    return sorted(found, key=parse_version)


def current_version(releases_dir: Path) -> str | None:
    """The version LATEST names (if it is published), else the highest one."""
    latest = releases_dir / LATEST_FILE
    versions = list_versions(releases_dir)
    if latest.is_file():
        name = latest.read_text(encoding="utf-8").strip()
        if name in versions:
            return name
    return versions[-1] if versions else None


def read_manifest(releases_dir: Path, version: str) -> dict:
    return json.loads(manifest_path(releases_dir, version).read_text(encoding="utf-8"))


def manifest_path(releases_dir: Path, version: str) -> Path:
    """The manifest of a published version ("v1.2.0"); ReleaseError when there is none."""
    if not parse_version(version):
        raise ReleaseError(f"{version!r} is not a release version (expected vX.Y.Z)")
    path = releases_dir / version / MANIFEST
    if not path.is_file():
        raise ReleaseError(f"no release {version} in {releases_dir}")
    return path


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def md(text) -> str:
    """Text from the data, safe inside Markdown rendered to HTML. Quotes are left as they are
    (they open no markup in text), so that no numeric entity ("&#x27;") has its "#" escaped
    below and shows as typed ("Florida&\\#x27;s")."""
    escaped = html.escape(str(text), quote=False)
    return re.sub(r"([\\`*_{}\[\]()#+\-!|>~])", r"\\\1", escaped)


def json_text(obj) -> str:
    """JSON as the release files write it: indented, non-ASCII kept, a final newline."""
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def manifest_sha256(manifest: dict) -> str:
    """SHA-256 of the manifest without this field, as it is written (JSON, indent 2)."""
    rest = {k: v for k, v in manifest.items() if k != MANIFEST_SHA}
    return hashlib.sha256(json.dumps(rest, indent=2, ensure_ascii=False).encode("utf-8")).hexdigest()


def verify(releases_dir: Path, version: str) -> list[str]:
    """Problems with a published release (empty when every checksum matches)."""
    return verify_folder(manifest_path(releases_dir, version).parent)


def verify_folder(folder: Path) -> list[str]:
    """Problems with a release folder however it is named (a download, renamed): empty when
    every checksum matches."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except ValueError:  # no longer UTF-8 or JSON
        return [f"{MANIFEST}: not valid JSON (the manifest was changed)"]
    problems = []
    # The manifest itself: byte for byte as written, and its recorded checksum matches.
    if (folder / MANIFEST).read_bytes() != (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8"):
        problems.append(f"{MANIFEST}: not as written (bytes changed)")
    if manifest.get(MANIFEST_SHA) != manifest_sha256(manifest):
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


# The table each release's DuckDB file holds to say which version it is (`release.database`);
# `storage.views.open_release` makes it from the manifest for a folder of Parquet files.
RELEASE_INFO = "release_info"
RELEASE_INFO_DDL = [
    f"""CREATE TABLE {RELEASE_INFO} (
        dataset VARCHAR NOT NULL,
        version VARCHAR NOT NULL,
        created VARCHAR NOT NULL,
        previous_version VARCHAR
    )""",
    f"COMMENT ON TABLE {RELEASE_INFO} IS 'The published version this file is (one row): the same as manifest.json "
    f"beside it. current.duckdb names the newest version; a session opened earlier keeps reading its own.'",
    f"COMMENT ON COLUMN {RELEASE_INFO}.dataset IS 'Dataset name.'",
    f"COMMENT ON COLUMN {RELEASE_INFO}.version IS 'Release version (semantic versioning, without the v).'",
    f"COMMENT ON COLUMN {RELEASE_INFO}.created IS 'When the version was published (UTC, ISO 8601).'",
    f"COMMENT ON COLUMN {RELEASE_INFO}.previous_version IS 'The version it follows (NULL for the first).'",
]


def release_info_values(manifest: dict) -> list:
    """`release_info`'s one row (dataset, version, created, previous_version) from a manifest."""
    return [
        manifest.get("dataset", DATASET_NAME),
        manifest["version"],
        manifest["created"],
        manifest.get("previous_version"),
    ]

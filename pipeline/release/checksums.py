"""SHA256SUMS: every release file's sha256 in `sha256sum`'s format, so a download checks
with `sha256sum -c SHA256SUMS` and nothing installed; and `release verify`, which checks
the manifest's checksums (`versions.verify_folder`) and that SHA256SUMS agrees with them.

Kept out of `versions`, which the warehouse's views import: a module the stored work
imports is in its code fingerprint, and an edit to how releases are checked must not make
a user's next run stage and code every batch again (`pipeline.fingerprints`).
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.release.versions import MANIFEST, manifest_path, sha256_file
from pipeline.release.versions import verify_folder as verify_manifest

SHA256SUMS = "SHA256SUMS"
# The manifest names the file it should be found with (its sum cannot be in the manifest:
# SHA256SUMS holds the manifest's); versions published before it was written name none.
CHECKSUMS_FIELD = "checksums_file"


def sha256sums_text(manifest: dict, manifest_file_sha256: str) -> str:
    """SHA256SUMS of a release folder ("<sha256>  <name>" a line, by name): every file the
    manifest lists, and the manifest itself."""
    sums = {v["file"]: v["sha256"] for v in manifest["tables"].values()}
    sums.update(manifest.get("files", {}))
    sums[MANIFEST] = manifest_file_sha256
    return "".join(f"{sha}  {name}\n" for name, sha in sorted(sums.items()))


def verify(releases_dir: Path, version: str) -> list[str]:
    """Problems with a published release (empty when every checksum matches)."""
    return verify_folder(manifest_path(releases_dir, version).parent)


def verify_folder(folder: Path) -> list[str]:
    """Problems with a release folder however it is named (a download, renamed): those of
    the manifest's checksums, and SHA256SUMS missing (when the manifest names it) or not in
    agreement with the manifest. Empty when every checksum matches."""
    problems = verify_manifest(folder)
    sums = folder / SHA256SUMS
    # the manifest's own check lists every file it does not name; this one it knows of
    problems = [p for p in problems if p != f"{SHA256SUMS}: not listed in the manifest" or not sums.is_file()]
    if any(p.startswith(f"{MANIFEST}:") for p in problems):
        return problems  # the manifest cannot be trusted to say what SHA256SUMS should hold
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    if not sums.is_file():
        if manifest.get(CHECKSUMS_FIELD) == SHA256SUMS:
            problems.append(f"{SHA256SUMS}: missing")
    elif sums.read_bytes() != sha256sums_text(manifest, sha256_file(folder / MANIFEST)).encode():
        problems.append(f"{SHA256SUMS}: differs from the manifest's checksums (a file of the two was changed)")
    return problems

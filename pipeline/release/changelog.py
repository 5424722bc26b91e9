"""A release's CHANGELOG.md: its entry (what changed since the previous release, from
`pipeline.release.diff`) above the previous release's entries. Data text is escaped
(`versions.md`)."""

from __future__ import annotations

from pipeline.release.diff import ReleaseDiff, counted, edited_note
from pipeline.release.versions import md

LIST_LIMIT = 50  # articles listed by name in a changelog entry


def changelog_entry(manifest: dict, diff: ReleaseDiff | None, previous: dict | None = None) -> str:
    """One version's entry (Markdown); data text escaped. `previous`: the previous
    version's manifest, to say what changed in what made the data (`_made_by`)."""

    t = manifest["tables"]
    date = manifest["created"][:10]
    lines = [f"## {manifest['version']} ({date})", ""]
    if diff is None:
        n = {k: t[k]["rows"] for k in ("articles", "quotes", "stances", "actors")}
        lines += [
            f"First release: {counted(n['articles'], 'article')}, {counted(n['quotes'], 'quote')}, "
            f"{counted(n['stances'], 'stance statement')}, {counted(n['actors'], 'actor')}.",
            "",
        ]
        return "\n".join(lines)
    arts = diff.table("articles") if any(x.table == "articles" for x in diff.tables) else None
    summary = f"Compared with {md(diff.old.lstrip('v'))}"
    if arts:
        summary += f": {counted(arts.added, 'article')} added, {arts.removed} removed, {arts.changed} changed"
    lines += [summary + ".", ""]
    if arts and arts.edited:
        lines += [edited_note(arts.edited)[0].upper() + edited_note(arts.edited)[1:] + ".", ""]
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
    lines += _review(manifest, diff)
    lines += _made_by(manifest, previous)
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


def _made_by(manifest: dict, previous: dict | None) -> list[str]:
    """What changed, since the previous version, in what made the data: the code, the
    stance model, the spaCy model, the codebooks, the dataset's description. Rows made
    before are kept unless their inputs changed, so a version can hold rows of both."""
    if not previous:
        return []
    out = []
    code, before = manifest.get("code_version", {}), previous.get("code_version", {})
    if code.get("source_sha256") != before.get("source_sha256"):
        out.append(f"- stancewire code: {code_text(before)} -> {code_text(code)}")
    model, was = manifest.get("stance_model", {}).get("method"), previous.get("stance_model", {}).get("method")
    if model != was:
        out.append(f"- stance model: {md(was)} -> {md(model)}")
    spacy, spacy_was = manifest.get("spacy", {}), previous.get("spacy", {})
    if (spacy.get("model"), spacy.get("spacy_version")) != (spacy_was.get("model"), spacy_was.get("spacy_version")):
        out.append(
            f"- spaCy: {md(spacy_was.get('model'))} (spaCy {md(spacy_was.get('spacy_version'))}) -> "
            f"{md(spacy.get('model'))} (spaCy {md(spacy.get('spacy_version'))})"
        )
    books = {b["name"]: b for b in manifest.get("codebooks", [])}
    books_was = {b["name"]: b for b in previous.get("codebooks", [])}
    for name in sorted(books.keys() | books_was.keys()):
        new, old = books.get(name), books_was.get(name)
        if old is None:
            out.append(f"- codebook {md(name)} {md(new['version'])} added")
        elif new is None:
            out.append(f"- codebook {md(name)} {md(old['version'])} removed")
        elif new.get("sha256") != old.get("sha256"):
            out.append(f"- codebook {md(name)}: {md(old['version'])} -> {md(new['version'])} (file changed)")
    if manifest.get("dataset_info") != previous.get("dataset_info"):
        out.append("- the dataset's description (dataset.yaml: title, licence, citation, creators, sources)")
    if not out:
        return []
    return [
        "### What made the data",
        "",
        "Changed since the previous version (rows it did not touch are kept as they were made):",
        "",
        *out,
        "",
    ]


def code_text(code: dict) -> str:
    """A manifest's `code_version` in a line: "0.1.0 (source sha256 3f072ca2..., commit
    15affb69..., with local changes)"."""
    parts = [f"source sha256 {md(str(code.get('source_sha256'))[:12])}"]
    if code.get("git_commit"):
        parts.append(
            f"commit {md(code['git_commit'][:12])}" + (", with local changes" if code.get("git_dirty") else "")
        )
    return f"{md(code.get('stancewire'))} ({', '.join(parts)})"


def _review(manifest: dict, diff: ReleaseDiff) -> list[str]:
    """The coders' corrections behind this version's changes (`review_verdicts`)."""
    verdicts = next((d for d in diff.tables if d.table == "review_verdicts"), None)
    stances = next((d for d in diff.tables if d.table == "stances"), None)
    if verdicts is None or not (verdicts.added or verdicts.removed or verdicts.changed):
        return []
    files = manifest.get("corrections") or []
    lines = ["### Review corrections", ""]
    lines.append(
        f"{counted(verdicts.added, 'review line')} added, {verdicts.removed} removed, {verdicts.changed} changed "
        f"(`review_verdicts`), from {counted(len(files), 'corrections file')} in force: "
        + ", ".join(md(f["file"]) for f in files)
        + "."
    )
    if stances is not None:
        lines.append(
            f"Statements: {stances.added} added, {stances.removed} removed, {stances.changed} changed, "
            "the coders' corrections included (`method` = manual, `review_verdict`)."
        )
    from pipeline.review.agreement import summary_lines

    if manifest.get("review"):
        lines.append(md(summary_lines(manifest["review"])[0]))
    return [*lines, ""]


def changelog(
    manifest: dict, diff: ReleaseDiff | None, previous_changelog: str | None, previous: dict | None = None
) -> str:
    """CHANGELOG.md: this version's entry, then the previous release's entries (`previous`:
    the previous version's manifest)."""
    lines = [
        "# Changelog",
        "",
        f"Changes of the {manifest.get('dataset', 'stancewire')} dataset, newest first. "
        "Rows are compared by primary key; `stancewire release diff VA VB` shows any two versions.",
        "",
        changelog_entry(manifest, diff, previous),
    ]
    if previous_changelog:
        older = previous_changelog.split("\n## ", 1)
        if len(older) == 2:
            lines.append("## " + older[1].rstrip("\n") + "\n")
    return "\n".join(lines)

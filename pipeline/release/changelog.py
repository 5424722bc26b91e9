"""A release's CHANGELOG.md: its entry (what changed since the previous release, from
`pipeline.release.diff`) above the previous release's entries. Data text is escaped
(`versions.md`)."""

from __future__ import annotations

from pipeline.release.diff import ReleaseDiff, counted, edited_note
from pipeline.release.versions import md

LIST_LIMIT = 50  # articles listed by name in a changelog entry


def changelog_entry(manifest: dict, diff: ReleaseDiff | None) -> str:
    """One version's entry (Markdown); data text escaped."""

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

"""The data dictionary (docs/data-dictionary.md), generated from `schema` so it is never stale."""

from __future__ import annotations

from pipeline.schema import TABLES


def data_dictionary() -> str:
    lines = [
        "# Data dictionary",
        "",
        "Generated from `pipeline/schema.py` by `stancewire docs`; a test fails when this file is stale.",
        "All tables live in the pipeline's working DuckDB warehouse (default `data/warehouse.duckdb`); tables",
        "marked *released* are also published in every release, as Parquet files and in the release's",
        "read-only DuckDB file with the views below (`data/releases/current.duckdb` names the newest one:",
        "what researchers open).",
        "",
        "Offsets: `char_start`/`char_end` (and other `*_char_*` columns) are Python string offsets",
        "(Unicode code points, end exclusive) into `articles.text`; `raw_char_*` columns point into",
        "`articles.raw_text`. DuckDB's `substring(text, char_start + 1, char_end - char_start)` gives the span.",
        "",
    ]
    for t in TABLES.values():
        lines += [
            f"## {t.name}{' (released)' if t.released else ' (warehouse only)'}",
            "",
            f"{t.description} {t.grain}",
            "",
            f"Primary key: `{', '.join(t.primary_key)}`.",
            "",
            *(
                f"Foreign key: `{', '.join(cols)}` references `{parent}` (`{', '.join(pcols)}`).\n"
                for cols, parent, pcols in t.composite_references
            ),
            "| column | type | null | description |",
            "|---|---|---|---|",
        ]
        for c in t.columns:
            lines.append(f"| `{c.name}` | {c.type} | {'yes' if c.nullable else 'no'} | {column_description(c)} |")
        lines.append("")
    lines += _release_info_section()
    from pipeline.storage.views import dictionary_markdown

    lines += dictionary_markdown()  # the researcher views, from the comments in pipeline/storage/sql/views.sql
    lines += _internal_section()
    return "\n".join(lines)


# The working warehouse's own bookkeeping (pipeline/storage/warehouse.py), for a user who
# lists its tables. Every table there must have a line here (`_internal_section` raises).
INTERNAL_TABLES = {
    "warehouse_info": "The warehouse's identity (`warehouse_id`); its staging folder records it.",
    "batches": "Every batch ever loaded, in load order (`batch_seq`).",
    "loaded_batches": "The staged state (fingerprint) each loaded batch was loaded from.",
    "validation_results": "Every expectation's outcome, run by run: after a blocked release, "
    "`SELECT * FROM validation_results WHERE NOT success ORDER BY validated_at DESC` says what failed.",
    "validation_state": "Each table's last validated fingerprint and outcomes (unchanged tables are not validated again).",
    "validation_parts": "The parts of each table whose row-wise expectations passed, by fingerprint.",
    "release_files": "Each released table's content fingerprint and file checksum in the current release.",
    "article_actors": "The actors each article names, per stage (what the actors table counts).",
    "dirty_actors": "Actors whose references changed since the actors table was built.",
    "coded_stances": "The statements as the coder made them; `stances` is these with coders' corrections applied.",
    "applied_merges": "Actor merges from the coders' corrections that the loaded tables carry.",
    "merged_speakers": "A quote's speaker before a merge rewrote it.",
    "auto_aliases": "Aliases made by the actor step (kept once made, so ids stay stable).",
    "actor_renames": "Actors' names given by coders.",
    "stage_state": "What each article's stance coding and corrections were last computed from (fingerprints).",
    "coding_scope": "Each coded article's words and actors' names: a codebook edit re-codes only the articles it can reach.",
    "coding_terms": "Each codebook target's terms as the target matcher keys them.",
}


def _release_info_section() -> list[str]:
    from pipeline.release.versions import RELEASE_INFO, RELEASE_INFO_DDL

    columns = _ddl_columns(RELEASE_INFO_DDL, RELEASE_INFO)
    lines = [
        f"## {RELEASE_INFO} (in each release's DuckDB file)",
        "",
        "The version the file is, one row: the same as `manifest.json` beside it.",
        "",
        "| column | type | null | description |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{name}` | {kind} | {'yes' if null else 'no'} | {comment} |" for name, kind, null, comment in columns]
    return [*lines, ""]


def _internal_section() -> list[str]:
    import re

    from pipeline.storage.warehouse import _INTERNAL_DDL

    names = [re.search(r'CREATE TABLE (?:IF NOT EXISTS )?"?(\w+)', ddl).group(1) for ddl in _INTERNAL_DDL]
    missing = sorted(set(names) - set(INTERNAL_TABLES))
    if missing:
        raise ValueError(f"pipeline/exports/dictionary.py: INTERNAL_TABLES lacks {missing}")
    lines = [
        "## The working warehouse's bookkeeping (warehouse only)",
        "",
        "Tables the pipeline keeps for itself in the working warehouse; they may change between",
        "versions of stancewire and are never released. `validation_results` is the one to read:",
        "",
        "| table | what it holds |",
        "|---|---|",
    ]
    lines += [f"| `{name}` | {INTERNAL_TABLES[name]} |" for name in names]
    lines += ["", "`validation_results`:", "", "| column | type | null |", "|---|---|---|"]
    columns = _ddl_columns([d for d in _INTERNAL_DDL if "validation_results" in d.split("(")[0]], "validation_results")
    lines += [f"| `{name}` | {kind} | {'yes' if null else 'no'} |" for name, kind, null, _ in columns]
    return [*lines, ""]


def _ddl_columns(ddl: list[str], table: str) -> list[tuple[str, str, bool, str]]:
    """(name, type, nullable, comment) of `table` as its DDL makes it (in memory)."""
    import duckdb

    conn = duckdb.connect()
    try:
        for stmt in ddl:
            conn.execute(stmt)
        return conn.execute(
            "SELECT column_name, data_type, is_nullable, coalesce(comment, '') FROM duckdb_columns() "
            "WHERE table_name = ? ORDER BY column_index",
            [table],
        ).fetchall()
    finally:
        conn.close()


def column_description(column, quote: str = "`") -> str:
    """A column's description with the values it may hold and the column it references, as
    the data dictionary, the dataset card and the release database's comments give it
    (`quote` marks the names: backticks in Markdown, nothing in a database comment)."""
    desc = column.description
    if column.values:
        desc += " Values: " + ", ".join(f"{quote}{v}{quote}" for v in column.values) + "."
    if column.references:
        desc += f" References {quote}{column.references[0]}.{column.references[1]}{quote}."
    return desc

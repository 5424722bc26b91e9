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
            "| column | type | null | description |",
            "|---|---|---|---|",
        ]
        for c in t.columns:
            desc = c.description
            if c.values:
                desc += " Values: " + ", ".join(f"`{v}`" for v in c.values) + "."
            if c.references:
                desc += f" References `{c.references[0]}.{c.references[1]}`."
            lines.append(f"| `{c.name}` | {c.type} | {'yes' if c.nullable else 'no'} | {desc} |")
        lines.append("")
    from pipeline.storage.views import dictionary_markdown

    lines += dictionary_markdown()  # the researcher views, from the comments in pipeline/storage/sql/views.sql
    return "\n".join(lines)

"""quotes: speaker and cue texts are the article text at their offsets; kind and
is_direct agree; content is not empty; counts are plausible."""

from .suites import Check, gx, row_count

MAX_QUOTES_PER_ARTICLE = 1000


def _matches(text_col: str, start: str, end: str) -> str:
    return (
        f'CASE WHEN t.{text_col} IS NULL THEN NULL ELSE substring(a."text", t.{start} + 1, '
        f"t.{end} - t.{start}) = t.{text_col} END AS {text_col}_matches_offsets"
    )


def expectations(conn):
    E = gx().expectations
    n_articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    derived = [
        _matches("speaker", "speaker_char_start", "speaker_char_end"),
        _matches("cue", "cue_char_start", "cue_char_end"),
        "(t.kind IN ('direct', 'mixed')) = t.is_direct AS kind_agrees_with_is_direct",
        "length(trim(t.content)) > 0 AS content_not_empty",
    ]
    checks = [
        Check(E.ExpectColumnValuesToBeInSet(column="speaker_matches_offsets", value_set=[True])),
        Check(E.ExpectColumnValuesToBeInSet(column="cue_matches_offsets", value_set=[True])),
        Check(E.ExpectColumnValuesToBeInSet(column="kind_agrees_with_is_direct", value_set=[True])),
        Check(E.ExpectColumnValuesToBeInSet(column="content_not_empty", value_set=[True])),
    ]
    aggregates = [row_count("quotes", max_value=MAX_QUOTES_PER_ARTICLE * max(n_articles, 1), blocking=False)]
    return derived, checks, aggregates, []

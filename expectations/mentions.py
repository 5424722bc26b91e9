"""mentions: the mention text is the article text at its offsets; counts are plausible."""

from .suites import Check, gx, row_count

MAX_MENTIONS_PER_ARTICLE = 5000


def expectations(conn):
    E = gx().expectations
    n_articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    derived = ['substring(a."text", t.char_start + 1, t.char_end - t.char_start) = t."text" AS text_matches_offsets']
    checks = [Check(E.ExpectColumnValuesToBeInSet(column="text_matches_offsets", value_set=[True]))]
    aggregates = [row_count("mentions", max_value=MAX_MENTIONS_PER_ARTICLE * max(n_articles, 1), blocking=False)]
    return derived, checks, aggregates, []

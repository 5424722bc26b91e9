"""sentences: each sentence's text is the article text at its offsets; every article has one."""

from .suites import Check, Frame, gx


def expectations(conn):
    E = gx().expectations
    derived = ['substring(a."text", t.char_start + 1, t.char_end - t.char_start) = t."text" AS text_matches_offsets']
    checks = [Check(E.ExpectColumnValuesToBeInSet(column="text_matches_offsets", value_set=[True]))]
    coverage = Frame(
        "sentence_coverage",
        "SELECT count(*) AS articles_without_sentences FROM articles "
        "WHERE article_id NOT IN (SELECT article_id FROM sentences)",
        [Check(E.ExpectColumnValuesToBeBetween(column="articles_without_sentences", max_value=0))],
    )
    return derived, checks, [], [coverage]

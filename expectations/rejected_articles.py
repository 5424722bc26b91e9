"""rejected_articles: every rejection says what was wrong."""

from .suites import Check, gx


def expectations(conn):
    E = gx().expectations
    return [], [Check(E.ExpectColumnValueLengthsToBeBetween(column="detail", min_value=5))], []

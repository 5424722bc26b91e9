"""rejected_articles: every rejection says what was wrong."""

from .suites import Check, gx

# Free-text columns this module's expectations read (others cross to pandas as flags).
FRAME_COLUMNS = ("detail",)


def expectations(conn):
    E = gx().expectations
    return [], [Check(E.ExpectColumnValueLengthsToBeBetween(column="detail", min_value=5))], [], []

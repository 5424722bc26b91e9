"""articles: texts match their stored lengths, and every input record is accounted for."""

from pipeline.schema import READ_THEN_REJECTED

from .suites import Check, Frame, gx, row_count, unique_values

# Free-text columns this module's expectations read (others cross to pandas as flags).
FRAME_COLUMNS = ("text_sha256", "language")

# Tables this module's frames read besides the table and what it references (see suites.reads).
READS = ("raw_articles", "duplicate_articles", "rejected_articles")


def expectations(conn):
    E = gx().expectations
    derived = [
        'length(t."text") = t.n_chars AS n_chars_matches_text',
        'length(t."text") > 0 AS text_not_empty',
    ]
    checks = [
        Check(E.ExpectColumnValuesToBeInSet(column="n_chars_matches_text", value_set=[True])),
        Check(E.ExpectColumnValuesToBeInSet(column="text_not_empty", value_set=[True])),
        Check(E.ExpectColumnValuesToMatchRegex(column="language", regex="^[a-z]{2,3}$")),  # ISO 639 (nulls pass)
    ]
    aggregates = [
        row_count("articles", min_value=1, max_value=None),  # an input with no article is not a release
        unique_values("articles", "text_sha256"),
    ]
    # Per batch: every readable record became an article, a duplicate of one, or was
    # rejected after it was read (its id taken by another text, or not in an accepted language).
    read_then_rejected = ", ".join(f"'{r}'" for r in READ_THEN_REJECTED)
    accounting = Frame(
        "record_accounting",
        "SELECT r.batch_id, count(*) AS raw_records, "
        "(SELECT count(*) FROM articles a WHERE a.batch_id = r.batch_id) + "
        "(SELECT count(*) FROM duplicate_articles d WHERE d.batch_id = r.batch_id) + "
        "(SELECT count(*) FROM rejected_articles j WHERE j.batch_id = r.batch_id "
        f"AND j.reason IN ({read_then_rejected})) "
        "AS accounted_for FROM raw_articles r GROUP BY r.batch_id ORDER BY r.batch_id",
        [Check(E.ExpectColumnPairValuesToBeEqual(column_A="raw_records", column_B="accounted_for"))],
    )
    return derived, checks, aggregates, [accounting]

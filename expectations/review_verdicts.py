"""review_verdicts: a corrected verdict carries the correction, and a verdict in force says
what it applies to."""

from .suites import Check, gx

# Free-text columns this module's expectations read (others cross to pandas as flags).
FRAME_COLUMNS = ()

# Tables this module's frames read besides the table (see suites.reads): a verdict's part is
# its article's (suites.record_part), though article_id is no reference (the article may be gone).
READS = ("articles",)


def expectations(conn):
    E = gx().expectations
    derived = [
        "(t.verdict NOT IN ('wrong_stance', 'add_statement') OR t.corrected_stance IS NOT NULL) "
        "AS correction_has_stance",
        "(t.verdict NOT IN ('wrong_actor', 'merge_actor', 'rename_actor') OR t.corrected_actor IS NOT NULL) "
        "AS correction_has_actor",
        "(t.status <> 'applied' OR t.applied_to IS NOT NULL) AS applied_names_its_item",
    ]
    checks = [
        Check(E.ExpectColumnValuesToBeInSet(column=c, value_set=[True]))
        for c in ("correction_has_stance", "correction_has_actor", "applied_names_its_item")
    ]
    return derived, checks, [], []

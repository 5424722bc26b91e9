"""stances: evidence is a non-empty excerpt of the article at its offsets, every statement
has a cue and a confidence in [0, 1], its target exists in its codebook, and `method` is
manual exactly for the statements a coder corrected or added."""

from .suites import Check, gx

# Tables this module's frames read besides the table and what it references (see suites.reads).
READS = ("codebook_targets",)


def expectations(conn):
    E = gx().expectations
    derived = [
        'substring(a."text", t.evidence_char_start + 1, t.evidence_char_end - t.evidence_char_start) = t.evidence '
        "AS evidence_matches_offsets",
        "length(trim(t.evidence)) > 0 AS evidence_not_empty",
        "length(trim(t.cue)) > 0 AS cue_not_empty",
        "EXISTS (SELECT 1 FROM codebook_targets c WHERE c.codebook = t.codebook AND c.target = t.target "
        "AND c.codebook_version = t.codebook_version) AS target_in_codebook",
        # a statement a coder corrected or added says so in method (docs/review.md)
        "(t.method = 'manual') = coalesce(t.review_verdict IN ('wrong_stance', 'wrong_actor', 'added'), false) "
        "AS manual_iff_corrected",
    ]
    checks = [
        Check(E.ExpectColumnValuesToBeInSet(column="evidence_matches_offsets", value_set=[True])),
        Check(E.ExpectColumnValuesToBeInSet(column="evidence_not_empty", value_set=[True])),
        Check(E.ExpectColumnValuesToBeInSet(column="cue_not_empty", value_set=[True])),
        Check(E.ExpectColumnValuesToBeInSet(column="target_in_codebook", value_set=[True])),
        Check(E.ExpectColumnValuesToBeInSet(column="manual_iff_corrected", value_set=[True])),
        Check(E.ExpectColumnValuesToBeBetween(column="confidence", min_value=0, max_value=1)),
    ]
    return derived, checks, [], []

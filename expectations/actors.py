"""actors: every actor id used by mentions, quotes and stances exists here (actors is
built last, so these references are checked on it); country codes look like ISO3."""

from .suites import Check, Frame, gx

# Free-text columns this module's expectations read (others cross to pandas as flags).
FRAME_COLUMNS = ("country",)

# Tables this module's frames read besides the table and what it references (see suites.reads).
READS = ("mentions", "quotes", "stances")


def expectations(conn):
    E = gx().expectations
    checks = [
        Check(E.ExpectColumnValuesToMatchRegex(column="country", regex=r"^[A-Z]{3}$")),
        Check(E.ExpectColumnValuesToBeBetween(column="n_articles", min_value=1)),
    ]
    # Only the references that miss (none, normally): the frame stays small as tables grow.
    references = Frame(
        "actor_references",
        "SELECT source_table, actor_id, false AS actor_id_in_actors FROM ("
        "SELECT 'mentions' AS source_table, actor_id FROM mentions WHERE actor_id IS NOT NULL "
        "UNION ALL SELECT 'quotes', speaker_actor_id FROM quotes WHERE speaker_actor_id IS NOT NULL "
        "UNION ALL SELECT 'stances', actor_id FROM stances) r "
        "WHERE NOT EXISTS (SELECT 1 FROM actors a WHERE a.actor_id = r.actor_id) ORDER BY source_table, actor_id",
        [Check(E.ExpectColumnValuesToBeInSet(column="actor_id_in_actors", value_set=[True]))],
        key=["source_table", "actor_id"],
    )
    return [], checks, [], [references]

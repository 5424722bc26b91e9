"""Great Expectations suites that gate every published release.

`suites.validate_table(conn, table)` runs a table's suites (GX 1.x, called directly; GX has
no Polars backend, so frames cross to pandas here) and returns one outcome per
expectation. Generic expectations come from `pipeline.schema` (keys unique and not null,
labels in their sets, references, offsets inside the article); table modules in this
package add what only they know. `suites.plan` decides what a run must validate: only the
batches whose rows changed, for the row-wise expectations.
"""

import os

# No usage statistics leave this machine (set before great_expectations is imported).
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

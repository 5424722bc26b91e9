"""One blocking Great Expectations check per warehouse table.

A failing blocking expectation fails the check with severity ERROR, so Dagster does not
run anything downstream of that table, the release included. Every outcome is also stored
in the warehouse's `validation_results` table for the release manifest and for history.
"""

import json

import dagster as dg

from pipeline.schema import TABLES

from .common import warehouse
from .resources import StancewireSettings

CHECK_NAME = "gx_expectations"


def record_outcomes(conn, run_id: str, table: str, outcomes) -> None:
    conn.execute("DELETE FROM validation_results WHERE run_id = ? AND table_name = ?", [run_id, table])
    conn.executemany(
        "INSERT INTO validation_results (run_id, table_name, expectation_no, expectation, column_name, success, "
        "blocking, unexpected_count, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [[run_id, table, n, o.expectation, o.column, o.success, o.blocking, o.unexpected_count, o.details]
         for n, o in enumerate(outcomes)])


def check_result(table: str, outcomes) -> dg.AssetCheckResult:
    failed = [o for o in outcomes if not o.success]
    blocking = [o for o in failed if o.blocking]
    metadata = {
        "expectations": len(outcomes),
        "passed": len(outcomes) - len(failed),
        "failed_blocking": len(blocking),
        "failed_nonblocking": len(failed) - len(blocking),
    }
    if failed:
        metadata["failures"] = dg.MetadataValue.json([
            {"expectation": o.expectation, "column": o.column, "frame": o.frame, "blocking": o.blocking,
             "unexpected_count": o.unexpected_count, "details": json.loads(o.details)} for o in failed])
    return dg.AssetCheckResult(
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=(blocking or failed)[0].describe() if failed else f"all {len(outcomes)} expectations passed",
    )


def _make_check(table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=dg.AssetKey(table), name=CHECK_NAME, blocking=True,
                    description=f"Great Expectations suite of {table}: keys, labels, references, offsets, counts.")
    def _check(context: dg.AssetCheckExecutionContext, settings: StancewireSettings) -> dg.AssetCheckResult:
        from expectations.suites import validate_table

        with warehouse(settings).connect() as conn:
            outcomes = validate_table(conn, table)
            record_outcomes(conn, context.run.run_id, table, outcomes)
        return check_result(table, outcomes)

    return _check


TABLE_CHECKS = [_make_check(name) for name in TABLES]

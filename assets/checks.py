"""One blocking Great Expectations check per warehouse table, run in one step with the
checks of the other tables the same step wrote.

A failing blocking expectation fails the check with severity ERROR, so Dagster does not
run anything downstream of that table, the release included. Every outcome is also stored
in the warehouse's `validation_results` table for the release manifest and for history.
"""

import json

import dagster as dg

from pipeline.schema import TABLES

from .common import warehouse
from .resources import StancewireSettings
from .stages import LOADED

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
        asset_key=dg.AssetKey(table),
        check_name=CHECK_NAME,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=(blocking or failed)[0].describe() if failed else f"all {len(outcomes)} expectations passed",
    )


def _make_checks(step: str, tables: list[str]) -> dg.AssetChecksDefinition:
    """The checks of the tables one step writes, run as one step (a step costs Dagster
    events and a warehouse connection; eleven of them cost more than the validation)."""
    @dg.multi_asset_check(
        name=f"{step}_checks", can_subset=True,
        specs=[dg.AssetCheckSpec(CHECK_NAME, asset=dg.AssetKey(t), blocking=True,
                                 description=f"Great Expectations suite of {t}: keys, labels, references, offsets, "
                                             f"counts.") for t in tables])
    def _checks(context: dg.AssetCheckExecutionContext, settings: StancewireSettings):
        from expectations.suites import validate_table

        selected = {key.asset_key.path[-1] for key in context.selected_asset_check_keys}
        with warehouse(settings).connect() as conn:
            for table in tables:
                if table in selected:
                    outcomes = validate_table(conn, table)
                    record_outcomes(conn, context.run.run_id, table, outcomes)
                    yield check_result(table, outcomes)

    return _checks


CHECKED_BY_STEP = {  # step that writes the tables -> the tables
    "load_batches": list(LOADED),
    "stance_coding": ["codebook_targets", "stances"],
    "actors": ["actors"],
}
assert sorted(t for ts in CHECKED_BY_STEP.values() for t in ts) == sorted(TABLES), "every table has its check"
TABLE_CHECKS = [_make_checks(step, tables) for step, tables in CHECKED_BY_STEP.items()]

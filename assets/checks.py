"""One blocking Great Expectations check per warehouse table, run in one step with the
checks of the other tables the same step wrote.

A failing blocking expectation fails the check with severity ERROR, so Dagster does not
run anything downstream of that table, the release included. Every outcome is also stored
in the warehouse's `validation_results` table for the release manifest and for history.
A table whose rows and suite are exactly those of its last validation keeps that
validation's outcomes (`validation_state`; see `expectations.suites`), and the row-wise
expectations run only on the parts (a batch's records in buckets) whose rows changed
(`validation_parts`).
"""

import json

import dagster as dg

from pipeline.schema import TABLES
from pipeline.steps.pool import VALIDATOR
from pipeline.storage.warehouse import insert_values

from .common import warehouse
from .resources import StancewireSettings
from .stages import LOADED, full_rebuild

CHECK_NAME = "gx_expectations"


def record_outcomes(conn, run_id: str, table: str, outcomes) -> None:
    conn.execute("DELETE FROM validation_results WHERE run_id = ? AND table_name = ?", [run_id, table])
    insert_values(
        conn,
        "validation_results",
        [
            [run_id, table, n, o.expectation, o.column, o.success, o.blocking, o.unexpected_count, o.details]
            for n, o in enumerate(outcomes)
        ],
        columns=[
            "run_id",
            "table_name",
            "expectation_no",
            "expectation",
            "column_name",
            "success",
            "blocking",
            "unexpected_count",
            "details",
        ],
    )


def check_result(table: str, outcomes, validated_in: str | None = None) -> dg.AssetCheckResult:
    """The Dagster check result of a table's outcomes; `validated_in`: the earlier run whose
    outcomes were kept because the table's rows and suite are unchanged."""
    failed = [o for o in outcomes if not o.success]
    blocking = [o for o in failed if o.blocking]
    metadata = {
        "expectations": len(outcomes),
        "passed": len(outcomes) - len(failed),
        "failed_blocking": len(blocking),
        "failed_nonblocking": len(failed) - len(blocking),
        "unchanged_since_run": validated_in or "",
    }
    if failed:
        metadata["failures"] = dg.MetadataValue.json(
            [
                {
                    "expectation": o.expectation,
                    "column": o.column,
                    "frame": o.frame,
                    "blocking": o.blocking,
                    "unexpected_count": o.unexpected_count,
                    "details": json.loads(o.details),
                }
                for o in failed
            ]
        )
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(table),
        check_name=CHECK_NAME,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=(blocking or failed)[0].describe() if failed else f"all {len(outcomes)} expectations passed",
    )


def prior_validations(conn, tables: list[str]) -> dict[str, tuple[str, str, list]]:
    """{table: (fingerprint, run id, outcomes)} of each table's last validation."""
    from expectations.suites import Validated

    rows = conn.execute(
        "SELECT table_name, fingerprint, run_id, outcomes FROM validation_state "
        "WHERE table_name IN (SELECT unnest(?::VARCHAR[]))",
        [tables],
    ).fetchall()
    out = {t: (fp, run_id, Validated.outcomes_from_json(outcomes)) for t, fp, run_id, outcomes in rows}
    return {t: v for t, v in out.items() if v[2] is not None}


def prior_parts(conn, tables: list[str]) -> dict[str, dict[str, str]]:
    """{table: {part: fingerprint}} of the parts whose row-wise expectations passed."""
    out: dict[str, dict[str, str]] = {t: {} for t in tables}
    for table, part, fp in conn.execute(
        "SELECT table_name, part, fingerprint FROM validation_parts WHERE table_name IN (SELECT unnest(?::VARCHAR[]))",
        [tables],
    ).fetchall():
        out[table][part] = fp
    return out


def validate(settings: StancewireSettings, tables: list[str], log=None, full: bool = False) -> dict:
    """Each table's `expectations.suites.Validated`. A table whose rows and code are those of
    its last validation keeps its outcomes (decided here, without GX); the others are
    validated in the run's validator process when `stancewire run` started one (it reads
    the warehouse read-only while this process holds the warehouse lock and has no
    connection open; with two cores a forked copy of it takes part of the tables), else
    here. Their row-wise expectations run on the changed parts
    only, unless `full` (a full rebuild: every row)."""
    from concurrent.futures.process import BrokenProcessPool

    from expectations.suites import Validated, plan, validate_table, validate_tables
    from pipeline.steps import pool

    from .common import CHECKS_VERSION

    wh = warehouse(settings)
    with wh.connect() as conn:
        if full:  # nothing kept: every table, every row
            todo_plan = plan(conn, tables, CHECKS_VERSION, {}, None)
        else:
            todo_plan = plan(conn, tables, CHECKS_VERSION, prior_validations(conn, tables), prior_parts(conn, tables))
    kept = todo_plan.kept
    todo = [t for t in tables if t not in kept]
    if not todo:
        return kept

    def validated(outcomes: dict) -> dict:
        return {
            **kept,
            **{
                t: Validated(
                    todo_plan.fingerprints[t],
                    outcomes[t],
                    part_fingerprints=todo_plan.part_fingerprints.get(t),
                    parts_validated=None if todo_plan.todo_parts.get(t) is None else tuple(todo_plan.todo_parts[t]),
                )
                for t in todo
            },
        }

    parts = {t: todo_plan.todo_parts.get(t) for t in todo}
    helper = pool.helper(VALIDATOR)
    if helper is not None:
        with wh.hold():
            try:
                return validated(
                    helper.call(validate_tables, str(wh.path.resolve()), todo, parts, wh.lock_timeout_s, True)
                )
            except BrokenProcessPool as e:  # it died (out of memory?): validate here instead
                if log is not None:
                    log.warning(f"the validation process stopped ({e}); validating in the run's process")
    with wh.connect() as conn:
        return validated({t: validate_table(conn, t, parts[t]) for t in todo})


def record_validation(conn, run_id: str, table: str, validated) -> str | None:
    """Store a table's outcomes for this run and, when they were computed now, as the
    table's last validation; the run they were first computed in when they were kept."""
    record_outcomes(conn, run_id, table, validated.outcomes)
    if validated.reused:
        return validated.validated_in
    conn.execute("DELETE FROM validation_state WHERE table_name = ?", [table])
    if validated.fingerprint:
        conn.execute(
            "INSERT INTO validation_state VALUES (?, ?, ?, ?)",
            [table, validated.fingerprint, run_id, validated.outcomes_json()],
        )
    record_parts(conn, run_id, table, validated)
    return None


def record_parts(conn, run_id: str, table: str, validated) -> None:
    """Keep the fingerprints of the parts validated now when every row-wise expectation
    passed on them (the main frame's outcomes); forget parts that are gone or failed."""
    parts = validated.part_fingerprints
    if parts is None:  # a table without parts
        return
    present = [p for p in parts if p is not None]
    conn.execute(
        "DELETE FROM validation_parts WHERE table_name = ? AND part NOT IN (SELECT unnest(?::VARCHAR[]))",
        [table, present],
    )
    now = present if validated.parts_validated is None else list(validated.parts_validated)
    conn.execute(
        "DELETE FROM validation_parts WHERE table_name = ? AND part IN (SELECT unnest(?::VARCHAR[]))", [table, now]
    )
    # the main frame (row-wise expectations) is named after its table (expectations.suites.main_frame)
    if now and all(o.success for o in validated.outcomes if o.frame == table):
        conn.execute(  # one statement: a first run keeps hundreds of parts per table
            "INSERT INTO validation_parts SELECT ?, unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), ?",
            [table, now, [parts[p] for p in now], run_id],
        )


def kept_outcomes_message(kept: dict[str, list[str]]) -> str:
    """The log line for tables whose outcomes were kept ({run id: tables validated in it})."""
    return "rows and suite unchanged, outcomes kept: " + "; ".join(
        f"{', '.join(tables)} (validated in run {run_id})" for run_id, tables in kept.items()
    )


def _make_checks(step: str, tables: list[str]) -> dg.AssetChecksDefinition:
    """The checks of the tables one step writes, run as one step (a step costs Dagster
    events and a warehouse connection; eleven of them cost more than the validation)."""

    @dg.multi_asset_check(
        name=f"{step}_checks",
        can_subset=True,
        specs=[
            dg.AssetCheckSpec(
                CHECK_NAME,
                asset=dg.AssetKey(t),
                blocking=True,
                description=f"Great Expectations suite of {t}: keys, labels, references, offsets, counts.",
            )
            for t in tables
        ],
    )
    def _checks(context: dg.AssetCheckExecutionContext, settings: StancewireSettings):
        selected_keys = {key.asset_key.path[-1] for key in context.selected_asset_check_keys}
        selected = [t for t in tables if t in selected_keys]
        validated = validate(settings, selected, context.log, full=full_rebuild(context))
        results, kept = [], {}
        with warehouse(settings).connect() as conn:
            for table in selected:
                validated_in = record_validation(conn, context.run.run_id, table, validated[table])
                if validated_in:
                    kept.setdefault(validated_in, []).append(table)
                results.append(check_result(table, validated[table].outcomes, validated_in))
        if kept:  # one line, not one per table: each is an event Dagster stores
            context.log.info(kept_outcomes_message(kept))
        yield from results  # with the connection closed (see `common.materialized`)

    return _checks


CHECKED_BY_STEP = {  # step that writes the tables -> the tables
    "load_batches": list(LOADED),
    "stance_coding": ["codebook_targets"],
    "review_corrections": ["stances", "review_verdicts", "actor_aliases"],
    "actors": ["actors"],
}
assert sorted(t for ts in CHECKED_BY_STEP.values() for t in ts) == sorted(TABLES), "every table has its check"
TABLE_CHECKS = [_make_checks(step, tables) for step, tables in CHECKED_BY_STEP.items()]

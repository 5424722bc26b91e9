"""The release asset: publish the validated tables as an immutable, versioned folder."""

from pathlib import Path

import dagster as dg

from pipeline.release.publish import publish
from pipeline.schema import RELEASED_TABLES, TABLES
from pipeline.stances.codebooks import load_codebooks

from .checks import record_outcomes
from .common import OWNER, warehouse
from .resources import StancewireSettings
from .stages import PUBLISH

RELEASE = "dataset_release"


def validation_summary(conn, run_id: str, held_throughout: bool = True, log=None) -> tuple[dict, list[str]]:
    """Per-table counts of this run's expectation outcomes, and the blocking failures.
    Tables this run did not validate (e.g. the release was launched alone) are validated now.
    `held_throughout` False: another run may have written the warehouse since this run's
    checks; their outcomes are first brought up to the rows as they are (`_outcomes_of_rows_now`)."""
    from expectations.suites import validate_table

    done = {
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT table_name FROM validation_results WHERE run_id = ?", [run_id]
        ).fetchall()
    }
    if not held_throughout and done:
        for line in _outcomes_of_rows_now(conn, run_id, [t for t in TABLES if t in done]):
            if log is not None:
                log.warning(line)
    for table in TABLES:
        if table not in done:
            record_outcomes(conn, run_id, table, validate_table(conn, table))
    summary, failures = {}, []
    for table, n, passed, failed_blocking, failed_nonblocking in conn.execute(
        "SELECT table_name, count(*), count(*) FILTER (WHERE success), "
        "count(*) FILTER (WHERE NOT success AND blocking), count(*) FILTER (WHERE NOT success AND NOT blocking) "
        "FROM validation_results WHERE run_id = ? GROUP BY table_name ORDER BY table_name",
        [run_id],
    ).fetchall():
        summary[table] = {
            "expectations": n,
            "passed": passed,
            "failed_blocking": failed_blocking,
            "failed_nonblocking": failed_nonblocking,
        }
    for table, expectation, column in conn.execute(
        "SELECT table_name, expectation, column_name FROM validation_results "
        "WHERE run_id = ? AND NOT success AND blocking ORDER BY table_name, expectation_no",
        [run_id],
    ).fetchall():
        failures.append(f"{expectation}{' on ' + column if column else ''} failed on table {table}")
    return summary, failures


def _outcomes_of_rows_now(conn, run_id: str, tables: list[str]) -> list[str]:
    """Make this run's outcomes those of each table's rows as they are now. A run launched
    from the UI, the inbox sensor or a backfill takes the warehouse lock step by step, so
    another run can load, re-code or rebuild between its checks and its release: a table
    whose rows changed since they were last validated is validated again now (as the
    checks would: the changed parts' rows), and one validated since by another run takes
    that validation's outcomes. Without this the release published rows another run's
    blocking check had just failed, and its manifest said they passed. Returns a line per
    table whose outcomes changed."""
    from expectations.suites import Validated, plan, validate_table

    from .checks import prior_parts, prior_validations, record_outcomes, record_validation
    from .common import CHECKS_VERSION

    now = plan(conn, tables, CHECKS_VERSION, prior_validations(conn, tables), prior_parts(conn, tables))
    lines = []
    for table in tables:
        kept = now.kept.get(table)
        if kept is not None and kept.validated_in == run_id:  # validated by this run: the rows are those
            continue
        if kept is not None:  # validated since by another run (or kept by this run's checks from an earlier one)
            mine = conn.execute(
                "SELECT expectation_no, success FROM validation_results WHERE run_id = ? AND table_name = ? ORDER BY 1",
                [run_id, table],
            ).fetchall()
            if mine == [(n, o.success) for n, o in enumerate(kept.outcomes)]:
                continue
            record_outcomes(conn, run_id, table, kept.outcomes)
            lines.append(
                f"{table}: its rows changed after this run's check; the outcomes of run {kept.validated_in}, which validated them, apply"
            )
            continue
        parts = now.todo_parts.get(table)
        validated = Validated(
            now.fingerprints[table],
            validate_table(conn, table, parts),
            part_fingerprints=now.part_fingerprints.get(table),
            parts_validated=None if parts is None else tuple(parts),
        )
        record_validation(conn, run_id, table, validated)
        lines.append(
            f"{table}: its rows changed after this run's check (another run wrote the warehouse); validated again"
        )
    return lines


def _lock_held_throughout(settings: StancewireSettings) -> bool:
    """Whether this process holds the warehouse lock around the whole run as well as for the
    step (`stancewire run`: `assets.runner.run_pipeline`), so that no other run can have
    written the warehouse since this run's checks. The lock is one reentrant object per file
    and process (`pipeline.storage.warehouse.Warehouse.hold`): the step's connection is one
    hold, the run's another. Call it inside the step's connection."""
    return warehouse(settings).holds() >= 2


@dg.asset(
    key=RELEASE,
    group_name=PUBLISH,
    deps=[dg.AssetKey(t) for t in RELEASED_TABLES],
    kinds={"parquet"},
    owners=[OWNER],
    description="A published dataset version: <releases>/vX.Y.Z/ (data/releases by default) with one Parquet "
    "file per table, the same tables with the views in a read-only DuckDB file (<releases>/current.duckdb names the "
    "current one: what researchers open), manifest.json (provenance, row counts, sha256) and a dataset "
    "card. Runs only when every blocking expectation passed; identical data makes no new version.",
)
def dataset_release(context: dg.AssetExecutionContext, settings: StancewireSettings) -> dg.MaterializeResult:
    from importlib.metadata import version

    from pipeline.fingerprints import stored_work_libraries
    from pipeline.release.dataset_info import DatasetInfoError, load_dataset_info
    from pipeline.release.stance_model import model_summary
    from pipeline.review.agreement import agreement
    from pipeline.review.apply import MANUAL
    from pipeline.review.corrections import load_corrections
    from pipeline.stances.decision import provenance as stance_model_provenance
    from pipeline.storage.warehouse import warehouse_id
    from pipeline.text.language import detector_version

    if not settings.publish:
        return dg.MaterializeResult(metadata={"published": False, "reason": "publishing disabled for this run"})
    books = load_codebooks(settings.codebook_paths())
    with warehouse(settings).connect() as conn:
        summary, failures = validation_summary(conn, context.run_id, _lock_held_throughout(settings), context.log)
        if failures:
            raise dg.Failure(
                description="release blocked: " + "; ".join(failures[:5]),
                metadata={"failures": dg.MetadataValue.json(failures)},
            )
        refusal = foreign_releases(Path(settings.releases_dir), warehouse_id(conn), settings.adopt_releases)
        if refusal:
            raise dg.Failure(description=refusal)
        try:
            dataset_info = load_dataset_info(Path(settings.releases_dir))
        except DatasetInfoError as e:
            raise dg.Failure(description=f"release blocked: {e}") from None
        staging = settings.staging
        models = sorted({(staging.read_manifest(b) or {}).get("model") for b in staging.batches()} - {None})
        provenance = {
            "spacy": {"model": ", ".join(models) or settings.spacy_model, "spacy_version": version("spacy")},
            # the installed version of each library the stored rows and their validation depend on
            "libraries": stored_work_libraries(),
            "codebooks": [{"name": b.name, "version": b.version, "sha256": b.sha256} for b in books],
            "languages": {"accepted": list(settings.accepted_languages), "detector": detector_version()},
            "stance_model": stance_model_provenance(
                model_summary(),
                [
                    m
                    for (m,) in conn.execute(
                        "SELECT DISTINCT method FROM stances WHERE method <> ? ORDER BY 1", [MANUAL]
                    ).fetchall()
                ],
            ),
            # the coders' corrections files in force, and what their review measured
            "corrections": load_corrections(settings.corrections_folder).manifest(),
            "review": agreement(conn),
            # which warehouse published it: a releases folder that two warehouses publish into
            # would silently swap one's dataset for the other's (see `other_warehouse`)
            "warehouse_id": warehouse_id(conn),
            # what the publisher says of the dataset: title, licence, citation (dataset.yaml)
            **({"dataset_info": dataset_info} if dataset_info else {}),
        }
        result = publish(conn, Path(settings.releases_dir), provenance, summary)
    other = other_warehouse(Path(settings.releases_dir), result, provenance["warehouse_id"])
    if other:
        context.log.warning(other)
    if result.created:
        change = result.previous and result.articles_change
        since = f" (articles since {result.previous}: {result.articles_change})" if change else ""
        context.log.info(f"published {result.version} at {result.path}{since}")
    else:
        context.log.info(f"data unchanged since {result.version}: no new version")
    metadata = {
        "version": result.version,
        "new_version": result.created,
        "path": dg.MetadataValue.path(str(result.path)),
        "dataset_card": dg.MetadataValue.path(str(Path(result.path).resolve() / "README.md")),
        "articles_change": result.articles_change,
    }
    if result.previous:  # entries left empty cluttered the asset's page
        metadata["previous_version"] = result.previous
    if other:
        metadata["other_warehouse"] = other
    return dg.MaterializeResult(metadata=metadata)


def foreign_releases(releases: Path, this_warehouse: str, adopt: bool) -> str:
    """Why this warehouse may not publish into `releases`: its current version was published
    by another warehouse (the new version would replace that dataset with this warehouse's,
    and `current.duckdb` with it); "" when it may (its own folder, a new one, an older
    manifest without an owner, or `adopt`)."""
    from pipeline.release.versions import current_version, read_manifest

    current = current_version(releases) if releases.is_dir() else None
    owner = read_manifest(releases, current).get("warehouse_id") if current else None
    if adopt or owner is None or owner == this_warehouse:
        return ""
    return (
        f"release blocked: {current} in {releases} was published from another warehouse, whose dataset a new "
        "version would replace. Give this warehouse its own releases folder (--releases), or --adopt-releases to "
        "publish into this one (a warehouse rebuilt from the same input after an upgrade)"
    )


def other_warehouse(releases: Path, result, this_warehouse: str) -> str:
    """A warning when the version before the one just published came from another warehouse
    file (two warehouses given one releases folder: the new version holds only this one's
    data), else ""."""
    from pipeline.release.versions import read_manifest

    if not result.created or not result.previous:
        return ""
    before = read_manifest(releases, result.previous).get("warehouse_id")
    if before is None or before == this_warehouse:
        return ""
    return (
        f"{result.previous} in {releases} was published from another warehouse: {result.version} holds this "
        f"warehouse's data only. Give each warehouse its own releases folder (--releases)."
    )

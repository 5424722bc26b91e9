"""The pipeline's assets. Per-batch work is partitioned by ingest batch and writes staging
files; one step loads every batch into the warehouse; stance coding, actors and the
release are warehouse-wide. Asset keys of warehouse tables are the table names.

Each asset function only resolves settings, calls `pipeline` and reports metadata.
"""

from pathlib import Path

import dagster as dg

from pipeline.stances.codebooks import CodebookError, load_codebooks
from pipeline.steps import progress
from pipeline.steps.load import LOADED_TABLES, load_warehouse
from pipeline.steps.per_batch import annotated_records, stage_files, stage_nlp
from pipeline.steps.warehouse_wide import run_actors, run_stances

from .common import OWNER, WORK_VERSION, materialized, table_spec, warehouse
from .resources import StancewireSettings

# Asset groups: one per step, numbered in the order the data flows (Dagster's sidebar lists
# groups by name). An asset depends only on assets of its own group or of earlier ones, so
# the global lineage reads left to right; tests/test_definitions.py checks it.
INGEST, PARSE, LOAD, STANCES, ACTORS, PUBLISH = (
    "1_ingest_clean",
    "2_parse_extract",
    "3_load_warehouse",
    "4_code_stances",
    "5_build_actors",
    "6_publish_release",
)
GROUPS = (INGEST, PARSE, LOAD, STANCES, ACTORS, PUBLISH)
BATCHES = dg.DynamicPartitionsDefinition(name="batches")
INPUT_DIR_TAG = "stancewire/input_dir"
# A run tagged so rebuilds the loaded tables from every staged batch and validates every row
# (`rebuild_release`, `stancewire rebuild`); other runs append, replace and validate what changed.
FULL_REBUILD_TAG = "stancewire/full_rebuild"


def full_rebuild(context) -> bool:
    """Whether the run is a full rebuild (FULL_REBUILD_TAG)."""
    return context.run.tags.get(FULL_REBUILD_TAG) == "true"


def ensure_partitions(instance: dg.DagsterInstance, batches) -> None:
    """Add the batches as partitions. Safe when another process adds the same ones at the
    same time (the instance's unique index refuses the second insert)."""
    missing = [b for b in batches if not instance.has_dynamic_partition(BATCHES.name, b)]
    if not missing:
        return
    try:
        instance.add_dynamic_partitions(BATCHES.name, missing)
    except Exception:
        if any(not instance.has_dynamic_partition(BATCHES.name, b) for b in missing):
            raise


def batch_input_dir(context: dg.AssetExecutionContext, settings: StancewireSettings) -> Path:
    """Where a batch's files are: the run's tag (CLI, sensor), else the CLI's input folder
    when it names this batch, else <inbox>/<batch> when it exists, else the folder the
    batch was last staged from (a batch a CLI run made, materialized again from the UI)."""
    tagged = context.run.tags.get(INPUT_DIR_TAG)
    if tagged:
        return Path(tagged)
    if settings.resolved_batch_id == context.partition_key:
        return settings.input_path
    inbox = Path(settings.inbox_dir) / context.partition_key
    if inbox.is_dir():
        return inbox
    source = settings.staging.source_folder(context.partition_key)
    return Path(source) if source else inbox


@dg.asset(
    key="batch_files",
    group_name=INGEST,
    partitions_def=BATCHES,
    kinds={"parquet", "python"},
    owners=[OWNER],
    code_version=WORK_VERSION,
)
def batch_files(context: dg.AssetExecutionContext, settings: StancewireSettings) -> dg.MaterializeResult:
    """One ingest batch read and cleaned into staging files: records, rejections with
    reasons, cleaned texts and their alignment to the raw text. One partition per batch."""
    folder = batch_input_dir(context, settings)
    named = bool(settings.batch_id) and settings.resolved_batch_id == context.partition_key  # --batch NAME
    report = stage_files(
        folder, context.partition_key, settings.staging, WORK_VERSION, settings.accepted_languages, named=named
    )
    for r in report.rejections:
        context.log.warning(f"rejected {r.describe()}")
    if report.hidden:  # .DS_Store, .git/...: not articles, but said, not dropped silently
        names = ", ".join(report.hidden[:5]) + (", ..." if len(report.hidden) > 5 else "")
        context.log.warning(f"skipped {len(report.hidden)} hidden file(s) (a name starting with '.'): {names}")
    context.log.info(
        f"batch {context.partition_key} from {folder}: {report.counts['input_records']} input records, "
        f"{report.counts['rejections']} rejected" + (" (unchanged, skipped)" if report.skipped else "")
    )
    return dg.MaterializeResult(
        metadata={
            "input_dir": str(folder),
            "records": report.counts["records"],
            "rejected": report.counts["rejections"],
            "hidden_files_skipped": len(report.hidden),
            "unchanged": report.skipped,
        }
    )


@dg.asset(
    key="batch_nlp",
    group_name=PARSE,
    partitions_def=BATCHES,
    deps=["batch_files"],
    kinds={"spacy", "parquet"},
    owners=[OWNER],
    code_version=WORK_VERSION,
)
def batch_nlp(context: dg.AssetExecutionContext, settings: StancewireSettings) -> dg.MaterializeResult:
    """One batch's texts parsed by spaCy (each distinct text once, kept in the parse store),
    with sentences, entity mentions, quotes and the actors they name, as staging files."""
    staging = settings.staging
    total = len(annotated_records(staging, context.partition_key)[1])  # what the progress bar counts
    try:  # stances are coded on the live Docs too, for the stance step to take over unchanged
        books = load_codebooks(settings.codebook_paths())
    except (CodebookError, OSError) as e:  # the stance step reports it; parsing goes on
        context.log.warning(f"stances not coded with the parse: {e}")
        books = None
    with progress.task("parse", total) as advance:
        report = stage_nlp(
            context.partition_key,
            staging,
            settings.spacy_model,
            WORK_VERSION,
            settings.batch_size,
            settings.processes,
            advance,
            codebooks=books,
        )
    context.log.info(
        f"batch {context.partition_key}: "
        + (
            "unchanged, skipped"
            if report.skipped
            else f"{report.counts['articles']} texts, {report.counts['parsed']} parsed now"
        )
    )
    return dg.MaterializeResult(metadata={"unchanged": report.skipped, **report.counts})


LOADED = list(LOADED_TABLES)


@dg.multi_asset(specs=[table_spec(t, LOAD, deps=["batch_nlp"]) for t in LOADED], name="load_batches")
def load_batches(context: dg.AssetExecutionContext, settings: StancewireSettings):
    """Load every complete batch from staging into the warehouse in one transaction (the
    single writer): duplicates set aside, id conflicts rejected, per-article rows kept."""
    with warehouse(settings).connect() as conn:
        report = load_warehouse(conn, settings.staging, full=full_rebuild(context))
        for r in report.id_conflicts:  # decided here, across batches: logged like ingest's rejections
            context.log.warning(
                f"rejected {r['source_file']} record {r['record_no']}: {r['reason']}: {r['detail']} "
                f"(batch {r['batch_id']})"
            )
        replaced = f"; replaced the rows of {', '.join(report.replaced)}" if report.replaced else ""
        if report.appended:
            what = f"appended {', '.join(report.read) or 'nothing new'}{replaced}"
        else:
            what = "rebuilt from every batch"
        context.log.info(f"{what} ({len(report.batches)} batches in the warehouse): {report.rows['articles']} articles")
        results = [materialized(conn, table) for table in LOADED]
    yield from results  # with the connection closed (see `common.materialized`)


CODED_STANCES = dg.AssetSpec(
    key="coded_stances",
    group_name=STANCES,
    description="The statements as the stance coder made them (warehouse-internal table coded_stances); "
    "`stances` is these with the coders' corrections applied.",
    deps=[dg.AssetKey("quotes"), dg.AssetKey("articles")],
    kinds={"duckdb", "spacy"},
    owners=[OWNER],
    code_version=WORK_VERSION,
)


@dg.multi_asset(
    specs=[table_spec("codebook_targets", STANCES, kinds=("duckdb", "yaml")), CODED_STANCES], name="stance_coding"
)
def stance_coding(context: dg.AssetExecutionContext, settings: StancewireSettings):
    """Code statements (actor, target, stance, evidence, cue) against the configured
    codebooks: precoded statements from the batches' staging when their coding fingerprint
    still holds, the others from stored parses; articles coded before with the same inputs
    are kept."""
    try:
        books = load_codebooks(settings.codebook_paths())
    except (CodebookError, OSError) as e:  # said in the UI as it is, not as a step error with a cause chain
        raise dg.Failure(description=f"stances not coded: a codebook cannot be used: {e}") from None
    context.log.info("codebooks: " + ", ".join(f"{b.name} {b.version}" for b in books))
    with warehouse(settings).connect() as conn:
        total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        with progress.task("stances", total) as advance:
            result = run_stances(
                conn,
                settings.spacy_model,
                books,
                settings.staging,
                WORK_VERSION,
                advance,
                n_process=settings.processes,
                batch_size=settings.batch_size,
            )
        context.log.info(
            f"coded {result['coded']} articles ({result['precoded']} coded with their parse), "
            f"{result['statements']} statements in all"
        )
        targets = materialized(conn, "codebook_targets")
        by_label = dict(conn.execute("SELECT stance, count(*) FROM coded_stances GROUP BY stance").fetchall())
    yield targets
    yield dg.MaterializeResult(
        asset_key=CODED_STANCES.key,
        metadata={
            "dagster/row_count": result["statements"],
            "coded_now": result["coded"],
            "coded_with_parse": result["precoded"],
            **{f"stance_{k}": v for k, v in sorted(by_label.items())},
        },
    )


@dg.multi_asset(
    specs=[
        table_spec("stances", STANCES, deps=["coded_stances", "codebook_targets", "mentions", "quotes"]),
        table_spec("review_verdicts", STANCES, deps=["coded_stances"], kinds=("duckdb", "json")),
        table_spec("actor_aliases", STANCES, deps=["mentions", "quotes", "coded_stances"]),
    ],
    name="review_corrections",
)
def review_corrections(context: dg.AssetExecutionContext, settings: StancewireSettings):
    """The coded statements with the coders' corrections in force (`stancewire review`,
    docs/review.md): verdicts, statements added by hand, actor merges and renames from the
    corrections files; every verdict with its status in review_verdicts."""
    from pipeline.review.apply import apply_corrections
    from pipeline.review.corrections import load_corrections

    corrections = load_corrections(settings.corrections_folder)
    with warehouse(settings).connect() as conn:
        report = apply_corrections(conn, corrections)
        for line in report.orphaned:
            context.log.warning(f"correction not applied: {line}")
        if corrections.files:
            applied = ", ".join(f"{n} {v}" for v, n in sorted(report.applied.items())) or "none"
            context.log.info(
                f"corrections from {len(corrections.files)} file(s) in {settings.corrections_folder}: "
                f"{report.lines} lines, in force: {applied}; {len(report.orphaned)} orphaned"
            )
        by_label = dict(conn.execute("SELECT stance, count(*) FROM stances GROUP BY stance").fetchall())
        results = [
            materialized(
                conn,
                "stances",
                articles_written=report.articles_written,
                corrections_orphaned=len(report.orphaned),
                **{f"stance_{k}": v for k, v in sorted(by_label.items())},
            ),
            materialized(conn, "review_verdicts", orphaned=len(report.orphaned)),
            materialized(conn, "actor_aliases"),
        ]
    yield from results


@dg.multi_asset(specs=[table_spec("actors", ACTORS, deps=["mentions", "quotes", "stances"])], name="actors")
def actors(settings: StancewireSettings):
    """Canonical actors referenced anywhere, with counts of mentions, quotes and statements."""
    with warehouse(settings).connect() as conn:
        run_actors(conn)
        result = materialized(conn, "actors")
    yield result


BATCH_ASSETS = [batch_files, batch_nlp]
WAREHOUSE_ASSETS = [load_batches, stance_coding, review_corrections, actors]
STAGE_ASSETS = BATCH_ASSETS + WAREHOUSE_ASSETS

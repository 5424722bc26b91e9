"""The pipeline's assets, one per warehouse table, grouped by stage.

Each asset function only opens the warehouse, calls the stage in `pipeline.stages` and
reports metadata; the logic lives in `pipeline/`.
"""

import dagster as dg

from pipeline import progress, stages
from pipeline.codebooks import load_codebooks
from pipeline.nlp import load_nlp

from .common import materialized, table_spec, warehouse
from .resources import StancewireSettings

INGEST, CLEAN, NLP, ENTITIES, QUOTES, STANCES = "ingest", "clean", "nlp", "entities", "quotes", "stances"


@dg.multi_asset(specs=[table_spec("raw_articles", INGEST, kinds=("duckdb", "python")),
                       table_spec("rejected_articles", INGEST, kinds=("duckdb", "python"))])
def ingest(context: dg.AssetExecutionContext, settings: StancewireSettings):
    """Read the input folder as one batch: readable records and rejections with reasons."""
    with warehouse(settings).connect() as conn:
        report, result = stages.run_ingest(conn, settings.input_path, settings.resolved_batch_id)
        for r in result.rejections:
            context.log.warning(f"rejected {r.describe()}")
        context.log.info(f"batch {settings.resolved_batch_id}: {report.notes['records_read']} records read, "
                         f"{report.rows['rejected_articles']} rejected")
        yield materialized(conn, "raw_articles", batch_id=settings.resolved_batch_id,
                           input_dir=str(settings.input_path), records_read=report.notes["records_read"])
        yield materialized(conn, "rejected_articles", rejected_in_batch=report.rows["rejected_articles"])


@dg.multi_asset(specs=[table_spec("articles", CLEAN, deps=["raw_articles"], kinds=("duckdb", "python")),
                       table_spec("article_alignment", CLEAN, deps=["raw_articles"], kinds=("duckdb", "python")),
                       table_spec("duplicate_articles", CLEAN, deps=["raw_articles"], kinds=("duckdb", "python"))])
def clean(context: dg.AssetExecutionContext, settings: StancewireSettings):
    """Repair and normalise texts, move metadata lines to columns, set duplicates aside."""
    with warehouse(settings).connect() as conn:
        report = stages.run_clean(conn)
        context.log.info(f"{report.rows['articles']} articles, {report.rows['duplicate_articles']} duplicates")
        for table in ("articles", "article_alignment", "duplicate_articles"):
            yield materialized(conn, table)


@dg.multi_asset(specs=[table_spec("parses", NLP, deps=["articles"], kinds=("duckdb", "spacy")),
                       table_spec("sentences", NLP, deps=["articles"], kinds=("duckdb", "spacy"))])
def parse(context: dg.AssetExecutionContext, settings: StancewireSettings):
    """Parse new or changed articles with spaCy once; store the Docs and their sentences."""
    nlp = load_nlp(settings.spacy_model)
    with warehouse(settings).connect() as conn:
        todo = conn.execute("SELECT count(*) FROM articles WHERE article_id NOT IN "
                            "(SELECT article_id FROM parses)").fetchone()[0]
        with progress.task("parse", todo) as advance:
            report = stages.run_parse(conn, nlp, settings.batch_size, settings.n_process, advance)
        context.log.info(f"parsed {report.notes['parsed_now']} articles, reused {report.notes['reused']} parses")
        yield materialized(conn, "parses", model=report.notes["model"], parsed_now=report.notes["parsed_now"],
                           reused=report.notes["reused"])
        yield materialized(conn, "sentences")


def _per_article(stage_name: str, settings: StancewireSettings, run, *args):
    nlp = load_nlp(settings.spacy_model)
    with warehouse(settings).connect() as conn:
        total = conn.execute("SELECT count(*) FROM parses").fetchone()[0]
        with progress.task(stage_name, total) as advance:
            run(conn, nlp, *args, progress=advance)


@dg.multi_asset(specs=[table_spec("mentions", ENTITIES, deps=["parses"], kinds=("duckdb", "spacy"))])
def mentions(settings: StancewireSettings) -> dg.MaterializeResult:
    """Named-entity mentions, corrected by patterns and linked to canonical actors."""
    _per_article("entities", settings, stages.run_entities)
    with warehouse(settings).connect(read_only=True) as conn:
        return materialized(conn, "mentions")


@dg.multi_asset(specs=[table_spec("quotes", QUOTES, deps=["parses"], kinds=("duckdb", "spacy"))])
def quotes(settings: StancewireSettings) -> dg.MaterializeResult:
    """Direct quotes and reported speech with cue and resolved speaker."""
    _per_article("quotes", settings, stages.run_quotes)
    with warehouse(settings).connect(read_only=True) as conn:
        direct = conn.execute("SELECT count(*) FROM quotes WHERE is_direct").fetchone()[0]
        resolved = conn.execute("SELECT count(*) FROM quotes WHERE speaker_actor_id IS NOT NULL").fetchone()[0]
        return materialized(conn, "quotes", direct=direct, with_resolved_speaker=resolved)


@dg.multi_asset(specs=[table_spec("codebook_targets", STANCES, kinds=("duckdb", "yaml")),
                       table_spec("stances", STANCES, deps=["parses", "quotes"], kinds=("duckdb", "spacy"))])
def stance_coding(context: dg.AssetExecutionContext, settings: StancewireSettings):
    """Code statements (actor, target, stance, evidence, cue) against the configured codebooks."""
    books = load_codebooks(settings.codebook_paths())
    context.log.info("codebooks: " + ", ".join(f"{b.name} {b.version}" for b in books))
    _per_article("stances", settings, stages.run_stances, books)
    with warehouse(settings).connect(read_only=True) as conn:
        yield materialized(conn, "codebook_targets")
        by_label = dict(conn.execute("SELECT stance, count(*) FROM stances GROUP BY stance").fetchall())
        yield materialized(conn, "stances", **{f"stance_{k}": v for k, v in sorted(by_label.items())})


@dg.multi_asset(specs=[table_spec("actors", ENTITIES, deps=["mentions", "quotes", "stances"])])
def actors(settings: StancewireSettings) -> dg.MaterializeResult:
    """Canonical actors referenced anywhere, with counts of mentions, quotes and statements."""
    with warehouse(settings).connect() as conn:
        stages.run_actors(conn)
        return materialized(conn, "actors")


STAGE_ASSETS = [ingest, clean, parse, mentions, quotes, stance_coding, actors]

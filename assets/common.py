"""Helpers the asset modules share: asset specs from the schema, the warehouse, metadata."""

import dagster as dg

from pipeline.fingerprints import checks_code_version, work_code_version
from pipeline.schema import TABLES
from pipeline.storage.warehouse import Warehouse, preview_markdown, row_count

from .resources import StancewireSettings

OWNER = "team:stancewire"
# A hash of the code validation outcomes depend on (all but `fingerprints.NOT_CHECKS`): the
# key of kept outcomes.
CHECKS_VERSION = checks_code_version()
# A hash of the code stored rows depend on (all but `fingerprints.NOT_WORK`): Dagster marks
# the warehouse assets stale when it changes, and it keys staged batches, parses and codings.
WORK_VERSION = work_code_version()


def table_spec(table: str, group: str, deps=(), kinds=("duckdb",)) -> dg.AssetSpec:
    """The asset spec of a warehouse table: key, stage group, description, column schema."""
    t = TABLES[table]
    columns = dg.TableSchema(
        columns=[
            dg.TableColumn(
                c.name,
                c.type.lower(),
                description=c.description,
                constraints=dg.TableColumnConstraints(nullable=c.nullable, unique=t.primary_key == (c.name,)),
            )
            for c in t.columns
        ]
    )
    return dg.AssetSpec(
        key=dg.AssetKey(table),
        group_name=group,
        description=f"{t.description} {t.grain}",
        deps=[dg.AssetKey(d) for d in deps],
        kinds=set(kinds),
        owners=[OWNER],
        code_version=WORK_VERSION,
        metadata={"dagster/column_schema": columns, "dagster/table_name": table},
    )


def warehouse(settings: StancewireSettings) -> Warehouse:
    return Warehouse(settings.warehouse, lock_timeout_s=settings.lock_timeout_s)


def materialized(conn, table: str, **extra) -> dg.MaterializeResult:
    """MaterializeResult for a table: row count and a Markdown preview of a few rows.

    Steps build their results with the warehouse open and yield them after closing it:
    Dagster stops a step between two yields on Ctrl-C, and a step suspended inside
    `Warehouse.connect` kept its connection open, so that the run's summary could not
    open the file again."""
    return dg.MaterializeResult(
        asset_key=dg.AssetKey(table),
        metadata={
            "dagster/row_count": row_count(conn, table),
            "preview": dg.MetadataValue.md(preview_markdown(conn, table)),
            **extra,
        },
    )

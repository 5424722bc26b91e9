"""The code location: every stage asset, a GX check per table, the release, the jobs, the
inbox sensor and the release schedule, one resource.

Steps run in one process (DuckDB allows one writer); `dagster dev -w workspace.yaml`
loads `defs`, the CLI calls `build_definitions` with its own settings.
"""

import dagster as dg

from .automation import inbox_sensor, process_batch, rebuild_release, release_schedule
from .checks import TABLE_CHECKS
from .release import dataset_release
from .resources import StancewireSettings
from .stages import STAGE_ASSETS


def build_definitions(settings: StancewireSettings | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=[*STAGE_ASSETS, dataset_release],
        asset_checks=TABLE_CHECKS,
        jobs=[process_batch, rebuild_release],
        sensors=[inbox_sensor],
        schedules=[release_schedule],
        resources={"settings": settings or StancewireSettings.from_env()},
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()

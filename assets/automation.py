"""Jobs, the inbox sensor and the release schedule.

- `process_batch` (partitioned by batch): everything for one batch, then the warehouse-wide
  assets and the release. `stancewire run` and the sensor launch it.
- `inbox_sensor`: each sub-folder of the inbox (data/inbox by default) is a file drop and
  becomes a batch partition; a run is launched when a drop is new or its files changed,
  once they have stayed the same from one evaluation to the next (a drop still being
  copied is not published half-written). Files directly in the inbox form the batch "inbox".
- `rebuild_release` (+ a daily schedule, off until switched on): rebuild the loaded tables
  from every staged batch, re-code what needs it, validate every row and publish, without
  re-processing any batch (`stancewire rebuild`).
"""

import hashlib
import json
from pathlib import Path

import dagster as dg

from .release import RELEASE
from .resources import StancewireSettings, batch_name
from .stages import BATCHES, FULL_REBUILD_TAG, INPUT_DIR_TAG, WAREHOUSE_ASSETS

# The warehouse a run wrote (the UI's asset pages show the latest materialisation, whichever
# warehouse a run was given): `stancewire run` and the sensor tag their runs with it.
WAREHOUSE_TAG = "stancewire/warehouse"

process_batch = dg.define_asset_job(
    "process_batch",
    selection=dg.AssetSelection.all(),
    description="Ingest, clean and parse one batch, load the warehouse, code stances, validate and publish.",
)

rebuild_release = dg.define_asset_job(
    "rebuild_release",
    selection=dg.AssetSelection.assets(*WAREHOUSE_ASSETS) | dg.AssetSelection.assets(RELEASE),
    description="Reload every processed batch from staging, re-code the stances that need it (stored "
    "parses), validate every row and publish.",
    tags={FULL_REBUILD_TAG: "true"},
)

release_schedule = dg.ScheduleDefinition(
    name="nightly_release",
    job=rebuild_release,
    cron_schedule="0 3 * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Rebuild the release every night at 03:00 (e.g. after codebook edits). Off until switched on.",
)


def drop_fingerprint(folder: Path, recursive: bool = True) -> str:
    """Changes when a file in the drop is added, removed, resized or rewritten."""
    h = hashlib.sha256()
    files = folder.rglob("*") if recursive else folder.iterdir()
    for path in sorted(p for p in files if p.is_file() and not p.name.startswith(".")):
        st = path.stat()
        h.update(f"{path.relative_to(folder).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def inbox_drops(inbox: Path) -> dict[str, tuple[Path, str]]:
    """{batch id: (folder, fingerprint)} of the drops in the inbox."""
    drops = {}
    if not inbox.is_dir():
        return drops
    for sub in sorted(p for p in inbox.iterdir() if p.is_dir() and not p.name.startswith(".")):
        drops[batch_name(sub.name)] = (sub, drop_fingerprint(sub))
    if any(p.is_file() and not p.name.startswith(".") for p in inbox.iterdir()):
        drops["inbox"] = (inbox, drop_fingerprint(inbox, recursive=False))
    return drops


def settle(cursor: str | None, drops: dict[str, tuple[Path, str]]) -> tuple[dict, dict]:
    """(drops to run now, the next cursor). A drop new or changed since its last run is run
    when its fingerprint is the one the previous evaluation saw (its files stayed the same
    for one interval); else it waits as `pending`. The cursor is {"launched": {batch: fp},
    "pending": {batch: fp}}; a cursor of an earlier version ({batch: fp}) is `launched`."""
    state = json.loads(cursor) if cursor else {}
    if not isinstance(state.get("launched"), dict):
        state = {"launched": state, "pending": {}}
    launched, pending = state["launched"], state.get("pending", {})
    changed = {b: v for b, v in drops.items() if launched.get(b) != v[1]}
    ready = {b: v for b, v in changed.items() if pending.get(b) == v[1]}
    return ready, {
        "launched": {**launched, **{b: fp for b, (_, fp) in ready.items()}},
        "pending": {b: fp for b, (_, fp) in changed.items() if b not in ready},
    }


@dg.sensor(
    job=process_batch,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches the inbox folder; each new or changed drop becomes a batch partition and a run once "
    "its files have stayed the same for one evaluation (30 s).",
)
def inbox_sensor(context: dg.SensorEvaluationContext, settings: StancewireSettings):
    new, cursor = settle(context.cursor, inbox_drops(Path(settings.inbox_dir)))
    context.update_cursor(json.dumps(cursor, sort_keys=True))
    if not new:
        waiting = sorted(cursor["pending"])
        return dg.SkipReason(
            f"new or changed drops in {settings.inbox_dir}, run once their files stay the same until the next "
            f"evaluation: {', '.join(waiting)}"
            if waiting
            else f"no new or changed drop in {settings.inbox_dir}"
            if Path(settings.inbox_dir).is_dir()
            else f"the inbox {Path(settings.inbox_dir).resolve()} does not exist: make it, or set STANCEWIRE_INBOX"
        )
    known = set(context.instance.get_dynamic_partitions(BATCHES.name))
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"{b}:{fp}",
                partition_key=b,
                tags={INPUT_DIR_TAG: str(folder.resolve()), WAREHOUSE_TAG: str(Path(settings.warehouse).resolve())},
            )
            for b, (folder, fp) in new.items()
        ],
        dynamic_partitions_requests=[BATCHES.build_add_request(sorted(set(new) - known))] if set(new) - known else [],
    )

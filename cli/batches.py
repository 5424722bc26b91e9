"""`stancewire batch list` and `stancewire batch remove NAME`: the batches staged for a
warehouse, and taking one out (a folder run by mistake, a drop withdrawn).

Removing moves the batch's staged files aside, into `<staging>/removed/`, and takes its
partition out of the Dagster instance; the warehouse is not touched until the next run or
`stancewire rebuild`, which rebuilds the tables from the batches left (a batch gone from
staging means a rebuild: pipeline/steps/load.py), so the next release no longer holds its
articles. Moving the folder back undoes it. Releases already published keep them: they
never change.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path


def add_parser(sub) -> None:
    b = sub.add_parser("batch", help="the batches staged for a warehouse: list them, take one out")
    b_sub = b.add_subparsers(dest="batch_command", required=True)
    ls = b_sub.add_parser("list", help="each staged batch: the folder it came from, its articles in the warehouse")
    rm = b_sub.add_parser(
        "remove",
        help="take a batch out of staging (moved aside, not deleted): the next run or rebuild removes its "
        "articles from the warehouse and the next release",
    )
    rm.add_argument("name", help="the batch (as `batch list` shows it)")
    for p in (ls, rm):
        p.add_argument("--warehouse", metavar="PATH", help="DuckDB file (default: data/warehouse.duckdb)")
        p.add_argument(
            "--dagster-home", metavar="DIR", help="Dagster instance folder (default: $DAGSTER_HOME, else data/dagster)"
        )


def main(args) -> int:
    from cli.common import fail
    from pipeline import settings

    values = settings.resolve(warehouse=args.warehouse)
    staging = settings.staging_for(values)
    warehouse = Path(values["warehouse"])
    if args.batch_command == "list":
        return _list(staging, warehouse)
    name = args.name
    try:
        folder = staging.batch_dir(name)
    except ValueError as e:
        return fail(str(e))
    if not folder.is_dir():
        staged = ", ".join(staging.batches()) or "none"
        return fail(f"no batch {name!r} is staged for {warehouse} (staged: {staged})")
    return _remove(staging, warehouse, name, folder, args.dagster_home)


def _articles_by_batch(warehouse: Path) -> dict[str, int] | None:
    """Articles per loaded batch, or None when the warehouse cannot be read now."""
    from cli.common import peek_warehouse

    return peek_warehouse(
        warehouse, lambda conn: dict(conn.execute("SELECT batch_id, count(*) FROM articles GROUP BY 1").fetchall())
    )


def _list(staging, warehouse: Path) -> int:
    batches = staging.batches()
    if not batches:
        print(f"no batch staged for {warehouse} (in {staging.root})")
        return 0
    articles = _articles_by_batch(warehouse)
    for name in batches:
        loaded = "" if articles is None else f"{articles.get(name, 0)} articles in the warehouse; "
        print(f"{name}: {loaded}from {staging.source_folder(name) or '(folder not recorded)'}")
    return 0


def _remove(staging, warehouse: Path, name: str, folder: Path, dagster_home: str | None) -> int:
    from filelock import Timeout

    from cli.common import fail
    from pipeline.storage.warehouse import Warehouse, WarehouseBusy

    articles = (_articles_by_batch(warehouse) or {}).get(name, 0)
    lock = staging.lock(name)
    try:
        with Warehouse(warehouse).hold(wait=False):
            lock.acquire(timeout=0)  # a run staging it now (from the UI or the sensor): not waited for
            try:
                aside = staging.root / "removed" / f"{name}-{dt.datetime.now().strftime('%Y%m%dT%H%M%S')}"
                aside.parent.mkdir(parents=True, exist_ok=True)
                os.replace(folder, aside)
            finally:
                lock.release()
    except WarehouseBusy as e:
        return fail(f"{e}: remove the batch once that run is over", 4)
    except Timeout:
        return fail(f"batch {name} is being staged by a run now: remove it once that run is over", 4)
    except OSError as e:
        return fail(f"could not move {folder} aside: {e}")
    try:
        _forget_partition(name, dagster_home)
    except Exception as e:  # the batch is out of staging all the same; the partition only shows in the UI
        print(f"stancewire: warning: the Dagster partition {name} was not removed ({e})", file=sys.stderr)
    print(
        f"batch {name} taken out of staging (moved to {aside}; move it back to undo: the next run of its folder "
        f"adds its partition again). The next `stancewire run` or `stancewire rebuild` on {warehouse} removes "
        f"its {articles} article(s) from the warehouse and from the next release; published releases keep them. "
        f"{aside.parent} is never emptied by stancewire: delete what you no longer need."
    )
    return 0


def _forget_partition(name: str, dagster_home: str | None) -> None:
    """The batch's partition out of the Dagster instance, when there is one."""
    from cli.common import dagster_home as home_of

    home = home_of(dagster_home)
    if not (home / "dagster.yaml").is_file():
        return
    os.environ["DAGSTER_HOME"] = str(home)
    import dagster as dg

    from assets.stages import BATCHES

    with dg.DagsterInstance.get() as instance:
        if instance.has_dynamic_partition(BATCHES.name, name):
            instance.delete_dynamic_partition(BATCHES.name, name)

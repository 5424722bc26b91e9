"""`stancewire batch list`, `batch remove NAME` and `batch restore NAME`: the batches staged
for a warehouse, taking one out (a folder run by mistake, a drop withdrawn) and putting it
back.

Removing moves the batch's staged files aside, into `<staging>/removed/`, and takes its
partition out of the Dagster instance; the warehouse is not touched until the next run or
`stancewire rebuild`, which rebuilds the tables from the batches left (a batch gone from
staging means a rebuild: pipeline/steps/load.py), so the next release no longer holds its
articles. `batch restore` moves the batch's latest removed folder back under its name (the
rows it staged carry that name), and the next run or rebuild loads it again. Releases
already published keep the articles either way: they never change.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from pathlib import Path


def add_parser(sub) -> None:
    b = sub.add_parser("batch", help="the batches staged for a warehouse: list them, take one out, put it back")
    b_sub = b.add_subparsers(dest="batch_command", required=True)
    ls = b_sub.add_parser("list", help="each staged batch: the folder it came from, its articles in the warehouse")
    rm = b_sub.add_parser(
        "remove",
        help="take a batch out of staging (moved aside, not deleted): the next run or rebuild removes its "
        "articles from the warehouse and the next release",
    )
    rm.add_argument("name", help="the batch (as `batch list` shows it)")
    rs = b_sub.add_parser(
        "restore",
        help="put back the batch `batch remove` took out last (from removed/ of the staging folder): the next "
        "run or rebuild adds its articles again",
    )
    rs.add_argument("name", help="the batch, as it was named when removed")
    for p in (ls, rm, rs):
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
    if args.batch_command == "restore":
        return _restore(staging, warehouse, name, folder, args.dagster_home)
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
    articles = (_articles_by_batch(warehouse) or {}).get(name, 0)
    aside = staging.root / "removed" / f"{name}-{dt.datetime.now().strftime('%Y%m%dT%H%M%S')}"
    if (failed := _move_batch(staging, warehouse, name, folder, aside, "remove")) is not None:
        return failed
    try:
        _forget_partition(name, dagster_home)
    except Exception as e:  # the batch is out of staging all the same; the partition only shows in the UI
        print(f"stancewire: warning: the Dagster partition {name} was not removed ({e})", file=sys.stderr)
    print(
        f"batch {name} taken out of staging (moved to {aside}; `stancewire batch restore {name}` undoes it). "
        f"The next `stancewire run` or `stancewire rebuild` on {warehouse} removes "
        f"its {articles} article(s) from the warehouse and from the next release; published releases keep them. "
        f"{aside.parent} is never emptied by stancewire: delete what you no longer need."
    )
    return 0


def _move_batch(staging, warehouse: Path, name: str, source: Path, target: Path, verb: str) -> int | None:
    """Move a batch's staged folder (`batch remove`, `batch restore`) while no run holds the
    warehouse or stages the batch; the exit code of a refusal, None once moved."""
    from filelock import Timeout

    from cli.common import fail
    from pipeline.storage.warehouse import Warehouse, WarehouseBusy

    lock = staging.lock(name)
    try:
        with Warehouse(warehouse).hold(wait=False):
            lock.acquire(timeout=0)  # a run staging it now (from the UI or the sensor): not waited for
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
            finally:
                lock.release()
    except WarehouseBusy as e:
        return fail(f"{e}: {verb} the batch once that run is over", 4)
    except Timeout:
        return fail(f"batch {name} is being staged by a run now: {verb} it once that run is over", 4)
    except OSError as e:
        return fail(f"could not move {source} to {target}: {e}")
    return None


def removed_folders(staging, name: str) -> list[Path]:
    """The folders `batch remove` moved batch `name` to, oldest first (their names end in
    the time of the removal, `<name>-YYYYmmddTHHMMSS`)."""
    base = staging.root / "removed"
    if not base.is_dir():
        return []
    stamped = re.compile(re.escape(name) + r"-\d{8}T\d{6}")
    return sorted(p for p in base.iterdir() if p.is_dir() and stamped.fullmatch(p.name))


def _restore(staging, warehouse: Path, name: str, folder: Path, dagster_home: str | None) -> int:
    from cli.common import fail
    from pipeline.storage.staging import BATCH_MANIFEST

    removed = removed_folders(staging, name)
    if not removed:
        return fail(f"no removed batch {name!r} in {staging.root / 'removed'} (`batch remove` puts batches there)")
    aside = removed[-1]
    if not (aside / BATCH_MANIFEST).is_file():  # moved aside while incomplete cannot happen; edited by hand can
        return fail(f"{aside} holds no complete batch (its {BATCH_MANIFEST} is missing): not restored")
    if folder.exists():
        return fail(
            f"batch {name} is staged again (a run of its folder staged it after the removal): {aside} was not "
            f"restored, and stays where it is"
        )
    if (failed := _move_batch(staging, warehouse, name, aside, folder, "restore")) is not None:
        return failed
    try:
        _add_partition(name, dagster_home)
    except Exception as e:  # the batch is staged all the same; the partition only shows in the UI
        print(f"stancewire: warning: the Dagster partition {name} was not added ({e})", file=sys.stderr)
    older = f" ({len(removed) - 1} earlier removal(s) of {name} stay in {aside.parent})" if len(removed) > 1 else ""
    print(
        f"batch {name} restored from {aside}{older}. The next `stancewire run` or `stancewire rebuild` on "
        f"{warehouse} adds its articles back to the warehouse and to the next release, as the newest batch (a "
        f"text or id it shares with a batch loaded since its removal stays that batch's)."
    )
    return 0


def _instance_home(dagster_home: str | None) -> Path | None:
    """The Dagster instance folder, made the process's DAGSTER_HOME; None when it holds no instance."""
    from cli.common import dagster_home as home_of

    home = home_of(dagster_home)
    if not (home / "dagster.yaml").is_file():
        return None
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _add_partition(name: str, dagster_home: str | None) -> None:
    """The batch's partition back into the Dagster instance, when there is one."""
    if _instance_home(dagster_home) is None:
        return
    import dagster as dg

    from assets.stages import ensure_partitions

    with dg.DagsterInstance.get() as instance:
        ensure_partitions(instance, [name])


def _forget_partition(name: str, dagster_home: str | None) -> None:
    """The batch's partition out of the Dagster instance, when there is one."""
    if _instance_home(dagster_home) is None:
        return
    import dagster as dg

    from assets.stages import BATCHES

    with dg.DagsterInstance.get() as instance:
        if instance.has_dynamic_partition(BATCHES.name, name):
            instance.delete_dynamic_partition(BATCHES.name, name)

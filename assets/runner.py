"""How `stancewire run` and the evaluation run the pipeline: the batch's partition and
everything downstream, with checks, executed in this process through Dagster, and what the
outcome says (summary, failure report, exit code).

`cli.main` resolves settings and starts the run's worker processes before it imports this
module (and Dagster with it); `cli.evaluate` runs a subset of the assets.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
from pathlib import Path

from pipeline.settings import DEFAULT_DAGSTER_HOME

# 4: the warehouse stayed busy for the whole wait (`--wait`): another run held it, or another
# process (a reader's session) held DuckDB's lock on the file; nothing of the batch was loaded.
EXIT_FAILED, EXIT_USAGE, EXIT_ALL_REJECTED, EXIT_BUSY = 1, 2, 3, 4
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report a process SIGINT ended
SUMMARY_WAIT_S = 10.0  # the summary's wait for a warehouse opened elsewhere since the run


class RunOutcome:
    """How a run ended: `summary` (stdout), and for a failure `reason` (one line), `details`
    (what failed, a few lines) and the Dagster run id of the full log."""

    def __init__(
        self,
        ok: bool,
        reason: str,
        summary: str,
        release: dict | None,
        result,
        details=(),
        all_rejected: bool = False,
        busy: bool = False,
        interrupted: bool = False,
    ):
        self.ok, self.reason, self.summary, self.release, self.result = ok, reason, summary, release, result
        self.details, self.all_rejected, self.busy = list(details), all_rejected, busy
        self.interrupted = interrupted  # Ctrl-C (or SIGTERM, which Dagster handles alike) stopped the run

    @property
    def message(self) -> str:
        """The reason and what failed, as the terminal shows them (without the log's place)."""
        return "\n".join([self.reason, *self.details])

    @property
    def run_id(self) -> str | None:
        return getattr(self.result, "run_id", None)

    @property
    def exit_code(self) -> int:
        if self.busy:
            return EXIT_BUSY
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.result is not None and _failed_with(self.result, USAGE_ERRORS):
            return EXIT_USAGE
        return EXIT_ALL_REJECTED if self.all_rejected else (0 if self.ok else EXIT_FAILED)

    def report(self) -> list[str]:
        """What the terminal shows beside the summary: nothing for a good run; else the
        reason, what failed, and where the full log is (one screen, no stack trace)."""
        if self.ok and not self.all_rejected:
            return []
        lines = [f"stancewire: {self.reason}", *self.details]
        if self.run_id and not self.busy:  # busy: the one line says it all (which file, which process)
            # the instance named in full, so that the command works from any folder
            home = Path(os.environ.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).resolve()
            lines.append(
                f"full log: stancewire logs {self.run_id[:8]} --dagster-home {shlex.quote(str(home))}  "
                f"(Dagster run {self.run_id}; "
                f"or run again with --verbose)"
            )
        return lines


def run_pipeline(
    settings,
    instance=None,
    asset_selection: list[str] | None = None,
    verbose: bool = False,
    rebuild: bool = False,
    before_run=None,
) -> RunOutcome:
    """Materialise the batch (a partition) and everything downstream, with checks, in this
    process; explain the outcome. `asset_selection` limits the run (evaluation); `verbose`
    prints Dagster's log as the run goes (else only what the outcome reports); `rebuild`
    runs the rebuild_release job instead (no batch: every staged batch reloaded, every row
    validated); `before_run()`, when given, is called first, before the warehouse is waited
    for: what it raises ends the call with nothing run.

    The run holds the warehouse lock from its first step to its summary: a second run on
    the same warehouse waits (settings.lock_timeout_s), then fails naming the file; two
    runs never interleave their staging files, loads, stance coding or releases. A process
    holding DuckDB's lock on the file (a reader's session) is waited for the same way, before
    the run starts and wherever a step opens the file (`warehouse.connect_file`)."""
    from pipeline.storage.warehouse import Warehouse, WarehouseBusy

    if before_run is not None:  # a setting that stops the run is named before any wait for the warehouse
        before_run()
    warehouse = Warehouse(settings.warehouse, lock_timeout_s=settings.lock_timeout_s)
    try:
        with warehouse.hold():
            warehouse.wait_until_free()
            return _run_pipeline(settings, instance, asset_selection, verbose, rebuild)
    except WarehouseBusy as e:
        return RunOutcome(False, str(e), "nothing was run: the warehouse is busy", None, None, busy=True)


# Tags naming the process that runs a `stancewire run` (Dagster keeps a run "STARTED" when
# that process is killed: see `close_orphaned_runs`).
PID_TAG = "stancewire/pid"
HOST_TAG = "stancewire/host"
BOOT_TAG = "stancewire/boot_id"  # Linux: the kernel's boot id (a reboot ends every run)
PIDNS_TAG = "stancewire/pid_namespace"  # Linux: a container's pids are not the host's
START_TAG = "stancewire/process_start"  # Linux: the process's start time (a pid number is reused)


def process_tags() -> dict[str, str]:
    """The tags that identify this process (`close_orphaned_runs`)."""
    import socket

    tags = {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
    for tag, value in ((BOOT_TAG, _boot_id()), (PIDNS_TAG, _pid_namespace()), (START_TAG, _start_time(os.getpid()))):
        if value:
            tags[tag] = value
    return tags


def close_orphaned_runs(instance) -> list[str]:
    """Mark failed the runs of `stancewire run` on this machine whose process is gone (killed
    by SIGKILL or the out-of-memory killer, the machine restarted): Dagster would keep them
    STARTED for good, and with ten of them its run queue launches nothing from the UI or the
    sensor. A run is gone when the machine has booted since, or when its process id, in this
    process's pid namespace, is free or taken by a process started later; where that cannot
    be told (another container's run, a system without /proc: only the pid is checked
    there, on POSIX), it is left alone. Returns their run ids."""
    import logging
    import socket

    from dagster import DagsterRunStatus, RunsFilter

    if os.name != "posix":  # os.kill(pid, 0) is no liveness test elsewhere
        return []
    host, closed = socket.gethostname(), []
    me = process_tags()
    runs = instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.STARTED], tags={HOST_TAG: host}))
    for run in runs:
        tags = run.tags
        try:
            pid = int(tags.get(PID_TAG, ""))
        except ValueError:
            continue
        if pid == os.getpid():
            continue
        if tags.get(BOOT_TAG) and me.get(BOOT_TAG) and tags[BOOT_TAG] != me[BOOT_TAG]:
            why = "the machine has restarted since"
        elif tags.get(PIDNS_TAG) != me.get(PIDNS_TAG):
            continue  # another container's process ids: its run cannot be told from here
        elif not _alive(pid):
            why = "its process is gone"
        elif tags.get(START_TAG) and _start_time(pid) != tags[START_TAG]:
            why = "its process is gone (its process id is another process's now)"
        else:
            continue
        instance.report_run_failed(run, f"the stancewire process that ran it (pid {pid} on {host}): {why}")
        closed.append(run.run_id)
    if closed:
        logging.getLogger(__name__).info("marked %d run(s) failed whose process is gone: %s", len(closed), closed)
    return closed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process of that number
        return True
    return True


def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def _pid_namespace() -> str | None:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc/PID/stat, field 22)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _run_pipeline(
    settings, instance=None, asset_selection: list[str] | None = None, verbose: bool = False, rebuild: bool = False
) -> RunOutcome:
    import dagster as dg

    from assets.automation import WAREHOUSE_TAG
    from assets.definitions import build_definitions
    from assets.stages import INPUT_DIR_TAG, ensure_partitions
    from pipeline.storage.warehouse import Warehouse, WarehouseBusy

    defs = build_definitions(settings)
    job = defs.resolve_job_def("rebuild_release" if rebuild else "process_batch")
    batch = None if rebuild else settings.resolved_batch_id
    own_instance = instance is None
    instance = instance or dg.DagsterInstance.get()
    try:
        if batch is not None:
            ensure_partitions(instance, [batch])
        close_orphaned_runs(instance)
        with _log_tails_ignore_interrupts(), _signals_received() as signals:
            result = job.execute_in_process(
                instance=instance,
                raise_on_error=False,
                partition_key=batch,
                tags={
                    **process_tags(),
                    WAREHOUSE_TAG: str(Path(settings.warehouse).resolve()),
                    **({} if rebuild else {INPUT_DIR_TAG: str(settings.input_path.resolve())}),
                },
                asset_selection=[dg.AssetKey(a) for a in asset_selection] if asset_selection else None,
                run_config={"loggers": {"console": {"config": {"log_level": "INFO" if verbose else "CRITICAL"}}}},
            )
    finally:
        if own_instance:
            instance.dispose()
    failed_checks = [
        e for e in result.get_asset_check_evaluations() if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    release = None
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        if mat.asset_key.to_user_string() == "dataset_release":
            release = {k: v.value for k, v in mat.metadata.items()}
    # The summary reads the warehouse after the run: a session opened on it since is waited
    # for briefly, and then the counts are left out, never the run's outcome with them.
    wh = Warehouse(settings.warehouse, lock_timeout_s=min(settings.lock_timeout_s, SUMMARY_WAIT_S))
    loaded_now = any(
        e.materialization.asset_key.to_user_string() == "rejected_articles"
        for e in result.get_asset_materialization_events()
    )
    busy = _busy_steps(result)
    if busy:  # the warehouse stayed open elsewhere: not read again for the summary (it would wait again)
        what = f"batch {batch}" if batch is not None else "the rebuild"
        summary = (
            f"{what}: loaded, then stopped: the warehouse stayed busy; nothing was published"
            if loaded_now
            else f"{what}: not loaded, the warehouse stayed busy (nothing of this run is in it)"
        )
        return RunOutcome(False, busy[0], summary, None, result, busy=True)
    try:
        summary = _summary(wh, batch, release, loaded_now, _staged_fingerprint(settings, batch))
        rejected = _all_rejected(wh, batch) if loaded_now and batch is not None else []  # this run's load only
    except WarehouseBusy as e:
        what = f"batch {batch}" if batch is not None else "the rebuild"
        summary = f"{what}: {'loaded' if loaded_now else 'not loaded'}; counts not read ({e})"
        summary += "".join(f"\n{line}" for line in _release_lines(release))
        rejected = []
    published = _published_line(settings)
    signalled = bool(signals & {signal.SIGINT, signal.SIGTERM})
    if not result.success and (signalled or _interrupted(result)):  # whatever else failed: the run did not finish
        outcome = RunOutcome(False, INTERRUPTED_MESSAGE, summary, None, result, [f"  {published}"], interrupted=True)
    elif failed_checks:
        details = [line for e in failed_checks for line in _check_failure_lines(e)]
        outcome = RunOutcome(
            False, "release blocked: a blocking expectation failed", summary, None, result, [*details, f"  {published}"]
        )
    elif not result.success:
        outcome = RunOutcome(
            False, "; ".join(_step_errors(result)) or "the run failed", summary, None, result, [f"  {published}"]
        )
    else:
        outcome = RunOutcome(True, "", summary, release, result)
    if rejected:
        counts = ", ".join(f"{reason} {n}" for reason, n in rejected)
        outcome.all_rejected = True
        # the rejections are data too (nothing is lost): a version that adds only them is published
        release_line = (
            [f"  {release['version']} was published all the same: its rejected_articles holds these records"]
            if outcome.ok and release and release.get("new_version")
            else []
        )
        outcome.details = [
            f"  every record of batch {batch} was rejected ({counts}): no article was added; "
            f"the records and their reasons are in the table rejected_articles",
            *release_line,
            *([f"  {outcome.reason}"] if outcome.reason else []),
            *outcome.details,
        ]
        outcome.reason = f"batch {batch}: all {sum(n for _, n in rejected)} input records were rejected"
    return outcome


# Step errors that are the user's input or arguments (exit 2, as a bad argument): a folder
# named like another folder's batch (`per_batch.BatchFolderConflict`).
USAGE_ERRORS = ("BatchFolderConflict",)
INTERRUPTED = ("DagsterExecutionInterruptedError",)  # how Dagster reports a run stopped by Ctrl-C
INTERRUPTED_MESSAGE = "interrupted (Ctrl-C or SIGTERM)"
DUCKDB_INTERRUPTED = "Query interrupted"  # DuckDB's error when a signal stops its query


@contextlib.contextmanager
def _signals_received():
    """The signals Python received in the block (a set, filled when it ends), whichever
    handler took them: Dagster's own handler turns SIGINT into an exception wherever the
    run's code is, and code it lands in (a library's callback) may report it as an error
    of its own. `signal.set_wakeup_fd` writes each signal's number to a pipe read here.
    Outside the main thread, or where it cannot be set, the set stays empty."""
    import threading

    seen: set[int] = set()
    if threading.current_thread() is not threading.main_thread():
        yield seen
        return
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)
    try:
        previous = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    except (ValueError, OSError):
        os.close(read_end)
        os.close(write_end)
        yield seen
        return
    try:
        yield seen
    finally:
        signal.set_wakeup_fd(previous)
        with contextlib.suppress(BlockingIOError):
            seen.update(os.read(read_end, 4096))
        os.close(read_end)
        os.close(write_end)


@contextlib.contextmanager
def _log_tails_ignore_interrupts():
    """Dagster mirrors a run's captured output to the terminal with `tail` and a watcher
    script it starts (`dagster._core.execution.compute_logs.execute_posix_tail`). They are
    in the terminal's process group, so Ctrl-C reached them too, and each watcher printed a
    KeyboardInterrupt traceback. Here they start with SIGINT ignored (kept across exec);
    Dagster stops them when the run ends, and the watcher stops the tail if the run dies.
    A Ctrl-C during the few milliseconds of their start is lost. With a Dagster that has no
    such function, nothing is changed."""
    import threading

    try:
        from dagster._core.execution import compute_logs

        start_tail = compute_logs.execute_posix_tail
    except (ImportError, AttributeError):
        yield
        return
    if threading.current_thread() is not threading.main_thread():  # signals are set in the main thread only
        yield
        return

    @contextlib.contextmanager
    def quiet_tail(path, stream):
        with contextlib.ExitStack() as stack:
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                pids = stack.enter_context(start_tail(path, stream))
            finally:
                signal.signal(signal.SIGINT, previous)
            yield pids

    compute_logs.execute_posix_tail = quiet_tail
    try:
        yield
    finally:
        compute_logs.execute_posix_tail = start_tail


def _step_errors_of(result, class_names: tuple[str, ...]) -> list:
    """The errors of failed steps that are (or were caused by) one of these exception
    classes, one per step: the first in its chain of causes."""
    found = []
    for event in getattr(result, "all_events", ()):
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            err = event.step_failure_data.error
            while err is not None and err.cls_name not in class_names:
                err = err.cause
            if err is not None:
                found.append(err)
    return found


def _failed_with(result, class_names: tuple[str, ...]) -> bool:
    """Whether a step of the run failed with one of these exception classes (or caused by one)."""
    return bool(_step_errors_of(result, class_names))


def _interrupted(result) -> bool:
    """Whether a signal stopped the run: a step failed as interrupted (Dagster's
    `ErrorSource.INTERRUPT`) or with DuckDB's interrupted query (DuckDB takes the signal
    itself while a query runs, and Dagster then sees only the query's error), or the run
    itself failed with Dagster's interruption."""
    for event in getattr(result, "all_events", ()):
        data = event.step_failure_data if event.is_step_failure else None
        if data is not None and getattr(data.error_source, "value", None) == "INTERRUPT":
            return True
        err = data.error if data is not None else None
        while err is not None:
            if err.message.strip().endswith(DUCKDB_INTERRUPTED):
                return True
            err = err.cause
        if event.is_run_failure:
            err = getattr(event.event_specific_data, "error", None)
            while err is not None and err.cls_name not in INTERRUPTED:
                err = err.cause
            if err is not None:
                return True
    return False


def _busy_steps(result) -> list[str]:
    """The messages of steps that stopped because the warehouse stayed busy (WarehouseBusy)."""
    return [
        re.sub(r"^[\w.]+: ", "", err.message.strip().splitlines()[0])
        for err in _step_errors_of(result, ("WarehouseBusy",))
    ]


DETAIL_LINES = 5  # lines shown of an error that lists its problems after a colon


def _step_errors(result) -> list[str]:
    """One line per failed step: its error's innermost message (or the Failure's description);
    for a message that ends its first line with a colon, the lines it lists too (at most
    DETAIL_LINES)."""
    errors = []
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            err = data.error if data else None
            # the innermost cause, short of the traceback text a worker process's error carries
            while err is not None and err.cause is not None and err.cause.cls_name != "_RemoteTraceback":
                err = err.cause
            lines = err.message.strip().splitlines() if err else ["failed"]
            msg = lines[0]
            if msg.endswith(":") and len(lines) > 1:  # "FILE: 2 problem(s), nothing applied:" and the problems
                shown = [line.strip() for line in lines[1 : 1 + DETAIL_LINES] if line.strip()]
                more = len([line for line in lines[1 + DETAIL_LINES :] if line.strip()])
                msg += "".join(f"\n    {line}" for line in shown) + (f"\n    ... and {more} more" if more else "")
            msg = re.sub(r"^(pipeline|assets|expectations)\.[\w.]+: ", "", msg)  # our own errors say enough
            msg = re.sub(r"^concurrent\.futures\.process\.", "", msg)  # BrokenProcessPool: ...
            if data and data.user_failure_data and data.user_failure_data.description:
                msg = data.user_failure_data.description
            errors.append(f"step {event.step_key}: {msg}")
    return errors


def _check_failure_lines(evaluation, limit: int = 3) -> list[str]:
    """A line per failed blocking expectation of a table's check: which expectation, on
    which column, how many rows, and a sample of their keys (or values)."""
    table = evaluation.asset_key.to_user_string()
    failures = evaluation.metadata.get("failures")
    items = [f for f in (failures.value if failures is not None else []) if f.get("blocking")]
    if not items:
        return [f"  {table}: {evaluation.description or 'failed'}"]
    lines = []
    for f in items[:limit]:
        details = f.get("details") or {}
        what = f["expectation"] + (f" on {f['column']}" if f.get("column") else "")
        expected = ", ".join(f"{k}={v!r}" for k, v in (details.get("expected") or {}).items())
        n = f.get("unexpected_count")
        found = [f"{n} row{'s' if n != 1 else ''} affected"] if n else []
        if details.get("sample_keys"):
            found.append(
                "keys " + "; ".join(", ".join(f"{k}={v}" for k, v in key.items()) for key in details["sample_keys"][:3])
            )
        elif details.get("partial_unexpected_list"):
            found.append("values " + ", ".join(repr(v) for v in details["partial_unexpected_list"][:3]))
        if "observed_value" in details:
            found.append(f"observed {details['observed_value']!r}")
        lines.append(
            _shorten(
                f"  {table}: {what}"
                + (f" (expected {expected})" if expected else "")
                + ": "
                + ("; ".join(found) or "failed")
            )
        )
    if len(items) > limit:
        lines.append(f"  {table}: {len(items) - limit} more failed expectation(s)")
    return lines


def _shorten(line: str, width: int = 240) -> str:
    return line if len(line) <= width else line[: width - 3] + "..."


def _published_line(settings) -> str:
    """Whether anything was published: a failed run publishes nothing."""
    from pipeline.release.versions import current_version

    current = current_version(Path(settings.releases_dir)) if Path(settings.releases_dir).is_dir() else None
    return "nothing was published" + (f" ({current} stays current)" if current else "")


def _all_rejected(warehouse, batch_id: str) -> list[tuple[str, int]]:
    """The rejection reasons and counts when the batch had records and every one was
    rejected (no article, no duplicate); else []."""
    if not warehouse.path.exists():
        return []
    with warehouse.connect(read_only=True) as conn:
        if not conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'rejected_articles'"
        ).fetchone()[0]:
            return []
        rejected = conn.execute(
            "SELECT reason, count(*) FROM rejected_articles WHERE batch_id = ? "
            "GROUP BY reason ORDER BY count(*) DESC, reason",
            [batch_id],
        ).fetchall()
        kept = conn.execute(
            "SELECT (SELECT count(*) FROM articles WHERE batch_id = ?) + "
            "(SELECT count(*) FROM duplicate_articles WHERE batch_id = ?)",
            [batch_id, batch_id],
        ).fetchone()[0]
    return rejected if rejected and not kept else []


def _staged_fingerprint(settings, batch: str | None) -> str | None:
    """The staged batch's NLP fingerprint (what loaded_batches records when it is loaded)."""
    if batch is None:
        return None
    try:
        return (settings.staging.read_manifest(batch) or {}).get("nlp_fp")
    except (OSError, ValueError):
        return None


def _summary(
    warehouse, batch_id: str | None, release: dict | None, loaded: bool = True, staged_fp: str | None = None
) -> str:
    """What the run did (the batch's counts, only when the warehouse holds the batch as it is
    staged now: loaded by this run, or, when the run stopped before it could say so, with
    the staged fingerprint `staged_fp`) and what the warehouse holds now."""
    from pipeline.schema import READ_THEN_REJECTED

    if not warehouse.path.exists():
        return "no warehouse was written"
    with warehouse.connect(read_only=True) as conn:
        if not conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'raw_articles'"
        ).fetchone()[0]:
            return "the warehouse holds no tables yet"
        raw = conn.execute("SELECT count(*) FROM raw_articles WHERE batch_id = ?", [batch_id]).fetchone()[0]
        rejected = conn.execute(
            "SELECT reason, count(*) FROM rejected_articles WHERE batch_id = ? GROUP BY reason ORDER BY reason",
            [batch_id],
        ).fetchall()
        new = conn.execute("SELECT count(*) FROM articles WHERE batch_id = ?", [batch_id]).fetchone()[0]
        dups = conn.execute("SELECT count(*) FROM duplicate_articles WHERE batch_id = ?", [batch_id]).fetchone()[0]
        totals = {
            t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            for t in ("articles", "quotes", "stances", "actors")
        }
        orphaned = conn.execute("SELECT count(*) FROM review_verdicts WHERE status = 'orphaned'").fetchone()[0]
        held = False
        if not loaded and staged_fp and batch_id is not None:  # stopped (Ctrl-C) between the load and its events
            loaded = held = bool(
                conn.execute(
                    "SELECT count(*) FROM loaded_batches WHERE batch_id = ? AND fingerprint = ?", [batch_id, staged_fp]
                ).fetchone()[0]
            )
    n_rej = sum(n for _, n in rejected)
    reasons = ", ".join(f"{r} {n}" for r, n in rejected)
    # a record rejected after it was read (id conflict, language) is in raw_articles too: count it once
    read_then_rejected = sum(n for r, n in rejected if r in READ_THEN_REJECTED)
    if not loaded:  # the run stopped before its load (or did not load): no counts of a load that did not happen
        lines = [
            f"batch {batch_id}: not loaded by this run" if batch_id is not None else "the rebuild reloaded nothing"
        ]
    elif batch_id is not None:
        lines = [
            f"batch {batch_id}: {raw + n_rej - read_then_rejected} input records -> {new} articles, "
            f"{n_rej} rejected"
            + (f" ({reasons})" if reasons else "")
            + f", {dups} duplicates"
            + (" (in the warehouse as staged now; the run stopped before it said whether it loaded it)" if held else "")
        ]
    else:
        lines = ["rebuilt from every staged batch; every row checked again by the expectations (outcome below)"]
    lines += [
        f"warehouse {warehouse.path}: {totals['articles']} articles, {totals['quotes']} quotes, "
        f"{totals['stances']} stance statements, {totals['actors']} actors",
    ]
    if orphaned:  # a coder's verdict whose statement an edited or removed article took away
        lines.append(
            f"{orphaned} coder verdict(s) not in force: their statement, article or actor is gone "
            "(an edited article's statements are new ones); `stancewire review report` lists them"
        )
    return "\n".join(lines + _release_lines(release))


def _release_lines(release: dict | None) -> list[str]:
    if release and release.get("version"):
        if release.get("new_version"):
            note = [f"note: {release['other_warehouse']}"] if release.get("other_warehouse") else []
            change = release.get("articles_change") and release.get("previous_version")
            since = f" (articles since {release['previous_version']}: {release['articles_change']})" if change else ""
            return [f"published {release['version']} at {release['path']}{since}", *note]
        return [f"data unchanged: {release['version']} stays current (no new version)"]
    return []

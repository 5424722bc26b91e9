"""Worker processes: the parse step and the stance step hand them chunks of articles (and,
under `stancewire run`, the files step its records to clean).

Each worker loads its config (`Loadable.load`: for stancewire the spaCy model and the
codebooks' target matcher, `pipeline.steps.worker`) once, in its initializer; this module
knows nothing of what is loaded.
A step either uses the run's *shared* pool, which `stancewire run` starts before it imports
Dagster so the model loads while Dagster starts, or starts its own and closes it, or (one
process, little work) does the work in its own process. On Linux the shared pool forks its
workers from a zygote that loaded the config once (`worker_context`); elsewhere it spawns
one worker and adds the others when jobs wait for one, so a small file drop does not spend
a core loading a model it does not need. The run's own process is never forked: it may hold
a DuckDB connection, Dagster's threads and locks.

A *helper* is one more spawned process with a heavy import done at start: `stancewire
run` validates in one (Great Expectations, see `assets.checks`), its warm-up at a lower
priority so that the import does not slow the workers' start or the run's. Work handed to
a helper's `after_first_call` runs in it once the run's first call to it has returned, and
`submit` hands it work the run collects later (the release's figures).
Workers and helpers exit when the run ends or dies, without tearing their interpreter down.
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol


class Loadable(Protocol):
    """What a pool's workers load: any picklable value with equality (two steps share a
    pool when their configs are equal) whose `load()` returns the worker's state. The
    stance pipeline's is `pipeline.steps.worker.WorkerConfig`."""

    def load(self) -> dict: ...


_STATE: dict = {}


def init(config: Loadable) -> None:
    """Load `config` into this process (`state()`), once per process and config."""
    if _STATE.get("config") == config:
        return
    loaded = config.load()
    _STATE.clear()
    _STATE.update(config=config, loaded_by=os.getpid(), **loaded)


def worker_origin(wait: float = 0.0) -> tuple[int, int | None]:
    """(this process's id, the id of the process that loaded its config: the zygote's for a
    forked worker), after `wait` seconds (so that each of a pool's workers takes one call)."""
    import time

    time.sleep(wait)
    return os.getpid(), _STATE.get("loaded_by")


class WorkerLoadError(RuntimeError):
    """A pool worker could not load its config (a damaged spaCy model, say): raised by every
    job that worker takes, with the reason, instead of a broken pool."""


def _worker_init(config: Loadable, parent_pid: int) -> None:
    """A pool worker's initializer: exit when the parent is gone, then load (`init`; nothing
    to do in a worker forked from a zygote that loaded the same config). A load
    that fails is kept for the jobs to raise (`_in_worker`): an initializer that raises
    breaks the whole pool, and the reason reaches the run only as a traceback printed by
    the worker."""
    _watch_parent(parent_pid)
    try:
        init(config)
    except Exception as e:
        _STATE.clear()
        _STATE["load_error"] = WorkerLoadError(f"a worker process could not load: {type(e).__name__}: {e}")


def _in_worker(fn: Callable, *args):
    """fn(*args) in a pool worker, or the worker's load error."""
    if (error := _STATE.get("load_error")) is not None:
        raise error
    return fn(*args)


def _watch_parent(parent_pid: int) -> None:
    """In a worker or helper: leave Ctrl-C to the parent (`ignore_interrupts`), exit when
    the parent is gone, and exit without tearing the interpreter down when told to stop
    (the parent waits for that: unloading spaCy, GX and pandas module by module took a
    second at the end of every run)."""
    import atexit
    import threading

    ignore_interrupts()
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), name="parent-watch", daemon=True).start()
    atexit.register(_exit_now)  # the handlers registered after it (spaCy's, GX's) still run first


def ignore_interrupts() -> None:
    """Ignore SIGINT in this process (and in what it forks or starts from now on). Ctrl-C in
    a terminal reaches every process of the run's process group: the run stops itself and
    reports it in one screen, and its workers exit with it; a worker that took the signal
    too printed a KeyboardInterrupt traceback of its own."""
    import signal

    with contextlib.suppress(ValueError):  # not the main thread: nothing to change
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _exit_now() -> None:
    import sys

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe: exit all the same
            stream.flush()
    os._exit(0)


def _exit_with_parent(parent_pid: int) -> None:
    """A killed `stancewire run` (SIGKILL, OOM) cannot shut its pool down; its workers would
    wait on their task queue for ever, holding the model's memory and the run's output pipes.
    On Linux the run's death is watched through a pidfd (a worker forked by the zygote is not
    the run's child); elsewhere it shows as a new parent id (the worker is re-parented)."""
    import os
    import select
    import time

    try:
        watched = os.pidfd_open(parent_pid)
    except ProcessLookupError:  # gone already
        os._exit(1)
    except (AttributeError, OSError):  # no pidfd (an old kernel, a seccomp filter): poll
        parent = os.getppid()  # the run, or the zygote, which outlives the run only by its workers
        while os.getppid() == parent:
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                break
            except PermissionError:  # alive, another user's: a reused pid, not the run
                break
            time.sleep(0.5)
        os._exit(1)
    select.select([watched], [], [])  # readable once the process has ended
    os._exit(1)


def state() -> dict:
    """What this process's config loaded (after `init`): for stancewire the model, the target
    matcher, the parse cache and the coding fingerprint (`steps.worker`)."""
    return _STATE


# What a broken pool is reported as (a worker that could not load says why: WorkerLoadError).
WORKER_STOPPED = "a worker process stopped (killed, or out of memory?)"


class Pool:
    """Up to `processes` workers initialised with `config`; `started` of them start at once,
    the others when jobs wait for them (so a run with little to parse does not spend a core
    loading a model it never uses).

    On Linux the run's shared pool forks its workers from a zygote (`worker_context`): every
    worker starts at once, the model loaded once for all of them. Forking waits for the
    zygote to load, so the workers are started in a thread of their own: the caller goes on
    (the run imports Dagster meanwhile) and waits only where it needs them."""

    def __init__(
        self,
        config: Loadable,
        processes: int,
        started: int | None = None,
        warm_up: tuple = (int,),
        zygote: bool = False,
    ):
        import threading
        from concurrent.futures import ProcessPoolExecutor

        context = worker_context(config, warm_up) if zygote else None
        self.zygote = context is not None
        if context is None:
            import multiprocessing

            context = multiprocessing.get_context("spawn")
        self.config, self.processes = config, processes
        self.started = processes if started is None or self.zygote else max(1, min(started, processes))
        self._executor = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=context,
            initializer=_worker_init,
            initargs=(config, os.getpid()),
        )
        self._warm_ups: list = []
        self._start_error: BaseException | None = None
        self._starting: threading.Thread | None = None
        if self.zygote:
            self._starting = threading.Thread(target=self._start, args=(warm_up,), name="pool-start", daemon=True)
            self._starting.start()
        else:
            self._start(warm_up)

    def _start(self, warm_up: tuple) -> None:
        # the executor starts a worker per waiting task, up to max_workers; the first worker to
        # load runs `warm_up` (function, *args), the others nothing
        try:
            for i in range(self.started):
                self._warm_ups.append(self._submit(*(warm_up if i == 0 else (int,))))
        except BaseException as e:  # raised where the workers are needed (`_ready`)
            self._start_error = e

    def _ready(self) -> None:
        """Wait until the workers were started (see the class docstring); raise what failed:
        a zygote that died while loading (killed, out of memory) as BrokenProcessPool, which
        the run reports in one line like a worker that died."""
        from concurrent.futures.process import BrokenProcessPool

        starting = self._starting
        if starting is not None:
            starting.join()
            self._starting = None
        error = self._start_error
        if error is None:
            return
        if isinstance(error, Exception) and not isinstance(error, BrokenProcessPool):
            raise BrokenProcessPool(f"{WORKER_STOPPED}: the process the workers are forked from: {error!r}") from error
        raise error

    def start_more(self, started: int) -> None:
        """Have `started` workers (at most `processes`) start now rather than when jobs wait
        for them: the run starts its first worker at once and decides afterwards whether the
        others are needed (`cli.main._workers_to_start` reads the warehouse). A zygote's pool
        started them all already.

        The executor spawns a worker for a task only when none is idle: a worker that has
        loaded and finished its warm-up takes the task instead, and the others then start
        when jobs wait for them (`started` counts the workers there are). A worker that
        could not load (WorkerLoadError) or died is left to `warm_up_result` to report."""
        from concurrent.futures.process import BrokenProcessPool

        if self.zygote:
            return
        wanted = max(1, min(started, self.processes))
        try:
            while self.started < wanted:
                self._warm_ups.append(self._submit(int))
                spawned = len(self._executor._processes)
                if spawned <= self.started:  # an idle worker took it
                    break
                self.started = spawned
        except BrokenProcessPool:
            return

    def _submit(self, fn: Callable, *args):
        return self._executor.submit(_in_worker, fn, *args)

    def warm_up_result(self):
        """What the warm-up returned (its exception raised here), once a worker has run it."""
        self._ready()
        return self._warm_ups[0].result()

    def warm_up_error(self) -> BaseException | None:
        """The warm-up's exception if it has failed by now (WorkerLoadError: the worker could
        not load; BrokenProcessPool: it died); None if it succeeded or is still running. Does
        not wait."""
        if self._starting is not None and self._starting.is_alive():
            return None
        try:
            self._ready()
        except BaseException as e:
            return e
        first = self._warm_ups[0]
        return first.exception() if first.done() and not first.cancelled() else None

    def map(self, fn: Callable, jobs: Iterable[tuple], wanted: int | None = None) -> Iterator:
        """fn(*job) for each job, results in order, a few jobs in flight per worker. A step
        that wants no more workers than were started, in a pool that could start more, waits
        until they have loaded: a job handed out while they load would make the executor
        start one more (a second model load for a 5-article drop). When every worker was
        started none can be added, and waiting would only delay the first job."""
        from concurrent.futures.process import BrokenProcessPool

        pending: deque = deque()
        self._ready()
        try:
            if wanted is not None and wanted <= self.started < self.processes:  # else no worker can be added
                for future in self._warm_ups:
                    future.result()
            for job in jobs:
                pending.append(self._submit(fn, *job))
                if len(pending) > 2 * self.processes:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except BrokenProcessPool as e:  # a run that did not wait for its workers meets it here
            raise BrokenProcessPool(f"{WORKER_STOPPED}: {e}") from e.__cause__  # its remote traceback, if any
        finally:
            for future in pending:
                future.cancel()

    def close(self, at_once: bool = False) -> None:
        """Stop the workers, after those still starting (as a spawned worker's load was waited
        for, a zygote's is); Ctrl-C while waiting is not swallowed. `at_once`: end them now
        (`terminate`), not after the chunks they are coding (a run stopped by Ctrl-C, which
        they ignore)."""
        if at_once:
            _terminate(self._executor)
            return
        with contextlib.suppress(Exception):
            self._ready()
        self._executor.shutdown(wait=True, cancel_futures=True)


TERMINATE_WAIT_SECONDS = 0.5  # how long `_terminate` waits for the executor's own thread


def _terminate(executor) -> None:
    """End a process pool's workers now (SIGTERM) and drop the work queued for them; the
    executor then closes its queues.

    The wait for the executor's thread is bounded (it ends within milliseconds once its
    workers are gone): a worker ended while it was writing a parse back leaves half a
    message in the result pipe, and the thread then waits for the rest for good (a run
    stopped by Ctrl-C hung so, once in a clean-clone test run). Such a thread is left
    behind: `cli.main.entry` exits with os._exit, which ends it; an exit through the
    interpreter's own shutdown would still wait for it."""
    thread = getattr(executor, "_executor_manager_thread", None)  # shutdown() forgets it
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, ValueError):
            process.terminate()
    executor.shutdown(wait=False, cancel_futures=True)
    if thread is not None:
        thread.join(TERMINATE_WAIT_SECONDS)


# The module the zygote imports (`worker_context`), and how it learns what to load.
ZYGOTE_MODULE = "pipeline.steps.zygote"
ZYGOTE_ENV = "STANCEWIRE_ZYGOTE_CONFIG"
_ZYGOTE: dict = {}  # the config this process's zygote was started with (None: it failed)


def worker_context(config: Loadable, warm_up: tuple):
    """A multiprocessing context whose workers are forked from a zygote that has loaded
    `config` and run `warm_up` (Linux), or None (elsewhere: the pool spawns its workers).

    The zygote is multiprocessing's forkserver with `ZYGOTE_MODULE` preloaded: one process
    loads the model, the lexicons and the language detector once, and every worker forked
    from it starts loaded (a spawned worker spends about a second of CPU importing spaCy
    and loading the model; two did so at once, at a run's start when the run itself needs
    the CPU). The forkserver holds no DuckDB connection, lock or thread of the run's, which
    is why the run's own process is never forked. One zygote per process: a second pool
    with another config (tests) spawns its workers."""
    import base64
    import multiprocessing
    import pickle
    import sys
    from multiprocessing import forkserver
    from pathlib import Path

    if not sys.platform.startswith("linux") or "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    if _ZYGOTE:  # started (or failed) before: the same config is served by it, another spawned
        return multiprocessing.get_context("forkserver") if _ZYGOTE.get("config") == config else None
    if getattr(forkserver._forkserver, "_forkserver_pid", None) is not None:  # someone else's
        return None
    _ZYGOTE["config"] = None  # until it has started: a failure below is not tried again
    payload = base64.b64encode(pickle.dumps((sys.path, pickle.dumps((config, warm_up))))).decode("ascii")
    if len(payload) > MAX_ZYGOTE_PAYLOAD:
        return None
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()  # before the variables are set: it would keep them
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([ZYGOTE_MODULE])
    # the zygote's own import of ZYGOTE_MODULE uses the default sys.path (3.11 drops the
    # parent's): the folder this package is in goes first, for a checkout not installed
    root = str(Path(__file__).resolve().parents[2])
    kept = {k: os.environ.get(k) for k in (ZYGOTE_ENV, "PYTHONPATH")}
    os.environ[ZYGOTE_ENV] = payload
    os.environ["PYTHONPATH"] = os.pathsep.join([root] + ([kept["PYTHONPATH"]] if kept["PYTHONPATH"] else []))
    try:
        forkserver.ensure_running()  # it starts loading now; forking a worker waits for it
    except OSError:  # no Unix socket here, say: the workers are spawned
        context.set_forkserver_preload([])
        return None
    finally:
        for k, v in kept.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    _ZYGOTE["config"] = config
    return context


# Linux takes at most 128 KiB in one environment string; codebooks this large are spawned for.
MAX_ZYGOTE_PAYLOAD = 100_000


def load_zygote() -> None:
    """In the zygote (imported as `ZYGOTE_MODULE`): load the config and run the warm-up the
    pool passed. Failures are left to the workers: a config that does not load is loaded,
    and reported, by each worker on its own; the warm-up runs again in the first worker,
    whose result the run reads (what it loaded here, the detector, is then loaded already).
    The stance pipeline's zygote module then warms its coder (`pipeline.steps.zygote`)."""
    import atexit
    import base64
    import pickle
    import sys

    payload = os.environ.pop(ZYGOTE_ENV, None)
    if not payload:
        return
    ignore_interrupts()  # kept by the workers forked from it (the forkserver restores it in each)
    # The zygote ends when the run has ended (its pipe closes), with the model loaded: its
    # interpreter's teardown held the run's output pipes 0.2-0.4 s after the run had exited.
    # The workers forked from it leave through os._exit and never run this.
    atexit.register(_exit_now)
    try:
        path, pickled = pickle.loads(base64.b64decode(payload))
        sys.path[:] = path  # the pool's, where its config's classes are found (Python 3.11's forkserver drops it)
        config, warm_up = pickle.loads(pickled)
        init(config)
    except Exception:
        _STATE.clear()
        return
    with contextlib.suppress(Exception):
        warm_up[0](*warm_up[1:])


class Helper:
    """One spawned process that runs `warm_up` ("module:function") as soon as it starts,
    then calls sent to it. `stancewire run` starts one for the Great Expectations checks:
    importing GX takes seconds of interpreter time, which the helper spends on the other
    core while the batch is parsed instead of holding the run's interpreter lock, and the
    validation's memory is not the run's."""

    def __init__(self, warm_up: str, niceness: int = 0):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self._executor = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_helper_init,
            initargs=(warm_up, os.getpid(), niceness),
        )
        self._executor.submit(int)  # start it now
        self._after_first_call: list[Callable] = []
        self._called = False

    def call(self, fn: Callable, *args):
        """fn(*args) in the helper; a helper that died raises BrokenProcessPool."""
        result = self.submit(fn, *args).result()
        self._called = True
        with contextlib.suppress(RuntimeError):  # died or closed since: the result in hand still counts
            while self._after_first_call:
                self.submit(self._after_first_call.pop(0))
        return result

    def submit(self, fn: Callable, *args):
        """fn(*args) started in the helper after the work handed to it before; the Future of
        its result (BrokenProcessPool when the helper died)."""
        return self._executor.submit(fn, *args)

    def after_first_call(self, fn: Callable) -> None:
        """Run fn() in the helper once the first `call` has returned, not waited for: work it
        does better while the run does something else than before the first call, which the
        run waits for (the validator imports matplotlib there for the release's figures); at
        once when that call has returned already."""
        if self._called:
            with contextlib.suppress(RuntimeError):
                self.submit(fn)
        else:
            self._after_first_call.append(fn)

    def close(self) -> None:
        self._after_first_call.clear()
        self._executor.shutdown(wait=True, cancel_futures=True)


_WARM_UP: dict = {}  # in a helper: the niceness its warm-up ran at


def _helper_init(warm_up: str, parent_pid: int, niceness: int) -> None:
    """Run the warm-up at `niceness` and return: the calls that follow (the validation the
    run waits for) run at the normal priority. On Linux a thread has its own nice value, so
    the warm-up runs in a thread of its own; elsewhere it runs here, not lowered."""
    import importlib
    import sys
    import threading

    _watch_parent(parent_pid)
    module, function = warm_up.split(":")
    failed: list[BaseException] = []

    def run() -> None:
        tid = threading.get_native_id()
        try:
            if niceness and sys.platform.startswith("linux"):
                os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + niceness)
        except OSError:  # not allowed here: the normal priority
            pass
        _WARM_UP["niceness"] = os.getpriority(os.PRIO_PROCESS, tid)
        try:
            getattr(importlib.import_module(module), function)()
        except BaseException as e:  # raised again below: the helper fails to start
            failed.append(e)

    thread = threading.Thread(target=run, name="warm-up")
    thread.start()
    thread.join()
    if failed:
        raise failed[0]


def warm_up_niceness() -> int | None:
    """In a helper: the niceness its warm-up ran at (see Helper)."""
    return _WARM_UP.get("niceness")


_HELPERS: dict[str, Helper] = {}
VALIDATOR = "validator"  # the helper `stancewire run` validates in (assets.checks)


def start_helper(name: str, warm_up: str, niceness: int = 0) -> Helper:
    """Start the run's helper `name` (see Helper), its warm-up at `niceness` (it then takes
    only the CPU the run's other processes leave; the calls run at the normal priority);
    `stop_shared` ends it."""
    if name in _HELPERS:
        _HELPERS.pop(name).close()
    _HELPERS[name] = Helper(warm_up, niceness)
    return _HELPERS[name]


def helper(name: str) -> Helper | None:
    """The run's helper `name`, or None (outside `stancewire run`: work in this process)."""
    return _HELPERS.get(name)


_SHARED: list[Pool] = []


def start_shared(
    config: Loadable, processes: int, started: int = 1, warm_up: tuple = (int,), zygote: bool = True
) -> Pool:
    """Start the run's pool (see module docstring) with `started` of its `processes`
    workers (all of them when forked from a `zygote`, see Pool), the first one loaded
    running `warm_up` (function, *args); `stop_shared` ends it."""
    while _SHARED:
        _SHARED.pop().close()
    pool = Pool(config, max(1, processes), started, warm_up, zygote=zygote)
    _SHARED.append(pool)
    return pool


def shared() -> Pool | None:
    """The run's shared pool, whatever its config (work that needs no model: `map` on it),
    or None."""
    return _SHARED[-1] if _SHARED else None


def stop_shared(at_once: bool = False) -> None:
    """End the run's pool and helpers;
    `at_once`: the pool without waiting for the chunks its workers are doing (`Pool.close`).
    A helper finishes its call (a step's validation: a second or two; ending the validator
    mid-call leaves a semaphore of its own behind, which the resource tracker reports)."""
    while _SHARED:
        _SHARED.pop().close(at_once)
    while _HELPERS:
        _HELPERS.popitem()[1].close()


@contextlib.contextmanager
def pool_for(config: Loadable, processes: int) -> Iterator[Pool | None]:
    """The shared pool when it was started with `config`; else a pool of `processes`
    workers for this block (None for one process: work in this process)."""
    if (pool := shared()) is not None and pool.config == config:
        yield pool
        return
    if processes <= 1:
        yield None
        return
    pool = Pool(config, processes)
    try:
        yield pool
    finally:
        pool.close()


def pool_size(config: Loadable, processes: int) -> int:
    """How many workers `run_chunks` with this config and process count has ready: those
    of the shared pool that were started with it (one that would be started for the job
    first loads its model, longer than a small job takes), else `processes`."""
    if (pool := shared()) is not None and pool.config == config:
        return pool.started
    return max(1, processes)


def chunked(items: Iterable, size: int) -> Iterator[list]:
    """Lists of `size` items (the last one shorter) from any iterable, taken lazily."""
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run_chunks(config: Loadable, processes: int, fn: Callable, jobs: Iterable[tuple]) -> Iterator:
    """fn(*job) for each job (taken lazily), results in order: in the shared pool, a pool of
    its own, or here."""
    with pool_for(config, processes) as pool:
        if pool is None:
            init(config)
            for job in jobs:
                yield fn(*job)
        else:
            yield from pool.map(fn, jobs, wanted=processes)

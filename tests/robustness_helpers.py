"""Helpers of the issue #7 tests: run `stancewire` in a subprocess with a fault injected
(SIGKILL at an exact call, sockets refused), and check what a run leaves behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import CODEBOOKS, REPO

PYTHON = Path(sys.executable)

# Run the real CLI (`cli.main.main`, what `.venv/bin/stancewire` runs) after installing
# the hooks named in the environment. STANCEWIRE_TEST_KILL="module:attr[.attr]:n" sends
# SIGKILL to the process just before the n-th call of that function; STANCEWIRE_TEST_NO_NET
# makes every socket connection or name lookup outside 127.0.0.1 fail and be recorded.
BOOT = r"""
import os, signal, sys, importlib, socket, functools
kill = os.environ.get("STANCEWIRE_TEST_KILL")
if kill:
    module, attr, nth = kill.split(":")
    owner = importlib.import_module(module)
    *path, name = attr.split(".")
    for p in path:
        owner = getattr(owner, p)
    original = getattr(owner, name)
    calls = [0]
    @functools.wraps(original)
    def killer(*a, **k):
        calls[0] += 1
        if calls[0] == int(nth):
            sys.stdout.flush(); sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*a, **k)
    setattr(owner, name, killer)
log = os.environ.get("STANCEWIRE_TEST_NO_NET")
if log:
    LOCAL = ("127.0.0.1", "::1", "localhost")
    def record(what):
        with open(log, "a", encoding="utf-8") as f:
            f.write(repr(what) + "\n")
    def local(address):
        return not isinstance(address, tuple) or str(address[0]) in LOCAL
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    def connect(self, address):
        if not local(address):
            record(("connect", address))
            raise OSError(101, "network blocked by the test")
        return real_connect(self, address)
    def connect_ex(self, address):
        if not local(address):
            record(("connect_ex", address))
            return 101
        return real_connect_ex(self, address)
    real_getaddrinfo = socket.getaddrinfo
    def getaddrinfo(host, *a, **k):
        if host not in LOCAL and host is not None:
            record(("getaddrinfo", host))
            raise socket.gaierror(-3, "name lookups blocked by the test")
        return real_getaddrinfo(host, *a, **k)
    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
from cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def cli_args(input_dir: Path, tmp: Path, *extra: str) -> list[str]:
    return [
        "run",
        "--input",
        str(input_dir),
        "--warehouse",
        str(tmp / "warehouse.duckdb"),
        "--releases",
        str(tmp / "releases"),
        "--dagster-home",
        str(tmp / "dagster"),
        "--no-progress",
        *[a for p in sorted(CODEBOOKS.glob("*.yaml")) for a in ("--codebook", str(p))],
        *extra,
    ]


def start_cli(args: list[str], kill_at: str | None = None, no_net_log: Path | None = None) -> subprocess.Popen:
    from conftest import needs_pipeline

    if args and args[0] == "run":
        needs_pipeline()
    env = {**os.environ, "PYTHONPATH": str(REPO), "DAGSTER_DISABLE_TELEMETRY": "true", "GX_ANALYTICS_ENABLED": "false"}
    env.pop("STANCEWIRE_TEST_KILL", None)
    if kill_at:
        env["STANCEWIRE_TEST_KILL"] = kill_at
    if no_net_log:
        env["STANCEWIRE_TEST_NO_NET"] = str(no_net_log)
    return subprocess.Popen(
        [str(PYTHON), "-c", BOOT, *args], cwd=REPO, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def run_cli(
    args: list[str],
    kill_at: str | None = None,
    kill_after_s: float | None = None,
    no_net_log: Path | None = None,
    timeout: float = 240,
) -> tuple[int, str, str]:
    """Run the CLI to its end, or until the injected SIGKILL (or a SIGKILL sent after
    `kill_after_s`); return (exit status, stdout, stderr). -9: killed."""
    proc = start_cli(args, kill_at, no_net_log)
    if kill_after_s is not None:
        deadline = time.monotonic() + kill_after_s
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def release_problems(releases: Path) -> list[str]:
    """What a reader of the releases folder would find wrong: a visible folder that is not a
    complete, verifying release; a LATEST naming no release."""
    from pipeline.release import checksums, versions

    problems = []
    if not releases.exists():
        return problems
    published = versions.list_versions(releases)
    for p in releases.iterdir():
        if p.name.startswith("."):
            continue  # hidden: staging folders, temporary files
        if p.is_dir():
            if p.name not in published:
                problems.append(f"{p.name}: a visible folder that is not a complete release")
            else:
                problems += [f"{p.name}: {x}" for x in checksums.verify(releases, p.name)]
        elif p.name == versions.CURRENT_DB:  # names a published version's DuckDB file
            named = p.resolve()
            if (
                named.parent.parent != releases.resolve()
                or named.name != versions.RELEASE_DB
                or named.parent.name not in published
                or not named.is_file()
            ):
                problems.append(f"{p.name}: names {named}, no published version's DuckDB file")
        elif p.name not in ("LATEST", "index.json", "index.html"):
            problems.append(f"{p.name}: unexpected file")
    latest = releases / "LATEST"
    if latest.exists() and latest.read_text(encoding="utf-8").strip() not in published:
        problems.append("LATEST names no published release")
    return problems


def warehouse_problems(warehouse: Path, records_per_batch: dict[str, int]) -> list[str]:
    """A warehouse that opens and holds no half-written batch: every batch is absent or
    whole (records, articles with their sentences, duplicates, rejections), and every
    statement belongs to an article."""
    from pipeline.storage.warehouse import Warehouse

    if not warehouse.exists():
        return []
    problems = []
    with Warehouse(warehouse, lock_timeout_s=5).connect(read_only=True) as db:
        from pipeline.schema import TABLES

        present = {r[0] for r in db.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if not present & set(TABLES):
            return []  # killed before the first table was created
        if set(TABLES) - present:
            return [f"half-created schema: {sorted(set(TABLES) - present)} missing"]
        for batch, n in records_per_batch.items():
            raw = db.execute("SELECT count(*) FROM raw_articles WHERE batch_id = ?", [batch]).fetchone()[0]
            rej = db.execute(
                "SELECT count(*) FROM rejected_articles WHERE batch_id = ? AND reason <> 'id_conflict'", [batch]
            ).fetchone()[0]
            if raw + rej not in (0, n):
                problems.append(f"batch {batch}: {raw + rej} of {n} records loaded")
            placed = (
                sum(
                    db.execute(f"SELECT count(*) FROM {t} WHERE batch_id = ?", [batch]).fetchone()[0]
                    for t in ("articles", "duplicate_articles")
                )
                + db.execute(
                    "SELECT count(*) FROM rejected_articles WHERE batch_id = ? AND reason = 'id_conflict'", [batch]
                ).fetchone()[0]
            )
            if placed != raw:
                problems.append(f"batch {batch}: {raw} records read but {placed} placed")
        orphans = db.execute(
            "SELECT count(*) FROM articles a WHERE NOT EXISTS "
            "(SELECT 1 FROM sentences s WHERE s.article_id = a.article_id)"
        ).fetchone()[0]
        if orphans:
            problems.append(f"{orphans} articles without their sentences")
        stray = db.execute(
            "SELECT count(*) FROM stances WHERE article_id NOT IN (SELECT article_id FROM articles)"
        ).fetchone()[0]
        if stray:
            problems.append(f"{stray} statements of articles that are not in the warehouse")
    return problems


def table_hashes(releases: Path, version: str | None = None) -> dict[str, str]:
    from pipeline.release import versions

    version = version or versions.current_version(releases)
    return {k: v["sha256"] for k, v in versions.read_manifest(releases, version)["tables"].items()}


# The small input the fault tests run: two articles and a broken JSONL line, then one more file.
ARTICLES = {
    "minister.txt": "Minister backs the plan\n\nThe minister said: “We back the plan for peacekeepers.” "
    "Keir Starmer told reporters in London that Britain would send troops.\n",
    "wire.jsonl": json.dumps(
        {
            "id": "wire-1",
            "title": "Kremlin rejects force",
            "text": "Sergei Lavrov said: “Of course this is unacceptable to us.” "
            "Russia opposes any European peacekeeping force.",
        }
    )
    + "\n"
    + '{"broken\n',
}
EXTRA = {"later.txt": "Defence budgets rise\n\nJohn Healey said: “We need a security guarantee for Ukraine.”\n"}
RECORDS = 3  # two articles and one broken line
RECORDS_LATER = 4


def folder_of(path: Path, files: dict[str, str]) -> Path:
    """`path` with `files` (name -> text) written into it."""
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    return path

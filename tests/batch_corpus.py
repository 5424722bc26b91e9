"""Two small synthetic batches, a sequential baseline, and table comparison, shared by the
parallel (multiprocess) and distributed (Celery) tests.

Batch names sort in the order the baseline runs them (batch-a, then batch-b): the single
loading step registers new batches in name order, the sequential runs in run order, and
that order decides which of two identical texts is the article and which the duplicate.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from conftest import CODEBOOKS

BATCH_A, BATCH_B = "batch-a", "batch-b"

SPEAKERS = [
    ("Keir Starmer", "Prime Minister", "We will send peacekeeping troops to Ukraine if there is a deal."),
    ("John Healey", "Defence Secretary", "We need a security guarantee and a backstop from the US."),
    ("Sergei Lavrov", "foreign minister", "Western troops in Ukraine are unacceptable to us."),
    ("Emmanuel Macron", "French President", "Europe must raise defence spending and rearm now."),
    ("Olaf Scholz", "German Chancellor", "Talk of sending troops to Ukraine is premature."),
    ("Donald Trump", "US President", "If they want to do that, that would be fine."),
    ("Kaja Kallas", "EU foreign policy chief", "A coalition of the willing can deter Russia."),
    ("Mark Rutte", "Nato Secretary General", "Higher defence budgets are the only deterrent Putin respects."),
]


def article(n: int) -> str:
    """A short news article with two attributed quotes by named speakers."""
    (name1, role1, q1), (name2, role2, q2) = SPEAKERS[n % len(SPEAKERS)], SPEAKERS[(n + 3) % len(SPEAKERS)]
    last1, last2 = name1.split()[-1], name2.split()[-1]
    return (
        f"Leaders split over Ukraine plan, report {n}\n"
        f"Source: The Test Herald\n"
        f"{name1}, the {role1}, spoke in London on day {n} of the talks. {last1} supports sending troops to Ukraine.\n"
        f"{last1} said: \u201c{q1}\u201d\n"
        f"{name2}, the {role2}, opposes a peacekeeping force. {last2} told reporters in Brussels: \u201c{q2}\u201d\n"
        f"Officials said talks would resume next week.\n"
    )


def write_batches(root: Path) -> dict[str, Path]:
    """{batch id: folder}: batch-a has three .txt articles; batch-b has two new ones as
    JSON Lines, an exact duplicate of an article of batch-a, and a record without text
    (rejected). Both batches parse the duplicated text: in a parallel run, at once."""
    a, b = root / BATCH_A, root / BATCH_B
    a.mkdir(parents=True)
    b.mkdir(parents=True)
    for n in range(3):
        (a / f"a{n}.txt").write_text(article(n), encoding="utf-8")
    records = [
        {"id": f"b{n}", "title": f"Report {n}", "outlet": "Wire Service", "text": article(n).split("\n", 2)[2]}
        for n in range(3, 5)
    ]
    records.append({"id": "b-empty", "title": "Nothing", "text": ""})
    (b / "b.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    (b / "dup.txt").write_text(article(1), encoding="utf-8")
    return {BATCH_A: a, BATCH_B: b}


def codebook_paths() -> list[str]:
    return [str(p) for p in sorted(CODEBOOKS.glob("*.yaml"))]


def stancewire_env(warehouse: Path) -> dict[str, str]:
    """The STANCEWIRE_* settings that step subprocesses and Celery workers rebuild from."""
    import os

    return {
        "STANCEWIRE_WAREHOUSE": str(warehouse),
        "STANCEWIRE_STAGING": str(warehouse.with_name("staging")),
        "STANCEWIRE_RELEASES": str(warehouse.with_name("releases")),
        "STANCEWIRE_CODEBOOKS": os.pathsep.join(codebook_paths()),
    }


def released_tables(warehouse: Path) -> dict[str, list[tuple]]:
    """Every released table's rows, ordered by primary key."""
    import duckdb

    from pipeline.schema import RELEASED_TABLES, TABLES

    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        out = {}
        for name in RELEASED_TABLES:
            cols = ", ".join(f'"{c}"' for c in TABLES[name].column_names)
            order = ", ".join(f'"{k}"' for k in TABLES[name].primary_key)
            out[name] = conn.execute(f'SELECT {cols} FROM "{name}" ORDER BY {order}').fetchall()
        return out
    finally:
        conn.close()


def assert_same_tables(expected: dict[str, list[tuple]], warehouse: Path) -> None:
    got = released_tables(warehouse)
    assert set(got) == set(expected)
    for name, rows in expected.items():
        assert len(got[name]) == len(rows), f"{name}: {len(got[name])} rows, sequential run has {len(rows)}"
        diff = [(a, b) for a, b in zip(rows, got[name]) if a != b]
        assert not diff, f"{name}: {len(diff)} rows differ, first: sequential {diff[0][0]} vs {diff[0][1]}"


def run_sequential(root: Path) -> dict[str, list[tuple]]:
    """`stancewire run` twice, batch-a then batch-b, into one warehouse; its released tables."""
    from conftest import make_settings, run

    folders = write_batches(root / "input")
    for batch in (BATCH_A, BATCH_B):
        settings = make_settings(root, folders[batch], batch_id=batch, publish=False)
        outcome = run(settings, root / "dagster")
        assert outcome.ok, outcome.reason
    tables = released_tables(root / "warehouse.duckdb")
    # The corpus exercises every stage: quotes with resolved speakers, stances, a duplicate, a rejection.
    for name in ("articles", "quotes", "stances", "actors", "duplicate_articles", "rejected_articles"):
        assert tables[name], f"the baseline has no {name}"
    return tables


def step_intervals(instance, run_ids) -> dict[tuple[str, str], tuple[datetime, datetime]]:
    """{(run id, step key): (start, end)} from the instance's step statistics."""
    out = {}
    for run_id in run_ids:
        for s in instance.get_run_step_stats(run_id):
            out[(run_id, s.step_key)] = (
                datetime.fromtimestamp(s.start_time, UTC),
                datetime.fromtimestamp(s.end_time, UTC),
            )
    return out


def run_spans(steps: dict) -> dict[str, tuple[datetime, datetime]]:
    """{run id: (first step start, last step end)} of step_intervals' result."""
    spans: dict[str, tuple[datetime, datetime]] = {}
    for (run_id, _), (start, end) in steps.items():
        s, e = spans.get(run_id, (start, end))
        spans[run_id] = (min(s, start), max(e, end))
    return spans


def step_pids(instance, run_id: str) -> dict[str, int]:
    """{step key: pid of the process that ran it} from the run's STEP_START events."""
    import dagster as dg

    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_START).records
    return {r.event_log_entry.step_key: r.event_log_entry.dagster_event.pid for r in records}


QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def new_instance_dir(path: Path) -> str:
    """A folder for a persistent Dagster instance (runs in other processes report to it)."""
    path.mkdir(parents=True)
    (path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    return str(path)


def overlap_seconds(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> float:
    return (min(a[1], b[1]) - max(a[0], b[0])).total_seconds()


def assert_runs_overlapped(instance, a: str, b: str) -> None:
    """The two runs overlapped in time, from each run's first step start to its last step end
    (spawned step processes take seconds to start, so whole runs are what reliably overlaps;
    the parsing steps' overlap is printed, not asserted)."""
    steps = step_intervals(instance, [a, b])
    span = run_spans(steps)
    overlap = overlap_seconds(span[a], span[b])
    nlp_overlap = overlap_seconds(steps[(a, "batch_nlp")], steps[(b, "batch_nlp")])
    print(
        f"\nrun {a[:8]} {span[a][0]:%H:%M:%S.%f}-{span[a][1]:%H:%M:%S.%f}, "
        f"run {b[:8]} {span[b][0]:%H:%M:%S.%f}-{span[b][1]:%H:%M:%S.%f}: overlap {overlap:.1f} s; "
        f"batch_nlp steps overlap {nlp_overlap:.1f} s"
    )
    assert overlap > 0, f"the runs did not overlap: {span}"

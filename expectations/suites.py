"""Build and run the Great Expectations suites of each warehouse table.

A table is validated as one or more *frames*: a SQL query over the warehouse (identifiers
from `pipeline.schema` only, never from data) whose result goes to pandas and through a
GX suite. The main frame holds the table's columns (long texts and bytes replaced by
their lengths) plus derived columns such as `article_id_in_articles` or
`article_n_chars`, so that references and offsets are checked by ordinary GX
expectations.
"""

from __future__ import annotations

import functools
import importlib
import json
import uuid
from dataclasses import dataclass, field

import expectations  # noqa: F401  (sets GX_ANALYTICS_ENABLED before GX is imported)
from pipeline.schema import TABLES, Table

LARGE_COLUMNS = {("articles", "raw_text"), ("articles", "text"), ("raw_articles", "raw_text")}
# References to actors are checked on the actors table itself (actors is built last).
DEFERRED_REFERENCES = {"actors"}
TABLE_MODULES = ("articles", "sentences", "mentions", "quotes", "stances", "actors", "rejected_articles")


@dataclass
class Check:
    """One expectation; a failing blocking one stops the release."""

    expectation: object
    blocking: bool = True


@dataclass
class Frame:
    name: str
    sql: str
    checks: list[Check] = field(default_factory=list)


@dataclass
class TableFrame(Frame):
    """A table's main frame, built from parts so table modules can add derived columns."""

    select: list[str] = field(default_factory=list)
    source: str = ""
    order: str = ""

    def __post_init__(self):
        self.refresh()

    def refresh(self) -> None:
        self.sql = f"SELECT {', '.join(self.select)} FROM {self.source} ORDER BY {self.order}"


@dataclass(frozen=True)
class Outcome:
    table: str
    frame: str
    expectation: str
    column: str | None
    success: bool
    blocking: bool
    unexpected_count: int | None
    details: str

    def describe(self) -> str:
        where = f" on column {self.column}" if self.column else ""
        extra = f" ({self.unexpected_count} unexpected)" if self.unexpected_count else ""
        return f"{self.expectation}{where} failed on table {self.table}{extra}: {self.details}"


def gx():
    import great_expectations

    return great_expectations


def _q(name: str) -> str:
    return f'"{name}"'


def main_frame(table: Table) -> TableFrame:
    """The table's columns that expectations read; free text only as "is present" flags.

    Text that no expectation reads beyond "not null" (content, evidence, names) crosses to
    pandas as a boolean, not as strings: that keeps validation memory flat as tables grow."""
    E = gx().expectations
    t = table.name
    keep = set(getattr(_table_module(t), "FRAME_COLUMNS", ()))
    select, checks = [], []
    for c in table.columns:
        if c.type == "BLOB" or (t, c.name) in LARGE_COLUMNS:
            length = "octet_length" if c.type == "BLOB" else "length"
            select.append(f"{length}(t.{_q(c.name)}) AS {_q(c.name + '__length')}")
            if not c.nullable:
                checks.append(Check(E.ExpectColumnValuesToNotBeNull(column=c.name + "__length")))
            continue
        free_text = (c.type == "VARCHAR" and not c.values and not c.references and c.name not in table.primary_key
                     and c.name not in keep)
        if free_text:
            if not c.nullable:
                select.append(f"t.{_q(c.name)} IS NOT NULL AS {_q(c.name + '__present')}")
                checks.append(Check(E.ExpectColumnValuesToBeInSet(column=c.name + "__present", value_set=[True])))
            continue
        select.append(f"t.{_q(c.name)}")
        if not c.nullable:
            checks.append(Check(E.ExpectColumnValuesToNotBeNull(column=c.name)))
        if c.values:
            checks.append(Check(E.ExpectColumnValuesToBeInSet(column=c.name, value_set=list(c.values))))
        if c.references and c.references[0] not in DEFERRED_REFERENCES:
            parent, pcol = c.references
            derived = f"{c.name}_in_{parent}"
            select.append(f"CASE WHEN t.{_q(c.name)} IS NULL THEN NULL ELSE t.{_q(c.name)} IN "
                          f"(SELECT {_q(pcol)} FROM {_q(parent)}) END AS {_q(derived)}")
            checks.append(Check(E.ExpectColumnValuesToBeInSet(column=derived, value_set=[True])))
    if len(table.primary_key) == 1:
        checks.append(Check(E.ExpectColumnValuesToBeUnique(column=table.primary_key[0])))
    else:
        checks.append(Check(E.ExpectCompoundColumnsToBeUnique(column_list=list(table.primary_key))))
    join = ""
    pairs = list(table.offset_pairs) + [(a, b) for a, b in table.raw_offset_pairs]
    if pairs and "article_id" in table.column_names:
        join = " LEFT JOIN articles a ON a.article_id = t.article_id"
        select.append("a.n_chars AS article_n_chars")
        select.append("length(a.raw_text) AS article_raw_chars")
        for start, end in table.offset_pairs:
            checks += _offset_checks(start, end, "article_n_chars")
        for start, end in table.raw_offset_pairs:
            checks += _offset_checks(start, end, "article_raw_chars")
    order = ", ".join(f"t.{_q(k)}" for k in table.primary_key)
    return TableFrame(t, "", checks, select=select, source=f"{_q(t)} t{join}", order=order)


def _offset_checks(start: str, end: str, length_col: str) -> list[Check]:
    E = gx().expectations
    skip = "either_value_is_missing"
    return [
        Check(E.ExpectColumnValuesToBeBetween(column=start, min_value=0)),
        Check(E.ExpectColumnPairValuesAToBeGreaterThanB(column_A=end, column_B=start, or_equal=True, ignore_row_if=skip)),
        Check(E.ExpectColumnPairValuesAToBeGreaterThanB(column_A=length_col, column_B=end, or_equal=True, ignore_row_if=skip)),
    ]


@functools.cache
def _table_module(table: str):
    if table not in TABLE_MODULES:
        return None
    return importlib.import_module(f"expectations.{table}")


def frames_for(conn, table: str) -> list[Frame]:
    """Every frame (with its expectations) that validates `table`."""
    frame = main_frame(TABLES[table])
    frames = [frame]
    module = _table_module(table)
    if module is not None:
        derived, checks, extra_frames = module.expectations(conn)
        frame.select += derived
        frame.refresh()
        frame.checks += checks
        frames += extra_frames
    return frames


@functools.cache
def _context():
    """One ephemeral GX context per process (creating one costs more than a suite run)."""
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx().get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def warm_up() -> None:
    """Import GX and build its context ahead of the checks (the CLI does it in a thread while
    the batch is parsed: importing GX takes seconds)."""
    _context()


def validate_table(conn, table: str) -> list[Outcome]:
    """Run every suite of `table` against the warehouse; one Outcome per expectation."""
    G = gx()
    context = _context()
    source = context.data_sources.add_pandas(f"{table}_{uuid.uuid4().hex[:8]}")
    outcomes: list[Outcome] = []
    for n, frame in enumerate(frames_for(conn, table)):
        df = conn.execute(frame.sql).df()
        asset = source.add_dataframe_asset(f"frame_{n}")
        batch = asset.add_batch_definition_whole_dataframe(f"batch_{n}").get_batch(batch_parameters={"dataframe": df})
        suite = G.ExpectationSuite(name=f"{frame.name}")
        for check in frame.checks:
            suite.add_expectation(check.expectation)
        result = batch.validate(suite, result_format="BOOLEAN_ONLY")
        if not result.success:  # details (observed values, unexpected rows) only where something failed
            result = batch.validate(suite, result_format="SUMMARY")
        for check, res in zip(frame.checks, result.results):
            cfg = res.expectation_config
            kwargs = cfg.kwargs
            column = kwargs.get("column") or (
                f"{kwargs.get('column_A')}>={kwargs.get('column_B')}" if "column_A" in kwargs else None) or (
                ",".join(kwargs["column_list"]) if "column_list" in kwargs else None)
            r = res.result or {}
            details = {k: _jsonable(r[k]) for k in ("observed_value", "unexpected_count", "partial_unexpected_list")
                       if k in r and r[k] not in (None, [], 0)}
            if res.exception_info and res.exception_info.get("raised_exception"):
                details["exception"] = str(res.exception_info.get("exception_message"))[:300]
            outcomes.append(Outcome(
                table=table, frame=frame.name, expectation=cfg.type, column=column, success=bool(res.success),
                blocking=check.blocking, unexpected_count=r.get("unexpected_count"),
                details=json.dumps(details, ensure_ascii=False, default=str)[:1000],
            ))
    return outcomes


def _jsonable(v):
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v[:10]]
    if hasattr(v, "item"):
        return v.item()
    return v

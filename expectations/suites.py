"""Build and run the Great Expectations suites of each warehouse table.

A table is validated as one or more *frames*: a SQL query over the warehouse (identifiers
from `pipeline.schema` only, never from data) whose result goes to pandas and through a
GX suite. The main frame holds the table's columns (long texts and bytes replaced by
their lengths) plus derived columns such as `text_matches_offsets` or `article_n_chars`,
so that offsets and texts are checked by ordinary GX expectations.

Each table has three kinds of frame:
- its *main frame*: row-wise expectations only (not null, labels, offsets, text at its
  offsets...), which hold for the table when they hold for each row;
- its *table frame*: one row of SQL aggregates over the whole stored table (duplicate keys,
  references to missing parent rows, the row count), each judged by a GX expectation, with
  a sample of the offending keys beside the count;
- its module's other frames (records accounted for per batch, articles without sentences,
  actor references), small by construction.

Validation follows what changed (issue: incremental work proportional to new data). A
table's rows are split into *parts*: the batch they came from (`batch_id`, or their
article's) and one of `PART_BUCKETS` buckets of that batch by input record (`source_file`,
`record_no`; an article's rows share its record's bucket). A part whose fingerprint (its
rows, the same part's rows of the tables it reads, the whole of the unpartitioned tables
it reads, the code) equals that of a part whose row-wise expectations all passed keeps
that outcome (`validation_parts`): the main frame is run on the other parts only, and on
rows without a part (an article that is gone). The table frame and the module frames are
computed on the whole table every time. A full rebuild (`stancewire rebuild`) forgets the
kept parts.

A main frame of more than `SLICE_ROWS` rows is validated in slices by a hash of its key,
so validation memory stays flat as tables grow; the outcomes of the slices are merged
into one per expectation.

`validate_tables` runs in a separate process when the run started one (see
`pipeline.steps.pool.start_helper`): importing GX takes seconds, which that process spends
while the batch is parsed, and its memory is not the run's. With two cores it forks a copy
of itself for about half of a step's tables (`_forked`).

A table's outcomes are a function of the rows its frames read and of the code: given the
fingerprint of both from its last validation (`Validated.fingerprint`), a table whose
frames would read exactly the same rows with the same code keeps those outcomes instead of
being validated again (re-coding stances leaves the eight loaded tables as they were). The
tables a table's frames read are known without building them (`reads`: the table, the
parents it references, `articles` for offsets, and a module's `READS`), so the decision
needs neither GX nor the validator.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import json
import logging
import os
import re
import signal
import sys
import threading
from dataclasses import asdict, dataclass, field

import expectations  # noqa: F401  (sets GX_ANALYTICS_ENABLED before GX is imported)
from pipeline.fingerprints import row_hash_sql, table_content
from pipeline.schema import TABLES, Table, sql_literal

SLICE_ROWS = 100_000  # rows of a frame validated at once
CHECK_META = "stancewire_check"  # the index of an expectation's Check in its frame
# Expectations that hold for a frame when they hold for each of its rows: the only kinds a
# main frame may hold (they are validated per part and per slice). Other frames are
# validated whole.
ROW_WISE = (
    "ExpectColumnValuesToNotBeNull",
    "ExpectColumnValuesToBeInSet",
    "ExpectColumnValuesToBeBetween",
    "ExpectColumnPairValuesAToBeGreaterThanB",
    "ExpectColumnPairValuesToBeEqual",
    "ExpectColumnValuesToMatchRegex",
    "ExpectColumnValueLengthsToBeBetween",
)
LARGE_COLUMNS = {("articles", "raw_text"), ("articles", "text"), ("raw_articles", "raw_text")}
# References to actors are checked on the actors table itself (actors is built last).
DEFERRED_REFERENCES = {"actors"}
# Arguments of a failed expectation shown in the run's failure report.
EXPECTED_KWARGS = ("min_value", "max_value", "value_set", "regex", "value", "strict_min", "strict_max")
TABLE_MODULES = (
    "articles",
    "sentences",
    "mentions",
    "quotes",
    "stances",
    "actors",
    "rejected_articles",
    "review_verdicts",
)


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
    key: list[str] = field(default_factory=list)  # columns naming a row in a failure's sample
    samples: dict = field(default_factory=dict)  # a table frame's sample of keys per count, once validated


@dataclass
class AggregateFrame(Frame):
    """One row of counts over a stored table (`table_frame`): a failed count reports the
    count itself, not "one row". `sample_sql`: per count, the SQL of the offending rows'
    keys, run only when the count is not zero (`with_samples`)."""

    sample_sql: dict[str, str] = field(default_factory=dict)

    def with_samples(self, conn, df):
        """The frame's row with a `<column>__sample` (JSON) beside each count that is not
        zero: the keys of its first rows. Counting first and sampling only then spares a
        second pass over the stored table for every count that is zero, as nearly all are."""
        for column, sql in self.sample_sql.items():
            if len(df) and df[column].iloc[0]:
                df[column + "__sample"] = conn.execute(
                    f"SELECT to_json(list(s)) FROM ({sql} LIMIT {SAMPLE_KEYS}) s"
                ).fetchone()[0]
        return df


@dataclass
class TableFrame(Frame):
    """A table's main frame, built from SQL pieces so table modules can add derived columns.
    `part`: the SQL expression of a row's part, None for a table without
    parts; `only_parts`: validate only the rows of these parts (and rows without a part).
    A part is a batch and a bucket of its input records (`record_part`)."""

    select: list[str] = field(default_factory=list)
    order: str = ""
    table: str = ""
    part: str | None = None
    only_parts: list[str] | None = None
    # the article columns joined as `a` (a table with article_id other than articles)
    article_columns: str = ""
    articles_todo: list[str] | None = None  # restricted by article: the articles validated
    rows_todo: list[int] | None = None  # restricted by record: the rows (row ids) validated

    def __post_init__(self):
        self.refresh()

    def refresh(self) -> None:
        self.sql = self.slice_sql()

    def restrict(self, parts: list[str] | None, conn) -> None:
        """Validate only the rows of `parts` (None: every row) and the rows without a part.
        They are looked up here on `conn`, once: the articles of the parts, the articles
        gone (and NULL) that rows of the table name (`articles_todo`), or, for a table
        whose part is its own record's, its rows' ids (`rows_todo`: valid as long as
        nothing is written on `conn` before the frame is read, as in `validate_table`)."""
        self.only_parts = None if parts is None or self.part is None else list(parts)
        self.articles_todo = self.rows_todo = None
        listed = ", ".join(sql_literal(p) for p in self.only_parts or ()) or "NULL"
        if self.only_parts is not None and self.part == ARTICLE_PART:
            self.articles_todo = [
                aid
                for (aid,) in conn.execute(
                    f"SELECT article_id FROM articles a WHERE {ARTICLE_PART} IN ({listed}) "
                    # and the articles gone that rows of the table still name (rows without a part)
                    f"UNION SELECT o.article_id FROM {_q(self.table)} o "
                    "ANTI JOIN articles p ON p.article_id = o.article_id ORDER BY 1"
                ).fetchall()
            ]
        elif self.only_parts is not None:
            # the record's part, computed on the row's own small columns: the frame then reads
            # its large ones (the texts) for these rows only (DuckDB fetches rows by id)
            self.rows_todo = [
                r
                for (r,) in conn.execute(
                    f"SELECT t.rowid FROM {_q(self.table)} t WHERE {self.part} IN ({listed}) OR {self.part} IS NULL "
                    "ORDER BY 1"
                ).fetchall()
            ]
        self.refresh()

    def slice_sql(self, slices: int = 1, index: int = 0) -> str:
        """The frame in key order, or its index-th of `slices` slices by a hash of the
        primary key, unordered (sorting the whole table for each slice is what made a
        slice's memory grow with the table; `_slices` sorts the slice itself)."""
        sql = f"SELECT {', '.join(self.select)} FROM {self._source()}{self._where(slices, index)}"
        return sql if slices > 1 else f"{sql} ORDER BY {self.order}"

    def count_sql(self) -> str:
        """The number of rows the frame holds (its parts only, when restricted)."""
        return f"SELECT count(*) FROM {self._source()}{self._where()}"

    def _of_articles(self, column: str) -> str:
        """SQL: `column` is one of the articles whose rows are validated (`articles_todo`,
        looked up once). Both sides of the articles join are cut to them, so only their rows
        are joined. The parts' condition in the WHERE clause alone, ORed with "the article
        is gone", made DuckDB join every row to every article's text first: ten articles
        added to 8,000, the mentions' frame took 0.09 s (0.02 s at 800; docs/scaling.md,
        stop 64)."""
        named = ", ".join(sql_literal(a) for a in self.articles_todo if a is not None)
        # a semi join on a list: DuckDB tests an IN list of constants value by value (226
        # articles took 0.38 s to find among 8,000, 0.02 s this way)
        among = f"{column} IN (SELECT unnest([{named}]::VARCHAR[]))"
        # a row naming no article has no part: validated (only then is the condition an OR)
        return f"({among} OR {column} IS NULL)" if None in self.articles_todo else among

    def _source(self) -> str:
        """The table as `t`, joined to its articles' columns as `a` (both cut to the
        articles validated, when restricted by article)."""
        source = f"{_q(self.table)} t"
        if not self.article_columns:
            return source
        articles = f"SELECT {self.article_columns} FROM articles"
        if self.articles_todo is not None:
            articles += " WHERE " + self._of_articles("article_id")
        return f"{source} LEFT JOIN ({articles}) a ON a.article_id = t.article_id"

    def _where(self, slices: int = 1, index: int = 0) -> str:
        where = []
        if self.articles_todo is not None:
            where.append(self._of_articles("t.article_id"))
        if self.rows_todo is not None:
            where.append(f"t.rowid IN (SELECT unnest([{', '.join(map(str, self.rows_todo))}]::BIGINT[]))")
        if slices > 1:
            key = ", ".join(f"t.{_q(k)}" for k in self.key)
            where.append(f"hash({key}) % {int(slices)} = {int(index)}")
        return " WHERE " + " AND ".join(where) if where else ""


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


@dataclass(frozen=True)
class Validated:
    """A table's outcomes, the fingerprint of what they were computed from, and the run they
    were carried over from (an earlier validation of the same rows and suite), if any."""

    fingerprint: str
    outcomes: list[Outcome]
    validated_in: str | None = None  # the earlier run whose outcomes were kept, if they were
    part_fingerprints: dict | None = None  # {part: fingerprint} of the table's parts now
    parts_validated: tuple | None = None  # the parts whose rows were validated now (None: all)

    @property
    def reused(self) -> bool:
        return self.validated_in is not None

    def outcomes_json(self) -> str:
        return json.dumps([asdict(o) for o in self.outcomes], ensure_ascii=False)

    @staticmethod
    def outcomes_from_json(text: str) -> list[Outcome] | None:
        """The stored outcomes, or None when they cannot be read back (written by another
        version of stancewire): then the table is validated again."""
        try:
            return [Outcome(**o) for o in json.loads(text)]
        except (TypeError, ValueError):
            return None


# Imported by Great Expectations for expectations and metrics no suite here uses (`from
# scipy import stats` in the KL-divergence expectation and two KS-test metrics: a quarter
# of GX's import time, 0.5-0.9 s of the validator's CPU, and the first check of a small run
# waits for that import). Loaded on first use instead (importlib.util.LazyLoader), so that
# anything that does use them still gets the whole module.
DEFERRED_IMPORTS = ("scipy.stats",)
# Python 3.11's lazy module takes no lock of its own while it loads: GX is imported, and
# the deferred modules first used, by one thread at a time (the validator's warm-up thread,
# joined before its calls; the run's process validates in its steps, one after another).
# The lock keeps two first calls of gx() from deferring twice.
_GX_IMPORT = threading.RLock()  # re-entrant: nothing GX imports calls gx(), but a call that did would not hang


def gx():
    with _GX_IMPORT:
        if "great_expectations" not in sys.modules:
            for name in DEFERRED_IMPORTS:
                _defer_import(name)
        import great_expectations

    return great_expectations


def _defer_import(name: str) -> None:
    """Put `name` in sys.modules as a module that executes on its first attribute access;
    nothing when it is imported already or not installed."""
    import importlib.util

    if name in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(name)
    except ImportError:  # its parent package is missing
        return
    if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
        return
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)  # as the import system does for a submodule
    spec.loader.exec_module(module)


def _q(name: str) -> str:
    return f'"{name}"'


def main_frame(table: Table) -> TableFrame:
    """The table's columns that row-wise expectations read; free text only as "is present"
    flags.

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
        free_text = (
            c.type == "VARCHAR"
            and not c.values
            and not c.references
            and c.name not in table.primary_key
            and c.name not in keep
        )
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
    article_columns = ""
    pairs = list(table.offset_pairs) + [(a, b) for a, b in table.raw_offset_pairs]
    if "article_id" in table.column_names and t != "articles":
        # lengths once per article, not once per row (length() reads the whole text)
        article_columns = 'article_id, batch_id, n_chars, length(raw_text) AS raw_chars, "text"'
        if pairs:
            select.append("a.n_chars AS article_n_chars")
            select.append("a.raw_chars AS article_raw_chars")
        for start, end in table.offset_pairs:
            checks += _offset_checks(start, end, "article_n_chars")
        for start, end in table.raw_offset_pairs:
            checks += _offset_checks(start, end, "article_raw_chars")
    order = ", ".join(f"t.{_q(k)}" for k in table.primary_key)
    return TableFrame(
        t,
        "",
        checks,
        key=list(table.primary_key),
        select=select,
        order=order,
        table=t,
        part=part_expression(table),
        article_columns=article_columns,
    )


# A batch's rows are validated in up to this many parts, by input record. Merging actors
# rewrites a few old rows in many batches; with a part per batch, adding ten articles to a
# warehouse built in one 2,000-article batch validated all of its mentions, quotes and
# stances again (44 mentions and 18 quotes had changed). 512 parts keep a part near 16
# articles at 8,000 and the parts' bookkeeping (one row per part and table) small.
PART_BUCKETS = 512


def record_part(alias: str) -> str:
    """SQL: the part of the row of `alias` (a table with batch_id, source_file and
    record_no): its batch and its record's bucket."""
    return f'{alias}."batch_id" || \':\' || (hash({alias}."source_file", {alias}."record_no") % {PART_BUCKETS})'


ARTICLE_PART = record_part("a")  # a row's part is its article's (`a`: the joined articles)


def part_expression(table: Table) -> str | None:
    """A row's part in its main frame: its record's, or its article's (None: no parts)."""
    if "batch_id" in table.column_names:
        assert {"source_file", "record_no"} <= set(table.column_names), table.name
        return record_part("t")
    if "article_id" in table.column_names:
        return ARTICLE_PART
    return None


def _offset_checks(start: str, end: str, length_col: str) -> list[Check]:
    E = gx().expectations
    skip = "either_value_is_missing"
    return [
        Check(E.ExpectColumnValuesToBeBetween(column=start, min_value=0)),
        Check(
            E.ExpectColumnPairValuesAToBeGreaterThanB(column_A=end, column_B=start, or_equal=True, ignore_row_if=skip)
        ),
        Check(
            E.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=length_col, column_B=end, or_equal=True, ignore_row_if=skip
            )
        ),
    ]


SAMPLE_KEYS = 5  # keys of offending rows listed beside a table frame's count


@dataclass
class Aggregate:
    """One column of a table frame: a count over the stored table (SQL), the bounds GX
    checks it against, and optionally the SQL of a sample of the offending rows' keys."""

    column: str
    count_sql: str
    sample_sql: str | None = None
    min_value: int | None = None
    max_value: int | None = 0
    blocking: bool = True


def table_frame(table: Table, extra: list[Aggregate] = ()) -> Frame:
    """One row of aggregates over the whole stored table: duplicate keys, references to
    missing parent rows (references to actors are checked on actors), and the module's
    own (`extra`: row counts, other unique columns)."""
    t = _q(table.name)
    key = ", ".join(_q(k) for k in table.primary_key)
    aggregates = [
        Aggregate(
            "duplicate_keys",
            f"SELECT count(*) FROM (SELECT {key} FROM {t} GROUP BY {key} HAVING count(*) > 1)",
            f"SELECT {key} FROM {t} GROUP BY {key} HAVING count(*) > 1 ORDER BY {key}",
        )
    ]
    for c in table.columns:
        if c.references and c.references[0] not in DEFERRED_REFERENCES:
            parent, pcol = c.references
            missing = (
                f"FROM {t} r WHERE r.{_q(c.name)} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {_q(parent)} p WHERE p.{_q(pcol)} = r.{_q(c.name)})"
            )
            keys = ", ".join(f"r.{_q(k)}" for k in table.primary_key)
            aggregates.append(
                Aggregate(
                    f"{c.name}_not_in_{parent}",
                    f"SELECT count(*) {missing}",
                    f"SELECT {keys} {missing} ORDER BY {keys}",
                )
            )
    aggregates += list(extra)
    return aggregate_frame(f"{table.name}_table", aggregates)


def aggregate_frame(name: str, aggregates: list[Aggregate]) -> Frame:
    """A one-row frame of the aggregates' counts, each checked against its bounds; a
    sample of keys travels in `<column>__sample` (JSON) for the failure report."""
    E = gx().expectations
    select, checks = [], []
    for agg in aggregates:
        select.append(f"({agg.count_sql}) AS {_q(agg.column)}")
        checks.append(
            Check(
                E.ExpectColumnValuesToBeBetween(column=agg.column, min_value=agg.min_value, max_value=agg.max_value),
                blocking=agg.blocking,
            )
        )
    samples = {agg.column: agg.sample_sql for agg in aggregates if agg.sample_sql}
    return AggregateFrame(name, "SELECT " + ", ".join(select), checks, sample_sql=samples)


def row_count(
    table: str, min_value: int | None = None, max_value: int | None = None, blocking: bool = True
) -> Aggregate:
    """The table's row count, between `min_value` and `max_value`."""
    return Aggregate("rows_in_table", f"SELECT count(*) FROM {_q(table)}", None, min_value, max_value, blocking)


def unique_values(table: str, column: str) -> Aggregate:
    """Values of `column` held by more than one row."""
    c, t = _q(column), _q(table)
    dup = f"FROM {t} WHERE {c} IS NOT NULL GROUP BY {c} HAVING count(*) > 1"
    return Aggregate(
        f"duplicate_{column}", f"SELECT count(*) FROM (SELECT {c} {dup})", f"SELECT {c} {dup} ORDER BY {c}"
    )


@functools.cache
def _table_module(table: str):
    if table not in TABLE_MODULES:
        return None
    return importlib.import_module(f"expectations.{table}")


def frames_for(conn, table: str) -> list[Frame]:
    """Every frame (with its expectations) that validates `table`: the main frame first,
    then the table frame, then the module's own."""
    t = TABLES[table]
    frame = main_frame(t)
    aggregates, extra_frames = [], []
    module = _table_module(table)
    if module is not None:
        derived, checks, aggregates, extra_frames = module.expectations(conn)
        frame.select += derived
        frame.refresh()
        frame.checks += checks
    wrong = [_kind(c) for c in frame.checks if _kind(c) not in ROW_WISE]
    if wrong:
        raise ValueError(f"the main frame of {table} holds expectations that are not row-wise: {wrong}")
    return [frame, table_frame(t, aggregates), *extra_frames]


@functools.cache
def _context():
    """One ephemeral GX context per process (creating one costs more than a suite run)."""
    G = gx()  # first: it defers what GX need not import
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = G.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


@functools.cache
def _dataframe_batches(context):
    """The process's one pandas data source and its whole-dataframe batch definition: each
    frame (each slice of a sliced one) is a batch of it in turn (GX computes each
    validation's metrics anew), one at a time: validation in a process is sequential. A data
    source per slice, added and deleted, cost GX a copy of its whole configuration each
    time: 50-75 ms a slice against 15-25 ms."""
    source = context.data_sources.add_pandas("stancewire_frames")
    return source, source.add_dataframe_asset("frame").add_batch_definition_whole_dataframe("slice")


def _forget_batch(source) -> None:
    """Drop what the data source's execution engine holds of the frame just validated: the
    batch, its data and the metrics computed on it (row masks as long as the frame), so that
    a slice's memory is freed before the next one."""
    engine = source.get_execution_engine()
    engine.batch_manager.reset_batch_cache()
    engine.batch_manager.batch_data_cache.clear()
    metrics = getattr(engine, "_metric_cache", None)  # GX 1.x keeps computed metrics here
    if hasattr(metrics, "clear"):
        metrics.clear()


def warm_up() -> None:
    """Import GX and build its context ahead of the checks (the CLI does it in a thread while
    the batch is parsed: importing GX takes seconds)."""
    _context()


def validate_table(conn, table: str, parts: list[str] | None = None) -> list[Outcome]:
    """Run every suite of `table` against the warehouse; one Outcome per expectation.
    `parts`: run the main frame's row-wise expectations on these parts' rows only (and on
    rows without a part); None: on every row."""
    G = gx()
    context = _context()
    outcomes: list[Outcome] = []
    frames = frames_for(conn, table)
    frames[0].restrict(parts, conn)
    for frame in frames:
        results: list[list] = [[] for _ in frame.checks]  # per check: its result in each slice
        for checks, df, sliced in _slices(conn, frame):
            source, slices_of = _dataframe_batches(context)
            try:
                batch = slices_of.get_batch(batch_parameters={"dataframe": df})
                suite = G.ExpectationSuite(name=frame.name)
                for i in checks:
                    expectation = frame.checks[i].expectation
                    expectation.meta = {**(expectation.meta or {}), CHECK_META: i}
                    suite.add_expectation(expectation)
                result = batch.validate(suite, result_format="BOOLEAN_ONLY")
                if not result.success:  # details (observed values, unexpected rows and their keys) only on failure
                    keys = [k for k in getattr(frame, "key", ()) if k in df.columns]
                    result = batch.validate(
                        suite,
                        result_format={"result_format": "SUMMARY", "unexpected_index_column_names": keys}
                        if keys
                        else "SUMMARY",
                    )
                # GX returns results grouped by column, not in the suite's order: the check
                # index travels in each expectation's meta.
                if len(result.results) != len(checks):  # GX merges expectations equal but for meta
                    raise ValueError(f"frame {frame.name} of table {table} has the same expectation twice")
                for res in result.results:
                    results[res.expectation_config.meta[CHECK_META]].append(res)
            finally:  # GX's execution engine keeps the batch it loaded, and its metrics, until the next one
                _forget_batch(source)
            frame.samples = {
                c.removesuffix("__sample"): json.loads(df[c].iloc[0])
                for c in df.columns
                if c.endswith("__sample") and len(df) and df[c].iloc[0] is not None
            }
            del df, batch
            if sliced:  # hand the slice's memory back before the next one
                _release_memory()
        outcomes += [_outcome(table, frame, check, slices) for check, slices in zip(frame.checks, results)]
    return outcomes


def _release_memory() -> None:
    """Free a validated slice's memory and return it to the operating system. GX leaves
    reference cycles behind, and glibc keeps freed memory (DuckDB's query memory included)
    in the process: without this a sliced validation grows slice after slice
    (docs/scaling.md). (malloc_trim is glibc's; elsewhere only the collection runs.)"""
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    libc = ctypes.util.find_library("c")
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(libc).malloc_trim(0)


def _kind(check: Check) -> str:
    return type(check.expectation).__name__


def _slices(conn, frame: Frame):
    """(indices of the frame's checks, pandas frame, whether the frame is cut in slices) for
    each slice of the frame (see the module docstring). A main frame of at most SLICE_ROWS
    rows, and any other frame, is one slice with every check."""
    everything = list(range(len(frame.checks)))
    if isinstance(frame, AggregateFrame):
        yield everything, frame.with_samples(conn, conn.execute(frame.sql).df()), False
        return
    if not isinstance(frame, TableFrame):
        yield everything, conn.execute(frame.sql).df(), False
        return
    rows = conn.execute(frame.count_sql()).fetchone()[0]
    if rows <= SLICE_ROWS:
        yield everything, conn.execute(frame.sql).df(), False
        return
    slices = -(-rows // SLICE_ROWS)
    for k in range(slices):  # every check is row-wise: each holds for the frame when it holds per slice
        df = conn.execute(frame.slice_sql(slices, k)).df()
        yield everything, df.sort_values(frame.key, ignore_index=True), True
        del df


def _outcome(table: str, frame: Frame, check: Check, slices: list) -> Outcome:
    """One expectation's outcome over the slices it was validated on (their GX results)."""
    cfg = slices[0].expectation_config
    kwargs = cfg.kwargs
    frame_keys = set(getattr(frame, "key", ()) or ())
    column = (
        kwargs.get("column")
        or (f"{kwargs.get('column_A')}>={kwargs.get('column_B')}" if "column_A" in kwargs else None)
        or (",".join(kwargs["column_list"]) if "column_list" in kwargs else None)
    )
    failed = [res for res in slices if not res.success]
    counts = [(res.result or {}).get("unexpected_count") for res in slices]
    unexpected = sum(c for c in counts if c is not None) if any(c is not None for c in counts) else None
    details: dict = {}
    if failed:  # what was expected, for the run's failure report
        details["expected"] = {k: _jsonable(v) for k, v in kwargs.items() if k in EXPECTED_KWARGS and v is not None}
    for res in failed or slices[:1]:  # details come from the failing slices
        r = res.result or {}
        if r.get("observed_value") not in (None, []) and (failed or r["observed_value"] != 0):
            details.setdefault("observed_value", _jsonable(r["observed_value"]))
        if r.get("partial_unexpected_index_list"):  # the keys of the first unexpected rows
            details["sample_keys"] = (
                details.get("sample_keys", [])
                + [
                    {k: v for k, v in _jsonable(row).items() if k in frame_keys}
                    for row in r["partial_unexpected_index_list"]
                    if isinstance(row, dict)
                ]
            )[:5]
        if unexpected:
            details["unexpected_count"] = unexpected
        if r.get("partial_unexpected_list"):
            details["partial_unexpected_list"] = (
                details.get("partial_unexpected_list", []) + _jsonable(r["partial_unexpected_list"])
            )[:10]
        if failed and frame.samples.get(column):  # a table frame's count: the keys it counted
            details["sample_keys"] = frame.samples[column]
        if res.exception_info and res.exception_info.get("raised_exception"):
            details.setdefault("exception", str(res.exception_info.get("exception_message"))[:300])
    if failed and len(slices) > 1:
        details["slices"] = len(slices)
    if failed and isinstance(frame, AggregateFrame):  # the count is what failed: report it
        value = (details.pop("partial_unexpected_list", None) or [None])[0]
        details.pop("unexpected_count", None)
        details["observed_value"] = value
        unexpected = value if isinstance(value, int) and column != "rows_in_table" else None
    return Outcome(
        table=table,
        frame=frame.name,
        expectation=cfg.type,
        column=column,
        success=not failed,
        blocking=check.blocking,
        unexpected_count=unexpected,
        details=_bounded_json(details),
    )


def tables_read(frames: list[Frame]) -> list[str]:
    """The warehouse tables the frames' SQL names."""
    words = {w for f in frames for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", f.sql)}
    return sorted(t for t in TABLES if t in words)


def reads(table: str) -> list[str]:
    """The tables `table`'s frames read: itself, the parents it references (references to
    actors are checked on actors), `articles` when it has offsets, and its module's READS."""
    t = TABLES[table]
    out = {table}
    out |= {c.references[0] for c in t.columns if c.references and c.references[0] not in DEFERRED_REFERENCES}
    if (t.offset_pairs or t.raw_offset_pairs) and "article_id" in t.column_names:
        out.add("articles")
    out |= set(getattr(_table_module(table), "READS", ()))
    return sorted(out)


def deferred_columns(table: Table) -> list[str]:
    """Columns none of the table's own frames reads: nullable references to actors, which
    the actors table's frames check over the whole table (`DEFERRED_REFERENCES`; a test
    holds it). The table's own content leaves them out when its outcomes are decided: the
    actor merges rewrite them in old rows after the loaded tables were validated, in the
    same run, and would otherwise send those rows back to validation in the next."""
    return [
        c.name
        for c in table.columns
        if c.references and c.references[0] in DEFERRED_REFERENCES and c.nullable and not c.values
    ]


class Contents:
    """Row count and sum of row hashes of tables, whole and by part (a changed, added or
    removed row changes them), each table scanned once. `own=True`: the content as the
    table's own frames see it, without its `deferred_columns`; else every column (as the
    frames of a table that reads it see it)."""

    def __init__(self, conn):
        self.conn = conn
        self._scans: dict[str, dict | None] = {}
        self._views: dict[tuple, object] = {}  # (kind, table, own) -> parts or whole, built once

    def _scan(self, table: str) -> dict | None:
        """{part: (rows, hash sum of every column, hash sum without the deferred columns)},
        or None for a table without parts."""
        if table not in self._scans:
            t = TABLES[table]
            part = part_expression(t)
            deferred = deferred_columns(t)
            # the columns named (a COLUMNS lambda needs DuckDB 1.3; pyproject allows 1.1)
            own = row_hash_sql(c.name for c in t.columns if c.name not in deferred)
            if part is None:
                sql = None
            elif part != ARTICLE_PART:
                sql = f"SELECT {part}, count(*), sum(hash(*COLUMNS(*))), sum({own}) FROM {_q(table)} t GROUP BY 1"
            else:  # summed per article first: the join with articles then takes one row per article
                # (half the time of joining every row: mentions of 8,000 articles 0.055 s, not 0.127)
                sql = (
                    f"SELECT {part}, sum(x.n), sum(x.h), sum(x.o) FROM (SELECT article_id, count(*) AS n, "
                    f"sum(hash(*COLUMNS(*))) AS h, sum({own}) AS o FROM {_q(table)} GROUP BY article_id) x "
                    "LEFT JOIN articles a USING (article_id) GROUP BY 1"
                )
            self._scans[table] = (
                {part: (rows, every, own) for part, rows, every, own in self.conn.execute(sql).fetchall()}
                if sql
                else None
            )
        return self._scans[table]

    def parts(self, table: str, own: bool = False) -> dict[str | None, str] | None:
        """{part: content} (part None: rows without one), or None for a table without parts."""
        key = ("parts", table, own)
        if key not in self._views:  # asked once per part of each table that reads it
            scan = self._scan(table)
            self._views[key] = (
                None
                if scan is None
                else {part: f"{rows}:{o if own else every}" for part, (rows, every, o) in scan.items()}
            )
        return self._views[key]

    def whole(self, table: str, own: bool = False) -> str:
        key = ("whole", table, own)
        if key not in self._views:
            scan = self._scan(table)
            if scan is None:
                self._views[key] = table_content(self.conn, table)
            else:
                rows = sum(n for n, _, _ in scan.values())
                total = sum(int(o if own else every) for _, every, o in scan.values())
                self._views[key] = f"{rows}:{total if rows else None}"
        return self._views[key]


def data_fingerprint(conn, table: str, code_version: str, contents: Contents | None = None) -> str:
    """SHA-256 over the code version, the versions of the libraries that judge (GX, pandas,
    DuckDB), and the content of every table `table`'s frames read (its own without its
    deferred columns). The frames and their expectations follow from the code and those rows."""
    contents = contents or Contents(conn)
    h = hashlib.sha256(f"{code_version}:{_library_versions()}:{table}".encode())
    for name in reads(table):
        h.update(f"{name}:{contents.whole(name, own=name == table)}".encode())
    return h.hexdigest()


def part_fingerprints(conn, table: str, code_version: str, contents: Contents | None = None) -> dict | None:
    """{part: fingerprint} of the table's main frame: the part's rows (without the deferred
    columns), the same part of each partitioned table it reads, the whole of the others,
    and the code (None for rows without a part: they are always validated). None for a
    table without parts."""
    contents = contents or Contents(conn)
    parts = contents.parts(table, own=True)
    if parts is None:
        return None
    out: dict = {}
    for part in parts:
        if part is None:
            out[None] = None
            continue
        h = hashlib.sha256(f"{code_version}:{_library_versions()}:{table}:{part}".encode())
        for name in reads(table):
            of_part = contents.parts(name, own=name == table)
            content = of_part.get(part) if of_part is not None else contents.whole(name)
            h.update(f"{name}:{content}".encode())
        out[part] = h.hexdigest()
    return out


@functools.cache
def _library_versions() -> str:
    from importlib.metadata import version

    return ",".join(f"{p}={version(p)}" for p in ("great_expectations", "pandas", "duckdb"))


@dataclass
class Plan:
    """What a validation must do. `kept`: tables whose last outcomes still hold;
    `fingerprints`: the others'; `part_fingerprints`: {table: {part: fingerprint}} of those
    with parts; `todo_parts`: {table: parts whose main frame must run} (None: every row)."""

    kept: dict[str, Validated]
    fingerprints: dict[str, str]
    part_fingerprints: dict[str, dict] = field(default_factory=dict)
    todo_parts: dict[str, list[str] | None] = field(default_factory=dict)


def plan(
    conn,
    tables: list[str],
    code_version: str,
    prior: dict[str, tuple[str, str, list[Outcome]]],
    prior_parts: dict[str, dict[str, str]] | None = None,
) -> Plan:
    """Decide, without GX, what must be validated. `prior`: {table: (fingerprint, run id,
    outcomes)} of each table's last validation; `prior_parts`: {table: {part: fingerprint}}
    of the parts whose row-wise expectations passed (None: none are kept, validate every
    row: a full rebuild)."""
    contents = Contents(conn)
    result = Plan({}, {})
    for table in tables:
        fp = data_fingerprint(conn, table, code_version, contents)
        before = prior.get(table)
        if before is not None and before[0] == fp:
            result.kept[table] = Validated(fp, before[2], validated_in=before[1])
            continue
        result.fingerprints[table] = fp
        parts = part_fingerprints(conn, table, code_version, contents)
        if parts is None:
            continue
        result.part_fingerprints[table] = parts
        if prior_parts is None:
            result.todo_parts[table] = None
        else:
            stored = prior_parts.get(table, {})
            todo = sorted(p for p, f in parts.items() if p is not None and stored.get(p) != f)
            # Every part is new or changed (as in a first run): every row, the parts not named.
            # Naming them all put them in each slice's SQL: validating the loaded tables of a
            # first run of 8,000 articles (512 parts a table) took 13.5 s and peaked at 736 MB,
            # against 6 s and 575 MB (docs/scaling.md, stop 63).
            named = [p for p in parts if p is not None]
            result.todo_parts[table] = None if len(todo) == len(named) else todo
    return result


def validate_tables(
    database: str,
    tables: list[str],
    parts: dict[str, list[str] | None] | None = None,
    wait_s: float = 600.0,
    split: bool = False,
) -> dict[str, list[Outcome]]:
    """Each table's outcomes, the warehouse file opened read-only (in the run's validation
    process: the run holds the warehouse lock and has no connection open; a process writing
    the file is waited for, up to `wait_s`). `parts`: per table, the parts whose rows the
    main frame validates (absent or None: every row). `split`: a forked copy of this process
    validates about half of the tables at the same time, where `_can_split` allows it
    (Linux, two cores, memory to spare; see `_forked`)."""
    parts = parts or {}
    if split and len(tables) > 1 and _can_split():
        mine, theirs = balanced_halves(tables)
        with _forked(lambda: _validate_file(database, theirs, parts, wait_s)) as child:
            out = _validate_file(database, mine, parts, wait_s)
        theirs_out = child.result
        if theirs_out is None:  # the copy failed, died or hung: the same work here, its error raised here
            _SPLIT_FAILED.append(child.failure)
            logging.getLogger(__name__).warning(
                "the validator's forked copy %s; its tables are validated in the validator, "
                "which no longer splits in this run",
                child.failure,
            )
            theirs_out = _validate_file(database, theirs, parts, wait_s)
        merged = {**out, **theirs_out}
        return {t: merged[t] for t in tables}
    return _validate_file(database, tables, parts, wait_s)


def _validate_file(database: str, tables: list[str], parts: dict, wait_s: float) -> dict[str, list[Outcome]]:
    from pipeline.storage.warehouse import connect_file, memory_limit

    conn = connect_file(database, read_only=True, wait_s=wait_s)
    try:
        conn.execute("SET memory_limit = ?", [memory_limit()])
        # One DuckDB thread: a parallel aggregate keeps a hash table per thread. Validating
        # the mentions, sentences and quotes of 8,000 articles in full, alone in a process,
        # peaked at 581 MB with two and 535 MB with one, 12 % slower (a scratch measurement);
        # a drop's validation is small either way.
        conn.execute("SET threads = 1")
        return {table: validate_table(conn, table, parts.get(table)) for table in tables}
    finally:
        conn.close()


# Memory the copy may need for its half: the validator's processes (the copy included)
# peaked at 671 MB validating every row of 8,000 articles, 413 MB at 800 (docs/scaling.md,
# stop 47).
SPLIT_MIN_MEMORY_MB = 1024
_SPLIT_FAILED: list[str] = []  # in the validator: why a copy failed; then it splits no more


def _can_split() -> bool:
    """Whether a forked copy may take half of the tables: on Linux (fork after numerical
    libraries are loaded is unsafe on macOS, and only Linux kills the copy with its
    parent), with two or more usable cores, the memory available leaving room for the
    copy's half, and no copy failed earlier in this process."""
    from pipeline.settings import available_memory_mb, usable_cores

    if not sys.platform.startswith("linux") or _SPLIT_FAILED or usable_cores() < 2:
        return False
    memory = available_memory_mb()
    return memory is None or memory >= SPLIT_MIN_MEMORY_MB


# What validating each table cost relative to the others (seconds, every row of 840 PolNeAR
# articles, one process; docs/scaling.md, stop 47); tables not listed count as small.
# Only the split between two processes reads them: a wrong weight costs time, not results.
VALIDATION_WEIGHT = {
    "mentions": 0.44,
    "quotes": 0.30,
    "sentences": 0.21,
    "stances": 0.17,
    "articles": 0.11,
    "article_alignment": 0.09,
    "actors": 0.08,
    "review_verdicts": 0.06,
    "raw_articles": 0.05,
}


def balanced_halves(tables: list[str]) -> tuple[list[str], list[str]]:
    """`tables` in two groups of about equal `VALIDATION_WEIGHT`, heaviest first (longest
    processing time first), each in the order given."""
    loads, groups = [0.0, 0.0], [set(), set()]
    for t in sorted(tables, key=lambda t: -VALIDATION_WEIGHT.get(t, 0.03)):
        i = 0 if loads[0] <= loads[1] else 1
        loads[i] += VALIDATION_WEIGHT.get(t, 0.03)
        groups[i].add(t)
    return [t for t in tables if t in groups[0]], [t for t in tables if t in groups[1]]


class _Forked:
    result = None  # the copy's return value, once read; None when it failed, died or hung
    failure = ""  # why there is no result


# How long the copy may take after the validator's own half is done: this many times that
# half's time, at least FORK_GRACE_S. A copy still running then is taken for hung (a fork
# of a process with threads can deadlock in a library) and killed; its half is validated
# again in the validator.
FORK_GRACE_FACTOR, FORK_GRACE_S = 3.0, 60.0


@contextlib.contextmanager
def _forked(work):
    """Run `work()` in a forked copy of this process while the block runs; on leaving, wait
    for it and set `.result` (None, with `.failure`, when it failed, died or hung). When
    the block raises, the copy is killed at once and the error goes on.

    Why a fork: the copy has Great Expectations imported and its context built (seconds of
    work a new process would repeat), and it shares those pages with this process until
    either writes to them. It is made only in the validator process (`validate_tables`),
    before any DuckDB connection is opened there (DuckDB's threads end when its connection
    closes): each side opens the warehouse read-only on its own. The copy is killed when
    the validator dies (Linux's PR_SET_PDEATHSIG): it holds the pipe by which the run's
    pool notices a dead validator, so a copy left running would delay that notice. It
    leaves with `os._exit`, running none of the parent's exit handlers."""
    import pickle
    import select
    import time

    handle = _Forked()
    parent = os.getpid()
    _before_fork()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the copy
        os.close(read_fd)
        code = 1
        try:
            # Ctrl-C reaches the whole process group: the validator stops the copy (the block
            # raises); a KeyboardInterrupt inside GX's or DuckDB's native code here could
            # crash it instead (an operator saw "exit status -11" after Ctrl-C)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            _die_with_parent(parent)
            data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_fd, "wb") as out:
                out.write(data)
            code = 0
        except BaseException:  # the parent does the work again and raises
            pass
        finally:
            os._exit(code)
    os.close(write_fd)
    started = time.monotonic()
    reaped = False
    try:
        yield handle
        deadline = time.monotonic() + max(FORK_GRACE_S, FORK_GRACE_FACTOR * (time.monotonic() - started))
        chunks = []
        waiting = select.poll()
        waiting.register(read_fd, select.POLLIN | select.POLLHUP)
        while True:  # until the copy closes its end (done, failed or killed), or the deadline
            left = deadline - time.monotonic()
            if left <= 0 or not waiting.poll(left * 1000):
                handle.failure = f"was still running {deadline - started:.0f} s after the split and was stopped"
                break
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
        if not handle.failure:
            _, status = os.waitpid(pid, 0)
            reaped = True
            code = os.waitstatus_to_exitcode(status)
            if code != 0:
                handle.failure = f"failed (exit status {code})"
            else:
                try:
                    handle.result = pickle.loads(b"".join(chunks))
                except Exception as e:  # a cut stream: do the work again
                    handle.failure = f"sent an unreadable result ({type(e).__name__})"
    finally:
        os.close(read_fd)
        if not reaped:  # the block raised, or the copy hung: stop it now
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def _before_fork() -> None:
    """Build here what the copy would otherwise build for itself and leave behind. GX's
    progress bars are off, but its first validation still builds tqdm's lock, a
    multiprocessing semaphore registered with the resource tracker; one built in the copy
    is never unregistered (`os._exit`), and the tracker reports it as leaked when the run
    ends. Built before the fork, the copy inherits it."""
    with contextlib.suppress(ImportError):
        from tqdm import tqdm

        tqdm.get_lock()


def _die_with_parent(parent: int) -> None:
    """In a forked copy: be killed when `parent` ends (Linux's PR_SET_PDEATHSIG), and leave
    at once if it already has."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def _bounded_json(details: dict, limit: int = 1000) -> str:
    """`details` as JSON of at most `limit` characters: the longest parts are left out
    first (a cut string would no longer be JSON)."""
    details = dict(details)
    while True:
        text = json.dumps(details, ensure_ascii=False, default=str)
        if len(text) <= limit or not details:
            return text if len(text) <= limit else "{}"
        parts = [k for k in details if k != "left_out"]
        if not parts:
            return "{}"
        longest = max(parts, key=lambda k: len(json.dumps(details[k], ensure_ascii=False, default=str)))
        details.pop(longest)
        details["left_out"] = sorted(set(details.get("left_out", [])) | {longest})


def _jsonable(v):
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v[:10]]
    if hasattr(v, "item"):
        return v.item()
    return v

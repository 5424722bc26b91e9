"""Build and run the Great Expectations suites of each warehouse table.

A table is validated as one or more *frames*: a SQL query over the warehouse (identifiers
from `pipeline.schema` only, never from data) whose result goes to pandas and through a
GX suite. The main frame holds the table's columns (long texts and bytes replaced by
their lengths) plus derived columns such as `article_id_in_articles` or
`article_n_chars`, so that references and offsets are checked by ordinary GX
expectations.

A frame of more than `SLICE_ROWS` rows is validated in slices, so validation memory stays
flat as tables grow: row-wise expectations hold for the table when they hold for every
slice; a table's main frame is cut by a hash of its primary key, so that duplicate keys
always share a slice and key uniqueness is decided exactly; row counts are checked on a
one-byte-per-row frame of the whole table. The outcomes of the slices are merged into one
per expectation.

`validate_tables` runs in a separate process when the run started one (see
`pipeline.steps.pool.start_helper`): importing GX takes seconds, which that process spends
while the batch is parsed, and its memory is not the run's.

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
import re
import uuid
from dataclasses import asdict, dataclass, field

import expectations  # noqa: F401  (sets GX_ANALYTICS_ENABLED before GX is imported)
from pipeline.schema import TABLES, Table

SLICE_ROWS = 100_000  # rows of a frame validated at once
CHECK_META = "stancewire_check"  # the index of an expectation's Check in its frame
# Expectations on the whole table rather than on each row.
TABLE_LEVEL = ("ExpectTableRowCountToBeBetween",)
UNIQUENESS = ("ExpectColumnValuesToBeUnique", "ExpectCompoundColumnsToBeUnique")
# Expectations that hold for a frame when they hold for each of its slices. A frame with any
# other kind (a mean, distinct values, ordering...) is validated whole.
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
    table: str = ""
    key: list[str] = field(default_factory=list)  # primary key columns

    def __post_init__(self):
        self.refresh()

    def refresh(self) -> None:
        self.sql = self.slice_sql()

    def slice_sql(self, slices: int = 1, index: int = 0) -> str:
        """The frame in key order, or its index-th of `slices` slices by a hash of the
        primary key, unordered (sorting the whole table for each slice is what made a
        slice's memory grow with the table; `_slices` sorts the slice itself)."""
        if slices <= 1:
            return f"SELECT {', '.join(self.select)} FROM {self.source} ORDER BY {self.order}"
        key = ", ".join(f"t.{_q(k)}" for k in self.key)
        return f"SELECT {', '.join(self.select)} FROM {self.source} WHERE hash({key}) % {int(slices)} = {int(index)}"


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
        if c.references and c.references[0] not in DEFERRED_REFERENCES:
            parent, pcol = c.references
            derived = f"{c.name}_in_{parent}"
            select.append(
                f"CASE WHEN t.{_q(c.name)} IS NULL THEN NULL ELSE t.{_q(c.name)} IN "
                f"(SELECT {_q(pcol)} FROM {_q(parent)}) END AS {_q(derived)}"
            )
            checks.append(Check(E.ExpectColumnValuesToBeInSet(column=derived, value_set=[True])))
    if len(table.primary_key) == 1:
        checks.append(Check(E.ExpectColumnValuesToBeUnique(column=table.primary_key[0])))
    else:
        checks.append(Check(E.ExpectCompoundColumnsToBeUnique(column_list=list(table.primary_key))))
    join = ""
    pairs = list(table.offset_pairs) + [(a, b) for a, b in table.raw_offset_pairs]
    if pairs and "article_id" in table.column_names:
        # lengths once per article, not once per row (length() reads the whole text)
        join = (
            ' LEFT JOIN (SELECT article_id, n_chars, length(raw_text) AS raw_chars, "text" FROM articles) a '
            "ON a.article_id = t.article_id"
        )
        select.append("a.n_chars AS article_n_chars")
        select.append("a.raw_chars AS article_raw_chars")
        for start, end in table.offset_pairs:
            checks += _offset_checks(start, end, "article_n_chars")
        for start, end in table.raw_offset_pairs:
            checks += _offset_checks(start, end, "article_raw_chars")
    order = ", ".join(f"t.{_q(k)}" for k in table.primary_key)
    return TableFrame(
        t, "", checks, select=select, source=f"{_q(t)} t{join}", order=order, table=t, key=list(table.primary_key)
    )


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
    outcomes: list[Outcome] = []
    for n, frame in enumerate(frames_for(conn, table)):
        results: list[list] = [[] for _ in frame.checks]  # per check: its result in each slice
        for k, (checks, df, sliced) in enumerate(_slices(conn, frame)):
            # A data source per slice, deleted after it: GX's execution engine keeps every
            # batch it loaded (BatchManager's cache has no bound).
            source = context.data_sources.add_pandas(f"{table}_{n}_{k}_{uuid.uuid4().hex[:8]}")
            try:
                batch = (
                    source.add_dataframe_asset("frame")
                    .add_batch_definition_whole_dataframe("slice")
                    .get_batch(batch_parameters={"dataframe": df})
                )
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
            finally:
                context.data_sources.delete(source.name)
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
    each slice of the frame (see the module docstring). A frame of at most SLICE_ROWS rows
    is one slice with every check."""
    everything = list(range(len(frame.checks)))
    kinds = [_kind(c) for c in frame.checks]
    if any(kind not in ROW_WISE + UNIQUENESS + TABLE_LEVEL for kind in kinds):
        yield everything, conn.execute(frame.sql).df(), False
        return
    if isinstance(frame, TableFrame):
        rows = conn.execute(f"SELECT count(*) FROM {_q(frame.table)}").fetchone()[0]
        by_key = all(
            _unique_columns(c.expectation) == set(frame.key)
            for c, kind in zip(frame.checks, kinds)
            if kind in UNIQUENESS
        )
        if rows <= SLICE_ROWS or not by_key:  # (uniqueness of other columns needs the whole frame)
            yield everything, conn.execute(frame.sql).df(), False
            return
        table_level = [i for i in everything if kinds[i] in TABLE_LEVEL]
        row_wise = [i for i in everything if kinds[i] not in TABLE_LEVEL]
        slices = -(-rows // SLICE_ROWS)
        for k in range(slices):  # a key's duplicates share its slice: uniqueness per slice is exact
            df = conn.execute(frame.slice_sql(slices, k)).df()
            yield row_wise, df.sort_values(frame.key, ignore_index=True), True
            del df
        if table_level:  # one byte a row: what a row count needs
            yield table_level, conn.execute(f"SELECT true AS row_present FROM {_q(frame.table)}").df(), True
        return
    if any(kind in UNIQUENESS or kind in TABLE_LEVEL for kind in kinds):
        yield everything, conn.execute(frame.sql).df(), False
        return
    cursor = conn.cursor()  # its own result: the connection's last one may be unfinished
    try:
        relation = cursor.sql(frame.sql)
        reader = (
            relation.to_arrow_reader
            if hasattr(relation, "to_arrow_reader")  # DuckDB 2
            else relation.fetch_record_batch
        )(SLICE_ROWS)
        batches = 0
        for record_batch in reader:
            batches += 1
            yield everything, record_batch.to_pandas(), record_batch.num_rows == SLICE_ROWS or batches > 1
        if not batches:
            yield everything, reader.schema.empty_table().to_pandas(), False
    finally:
        cursor.close()


def _unique_columns(expectation) -> set[str]:
    return set(getattr(expectation, "column_list", None) or [getattr(expectation, "column", None)])


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
        if res.exception_info and res.exception_info.get("raised_exception"):
            details.setdefault("exception", str(res.exception_info.get("exception_message"))[:300])
    if len(slices) > 1:
        details["slices"] = len(slices)
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


def data_fingerprint(conn, table: str, code_version: str, contents: dict[str, str] | None = None) -> str:
    """SHA-256 over the code version, the versions of the libraries that judge (GX, pandas,
    DuckDB), and the content of every table `table`'s frames read. The frames and their
    expectations follow from the code and those rows. `contents`: table contents already
    hashed (see table_content)."""
    contents = {} if contents is None else contents
    h = hashlib.sha256(f"{code_version}:{_library_versions()}:{table}".encode())
    for name in reads(table):
        if name not in contents:
            contents[name] = table_content(conn, name)
        h.update(f"{name}:{contents[name]}".encode())
    return h.hexdigest()


def table_content(conn, table: str) -> str:
    """Row count and the sum of row hashes: a changed, added or removed row changes it."""
    rows, total = conn.execute(f"SELECT count(*), sum(hash(*COLUMNS(*))) FROM {_q(table)}").fetchall()[0]
    return f"{rows}:{total}"


@functools.cache
def _library_versions() -> str:
    from importlib.metadata import version

    return ",".join(f"{p}={version(p)}" for p in ("great_expectations", "pandas", "duckdb"))


def unchanged(
    conn, tables: list[str], code_version: str, prior: dict[str, tuple[str, str, list[Outcome]]]
) -> tuple[dict[str, Validated], dict[str, str]]:
    """The tables whose last outcomes still hold ({table: Validated, reused}) and the
    fingerprints of the others ({table: fingerprint}). `prior`: {table: (fingerprint, run
    id, outcomes)} of each table's last validation. Needs no GX; hashes each table once."""
    kept, fingerprints, contents = {}, {}, {}
    for table in tables:
        fp = data_fingerprint(conn, table, code_version, contents)
        before = prior.get(table)
        if before is not None and before[0] == fp:
            kept[table] = Validated(fp, before[2], validated_in=before[1])
        else:
            fingerprints[table] = fp
    return kept, fingerprints


def validate_tables(database: str, tables: list[str]) -> dict[str, list[Outcome]]:
    """Each table's outcomes, the warehouse file opened read-only (in the run's validation
    process: the run holds the warehouse lock and has no connection open)."""
    import duckdb

    from pipeline.storage.warehouse import memory_limit

    conn = duckdb.connect(database, read_only=True)
    try:
        conn.execute("SET memory_limit = ?", [memory_limit()])
        return {table: validate_table(conn, table) for table in tables}
    finally:
        conn.close()


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

"""Compare two releases table by table, by primary key: rows added, removed and changed,
columns added or removed, types changed (`stancewire release diff`, and the changelog).
Data text is made visible for a terminal (`_plain`) or escaped for Markdown by the caller.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from pipeline.release.versions import DATAPACKAGE, ReleaseError, read_manifest, sha256_file
from pipeline.schema import RELEASED_TABLES, TABLES, sql_literal

SAMPLE_KEYS = 20  # keys listed per table and kind of change


# How each released table's rows are named in a diff or changelog, besides their key.
LABEL_COLUMN = {"articles": "title", "actors": "name", "codebook_targets": "label"}
# The input record a row came from: the same record under a new primary key is an edit (an
# article without an id of its own is named by its text's hash, so an edited text is a new id).
RECORD_COLUMNS = {"articles": ("batch_id", "source_file", "record_no")}


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class TableDiff:
    table: str
    status: str  # same | changed | added | removed (the table itself)
    rows_before: int = 0
    rows_after: int = 0
    added: int = 0
    removed: int = 0
    changed: int = 0
    edited: int = 0  # of the added rows, those of an input record that a removed row came from (RECORD_COLUMNS)
    primary_key: list[str] = field(default_factory=list)
    added_keys: list[list] = field(default_factory=list)  # [key..., label?] samples
    removed_keys: list[list] = field(default_factory=list)
    changed_keys: list[list] = field(default_factory=list)
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    types_changed: list[list[str]] = field(default_factory=list)  # [column, old type, new type]
    note: str = ""

    @property
    def schema_changed(self) -> bool:
        return bool(self.columns_added or self.columns_removed or self.types_changed) or self.status in (
            "added",
            "removed",
        )


@dataclass
class ReleaseDiff:
    old: str
    new: str
    tables: list[TableDiff]

    def table(self, name: str) -> TableDiff:
        return next(t for t in self.tables if t.table == name)

    @property
    def schema_changed(self) -> bool:
        return any(t.schema_changed for t in self.tables)

    def to_json(self) -> dict:
        return {
            "old": self.old,
            "new": self.new,
            "schema_changed": self.schema_changed,
            "tables": [asdict(t) for t in self.tables],
        }


def _release_tables(folder: Path) -> dict[str, Path]:
    """table name -> Parquet file of a release folder (from its manifest, else the files)."""
    manifest = folder / "manifest.json"
    if manifest.is_file():
        tables = json.loads(manifest.read_text(encoding="utf-8")).get("tables", {})
        return {name: folder / t["file"] for name, t in tables.items()}
    return {p.stem: p for p in sorted(folder.glob("*.parquet"))}


def _primary_keys(folder: Path) -> dict[str, list[str]]:
    """Primary keys as the release declared them (datapackage.json), else the current schema's."""
    keys = {name: list(t.primary_key) for name, t in TABLES.items()}
    dp = folder / DATAPACKAGE
    if dp.is_file():
        for res in json.loads(dp.read_text(encoding="utf-8")).get("resources", []):
            pk = res.get("schema", {}).get("primaryKey")
            if pk:
                keys[res["name"]] = [pk] if isinstance(pk, str) else list(pk)
    return keys


def _columns(conn, view: str) -> dict[str, str]:
    return {r[0]: r[1] for r in conn.execute(f"DESCRIBE {_ident(view)}").fetchall()}


def diff_folders(
    old_dir: Path, new_dir: Path, old_name: str | None = None, new_name: str | None = None, sample: int = SAMPLE_KEYS
) -> ReleaseDiff:
    """Compare two release folders table by table: rows added, removed and changed (same
    primary key, other values), and schema changes (columns added, removed, retyped)."""
    old_dir, new_dir = Path(old_dir), Path(new_dir)
    old_files, new_files = _release_tables(old_dir), _release_tables(new_dir)
    old_keys, new_keys = _primary_keys(old_dir), _primary_keys(new_dir)
    order = [t for t in RELEASED_TABLES if t in old_files or t in new_files]
    order += sorted((set(old_files) | set(new_files)) - set(order))
    conn = duckdb.connect()
    try:
        from pipeline.storage.warehouse import memory_limit

        # Two threads: the hashed comparison reads both files in parallel (1.9 s -> 1.25 s for
        # a ten-article drop on 8,000 articles); memory capped as the warehouse's connections.
        conn.execute("SET threads = 2")
        conn.execute("SET memory_limit = ?", [memory_limit()])
        out = []
        for name in order:
            out.append(
                _diff_table(
                    conn, name, old_files.get(name), new_files.get(name), old_keys.get(name), new_keys.get(name), sample
                )
            )
    finally:
        conn.close()
    return ReleaseDiff(old_name or old_dir.name, new_name or new_dir.name, out)


def _same_bytes(a: Path, b: Path) -> bool:
    """Whether two files hold the same bytes (a file linked from the previous release is
    the same file: nothing to read)."""
    a, b = Path(a), Path(b)
    if a.samefile(b):
        return True
    return a.stat().st_size == b.stat().st_size and sha256_file(a) == sha256_file(b)


def _diff_table(conn, name, old_file, new_file, old_pk, new_pk, sample) -> TableDiff:
    if old_file is not None:
        conn.execute(f"CREATE OR REPLACE TEMP VIEW a AS SELECT * FROM read_parquet({sql_literal(old_file)})")
    if new_file is not None:
        conn.execute(f"CREATE OR REPLACE TEMP VIEW b AS SELECT * FROM read_parquet({sql_literal(new_file)})")
    count = lambda v: conn.execute(f"SELECT count(*) FROM {v}").fetchall()[0][0]
    if old_file is None:
        n = count("b")
        return TableDiff(
            name, "added", 0, n, added=n, primary_key=new_pk or [], columns_added=list(_columns(conn, "b"))
        )
    if new_file is None:
        n = count("a")
        return TableDiff(
            name, "removed", n, 0, removed=n, primary_key=old_pk or [], columns_removed=list(_columns(conn, "a"))
        )
    if old_pk == new_pk and _same_bytes(old_file, new_file):  # an unchanged table: nothing to compare
        n = count("b")
        return TableDiff(name, "same", n, n, primary_key=new_pk or [])
    ca, cb = _columns(conn, "a"), _columns(conn, "b")
    d = TableDiff(name, "same", count("a"), count("b"), primary_key=new_pk or [])
    d.columns_added = [c for c in cb if c not in ca]
    d.columns_removed = [c for c in ca if c not in cb]
    d.types_changed = [[c, ca[c], cb[c]] for c in cb if c in ca and ca[c] != cb[c]]
    pk = new_pk if new_pk and new_pk == old_pk and all(k in ca and k in cb for k in new_pk) else None
    if pk is None:
        # No common key: compare the rows as multisets over the common columns.
        common = [c for c in cb if c in ca]
        sel = ", ".join(_ident(c) for c in common)
        d.added = conn.execute(f"SELECT count(*) FROM (SELECT {sel} FROM b EXCEPT ALL SELECT {sel} FROM a)").fetchall()[
            0
        ][0]
        d.removed = conn.execute(
            f"SELECT count(*) FROM (SELECT {sel} FROM a EXCEPT ALL SELECT {sel} FROM b)"
        ).fetchall()[0][0]
        d.note = "no common primary key: rows compared as a whole"
    else:
        on = " AND ".join(f"x.{_ident(k)} = y.{_ident(k)}" for k in pk)
        keys = ", ".join(f"x.{_ident(k)}" for k in pk)
        label = LABEL_COLUMN.get(name)
        label_sel = lambda src: (
            f", CAST({src}.{_ident(label)} AS VARCHAR)" if label and label in ca and label in cb else ""
        )
        order = ", ".join(f"x.{_ident(k)}" for k in pk)

        def anti(x, y):
            n = conn.execute(f"SELECT count(*) FROM {x} AS x ANTI JOIN {y} AS y ON {on}").fetchall()[0][0]
            rows = conn.execute(
                f"SELECT {keys}{label_sel('x')} FROM {x} AS x ANTI JOIN {y} AS y ON {on} "
                f"ORDER BY {order} LIMIT {int(sample)}"
            ).fetchall()
            return n, [list(r) for r in rows]

        others = [c for c in cb if c in ca and c not in pk]
        if list(ca.items()) == list(cb.items()):  # the same columns, types and order: one pass over each file
            _hashed_diff(conn, d, pk, label if label and label in cb else None, sample)
        else:
            d.added, d.added_keys = anti("b", "a")
            d.removed, d.removed_keys = anti("a", "b")
        if others and list(ca.items()) != list(cb.items()):
            # a retyped column compares the old value cast to the new type (1 -> 1.0 is no change)
            old_value = lambda c: f"TRY_CAST(y.{_ident(c)} AS {cb[c]})" if ca[c] != cb[c] else f"y.{_ident(c)}"
            differs = " OR ".join(f"x.{_ident(c)} IS DISTINCT FROM {old_value(c)}" for c in others)
            where = f"FROM b AS x JOIN a AS y ON {on} WHERE {differs}"
            d.changed = conn.execute(f"SELECT count(*) {where}").fetchall()[0][0]
            d.changed_keys = [
                list(r)
                for r in conn.execute(
                    f"SELECT {keys}{label_sel('x')} {where} ORDER BY {order} LIMIT {int(sample)}"
                ).fetchall()
            ]
        if d.added and d.removed and name in RECORD_COLUMNS and all(c in ca and c in cb for c in RECORD_COLUMNS[name]):
            d.edited = edited_records(conn, name, "b", "a", pk)
    if d.added or d.removed or d.changed or d.schema_changed:
        d.status = "changed"
    return d


def edited_records(conn, table: str, new: str, old: str, pk: list[str]) -> int:
    """How many added rows (keys of `new` that `old` lacks) come from the input record of a
    removed row (keys of `old` that `new` lacks; `RECORD_COLUMNS`): edits, counted among both
    the added and the removed. `new` and `old` may hold more rows than those (changed ones)."""
    record = ", ".join(_ident(c) for c in RECORD_COLUMNS[table])
    keys = ", ".join(_ident(k) for k in pk)
    on = " AND ".join(f"a.{_ident(k)} = b.{_ident(k)}" for k in pk)
    added = f"(SELECT {keys}, {record} FROM {new} AS a WHERE NOT EXISTS (SELECT 1 FROM {old} AS b WHERE {on}))"
    removed = f"(SELECT {record} FROM {old} AS a WHERE NOT EXISTS (SELECT 1 FROM {new} AS b WHERE {on}))"
    pairs = f"SELECT DISTINCT {', '.join('x.' + _ident(k) for k in pk)} FROM {added} AS x JOIN {removed} AS y USING ({record})"
    return conn.execute(f"SELECT count(*) FROM ({pairs})").fetchone()[0]


def count_and_sample(conn, frm: str, select: str, key: list[str], sample: int) -> tuple[int, list[list]]:
    """The rows of `frm` (an SQL FROM clause naming its rows `x`): how many, and the first
    `sample` of them by `key` (`select`: their key columns, and label)."""
    n = conn.execute(f"SELECT count(*) {frm}").fetchone()[0]
    order = ", ".join(f"x.{_ident(k)}" for k in key)
    rows = conn.execute(f"SELECT {select} {frm} ORDER BY {order} LIMIT {int(sample)}").fetchall() if n else []
    return n, [list(r) for r in rows]


def _hashed_diff(conn, d: TableDiff, pk: list[str], label: str | None, sample: int) -> None:
    """Rows added, removed and changed between views a (old) and b (new) of one schema, each
    file read once: its keys, a hash of each row (and the label) into a temporary table,
    then joins on the key (a changed row whose 64-bit hash stays equal, about one in 2^64,
    would go unnoticed)."""
    keys = ", ".join(_ident(k) for k in pk)
    lab = f", CAST({_ident(label)} AS VARCHAR) AS __row_label" if label else ""
    for side in ("a", "b"):
        conn.execute(
            f"CREATE OR REPLACE TEMP TABLE h{side} AS SELECT {keys}, hash(*COLUMNS(*)) AS __row_hash{lab} FROM {side}"
        )
    on = " AND ".join(f"x.{_ident(k)} = y.{_ident(k)}" for k in pk)
    sel = ", ".join(f"x.{_ident(k)}" for k in pk) + (", x.__row_label" if label else "")

    def counted(frm: str) -> tuple[int, list[list]]:
        return count_and_sample(conn, frm, sel, pk, sample)

    d.added, d.added_keys = counted(f"FROM hb AS x ANTI JOIN ha AS y ON {on}")
    d.removed, d.removed_keys = counted(f"FROM ha AS x ANTI JOIN hb AS y ON {on}")
    if len(d.primary_key) < len(_columns(conn, "b")):  # columns besides the key: rows can change
        d.changed, d.changed_keys = counted(f"FROM hb AS x JOIN ha AS y ON {on} WHERE x.__row_hash <> y.__row_hash")
    conn.execute("DROP TABLE ha")
    conn.execute("DROP TABLE hb")


def diff_versions(releases_dir: Path, old: str, new: str) -> ReleaseDiff:

    for v in (old, new):
        read_manifest(releases_dir, v)  # raises ReleaseError for an unknown version
    if old == new:
        raise ReleaseError("give two different versions")
    return diff_folders(releases_dir / old, releases_dir / new, old, new)


def edited_note(edited: int) -> str:
    """What an edit count means, for the CHANGELOG and `release diff`."""
    what = "is an edited record" if edited == 1 else "are edited records"
    return (
        f"{edited} of the added {what}: the same input file and record as a removed one, "
        "with another text (an article without an id of its own is named by its text)"
    )


def counted(count: int, noun: str) -> str:
    """ "3 articles", "1 article"."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _plain(value) -> str:
    """Data text for a terminal: control characters (escape sequences) made visible."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", lambda m: f"\\x{ord(m[0]):02x}", str(value))


def _key_text(row: list, n_key: int, labelled: bool) -> str:
    key = ", ".join(_plain(v) for v in row[:n_key])
    if labelled and len(row) > n_key and row[n_key] is not None:
        return f"{key}  \u201c{_plain(row[n_key])}\u201d"
    return key


def format_diff(diff: ReleaseDiff) -> str:
    """The diff as the `release diff` command prints it."""
    lines = [
        f"release diff {diff.old} -> {diff.new}",
        "schema: " + ("changed" if diff.schema_changed else "unchanged"),
        "",
    ]
    width = max(len(t.table) for t in diff.tables) if diff.tables else 5
    lines.append(f"{'table':<{width}}  {'before':>8}  {'after':>8}  {'added':>7}  {'removed':>7}  {'changed':>7}")
    for t in diff.tables:
        lines.append(
            f"{t.table:<{width}}  {t.rows_before:>8}  {t.rows_after:>8}  {t.added:>7}  {t.removed:>7}  "
            f"{t.changed:>7}" + (f"  ({t.status} table)" if t.status in ("added", "removed") else "")
        )
    for t in diff.tables:
        if t.edited:
            lines += ["", f"{t.table}: {edited_note(t.edited)}"]
    for t in diff.tables:
        n = len(t.primary_key)
        labelled = t.table in LABEL_COLUMN
        for kind, total, keys, sign in (
            ("added", t.added, t.added_keys, "+"),
            ("removed", t.removed, t.removed_keys, "-"),
            ("changed", t.changed, t.changed_keys, "~"),
        ):
            if total and keys:
                lines += ["", f"{t.table}: {total} {kind}" + (f" (first {len(keys)})" if total > len(keys) else "")]
                lines += [f"  {sign} {_key_text(k, n, labelled)}" for k in keys]
        for c in t.columns_added:
            lines.append(f"{t.table}: column added: {c}")
        for c in t.columns_removed:
            lines.append(f"{t.table}: column removed: {c}")
        for c, a, b in t.types_changed:
            lines.append(f"{t.table}: column {c}: type {a} -> {b}")
        if t.note:
            lines.append(f"{t.table}: {t.note}")
    return "\n".join(lines) + "\n"

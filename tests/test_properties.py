"""Issue #7, property-based tests (hypothesis) of ingest and cleaning:

- no exception escapes ingest for any byte string, whatever the file's extension;
- every offset cleaning stores is inside the article and maps back to the raw text
  (copy segments character for character, the rest as blocks inside the raw text);
- every input record is accounted for: articles + rejected + duplicates = records,
  through the real staging and loading code (no spaCy: the loader needs none).

Example counts are modest so the file runs in seconds."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.steps.load import load_warehouse
from pipeline.steps.per_batch import stage_files
from pipeline.storage.staging import Staging
from pipeline.storage.warehouse import ensure_schema
from pipeline.text.clean import clean_text
from pipeline.text.ingest import TEXT_SUFFIXES, decode_bytes, ingest_folder, read_file

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters that make cleaning work: mojibake, HTML entities, ligatures, control and
# format characters, every kind of line break and space, combining marks, emoji, RTL.
NASTY = [
    "Ã©",
    "â€™",
    "â€œ",
    "Ã ",
    "&amp;",
    "&nbsp;",
    "ﬁ",
    "\x00",
    "\x07",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\r\n",
    "\r",
    "\n\n",
    "\t",
    "\xa0",
    "\u3000",
    "\u200b",
    "\ufeff",
    "\u202e",
    "e\u0301",
    "👨‍👩‍👧",
    "שלום",
    "“",
    "”",
    ".",
    "Mr.",
    "Source: Wire",
    "By Jane Doe",
    "The original article: x",
]
text_st = st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=12)), max_size=30).map("".join)


@FAST
@given(data=st.binary(max_size=3000), suffix=st.sampled_from(sorted(TEXT_SUFFIXES) + [".bin", ""]))
def test_no_exception_escapes_ingest_for_any_bytes(data, suffix):
    decode_bytes(data)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"f{suffix}"
        path.write_bytes(data)
        records, rejections = read_file(path, path.name, "b", Path(tmp).resolve())
    assert records or rejections
    for r in rejections:
        assert r.source_file == path.name and r.record_no >= 1 and r.reason and r.detail


@FAST
@given(
    lines=st.lists(
        st.one_of(
            st.text(max_size=40).filter(lambda s: "\n" not in s and "\r" not in s),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                lambda c: (
                    st.lists(c, max_size=3)
                    | st.dictionaries(st.sampled_from(["id", "text", "title", "body"]), c, max_size=4)
                ),
                max_leaves=8,
            ).map(lambda v: json.dumps(v, ensure_ascii=False)),
        ),
        max_size=12,
    )
)
def test_every_jsonl_line_is_a_record_or_a_rejection(lines):
    text = "\n".join(lines)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.jsonl"
        path.write_text(text, encoding="utf-8")
        records, rejections = read_file(path, "x.jsonl", "b", Path(tmp).resolve())
    decoded = decode_bytes(text.encode("utf-8"))
    non_blank = [no for no, line in enumerate((decoded[0] if decoded else "").split("\n"), 1) if line.strip()]
    got = sorted([r.record_no for r in records] + [r.record_no for r in rejections])
    if not text.strip() or decoded is None:
        assert len(got) == 1
    else:
        assert got == non_blank


def _check_alignment(raw: str, cleaned) -> None:
    text, segs = cleaned.text, cleaned.alignment.segments
    position, raw_position = 0, 0
    for s in segs:
        assert s.clean_start == position and s.clean_end > s.clean_start
        assert 0 <= s.raw_start <= s.raw_end <= len(raw)
        assert s.raw_start >= raw_position  # raw ranges move forward with the text
        raw_position = s.raw_start
        if s.is_copy:
            assert text[s.clean_start : s.clean_end] == raw[s.raw_start : s.raw_end]
        position = s.clean_end
    assert position == len(text)


@FAST
@given(raw=text_st, has_title=st.booleans())
def test_cleaning_offsets_are_inside_and_map_back(raw, has_title):
    cleaned = clean_text(raw, has_title_line=has_title)
    _check_alignment(raw, cleaned)
    n = len(cleaned.text)
    for start in range(0, n + 1, max(1, n // 7)):
        for end in (start, min(n, start + 1), min(n, start + 5), n):
            rs, re_ = cleaned.alignment.raw_span(start, end)
            assert 0 <= rs <= re_ <= len(raw)
            if (
                end > start
                and all(s.is_copy for s in cleaned.alignment.segments if s.clean_start < end and s.clean_end > start)
                and len({s for s in cleaned.alignment.segments if s.clean_start < end and s.clean_end > start}) == 1
            ):
                assert raw[rs:re_] == cleaned.text[start:end]


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.large_base_example, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(raw=st.lists(st.sampled_from(NASTY + [" word", " Peace", "."]), min_size=2000, max_size=4000).map("".join))
def test_cleaning_long_paragraphs_with_repairs_is_exact(raw):
    """Long texts go through the windowed alignment (pipeline.text.clean._opcodes)."""
    _check_alignment(raw, clean_text(raw))


TEXTS = [
    "The minister said the plan would work.",
    "Ã©tÃ© was hot, the mayor said.",
    "  ",
    "The minister said the plan would work.\n",
    "A third text.",
    "",
]
record_st = st.one_of(
    st.fixed_dictionaries(
        {"text": st.sampled_from(TEXTS)},
        optional={
            "id": st.sampled_from(["a", "b", "../x", "'; DROP TABLE articles; --", 7]),
            "title": st.text(max_size=10),
        },
    ),
    st.sampled_from([[1], "str", None, {"title": "no text"}, {"text": 5}]),
)
jsonl_st = st.lists(
    st.one_of(
        record_st.map(lambda v: json.dumps(v, ensure_ascii=False)), st.sampled_from(["{broken", "", "   ", "[" * 3000])
    ),
    min_size=0,
    max_size=8,
)
json_value_st = st.one_of(record_st, st.just({"text": "x" * 10, "id": "a"}))
# A folder: file name -> content; each file's number of records is known from how it is built.
folder_st = st.fixed_dictionaries(
    {},
    optional={
        "a.jsonl": jsonl_st,
        "sub dir/b.jsonl": jsonl_st,
        "c.json": st.lists(json_value_st, max_size=4),
        "d.txt": st.one_of(st.sampled_from(TEXTS), st.binary(max_size=300)),
        "e.txt": st.sampled_from(TEXTS),
        "f.html": st.sampled_from(["<p>The mayor said the park would open.</p>", "<html></html>", "\x00\x01"]),
    },
).filter(bool)


def _write(path: Path, content) -> int:
    """Write one file; return how many input records it holds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".jsonl":
        path.write_text("\n".join(content), encoding="utf-8")
        return max(1, sum(1 for line in content if line.strip()))  # no line at all: one empty_file rejection
    if path.suffix == ".json":
        path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
        return max(1, len(content))
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(folders=st.lists(folder_st, min_size=1, max_size=2))
def test_every_record_is_an_article_a_duplicate_or_a_rejection(folders):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        staging = Staging(tmp / "staging")
        expected = {}
        for n, files in enumerate(folders):
            batch = f"batch{n}"
            expected[batch] = sum(_write(tmp / batch / name, content) for name, content in files.items())
            stage_files(tmp / batch, batch, staging, "code")
            files_json = json.loads((staging.batch_dir(batch) / "files.json").read_text(encoding="utf-8"))
            staging.write_manifest(batch, files_json)  # what stage_nlp writes last (no NLP needed here)
        conn = duckdb.connect()
        ensure_schema(conn)
        load_warehouse(conn, staging)
        for batch, count in expected.items():
            got = [
                conn.execute(f"SELECT count(*) FROM {t} WHERE batch_id = ?", [batch]).fetchone()[0]
                for t in ("articles", "rejected_articles", "duplicate_articles")
            ]
            assert sum(got) == count, (batch, got, count)
        # Offsets stored for every article are inside it; copy segments map back exactly.
        bad = conn.execute("""
            SELECT count(*) FROM article_alignment g JOIN articles a USING (article_id)
            WHERE g.char_start < 0 OR g.char_end > a.n_chars OR g.raw_char_start < 0
               OR g.raw_char_end > length(a.raw_text) OR g.raw_char_start > g.raw_char_end
               OR (g.is_copy AND substring(a.text, g.char_start + 1, g.char_end - g.char_start)
                   <> substring(a.raw_text, g.raw_char_start + 1, g.raw_char_end - g.raw_char_start))""").fetchone()[0]
        assert bad == 0
        conn.close()


def test_ingest_of_a_folder_counts_every_file(tmp_path):
    """A plain example of the accounting above, readable on its own."""
    (tmp_path / "a.jsonl").write_text('{"text": "one"}\n\n{bad\n[1]\n', encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"\x00" * 100)
    result = ingest_folder(tmp_path, "b")
    assert len(result.records) + len(result.rejections) == 3 + 1

"""Issue #7, bad input: every kind of broken or hostile input file goes through one real
pipeline run (Dagster, in process). The run succeeds; every input record ends up as an
article, a duplicate or a rejection that names its file, record number and reason, in the
`rejected_articles` table and in the run's log; the summary line counts them.

The folder is built once (module fixture) and each kind of input has its own test."""

from __future__ import annotations

import codecs
import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import SEED, make_settings

from pipeline.schema import READ_THEN_REJECTED
from pipeline.text.ingest import MAX_ARTICLE_CHARS, ingest_folder

GOOD = "Minister backs the plan\n\nThe minister said: “We back the plan.” She spoke in London on Monday.\n"
SAME_TEXT = "Two ids, one text. The senator said the bill would pass before the summer recess."
LONG_LINE_CHARS = 100_000

# (source_file, record_no) -> reason, for every record the folder below must reject.
EXPECTED_REJECTIONS = {
    ("malformed.jsonl", 2): "invalid_json",  # unterminated string
    ("malformed.jsonl", 3): "not_an_object",  # a JSON array
    ("malformed.jsonl", 4): "not_an_object",  # a JSON string
    ("malformed.jsonl", 5): "missing_text",
    ("malformed.jsonl", 6): "text_not_a_string",  # a number
    ("malformed.jsonl", 7): "text_not_a_string",  # a list
    ("malformed.jsonl", 8): "empty_text",  # "text": ""
    ("malformed.jsonl", 9): "empty_text",  # whitespace only
    ("malformed.jsonl", 10): "invalid_json",  # nested 100,000 deep (RecursionError in json)
    ("malformed.jsonl", 11): "invalid_json",  # an integer of 5,000 digits (ValueError in json)
    ("array.json", 2): "not_an_object",
    ("empty.txt", 1): "empty_file",
    ("whitespace.txt", 1): "empty_text",
    ("binary-image.txt", 1): "binary_file",
    ("huge-20mb.txt", 1): "too_large",
    ("dup-ids.jsonl", 2): "id_conflict",  # id "wire-7" again, with another text
    ("escape-link.txt", 1): "outside_input_folder",
    ("linked-outside", 1): "outside_input_folder",  # a linked folder: not descended into, said so
    ("nested-link", 1): "unreadable_file",  # a link to a folder inside, whose file is read there
    ("only-metadata.txt", 1): "no_article_text",  # a Source: line and a byline, nothing else
    ("only-metadata.json", 1): "no_article_text",
    ("markup-only.jsonl", 1): "no_article_text",  # "<p></p><div>&nbsp;</div>": nothing once cleaned
    ("markup-only.jsonl", 2): "no_article_text",  # "&nbsp;"
    ("invisible.jsonl", 1): "no_article_text",  # no-break and zero-width spaces, a byte-order mark
    ("invisible.jsonl", 2): "no_article_text",  # "&nbsp; &amp; <br><br>": an ampersand once cleaned
    ("invisible.jsonl", 3): "no_article_text",  # an emoji alone
    ("metadata.jsonl", 1): "invalid_id",  # "id": ["list-id"]
}
# "seed copy.txt" sorts before "seed.txt"; both get the same text-hash id, but neither was
# given an id: the text matched, not an id.
EXPECTED_DUPLICATES = {
    ("same-text.jsonl", 2): "same_text",
    ("seed.txt", 1): "same_text",
    ("same-id-same-text.jsonl", 2): "same_id_same_text",
}


def _build_input(folder: Path, outside: Path) -> int:
    """Write the hostile folder; return how many input records it holds."""
    folder.mkdir()
    records = 0

    def put(name: str, data: str | bytes, n: int = 1):
        nonlocal records
        path = folder / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        records += n

    put("good.txt", GOOD)
    lines = [
        json.dumps({"id": "wire-1", "title": "Good line", "text": "The mayor said the budget was balanced."}),
        '{"id": "wire-2", "text": "unterminated',
        "[1, 2, 3]",
        '"just a string"',
        json.dumps({"id": "wire-5", "title": "no text here"}),
        json.dumps({"text": 42}),
        json.dumps({"text": ["a", "list"]}),
        json.dumps({"text": ""}),
        json.dumps({"text": " \n\t  "}),
        "[" * 100_000 + "]" * 100_000,
        '{"text": "big id", "id": ' + "9" * 5000 + "}",
        '{"id": "wire-12", "title": "Lone \\udc80 surrogate", "text": "A lone \\ud800 surrogate escape in JSON text."}',
    ]
    put("malformed.jsonl", "\n".join(lines) + "\n", n=len(lines))
    put("array.json", json.dumps([{"body": "The first item of an array, under body."}, 5]), n=2)
    put("empty.txt", b"")
    put("whitespace.txt", "  \n\t\n   \n")
    put("invalid-utf8.txt", "Café crème\n\nThe chef said the café would reopen. Prix: 5 €.\n".encode("cp1252"))
    put("utf16-bom.txt", codecs.BOM_UTF16_LE + "Zürich talks\n\nDelegates met in Zürich.\n".encode("utf-16-le"))
    put(
        "utf16-bom.jsonl",
        codecs.BOM_UTF16_BE + (json.dumps({"id": "u16", "text": "UTF-16 big endian line."}) + "\n").encode("utf-16-be"),
    )
    put("binary-image.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64)
    put("huge-20mb.txt", "Huge\n\n" + ("A sentence of the huge article. " * 50 + "\n\n") * 13_000)
    put(
        "one-line.txt",
        "One line\n"
        + ("The delegates argued about the plan. Officials said the talks would go on. " * 1400)[:LONG_LINE_CHARS],
    )
    put(
        "page.html",
        "<html><head><title>Scripted page</title><style>body { color: red; }</style>"
        "<script>alert('xss'); document.cookie</script></head><body><article>"
        + "<p>The council voted to expand the park after a long debate about costs.</p>" * 8
        + "<script>window.evil = 1;</script></article></body></html>",
    )
    put(
        "control.txt",
        "Control\x07 title\n\nBody with a bell\x07, an escape \x1b[31mred\x1b[0m, "
        "a stray NUL\x00 byte, DEL\x7f and a form feed\x0c here.\n",
    )
    put("rtl-emoji.txt", "عنوان الخبر\n\nقال الوزير: «نحن ندعم الخطة» 👍🏽 — שלום עולם 👨‍👩‍👧 ok.\n")
    put(
        "dup-ids.jsonl",
        json.dumps({"id": "wire-7", "text": "The first text under id wire-7."})
        + "\n"
        + json.dumps({"id": "wire-7", "text": "A different text under the same id."})
        + "\n",
        n=2,
    )
    put(
        "same-text.jsonl",
        json.dumps({"id": "one", "text": SAME_TEXT}) + "\n" + json.dumps({"id": "two", "text": SAME_TEXT}) + "\n",
        n=2,
    )
    put(
        "same-id-same-text.jsonl",
        json.dumps({"id": "again", "text": "One id, one text, sent twice by the wire."})
        + "\n"
        + json.dumps({"id": "again", "text": "One id, one text, sent twice by the wire."})
        + "\n",
        n=2,
    )
    put("only-metadata.txt", "Source: Reuters\n\nBy Jane Doe\n")
    put("only-metadata.json", json.dumps({"id": "meta-only", "text": "Source: The Wire"}))
    # markup and entities that clean to nothing, before a good record of the same file
    markup_only = [
        {"id": "markup-only", "content": "<p></p><div>&nbsp;</div>"},
        {"id": "entity-only", "text": "&nbsp;"},
    ]
    markup_only.append({"id": "after-markup", "text": "The governor said the bridge would reopen in May."})
    put("markup-only.jsonl", "".join(json.dumps(r) + "\n" for r in markup_only), n=3)
    metadata = [
        {"id": ["list-id"], "text": "A record whose id is a list."},
        {"id": "obj-author", "author": {"name": "Jane Doe", "url": "x"}, "text": "The mayor opened the new library."},
    ]
    put("metadata.jsonl", "".join(json.dumps(r) + "\n" for r in metadata), n=2)
    invisible = [
        {"text": "\u00a0\u200b\u200b\ufeff"},
        {"text": "&nbsp; &amp; <br><br>"},
        {"text": "\U0001f44d\U0001f3fd"},
    ]
    put("invisible.jsonl", "".join(json.dumps(r) + "\n" for r in invisible), n=3)
    put("name with spaces.txt", "Spaces\n\nA file name with spaces in it.\n")
    put('quote\'s "double".txt', "Quotes\n\nA file name with single and double quotes.\n")
    put("naïve Ünïcødé 名前.txt", "Unicode\n\nA file name with non-ASCII letters.\n")
    shutil.copy(SEED, folder / "seed.txt")
    shutil.copy(SEED, folder / "seed copy.txt")
    records += 2
    outside.write_text("Secret\n\nThis file is outside the input folder and must not be read.\n", encoding="utf-8")
    os.symlink(outside, folder / "escape-link.txt")
    records += 1
    outside_folder = outside.parent / "outside-folder"
    outside_folder.mkdir()
    (outside_folder / "hidden-away.txt").write_text("Away\n\nNot in the input folder.\n", encoding="utf-8")
    os.symlink(outside_folder, folder / "linked-outside")
    (folder / "nested").mkdir()
    put("nested/inner.txt", "Inner\n\nA file in a folder of the input folder.\n")
    os.symlink(folder / "nested", folder / "nested-link")
    records += 2
    return records


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory, multilingual_model):
    import dagster as dg

    from assets.runner import run_pipeline

    tmp = tmp_path_factory.mktemp("hostile")
    n_records = _build_input(tmp / "input", tmp / "outside-secret.txt")
    # Arabic taken too (a model that takes every language): the right-to-left article is to go all
    # the way through (tests/test_languages.py covers the refusal of other languages)
    settings = make_settings(tmp, tmp / "input", languages=["en", "ar"], spacy_model=multilingual_model)
    (tmp / "dagster").mkdir()
    with dg.DagsterInstance.local_temp(str(tmp / "dagster")) as instance:
        outcome = run_pipeline(settings, instance=instance)
        log = [e.user_message for e in instance.all_logs(outcome.result.run_id)] if outcome.result else []
    db = duckdb.connect(settings.warehouse, read_only=True)
    yield {"outcome": outcome, "db": db, "log": log, "records": n_records, "tmp": tmp}
    db.close()


def _rejected(db) -> dict:
    return {
        (f, n): reason
        for f, n, reason in db.execute("SELECT source_file, record_no, reason FROM rejected_articles").fetchall()
    }


def _article(db, source_file: str, record_no: int = 1) -> dict:
    cur = db.execute("SELECT * FROM articles WHERE source_file = ? AND record_no = ?", [source_file, record_no])
    row = cur.fetchone()
    assert row is not None, f"{source_file} record {record_no} is not an article"
    return dict(zip([d[0] for d in cur.description], row))


def test_the_run_succeeds_and_every_record_is_accounted_for(hostile_run):
    outcome, db = hostile_run["outcome"], hostile_run["db"]
    assert outcome.ok, outcome.reason
    n_articles = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    n_rejected = db.execute("SELECT count(*) FROM rejected_articles").fetchone()[0]
    n_duplicates = db.execute("SELECT count(*) FROM duplicate_articles").fetchone()[0]
    assert n_articles + n_rejected + n_duplicates == hostile_run["records"]
    raw = db.execute("SELECT count(*) FROM raw_articles").fetchone()[0]
    assert (
        raw
        + db.execute(
            f"SELECT count(*) FROM rejected_articles WHERE reason NOT IN {tuple(READ_THEN_REJECTED)}"
        ).fetchone()[0]
        == hostile_run["records"]
    )


def test_each_rejection_has_file_record_and_reason(hostile_run):
    db = hostile_run["db"]
    assert _rejected(db) == EXPECTED_REJECTIONS
    for f, n, reason, detail in db.execute(
        "SELECT source_file, record_no, reason, detail FROM rejected_articles"
    ).fetchall():
        assert f and n >= 1 and reason and detail and len(detail) > 10, (f, n, reason, detail)


def test_each_rejection_is_in_the_run_log_and_counted_in_the_summary(hostile_run):
    db, log, summary = hostile_run["db"], "\n".join(hostile_run["log"]), hostile_run["outcome"].summary
    for f, n, reason in db.execute("SELECT source_file, record_no, reason FROM rejected_articles").fetchall():
        assert f"rejected {f} record {n}: {reason}" in log, f"{f} record {n} ({reason}) is not in the run log"
    first = summary.splitlines()[0]
    assert f"{hostile_run['records']} input records" in first
    assert f"{len(EXPECTED_REJECTIONS)} rejected" in first and f"{len(EXPECTED_DUPLICATES)} duplicates" in first
    assert "invalid_json 3" in first and "too_large 1" in first and "outside_input_folder 2" in first


def test_duplicates_same_text_under_two_ids_and_two_copies(hostile_run):
    db = hostile_run["db"]
    dups = {
        (f, n): m for f, n, m in db.execute("SELECT source_file, record_no, match FROM duplicate_articles").fetchall()
    }
    assert dups == EXPECTED_DUPLICATES
    assert _article(db, "same-text.jsonl", 1)["article_id"] == "one"


def test_duplicate_id_with_another_text_keeps_the_first(hostile_run):
    db = hostile_run["db"]
    first = _article(db, "dup-ids.jsonl", 1)
    assert first["article_id"] == "wire-7" and first["text"] == "The first text under id wire-7."
    detail = db.execute("SELECT detail FROM rejected_articles WHERE source_file = 'dup-ids.jsonl'").fetchone()[0]
    assert "wire-7" in detail


def test_encodings_invalid_utf8_and_utf16_with_bom(hostile_run):
    db = hostile_run["db"]
    cp = _article(db, "invalid-utf8.txt")
    assert cp["encoding"] == "cp1252" and "Café crème" in cp["raw_text"] and "5 €" in cp["text"]
    u16 = _article(db, "utf16-bom.txt")
    assert u16["encoding"] == "utf-16" and "Delegates met in Zürich." in u16["text"]
    assert _article(db, "utf16-bom.jsonl")["text"] == "UTF-16 big endian line."


def test_lone_surrogate_in_json_becomes_a_replacement_character(hostile_run):
    art = _article(hostile_run["db"], "malformed.jsonl", 12)
    assert art["text"] == "A lone \ufffd surrogate escape in JSON text."
    assert art["title"] == "Lone \ufffd surrogate"


def test_twenty_megabyte_article_is_rejected_not_cut(hostile_run):
    db = hostile_run["db"]
    detail = db.execute("SELECT detail FROM rejected_articles WHERE source_file = 'huge-20mb.txt'").fetchone()[0]
    assert f"{MAX_ARTICLE_CHARS:,}" in detail
    assert db.execute("SELECT count(*) FROM raw_articles WHERE source_file = 'huge-20mb.txt'").fetchone()[0] == 0


def test_one_line_of_100k_characters_is_parsed_whole(hostile_run):
    db = hostile_run["db"]
    art = _article(db, "one-line.txt")
    assert art["n_chars"] == len("One line\n\n") + LONG_LINE_CHARS and art["n_paragraphs"] == 2
    last_end = db.execute("SELECT max(char_end) FROM sentences WHERE article_id = ?", [art["article_id"]]).fetchone()[0]
    assert last_end >= art["n_chars"] - 5  # sentences up to the end: every chunk of the line was parsed


def test_html_scripts_and_styles_are_not_text(hostile_run):
    art = _article(hostile_run["db"], "page.html")
    assert "The council voted to expand the park" in art["text"]
    for bad in ("alert(", "document.cookie", "window.evil", "color: red", "<script", "<style"):
        assert bad not in art["text"] and bad not in art["raw_text"]


def test_control_characters_leave_the_text_but_keep_the_article(hostile_run):
    art = _article(hostile_run["db"], "control.txt")
    assert art["title"] == "Control title"
    assert "a stray NUL byte" in art["text"].replace("  ", " ")
    assert not [c for c in art["text"] if ord(c) < 32 and c != "\n" or 0x7F <= ord(c) < 0xA0]
    assert "\x00" in art["raw_text"]  # the raw text is kept as read


def test_right_to_left_and_emoji_survive(hostile_run):
    art = _article(hostile_run["db"], "rtl-emoji.txt")
    assert art["title"] == "عنوان الخبر" and art["language"] == "ar"
    assert "«نحن ندعم الخطة» 👍🏽 — שלום עולם 👨‍👩‍👧 ok." in art["text"]


def test_file_names_with_spaces_quotes_and_non_ascii(hostile_run):
    db = hostile_run["db"]
    for name in ("name with spaces.txt", 'quote\'s "double".txt', "naïve Ünïcødé 名前.txt"):
        art = _article(db, name)
        assert art["doc_name"] == name[:-4]


def test_symlink_outside_the_folder_is_not_read(hostile_run):
    db = hostile_run["db"]
    assert not db.execute("SELECT count(*) FROM raw_articles WHERE raw_text LIKE '%must not be read%'").fetchone()[0]
    assert not db.execute("SELECT count(*) FROM rejected_articles WHERE snippet LIKE '%must not be read%'").fetchone()[
        0
    ]


def test_entirely_unusable_input_fails_the_run_with_a_reason(tmp_path):
    """The one case where the run does not succeed: nothing in the folder is an article."""
    from conftest import run

    folder = tmp_path / "junk"
    folder.mkdir()
    (folder / "a.jsonl").write_text("{not json\n", encoding="utf-8")
    outcome = run(make_settings(tmp_path, folder), tmp_path / "dagster")
    assert not outcome.ok and "articles" in outcome.message
    assert outcome.all_rejected and outcome.exit_code == 3 and "all 1 input records were rejected" in outcome.reason
    assert "1 rejected (invalid_json 1)" in outcome.summary


def test_an_all_rejected_batch_after_a_good_one_says_that_its_rejections_were_published(tmp_path):
    """The rejections are data (nothing is lost): a second batch of junk publishes a version
    holding them, still exits 3, and says both."""
    from conftest import run

    good, junk = tmp_path / "good", tmp_path / "junk"
    good.mkdir()
    junk.mkdir()
    (good / "a.txt").write_text(GOOD, encoding="utf-8")
    (junk / "a.jsonl").write_text("{not json\n", encoding="utf-8")
    assert run(make_settings(tmp_path, good), tmp_path / "dagster").ok
    outcome = run(make_settings(tmp_path, junk), tmp_path / "dagster")
    assert outcome.all_rejected and outcome.exit_code == 3
    details = "\n".join(outcome.details)
    assert "every record of batch junk was rejected (invalid_json 1)" in details
    assert "v1.1.0 was published all the same: its rejected_articles holds these records" in details
    assert "published v1.1.0" in outcome.summary


def test_ingest_never_raises_on_a_symlink_loop_or_a_fifo(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    os.symlink(folder / "loop-b.txt", folder / "loop-a.txt")
    os.symlink(folder / "loop-a.txt", folder / "loop-b.txt")
    os.symlink(folder / "missing.txt", folder / "dangling.txt")
    os.mkfifo(folder / "pipe.txt")  # reading it would block the run for ever
    result = ingest_folder(folder, "b")
    assert {(r.source_file, r.reason) for r in result.rejections} == {
        ("loop-a.txt", "unreadable_file"),
        ("loop-b.txt", "unreadable_file"),
        ("dangling.txt", "unreadable_file"),
        ("pipe.txt", "unreadable_file"),
    }


def test_an_author_object_is_stored_by_its_name(hostile_run):
    """ "author": {"name": "Jane Doe", ...} is the author Jane Doe, not a Python repr of the object."""
    db = hostile_run["db"]
    assert db.execute("SELECT author FROM articles WHERE source_file = 'metadata.jsonl'").fetchall() == [("Jane Doe",)]


def test_a_record_of_markup_alone_says_so_and_one_of_metadata_says_that(hostile_run):
    """Both are no_article_text; the detail tells markup cleaned to nothing from metadata lines."""
    db = hostile_run["db"]
    detail = dict(db.execute("SELECT source_file || ':' || record_no, detail FROM rejected_articles").fetchall())
    assert "nothing is left once its markup and entities are cleaned" in detail["markup-only.jsonl:1"]
    assert "metadata lines" in detail["only-metadata.json:1"]

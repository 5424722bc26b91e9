"""Each supported format, and each way a record can fail to be read."""

from __future__ import annotations

import json

from pipeline.text.ingest import decode_bytes, ingest_folder


def test_formats(tmp_path):
    (tmp_path / "a.txt").write_text("Headline\nSource: The Paper\nBody text.\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(
        json.dumps({"id": 7, "text": "Line one.", "outlet": "Wire"})
        + "\n\n"
        + json.dumps({"text": "Line two."})
        + "\n",
        encoding="utf-8",
    )
    (tmp_path / "c.json").write_text(
        json.dumps([{"text": "Item.", "title": "T", "authors": ["A", "B"]}]), encoding="utf-8"
    )
    (tmp_path / "d.html").write_text(
        "<html><head><title>Page title</title><script>var x = 1;</script></head><body><article><p>"
        + "The senator said the bill would pass. " * 20
        + "</p></article></body></html>",
        encoding="utf-8",
    )
    (tmp_path / ".hidden.txt").write_text("ignored", encoding="utf-8")
    result = ingest_folder(tmp_path, "b1")
    assert not result.rejections
    by_file = {(r.source_file, r.record_no): r for r in result.records}
    assert set(by_file) == {("a.txt", 1), ("b.jsonl", 1), ("b.jsonl", 3), ("c.json", 1), ("d.html", 1)}
    assert by_file[("a.txt", 1)].title == "Headline"
    assert by_file[("b.jsonl", 1)].external_id == "7" and by_file[("b.jsonl", 1)].outlet == "Wire"
    assert by_file[("c.json", 1)].author == "A, B"
    html = by_file[("d.html", 1)]
    assert "senator said" in html.raw_text and "var x" not in html.raw_text
    assert result.skipped_hidden == [".hidden.txt"]


def test_files_named_for_another_format_are_read_as_what_they_hold(tmp_path):
    """A web page saved as .txt is read as HTML (its markup is not the article); JSON Lines
    saved as .json are read line by line. A text that merely mentions markup stays text."""
    page = (
        "<!DOCTYPE html>\n<html><head><title>Poland backs carbon price reform</title></head><body><article><p>"
        + "The minister said the carbon price protects coal regions. " * 10
        + "</p></article></body></html>"
    )
    (tmp_path / "page.txt").write_text(page, encoding="utf-8")
    (tmp_path / "note.txt").write_text("Markup\n\nThe <html> tag starts a page, she said.", encoding="utf-8")
    lines = [json.dumps({"id": "w1", "text": "Line one."}), json.dumps({"id": "w2", "text": "Line two."})]
    (tmp_path / "wire.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "broken.json").write_text('{"text": "a"} trailing words', encoding="utf-8")
    result = ingest_folder(tmp_path, "b1")
    by_file = {(r.source_file, r.record_no): r for r in result.records}
    page_record = by_file[("page.txt", 1)]
    assert page_record.input_format == "html" and page_record.title == "Poland backs carbon price reform"
    assert "<" not in page_record.raw_text and "protects coal regions" in page_record.raw_text
    assert by_file[("note.txt", 1)].input_format == "txt"
    assert [(r.external_id, r.input_format) for k, r in sorted(by_file.items()) if k[0] == "wire.json"] == [
        ("w1", "jsonl"),
        ("w2", "jsonl"),
    ]
    assert [(r.source_file, r.reason) for r in result.rejections] == [("broken.json", "invalid_json")]


def test_rejections_name_file_record_and_reason(tmp_path):
    (tmp_path / "x.jsonl").write_text('[1, 2]\n{"text": 5}\n{"text": "   "}\n{"title": "t"}\n', encoding="utf-8")
    (tmp_path / "y.json").write_text("{broken", encoding="utf-8")
    (tmp_path / "z.csv").write_text("a,b", encoding="utf-8")
    result = ingest_folder(tmp_path, "b1")
    got = {(r.source_file, r.record_no, r.reason) for r in result.rejections}
    assert got == {
        ("x.jsonl", 1, "not_an_object"),
        ("x.jsonl", 2, "text_not_a_string"),
        ("x.jsonl", 3, "empty_text"),
        ("x.jsonl", 4, "missing_text"),
        ("y.json", 1, "invalid_json"),
        ("z.csv", 1, "unsupported_file_type"),
    }
    assert all(r.detail for r in result.rejections)


def test_decoding():
    assert decode_bytes("Kyiv".encode("utf-16")) == ("Kyiv", "utf-16")
    assert decode_bytes(b"\xef\xbb\xbfCaf\xc3\xa9") == ("Café", "utf-8-sig")
    assert decode_bytes(b"Caf\xe9 \x93quoted\x94") == ("Café “quoted”", "cp1252")
    assert decode_bytes(b"\x00\x01\x02binary") is None


def test_a_json_error_says_where_in_plain_words(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"id": "1", "text": "ok text"}\n{"id": "2", "text": "cut\n', encoding="utf-8")
    (tmp_path / "b.json").write_text('{"id": "3", "text": "cut', encoding="utf-8")
    details = {r.source_file: r.detail for r in ingest_folder(tmp_path, "b").rejections}
    assert details["a.jsonl"] == "line 2 is not valid JSON: Unterminated string starting at (column 21)"
    assert details["b.json"] == "not valid JSON: Unterminated string starting at (line 1, column 21)"


def test_an_html_page_without_a_date_gets_none_not_its_copyright_year(tmp_path):
    body = "<p>" + "The council met on a weekday to discuss the budget and the new school. " * 4 + "</p>"
    page = f"<html><head><title>Council meets</title></head><body><article>{body}</article>{{}}</body></html>"
    (tmp_path / "undated.html").write_text(page.format("<footer>Copyright 2025 Example News</footer>"), "utf-8")
    (tmp_path / "dated.html").write_text(
        page.format("").replace("<head>", '<head><meta property="article:published_time" content="2024-03-05">'),
        "utf-8",
    )
    dates = {r.source_file: r.published_at for r in ingest_folder(tmp_path, "b").records}
    assert dates == {"undated.html": None, "dated.html": "2024-03-05"}


def test_an_html_page_with_no_article_is_rejected_with_what_it_held(tmp_path):
    (tmp_path / "nav.html").write_text("<html><body><div>menu</div></body></html>", encoding="utf-8")
    result = ingest_folder(tmp_path, "b")
    assert not result.records
    [rejection] = result.rejections
    assert rejection.reason == "unsupported_html" and "no article in the HTML" in rejection.detail


def test_a_metadata_field_nested_deep_neither_raises_nor_loses_the_record(tmp_path):
    """An "author" of lists nested 300 deep: the field gives nothing, both records are read."""
    deep = "x"
    for _ in range(300):
        deep = [deep]
    lines = [json.dumps({"id": "deep", "author": deep, "text": "The mayor said so."}), json.dumps({"text": "Fine."})]
    (tmp_path / "x.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ingest_folder(tmp_path, "b1")
    assert [(r.external_id, r.author) for r in result.records] == [("deep", None), (None, None)]
    assert not result.rejections

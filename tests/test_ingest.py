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


def test_a_records_fingerprint_covers_its_id_and_metadata(tmp_path):
    """An edited id, title or date with the same text is a changed record (the batch's
    staging fingerprint reads `content_sha256`); the text's own hash stays the text's."""
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "art-1", "title": "Old", "text": "Body."}), encoding="utf-8")
    (before,) = ingest_folder(tmp_path, "b").records
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "art-2", "title": "Old", "text": "Body."}), encoding="utf-8")
    (after,) = ingest_folder(tmp_path, "b").records
    assert before.record_sha256 == after.record_sha256 and before.content_sha256 != after.content_sha256


def test_a_folder_that_cannot_be_listed_is_a_rejection_not_silence(tmp_path, monkeypatch):
    import os

    (tmp_path / "ok.txt").write_text("Title\nBody.\n", encoding="utf-8")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "l.txt").write_text("Title\nBody.\n", encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path):  # as for a folder of mode 000 when not running as root
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = ingest_folder(tmp_path, "b")
    assert [r.source_file for r in result.records] == ["ok.txt"]
    (rejection,) = result.rejections
    assert (rejection.source_file, rejection.reason) == ("locked", "unreadable_file")
    assert "could not be read (Permission denied); none of its files were read" in rejection.detail


def test_a_file_name_that_is_not_utf8_is_rejected_by_its_escaped_name(tmp_path):
    import os

    (tmp_path / "ok.txt").write_text("Title\nBody.\n", encoding="utf-8")
    with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9.txt"), "w", encoding="utf-8") as f:
        f.write("Title\nBody.\n")
    result = ingest_folder(tmp_path, "b")
    assert [r.source_file for r in result.records] == ["ok.txt"]
    (rejection,) = result.rejections
    assert (rejection.source_file, rejection.reason) == ("caf\\xe9.txt", "unreadable_file")
    assert rejection.source_file.encode("utf-8")  # storable
    assert "not valid UTF-8" in rejection.detail


def test_legacy_encodings_of_other_scripts():
    russian = "Глава МИД России Сергей Лавров заявил, что Москва не примет миротворцев."
    assert decode_bytes(russian.encode("cp1251")) == (russian, "cp1251")
    page = f'<html><head><meta charset="windows-1251"><title>t</title></head><body><p>{russian}</p></body></html>'
    assert decode_bytes(page.encode("cp1251")) == (page, "cp1251")  # the declared encoding
    english = "Kremlin spokesman Dmitry Peskov (Дмитрий Песков) said on Monday that talks would continue."
    assert decode_bytes(english.encode("cp1251"))[0] == english
    # a Western text that is not UTF-8 stays Windows-1252, accents and quotes included
    french = "Le caf\u00e9 \u00e0 c\u00f4t\u00e9 \u201cferm\u00e9\u201d, a dit le ma\u00eetre d\u2019h\u00f4tel."
    assert decode_bytes(french.encode("cp1252")) == (french, "cp1252")


def test_files_whose_content_is_another_format(tmp_path):
    records = [{"id": f"e{i}", "title": f"T{i}", "text": f"Body of record {i}."} for i in range(3)]
    (tmp_path / "export.txt").write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    (tmp_path / "plain.html").write_text("A title\n\n" + "The senator said the bill would pass. " * 5, encoding="utf-8")
    (tmp_path / "mac.jsonl").write_text("\r".join(json.dumps(r) for r in records), encoding="utf-8")
    (tmp_path / "table.html").write_text(
        "<html><body><table><tr><td><p>"
        + "The governor said on Monday that the state would appeal the ruling. " * 30
        + "</p></td></tr></table></body></html>",
        encoding="utf-8",
    )
    result = ingest_folder(tmp_path, "b")
    assert not result.rejections, [r.describe() for r in result.rejections]
    by_file = {}
    for r in result.records:
        by_file.setdefault(r.source_file, []).append(r)
    assert [r.external_id for r in by_file["export.txt"]] == ["e0", "e1", "e2"]
    assert [r.external_id for r in by_file["mac.jsonl"]] == ["e0", "e1", "e2"]
    assert by_file["plain.html"][0].input_format == "txt" and by_file["plain.html"][0].title == "A title"
    assert "appeal the ruling" in by_file["table.html"][0].raw_text


def test_ids_that_name_no_article_are_refused(tmp_path):
    lines = ['{"id": NaN, "text": "a"}', '{"id": 1e400, "text": "b"}', json.dumps({"id": "x\n../y", "text": "c"})]
    lines += [json.dumps({"id": "x" * 600, "text": "d"}), json.dumps({"id": 12, "text": "e"})]
    (tmp_path / "ids.jsonl").write_text("\n".join(lines), encoding="utf-8")
    result = ingest_folder(tmp_path, "b")
    assert [r.external_id for r in result.records] == ["12"]
    assert [(r.record_no, r.reason) for r in result.rejections] == [(n, "invalid_id") for n in (1, 2, 3, 4)]


def test_a_byte_order_mark_over_other_bytes_is_undecodable_text_not_binary(tmp_path):
    import codecs

    (tmp_path / "cut.txt").write_bytes(codecs.BOM_UTF8 + "Caf\u00e9 talks".encode("utf-8")[:-1] + b"\xe9 more")
    (rejection,) = ingest_folder(tmp_path, "b").rejections
    assert rejection.reason == "undecodable_text"
    assert "opens with a UTF-8 byte-order mark but is not UTF-8 from byte" in rejection.detail


def test_an_export_that_wraps_its_articles_in_an_object_is_read(tmp_path):
    articles = [{"id": "a1", "text": "First."}, {"id": "a2", "text": "Second."}]
    (tmp_path / "api.json").write_text(json.dumps({"articles": articles, "total": 2}), encoding="utf-8")
    (tmp_path / "odd.json").write_text(json.dumps({"headline": "No text", "tags": ["x"]}), encoding="utf-8")
    result = ingest_folder(tmp_path, "b")
    assert [(r.source_file, r.record_no, r.external_id) for r in result.records] == [
        ("api.json", 1, "a1"),
        ("api.json", 2, "a2"),
    ]
    (rejection,) = result.rejections
    assert rejection.reason == "missing_text" and "its keys: headline, tags" in rejection.detail


def test_western_texts_and_labels_stay_as_browsers_read_them(tmp_path):
    """Runs of accents in Finnish or Estonian are no other script; a page labelled
    ISO-8859-1 holds Windows-1252's quotes, dashes and euro sign; a UTF-16 label on bytes
    without its mark is not believed."""
    for text in (
        "Pääministeri sanoi, että yöään valvonut hallitus päättää asiasta huomenna.",
        "Peaminister ütles, et jäääär on kaunis ja öö oli pikk. Tööõhtu jätkus.",
        "Die Regierung äußerte sich, sagte Außenministerin Baerbock: \u201eWir prüfen.\u201c",
    ):
        assert decode_bytes(text.encode("cp1252")) == (text, "cp1252")
    body = "said \u201cwe will cut taxes\u201d \u2013 it costs \u20ac5 million"
    for label in ("iso-8859-1", "utf-16", "us-ascii"):
        page = f'<html><head><meta charset="{label}"></head><body><p>{body}</p></body></html>'
        assert decode_bytes(page.encode("cp1252")) == (page, "cp1252"), label


def test_an_article_with_a_list_field_is_an_article_not_a_wrapper(tmp_path):
    paragraphs = {"title": "T", "paragraphs": [{"text": "One."}, {"text": "Two."}]}
    (tmp_path / "paragraphs.json").write_text(json.dumps(paragraphs), encoding="utf-8")
    empty = {"text": "", "authors": [{"name": "A"}, {"name": "B"}]}
    (tmp_path / "empty.json").write_text(json.dumps(empty), encoding="utf-8")
    result = ingest_folder(tmp_path, "b")
    assert not result.records
    assert sorted((r.source_file, r.reason) for r in result.rejections) == [
        ("empty.json", "empty_text"),
        ("paragraphs.json", "missing_text"),
    ]

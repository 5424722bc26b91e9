"""Ingest: read a folder of articles into records, or rejections that say why not.

Formats: `.txt` (first line the title; the rest is cleaned later), `.jsonl` (one JSON
object a line), `.json` (an object or an array of objects) and `.html`/`.htm` (main text
extracted with trafilatura). Every file yields records or rejections, never nothing:
`records + rejections` accounts for every input record. Nothing here raises on bad input.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import logging
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.text import is_hidden

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt": "txt", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".html": "html", ".htm": "html"}
# JSON keys accepted for each field, in order of preference.
JSON_FIELDS = {
    "text": ("text", "body", "content"),
    "id": ("id", "article_id", "doc_id"),
    "title": ("title", "headline"),
    "url": ("url", "link"),
    "outlet": ("outlet", "source", "publisher"),
    "author": ("author", "byline", "authors"),
    "published_at": ("published_at", "date", "published", "publication_date"),
}
SNIPPET_CHARS = 200
# Longest text processed as one article (spaCy's own default max_length; the parse time and
# memory it costs are in docs/scaling.md). Longer records are rejected as too_large, never cut.
MAX_ARTICLE_CHARS = 1_000_000
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class RawRecord:
    """One readable input record, text as read."""

    batch_id: str
    source_file: str
    record_no: int
    input_format: str
    raw_text: str
    encoding: str = "utf-8"
    external_id: str | None = None
    title: str | None = None
    outlet: str | None = None
    author: str | None = None
    url: str | None = None
    published_at: str | None = None

    @property
    def record_sha256(self) -> str:
        return hashlib.sha256(self.raw_text.encode("utf-8", "surrogatepass")).hexdigest()

    @property
    def content_sha256(self) -> str:
        """Of everything read from the record: its text and its id, title, outlet, author,
        url, date and encoding (an edited id or date is a changed record)."""
        fields = [self.input_format, self.encoding, self.external_id, self.title, self.outlet, self.author]
        fields += [self.url, self.published_at, self.record_sha256]
        return hashlib.sha256(json.dumps(fields).encode("utf-8", "surrogatepass")).hexdigest()

    @property
    def doc_name(self) -> str:
        """The name evaluation files use: the input id, else the file name without extension
        (with the record number for JSON/JSONL records, which share a file)."""
        if self.external_id:
            return self.external_id
        stem = Path(self.source_file).stem
        return stem if self.input_format in ("txt", "html") else f"{stem}-{self.record_no}"


@dataclass(frozen=True)
class Rejection:
    batch_id: str
    source_file: str
    record_no: int
    reason: str
    detail: str
    snippet: str | None = None

    def describe(self) -> str:
        return f"{self.source_file} record {self.record_no}: {self.reason}: {self.detail}"


@dataclass
class IngestResult:
    records: list[RawRecord] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    skipped_hidden: list[str] = field(default_factory=list)


def ingest_folder(folder: Path, batch_id: str) -> IngestResult:
    """Read every article file under `folder` (recursively, in sorted order)."""
    result = IngestResult()
    root = folder.resolve()
    unreadable: list[OSError] = []
    for path in _walk(folder, unreadable.append):
        rel = path.relative_to(folder).as_posix()
        if is_hidden(rel):
            result.skipped_hidden.append(rel)
            continue
        if _SURROGATE.search(rel):  # bytes that are not UTF-8 in its name: no table column can hold it
            result.rejections.append(Rejection(batch_id, _escaped(rel), 1, "unreadable_file", UNDECODABLE_NAME))
            continue
        records, rejections = read_file(path, rel, batch_id, root)
        result.records.extend(records)
        result.rejections.extend(rejections)
    for error in unreadable:  # a folder os.walk could not list: its files are unknown, not lost silently
        where = Path(error.filename).relative_to(folder).as_posix() if error.filename else "."
        detail = f"the folder could not be read ({error.strerror or error}); none of its files were read"
        result.rejections.append(Rejection(batch_id, _escaped(where), 1, "unreadable_file", detail))
    for r in result.rejections:  # counted in the run's summary; each in rejected_articles and Dagster's log
        log.info("rejected %s", r.describe())
    return result


UNDECODABLE_NAME = (
    "the file's name is not valid UTF-8 (its other bytes are shown as \\x escapes); rename it to have it read"
)


def _escaped(rel: str) -> str:
    """A path as text a table can hold: bytes of its name that are not UTF-8 as \\x escapes."""
    return os.fsencode(rel).decode("utf-8", "backslashreplace") if _SURROGATE.search(rel) else rel


def _walk(folder: Path, on_error=None) -> Iterator[Path]:
    """Files under folder in a stable order; symlinked files and folders are yielded (and
    checked later: a linked folder is not descended into, and `read_file` says so). A folder
    that cannot be listed is passed to `on_error` (its OSError)."""
    for dirpath, dirnames, filenames in os.walk(folder, onerror=on_error, followlinks=False):
        dirnames.sort()
        linked = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        for name in sorted(filenames + linked):
            yield Path(dirpath) / name


def read_file(path: Path, rel: str, batch_id: str, root: Path) -> tuple[list[RawRecord], list[Rejection]]:
    """Records and rejections of one file."""

    def reject(reason: str, detail: str, record_no: int = 1, snippet: str | None = None):
        return [], [Rejection(batch_id, rel, record_no, reason, detail, snippet)]

    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError) as e:
        return reject("unreadable_file", f"cannot resolve the path ({e.__class__.__name__}: {e})")
    if resolved.is_dir():  # a linked folder (`_walk` descends into real folders only)
        if not resolved.is_relative_to(root):
            return reject(
                "outside_input_folder",
                f"the folder is a link to {resolved}, outside the input folder; its files were not read",
            )
        return reject(
            "unreadable_file",
            f"the folder is a link to {resolved.relative_to(root).as_posix() or '.'} inside the input folder, "
            "whose files are read there; not read twice",
        )
    if not resolved.is_relative_to(root):
        return reject("outside_input_folder", "the file is a link to a place outside the input folder; not read")
    if not resolved.is_file():  # a FIFO or device would block or never end
        return reject("unreadable_file", "not a regular file (a pipe, socket or device); not read")
    fmt = TEXT_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        return reject(
            "unsupported_file_type",
            f"unsupported file type {path.suffix or '(no extension)'!r}; "
            f"expected one of {', '.join(sorted(TEXT_SUFFIXES))}",
        )
    try:
        data = resolved.read_bytes()
    except OSError as e:
        return reject("unreadable_file", f"cannot read the file ({e.strerror or e})")
    if not data:
        return reject("empty_file", "the file is empty (0 bytes)")
    decoded = decode_bytes(data)
    if decoded is None and (problem := _bom_decode_error(data)) is not None:
        return reject(
            "undecodable_text",
            problem,
            snippet=data[:SNIPPET_CHARS].decode("latin-1").encode("unicode_escape").decode("ascii"),
        )
    if decoded is None:
        return reject(
            "binary_file",
            "the file holds binary data, not text",
            snippet=data[:SNIPPET_CHARS].decode("latin-1").encode("unicode_escape").decode("ascii"),
        )
    text, encoding = decoded
    if fmt == "txt" and _looks_like_html(text):  # a saved web page named .txt: its markup is not the text
        fmt = "html"
    elif fmt == "txt" and _looks_like_json_lines(text):  # an export of records named .txt: read as records
        fmt = "jsonl"
    elif fmt == "html" and not _MARKUP.search(text[:20000]):  # a plain text named .html
        fmt = "txt"
    if fmt == "txt":
        return _one_text(text, encoding, rel, batch_id, fmt)
    if fmt == "html":
        return _html(text, encoding, rel, batch_id)
    if fmt == "jsonl":
        return _jsonl(text, encoding, rel, batch_id)
    return _json(text, encoding, rel, batch_id)


_HTML_START = re.compile(r"\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL)


_MARKUP = re.compile(r"<(!--|!doctype|/?[a-zA-Z][a-zA-Z0-9]*[\s/>])", re.IGNORECASE)


def _looks_like_json_lines(text: str) -> bool:
    """Whether a text file is JSON Lines of articles: its first line is a JSON object with a
    text field (a title line never is)."""
    line = next((ln for ln in text.split("\n") if ln.strip()), "").strip()
    if not line.startswith("{"):
        return False
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        return False
    return isinstance(obj, dict) and any(isinstance(obj.get(k), str) for k in JSON_FIELDS["text"])


def _looks_like_html(text: str) -> bool:
    """Whether a text file is an HTML document: it starts with <!DOCTYPE html> or <html>
    (after blanks and comments). A text that only quotes some markup is not."""
    return bool(_HTML_START.match(text[:2000]))


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _bom_decode_error(data: bytes) -> str | None:
    """Why a file that opens with a byte-order mark does not decode in its encoding (a text
    cut mid-character, or another encoding's bytes after a stray mark); None without a mark
    or when it decodes."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                data.decode(enc)
            except UnicodeDecodeError as e:
                return (
                    f"the file opens with a {enc.upper().replace('-SIG', '')} byte-order mark but is not "
                    f"{enc.upper().replace('-SIG', '')} from byte {e.start:,} on ({e.reason})"
                )
            return None
    return None


def decode_bytes(data: bytes) -> tuple[str, str] | None:
    """Text and the encoding used, or None for binary data.

    A BOM decides (UTF-8, UTF-16, UTF-32); otherwise UTF-8; for a text that is not UTF-8,
    the encoding its HTML head declares, else Windows-1252, unless that reads another
    script's letters as runs of Western accents: then the legacy encoding charset-normalizer
    finds for it. NUL bytes or many control characters mean binary.
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError:
                return None
    head = data[:8192]
    # A stray NUL in a text is still text; many NULs (UTF-16 without BOM, images) are not.
    if head.count(0) > 0.01 * len(head):
        return None
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if controls > 0.1 * len(head):
        return None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = _declared_charset(head)
    if declared is not None:
        try:
            return data.decode(declared), declared
        except UnicodeDecodeError:
            pass
    try:
        western = data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        western = data.decode("latin-1"), "latin-1"
    if _ACCENT_RUN.search(western[0]):  # another script's letters read as Western accents ("Äìèòðèé")
        return _other_script(data) or western
    return western


# <meta charset="windows-1251"> or <meta http-equiv="Content-Type" content="text/html; charset=koi8-r">
_DECLARED = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.IGNORECASE)
# Three letters or more in a row, none of them ASCII: rare in a Western text, the mark of
# Cyrillic, Greek or Arabic bytes decoded as Windows-1252.
_ACCENT_RUN = re.compile(r"[^\W\d_a-zA-Z]{3,}")
# Declared encodings read as browsers read them (the WHATWG Encoding Standard): a page
# labelled ISO-8859-1 or ASCII is Windows-1252 (its curly quotes, dashes and euro sign are
# in 0x80-0x9f, control characters in ISO-8859-1), ISO-8859-9 is Windows-1254; a label of
# UTF-16 or UTF-32 on bytes without their byte-order mark is not believed.
_AS_BROWSERS_READ = {"iso8859-1": "cp1252", "ascii": "cp1252", "iso8859-9": "cp1254"}
_NOT_BELIEVED = ("utf-16", "utf-32", "utf-7")


def _declared_charset(head: bytes) -> str | None:
    """The encoding an HTML head declares (a <meta> charset), as Python names it; None when
    there is none or Python does not know it."""
    match = _DECLARED.search(head)
    if match is None:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    if name.startswith(_NOT_BELIEVED):
        return None
    return _AS_BROWSERS_READ.get(name, name)


def _other_script(data: bytes) -> tuple[str, str] | None:
    """The text in the legacy encoding of another script that charset-normalizer finds for
    it (Windows-1251, KOI8-R, ISO 8859-7 ...), or None when it finds none, or one whose
    letters beyond ASCII are mostly Latin: Finnish "yöään" is such a run of accents too,
    and a Latin guess (Mac Icelandic, HP Roman-8) reads it worse than Windows-1252 does."""
    import unicodedata

    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None
    try:
        name = codecs.lookup(best.encoding).name
    except LookupError:
        return None
    text = str(best)
    letters = [c for c in text if c.isalpha() and not c.isascii()]
    latin = sum(1 for c in letters if unicodedata.name(c, "").startswith("LATIN"))
    if name.startswith("utf") or not letters or latin > 0.2 * len(letters):
        return None
    # and its words of that script are whole words ("Лавров"), not letters inside Latin words
    # ("yцддn": Finnish read as Cyrillic)
    words = [w for w in re.findall(r"\w+", text) if not w.isascii()]
    mixed = sum(1 for w in words if any(c.isascii() and c.isalpha() for c in w))
    if mixed > 0.2 * len(words):
        return None
    return text, name


def safe_snippet(text: str) -> str:
    """The first SNIPPET_CHARS characters of `text`, lone surrogates replaced (storable as UTF-8)."""
    return _SURROGATE.sub("\ufffd", text[:SNIPPET_CHARS])


def _one_text(text, encoding, rel, batch_id, fmt, **meta):
    if not text.strip():
        return [], [Rejection(batch_id, rel, 1, "empty_text", "the file holds only whitespace", safe_snippet(text))]
    if len(text) > MAX_ARTICLE_CHARS:
        return [], [Rejection(batch_id, rel, 1, "too_large", _too_large(len(text)), safe_snippet(text))]
    title = next((line.strip() for line in text.splitlines() if line.strip()), None)
    return [RawRecord(batch_id, rel, 1, fmt, text, encoding, title=meta.pop("title", None) or title, **meta)], []


# Fewer words than this in an HTML page's main text is no article (a page of links, a
# cookie wall, "menu"); a .txt or JSON record is taken as given, however short.
MIN_HTML_WORDS = 10


def _html(html, encoding, rel, batch_id):
    import trafilatura  # heavy import, only when HTML is present

    try:
        text = trafilatura.extract(
            html, include_comments=False, include_tables=False, favor_precision=True, deduplicate=False
        )
        if not text or len(text.split()) < MIN_HTML_WORDS:  # an article laid out in a table's cells
            text = (
                trafilatura.extract(
                    html, include_comments=False, include_tables=True, favor_precision=True, deduplicate=False
                )
                or text
            )
        # no extensive date search: it takes a footer's "Copyright 2025" for 2025-01-01; a date the
        # page states (its meta tags, a <time> element, the URL) is still read
        meta = trafilatura.extract_metadata(html, extensive=False)
    except Exception as e:  # trafilatura raises a variety of parser errors on broken markup
        return [], [
            Rejection(batch_id, rel, 1, "unsupported_html", f"the HTML could not be parsed ({e})", safe_snippet(html))
        ]
    if not text or not text.strip():
        return [], [
            Rejection(batch_id, rel, 1, "unsupported_html", "no main text found in the HTML", safe_snippet(html))
        ]
    if len(text.split()) < MIN_HTML_WORDS:  # a navigation, index or error page: its main text is a menu line
        return [], [
            Rejection(
                batch_id,
                rel,
                1,
                "unsupported_html",
                f"no article in the HTML: its main text is {len(text.split())} word(s) ({text.strip()[:60]!r})",
                safe_snippet(html),
            )
        ]
    title = meta.title if meta and meta.title else None
    if title and not text.startswith(title):
        text = f"{title}\n\n{text}"
    return _one_text(
        text,
        encoding,
        rel,
        batch_id,
        "html",
        title=title,
        author=meta.author if meta else None,
        url=meta.url if meta else None,
        outlet=meta.sitename if meta else None,
        published_at=meta.date if meta else None,
    )


def _jsonl(text, encoding, rel, batch_id):
    records, rejections = [], []
    # JSON Lines are split at \n only: U+2028 or \x85 may sit inside a JSON string (and \r
    # only where no \n is: a file saved with old Mac line ends)
    lines = text.split("\n" if "\n" in text or "\r" not in text else "\r")
    if not any(line.strip() for line in lines):
        return [], [Rejection(batch_id, rel, 1, "empty_file", "the file holds no JSON lines")]
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line.lstrip("\ufeff"))  # a byte-order mark where files were joined
        except (ValueError, RecursionError) as e:  # JSONDecodeError is a ValueError; also nested too deeply, huge ints
            problem = (
                f"is not valid JSON: {e.msg} (column {e.colno})"
                if isinstance(e, json.JSONDecodeError)
                else f"cannot be read as JSON: {_json_error(e)}"
            )
            rejections.append(Rejection(batch_id, rel, no, "invalid_json", f"line {no} {problem}", safe_snippet(line)))
            continue
        rec, rej = _from_object(obj, rel, no, batch_id, "jsonl", encoding, line)
        records.extend(rec)
        rejections.extend(rej)
    return records, rejections


def _json(text, encoding, rel, batch_id):
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        if e.msg == "Extra data" and _first_line_is_json(text):  # JSON Lines named .json: read as such
            return _jsonl(text, encoding, rel, batch_id)
        return [], [
            Rejection(
                batch_id,
                rel,
                1,
                "invalid_json",
                f"not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})",
                safe_snippet(text),
            )
        ]
    except (ValueError, RecursionError) as e:  # nested too deeply, an integer of thousands of digits
        return [], [
            Rejection(batch_id, rel, 1, "invalid_json", f"cannot be read as JSON: {_json_error(e)}", safe_snippet(text))
        ]
    items = obj if isinstance(obj, list) else _wrapped_list(obj) or [obj]
    if not items:
        return [], [Rejection(batch_id, rel, 1, "empty_file", "the JSON array is empty")]
    records, rejections = [], []
    for no, item in enumerate(items, 1):
        rec, rej = _from_object(item, rel, no, batch_id, "json", encoding, None)
        records.extend(rec)
        rejections.extend(rej)
    return records, rejections


_ARTICLE_KEYS = {key for keys in JSON_FIELDS.values() for key in keys}


def _wrapped_list(obj) -> list | None:
    """The articles of an API export that wraps them in an object ({"articles": [...]},
    {"data": [...], "total": 2}): the one list of objects of an object holding none of an
    article's own fields (an article with a list of paragraphs or comments is an article);
    None for anything else."""
    if not isinstance(obj, dict) or _ARTICLE_KEYS & set(obj):
        return None
    lists = [v for v in obj.values() if isinstance(v, list) and v and all(isinstance(i, dict) for i in v)]
    return lists[0] if len(lists) == 1 else None


def _first_line_is_json(text: str) -> bool:
    """Whether the first non-blank line of a text is a JSON value of its own (JSON Lines)."""
    line = next((ln for ln in text.split("\n") if ln.strip()), "")
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


def _json_error(e: Exception) -> str:
    if isinstance(e, RecursionError):
        return "arrays or objects nested too deeply"
    return str(e).split(";")[0]


def _too_large(n: int) -> str:
    return (
        f"the text has {n:,} characters; articles over {MAX_ARTICLE_CHARS:,} are not processed "
        f"(split the file into articles)"
    )


def _first(obj: dict, field_name: str):
    for key in JSON_FIELDS[field_name]:
        if obj.get(key) not in (None, ""):
            return obj[key]
    return None


def _as_text(value, depth: int = 0) -> str | None:
    """A metadata field as text: a list joined with commas, an object by its "name" (an
    author {"name": "X", "url": ...}), else as JSON; never a Python repr. Lists and objects
    nested deeper than MAX_METADATA_DEPTH give nothing (a record is never refused for them)."""
    if value is None or depth > MAX_METADATA_DEPTH:
        return None
    if isinstance(value, list):
        return _as_text(", ".join(t for t in (_as_text(v, depth + 1) for v in value) if t), depth)
    if isinstance(value, dict):
        name = value.get("name")
        if not isinstance(name, (str, int, float)) and _nested_deeper(value, MAX_METADATA_DEPTH - depth):
            return None
        return (
            _as_text(name) if isinstance(name, (str, int, float)) else _as_text(json.dumps(value, ensure_ascii=False))
        )
    if isinstance(value, bool):
        value = json.dumps(value)
    value = _SURROGATE.sub("\ufffd", str(value)).strip()
    return value or None


MAX_METADATA_DEPTH = 4  # lists and objects inside a metadata field ("authors": [{"name": ...}])
MAX_ID_CHARS = 512  # an input id names an article in tables, exports and evaluation files
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _nested_deeper(value, levels: int) -> bool:
    """Whether lists or objects nest more than `levels` deep inside `value`."""
    if not isinstance(value, (list, dict)):
        return False
    if levels <= 0:
        return True
    items = value.values() if isinstance(value, dict) else value
    return any(_nested_deeper(v, levels - 1) for v in items)


def _from_object(obj, rel, no, batch_id, fmt, encoding, source_line):
    def reject(reason, detail):
        record_snippet = source_line if source_line is not None else json.dumps(obj, ensure_ascii=False)
        return [], [Rejection(batch_id, rel, no, reason, detail, safe_snippet(record_snippet))]

    if not isinstance(obj, dict):
        return reject("not_an_object", f"record {no} is a JSON {type(obj).__name__}, not an object")
    text = _first(obj, "text")
    if text is None and any(isinstance(obj.get(k), str) for k in JSON_FIELDS["text"]):  # {"text": ""}
        return reject("empty_text", f"record {no}'s text is empty")
    if text is None:
        keys = ", ".join(sorted(map(str, obj))[:8]) or "none"
        return reject(
            "missing_text",
            f"record {no} has no text field (expected one of {', '.join(JSON_FIELDS['text'])}; its keys: {keys})",
        )
    if not isinstance(text, str):
        return reject("text_not_a_string", f"record {no}'s text is a JSON {type(text).__name__}, not a string")
    if not text.strip():
        return reject("empty_text", f"record {no}'s text is empty or whitespace only")
    if len(text) > MAX_ARTICLE_CHARS:
        return reject("too_large", _too_large(len(text)))
    # A JSON escape can make a lone UTF-16 surrogate ("\ud800"), which no UTF-8 file or
    # Parquet column can hold: it becomes U+FFFD (one character for one, offsets unchanged).
    text = _SURROGATE.sub("\ufffd", text)
    ext_id = _first(obj, "id")
    if isinstance(ext_id, (dict, list, bool)):
        return reject("invalid_id", f"record {no}'s id is a JSON {type(ext_id).__name__}; expected a string or number")
    if isinstance(ext_id, float) and not math.isfinite(ext_id):
        return reject("invalid_id", f"record {no}'s id is {ext_id!r}, not a number an id can be")
    if isinstance(ext_id, str) and (len(ext_id) > MAX_ID_CHARS or _CONTROL.search(ext_id)):
        problem = f"is {len(ext_id):,} characters long" if len(ext_id) > MAX_ID_CHARS else "holds a control character"
        return reject("invalid_id", f"record {no}'s id {problem}; an id is at most {MAX_ID_CHARS} printable characters")
    return [
        RawRecord(
            batch_id,
            rel,
            no,
            fmt,
            text,
            encoding,
            external_id=_as_text(ext_id),
            title=_as_text(_first(obj, "title")),
            outlet=_as_text(_first(obj, "outlet")),
            author=_as_text(_first(obj, "author")),
            url=_as_text(_first(obj, "url")),
            published_at=_as_text(_first(obj, "published_at")),
        )
    ], []

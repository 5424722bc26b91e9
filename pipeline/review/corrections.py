"""Corrections: a coder's filled review CSV, checked against the warehouse and stored as a
numbered, never rewritten JSON file under data/corrections/ (`stancewire review apply`).
The folder's files, read in order, are an input of every run (`pipeline.review.apply`).

    {"format": "stancewire-corrections/1", "review": "0002-alice", "applied_at": "2026-12-02",
     "source": {"file": "review.csv", "sha256": "..."}, "kind": "statements" | "quotes",
     "entries": [{"line": 7, "coder": "alice", "item": "statement", "item_id": "...",
                  "verdict": "wrong_stance", "corrected_stance": "against", ...}, ...]}

Each entry keeps what the run needs to find its statement again after re-coding (article,
codebook, target, actor id, evidence offsets, the stance the coder saw), so a verdict
survives a codebook edit; a later file's verdict on the same item replaces an earlier one.
Nothing is written from a CSV with an error: every problem is reported with its line.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.schema import ACTOR_TYPES, EDIT_VERDICTS, QUOTE_VERDICTS, STANCE_LABELS, STATEMENT_VERDICTS

FORMAT = "stancewire-corrections/1"
REVIEW_COLUMNS = ("verdict", "corrected_stance", "corrected_actor", "note")  # what the coder fills
ENTRY_FIELDS = (
    "line",
    "coder",
    "item",
    "item_id",
    "verdict",
    "article_id",
    "codebook",
    "codebook_version",
    "target",
    "actor",
    "actor_id",
    "actor_type",
    "country",
    "machine_stance",
    "evidence_char_start",
    "evidence_char_end",
    "evidence",
    "corrected_stance",
    "corrected_actor",
    "corrected_actor_id",
    "note",
)
_FILE_NAME = re.compile(r"^(\d{4,})-[A-Za-z0-9._-]+\.json$")


class ReviewError(ValueError):
    """A review CSV or corrections file that cannot be applied; `problems` names each line."""

    def __init__(self, source: str, problems: list[str]):
        self.source, self.problems = source, problems
        shown = problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
        super().__init__(
            f"{source}: {len(problems)} problem(s), nothing applied:\n" + "\n".join(f"  {p}" for p in shown)
        )


@dataclass
class CorrectionsFile:
    path: Path
    review: str
    applied_at: str
    kind: str
    entries: list[dict]
    sha256: str  # of the corrections file
    source_sha256: str  # of the review CSV it was made from
    purpose: str = "corrections"  # or "reliability": a second coder's verdicts, measured, not applied


@dataclass
class Corrections:
    """Every corrections file of a folder, oldest first."""

    files: list[CorrectionsFile] = field(default_factory=list)

    def entries(self):
        """(file, entry) in the order they take effect (a later one wins)."""
        for f in self.files:
            for e in f.entries:
                yield f, e

    def fingerprint(self) -> str:
        return hashlib.sha256("".join(f"{f.review}:{f.sha256};" for f in self.files).encode()).hexdigest()

    def manifest(self) -> list[dict]:
        return [
            {"file": f.path.name, "sha256": f.sha256, "kind": f.kind, "purpose": f.purpose, "entries": len(f.entries)}
            for f in self.files
        ]


# -- reading the coder's CSV -------------------------------------------------------------


def read_review_csv(path: Path) -> tuple[list[str], list[tuple[int, dict]]]:
    """The CSV's header and its rows with their line (the header is line 1), as a spreadsheet
    saves it (UTF-8 with or without a BOM)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            first = fh.readline()
            fh.seek(0)  # (utf-8-sig skips the BOM again)
            # spreadsheets in many locales save with ';' (or tabs): take the header's separator
            delimiter = max(",;\t", key=first.count)
            reader = csv.DictReader(fh, delimiter=delimiter)
            header = [h.strip() for h in reader.fieldnames or []]
            reader.fieldnames = header
            rows = [(n, {k: (v or "").strip() for k, v in row.items() if k}) for n, row in enumerate(reader, start=2)]
    except UnicodeDecodeError as e:
        raise ReviewError(str(path), [f"not UTF-8 text (byte {e.start}): save the file as CSV UTF-8"]) from None
    except OSError as e:
        raise ReviewError(str(path), [f"cannot read it: {e.strerror}"]) from None
    except csv.Error as e:
        raise ReviewError(str(path), [f"not a CSV file: {e}"]) from None
    return header, rows


def check_review(conn, path: Path, coder: str | None, folder: Path) -> tuple[str, list[dict]]:
    """The review CSV's kind and entries, checked against the warehouse (`conn`) and the
    corrections already in `folder`; ReviewError lists every problem, by line. (What it
    says about earlier files' verdicts: `disagreements`.)"""
    header, rows = read_review_csv(path)
    kind = "quotes" if "quote_id" in header else "statements"
    required = ("verdict",)  # a file may hold only added statements, merges or renames
    problems = [
        f"missing column {c!r} (is this a file from `stancewire review sample`?)" for c in required if c not in header
    ]
    if problems:
        raise ReviewError(str(path), problems)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    for f in load_corrections(folder).files:
        if f.source_sha256 == sha:
            raise ReviewError(str(path), [f"this file was applied already, as {f.path}"])
    check = _Checker(conn, coder)
    entries = []
    for line, row in rows:
        for col in ("verdict", "corrected_stance", "stance", "actor_type", "corrected_actor_type"):
            if row.get(col):  # "Correct " as a spreadsheet may leave it
                row[col] = row[col].lower()
        if not row.get("verdict"):
            if row.get("corrected_stance") or row.get("corrected_actor"):
                problems.append(f"line {line}: a correction without a verdict: fill the verdict column")
            continue  # not reviewed
        try:
            entries.append(check.quote(row) if kind == "quotes" else check.statement(row))
            entries[-1]["line"] = line
        except _LineProblem as e:
            problems.append(f"line {line}: {e}")
    problems += [f"line {p}" for p in conflicts(entries)]
    if problems:
        raise ReviewError(str(path), problems)
    if not entries:
        raise ReviewError(str(path), ["no line has a verdict: fill the verdict column of the lines reviewed"])
    return kind, entries


class _LineProblem(ValueError):
    pass


def _blank_entry(**values) -> dict:
    return {k: values.get(k) for k in ENTRY_FIELDS}


class _Checker:
    """Checks one CSV line at a time against the warehouse."""

    def __init__(self, conn, coder: str | None):
        self.conn, self.coder = conn, coder

    def _coder(self, row: dict) -> str:
        return row.get("coder") or self.coder or _default_coder()

    def _stance(self, value: str, column: str) -> str:
        if value not in STANCE_LABELS:
            raise _LineProblem(f"unknown stance label {value!r} in {column} (one of {', '.join(STANCE_LABELS)})")
        return value

    def statement(self, row: dict) -> dict:
        verdict = row["verdict"]
        if verdict in EDIT_VERDICTS:
            return {"add_statement": self.added, "merge_actor": self.merge, "rename_actor": self.rename}[verdict](row)
        if verdict not in STATEMENT_VERDICTS:
            raise _LineProblem(f"unknown verdict {verdict!r} (one of {', '.join(STATEMENT_VERDICTS + EDIT_VERDICTS)})")
        sid = row.get("statement_id", "")
        found = self._coded(sid, row)
        if found is None:
            raise _LineProblem(
                f"unknown statement id {sid!r} (not in the warehouse's coded statements: a typo, or its article "
                "was edited or removed since the file was sampled; remove the line, or sample again)"
            )
        aid, book, version, target, actor, actor_id, actor_type, country, stance, start, end = found
        if row.get("stance") in STANCE_LABELS:
            stance = row["stance"]  # what the coder judged, should the statement have been re-coded since
        entry = _blank_entry(
            coder=self._coder(row),
            item="statement",
            item_id=sid,
            verdict=verdict,
            article_id=aid,
            codebook=book,
            codebook_version=version,
            target=target,
            actor=actor,
            actor_id=actor_id,
            actor_type=actor_type,
            country=country,
            machine_stance=stance,
            evidence_char_start=start,
            evidence_char_end=end,
            note=row.get("note") or None,
        )
        corrected, new_actor = row.get("corrected_stance", ""), row.get("corrected_actor", "")
        if verdict in ("correct", "not_a_statement") and (corrected or new_actor):
            raise _LineProblem(f"verdict {verdict} with a corrected_stance or corrected_actor: which is it?")
        if verdict == "wrong_stance":
            if not corrected:
                raise _LineProblem("verdict wrong_stance needs corrected_stance")
            if self._stance(corrected, "corrected_stance") == stance:
                raise _LineProblem(f"corrected_stance {corrected!r} is the stance coded: the verdict is correct")
            if new_actor:
                raise _LineProblem("verdict wrong_stance with a corrected_actor: use wrong_actor for both")
            entry["corrected_stance"] = corrected
        if verdict == "wrong_actor":
            if not new_actor:
                raise _LineProblem("verdict wrong_actor needs corrected_actor")
            entry["corrected_stance"] = self._stance(corrected, "corrected_stance") if corrected else None
            entry["corrected_actor"] = new_actor
            new_type = row.get("corrected_actor_type") or "person"  # for an actor the data does not have yet
            entry["corrected_actor_id"] = self._actor_for(new_actor, aid, self._actor_type(new_type))
            if entry["corrected_actor_id"] == actor_id:
                raise _LineProblem(
                    f"corrected_actor {new_actor!r} is the actor coded ({actor_id}): the verdict is not wrong_actor"
                )
        return entry

    _CODED = (
        "article_id, codebook, codebook_version, target, actor, actor_id, actor_type, country, stance, "
        "evidence_char_start, evidence_char_end"
    )

    def _coded(self, sid: str, row: dict):
        """The coded statement of a review line: by its id, else (re-coded since the sample
        was drawn: the id holds the stance) the statement of the same article, codebook,
        target and actor whose evidence overlaps the line's."""
        found = self.conn.execute(f"SELECT {self._CODED} FROM coded_stances WHERE statement_id = ?", [sid]).fetchone()
        parts = sid.split(":")
        if found is not None or len(parts) < 5:
            return found
        try:
            start, end = int(row.get("evidence_char_start", "")), int(row.get("evidence_char_end", ""))
        except ValueError:
            return None
        return self.conn.execute(
            f"SELECT {self._CODED} FROM coded_stances WHERE article_id = ? AND codebook = ? AND target = ? "
            "AND actor_id = ? AND evidence_char_start < ? AND ? < evidence_char_end "
            "ORDER BY abs(evidence_char_start - ?), statement_id LIMIT 1",
            [parts[0], parts[1], parts[2], ":".join(parts[3:-1]), end, start, start],
        ).fetchone()

    def _actor_type(self, value: str) -> str:
        if value not in ACTOR_TYPES:
            raise _LineProblem(f"unknown actor_type {value!r} (one of {', '.join(ACTOR_TYPES)})")
        return value

    def added(self, row: dict) -> dict:
        aid = row.get("article_id", "")
        text = self.conn.execute("SELECT text FROM articles WHERE article_id = ?", [aid]).fetchone()
        if text is None:
            raise _LineProblem(f"add_statement: unknown article_id {aid!r}")
        book, target = row.get("codebook", ""), row.get("target", "")
        version = self.conn.execute(
            "SELECT codebook_version FROM codebook_targets WHERE codebook = ? AND target = ?", [book, target]
        ).fetchone()
        if version is None:
            raise _LineProblem(f"add_statement: no target {target!r} in codebook {book!r}")
        stance = self._stance(row.get("corrected_stance") or row.get("stance", ""), "stance")
        try:
            start, end = int(row.get("evidence_char_start", "")), int(row.get("evidence_char_end", ""))
        except ValueError:
            raise _LineProblem(
                "add_statement: evidence_char_start and evidence_char_end must be whole numbers"
            ) from None
        if not 0 <= start < end <= len(text[0]):
            raise _LineProblem(
                f"add_statement: evidence offsets {start}-{end} are outside the article (0-{len(text[0])})"
            )
        if not text[0][start:end].strip():
            raise _LineProblem(f"add_statement: the evidence at {start}-{end} is blank")
        actor = row.get("corrected_actor") or row.get("actor", "")
        if not actor:
            raise _LineProblem("add_statement needs the actor")
        actor_type = self._actor_type(row.get("actor_type") or "person")
        country = row.get("country") or None
        if country and not re.fullmatch(r"[A-Z]{3}", country):
            raise _LineProblem(f"add_statement: country {country!r} is not an ISO 3166-1 alpha-3 code")
        actor_id = self._actor_for(actor, aid, actor_type)
        return _blank_entry(
            coder=self._coder(row),
            item="statement",
            item_id=f"{aid}:{book}:{target}:{actor_id}:manual:{start}",
            verdict="add_statement",
            article_id=aid,
            codebook=book,
            codebook_version=version[0],
            target=target,
            actor=actor,
            actor_id=actor_id,
            actor_type=actor_type,
            country=country,
            evidence_char_start=start,
            evidence_char_end=end,
            evidence=text[0][start:end],
            corrected_stance=stance,
            note=row.get("note") or None,
        )

    def merge(self, row: dict) -> dict:
        source, into = row.get("actor", ""), row.get("corrected_actor", "")
        if not source or not into:
            raise _LineProblem("merge_actor needs actor (merged away) and corrected_actor (kept)")
        source_id, into_id = self._existing_actor(source), self._existing_actor(into)
        automatic = self.conn.execute("SELECT 1 FROM auto_aliases WHERE alias_id = ?", [source_id]).fetchone()
        if source_id == into_id and not automatic:
            raise _LineProblem(f"merge_actor: {source!r} and {into!r} are the same actor ({into_id})")
        return _blank_entry(
            coder=self._coder(row),
            item="actor",
            item_id=source_id,
            verdict="merge_actor",
            actor=source,
            actor_id=source_id,
            corrected_actor=into,
            corrected_actor_id=into_id,
            note=row.get("note") or None,
        )

    def rename(self, row: dict) -> dict:
        actor, name = row.get("actor", ""), row.get("corrected_actor", "")
        if not actor or not name:
            raise _LineProblem("rename_actor needs actor (the actor) and corrected_actor (its name)")
        actor_id = self._existing_actor(actor)
        return _blank_entry(
            coder=self._coder(row),
            item="actor",
            item_id=actor_id,
            verdict="rename_actor",
            actor=actor,
            actor_id=actor_id,
            corrected_actor=name,
            note=row.get("note") or None,
        )

    def quote(self, row: dict) -> dict:
        verdict = row["verdict"]
        if verdict not in QUOTE_VERDICTS:
            raise _LineProblem(f"unknown verdict {verdict!r} for a quote (one of {', '.join(QUOTE_VERDICTS)})")
        qid = row.get("quote_id", "")
        found = self.conn.execute(
            "SELECT article_id, speaker, speaker_actor_id FROM quotes WHERE quote_id = ?", [qid]
        ).fetchone()
        if found is None:
            raise _LineProblem(f"unknown quote id {qid!r}")
        if verdict != "wrong_speaker" and row.get("corrected_actor"):
            raise _LineProblem(f"verdict {verdict} with a corrected_actor: use wrong_speaker")
        return _blank_entry(
            coder=self._coder(row),
            item="quote",
            item_id=qid,
            verdict=verdict,
            article_id=found[0],
            actor=found[1],
            actor_id=found[2],
            corrected_actor=row.get("corrected_actor") or None,
            note=row.get("note") or None,
        )

    def _existing_actor(self, name: str) -> str:
        """The one actor a name or id names (ambiguous and unknown names are errors)."""
        if self.conn.execute(
            "SELECT 1 FROM actors WHERE actor_id = ? UNION ALL SELECT 1 FROM auto_aliases WHERE alias_id = ?",
            [name, name],
        ).fetchone():
            return name  # an actor, or an id stancewire joined to another (to move it, or keep it apart)
        ids = [
            r[0]
            for r in self.conn.execute(
                "SELECT DISTINCT actor_id FROM article_actors WHERE lower(name) = lower(?) "
                "UNION SELECT actor_id FROM actors WHERE lower(name) = lower(?) ORDER BY 1",
                [name, name],
            ).fetchall()
        ]
        if not ids:
            raise _LineProblem(f"unknown actor {name!r} (give a name as the data has it, or an actor_id)")
        if len(ids) > 1:
            raise _LineProblem(f"actor {name!r} names {len(ids)} actors ({', '.join(ids[:5])}): give the actor_id")
        return ids[0]

    def _actor_for(self, name: str, article_id: str, actor_type: str) -> str:
        """The id of the actor a coder names for a statement: the actor of that name (or id)
        in the article, else the one of that name in the corpus, else a new id."""
        from pipeline.nlp.lexicon import slug

        if self.conn.execute("SELECT 1 FROM actors WHERE actor_id = ?", [name]).fetchone():
            return name
        for where, params in (("article_id = ? AND ", [article_id]), ("", [])):
            ids = self.conn.execute(
                f"SELECT DISTINCT actor_id FROM article_actors WHERE {where}lower(name) = lower(?) ORDER BY 1",
                [*params, name],
            ).fetchall()
            if len(ids) == 1:
                return ids[0][0]
            if len(ids) > 1:
                raise _LineProblem(f"actor {name!r} names {len(ids)} actors: give the actor_id")
        if actor_type == "country":  # countries are keyed by their ISO code, as the pipeline does
            from pipeline.nlp.lexicon import country_code

            code = country_code(name)
            if code is None:
                raise _LineProblem(f"{name!r} is not a country name stancewire knows")
            return f"country:{code}"
        return f"{actor_type}:{slug(name)}"


def _default_coder() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "coder"


def disagreements(entries: list[dict], folder: Path) -> list[str]:
    """The lines whose verdict differs from the latest one an earlier file gave the same item."""
    earlier: dict[tuple, tuple[CorrectionsFile, dict]] = {}
    for f, e in load_corrections(folder).entries():
        if e["item"] != "actor":
            earlier[(e["item"], e["item_id"])] = (f, e)
    out = []
    for e in entries:
        before = earlier.get((e["item"], e["item_id"]))
        if before is not None and _decision(before[1]) != _decision(e):
            f, b = before
            out.append(
                f"line {e['line']}: {e['coder']} says {'/'.join(str(v) for v in _decision(e) if v)}, "
                f"{b['coder']} said {'/'.join(str(v) for v in _decision(b) if v)} ({f.path.name} line {b['line']})"
            )
    return out


def _decision(e: dict) -> tuple:
    return e["verdict"], e["corrected_stance"], e["corrected_actor_id"] or e["corrected_actor"]


def conflicts(entries: list[dict]) -> list[str]:
    """Items given different verdicts in one file ("12 and 30: ..."): by two coders editing
    one file, or by one coder twice."""
    first: dict[tuple, dict] = {}
    out = []
    for e in entries:
        key = (e["item"], e["item_id"], e["verdict"] if e["item"] == "actor" else None)
        seen = first.setdefault(key, e)
        if seen is not e and _decision(seen) != _decision(e):
            who = (
                f"coders {seen['coder']} and {e['coder']}"
                if seen["coder"] != e["coder"]
                else f"coder {e['coder']}, twice"
            )
            out.append(
                f"{e['line']}: conflicting verdicts on {e['item']} {e['item_id']!r} with line {seen['line']} "
                f"({'/'.join(str(v) for v in _decision(seen) if v)} vs {'/'.join(str(v) for v in _decision(e) if v)}, "
                f"{who}): agree on one, or give each coder a file of their own"
            )
    return out


# -- the corrections folder ----------------------------------------------------------------


def write_corrections(folder: Path, source: Path, kind: str, entries: list[dict], purpose: str = "corrections") -> Path:
    """Store checked entries as the folder's next numbered file (written whole, then renamed).
    `purpose` "reliability": a second coder's verdicts, for the agreement figures only."""
    folder.mkdir(parents=True, exist_ok=True)
    numbers = [int(m[1]) for p in folder.iterdir() if (m := _FILE_NAME.match(p.name))]
    coders = sorted({e["coder"] for e in entries})
    from pipeline.nlp.lexicon import slug

    review = f"{max(numbers, default=0) + 1:04d}-{slug('-'.join(coders))[:40]}"
    doc = {
        "format": FORMAT,
        "review": review,
        "applied_at": dt.date.today().isoformat(),
        "source": {"file": source.name, "sha256": hashlib.sha256(source.read_bytes()).hexdigest()},
        "kind": kind,
        "purpose": purpose,
        "entries": [{k: e[k] for k in ENTRY_FIELDS} for e in entries],
    }
    path = folder / f"{review}.json"
    tmp = folder / f".{review}.json.tmp"
    tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def load_corrections(folder: Path) -> Corrections:
    """Every corrections file of `folder` (none when it does not exist), checked for form;
    ReviewError names the file and entry of a problem (a file edited by hand)."""
    if not folder.is_dir():
        return Corrections()
    files = []
    for path in sorted(folder.glob("*.json"), key=lambda p: (len(p.name.split("-", 1)[0]), p.name)):
        if not _FILE_NAME.match(path.name):
            raise ReviewError(str(path), ["not a corrections file name (NNNN-name.json): move it out of the folder"])
        raw = path.read_bytes()
        try:
            doc = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ReviewError(str(path), [f"not valid JSON ({e})"]) from None
        problems = _form_problems(doc)
        if problems:
            raise ReviewError(str(path), problems)
        files.append(
            CorrectionsFile(
                path,
                doc["review"],
                doc["applied_at"],
                doc["kind"],
                doc["entries"],
                hashlib.sha256(raw).hexdigest(),
                (doc.get("source") or {}).get("sha256", ""),
                doc.get("purpose", "corrections"),
            )
        )
    return Corrections(files)


def _form_problems(doc) -> list[str]:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return [f"not a corrections file (format is not {FORMAT!r})"]
    missing = [k for k in ("review", "applied_at", "kind", "entries") if k not in doc]
    if missing or not isinstance(doc["entries"], list):
        return [f"missing {', '.join(missing) or 'a list of entries'}"]
    if doc.get("purpose", "corrections") not in ("corrections", "reliability"):
        return [f"purpose {doc['purpose']!r} is neither 'corrections' nor 'reliability'"]
    problems = []
    verdicts = {"statement": STATEMENT_VERDICTS + ("add_statement",), "quote": QUOTE_VERDICTS, "actor": EDIT_VERDICTS}
    for n, e in enumerate(doc["entries"], start=1):
        where = f"entry {n} (line {e.get('line') if isinstance(e, dict) else '?'})"
        if not isinstance(e, dict) or set(ENTRY_FIELDS) - set(e):
            problems.append(f"{where}: missing fields {sorted(set(ENTRY_FIELDS) - set(e or {}))}")
            continue
        if e["verdict"] not in verdicts.get(e["item"], ()):
            problems.append(f"{where}: verdict {e['verdict']!r} is not one for a {e['item']!r}")
        for col in ("corrected_stance", "machine_stance"):
            if e[col] is not None and e[col] not in STANCE_LABELS:
                problems.append(f"{where}: unknown stance label {e[col]!r} in {col}")
    if not problems:
        problems = [f"entry at line {p}" for p in conflicts(doc["entries"])]
    return problems

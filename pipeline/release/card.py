"""A release's dataset card (README.md): what each table holds, how it was made, counts,
and the sections for the figures and metadata files. Data text is escaped (`versions.md`)."""

from __future__ import annotations

import html
import re

from pipeline.exports.dictionary import column_description
from pipeline.release.changelog import code_text
from pipeline.release.metadata import DATA_LICENCE_NOTE, citation, licence_note
from pipeline.release.versions import CHANGELOG, CROISSANT, CURRENT_DB, DATAPACKAGE, RELEASE_DB, md
from pipeline.schema import RELEASED_TABLES, TABLES


def card_markdown(files, conn, note: str = DATA_LICENCE_NOTE) -> list[str]:
    """The dataset card's sections for the files written here: figures (captions from
    `conn`), then metadata (`note`: what the release says of its licence)."""
    from pipeline.release import figures

    files = set(files)
    lines = figures.card_markdown(files, conn)
    meta = [
        (CHANGELOG, "what changed since the previous release (rows added / removed / changed per table)"),
        (DATAPACKAGE, "Frictionless Data Package: table schemas, primary and foreign keys, licences, sources"),
        (CROISSANT, "Croissant (JSON-LD) metadata for ML dataset tools"),
    ]
    present = [(f, text) for f, text in meta if f in files]
    if present:
        lines += ([] if lines and lines[-1] == "" else [""]) + ["## Metadata files", ""]
        lines += [f"- [{f}]({f}): {text}" for f, text in present]
        lines += ["", note]
    return lines


def dataset_card(manifest: dict, conn) -> str:
    """The release's README.md: what each table holds, how it was made, and counts."""
    lines = _summary(manifest) + _licence(manifest) + _how_it_was_made(manifest) + _limitations(manifest)
    lines += _review(manifest)
    lines += _validation(manifest) + _most_quoted(conn)
    lines += card_markdown(manifest.get("files", {}), conn, _own(licence_note(manifest)))  # figures and metadata files
    lines += _tables(manifest) + _reading_it(manifest) + _libraries(manifest)
    return "\n".join(lines)


def _licence(manifest: dict) -> list[str]:
    """Licence, citation, creators and sources (the releases folder's dataset.yaml), and
    that the release holds the articles' full text. The publisher's own text is shown as
    written, HTML-escaped only (`_own`)."""
    info = manifest.get("dataset_info", {})
    lines = ["## Licence and citation", "", _own(licence_note(manifest)), ""]
    lines += [
        "This release holds the full text of every article (`articles.text` and `raw_text`, `sentences.text`, "
        "the quotes' and statements' excerpts): passing it on passes on those texts, under their own terms.",
        "",
        f"Cite as: {_own(citation(manifest))}" + (f" ({_own(info['url'])})" if info.get("url") else ""),
        "",
    ]
    if info.get("creators"):
        lines += [
            "Creators: "
            + "; ".join(
                _own(c["name"])
                + (f" ({_own(c['affiliation'])})" if c.get("affiliation") else "")
                + (f", ORCID {_own(c['orcid'])}" if c.get("orcid") else "")
                for c in info["creators"]
            ),
            "",
        ]
    if info.get("sources"):
        lines += ["Sources:", ""]
        lines += [
            f"- {_own(x['title'])}"
            + (f" ({_own(x['url'])})" if x.get("url") else "")
            + (f": {_own(x['description'])}" if x.get("description") else "")
            for x in info["sources"]
        ]
        lines.append("")
    if not info:
        lines += [
            "The publisher describes the dataset (title, licence, citation, creators, sources) in `dataset.yaml` "
            "in the releases folder; this release had none.",
            "",
        ]
    return lines


def _code(text) -> str:
    """A package, model or file name as code (`en_core_web_sm-3.8.0`), readable as plain text
    too; anything but such a name is escaped as data (`md`)."""
    text = str(text)
    return f"`{text}`" if re.fullmatch(r"[A-Za-z0-9._+:/=-]+", text) else md(text)


def _own(text: str) -> str:
    """The publisher's text (dataset.yaml), HTML-escaped so that it is safe in Markdown
    rendered to HTML, without the Markdown escapes of the data's text (`md`), which a
    plain-text reader would see as backslashes."""
    return html.escape(text, quote=False)


def _summary(manifest: dict) -> list[str]:
    t = manifest["tables"]
    info = manifest.get("dataset_info", {})
    return [
        f"# {_own(info['title'])}, version {manifest['version']}"
        if info.get("title")
        else f"# stancewire dataset {manifest['version']}",
        "",
        *([_own(info["description"]), ""] if info.get("description") else []),
        "Who is mentioned, who said what, and who stands where in a collection of news articles: "
        "entity mentions and canonical actors, quotes and reported speech with their speakers, and "
        "stance statements (actor, codebook target, favor/against/neutral, evidence) coded following "
        "political claims analysis.",
        "",
        f"- Created: {manifest['created']}",
        f"- Previous version: {manifest['previous_version'] or 'none (first release)'}",
        f"- Articles: {t['articles']['rows']}; quotes: {t['quotes']['rows']}; statements: {t['stances']['rows']}; "
        f"actors: {t['actors']['rows']}; rejected input records: {t['rejected_articles']['rows']}; "
        f"duplicates: {t['duplicate_articles']['rows']}",
        f"- spaCy model: {_code(manifest.get('spacy', {}).get('model'))} "
        f"(spaCy {_code(manifest.get('spacy', {}).get('spacy_version'))})",
        "- Codebooks: " + ", ".join(f"{md(c['name'])} {md(c['version'])}" for c in manifest.get("codebooks", [])),
        *(
            [
                f"- Languages taken: {md(', '.join(manifest['languages']['accepted']))} "
                f"(detected with {md(manifest['languages']['detector'])}: the detector, then the letters a text "
                "needs before it can be refused, the highest probability an accepted language may have in a refused "
                "text, and the share of its paragraphs' characters that must be foreign; texts refused are in "
                "`rejected_articles`)"
            ]
            if manifest.get("languages")
            else []
        ),
        f"- Code: stancewire {code_text(manifest['code_version'])}",
        f"- Input fingerprint (SHA-256 of the input records kept, the same for the same input): "
        f"`{manifest['input_fingerprint']}`",
        "",
    ]


def _libraries(manifest: dict) -> list[str]:
    """The installed libraries the rows and their validation depend on (at the card's end)."""
    if not manifest.get("libraries"):
        return []
    return [
        "## Libraries",
        "",
        "The rows and their validation depend on these installed versions (the same code and input with "
        "other versions can give other rows):",
        "",
        ", ".join(_code(f"{k}=={v}") for k, v in sorted(manifest["libraries"].items())),
        "",
    ]


def _stance_method(manifest: dict) -> str:
    model = manifest.get("stance_model")
    if not model:
        return "5. Stances: statements coded against the codebooks; each has its evidence and cue."
    scores = "; ".join(
        f"{md(book)} F1 {s['f1']:.2f} (precision {s['precision']:.2f}, recall {s['recall']:.2f}, "
        f"label accuracy {s['label_accuracy']:.2f})"
        for book, s in sorted(model.get("cross_validated", {}).items())
    )
    other = [m for m in model.get("methods_in_data", []) if m != model["method"]]
    caveat = (
        f" The statements were coded by {md(', '.join(other))}, not by this model: re-run to re-code them."
        if other
        else ""
    )
    trained = model.get("trained_on", {})
    corpus = ", ".join(f"{md(book)} ({n['articles']} articles)" for book, n in sorted(trained.items()))
    unseen = sorted(b["name"] for b in manifest.get("codebooks", []) if b["name"] not in trained)
    unmeasured = (
        f" The model was not trained or scored on {md(', '.join(unseen))}: it codes any codebook (its features are "
        "relative to the target's mention, never its identity), but its accuracy there is not measured and may be "
        "lower; check a sample (`stancewire review sample`)."
        if unseen and trained
        else ""
    )
    return (
        "5. Stances: the (actor, target) pairs a sentence ties (quotes and reported speech about the "
        "target, clauses whose subject acts on it, a speaker named just before) decided favor, against, neutral or "
        f"none by a model trained on stancewire's own stance corpus ({_code(model['method'])}, "
        f"{md(model.get('kind') or 'trained')}); `confidence` is its probability, each statement has its evidence "
        f"and cue. The corpus's codebooks: {corpus or 'not recorded'}. Cross-validated on that corpus, "
        f"{model.get('folds')} folds by article: {scores or 'not measured'}." + unmeasured + caveat
    )


def _limitations(manifest: dict) -> list[str]:
    """What a reader must know before citing a row: every row is coded automatically."""
    lines = ["## Limitations", ""]
    scores = (manifest.get("stance_model") or {}).get("cross_validated", {})
    if scores:
        per_book = "; ".join(
            f"{md(book)}: about {round(10 * s['precision'])} of 10 coded statements agree with a hand-coder's, "
            f"{round(10 * s['recall'])} of 10 hand-coded positions are found"
            for book, s in sorted(scores.items())
        )
        lines.append(
            f"- Stances are coded automatically. On stancewire's own corpus (cross-validated, above) {per_book}; "
            "on a codebook the model was not trained on, fewer. Read a statement's evidence before citing it, "
            "and measure agreement on a sample of your own (`stancewire review`, which also stores corrections)."
        )
    lines += [
        "- Speakers and actors are resolved by rules: a pronoun or a surname two people share can go to the wrong "
        "person, and a description the rules cannot link to a name is an actor of its own article "
        "(`quotes_with_speakers.speaker_is_unnamed`), now and then a word that names no one.",
        "- A country with `country_source` = `article_setting` is where the actor's articles are set, not a "
        "country the text states.",
        "",
    ]
    return lines


def _how_it_was_made(manifest: dict) -> list[str]:
    return [
        "## How it was made",
        "",
        "1. Ingest: .txt, .json/.jsonl and .html files read; unreadable records listed in `rejected_articles`.",
        "2. Clean: Unicode repair (ftfy), whitespace, glued paragraphs split, metadata lines moved to columns; "
        "exact duplicates listed in `duplicate_articles`. `article_alignment` maps every offset back to the raw text. "
        "Each text's language detected (py3langid); texts in a language not taken listed in `rejected_articles`.",
        "3. Parse and entities: spaCy; NER corrected by patterns; people merged within an article; countries coded ISO 3166-1 alpha-3.",
        "4. Quotes: direct quotes and reported speech with cue and speaker; speakers resolved to actors.",
        _stance_method(manifest),
        "6. Review: coders' corrections (the warehouse's corrections folder, `stancewire review`) applied to the coded statements.",
        "7. Validation: Great Expectations suites over every table; this release passed every blocking expectation.",
        "",
    ]


def _review(manifest: dict) -> list[str]:
    """How the automatic coding held up when coders checked a sample (`stancewire review`)."""
    from pipeline.review.agreement import NOT_REVIEWED, summary_lines

    if "review" not in manifest:
        return []
    files = manifest.get("corrections") or []
    lines = ["## Review by coders", ""]
    lines += [f"- {line if line == NOT_REVIEWED else md(line)}" for line in summary_lines(manifest["review"])]
    if files:
        lines += [
            "",
            f"Corrections in force: {len(files)} file(s) ("
            + ", ".join(f"{md(f['file'])}, {f['entries']} lines" for f in files)
            + "). Corrected and added statements have `method` = manual and their verdict in "
            "`review_verdicts`; every verdict, with its status, is in the `review_verdicts` table.",
        ]
    return [*lines, ""]


def _validation(manifest: dict) -> list[str]:
    lines = [
        "## Validation",
        "",
        "| table | expectations | passed | failed (non-blocking) |",
        "|---|---|---|---|",
    ]
    for name, v in manifest["validation"].items():
        lines.append(f"| {name} | {v['expectations']} | {v['passed']} | {v['failed_nonblocking']} |")
    return lines


def _most_quoted(conn) -> list[str]:
    from pipeline.release.figures import SPEECH_PER_ACTOR

    top = conn.execute(
        f"SELECT name, actor_type, country, quotes FROM ({SPEECH_PER_ACTOR}) ORDER BY quotes DESC, name LIMIT 10"
    ).fetchall()
    if top:
        return [
            "",
            "## Most quoted actors",
            "",
            "Quotes and reported speech (`quotes.cue_kind = 'speech'`, not `negated`); `actors.n_quotes` counts every "
            "attribution, beliefs, wishes and negated cues included.",
            "",
            "| actor | type | country | quotes |",
            "|---|---|---|---|",
        ] + [f"| {md(n)} | {ty} | {c} | {q} |" for n, ty, c, q in top]
    return []


def _tables(manifest: dict) -> list[str]:
    t = manifest["tables"]
    lines = ["", "## Tables", ""]
    for name in RELEASED_TABLES:
        table = TABLES[name]
        lines += [
            f"### {name} ({t[name]['rows']} rows, `{t[name]['file']}`)",
            "",
            f"{table.description} {table.grain} Primary key: {', '.join(table.primary_key)}.",
            "",
            "| column | type | description |",
            "|---|---|---|",
        ]
        lines += [
            f"| {c.name} | {c.type}{'' if c.nullable else ', not null'} | {column_description(c)} |"
            for c in table.columns
        ]
        lines.append("")
    return lines


def _reading_it(manifest: dict) -> list[str]:
    sql = [
        "## Reading it",
        "",
        f"`{RELEASE_DB}` holds every table below, the views of docs/queries.md (`quotes_with_speakers`, "
        "`statements_with_labels`, `actor_positions`, `discourse_ties`, `discourse_network`, `ambiguous_actors`) "
        "and a comment on "
        "every table and column. Open it read-only, with DuckDB 1.4 or later (it is written in the 1.4 "
        f"storage format); beside the version folders, `{CURRENT_DB}` always names the newest version's file:",
        "",
        "```bash",
        f"duckdb -readonly {RELEASE_DB}   # in this folder: this version; data/releases/{CURRENT_DB}: the newest",
        "```",
        "",
        "```python",
        "import duckdb",
        f"con = duckdb.connect('{RELEASE_DB}', read_only=True)",
        "con.sql('SELECT * FROM release_info').show()  # the version this session reads",
        "con.sql('SELECT * FROM actor_positions').show()",
        "```",
        "",
        "A session keeps reading the version it opened while newer ones are published; reconnect to read the "
        "newest. Researchers read these files, never the pipeline's working warehouse (data/warehouse.duckdb), "
        "which holds rows not yet validated and is locked while a run writes.",
        "",
        "The Parquet files, one per table, read with any tool:",
        "",
    ]
    return (sql if RELEASE_DB in manifest.get("files", {}) else ["## Reading it", ""]) + [
        "```python",
        "import polars as pl",
        "quotes = pl.read_parquet('quotes.parquet')",
        "import pandas as pd",
        "stances = pd.read_parquet('stances.parquet')",
        "import duckdb",
        "duckdb.sql(\"SELECT actor, target, stance FROM 'stances.parquet'\").show()",
        "```",
        "",
        "pandas reads a column with missing values as floats unless told otherwise: "
        "`pd.read_parquet('quotes.parquet', dtype_backend='pyarrow')` keeps offsets as integers and dates as dates.",
        "",
        "Without the DuckDB file, `views.sql` makes the same tables and views over the Parquet files: "
        "`duckdb -init views.sql` in this folder.",
        "",
        "Check the files without stancewire: `sha256sum -c SHA256SUMS` in this folder (macOS: "
        "`shasum -a 256 -c SHA256SUMS`). Every other file's sha256 is also in manifest.json; "
        "`stancewire release verify VERSION` checks both, the manifest's own checksum, and that no file was added.",
        "",
    ]

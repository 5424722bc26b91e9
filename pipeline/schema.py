"""Every researcher-facing warehouse table, described once (the pipeline's own bookkeeping
tables are in `storage.warehouse`).

The DuckDB DDL (with primary keys and comments), the data dictionary in `docs/`, the
dataset card, the release's schema fingerprint and the generic Great Expectations
expectations (not null, unique keys, value sets, references) are all derived from
`TABLES`, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

STANCE_LABELS = ("favor", "against", "neutral")
ACTOR_TYPES = ("person", "organization", "country", "group")
QUOTE_KINDS = ("direct", "mixed", "indirect")
CUE_KINDS = ("speech", "thought", "other")  # pipeline.quotes.cues.cue_kind
INPUT_FORMATS = ("txt", "json", "jsonl", "html")
DUPLICATE_MATCHES = ("same_text", "same_id_same_text")
REJECTION_REASONS = (
    "unreadable_file",
    "unsupported_file_type",
    "empty_file",
    "binary_file",
    "undecodable_text",
    "invalid_json",
    "not_an_object",
    "missing_text",
    "text_not_a_string",
    "empty_text",
    "invalid_id",
    "id_conflict",
    "unsupported_html",
    "outside_input_folder",
    "too_large",
    "unsupported_language",
    "no_article_text",
)
# A coder's verdicts (`stancewire review`): on a sampled statement, on a sampled quote, and
# the lines that add a statement or merge or rename an actor.
STATEMENT_VERDICTS = ("correct", "wrong_stance", "wrong_actor", "not_a_statement")
QUOTE_VERDICTS = ("correct", "wrong_speaker", "not_a_quote")
EDIT_VERDICTS = ("add_statement", "merge_actor", "rename_actor")
REVIEW_VERDICTS_IN_STANCES = ("correct", "wrong_stance", "wrong_actor", "added")
REVIEW_STATUSES = ("applied", "superseded", "orphaned", "measured")
# Reasons given to records that were read (they are in raw_articles) and then refused.
READ_THEN_REJECTED = ("id_conflict", "unsupported_language", "no_article_text")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    nullable: bool = False
    values: tuple[str, ...] | None = None  # the allowed values, when the column is a label
    references: tuple[str, str] | None = None  # (table, column) this column points at


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    grain: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    released: bool = True  # part of a published release (False: warehouse-internal)
    offset_pairs: tuple[tuple[str, str], ...] = ()  # (start, end) columns into the article text
    raw_offset_pairs: tuple[tuple[str, str], ...] = ()  # (start, end) columns into the raw text
    # references made of several columns: ((columns), parent table, (parent columns))
    composite_references: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _c(name, type_, description, nullable=False, values=None, references=None) -> Column:
    return Column(name, type_, description, nullable, tuple(values) if values else None, references)


_PROVENANCE = (
    _c("batch_id", "VARCHAR", "Ingest batch (one input folder or file drop) the record came in with."),
    _c("source_file", "VARCHAR", "Path of the input file, relative to the batch's input folder (POSIX separators)."),
    _c(
        "record_no",
        "INTEGER",
        "1-based number of the record within its file (the line for JSONL, the item for a JSON array; 1 otherwise).",
    ),
)
_ARTICLE_REF = _c("article_id", "VARCHAR", "The article.", references=("articles", "article_id"))

TABLES: dict[str, Table] = {}


def _table(t: Table) -> Table:
    TABLES[t.name] = t
    return t


RAW_ARTICLES = _table(
    Table(
        "raw_articles",
        "Every input record that could be read, as read: the ingest stage's output, before cleaning.",
        "One row per readable input record.",
        (
            *_PROVENANCE,
            _c("input_format", "VARCHAR", "Format of the input file.", values=INPUT_FORMATS),
            _c(
                "encoding",
                "VARCHAR",
                "Character encoding the file was decoded with (utf-8, utf-8-sig, utf-16, cp1252, ...).",
            ),
            _c("external_id", "VARCHAR", "Identifier given by the input (JSON `id`), if any.", nullable=True),
            _c("title", "VARCHAR", "Title given by the input or the first line of a .txt file.", nullable=True),
            _c("outlet", "VARCHAR", "Publishing outlet given by the input or a `Source:` line.", nullable=True),
            _c("author", "VARCHAR", "Author given by the input.", nullable=True),
            _c("url", "VARCHAR", "URL given by the input.", nullable=True),
            _c(
                "published_at",
                "VARCHAR",
                "Publication date/time as the input gives it (articles.published_date reads it as a date).",
                nullable=True,
            ),
            _c(
                "raw_text",
                "VARCHAR",
                "The record's text exactly as read (for HTML: the extracted main text; a lone UTF-16 surrogate from a JSON escape, which no UTF-8 file can hold, becomes U+FFFD, one character for one). All raw_* offsets point into it.",
            ),
            _c("record_sha256", "VARCHAR", "SHA-256 of raw_text (UTF-8)."),
        ),
        ("batch_id", "source_file", "record_no"),
        released=False,
    )
)

ARTICLES = _table(
    Table(
        "articles",
        "Cleaned, de-duplicated articles: the unit every other table refers to.",
        "One row per distinct article.",
        (
            _c(
                "article_id",
                "VARCHAR",
                "Stable id: the input's id when given, else the first 16 hex digits of the SHA-256 of the cleaned text.",
            ),
            *_PROVENANCE,
            _c(
                "doc_name",
                "VARCHAR",
                "The input's id when given, else the file name without extension (plus -<record_no> for JSON records); the name evaluation files use.",
            ),
            _c("input_format", "VARCHAR", "Format of the input file.", values=INPUT_FORMATS),
            _c("encoding", "VARCHAR", "Character encoding the file was decoded with."),
            _c("external_id", "VARCHAR", "Identifier given by the input, if any.", nullable=True),
            _c("title", "VARCHAR", "Article title.", nullable=True),
            _c("outlet", "VARCHAR", "Publishing outlet (from metadata or a `Source:` line).", nullable=True),
            _c("author", "VARCHAR", "Author (from metadata or a trailing `By ...` byline).", nullable=True),
            _c("url", "VARCHAR", "URL, when given.", nullable=True),
            _c("published_at", "VARCHAR", "Publication date/time as the input gives it.", nullable=True),
            _c(
                "published_date",
                "DATE",
                "The calendar date published_at gives (as written, no time zone conversion); null when it "
                "gives none, or one only a guess would complete: no day, or day and month that could be "
                "either way round (08/09/2016).",
                nullable=True,
            ),
            _c(
                "original_source",
                "VARCHAR",
                "Text of a trailing 'The original article: ...' note, moved out of the body.",
                nullable=True,
            ),
            _c("raw_text", "VARCHAR", "The record's text exactly as read; raw_* offsets in every table point into it."),
            _c(
                "text",
                "VARCHAR",
                "Cleaned text, paragraphs separated by a blank line (for .txt and .html the title is the first paragraph); metadata lines removed. All char_* offsets point into it.",
            ),
            _c("text_sha256", "VARCHAR", "SHA-256 of text (UTF-8): the exact-duplicate key."),
            _c("n_chars", "INTEGER", "Length of text in characters (Python str / DuckDB length)."),
            _c("n_paragraphs", "INTEGER", "Number of paragraphs in text, title included."),
            _c(
                "language",
                "VARCHAR",
                "The language the text was taken in, one of the accepted languages (setting `languages`; ISO 639 codes, two letters where there are): the detected top language (py3langid), else the likeliest accepted one; null when the text is too short or too mixed to tell. Texts detected in another language are in rejected_articles (unsupported_language).",
                nullable=True,
            ),
            _c(
                "cleaning",
                "VARCHAR",
                "Comma-separated list of the repairs applied (unicode_repair: mojibake, normalisation, HTML entities; split_glued_paragraphs; unwrapped_lines: a hard-wrapped text's lines joined into paragraphs; whitespace; markup: tags dropped), empty when none.",
            ),
        ),
        ("article_id",),
    )
)

ARTICLE_ALIGNMENT = _table(
    Table(
        "article_alignment",
        "Maps the cleaned text back to the raw text: text[char_start:char_end] was made from raw_text[raw_char_start:raw_char_end].",
        "One row per aligned segment of an article; segments tile the cleaned text in order.",
        (
            _ARTICLE_REF,
            _c("segment_no", "INTEGER", "0-based position of the segment in the cleaned text."),
            _c("char_start", "INTEGER", "Start offset in articles.text."),
            _c("char_end", "INTEGER", "End offset (exclusive) in articles.text."),
            _c("raw_char_start", "INTEGER", "Start offset in articles.raw_text."),
            _c("raw_char_end", "INTEGER", "End offset (exclusive) in articles.raw_text."),
            _c(
                "is_copy",
                "BOOLEAN",
                "True when the segment is an unchanged copy of the raw characters (offsets map one to one).",
            ),
        ),
        ("article_id", "segment_no"),
        offset_pairs=(("char_start", "char_end"),),
        raw_offset_pairs=(("raw_char_start", "raw_char_end"),),
    )
)

REJECTED_ARTICLES = _table(
    Table(
        "rejected_articles",
        "Input records that could not become articles, with the reason. Nothing read is dropped silently.",
        "One row per rejected input record (or unreadable file).",
        (
            *_PROVENANCE,
            _c("reason", "VARCHAR", "Machine-readable reason code.", values=REJECTION_REASONS),
            _c("detail", "VARCHAR", "Human-readable explanation naming what was wrong."),
            _c(
                "snippet",
                "VARCHAR",
                "The first 200 characters of the record as read, for diagnosis. NULL for id_conflict: the "
                "record was read and is in raw_articles (same batch_id, source_file, record_no).",
                nullable=True,
            ),
        ),
        ("batch_id", "source_file", "record_no"),
    )
)

DUPLICATE_ARTICLES = _table(
    Table(
        "duplicate_articles",
        "Input records whose cleaned text is exactly that of an article already kept.",
        "One row per duplicate input record.",
        (
            *_PROVENANCE,
            _c("duplicate_of", "VARCHAR", "The article this record duplicates.", references=("articles", "article_id")),
            _c(
                "match",
                "VARCHAR",
                "How the duplicate was recognised: `same_id_same_text`, the id the input gave and the text both match; `same_text`, the text matches (under another id, or the record has none).",
                values=DUPLICATE_MATCHES,
            ),
        ),
        ("batch_id", "source_file", "record_no"),
    )
)

SENTENCES = _table(
    Table(
        "sentences",
        "Sentences of the cleaned texts as spaCy's parser split them.",
        "One row per sentence.",
        (
            _ARTICLE_REF,
            _c("sentence_no", "INTEGER", "0-based position of the sentence in the article."),
            _c("char_start", "INTEGER", "Start offset in articles.text."),
            _c("char_end", "INTEGER", "End offset (exclusive) in articles.text."),
            _c("raw_char_start", "INTEGER", "Start offset in articles.raw_text."),
            _c("raw_char_end", "INTEGER", "End offset (exclusive) in articles.raw_text."),
            _c("text", "VARCHAR", "The sentence text."),
        ),
        ("article_id", "sentence_no"),
        offset_pairs=(("char_start", "char_end"),),
        raw_offset_pairs=(("raw_char_start", "raw_char_end"),),
    )
)

MENTIONS = _table(
    Table(
        "mentions",
        "Named-entity mentions found by spaCy's NER and corrected by patterns, linked to canonical actors.",
        "One row per entity mention.",
        (
            _c(
                "mention_id",
                "VARCHAR",
                "Id: article_id:char_start-char_end. Text: it does not sort in text order (order by char_start).",
            ),
            _ARTICLE_REF,
            _c("char_start", "INTEGER", "Start offset in articles.text."),
            _c("char_end", "INTEGER", "End offset (exclusive) in articles.text."),
            _c("raw_char_start", "INTEGER", "Start offset in articles.raw_text."),
            _c("raw_char_end", "INTEGER", "End offset (exclusive) in articles.raw_text."),
            _c("text", "VARCHAR", "The mention as written."),
            _c("label", "VARCHAR", "Entity label (spaCy OntoNotes scheme: PERSON, ORG, GPE, NORP, LOC, ...)."),
            _c(
                "label_source",
                "VARCHAR",
                "'model' for spaCy's label, 'pattern' when a pattern corrected or added it.",
                values=("model", "pattern"),
            ),
            _c(
                "actor_id",
                "VARCHAR",
                "Canonical actor the mention refers to, when it names one.",
                nullable=True,
                references=("actors", "actor_id"),
            ),
        ),
        ("mention_id",),
        offset_pairs=(("char_start", "char_end"),),
        raw_offset_pairs=(("raw_char_start", "raw_char_end"),),
    )
)

QUOTES = _table(
    Table(
        "quotes",
        "Attributions: direct quotes and reported speech, with cue and speaker.",
        "One row per attribution (a quote split around its attribution is one row).",
        (
            _c(
                "quote_id",
                "VARCHAR",
                "Id: article_id:q<content start>. Text: it does not sort in text order (order by char_start).",
            ),
            _ARTICLE_REF,
            _c(
                "kind",
                "VARCHAR",
                "direct: a quotation; mixed: reported clause with quoted words; indirect: reported speech.",
                values=QUOTE_KINDS,
            ),
            _c("is_direct", "BOOLEAN", "True for direct and mixed (the content holds quotation marks)."),
            _c("char_start", "INTEGER", "Start of the content (first segment) in articles.text."),
            _c("char_end", "INTEGER", "End of the content (last segment, exclusive) in articles.text."),
            _c("raw_char_start", "INTEGER", "char_start mapped into articles.raw_text."),
            _c("raw_char_end", "INTEGER", "char_end mapped into articles.raw_text."),
            _c(
                "content_segments",
                "VARCHAR",
                "JSON list of [start, end] content segments in articles.text (two or more for a split quote).",
            ),
            _c("content", "VARCHAR", "The content text (segments joined by ' ... ')."),
            _c("cue", "VARCHAR", "The cue as written (said, told reporters, according to, ':').", nullable=True),
            _c(
                "cue_lemma",
                "VARCHAR",
                "The cue normalised to a lemma (say, tell, according to; a noun with what its content hangs on: claim that, plan to, criticism of).",
                nullable=True,
            ),
            _c(
                "cue_kind",
                "VARCHAR",
                "What the cue reports: speech (said, told, accused, according to, a colon), thought (believes, "
                "expects, found, worries about) or other (wants to, plans to, appears to, agreed to do). "
                "'Who said what' is speech. pipeline/nlp/resources/cue_kinds.tsv overrides the cue lists; noun_cues.tsv gives each noun cue's.",
                values=CUE_KINDS,
            ),
            _c(
                "negated",
                "BOOLEAN",
                "True when the cue is negated (has not commented, did not say, never mentioned, would no longer "
                "defend): the article reports that the speaker did not say, think or do what the content holds. "
                "Kept, as PolNeAR annotates such attributions; 'who said what' leaves them out (negated IS NOT TRUE).",
            ),
            _c("cue_char_start", "INTEGER", "Start of the cue in articles.text.", nullable=True),
            _c("cue_char_end", "INTEGER", "End of the cue in articles.text.", nullable=True),
            _c(
                "speaker",
                "VARCHAR",
                "The speaker mention exactly as written (he, the spokeswoman, Sergei Lavrov).",
                nullable=True,
            ),
            _c("speaker_char_start", "INTEGER", "Start of the speaker mention in articles.text.", nullable=True),
            _c("speaker_char_end", "INTEGER", "End of the speaker mention in articles.text.", nullable=True),
            _c(
                "speaker_actor_id",
                "VARCHAR",
                "The canonical actor the speaker resolves to; of a speaker that lists several named actors "
                "(Ted Cruz and Marco Rubio), the first. The stances table gives each of them the statements the "
                "attribution carries.",
                nullable=True,
                references=("actors", "actor_id"),
            ),
            _c(
                "speaker_resolution",
                "VARCHAR",
                'How the speaker was resolved. `name`: it names the actor, or its appositive does ("his wife, '
                'Huma Abedin"); `pronoun`: a pronoun; `role`: a role or a definite description of an actor named before '
                '("the Defence Secretary", "the union"); '
                '`description`: it describes an actor never named ("a UK Government source"); `continuation`: '
                "a quote whose speaker was named in an earlier paragraph; `unresolved`: it names no actor; "
                "`none`: no speaker span.",
                values=("name", "pronoun", "role", "description", "continuation", "unresolved", "none"),
            ),
        ),
        ("quote_id",),
        offset_pairs=(
            ("char_start", "char_end"),
            ("cue_char_start", "cue_char_end"),
            ("speaker_char_start", "speaker_char_end"),
        ),
        raw_offset_pairs=(("raw_char_start", "raw_char_end"),),
    )
)

CODEBOOK_TARGETS = _table(
    Table(
        "codebook_targets",
        "The targets (issues, policies, candidates) of the codebooks stances were coded against.",
        "One row per codebook target.",
        (
            _c("codebook", "VARCHAR", "Codebook name."),
            _c("target", "VARCHAR", "Target id within the codebook."),
            _c("codebook_version", "VARCHAR", "Codebook version."),
            _c("label", "VARCHAR", "Human-readable target label."),
            _c("description", "VARCHAR", "What the target covers.", nullable=True),
            _c("terms", "VARCHAR", "JSON list of the phrases that signal the target."),
        ),
        ("codebook", "target"),
    )
)

STANCES = _table(
    Table(
        "stances",
        "Coded statements (political claims analysis): an actor taking a position on a codebook target, with evidence.",
        "One row per (article, actor, codebook, target) the model codes; a statement a coder adds "
        "(`...:manual:<start>`) can add more.",
        (
            _c(
                "statement_id",
                "VARCHAR",
                "Id: article_id:codebook:target:actor_id:stance as first coded (a coder's correction keeps it), "
                "or article_id:codebook:target:actor_id:manual:<evidence start> for a statement a coder added.",
            ),
            _ARTICLE_REF,
            _c("actor_id", "VARCHAR", "The stance holder.", references=("actors", "actor_id")),
            _c("actor", "VARCHAR", "The stance holder as named most fully in the article."),
            _c("actor_type", "VARCHAR", "Kind of actor.", values=ACTOR_TYPES),
            _c(
                "country",
                "VARCHAR",
                "ISO 3166-1 alpha-3 code of the country the actor speaks for in this article, when the article "
                "makes it clear; else null. The actor's country over the whole corpus is actors.country (join on "
                "actor_id): filter on that to find every statement of an actor from a country.",
                nullable=True,
            ),
            _c("codebook", "VARCHAR", "Codebook name."),
            _c("codebook_version", "VARCHAR", "Codebook version."),
            _c("target", "VARCHAR", "Target id in the codebook."),
            _c("stance", "VARCHAR", "Position on the target.", values=STANCE_LABELS),
            _c(
                "confidence",
                "DOUBLE",
                "The model's probability of the label, 0 to 1 (eval/stance.md has how it matches precision). "
                "The model codes a statement when its probability of no position is below its threshold (the "
                "manifest's stance_model.threshold), so a confidence below 0.5 is possible.",
            ),
            _c("evidence_char_start", "INTEGER", "Start of the evidence in articles.text."),
            _c("evidence_char_end", "INTEGER", "End of the evidence in articles.text."),
            _c("raw_char_start", "INTEGER", "evidence_char_start mapped into articles.raw_text."),
            _c("raw_char_end", "INTEGER", "evidence_char_end mapped into articles.raw_text."),
            _c(
                "evidence",
                "VARCHAR",
                "Verbatim excerpt of the article carrying the position: the one the statement was decided on "
                "when several sentences carry it (the model codes one statement per article, actor, codebook "
                "and target; the stance in statement_id is the one first coded).",
            ),
            _c(
                "cue",
                "VARCHAR",
                "The word or phrase that signals the position (e.g. 'unacceptable', 'would not oppose'): the "
                "rule coder's cue when it coded the same statement, else the first cue-lexicon word of the "
                "evidence, the verb that ties holder and target, or the quote's cue word.",
            ),
            _c(
                "quote_id",
                "VARCHAR",
                "The attribution the statement was coded from, if any.",
                nullable=True,
                references=("quotes", "quote_id"),
            ),
            _c(
                "method",
                "VARCHAR",
                "The coder and its version: the trained model, `logreg-` and its version (its cross-validated scores "
                "are in the manifest and the dataset card), or `manual` when a coder added the statement or "
                "corrected its stance or actor (`review_verdict`).",
            ),
            _c(
                "review_verdict",
                "VARCHAR",
                "A coder's verdict on the statement (`stancewire review`, docs/review.md): correct, wrong_stance "
                "(stance corrected), wrong_actor (actor corrected), added (coded by hand); empty when not reviewed. "
                "Every verdict, statements removed as not_a_statement included, is in `review_verdicts`.",
                nullable=True,
                values=REVIEW_VERDICTS_IN_STANCES,
            ),
        ),
        ("statement_id",),
        offset_pairs=(("evidence_char_start", "evidence_char_end"),),
        raw_offset_pairs=(("raw_char_start", "raw_char_end"),),
        # checked, with codebook_version, by expectations/stances.py (target_in_codebook)
        composite_references=((("codebook", "target"), "codebook_targets", ("codebook", "target")),),
    )
)

ACTORS = _table(
    Table(
        "actors",
        "Canonical actors: people, organisations, countries and groups, with one id across articles for one name.",
        "One row per canonical actor.",
        (
            _c(
                "actor_id",
                "VARCHAR",
                "Readable id: <type>:<slug of the name>, or country:<ISO3> for countries; an unnamed source "
                '("diplomatic sources") is one article\'s: <type>:<slug>@<article_id>.',
            ),
            _c("name", "VARCHAR", "Canonical (fullest) name."),
            _c("actor_type", "VARCHAR", "Kind of actor.", values=ACTOR_TYPES),
            _c(
                "country",
                "VARCHAR",
                "ISO 3166-1 alpha-3 code of the actor's country, when known: the one its articles state most "
                "often, else (not for countries) the country its articles are set in (country_source).",
                nullable=True,
            ),
            _c(
                "country_source",
                "VARCHAR",
                "Where the country comes from: text (a role, place, party or listed organisation in an article "
                "names it) or article_setting (no article states one; most of the actor's articles are set in "
                "that country, by their place mentions). NULL when country is.",
                values=("text", "article_setting"),
                nullable=True,
            ),
            _c("n_articles", "INTEGER", "Number of articles that mention or quote the actor."),
            _c("n_mentions", "INTEGER", "Number of entity mentions linked to the actor."),
            _c("n_quotes", "INTEGER", "Number of attributions whose speaker resolves to the actor."),
            _c("n_statements", "INTEGER", "Number of coded stance statements by the actor."),
        ),
        ("actor_id",),
    )
)

REVIEW_VERDICTS = _table(
    Table(
        "review_verdicts",
        "Coders' verdicts on sampled statements and quotes, and their hand edits (added statements, actor "
        "merges and renames), from the corrections files in the warehouse's corrections folder (data/corrections "
        "for data/warehouse.duckdb; `stancewire review`, docs/review.md).",
        "One row per line of an applied review file.",
        (
            _c("review", "VARCHAR", "The corrections file (<corrections folder>/<review>.json) the line is in."),
            _c("line", "INTEGER", "The line of the coder's review CSV (the header is line 1)."),
            _c("coder", "VARCHAR", "Who reviewed the line (the CSV's coder column, or `review apply --coder`)."),
            _c("reviewed_at", "VARCHAR", "When the review file was applied (ISO 8601 date)."),
            _c("item", "VARCHAR", "What the line is about.", values=("statement", "quote", "actor")),
            _c(
                "item_id",
                "VARCHAR",
                "The statement_id, quote_id or actor_id reviewed (for an added statement: the id it was given).",
            ),
            _c("article_id", "VARCHAR", "The article of the statement or quote.", nullable=True),
            _c("codebook", "VARCHAR", "Codebook of the statement.", nullable=True),
            _c(
                "codebook_version",
                "VARCHAR",
                "Codebook version the statement was coded (or added) under.",
                nullable=True,
            ),
            _c("target", "VARCHAR", "Target of the statement.", nullable=True),
            _c("actor", "VARCHAR", "The statement's actor (the quote's speaker) as the coder saw it.", nullable=True),
            _c(
                "machine_stance",
                "VARCHAR",
                "The stance the pipeline had coded when the coder saw the statement.",
                nullable=True,
                values=STANCE_LABELS,
            ),
            _c(
                "verdict",
                "VARCHAR",
                "The coder's verdict.",
                values=tuple(dict.fromkeys(STATEMENT_VERDICTS + QUOTE_VERDICTS + EDIT_VERDICTS)),
            ),
            _c(
                "corrected_stance",
                "VARCHAR",
                "The stance the coder gave (wrong_stance, wrong_actor, add_statement).",
                nullable=True,
                values=STANCE_LABELS,
            ),
            _c(
                "corrected_actor", "VARCHAR", "The actor the coder gave (wrong_actor, merge and rename).", nullable=True
            ),
            _c("note", "VARCHAR", "The coder's note.", nullable=True),
            _c(
                "status",
                "VARCHAR",
                "applied: in force in this release; superseded: a later review of the same item replaces it; "
                "orphaned: its statement, article or actor no longer exists (reported by the run); measured: a "
                "quote verdict, or a second coder's (`review apply --reliability`), counted in the agreement figures "
                "only.",
                values=REVIEW_STATUSES,
            ),
            _c(
                "applied_to",
                "VARCHAR",
                "The statement_id (actor_id) the verdict applies to in this release, when applied.",
                nullable=True,
            ),
        ),
        ("review", "line"),
    )
)

ALIAS_RULES = (
    "surname",
    "first_name",
    "full_name",
    "nickname",
    "name_in_span",
    "person_name",
    "acronym",
    "coder_merge",
)
ACTOR_ALIASES = _table(
    Table(
        "actor_aliases",
        "Actor ids that were joined to another actor: short forms joined to the corpus's full name "
        "(pipeline/actors/canonical.py) and coders' merges (`stancewire review`). Join an older release's "
        "actor ids through it to this release's actors.",
        "One row per id that is no longer an actor of its own.",
        (
            _c("alias_id", "VARCHAR", "The id as it was (or would be) given to the short form."),
            _c("actor_id", "VARCHAR", "The actor it belongs to now.", references=("actors", "actor_id")),
            _c(
                "rule",
                "VARCHAR",
                "Why: surname ('Obama' -> the dominant full name with that surname), first_name, full_name "
                "('Donald J. Trump' -> 'Donald Trump'), nickname (a formal name with an initial -> the two-word name "
                "with another form of the first name: 'Charles E. Grassley' -> 'Chuck Grassley'), name_in_span (a full name run into other words: "
                "'Donald Trump Leads' -> 'Donald Trump'), person_name (a one-word organisation that is a person's "
                "surname), acronym ('organization:fsa' -> the Free Syrian Army, where articles naming it in full "
                "link the acronym to it), coder_merge.",
                values=ALIAS_RULES,
            ),
        ),
        ("alias_id",),
    )
)

RELEASED_TABLES = tuple(name for name, t in TABLES.items() if t.released)


def sql_literal(value) -> str:
    """A value as a SQL string literal (single quotes doubled), where DuckDB cannot bind a
    parameter: paths in read_parquet and COPY, comments in DDL."""
    return "'" + str(value).replace("'", "''") + "'"


def create_table_sql(table: Table, primary_key: bool = True) -> list[str]:
    """DDL for one table: CREATE TABLE with types, NOT NULL and the primary key, then comments.
    primary_key=False: the key is named in the table's comment instead of being a constraint
    (a read-only copy, whose rows are checked already, needs no index to enforce it)."""
    cols = ",\n  ".join(f'"{c.name}" {c.type}{"" if c.nullable else " NOT NULL"}' for c in table.columns)
    pk = ", ".join(f'"{k}"' for k in table.primary_key)
    key = f",\n  PRIMARY KEY ({pk})" if primary_key else ""
    comment = table.description + " " + table.grain
    if not primary_key:
        comment += f" Primary key: {', '.join(table.primary_key)}."
    stmts = [f'CREATE TABLE IF NOT EXISTS "{table.name}" (\n  {cols}{key}\n)']
    stmts.append(f'COMMENT ON TABLE "{table.name}" IS {sql_literal(comment)}')
    for c in table.columns:
        stmts.append(f'COMMENT ON COLUMN "{table.name}"."{c.name}" IS {sql_literal(c.description)}')
    return stmts


def schema_fingerprint_source(tables=RELEASED_TABLES) -> list[dict]:
    """The part of the schema a consumer depends on: table and column names and types, keys."""
    return [
        {
            "table": name,
            "columns": [[c.name, c.type, c.nullable] for c in TABLES[name].columns],
            "primary_key": list(TABLES[name].primary_key),
        }
        for name in tables
    ]

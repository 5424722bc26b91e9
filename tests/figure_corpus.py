"""A small written corpus for the figure tests: an in-memory warehouse (every table, the
views) holding articles, quotes, actors, codebook targets and stance statements made to
order, without running the pipeline. Names and labels are long and carry markup."""

from __future__ import annotations

import datetime as dt

import duckdb

TYPES = ("person", "organization", "country", "group")
OUTLETS = ("The Daily <Wire> & Co", "Le Monde", "A Very Long Outlet Name Limited International Edition", None)
TARGETS = (
    "Donald Trump",
    "European peacekeeping troops in Ukraine, led by the United Kingdom and France",
    "Higher European / UK defence spending and rearmament across the continent",
    "Sanctions $on$ Russia",
    "US military backstop",
)


def actor_name(i: int) -> str:
    if i % 7 == 3:
        return f"Actor {i} with an extraordinarily long name that no label can hold in one line"
    if i % 11 == 5:
        return f"Dollar ${i}$ <b>bold</b>"
    return f"Actor {i:02d}"


def warehouse(
    n_actors: int = 12, n_targets: int = 3, dated: bool = True, days: int = 70, n_articles: int = 24
) -> duckdb.DuckDBPyConnection:
    """`n_actors` actors with positions on `n_targets` targets over `n_articles` articles,
    dated over `days` days (undated when `dated` is false); deterministic."""
    from pipeline.storage.warehouse import ensure_schema

    conn = duckdb.connect()
    ensure_schema(conn)
    start = dt.date(2025, 1, 6)
    for a in range(n_articles):
        published = (start + dt.timedelta(days=a * days // n_articles)).isoformat() if dated else None
        conn.execute(
            "INSERT INTO articles (article_id, batch_id, source_file, record_no, doc_name, input_format, encoding, "
            "title, outlet, published_at, published_date, raw_text, text, text_sha256, n_chars, n_paragraphs, "
            "cleaning) VALUES (?, 'b', ?, 1, ?, 'txt', 'utf-8', ?, ?, ?, ?, 'x', 'x', ?, 1, 1, '')",
            [
                f"art{a:03d}",
                f"a{a}.txt",
                f"a{a}",
                f"Article {a}",
                OUTLETS[a % len(OUTLETS)],
                published,
                published,
                f"{a:064d}",
            ],
        )
    for j in range(n_targets):
        conn.execute(
            "INSERT INTO codebook_targets (codebook, target, codebook_version, label, terms) VALUES ('cb', ?, '1', ?, '[]')",
            [f"t{j}", TARGETS[j % len(TARGETS)] + (f" {j}" if j >= len(TARGETS) else "")],
        )
    n_statements, n_quotes = {}, {}
    for i in range(n_actors):
        actor_id, typ = f"{TYPES[i % 4]}:a{i:03d}", TYPES[i % 4]
        for j in range(n_targets):
            if (i + j) % 3 == 2:
                continue
            stance = ("favor", "against", "favor", "neutral", "against")[(i * 7 + j * 3) % 5]
            for k in range(1 + (i + j) % 4):
                article = f"art{(i * 3 + j + k * 5) % max(n_articles - 3, 1):03d}"  # the last three: no statement
                conn.execute(
                    "INSERT INTO stances (statement_id, article_id, actor_id, actor, actor_type, codebook, "
                    "codebook_version, target, stance, confidence, evidence_char_start, evidence_char_end, "
                    "raw_char_start, raw_char_end, evidence, cue, method) "
                    "VALUES (?, ?, ?, ?, ?, 'cb', '1', ?, ?, 0.9, 0, 1, 0, 1, 'x', 'x', 'rules-v1')",
                    [f"s{i}-{j}-{k}", article, actor_id, actor_name(i), typ, f"t{j}", stance],
                )
                n_statements[actor_id] = n_statements.get(actor_id, 0) + 1
        for k in range(i % 4):
            quote = f"q{i}-{k}"
            conn.execute(
                "INSERT INTO quotes (quote_id, article_id, kind, is_direct, char_start, char_end, raw_char_start, "
                "raw_char_end, content_segments, content, cue_kind, negated, speaker_actor_id, speaker_resolution) "
                "VALUES (?, ?, 'direct', true, 0, 1, 0, 1, '[[0, 1]]', 'x', 'speech', false, ?, 'name')",
                [quote, f"art{(i + k) % n_articles:03d}", actor_id],
            )
            n_quotes[actor_id] = n_quotes.get(actor_id, 0) + 1
        conn.execute(
            "INSERT INTO actors (actor_id, name, actor_type, country, n_articles, n_mentions, n_quotes, n_statements) "
            "VALUES (?, ?, ?, ?, 1, 1, ?, ?)",
            [
                actor_id,
                actor_name(i),
                typ,
                ("GBR", "FRA", None)[i % 3],
                n_quotes.get(actor_id, 0),
                n_statements.get(actor_id, 0),
            ],
        )
    return conn

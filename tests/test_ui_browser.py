"""The Dagster UI in a real browser: `dagster dev -w workspace.yaml` on 127.0.0.1, the asset
graph opened in headless Chromium (Debian's package; .ci/run installs it), the stage assets
on the page, a screenshot kept in the test's folder. The server is stopped by process id."""

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
# The stage groups and the assets each one's graph must show.
STAGE_GROUPS = {
    "ingest": ["batch_files", "raw_articles", "rejected_articles"],
    "clean": ["articles", "article_alignment", "duplicate_articles"],
    "nlp": ["batch_nlp", "sentences"],
    "entities": ["mentions", "actors"],
    "quotes": ["quotes"],
    "stances": ["codebook_targets", "stances"],
    "release": ["dataset_release"],
}
# Chromium flags for a closed network: no background requests, no first-run or sync.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dagster_dev(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\nnux:\n  enabled: false\n")
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "STANCEWIRE_WAREHOUSE": str(tmp_path / "w.duckdb"),
           "STANCEWIRE_RELEASES": str(tmp_path / "releases"), "STANCEWIRE_INBOX": str(tmp_path / "inbox"),
           "DAGSTER_DISABLE_TELEMETRY": "true", "GX_ANALYTICS_ENABLED": "false"}
    log = open(tmp_path / "dagster-dev.log", "wb")
    dagster = Path(sys.executable).with_name("dagster")
    proc = subprocess.Popen([str(dagster), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
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
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass
        log.close()


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_asset_graph_in_the_browser(dagster_dev, tmp_path):
    from playwright.sync_api import sync_playwright

    missing = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            for group, names in STAGE_GROUPS.items():
                page.goto(f"{dagster_dev}/locations/stancewire/asset-groups/{group}", wait_until="domcontentloaded",
                          timeout=60_000)
                page.get_by_text(names[0]).first.wait_for(timeout=90_000)
                page.wait_for_timeout(500)  # let the graph finish its layout before the screenshot
                page.screenshot(path=str(tmp_path / f"asset-graph-{group}.png"))
                content = page.content()
                missing.update({group: [n for n in names if n not in content]} if any(n not in content for n in names) else {})
        finally:
            browser.close()
    assert not missing, f"asset names not on their group's graph: {missing}"
    assert (tmp_path / "asset-graph-nlp.png").stat().st_size > 10_000

"""The discourse network: `stancewire export network` writes GraphML / GEXF that networkx
reads back, with the congruence and conflict weights the statements imply."""

from __future__ import annotations

import itertools
import shutil
from collections import defaultdict

import duckdb
import networkx as nx
import pytest

from cli.main import main
from pipeline.storage import views

LAVROV = "person:sergei-lavrov"


def expected_ties(db) -> dict[tuple[str, str], tuple[int, int]]:
    """(actor_a, actor_b) -> (congruence, conflict), computed in Python from the statements."""
    held = defaultdict(set)
    for actor, book, target, stance in db.execute(
        "SELECT DISTINCT actor_id, codebook, target, stance FROM stances WHERE stance IN ('favor', 'against')"
    ).fetchall():
        held[(book, target)].add((actor, stance))
    ties = defaultdict(lambda: [0, 0])
    for positions in held.values():
        for (a, sa), (b, sb) in itertools.combinations(sorted(positions), 2):
            if a == b:
                continue
            pair = tuple(sorted((a, b)))
            ties[pair][0 if sa == sb else 1] += 1
    return {pair: tuple(v) for pair, v in ties.items()}


def edges(graph) -> dict[tuple[str, str], tuple[int, int]]:
    return {tuple(sorted((u, v))): (int(d["congruence"]), int(d["conflict"])) for u, v, d in graph.edges(data=True)}


@pytest.fixture
def warehouse(seed_run):
    _, settings, outcome = seed_run
    assert outcome.ok, outcome.reason
    return settings.warehouse


def test_graphml_has_the_ties_the_statements_imply(warehouse, seed_db, tmp_path, capsys):
    out = tmp_path / "network.graphml"
    assert main(["export", "network", "--format", "graphml", "--out", str(out), "--warehouse", warehouse]) == 0
    assert "wrote" in capsys.readouterr().out
    graph = nx.read_graphml(out)
    expected = expected_ties(seed_db)
    assert expected, "the seed article has opposed and shared positions"
    assert edges(graph) == expected
    for _, _, d in graph.edges(data=True):
        assert d["weight"] == d["congruence"] + d["conflict"] > 0
        assert d["relation"] == (
            "both" if d["congruence"] and d["conflict"] else "congruence" if d["congruence"] else "conflict"
        )
    # Lavrov (against) disagrees on the peacekeeping force with everyone who favors it
    favoring = {
        r[0]
        for r in seed_db.execute(
            "SELECT actor_id FROM stances WHERE target = 'peacekeeping_force' AND stance = 'favor'"
        ).fetchall()
    } - {LAVROV}
    assert favoring
    for actor in favoring:
        tie = graph.edges[LAVROV, actor]
        assert tie["conflict"] >= 1 and "ukraine-peacekeeping:peacekeeping_force" in tie["conflicting_targets"]
    lavrov = graph.nodes[LAVROV]
    assert (lavrov["label"], lavrov["actor_type"], lavrov["country"]) == ("Sergei Lavrov", "person", "RUS")
    assert lavrov["n_against"] >= 1
    # every node took a side on something; every actor that did is a node
    sided = {
        r[0]
        for r in seed_db.execute(
            "SELECT DISTINCT actor_id FROM stances WHERE stance IN ('favor', 'against')"
        ).fetchall()
    }
    assert set(graph.nodes) == sided


def test_gexf_conflict_network(warehouse, seed_db, tmp_path):
    out = tmp_path / "conflict.gexf"
    assert (
        main(
            [
                "export",
                "network",
                "--format",
                "gexf",
                "--relation",
                "conflict",
                "--out",
                str(out),
                "--warehouse",
                warehouse,
            ]
        )
        == 0
    )
    graph = nx.read_gexf(out)
    expected = {pair: w for pair, w in expected_ties(seed_db).items() if w[1] > 0}
    assert edges(graph) == expected
    assert all(d["weight"] == d["conflict"] > 0 for _, _, d in graph.edges(data=True))
    assert graph.nodes[LAVROV]["label"] == "Sergei Lavrov"


def test_network_from_a_release_equals_the_warehouse(seed_run, warehouse, tmp_path):
    tmp, _, _ = seed_run
    from_release, from_warehouse = tmp_path / "r.graphml", tmp_path / "w.graphml"
    assert (
        main(
            [
                "export",
                "network",
                "--format",
                "graphml",
                "--out",
                str(from_release),
                "--release",
                "v1.0.0",
                "--releases",
                str(tmp / "releases"),
            ]
        )
        == 0
    )
    assert (
        main(["export", "network", "--format", "graphml", "--out", str(from_warehouse), "--warehouse", warehouse]) == 0
    )
    a, b = nx.read_graphml(from_release), nx.read_graphml(from_warehouse)
    assert edges(a) == edges(b) and dict(a.nodes(data=True)) == dict(b.nodes(data=True))


def test_a_releases_folder_alone_or_latest_reads_its_current_release(seed_run, tmp_path, capsys):
    """`--releases DIR` without `--release` reads that folder's current release, not the
    default warehouse (a researcher pointing at releases means them); `--release latest`
    names the current one; a folder with no releases is refused."""
    tmp, _, _ = seed_run
    releases = str(tmp / "releases")
    outs = [tmp_path / f"{i}.csv" for i in range(3)]
    for out, extra in zip(outs, ([], ["--release", "latest"], ["--release", "v1.0.0"])):
        assert main(["export", "statements", "--format", "dna", "--out", str(out), "--releases", releases, *extra]) == 0
        assert capsys.readouterr().out.rstrip().endswith("from release v1.0.0")
    assert outs[0].read_bytes() == outs[1].read_bytes() == outs[2].read_bytes()
    empty = tmp_path / "no-releases"
    empty.mkdir()
    args = ["export", "statements", "--format", "dna", "--out", str(tmp_path / "x.csv"), "--releases", str(empty)]
    assert main(args) == 2
    assert f"no release published in {empty}" in capsys.readouterr().err


def test_an_older_warehouse_without_views_gets_temporary_ones(warehouse, tmp_path):
    copy = tmp_path / "old.duckdb"
    shutil.copy(warehouse, copy)
    con = duckdb.connect(str(copy))
    for name in reversed(views.VIEW_NAMES):
        con.execute(f"DROP VIEW {name}")
    con.close()
    con = duckdb.connect(str(copy), read_only=True)
    views.ensure_views(con)
    assert con.execute("SELECT count(*) FROM discourse_network").fetchall()[0][0] > 0
    con.close()
    out = tmp_path / "n.graphml"
    assert main(["export", "network", "--format", "graphml", "--out", str(out), "--warehouse", str(copy)]) == 0
    assert nx.read_graphml(out).number_of_edges() > 0


def test_export_errors_are_one_line(tmp_path, capsys):
    assert (
        main(
            [
                "export",
                "network",
                "--format",
                "gexf",
                "--out",
                str(tmp_path / "x.gexf"),
                "--warehouse",
                str(tmp_path / "missing.duckdb"),
            ]
        )
        == 2
    )
    assert "no warehouse at" in capsys.readouterr().err
    assert (
        main(
            [
                "export",
                "network",
                "--format",
                "gexf",
                "--out",
                str(tmp_path / "x.gexf"),
                "--release",
                "v9.9.9",
                "--releases",
                str(tmp_path),
            ]
        )
        == 2
    )

"""The discourse network as a graph file for Gephi, networkx, igraph, Cytoscape.

Nodes are the actors that took a position (favor or against) on some target; edges come
from the `discourse_network` view (pipeline/storage/sql/views.sql), in the sense of Discourse
Network Analyzer's congruence and conflict networks:

    congruence  number of (target, position) pairs both actors hold
    conflict    number of (target, favor/against) combinations on which they disagree

`relation` picks the network: "congruence" or "conflict" (edges with that weight > 0,
`weight` = that count), or "all" (every tie; `weight` = congruence + conflict, and
`relation` says congruence, conflict or both). Output is sorted (nodes and edges by id).
"""

from __future__ import annotations

from pathlib import Path

RELATIONS = ("all", "congruence", "conflict")
FORMATS = ("graphml", "gexf")


def discourse_graph(conn, relation: str = "all"):
    """A networkx Graph built from the discourse_network view of this connection."""
    import networkx as nx

    from pipeline.storage.views import ensure_views

    if relation not in RELATIONS:
        raise ValueError(f"relation must be one of {', '.join(RELATIONS)}")
    ensure_views(conn)
    nodes = conn.execute("""
        SELECT p.actor_id, coalesce(any_value(p.actor_name), p.actor_id), coalesce(any_value(p.actor_type), ''),
               coalesce(any_value(p.country), ''), sum(p.n_statements), sum(p.n_favor), sum(p.n_against),
               sum(p.n_neutral), count(*)
        FROM actor_positions p
        GROUP BY p.actor_id
        HAVING sum(p.n_favor) + sum(p.n_against) > 0
        ORDER BY p.actor_id""").fetchall()
    edges = conn.execute("""
        SELECT actor_a, actor_b, congruence, conflict, congruent_targets, conflicting_targets
        FROM discourse_network ORDER BY actor_a, actor_b""").fetchall()
    g = nx.Graph(name=f"stancewire discourse network ({relation})", relation=relation)
    for actor_id, name, typ, country, n, fav, ag, neu, n_targets in nodes:
        g.add_node(
            actor_id,
            label=name,
            actor_type=typ,
            country=country,
            n_statements=int(n),
            n_favor=int(fav),
            n_against=int(ag),
            n_neutral=int(neu),
            n_targets=int(n_targets),
        )
    for a, b, cong, conf, cong_t, conf_t in edges:
        if relation == "congruence" and not cong or relation == "conflict" and not conf:
            continue
        weight = cong if relation == "congruence" else conf if relation == "conflict" else cong + conf
        kind = "both" if cong and conf else "congruence" if cong else "conflict"
        g.add_edge(
            a,
            b,
            weight=int(weight),
            congruence=int(cong),
            conflict=int(conf),
            relation=kind,
            congruent_targets=cong_t,
            conflicting_targets=conf_t,
        )
    return g


def write_graph(graph, path: Path, fmt: str) -> None:
    import networkx as nx

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "graphml":
        nx.write_graphml(graph, path, encoding="utf-8", prettyprint=True)
    elif fmt == "gexf":
        nx.write_gexf(graph, path, encoding="utf-8", prettyprint=True)
    else:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")


def export_network(conn, out: Path, fmt: str, relation: str = "all") -> tuple[int, int]:
    """Write the discourse network to `out`; return (nodes, edges)."""
    graph = discourse_graph(conn, relation)
    write_graph(graph, out, fmt)
    return graph.number_of_nodes(), graph.number_of_edges()

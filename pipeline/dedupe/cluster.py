"""Clustering accepted pairs into people, with a guard against weak chains.

Fifth step of :func:`pipeline.dedupe.resolve`. Connected components over the accepted
edges come from scipy's sparse-graph routine (linear time, no Python loop).

Components are only a first cut: A–B and B–C being likely does not make A–C likely. Any
component holding a *cannot-link* pair (hard evidence against, a user's "different", or
strong disagreement such as two different given *and* family names) is rebuilt greedily:
edges are added strongest first (user decisions, then settled assignments, then by
weight), and an edge that would bring a cannot-link pair together is refused. The weak
middle of a chain therefore ends up with whichever side it matches best.
"""

from __future__ import annotations

from collections import defaultdict

import polars as pl


def components(n: int, edges: pl.DataFrame) -> pl.Series:
    """Component label (the smallest member index) for each of ``n`` nodes; ``edges`` has i, j.

    scipy's connected components over a sparse adjacency matrix: linear in nodes and edges
    and far faster than label propagation in dataframe passes.
    """
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if n == 0 or edges.is_empty():
        return pl.int_range(0, n, dtype=pl.UInt32, eager=True).alias("label")
    i = edges["i"].cast(pl.Int64).to_numpy()
    j = edges["j"].cast(pl.Int64).to_numpy()
    graph = coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(n, n)).tocsr()
    count, comp = connected_components(graph, directed=False)
    smallest = np.full(count, n, dtype=np.int64)
    np.minimum.at(smallest, comp, np.arange(n, dtype=np.int64))
    return pl.Series("label", smallest[comp], dtype=pl.UInt32)


def constrained(
    members: list[int],
    edges: list[tuple[int, int]],
    cannot: set[tuple[int, int]],
) -> dict[int, int]:
    """Greedy clustering of one component: ``edges`` in priority order, never joining a cannot-link pair.

    Returns node → cluster label (the smallest member of its cluster).
    """
    parent = {m: m for m in members}
    groups: dict[int, set[int]] = {m: {m} for m in members}
    blocked: dict[int, set[int]] = defaultdict(set)
    for a, b in cannot:
        blocked[a].add(b)
        blocked[b].add(a)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        small, large = (
            (groups[ra], groups[rb]) if len(groups[ra]) <= len(groups[rb]) else (groups[rb], groups[ra])
        )
        if any(blocked[x] & large for x in small if x in blocked):
            continue
        parent[rb] = ra
        groups[ra] |= groups.pop(rb)
    out: dict[int, int] = {}
    for root, group in groups.items():
        label = min(group)
        for x in group:
            out[x] = label
        del root
    return out


def cluster(
    n: int,
    edges: pl.DataFrame,
    cannot: pl.DataFrame,
) -> pl.Series:
    """Cluster label per node.

    ``edges``: i, j, priority (higher first) — every accepted pair, user "same" decisions and
    settled assignments. ``cannot``: i, j — pairs that must end in different clusters.
    """
    labels = components(n, edges)
    if cannot.is_empty() or edges.is_empty():
        return labels
    conflicts = cannot.with_columns(
        labels.gather(cannot["i"]).alias("ci"), labels.gather(cannot["j"]).alias("cj")
    ).filter(pl.col("ci") == pl.col("cj"))
    if conflicts.is_empty():
        return labels
    bad = conflicts["ci"].unique()
    node_label = pl.DataFrame({"i": pl.int_range(0, n, dtype=pl.UInt32, eager=True), "c": labels})
    bad_nodes = node_label.filter(pl.col("c").is_in(bad.implode()))
    comp_edges = (
        edges.with_columns(labels.gather(edges["i"]).alias("c"))
        .filter(pl.col("c").is_in(bad.implode()))
        .sort(["priority", "i", "j"], descending=[True, False, False])
    )
    new_labels = labels.clone()
    by_comp_nodes = bad_nodes.group_by("c").agg("i")
    by_comp_edges = {
        c: list(zip(i, j, strict=True))
        for c, i, j in comp_edges.group_by("c", maintain_order=True).agg("i", "j").iter_rows()
    }
    by_comp_cannot: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for c, i, j in conflicts.select("ci", "i", "j").iter_rows():
        by_comp_cannot[c].add((i, j))
    idx: list[int] = []
    vals: list[int] = []
    for c, nodes in by_comp_nodes.iter_rows():
        result = constrained(nodes, by_comp_edges.get(c, []), by_comp_cannot[c])
        idx.extend(result)
        vals.extend(result.values())
    return new_labels.scatter(pl.Series(idx, dtype=pl.UInt32), pl.Series(vals, dtype=pl.UInt32))

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
from collections.abc import Callable

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
    names: set[tuple[int, int]] | None = None,
    same_given: Callable[[int, int], bool] | None = None,
) -> dict[int, int]:
    """Greedy clustering of one component: ``edges`` in priority order, never joining a cannot-link pair.

    ``names``: the cannot-link pairs that rest only on different given names (``ov_given``), and
    ``same_given(x, z)``: whether two nodes' given names agree (exact, a nickname, a typo apart, or
    given and family name swapped). Such
    a pair does not hold two groups apart when either group already holds a record under the other
    side's given name: that group's records carry both names already (one of them keyed in wrong), so
    the difference says nothing more about these two. Returns node → cluster label (the smallest member
    of its cluster).
    """
    parent = {m: m for m in members}
    groups: dict[int, set[int]] = {m: {m} for m in members}
    blocked: dict[int, set[int]] = defaultdict(set)
    names = names or set()
    for a, b in cannot:
        blocked[a].add(b)
        blocked[b].add(a)

    def named(group: set[int], x: int) -> bool:
        return same_given is not None and any(same_given(x, z) for z in group)

    def conflict(small: set[int], large: set[int]) -> bool:
        for x in small:
            for y in blocked.get(x, set()) & large:
                soft = (x, y) in names or (y, x) in names
                if not soft or not (named(large, x) or named(small, y)):
                    return True
        return False

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(a: int, b: int) -> bool:
        ra, rb = find(a), find(b)
        if ra == rb:
            return False
        small, large = (
            (groups[ra], groups[rb]) if len(groups[ra]) <= len(groups[rb]) else (groups[rb], groups[ra])
        )
        if any(blocked[x] & large for x in small if x in blocked) and conflict(small, large):
            return False
        parent[rb] = ra
        groups[ra] |= groups.pop(rb)
        return True

    refused = [(a, b) for a, b in edges if not join(a, b)]
    # An edge refused for a conflict that a later merge explained (the group now holds the other name)
    # joins on another pass, so the outcome does not hang on which record's edge came first.
    while names and refused:
        left = [(a, b) for a, b in refused if not join(a, b)]
        if len(left) == len(refused):
            break
        refused = left
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
    same_given: Callable[[int, int], bool] | None = None,
) -> pl.Series:
    """Cluster label per node.

    ``edges``: i, j, priority (higher first) — every accepted pair, user "same" decisions and
    settled assignments. ``cannot``: i, j (and optionally ``names``: the pair rests only on different
    given names) — pairs that must end in different clusters. ``same_given``: see :func:`constrained`.
    """
    labels = components(n, edges)
    if cannot.is_empty() or edges.is_empty():
        return labels
    conflicts = cannot.with_columns(
        labels.gather(cannot["i"]).alias("ci"), labels.gather(cannot["j"]).alias("cj")
    ).filter(pl.col("ci") == pl.col("cj"))
    if conflicts.is_empty():
        return labels
    if "names" not in conflicts.columns:
        conflicts = conflicts.with_columns(pl.lit(False).alias("names"))
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
    by_comp_names: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for c, i, j, soft in conflicts.select("ci", "i", "j", "names").iter_rows():
        by_comp_cannot[c].add((i, j))
        if soft:
            by_comp_names[c].add((i, j))
    idx: list[int] = []
    vals: list[int] = []
    for c, nodes in by_comp_nodes.iter_rows():
        result = constrained(nodes, by_comp_edges.get(c, []), by_comp_cannot[c], by_comp_names[c], same_given)
        idx.extend(result)
        vals.extend(result.values())
    return new_labels.scatter(pl.Series(idx, dtype=pl.UInt32), pl.Series(vals, dtype=pl.UInt32))

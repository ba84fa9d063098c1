"""Clustering accepted pairs into people, with a guard against weak chains.

Fifth step of :func:`pipeline.dedupe.resolve`. Connected components over the accepted
edges are found by vectorized label propagation (min-label with pointer jumping), so a
million records need a handful of polars passes, not a Python loop.

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
    """Component label (the smallest member index) for each of ``n`` nodes; ``edges`` has i, j."""
    labels = pl.int_range(0, n, dtype=pl.UInt32, eager=True).alias("label")
    if edges.is_empty() or n == 0:
        return labels
    both = pl.concat(
        [
            edges.select(pl.col("i").cast(pl.UInt32).alias("src"), pl.col("j").cast(pl.UInt32).alias("dst")),
            edges.select(pl.col("j").cast(pl.UInt32).alias("src"), pl.col("i").cast(pl.UInt32).alias("dst")),
        ]
    )
    while True:
        via = both.with_columns(labels.gather(both["dst"]).alias("l")).group_by("src").agg(pl.col("l").min())
        current = labels.gather(via["src"])
        better = pl.select(pl.min_horizontal(pl.lit(current), pl.lit(via["l"]))).to_series()
        new = labels.clone().scatter(via["src"], better)
        # A label is itself a node: follow labels to their own labels (pointer jumping).
        for _ in range(4):
            new = new.gather(new)
        if new.equals(labels):
            return new
        labels = new


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

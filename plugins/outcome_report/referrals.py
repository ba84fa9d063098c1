"""The referral graph: who led you to whom, read from journal entries (see :mod:`.model` for the rules).

Edges are ``(referrer, referred, date)``; chains are paths through them. Journals are
hand-logged and small, so plain Python is the right tool; cycles (A referred B, B
referred A) are cut where they close, so no walk can loop.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def edges_from(entries: list[dict[str, Any]]) -> list[tuple[str, str, dt.date | None]]:
    """(referrer, referred, date), first occurrence of each pair, in journal order."""
    seen: dict[tuple[str, str], dt.date | None] = {}
    for e in entries:
        pair = None
        if e["kind"] == "referral" and e["to_person_id"]:
            referrer = e["person_id"] or e["via_person_id"]
            if referrer:
                pair = (referrer, e["to_person_id"])
        elif e["via_person_id"] and e["person_id"]:
            pair = (e["via_person_id"], e["person_id"])
        if pair and pair[0] != pair[1] and pair not in seen:
            seen[pair] = e["date"]
    return [(a, b, d) for (a, b), d in seen.items()]


def maximal_paths(edges: list[tuple[str, str, dt.date | None]]) -> list[list[str]]:
    """Every maximal referral path, roots first; cycles are cut where they close."""
    children: dict[str, list[str]] = {}
    referred = set()
    for a, b, _ in edges:
        children.setdefault(a, []).append(b)
        referred.add(b)
    order = list(dict.fromkeys(a for a, _, _ in edges))
    starts = [a for a in order if a not in referred]
    paths: list[list[str]] = []
    covered: set[str] = set()

    def walk(path: list[str]) -> None:
        nexts = [c for c in children.get(path[-1], []) if c not in path]
        if not nexts:
            paths.append(path)
            covered.update(path)
            return
        for child in nexts:
            walk([*path, child])

    for start in starts:
        walk([start])
    for a in order:  # a component that is one cycle has no root: start at its first referrer
        if a not in covered:
            walk([a])
    return paths


def chain_back(target: str, edges: list[tuple[str, str, dt.date | None]]) -> list[str]:
    first_in: dict[str, str] = {}
    for a, b, _ in edges:  # journal order: the earliest referral into each person wins
        first_in.setdefault(b, a)
    chain = [target]
    while chain[0] in first_in and first_in[chain[0]] not in chain:
        chain.insert(0, first_in[chain[0]])
    return chain

"""LinkedIn ``Connections.csv`` importer (placeholder until the full reader lands)."""

from __future__ import annotations

from pipeline import hookimpl


@hookimpl
def register_importers():
    return []

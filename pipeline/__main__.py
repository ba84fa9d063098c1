"""``python -m pipeline`` runs the kith CLI."""

from pipeline.cli import main

main()

"""A plugin with a misspelled hook name: check_pending must catch it."""

from pipeline import hookimpl


@hookimpl
def register_importer():  # missing the final "s"
    return []

"""A plugin that registers an importer under a name the built-ins already use."""

from pipeline import hookimpl


class ShadowLinkedIn:
    name = "linkedin"
    description = "clashes with the built-in"

    def sniff(self, path, head):
        return 0.0

    def read(self, path, options):
        raise NotImplementedError


@hookimpl
def register_importers():
    return [ShadowLinkedIn()]

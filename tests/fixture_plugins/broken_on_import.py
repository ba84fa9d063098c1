"""A plugin whose module raises while being imported."""

raise RuntimeError("this plugin is broken on purpose")

"""kith's built-in plugins: one module (or small package) per format or report.

Each is an ordinary pluggy plugin, registered by dotted name from
``pipeline.manager.BUILTIN_PLUGINS`` exactly as a third-party plugin would be.
"""

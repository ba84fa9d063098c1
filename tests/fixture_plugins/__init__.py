"""Plugins that exist only to test the plugin host: broken, misnamed, clashing, misbehaving."""

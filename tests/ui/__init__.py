"""Browser tests of what users see in Home Assistant's web UI."""

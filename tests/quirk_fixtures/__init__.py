"""Quirks used only by the tests (they target the simulated SimCo devices)."""

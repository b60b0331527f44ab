"""Custom components (package marker for tests)."""

"""Link diagnostics: link tests, channel scans and link-health sensors for ZHA devices."""

from .family import LinkFamily

__all__ = ["LinkFamily"]

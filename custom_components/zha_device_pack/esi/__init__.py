"""Home Assistant as the home's Energy Service Interface (ESI): the Smart Energy servers."""

from .family import EsiFamily

__all__ = ["EsiFamily"]

"""The Smart Energy metering family: meters on our Smart Energy quirk."""

from .family import MeteringFamily

__all__ = ["MeteringFamily"]

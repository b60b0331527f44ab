"""The Danfoss Ally family: radiator thermostats organised in heating rooms, and the gateway brain."""

from .family import DanfossFamily

__all__ = ["DanfossFamily"]

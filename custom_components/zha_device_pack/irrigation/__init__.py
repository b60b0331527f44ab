"""Irrigation: Tuya TS0049 water valves (seed 004)."""

from .family import IrrigationFamily

__all__ = ["IrrigationFamily"]

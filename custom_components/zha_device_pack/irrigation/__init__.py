"""Tuya TS0049 irrigation programs on the Home Assistant side (pure logic, no I/O)."""

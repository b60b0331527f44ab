"""Tests of HA as the home's ESI (Smart Energy servers)."""

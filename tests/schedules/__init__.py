"""Tests of the schedule helpers shared by the families."""

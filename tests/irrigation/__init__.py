"""Tests of the irrigation program logic."""

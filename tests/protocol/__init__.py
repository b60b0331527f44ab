"""Tests of the pure protocol codecs."""

"""The P4 benchmark runs and prints its summary line (its numbers are never asserted)."""

import re

import pytest

from tests.benchmarks import danfoss_schedule


def test_p4_prints_its_summary_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert danfoss_schedule.main([]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert re.fullmatch(r"P4 ratio=\d+\.\d{3} frames_ours=\d+ frames_naive=\d+", last)

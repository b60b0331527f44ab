"""The P1 benchmark runs and prints its report (its numbers are never asserted)."""

from __future__ import annotations

from pathlib import Path
import re

import pytest

from tests.benchmarks import danfoss_sensor

SUMMARY = re.compile(
    r"P1 ratio=\d+\.\d{3} max_gap_min=\d+\.\d mae_ours=\d+\.\d{4} mae_blueprint=\d+\.\d{4}"
)


@pytest.mark.parametrize("argv", [[], ["--covered"]], ids=["exposed", "covered"])
def test_p1_prints_its_summary_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert danfoss_sensor.main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("P1 danfoss-sensor: danfoss_room_24h.csv, ")
    assert [line.split()[0] for line in out[2:4]] == ["blueprint", "ours"]
    assert SUMMARY.fullmatch(out[-1])


def test_p1_reads_a_trace_without_true_temperatures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "room.csv"
    trace.write_text(
        "2025-01-15T00:00:00+01:00,20.31\n"
        "2025-01-15T00:02:00+01:00,20.35\n"
        "2025-01-15T00:07:30+01:00,20.52\n",
        encoding="utf-8",
    )
    assert danfoss_sensor.main(["--trace", str(trace), "--covered"]) == 0
    assert SUMMARY.fullmatch(capsys.readouterr().out.splitlines()[-1])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("timestamp,temperature\n2025-01-15T00:00:00,warm\n", ":2: not a temperature"),
        ("yesterday,20.1\n2025-01-15T00:00:00,20.2\n", ":1: not an ISO-8601 timestamp"),
        ("2025-01-15T00:00:00,20.1\n2025-01-15T00:01:00\n", ":2: expected 2 columns"),
        (
            "2025-01-15T00:00:00,20.1,20.0\n2025-01-15T00:01:00,20.2\n",
            ":2: expected 3 columns",
        ),
        (
            "2025-01-15T00:05:00,20.1\n2025-01-15T00:01:00,20.2\n",
            ":2: timestamp earlier than the row before",
        ),
        ("timestamp,temperature\n2025-01-15T00:00:00,20.1\n", "need at least two rows"),
        (
            "2025-01-15T00:00:00,nan\n2025-01-15T00:01:00,20.2\n",
            ":1: not a temperature",
        ),
    ],
)
def test_p1_rejects_a_malformed_trace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    trace = tmp_path / "bad.csv"
    trace.write_text(text, encoding="utf-8")
    assert danfoss_sensor.main(["--trace", str(trace)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err


def test_p1_rejects_a_missing_trace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert danfoss_sensor.main(["--trace", str(tmp_path / "none.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err

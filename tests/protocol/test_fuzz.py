"""Tests that the fuzz harness itself notices broken decoders."""

from dataclasses import replace

import pytest

from custom_components.zha_device_pack.protocol.tuya_dp import decode_dp_report

from . import fuzz


def _crashing_decoder(value: bytes) -> object:
    if len(value) > 3:
        raise IndexError("decoder bug")
    return decode_dp_report(value)


def test_other_exceptions_fail_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = replace(fuzz.TARGETS[0], decode=_crashing_decoder)
    result = fuzz.fuzz_decoder(broken, 200, seed=1)
    assert result.other_exceptions
    assert result.failed
    assert result.first_failure is not None
    assert "IndexError: decoder bug" in result.first_failure
    monkeypatch.setattr(fuzz, "TARGETS", (broken,))
    assert fuzz.main(["--count", "50", "--seed", "1"]) == 1


def test_lossy_round_trip_fails_the_run() -> None:
    lossy = replace(fuzz.TARGETS[0], encode=lambda report: b"\x04\x00")
    result = fuzz.fuzz_decoder(lossy, 200, seed=2)
    assert result.round_trip_failures
    assert result.failed


def test_clean_run_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert fuzz.main(["--count", "100", "--seed", "3"]) == 0
    assert "tuya_dp.decode_dp_report" in capsys.readouterr().out


@pytest.mark.parametrize(
    "target", [pytest.param(target, id=target.name) for target in fuzz.TARGETS]
)
def test_small_fuzz(target: fuzz.DecoderTarget) -> None:
    # A few thousand inputs per decoder keep this quick; scripts/fuzz runs the long version.
    result = fuzz.fuzz_decoder(target, 3000, seed=4)
    assert not result.failed, result.first_failure
    assert result.accepted and result.rejected

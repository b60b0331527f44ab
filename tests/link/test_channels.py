"""Zigbee channels against Wi-Fi: overlaps and the recommendation (pure)."""

from __future__ import annotations

import pytest

from custom_components.zha_device_pack.link.channels import (
    percent,
    quietest,
    recommend,
    wifi_overlaps,
    zigbee_mhz,
)


@pytest.mark.parametrize(
    ("channel", "mhz", "overlaps"),
    [
        (11, 2405, (1,)),
        (13, 2415, (1, 2, 3)),
        (15, 2425, (2, 3, 4, 5)),  # between Wi-Fi 1 and 6
        (20, 2450, (7, 8, 9, 10)),
        (25, 2475, (12, 13)),
        (26, 2480, (13,)),
    ],
)
def test_overlaps(channel: int, mhz: int, overlaps: tuple[int, ...]) -> None:
    """Wi-Fi w (2412 + 5(w-1) MHz, 22 MHz wide) against Zigbee k (2405 + 5(k-11), 2 MHz)."""
    assert zigbee_mhz(channel) == mhz
    assert wifi_overlaps(channel) == overlaps


def test_bad_channel() -> None:
    with pytest.raises(ValueError, match="11-26"):
        wifi_overlaps(27)


def test_quietest_and_recommendation() -> None:
    energy = {11: 30.0, 15: 12.0, 20: 10.0, 25: 9.0, 26: 9.0, 19: 40.0}
    # ties broken by fewer overlaps with Wi-Fi 1/6/11, then the lower channel
    assert quietest(energy) == [25, 26, 20]
    # 25 overlaps Wi-Fi 12/13 only (none of 1/6/11): the quietest and spared by Wi-Fi
    assert recommend(energy) == 25
    # the quietest overlaps Wi-Fi 6; 20 (spared) is within 5 %: 20
    assert recommend({16: 10.0, 20: 14.0, 11: 50.0}) == 20
    # nothing spared within 5 %: the quietest
    assert recommend({16: 10.0, 20: 30.0}) == 16
    assert recommend({}) is None


def test_percent() -> None:
    assert percent({11: 255.0, 12: 0.0, 13: 127.5}, [11, 13]) == {11: 100.0, 13: 50.0}

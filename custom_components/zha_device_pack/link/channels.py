"""Zigbee channels against Wi-Fi: which 2.4 GHz Wi-Fi channels overlap a Zigbee channel.

IEEE 802.15.4 channel k (11-26) is centred on 2405 + 5 (k - 11) MHz and 2 MHz wide; 2.4 GHz
Wi-Fi channel w (1-13) is centred on 2412 + 5 (w - 1) MHz and about 22 MHz wide (802.11b/g
spectral mask; 20 MHz for 802.11n). Channels 15, 20, 25 and 26 sit in the gaps between Wi-Fi 1,
6 and 11, the channels most access points use. Pure functions; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

ZIGBEE_CHANNELS: Final = tuple(range(11, 27))
WIFI_CHANNELS: Final = tuple(range(1, 14))
#: The Wi-Fi channels most access points use (non-overlapping in the US and EU).
COMMON_WIFI: Final = (1, 6, 11)
_WIFI_HALF_WIDTH_MHZ: Final = 11
_ZIGBEE_HALF_WIDTH_MHZ: Final = 1


def zigbee_mhz(channel: int) -> int:
    """Return the centre frequency of Zigbee channel 11-26."""
    if channel not in ZIGBEE_CHANNELS:
        raise ValueError(f"Zigbee channel {channel} is not 11-26")
    return 2405 + 5 * (channel - 11)


def wifi_mhz(channel: int) -> int:
    """Return the centre frequency of 2.4 GHz Wi-Fi channel 1-13."""
    if channel not in WIFI_CHANNELS:
        raise ValueError(f"Wi-Fi channel {channel} is not 1-13")
    return 2412 + 5 * (channel - 1)


def wifi_overlaps(channel: int) -> tuple[int, ...]:
    """Return the Wi-Fi channels whose band overlaps Zigbee ``channel``."""
    centre = zigbee_mhz(channel)
    reach = _WIFI_HALF_WIDTH_MHZ + _ZIGBEE_HALF_WIDTH_MHZ
    return tuple(w for w in WIFI_CHANNELS if abs(wifi_mhz(w) - centre) < reach)


def quietest(energy: Mapping[int, float], count: int = 3) -> list[int]:
    """Return up to ``count`` channels by rising energy (ties: fewer common Wi-Fi overlaps)."""

    def key(channel: int) -> tuple[float, int, int]:
        common = sum(1 for w in wifi_overlaps(channel) if w in COMMON_WIFI)
        return (energy[channel], common, channel)

    return sorted(energy, key=key)[:count]


def recommend(energy: Mapping[int, float]) -> int | None:
    """Return the channel to move to: the quietest, or one as quiet that Wi-Fi spares.

    A channel that overlaps none of Wi-Fi 1, 6 and 11 is preferred when it is within 5 % of
    the quietest one: access points change channel, a quiet moment on 13 may not last.
    """
    if not energy:
        return None
    best = quietest(energy, len(energy))
    floor = energy[best[0]]
    for channel in best:
        if energy[channel] > floor + 5:
            break
        if not any(w in COMMON_WIFI for w in wifi_overlaps(channel)):
            return channel
    return best[0]


def percent(energy: Mapping[int, float], channels: Iterable[int]) -> dict[int, float]:
    """Return zigpy's energy (0-255) of ``channels`` as percent, one decimal."""
    return {
        ch: round(100 * float(energy[ch]) / 255, 1) for ch in channels if ch in energy
    }

"""The radio link between the coordinator and a simulated device (`SimDevice.link`).

A `Link` gives every device a path quality (LQI, RSSI), a latency (hops x per-hop
latency, in real time: the event loop's clock, which is what a host measuring round
trips uses) and a loss model for unicasts from the coordinator to the device
(random with probability `Link.loss`, seeded; or the next `Link.fail_next` ones).
`SimNetwork` applies it; broadcasts and group frames ignore it.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any, Final

#: Defaults of a good one-hop link.
DEFAULT_LQI: Final = 200
DEFAULT_RSSI: Final = -60


@dataclasses.dataclass(eq=False)
class Link:
    """Path from the coordinator to one device; counts what went over it.

    - ``hops``: radio hops between the coordinator and the device (>= 1).
    - ``hop_latency_ms``: one-way latency of each hop, milliseconds (>= 0).  A unicast
      reaches the device ``hops * hop_latency_ms`` after it was sent; the APS ack (the
      radio's TX status) and every unicast frame of the device reach the host the same
      time later.  0 (the default): no delay at all, not even a zero sleep.
    - ``loss``: probability (0..1) that a unicast from the coordinator to the device
      is lost; drawn from a `random.Random` seeded with the device's IEEE address
      (`seed` reseeds it), one draw per unicast (none while ``loss`` is 0).
    - ``fail_next``: the next n unicasts are lost (before any random draw).
    - ``rssi``: dBm (-255..0) of the device's frames at the coordinator (XBee ``DB``).
    - ``lqi``: 0..255, the coordinator's neighbor-table LQI of the device (Mgmt_Lqi)
      and the device's LQI of its parent; `SimDevice.lqi` is this value.
    - ``sent`` / ``lost``: unicasts transmitted to the device (lost ones included;
      none while the device is offline) and those lost.
    """

    hops: int = 1
    hop_latency_ms: float = 0.0
    loss: float = 0.0
    fail_next: int = 0
    rssi: int = DEFAULT_RSSI
    lqi: int = DEFAULT_LQI
    sent: int = 0
    lost: int = 0
    rng: random.Random = dataclasses.field(
        default_factory=random.Random, repr=False, compare=False
    )

    def __setattr__(self, name: str, value: Any) -> None:
        """Check the ranges of the settings."""
        check = _CHECKS.get(name)
        if check is not None and not check(value):
            raise ValueError(f"Link.{name}: invalid value {value!r}")
        super().__setattr__(name, value)

    @property
    def latency(self) -> float:
        """Return the one-way latency in seconds (``hops * hop_latency_ms / 1000``)."""
        return self.hops * self.hop_latency_ms / 1000

    @property
    def round_trip(self) -> float:
        """Return the seconds from a unicast to its APS ack (twice `latency`)."""
        return 2 * self.latency

    @property
    def delivered(self) -> int:
        """Return the unicasts that reached the device."""
        return self.sent - self.lost

    def seed(self, value: int | str | bytes | None) -> None:
        """Reseed the loss draws (deterministic for an int, str or bytes)."""
        self.rng.seed(value)

    def reset_counters(self) -> None:
        """Set `sent` and `lost` to 0."""
        self.sent = 0
        self.lost = 0

    def transmit(self) -> bool:
        """Count one unicast over the link; return False if it is lost."""
        self.sent += 1
        if self.fail_next > 0:
            self.fail_next -= 1
            lost = True
        else:
            lost = self.loss > 0 and self.rng.random() < self.loss
        if lost:
            self.lost += 1
        return not lost


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_CHECKS: Final = {
    "hops": lambda v: _is_int(v) and v >= 1,
    "hop_latency_ms": lambda v: _is_number(v) and v >= 0,
    "loss": lambda v: _is_number(v) and 0 <= v <= 1,
    "fail_next": lambda v: _is_int(v) and v >= 0,
    "rssi": lambda v: _is_int(v) and -255 <= v <= 0,
    "lqi": lambda v: _is_int(v) and 0 <= v <= 255,
}

"""Tests of the external room sensor policy (0x4015): timing, threshold, OFF and reset."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
import itertools

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.zha_device_pack.danfoss.sensor_policy import (
    COVERED_CADENCE,
    EXPOSED_CADENCE,
    OFF,
    STEP,
    ExternalSensorPolicy,
    SensorCadence,
)

MINUTE = 60.0
MODES = [
    pytest.param(True, COVERED_CADENCE, id="covered"),
    pytest.param(False, EXPOSED_CADENCE, id="exposed"),
]


@dataclass
class Gateway:
    """Writes whatever the policy wants, when it wants it, like the integration does."""

    policy: ExternalSensorPolicy
    now: float = 0.0
    writes: list[tuple[float, int]] = field(default_factory=list)

    def run_until(self, until: float) -> None:
        while (at := self.policy.next_check(self.now)) is not None and at <= until:
            value = self.policy.due(at)
            assert value is not None, f"next_check() said {at}, due() has nothing"
            self.write(at, value)
        self.now = until

    def write(self, at: float, value: int) -> None:
        self.policy.written(at, value)
        self.writes.append((at, value))
        self.now = at

    def reading(self, at: float, temperature: float | None) -> None:
        # A reading is also asked about directly, whatever next_check() said before.
        self.run_until(at)
        self.policy.reading(at, temperature)
        if (value := self.policy.due(at)) is not None:
            self.write(at, value)
        self.run_until(at)

    def readings(
        self, start: float, end: float, values: Iterable[float], every: float
    ) -> None:
        at = start
        for value in values:
            if at > end:
                return
            self.reading(at, value)
            at += every

    def since(self, start: float) -> list[tuple[float, int]]:
        return [write for write in self.writes if write[0] > start]


def steady(covered: bool, temperature: float = 21.37) -> Gateway:
    """A gateway that wrote ``temperature`` to its TRV at t=0."""
    gateway = Gateway(ExternalSensorPolicy(covered=covered))
    gateway.reading(0.0, temperature)
    assert gateway.writes == [(0.0, round(temperature * 100))]
    return gateway


def test_nothing_is_due_before_the_first_reading() -> None:
    policy = ExternalSensorPolicy(covered=True)
    assert policy.due(0.0) is None
    assert policy.next_check(0.0) is None


@pytest.mark.parametrize(("covered", "cadence"), MODES)
def test_first_reading_is_written_at_once(
    covered: bool, cadence: SensorCadence
) -> None:
    policy = ExternalSensorPolicy(covered=covered)
    assert policy.cadence == cadence
    policy.reading(12.5, 19.83)
    assert policy.next_check(12.5) == 12.5
    assert policy.due(12.5) == 1983


@pytest.mark.parametrize(("covered", "cadence"), MODES)
def test_a_change_waits_for_the_min_interval(
    covered: bool, cadence: SensorCadence
) -> None:
    gateway = steady(covered)
    for step in range(1, 6):
        gateway.policy.reading(step * 30.0, 21.83)
    assert gateway.policy.due(150.0) is None
    assert gateway.policy.next_check(150.0) == cadence.min_interval
    assert gateway.policy.due(cadence.min_interval - 1) is None
    value = gateway.policy.due(cadence.min_interval)
    assert value is not None
    assert value >= 2137 + 10


@pytest.mark.parametrize(("covered", "cadence"), MODES)
def test_an_unchanged_value_is_refreshed_before_max_interval(
    covered: bool, cadence: SensorCadence
) -> None:
    gateway = steady(covered)
    gateway.readings(30.0, cadence.max_interval * 2, [21.37] * 10_000, every=60.0)
    assert cadence.min_interval < cadence.refresh_after < cadence.max_interval
    times = [at for at, _ in gateway.writes]
    assert times == [n * cadence.refresh_after for n in range(len(times))]
    assert {value for _, value in gateway.writes} == {2137}


@pytest.mark.parametrize(
    ("temperature", "written"),
    [(21.45, False), (21.29, False), (21.48, True), (21.26, True)],
)
def test_only_a_change_of_a_tenth_is_sent(temperature: float, written: bool) -> None:
    gateway = steady(covered=True)
    gateway.readings(30.0, 20 * MINUTE, [temperature] * 100, every=30.0)
    changes = gateway.since(0.0)
    if written:
        assert changes[0][0] == COVERED_CADENCE.min_interval
        assert len(changes) == 1
    else:
        assert changes == []


def test_noise_around_the_threshold_costs_no_frames() -> None:
    # A room 0.1 K above the held value, read by a sensor with ±0.04 K of noise.
    gateway = steady(covered=True)
    noisy = [21.47 + (0.04, -0.03, 0.02, -0.04, 0.03, -0.01)[n % 6] for n in range(100)]
    gateway.readings(30.0, 24 * MINUTE, noisy, every=45.0)
    assert len(gateway.since(0.0)) <= 1


def test_noise_on_a_steady_room_costs_no_frames() -> None:
    gateway = steady(covered=True, temperature=20.61)
    noisy = [20.61 + (0.05, -0.04, 0.01, -0.05, 0.03)[n % 5] for n in range(100)]
    gateway.readings(30.0, 24 * MINUTE, noisy, every=40.0)
    assert gateway.since(0.0) == []


def test_a_rising_room_is_sent_ahead_of_the_last_reading() -> None:
    # 3 K/h, as when heating up: the value should not trail the room by a hold time.
    gateway = steady(covered=True, temperature=18.0)
    ramp = [18.0 + 0.05 * n for n in range(1, 40)]
    gateway.readings(60.0, 30 * MINUTE, ramp, every=60.0)
    late = [(at, value) for at, value in gateway.writes if at >= 10 * MINUTE]
    assert late
    for at, value in late:
        reading = round((18.0 + 0.05 * at / 60.0) * 100)
        assert reading < value <= reading + 20


def test_a_step_seen_by_a_sparse_sensor_is_sent_once() -> None:
    # E2E: the room sensor jumps 20.18 -> 20.9 and reports every 20 minutes only. The
    # value must not be written again and again while the room stays put.
    gateway = steady(covered=True, temperature=20.18)
    for n in range(1, 7):
        gateway.reading(n * 20 * MINUTE, 20.9)
    gateway.run_until(6 * 20 * MINUTE)
    changes = gateway.since(0.0)
    # Sent at once; two readings cannot tell a step from a ramp, so it may lead a little.
    assert changes[0][0] == 20 * MINUTE
    assert abs(changes[0][1] - 2090) <= 15
    for (first, value), (second, again) in itertools.pairwise(changes):
        # A value equal to the held one is only the refresh.
        if value == again:
            assert second - first >= COVERED_CADENCE.refresh_after
    # At most one correction once the next reading shows the room stays put.
    refreshes = 6 * 20 * MINUTE // COVERED_CADENCE.refresh_after
    assert len(changes) <= 2 + refreshes
    assert changes[-1][1] == 2090


@pytest.mark.parametrize(("covered", "cadence"), MODES)
def test_sparse_readings_are_written_when_they_come(
    covered: bool, cadence: SensorCadence
) -> None:
    # A sensor that reports every 10 to 20 minutes, on a room rising 0.5 K/h: changes go
    # out at readings (or at the end of a min_interval), never extrapolated in between.
    gateway = steady(covered, temperature=19.0)
    at, reading_times = 0.0, [0.0]
    for gap in [600.0, 900.0, 1200.0, 750.0, 1100.0, 600.0, 1200.0, 900.0] * 3:
        at += gap
        reading_times.append(at)
        gateway.reading(at, 19.0 + 0.5 * at / 3600)
    for at, value in gateway.writes[1:]:
        previous = max(t for t in reading_times if t <= at)
        refresh = any(
            at == w + cadence.refresh_after for w, _ in gateway.writes if w < at
        )
        after_min = any(
            at == w + cadence.min_interval for w, _ in gateway.writes if w < at
        )
        assert at == previous or refresh or after_min
        # The value follows the room within a few tenths.
        assert abs(value / 100 - (19.0 + 0.5 * at / 3600)) < 0.3
    assert len(gateway.writes) <= len(reading_times) + 1


def test_a_fast_room_gets_longer_steps() -> None:
    # 3 K/h: the change worth a frame grows with the rate, so a fast room costs fewer
    # frames than one per 0.1 K (which would be every 2 minutes, i.e. every min_interval).
    gateway = steady(covered=True, temperature=18.0)
    gateway.readings(60.0, 60 * MINUTE, [18.0 + 0.05 * n for n in range(1, 61)], 60.0)
    changes = gateway.since(0.0)
    assert 4 <= len(changes) < 60 * MINUTE / COVERED_CADENCE.min_interval
    for (_, first), (_, second) in itertools.pairwise(changes):
        assert second - first > STEP


@pytest.mark.parametrize(("covered", "cadence"), MODES)
def test_unavailable_switches_off_once(covered: bool, cadence: SensorCadence) -> None:
    gateway = steady(covered)
    gateway.reading(60.0, None)
    gateway.run_until(10 * cadence.max_interval)
    assert gateway.since(0.0) == [(cadence.min_interval, OFF)]
    assert gateway.policy.next_check(gateway.now) is None
    gateway.reading(gateway.now + 1, None)
    assert gateway.policy.due(gateway.now) is None
    back = gateway.now + 10.0
    gateway.reading(back, 21.64)
    assert gateway.since(cadence.min_interval)[0] == (back, 2164)


@pytest.mark.parametrize(("covered", "cadence"), MODES)
def test_a_returning_sensor_waits_for_the_min_interval_after_off(
    covered: bool, cadence: SensorCadence
) -> None:
    gateway = steady(covered)
    gateway.reading(cadence.min_interval, None)
    assert gateway.writes[-1] == (cadence.min_interval, OFF)
    gateway.reading(cadence.min_interval + 1, 21.64)
    assert gateway.policy.next_check(gateway.now) == 2 * cadence.min_interval
    gateway.run_until(2 * cadence.min_interval)
    assert gateway.writes[-1] == (2 * cadence.min_interval, 2164)


@pytest.mark.parametrize(("covered", "cadence"), MODES)
def test_a_silent_sensor_goes_stale(covered: bool, cadence: SensorCadence) -> None:
    gateway = steady(covered)
    gateway.run_until(3 * cadence.stale_after)
    refreshes = int(cadence.stale_after // cadence.refresh_after)
    expected = [(n * cadence.refresh_after, 2137) for n in range(refreshes + 1)]
    assert gateway.writes == [*expected, (cadence.stale_after, OFF)]


def test_a_reading_after_staleness_starts_over() -> None:
    gateway = steady(covered=True)
    gateway.run_until(COVERED_CADENCE.stale_after + 1)
    back = COVERED_CADENCE.stale_after + 20 * MINUTE
    gateway.reading(back, 19.02)
    assert gateway.writes[-1] == (back, 1902)


def test_reset_writes_at_once() -> None:
    gateway = steady(covered=True)
    gateway.reading(30.0, 21.37)
    gateway.policy.reset()
    assert gateway.policy.next_check(40.0) == 40.0
    assert gateway.policy.due(40.0) == 2137


def test_reset_while_unavailable_writes_off_at_once() -> None:
    gateway = steady(covered=False)
    gateway.policy.reading(30.0, None)
    gateway.policy.reset()
    assert gateway.policy.due(40.0) == OFF


@pytest.mark.parametrize("temperature", [float("nan"), float("inf")])
def test_a_reading_that_is_not_a_number_is_unavailable(temperature: float) -> None:
    gateway = steady(covered=True)
    gateway.reading(30.0, temperature)
    gateway.run_until(COVERED_CADENCE.min_interval)
    assert gateway.writes[-1] == (COVERED_CADENCE.min_interval, OFF)


# Sensor histories: (seconds since the previous event, °C, None = unavailable, or "reset").
EVENTS = st.lists(
    st.tuples(
        st.one_of(st.integers(1, 900), st.integers(900, 30_000)),
        st.one_of(
            st.floats(15.0, 26.0, allow_nan=False),
            st.none(),
            st.just("reset"),
        ),
    ),
    max_size=60,
)


@settings(deadline=None)
@given(covered=st.booleans(), events=EVENTS)
def test_writes_respect_the_cadence(
    covered: bool, events: list[tuple[int, float | str | None]]
) -> None:
    """Consecutive writes are at least min_interval apart unless reset() came between them.

    A write of a value is followed by another write within max_interval (a change, a refresh
    or OFF): only OFF may be held longer. OFF is written once: never twice in a row unless
    reset() came between them; the same value twice in a row is only the refresh.
    """
    gateway = Gateway(ExternalSensorPolicy(covered=covered))
    cadence = gateway.policy.cadence
    # Each reset as the index of the write that follows it.
    resets: set[int] = set()
    at = 0.0
    for gap, event in events:
        at += gap
        if event == "reset":
            gateway.run_until(at)
            gateway.policy.reset()
            resets.add(len(gateway.writes))
        else:
            assert not isinstance(event, str)
            gateway.reading(at, event)
    end = at + 2 * cadence.stale_after
    gateway.run_until(end)

    for index, ((first, first_value), (second, second_value)) in enumerate(
        itertools.pairwise(gateway.writes), start=1
    ):
        if index not in resets:
            assert second - first >= cadence.min_interval
            assert not first_value == second_value == OFF
            if first_value == second_value:
                # The same value again is only the refresh.
                assert second - first >= cadence.refresh_after
        if first_value != OFF:
            assert second - first <= cadence.max_interval
    if gateway.writes and gateway.writes[-1][1] != OFF:
        assert end - gateway.writes[-1][0] <= cadence.max_interval

"""Device clocks on a scaled network clock (the dev server): they follow wall time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
import json
from pathlib import Path

import pytest

from tests.simulator.__main__ import demo_options
from tests.simulator.capture import CaptureFrontend
from tests.simulator.models import MODELS
from tests.simulator.models.se_meters import (
    CHANNEL_DELIVERED,
    CHANNEL_RECEIVED,
    METERING,
    meter,
    zcl_time,
)
from tests.simulator.models.ts0049 import ts0049_valve
from tests.simulator.network import SimNetwork
from tests.simulator.ts0049_wire import (
    ON_OFF,
    TUYA,
    drain,
    h,
    on_off_report,
    report,
    send,
)

#: Virtual seconds per real second: a minute of valve time is half a real second.
SCALE = 120.0


def local_now() -> datetime:
    """Return the simulator host's local time, naive (the valve's clock)."""
    return datetime.now().astimezone().replace(tzinfo=None)


async def test_valve_and_meter_run_on_the_scaled_clock() -> None:
    network = SimNetwork(reply_delay=0, time_scale=SCALE)
    host = CaptureFrontend(network)
    network.form(channel=15)
    wall = network.wall_clock
    assert wall is not None
    assert abs(wall - datetime.now(UTC)) < timedelta(seconds=5)
    valve_device = MODELS["ts0049"](irrigation_time=60)
    valve = ts0049_valve(valve_device)
    network.add_device(valve_device)
    # a new valve takes the wall time (local: it has no zone), not its factory clock
    assert abs(valve.wall_clock - local_now()) < timedelta(seconds=5)
    meter_device = MODELS["se_electricity_meter"](
        **demo_options("se_electricity_meter", network)
    )
    network.add_device(meter_device)
    electricity = meter(meter_device)
    await network.join(valve_device)
    await network.join(meter_device)
    await drain(host)
    start_utc = electricity.utc
    start_total = electricity.summation(CHANNEL_DELIVERED) + electricity.summation(
        CHANNEL_RECEIVED
    )
    # the demo history: the last two days (and more), whole intervals up to now
    intervals = electricity.intervals()
    assert intervals[0].start <= start_utc - 2 * 86_400
    assert intervals[-1].end == start_utc // 3600 * 3600

    # "on" for the 60 s irrigation time: it closes by itself a minute later
    assert await send(host, valve_device, ON_OFF, 0x01, ddr=True) == [
        on_off_report(True),
        report("0c 01"),  # manual
    ]
    closed = await host.wait_for(cluster_id=ON_OFF, timeout=3)  # 0.5 s real time
    assert (ON_OFF, (closed.data[:1] + closed.data[2:]).hex()) == on_off_report(False)
    assert [f for f in await drain(host) if f[0] == TUYA] == [
        report("0f 0000003c"),  # last irrigation duration: 60 s
        report("0c 02"),  # idle
    ]
    (watering,) = valve.waterings
    assert watering.duration == timedelta(minutes=1)
    # a minute of network time ahead of real time, and the valve with it
    ahead = network.wall_clock
    assert ahead is not None
    assert ahead - wall >= timedelta(minutes=1)
    assert abs(valve.wall_clock - (local_now() + (ahead - wall))) < timedelta(seconds=5)

    # the meter's clock went with it: more consumption, the profile ends at its now
    utc = electricity.utc
    assert abs(utc - zcl_time(ahead)) <= 1
    assert utc - start_utc >= 60
    total = electricity.summation(CHANNEL_DELIVERED) + electricity.summation(
        CHANNEL_RECEIVED
    )
    assert total > start_total
    # GetProfile, channel 0, EndTime 0 (the newest), one period
    before = electricity.utc
    rsp = await host.request(meter_device, 1, METERING, h("01 33 00 00 00000000 01"))
    after = electricity.utc
    end = int.from_bytes(rsp.data[3:7], "little")
    assert rsp.data[7] == 0  # SUCCESS
    assert end in {before // 3600 * 3600, after // 3600 * 3600}
    await network.stop()


class _TwoHoursLater(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        return datetime.now(tz) + timedelta(hours=2)


async def test_restart_goes_on_from_wall_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    network = SimNetwork(reply_delay=0, time_scale=1.0)
    network.form(channel=15)
    valve_device = network.add_device(MODELS["ts0049"](irrigation_time=600))
    meter_device = network.add_device(
        MODELS["se_electricity_meter"](**demo_options("se_electricity_meter", network))
    )
    await network.join(valve_device)
    await network.join(meter_device)
    ts0049_valve(valve_device).switch(True)
    history_start = meter(meter_device).history_start
    saved_utc = meter(meter_device).utc
    state = tmp_path / "sim.json"
    network.save(state)
    await network.stop()

    # the simulator was down for two hours: it starts again two hours later
    monkeypatch.setattr("tests.simulator.clock.datetime", _TwoHoursLater)
    restored = SimNetwork.load(state, time_scale=1.0)
    saved_now = json.loads(state.read_text())["clock"]["now"]
    assert abs(restored.now - (saved_now + 7200)) < 5
    valve = ts0049_valve(restored.device(valve_device.ieee))
    later = timedelta(hours=2)
    assert abs(valve.wall_clock - (local_now() + later)) < timedelta(seconds=5)
    # back on the network it caught up: the 10-minute watering ended during the downtime
    assert not valve.is_open
    assert valve.last_once_using_time == 600
    (watering,) = valve.waterings
    assert watering.duration == timedelta(minutes=10)
    assert valve.wall_clock - watering.opened > timedelta(hours=2)

    electricity = meter(restored.device(meter_device.ieee))
    assert abs(electricity.utc - zcl_time(datetime.now(UTC) + later)) <= 5
    assert electricity.history_start == history_start
    # the downtime's intervals are measured, and the summation counts them
    intervals = electricity.intervals()
    assert intervals[-1].end == electricity.utc // 3600 * 3600
    downtime = [i for i in intervals if i.start >= saved_utc]
    assert downtime  # at least one whole hour of the two
    assert all(i.value is not None for i in downtime)
    assert electricity.summation() == sum(
        i.value or 0 for i in intervals
    ) + electricity.partial(CHANNEL_DELIVERED)
    await restored.stop()


async def test_manual_clock_keeps_device_clocks() -> None:
    network = SimNetwork()
    assert network.wall_clock is None
    valve_device = network.add_device(MODELS["ts0049"]())
    meter_device = network.add_device(MODELS["se_electricity_meter"]())
    assert ts0049_valve(valve_device).wall_clock == datetime(2026, 1, 1)
    assert meter(meter_device).wall_clock == datetime(2026, 3, 2, tzinfo=UTC)
    assert "clock" not in network.to_dict()
    await network.stop()

"""Smart Energy meter models (`models/se_meters.py`): meaning and bytes, socket-free.

Frames are written as hex from the SE wire reference (smart_energy_reference.md §1, §2,
§6), never with zigpy's or the integration's codecs.  Metering cluster 0x0702; a
server->client cluster command with "disable default response" has frame control 0x19.
GetProfile: ``01 tsn 00 <channel> <EndTime u32> <n>``; GetProfileResponse:
``19 tsn 00 <EndTime u32> <status> <period> <n> <uint24 intervals, newest first>``.
RequestFastPollMode: ``01 tsn 03 <period s> <minutes>`` -> ``19 tsn 03 <applied> <end>``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
import itertools

from tests.simulator.capture import CaptureFrontend
from tests.simulator.device import SimDevice
from tests.simulator.models import MODELS
from tests.simulator.models.se_meters import SEMeter, from_bcd, meter, zha_stock_kwh
from tests.simulator.network import DeliveryStatus, SimNetwork

METERING = 0x0702
START = datetime(2026, 3, 2, tzinfo=UTC)
HOUR = 3600


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def utc(when: datetime) -> int:
    """UTCTime: seconds since 2000-01-01 00:00 UTC (written here, not imported)."""
    return int((when - datetime(2000, 1, 1, tzinfo=UTC)).total_seconds())


def u32(value: int) -> str:
    return value.to_bytes(4, "little").hex()


def u24(value: int) -> str:
    return value.to_bytes(3, "little").hex()


async def joined(
    host: CaptureFrontend, model: str, **options: object
) -> tuple[SimDevice, SEMeter]:
    device = MODELS[model](**options)
    host.network.add_device(device)
    await host.network.join(device)
    await host.network.settle()
    host.frames.clear()
    return device, meter(device)


async def exchange(host: CaptureFrontend, device: SimDevice, frame: str) -> list[bytes]:
    """Send a Metering frame (polled in if the device sleeps); return the answers."""
    await host.network.settle()
    host.frames.clear()
    delivery = host.send(device, 1, METERING, h(frame))
    if delivery.status is DeliveryStatus.QUEUED:
        await device.poll()
    else:
        assert delivery.ok
    await host.network.settle()
    frames = [f.data for f in host.frames]
    host.frames.clear()
    return frames


def profile(frame: bytes) -> tuple[int, int, int, int, list[int]]:
    """Split a GetProfileResponse: (EndTime, status, period, announced n, intervals)."""
    assert frame[0] == 0x19 and frame[2] == 0x00
    body = frame[3:]
    values = [int.from_bytes(body[i : i + 3], "little") for i in range(7, len(body), 3)]
    assert (len(body) - 7) % 3 == 0
    return int.from_bytes(body[:4], "little"), body[4], body[5], body[6], values


#: Value sizes of the ZCL types a meter reports.
SIZES = {0x18: 1, 0x20: 1, 0x22: 3, 0x25: 6, 0x2A: 3, 0x30: 1, 0xE2: 4}


def report_records(data: bytes) -> dict[int, tuple[int, bytes]]:
    """Parse Report Attributes records: attribute id -> (ZCL type, value bytes)."""
    records = {}
    body = data[3:]
    while body:
        attr_id, zcl_type = int.from_bytes(body[:2], "little"), body[2]
        size = SIZES[zcl_type]
        records[attr_id] = (zcl_type, body[3 : 3 + size])
        body = body[3 + size :]
    return records


def reports_of(device: SimDevice, attr_id: int) -> list[tuple[float, bytes]]:
    """(virtual time, value bytes) of the device's reports of ``attr_id``."""
    found = []
    for frame in device.frames(cluster=METERING, command=0x0A, sent=True):
        records = report_records(frame.data)
        if attr_id in records:
            found.append((float(frame.sim_time or 0.0), records[attr_id][1]))
    return found


async def test_electricity_identity_and_formatting(host: CaptureFrontend) -> None:
    device, _ = await joined(host, "se_electricity_meter")
    descriptor = device.endpoint(1).simple_descriptor()
    assert (descriptor.profile, descriptor.device_type) == (0x0109, 0x0501)
    assert 0x0702 in descriptor.input_clusters
    # UnitofMeasure enum8 kWh 00, Multiplier uint24 1, Divisor uint24 1000 (e8 03 00),
    # SummationFormatting map8 0x2B, DemandFormatting 0x1B, MeteringDeviceType map8 0,
    # MaxNumberOfPeriodsDelivered uint8 24, ProfileIntervalPeriod enum8 0x01 (60 min),
    # FastPollUpdatePeriod 5 s
    rsp = await exchange(
        host, device, "00 01 00 0003 0103 0203 0303 0403 0603 0005 0f00 0b00"
    )
    assert rsp == [
        h(
            "18 01 01 0003 00 30 00  0103 00 22 010000  0203 00 22 e80300"
            " 0303 00 18 2b  0403 00 18 1b  0603 00 18 00  0005 00 20 18"
            " 0f00 00 30 01  0b00 00 20 05"
        )
    ]


async def test_profile_adds_up_to_summation(host: CaptureFrontend) -> None:
    device, m = await joined(host, "se_electricity_meter")
    assert m.wall_clock == START
    for channel, attr in ((0, "current_summ_delivered"), (1, "current_summ_received")):
        intervals = m.intervals(channel)
        assert len(intervals) == 48  # default history: 2 x MaxNumberOfPeriods
        assert intervals[-1].end == utc(START)
        valid = [i.value for i in intervals if i.value is not None]
        assert sum(valid) == m.summation(channel) > 0
        assert int(m.cluster.get(attr)) == m.summation(channel)
        tiers = [m.tier_summation(tier, channel) for tier in (1, 2, 3, 4)]
        assert sum(tiers) == m.summation(channel)
    # export happens at midday only; import at night
    noon = [i for i in m.intervals(1) if (i.start % 86400) // HOUR == 12]
    night = [i for i in m.intervals(1) if (i.start % 86400) // HOUR == 2]
    assert all(i.value for i in noon) and not any(i.value for i in night)

    await host.network.elapse(5 * HOUR + 600)  # 10 minutes into an interval
    assert m.wall_clock == START + timedelta(hours=5, minutes=10)
    delivered = m.intervals(0)
    assert len(delivered) == 53
    partial = m.partial(0)
    assert sum(i.value or 0 for i in delivered) + partial == m.summation(0)
    current = m.interval_value(0, utc(START) + 5 * HOUR)
    assert partial == int(current * 600 / 3600)
    # a read through ZCL gives the register at the meter's clock: uint48 0x25
    rsp = await exchange(host, device, "00 02 00 0000")
    assert rsp == [h("18 02 01 0000 00 25") + m.summation(0).to_bytes(6, "little")]
    # the whole profile of a request adds up too
    rsp = await exchange(host, device, f"01 03 00 00 {u32(0)} 18")
    end, status, period, n, values = profile(rsp[0])
    assert (end, status, period, n) == (utc(START) + 5 * HOUR, 0, 0x01, 24)
    truth = [i.value for i in reversed(delivered)][:24]
    assert values == [0xFFFFFF if v is None else v for v in truth]


async def test_get_profile_bytes_newest_first(host: CaptureFrontend) -> None:
    device, m = await joined(host, "se_electricity_meter")
    now = utc(START)
    m.override_interval(0, START, 0x010203)
    m.override_interval(0, START - timedelta(hours=1), 0x000A0B)
    m.override_interval(0, START - timedelta(hours=2), 0x7F0001)
    rsp = await exchange(host, device, f"01 07 00 00 {u32(0)} 03")
    assert rsp == [
        h(f"19 07 00 {u32(now)} 00 01 03 030201 0b0a00 01007f"),
    ]
    # EndTime inside the interval ending 23:00 selects the newest end <= EndTime
    rsp = await exchange(host, device, f"01 08 00 00 {u32(now - 1800)} 02")
    assert rsp == [h(f"19 08 00 {u32(now - HOUR)} 00 01 02 0b0a00 01007f")]
    # the overrides count in the summation
    assert m.summation(0) == sum(i.value or 0 for i in m.intervals(0))


async def test_get_profile_status_codes(host: CaptureFrontend) -> None:
    device, m = await joined(
        host, "se_electricity_meter", history_start=START - timedelta(hours=5)
    )
    now = utc(START)
    # more than MaxNumberOfPeriodsDelivered (24) but only 5 intervals exist: 0x04, 5
    end, status, _, n, values = profile(
        (await exchange(host, device, f"01 10 00 00 {u32(0)} 1e"))[0]
    )
    assert (end, status, n, len(values)) == (now, 0x04, 5, 5)
    # fewer available than requested (within the maximum): SUCCESS with those
    end, status, _, n, values = profile(
        (await exchange(host, device, f"01 11 00 01 {u32(0)} 0a"))[0]
    )
    assert (status, n, len(values)) == (0x00, 5, 5)
    # the default outage (4 h 50 - 4 h 20 before START) is the oldest interval here
    assert values == [
        0xFFFFFF if i.value is None else i.value for i in reversed(m.intervals(1))
    ]
    assert values[-1] == 0xFFFFFF
    # undefined channel (only 0-3 are defined): 0x01; reactive channel 2: 0x02
    assert await exchange(host, device, f"01 12 00 07 {u32(0)} 01") == [
        h(f"19 12 00 {u32(0)} 01 01 00")
    ]
    assert await exchange(host, device, f"01 13 00 02 {u32(0)} 01") == [
        h(f"19 13 00 {u32(0)} 02 01 00")
    ]
    # EndTime in the future (and 0xFFFFFFFF): 0x03
    assert await exchange(host, device, f"01 14 00 00 {u32(now + 60)} 01") == [
        h(f"19 14 00 {u32(now + 60)} 03 01 00")
    ]
    assert await exchange(host, device, "01 15 00 00 ffffffff 01") == [
        h("19 15 00 ffffffff 03 01 00")
    ]
    # before the meter's history: 0x05
    early = now - 6 * HOUR
    assert await exchange(host, device, f"01 16 00 00 {u32(early)} 01") == [
        h(f"19 16 00 {u32(early)} 05 01 00")
    ]
    # 24 requested with 48 intervals: SUCCESS, 24; 25: status 0x04 with 24
    device2, _ = await joined(host, "se_electricity_meter")
    _, status, _, n, values = profile(
        (await exchange(host, device2, f"01 17 00 00 {u32(0)} 18"))[0]
    )
    assert (status, n, len(values)) == (0x00, 24, 24)
    _, status, _, n, values = profile(
        (await exchange(host, device2, f"01 18 00 00 {u32(0)} 19"))[0]
    )
    assert (status, n, len(values)) == (0x04, 24, 24)
    # a wrong length is malformed: Default Response 0x80
    assert await exchange(host, device2, "01 19 00 00 00") == [h("18 19 0b 00 80")]


async def test_outage_interval_is_invalid(host: CaptureFrontend) -> None:
    device, m = await joined(host, "se_electricity_meter")
    # the default power failure 4 h 50 - 4 h 20 before START: interval [-5 h, -4 h)
    _, status, _, _, values = profile(
        (await exchange(host, device, f"01 20 00 00 {u32(0)} 06"))[0]
    )
    assert status == 0x00
    assert values[4] == 0xFFFFFF and 0xFFFFFF not in values[:4] + values[5:]
    outage = [i for i in m.intervals(0) if i.value is None]
    assert [i.end for i in outage] == [utc(START) - 4 * HOUR]
    # the invalid interval adds nothing: the summation is the sum of the valid ones
    assert m.summation(0) == sum(i.value for i in m.intervals(0) if i.value)


async def test_gas_announces_more_intervals_than_it_sends(
    host: CaptureFrontend,
) -> None:
    device, m = await joined(host, "se_gas_meter")
    assert m.period == 1800 and m.max_periods == 12 and m.announce_extra == 1
    rsp = await exchange(host, device, f"01 21 00 00 {u32(0)} 04")
    end, status, period, n, values = profile(rsp[0])
    assert (end, status, period, n) == (utc(START), 0x00, 0x02, 4)
    assert len(values) == 3  # one fewer than announced
    assert len(rsp[0]) == 3 + 7 + 3 * 3
    truth = [i.value for i in reversed(m.intervals(0))]
    assert values == truth[:3]
    # the received channel does not exist on a gas meter: 0x02; cap at 12 (0x04)
    assert await exchange(host, device, f"01 22 00 01 {u32(0)} 01") == [
        h(f"19 22 00 {u32(0)} 02 02 00")
    ]
    _, status, _, n, values = profile(
        (await exchange(host, device, f"01 23 00 00 {u32(0)} 18"))[0]
    )
    assert (status, n, len(values)) == (0x04, 12, 11)
    m.announce_extra = 0
    _, _, _, n, values = profile(
        (await exchange(host, device, f"01 24 00 00 {u32(0)} 04"))[0]
    )
    assert n == len(values) == 4


async def test_sleepy_gas_meter_answers_after_polls(host: CaptureFrontend) -> None:
    device, m = await joined(host, "se_gas_meter")
    assert device.sleepy and device.long_poll_interval == 7.0
    await host.network.elapse(10)  # asleep again after its join traffic
    host.frames.clear()
    delivery = host.send(device, 1, METERING, h(f"01 30 00 00 {u32(0)} 02"))
    assert delivery.status is DeliveryStatus.QUEUED
    await host.network.settle()
    assert [f for f in host.frames if f.cluster_id == METERING] == []
    polls = device.polls
    await host.network.elapse(7)  # the next long poll fetches it
    assert device.polls == polls + 1
    answers = [f.data for f in host.frames if f.cluster_id == METERING]
    assert len(answers) == 1
    _, status, period, n, values = profile(answers[0])
    assert (status, period, n, len(values)) == (0x00, 0x02, 2, 1)
    # consumption goes on while it sleeps; intervals still add up
    await host.network.elapse(3 * 1800)
    assert m.summation(0) == sum(i.value or 0 for i in m.intervals(0)) + m.partial(0)


async def test_fast_poll_window(host: CaptureFrontend) -> None:
    device, m = await joined(host, "se_electricity_meter")
    await host.network.elapse(40)
    now = m.utc
    # 2 s requested < FastPollUpdatePeriod 5: applied 5; 30 minutes capped at 15
    rsp = await exchange(host, device, "01 40 03 02 1e")
    end = now + 15 * 60
    assert rsp == [h(f"19 40 03 05 {u32(end)}")]
    assert m.fast_poll_until == end and m.fast_poll_period == 5
    # a second request during the window does not extend it
    await host.network.elapse(60)
    assert await exchange(host, device, "01 41 03 0a 05") == [
        h(f"19 41 03 05 {u32(end)}")
    ]
    # the demand of a report is the refreshed register: int24 0x2a, sign-extended
    device.clear_frames()
    await host.network.elapse(5)
    [(_, raw)] = reports_of(device, 0x0400)
    assert int.from_bytes(raw, "little", signed=True) == m.demand
    device.clear_frames()
    began = host.network.clock.now - 65  # the window opened 65 s ago
    await host.network.elapse(20 * 60 - 5)
    times = [round(t - began) for t, _ in reports_of(device, 0x0400)]
    window = [t for t in times if t <= 15 * 60]
    after = [t for t in times if t > 15 * 60]
    # every applied period (5 s) from the request to the end of the window
    assert window == list(range(70, 15 * 60 + 1, 5))
    # after the window: back to the normal (default 300 s) demand reports
    assert after and all(b - a >= 300 for a, b in itertools.pairwise(after))
    assert m.fast_poll_until is None
    # a larger request is honoured; duration 0 opens no window
    rsp = await exchange(host, device, "01 42 03 0c 00")
    assert rsp == [h(f"19 42 03 0c {u32(m.utc)}")]
    assert m.fast_poll_until is None


async def test_demand_is_negative_while_exporting(host: CaptureFrontend) -> None:
    device, m = await joined(host, "se_electricity_meter")
    m.set_clock(START + timedelta(hours=12))  # midday: PV exceeds the house load
    await host.network.elapse(30)
    assert m.demand < 0
    # int24 on the wire, sign-extended
    rsp = await exchange(host, device, "00 50 00 0004")
    assert rsp[0][:6] == h("18 50 01 0004 00")
    assert rsp[0][6] == 0x2A
    assert int.from_bytes(rsp[0][7:10], "little", signed=True) == m.demand
    m.set_clock(START + timedelta(hours=20))
    await host.network.elapse(30)
    assert m.demand > 0


async def test_reports_follow_configure_reporting(host: CaptureFrontend) -> None:
    device, m = await joined(host, "se_electricity_meter")
    # default: CurrentSummationDelivered every 900 s (no configuration)
    await host.network.elapse(900)
    assert len(reports_of(device, 0x0000)) == 1
    # Configure Reporting 0x0000 uint48: min 60, max 3600, change 100 Wh
    rsp = await exchange(host, device, "00 60 06 00 0000 25 3c00 100e 640000000000")
    assert rsp == [h("18 60 07 00")]
    device.clear_frames()
    await host.network.elapse(2 * HOUR)
    reports = reports_of(device, 0x0000)
    times = [t for t, _ in reports]
    assert len(times) > 2
    assert all(b - a >= 60 for a, b in itertools.pairwise(times))
    values = [int.from_bytes(v, "little") for _, v in reports]
    # each report moved by the reportable change (100 Wh), or the maximum interval
    for (t1, v1), (t2, v2) in itertools.pairwise(zip(times, values, strict=True)):
        assert v2 - v1 >= 100 or t2 - t1 >= 3600
    assert values == sorted(values) and values[-1] <= m.summation(0)


async def test_water_meter_bcd(host: CaptureFrontend) -> None:
    device, m = await joined(host, "se_water_meter")
    assert m.period == 86400 and m.kind.bcd
    rsp = await exchange(host, device, "00 70 00 0000 0003 0303 0603")
    raw = rsp[0][7:13]
    value = int.from_bytes(raw, "little")
    total = m.summation(0)
    assert from_bcd(value) == total
    assert f"{value:x}" == str(total)  # every nibble a decimal digit
    assert rsp[0][13:] == h("0003 00 30 87 0303 00 18 38 0603 00 18 02")
    # daily intervals, BCD too
    _, status, period, n, values = profile(
        (await exchange(host, device, f"01 71 00 00 {u32(0)} 03"))[0]
    )
    assert (status, period, n) == (0x00, 0x00, 3)
    truth = [i.value for i in reversed(m.intervals(0))][:3]
    assert [from_bcd(v) for v in values] == truth
    assert values == [int(str(v), 16) for v in truth]
    # no InstantaneousDemand on a BCD meter
    assert await exchange(host, device, "00 72 00 0004") == [h("18 72 01 0004 86")]


async def test_plug_2781_attributes(host: CaptureFrontend) -> None:
    device, m = await joined(host, "se_plug_2781")
    descriptor = device.endpoint(1).simple_descriptor()
    assert (descriptor.profile, descriptor.device_type) == (0x0104, 0x010A)
    # unit kWh, no multiplier / divisor, SummationFormatting 0x33, electric
    rsp = await exchange(host, device, "00 80 00 0003 0103 0203 0303 0603")
    assert rsp == [
        h("18 80 01 0003 00 30 00 0103 86 0203 86 0303 00 18 33 0603 00 18 00")
    ]
    raw = int(m.cluster.get("current_summ_delivered"))
    assert raw == m.summation(0) > 0
    true_kwh = raw / 100  # 0.01 kWh per count
    assert zha_stock_kwh(device) == raw == 100 * true_kwh
    # GetProfile is not supported by the plug
    assert await exchange(host, device, f"01 81 00 00 {u32(0)} 01") == [
        h("18 81 0b 00 81")
    ]
    # the relay off: nothing accrues
    assert host.send(device, 1, 0x0006, h("01 82 00")).ok  # OnOff Off
    await host.network.settle()
    assert not device.cluster(1, 0x0006).get("on_off")
    host.frames.clear()
    before = m.summation(0)
    await host.network.elapse(3 * HOUR)
    assert m.summation(0) == before
    new, m2 = await joined(host, "se_plug_2781", firmware="new")
    assert (new.cluster(1, METERING).get("divisor"), m2.kind.raw_wh) == (1000, 1.0)
    assert abs(zha_stock_kwh(new) - m2.summation(0) / 1000) < 1e-9


# -- day consumption (0x0401-0x0404) ------------------------------------------------------
# Read Attributes 0x0401-0x0404: uint24 (0x22) each.  The day starts at the meter's local
# midnight (no HistoricalFreezeTime 0x045C, smart_energy_reference.md §1.5).

DAY_READ = "00 {tsn} 00 0104 0204 0304 0404"


def day_registers(frame: bytes) -> dict[int, int]:
    """Parse a Read Attributes Response of uint24 values: attribute id -> value."""
    assert frame[:3] == h(frame[:2].hex() + "01")
    values = {}
    body = frame[3:]
    while body:
        attr_id, status = int.from_bytes(body[:2], "little"), body[2]
        assert status == 0x00 and body[3] == 0x22, body.hex()
        values[attr_id] = int.from_bytes(body[4:7], "little")
        body = body[7:]
    return values


def whole_intervals(m: SEMeter, channel: int, since: int, until: int) -> int:
    """The sum of the completed intervals inside [since, until) (invalid ones count 0)."""
    return sum(
        i.value or 0
        for i in m.intervals(channel)
        if since <= i.start and i.end <= until
    )


async def test_day_consumption_adds_up_with_todays_intervals(
    host: CaptureFrontend,
) -> None:
    # UTC+2: the local day began at 22:00 UTC the day before START
    device, m = await joined(
        host,
        "se_electricity_meter",
        day_consumption=True,
        utc_offset=2 * HOUR,
        wall_clock=START + timedelta(hours=5),
    )
    await host.network.elapse(600)  # local 07:10, 10 minutes into an interval
    local = timezone(timedelta(hours=2))
    midnight = utc(datetime(2026, 3, 2, tzinfo=local))
    assert midnight == utc(START) - 2 * HOUR
    now = utc(START) + 5 * HOUR + 600
    rsp = await exchange(host, device, DAY_READ.format(tsn="90"))
    registers = day_registers(rsp[0])
    for channel, today_id, yesterday_id in ((0, 0x0401, 0x0403), (1, 0x0402, 0x0404)):
        today = registers[today_id]
        # today = the completed intervals since local midnight + the accumulating one
        assert today == whole_intervals(m, channel, midnight, now) + m.partial(channel)
        # the summation before today + today = the summation
        before = whole_intervals(m, channel, 0, midnight)
        assert before + today == m.summation(channel)
        # yesterday: the 24 intervals of the previous local day
        assert registers[yesterday_id] == whole_intervals(
            m, channel, midnight - 86400, midnight
        )
    # the default outage (local 02:10-02:40) is today: its interval counts nothing
    (outage,) = [i for i in m.intervals(0) if i.value is None]
    assert midnight <= outage.start < now
    assert registers[0x0401] > 0 and registers[0x0403] > 0
    assert registers[0x0404] > 0  # yesterday's midday PV export


async def test_day_consumption_rolls_over_at_local_midnight(
    host: CaptureFrontend,
) -> None:
    device, m = await joined(
        host,
        "se_electricity_meter",
        day_consumption=True,
        utc_offset=2 * HOUR,
        wall_clock=START + timedelta(hours=21, minutes=30),  # local 23:30
    )
    midnight = utc(START) + 22 * HOUR  # local midnight of the next day
    # Configure Reporting 0x0403 uint24: min 0, max 0 (on change only), change 1
    rsp = await exchange(host, device, "00 91 06 00 0304 22 0000 0000 010000")
    assert rsp == [h("18 91 07 00")]
    before = day_registers((await exchange(host, device, DAY_READ.format(tsn="92")))[0])
    device.clear_frames()
    await host.network.elapse(1800)  # local 00:00
    registers = day_registers(
        (await exchange(host, device, DAY_READ.format(tsn="93")))[0]
    )
    # the day that ended: its 24 intervals; today restarted
    assert registers[0x0403] == whole_intervals(m, 0, midnight - 86400, midnight)
    assert registers[0x0404] == whole_intervals(m, 1, midnight - 86400, midnight)
    assert registers[0x0403] != before[0x0403]
    assert registers[0x0403] >= before[0x0401]  # 23:30's today and the last 30 minutes
    assert registers[0x0401] == registers[0x0402] == 0
    # the rollover is reported at the boundary (the meter's own tick)
    reports = reports_of(device, 0x0403)
    assert [int.from_bytes(v, "little") for _, v in reports] == [registers[0x0403]]
    assert reports[0][0] == host.network.clock.now
    # an hour later: today is the first interval of the day, yesterday unchanged
    await host.network.elapse(HOUR)
    later = day_registers((await exchange(host, device, DAY_READ.format(tsn="94")))[0])
    first = m.interval_value(0, midnight)
    assert first is not None and later[0x0401] == first > 0
    assert later[0x0403] == registers[0x0403]
    assert len(reports_of(device, 0x0403)) == 1


async def test_day_boundary_inside_an_interval_bcd(host: CaptureFrontend) -> None:
    """UTC+5:30 and daily intervals: the local day splits intervals, BCD registers."""
    device, m = await joined(
        host,
        "se_water_meter",
        day_consumption=True,
        utc_offset=5 * HOUR + 1800,
        wall_clock=START + timedelta(hours=12),
    )
    local = timezone(timedelta(hours=5, minutes=30))
    first = utc(datetime(2026, 3, 3, tzinfo=local))  # 2026-03-02 18:30 UTC
    await host.network.elapse(first - utc(START) - 12 * HOUR)
    at_midnight = m.summation(0)
    await host.network.elapse(6 * HOUR)
    rsp = await exchange(host, device, "00 95 00 0104 0304")
    body = rsp[0][3:]
    assert body[:4] == h("0104 00 22") and body[7:11] == h("0304 00 22")
    today = from_bcd(int.from_bytes(body[4:7], "little"))
    assert today == m.summation(0) - at_midnight > 0
    await host.network.elapse(18 * HOUR)  # the next local midnight
    yesterday = from_bcd(int(device.cluster(1, METERING).get(0x0403)))
    assert yesterday == m.summation(0) - at_midnight
    assert int(device.cluster(1, METERING).get(0x0401)) == 0


async def test_day_consumption_is_optional(host: CaptureFrontend) -> None:
    device, _ = await joined(host, "se_electricity_meter")
    assert await exchange(host, device, "00 96 00 0104 0304") == [
        h("18 96 01 0104 86 0304 86")
    ]


async def test_day_consumption_survives_a_restore(host: CaptureFrontend) -> None:
    """A saved meter is rebuilt with default options, then its state: the option stays."""
    device, _ = await joined(
        host, "se_electricity_meter", day_consumption=True, utc_offset=2 * HOUR
    )
    await host.network.elapse(HOUR)
    loaded = SimNetwork.from_dict(host.network.to_dict())
    try:
        copy = meter(loaded.device(device.ieee))
        assert copy.has_day_consumption and copy.utc_offset == 2 * HOUR
        copy.refresh()
        cluster = copy.cluster
        assert int(cluster.get(0x0401)) == copy.today(0) > 0
        assert int(cluster.get(0x0403)) == copy.yesterday(0) > 0
    finally:
        await loaded.stop()

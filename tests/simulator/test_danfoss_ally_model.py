"""The Danfoss Ally eTRV model (`models/danfoss_ally.py`), byte level and through zigpy.

Frames are written as hex from the Danfoss cluster specification (AM375549618098en-000103)
and ZCL, never with zigpy's or the integration's codecs.  Asymmetric values: 21.37 °C =
2137 = ``59 08``; 17.25 °C = 1725 = ``bd 06``; 06:30 = 390 min = ``86 01``; 22:10 =
1330 min = ``32 05``; Mon+Thu = 0x12 (ZCL DayOfWeek bit 0 Sunday).  2026-11-29 is a
Sunday.  Manufacturer-specific frames carry frame control bit 2 and ``46 12`` (0x1246).
"""

from __future__ import annotations

from datetime import UTC, datetime

import zigpy.device
from zigpy.zcl import foundation
from zigpy_xbee.zigbee.application import ControllerApplication

from tests.simulator.capture import CaptureFrontend
from tests.simulator.device import SimDevice
from tests.simulator.helpers import wait_initialized
from tests.simulator.models import MODELS
from tests.simulator.models.danfoss_ally import (
    COVERED_TIMEOUT,
    DEFAULT_TIME,
    E10_INVALID_CLOCK,
    EXPOSED_TIMEOUT,
    DanfossAllyTRV,
    danfoss_trv,
)
from tests.simulator.network import DeliveryStatus, SimNetwork
from tests.simulator.poll_control import poll_control

Status = foundation.Status
THERMOSTAT = 0x0201
TIME = 0x000A
DIAG = 0x0B05
BASIC = 0x0000
MFR = "46 12"


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def zcl_time(when: datetime) -> int:
    """Seconds since 2000-01-01 00:00 UTC (ZCL UTCTime)."""
    return int((when - datetime(2000, 1, 1, tzinfo=UTC)).total_seconds())


def u32(value: int) -> str:
    return value.to_bytes(4, "little").hex()


async def joined(host: CaptureFrontend) -> tuple[SimDevice, DanfossAllyTRV]:
    device = MODELS["danfoss_ally"]()
    await host.network.join(device)
    await host.network.settle()
    host.frames.clear()
    return device, danfoss_trv(device)


async def exchange(
    host: CaptureFrontend, device: SimDevice, cluster: int, frame: str
) -> list[str]:
    """Send a frame (the sleepy TRV polls it if queued); return the frames back, hex.

    Frames sent before (check-ins, reports) are dropped first.
    """
    await host.network.settle()
    host.frames.clear()
    delivery = host.send(device, 1, cluster, h(frame))
    if delivery.status is DeliveryStatus.QUEUED:
        await device.poll()
    else:
        assert delivery.ok
    await host.network.settle()
    frames = [f.data.hex(" ") for f in host.frames]
    host.frames.clear()
    return frames


async def write_mfr(
    host: CaptureFrontend, device: SimDevice, attr: str, zcl_type: str, value: str
) -> list[str]:
    return await exchange(
        host, device, THERMOSTAT, f"04 {MFR} 30 02 {attr} {zcl_type} {value}"
    )


async def set_clock(host: CaptureFrontend, device: SimDevice, utc: datetime) -> None:
    """The gateway writes Time (UTCTime 0xE2) and TimeStatus synchronized (map8 0x18)."""
    rsp = await exchange(
        host, device, TIME, f"00 31 02 0000 e2 {u32(zcl_time(utc))} 0100 18 02"
    )
    assert rsp == ["18 31 04 00"]


async def test_identity_descriptor_and_poll_control(host: CaptureFrontend) -> None:
    device, _ = await joined(host)
    ep = device.endpoint(1)
    descriptor = ep.simple_descriptor()
    assert (descriptor.profile, descriptor.device_type) == (0x0104, 0x0301)
    assert descriptor.input_clusters == [0, 1, 3, 10, 32, 513, 516, 2821]
    assert descriptor.output_clusters == [0, 25]
    assert device.node_descriptor().manufacturer_code == 0x1246
    assert device.sleepy and device.is_end_device and not device.rx_on_when_idle
    server = poll_control(device)
    assert server.cluster.get("checkin_interval") == 1200  # 5 min in quarter-seconds
    assert device.long_poll_interval == 7.0  # 28 qs
    # Basic 0x0004 / 0x0005 / 0x0007: "Danfoss", "eTRV0100", battery
    rsp = await exchange(host, device, BASIC, "00 01 00 0400 0500 0700")
    danfoss = "44 61 6e 66 6f 73 73"  # "Danfoss"
    etrv = "65 54 52 56 30 31 30 30"  # "eTRV0100"
    assert rsp == [
        f"18 01 01 04 00 00 42 07 {danfoss} 05 00 00 42 08 {etrv} 07 00 00 30 03"
    ]


async def test_manufacturer_attributes_need_the_danfoss_code(
    host: CaptureFrontend,
) -> None:
    device, _ = await joined(host)
    # 0x4015 (int16 0x29, -8000 = c0 e0) and 0x404A with the code; 0x4015 without it
    rsp = await exchange(host, device, THERMOSTAT, f"04 {MFR} 02 00 1540 4a40")
    assert rsp == [f"1c {MFR} 02 01 15 40 00 29 c0 e0 4a 40 00 29 c0 e0"]
    rsp = await exchange(host, device, THERMOSTAT, "00 03 00 1540 1200")
    assert rsp == ["18 03 01 15 40 86 12 00 00 29 34 08"]
    # SW error code bitmap16 (0x19) on 0x0B05: E10 set while the clock is invalid
    rsp = await exchange(host, device, DIAG, f"04 {MFR} 04 00 0040")
    assert rsp == [f"1c {MFR} 04 01 00 40 00 19 00 02"]


async def test_out_of_range_and_read_only_writes(host: CaptureFrontend) -> None:
    device, trv = await joined(host)
    thermostat = trv.thermostat
    # setpoint 35.01 °C > MaxHeatSetpointLimit 3500; system mode 0x01 (off)
    rsp = await exchange(host, device, THERMOSTAT, "00 05 02 1200 29 ad0d 1c00 30 01")
    assert rsp == ["18 05 04 87 12 00 87 1c 00"]
    # MinHeatSetpointLimit 22.00 °C, then 21.37 °C is below it
    assert await exchange(host, device, THERMOSTAT, "00 06 02 1500 29 9808") == [
        "18 06 04 00"
    ]
    rsp = await exchange(host, device, THERMOSTAT, "00 07 02 1200 29 5908")
    assert rsp == ["18 07 04 87 12 00"]
    assert thermostat.get("occupied_heating_setpoint") == 2100
    # 0x404B offset +2.6 K (0x1a) > 0x19; 0x4011 1440 min > 1439; 0x404A read-only
    rsp = await exchange(
        host, device, THERMOSTAT, f"04 {MFR} 08 02 4b40 28 1a 1140 21 a005 4a40 29 d204"
    )
    assert rsp == [f"1c {MFR} 08 04 87 4b 40 87 11 40 88 4a 40"]
    # 0x4020 scale factor range 1-255: 0 is invalid; 0x4016 bool 2 is invalid
    rsp = await write_mfr(host, device, "2040", "20", "00")
    assert rsp == [f"1c {MFR} 30 04 87 20 40"]
    rsp = await write_mfr(host, device, "1640", "10", "02")
    assert rsp == [f"1c {MFR} 30 04 87 16 40"]
    # Thermostat UI: °F is "Not supported!"
    rsp = await exchange(host, device, 0x0204, "00 09 02 0000 30 01")
    assert rsp == ["18 09 04 87 00 00"]


async def test_mixed_frame_writes_only_the_attributes_of_its_code(
    host: CaptureFrontend,
) -> None:
    device, trv = await joined(host)
    # a 0x1246 frame: 0x0012 is not a Danfoss attribute, 0x4015 is
    rsp = await exchange(
        host, device, THERMOSTAT, f"04 {MFR} 0a 02 1200 29 5908 1540 29 bd06"
    )
    assert rsp == [f"1c {MFR} 0a 04 86 12 00"]
    assert trv.thermostat.get("occupied_heating_setpoint") == 2100
    assert trv.thermostat.get("external_measured_room_sensor") == 1725
    # a standard frame: 0x4015 unknown, 0x0012 written
    rsp = await exchange(host, device, THERMOSTAT, "00 0b 02 1200 29 5908 1540 29 c0e0")
    assert rsp == ["18 0b 04 86 15 40"]
    assert trv.thermostat.get("occupied_heating_setpoint") == 2137
    assert trv.thermostat.get("setpoint_change_source") == 2


async def test_setpoint_command(host: CaptureFrontend) -> None:
    device, trv = await joined(host)
    thermostat = trv.thermostat
    # 0x40, type 1 (fast), 21.37 °C: cluster specific + manufacturer = 0x05
    rsp = await exchange(host, device, THERMOSTAT, f"05 {MFR} 20 40 01 5908")
    assert rsp == [f"1c {MFR} 20 0b 40 00"]
    assert thermostat.get("occupied_heating_setpoint") == 2137
    assert thermostat.get("setpoint_change_source") == 2
    # type 2: the displayed setpoint stays, the regulated one moves
    assert await exchange(host, device, THERMOSTAT, f"15 {MFR} 21 40 02 bd06") == []
    assert thermostat.get("occupied_heating_setpoint") == 2137
    assert trv.regulated_setpoint == 1725
    # out of range, unknown type, without the manufacturer code, short payload
    rsp = await exchange(host, device, THERMOSTAT, f"15 {MFR} 22 40 00 f401 ff")
    assert rsp == [f"1c {MFR} 22 0b 40 80"]
    rsp = await exchange(host, device, THERMOSTAT, f"15 {MFR} 23 40 00 ad0d")
    assert rsp == [f"1c {MFR} 23 0b 40 87"]
    rsp = await exchange(host, device, THERMOSTAT, f"15 {MFR} 24 40 03 5908")
    assert rsp == [f"1c {MFR} 24 0b 40 87"]
    rsp = await exchange(host, device, THERMOSTAT, "01 25 40 01 5908")
    assert rsp == ["18 25 0b 40 81"]


async def test_external_sensor_expires_after_3_hours_from_the_last_write(
    host: CaptureFrontend,
) -> None:
    device, trv = await joined(host)
    network = host.network
    thermostat = trv.thermostat
    assert await write_mfr(host, device, "1540", "29", "5908") == [f"1c {MFR} 30 04 00"]
    await network.elapse(3600)
    # the same value again restarts the 3 h (0x4016 FALSE) [SPEC p.5]
    start = network.now
    assert await write_mfr(host, device, "1540", "29", "5908") == [f"1c {MFR} 30 04 00"]
    await network.elapse(start + EXPOSED_TIMEOUT - 1 - network.now)
    assert thermostat.get("external_measured_room_sensor") == 2137
    await network.elapse(1)
    assert thermostat.get("external_measured_room_sensor") == -8000
    rsp = await exchange(host, device, THERMOSTAT, f"04 {MFR} 40 00 1540")
    assert rsp == [f"1c {MFR} 40 01 15 40 00 29 c0 e0"]


async def test_covered_radiator_expires_after_35_minutes(
    host: CaptureFrontend,
) -> None:
    device, trv = await joined(host)
    network = host.network
    assert await write_mfr(host, device, "1640", "10", "01") == [f"1c {MFR} 30 04 00"]
    start = network.now
    await write_mfr(host, device, "1540", "29", "bd06")
    await network.elapse(start + COVERED_TIMEOUT - 1 - network.now)
    assert trv.thermostat.get("external_measured_room_sensor") == 1725
    await network.elapse(1)
    assert trv.thermostat.get("external_measured_room_sensor") == -8000
    # -8000 written: nothing runs any more
    await write_mfr(host, device, "1540", "29", "5908")
    await write_mfr(host, device, "1540", "29", "c0e0")
    await network.elapse(COVERED_TIMEOUT * 2)
    assert trv.thermostat.get("external_measured_room_sensor") == -8000


async def test_external_window_reflected_in_window_state(
    host: CaptureFrontend,
) -> None:
    device, trv = await joined(host)
    thermostat = trv.thermostat
    assert thermostat.get("open_window_detection") == 1  # closed
    assert await write_mfr(host, device, "0340", "10", "01") == [f"1c {MFR} 30 04 00"]
    # 0x04 "In window open state from external, but detected closed locally"
    rsp = await exchange(host, device, THERMOSTAT, f"04 {MFR} 41 00 0040")
    assert rsp == [f"1c {MFR} 41 01 00 40 00 30 04"]
    trv.set_local_window(3)
    assert thermostat.get("open_window_detection") == 3
    trv.set_local_window(1)
    await write_mfr(host, device, "0340", "10", "00")
    assert thermostat.get("open_window_detection") == 1


async def test_load_estimate_reports_and_load_balancing_writes(
    host: CaptureFrontend,
) -> None:
    device, trv = await joined(host)
    network = host.network
    trv.set_load_estimate(437)  # 0x01b5
    await network.settle()
    reports = [f.data for f in host.frames if f.cluster_id == THERMOSTAT]
    host.frames.clear()
    # frame control, manufacturer code, (TSN dropped), Report Attributes 0x0A
    assert [r[:3] + r[4:] for r in reports] == [h(f"1c {MFR} 0a 4a40 29 b501")]
    trv.set_load_estimate(470)  # moved by less than 50: not reported
    await network.elapse(3599)
    assert not [f for f in host.frames if f.cluster_id == THERMOSTAT]
    await network.elapse(1)  # the maximum interval: 3600 s
    reports = [f.data for f in host.frames if f.cluster_id == THERMOSTAT]
    host.frames.clear()
    assert [r[:3] + r[4:] for r in reports] == [h(f"1c {MFR} 0a 4a40 29 d601")]
    # room mean 4.21 K-ish load (421 = a5 01), off; load balancing off
    assert await write_mfr(host, device, "4040", "29", "a501") == [f"1c {MFR} 30 04 00"]
    assert await write_mfr(host, device, "3240", "10", "00") == [f"1c {MFR} 30 04 00"]
    assert trv.thermostat.get("load_room_mean") == 421
    assert not trv.thermostat.get("load_balancing_enable")


async def test_heat_demand_and_heat_available(host: CaptureFrontend) -> None:
    device, trv = await joined(host)
    trv.set_heating_demand(37)
    rsp = await exchange(host, device, THERMOSTAT, "00 42 00 0800")
    assert rsp == ["18 42 01 08 00 00 20 25"]
    rsp = await exchange(host, device, THERMOSTAT, f"04 {MFR} 43 00 3140")
    assert rsp == [f"1c {MFR} 43 01 31 40 00 10 01"]
    assert await write_mfr(host, device, "3040", "10", "01") == [f"1c {MFR} 30 04 00"]
    assert trv.thermostat.get("heat_available")


async def test_weekly_schedule_set_get_clear(host: CaptureFrontend) -> None:
    device, trv = await joined(host)
    # Mon+Thu: 06:30 21.37 °C, 22:10 17.25 °C
    rsp = await exchange(
        host, device, THERMOSTAT, "01 50 01 02 12 01 8601 5908 3205 bd06"
    )
    assert rsp == ["18 50 0b 01 00"]
    assert trv.schedule == {
        1: [(390, 2137), (1330, 1725)],
        4: [(390, 2137), (1330, 1725)],
    }
    # Monday, then Thursday + Sunday (one response per day, Sunday first)
    rsp = await exchange(host, device, THERMOSTAT, "01 51 02 02 01")
    assert rsp == ["19 51 00 02 02 01 86 01 59 08 32 05 bd 06"]
    rsp = await exchange(host, device, THERMOSTAT, "01 52 02 11 01")
    assert rsp == ["19 52 00 00 01 01", "19 52 00 02 10 01 86 01 59 08 32 05 bd 06"]
    # a day written again is replaced whole
    await exchange(host, device, THERMOSTAT, "11 53 01 01 10 01 3205 bd06")
    assert trv.schedule[4] == [(1330, 1725)]
    assert await exchange(host, device, THERMOSTAT, "01 54 03") == ["18 54 0b 03 00"]
    assert trv.schedule == {}


async def test_weekly_schedule_refusals(host: CaptureFrontend) -> None:
    device, trv = await joined(host)
    seven = "".join(f"{(60 * i).to_bytes(2, 'little').hex()}5908" for i in range(7))
    cases = {
        f"01 60 01 07 02 01 {seven}": 0x89,  # more than 6 per day: INSUFFICIENT_SPACE
        "01 61 01 02 02 01 3205 bd06 8601 5908": 0x85,  # not chronological
        "01 62 01 01 02 01 8601 ad0d": 0x87,  # 35.01 °C > MaxHeatSetpointLimit
        "01 63 01 01 02 01 a005 5908": 0x87,  # 1440 min
        "01 64 01 01 80 01 8601 5908": 0x85,  # vacation day "not used"
        "01 65 01 01 02 02 8601 5908": 0x85,  # cool mode: heating only
        "01 66 01 02 02 01 8601 5908": 0x80,  # 2 announced, 1 given
    }
    for frame, status in cases.items():
        tsn = frame[3:5]
        assert await exchange(host, device, THERMOSTAT, frame) == [
            f"18 {tsn} 0b 01 {status:02x}"
        ]
    assert trv.schedule == {}


async def test_schedule_follows_the_wall_clock(host: CaptureFrontend) -> None:
    device, trv = await joined(host)
    network = host.network
    thermostat = trv.thermostat
    # UTC+1 (time zone 3600 s, int32 0x2b): Sunday 2026-11-29 05:00 local
    await set_clock(host, device, datetime(2026, 11, 29, 4, 0, tzinfo=UTC))
    rsp = await exchange(host, device, TIME, "10 32 02 0200 2b 100e0000")
    assert rsp == ["18 32 04 00"]  # a Write Attributes Response is no Default Response
    assert trv.wall_clock == datetime(2026, 11, 29, 5, 0)
    await exchange(host, device, THERMOSTAT, "11 33 01 02 12 01 8601 5908 3205 bd06")
    rsp = await exchange(host, device, THERMOSTAT, "10 34 02 2500 18 01")
    assert rsp == ["18 34 04 00"]

    await network.elapse(3 * 3600)  # Sunday 08:00: no transition on Sunday
    assert thermostat.get("occupied_heating_setpoint") == 2100
    # Monday 06:29:59 local, then 06:30
    await network.elapse((22 * 60 + 29) * 60 + 59)
    assert thermostat.get("occupied_heating_setpoint") == 2100
    await network.elapse(1)
    assert thermostat.get("occupied_heating_setpoint") == 2137
    assert thermostat.get("setpoint_change_source") == 1
    await network.elapse(16 * 3600)  # Monday 22:30
    assert thermostat.get("occupied_heating_setpoint") == 1725
    await network.elapse(3 * 86400)  # Thursday 22:30 (nothing on Tue, Wed)
    assert [(at, sp) for _, at, sp in trv.transitions_applied] == [
        (datetime(2026, 11, 30, 6, 30), 2137),
        (datetime(2026, 11, 30, 22, 10), 1725),
        (datetime(2026, 12, 3, 6, 30), 2137),
        (datetime(2026, 12, 3, 22, 10), 1725),
    ]


async def test_power_cycle_loses_schedule_and_clock(host: CaptureFrontend) -> None:
    device, trv = await joined(host)
    network = host.network
    diag = trv.diagnostics
    assert diag.get("sw_error_code") == E10_INVALID_CLOCK
    await set_clock(host, device, datetime(2026, 11, 29, 5, 0, tzinfo=UTC))
    assert diag.get("sw_error_code") == 0
    assert trv.time.get("time_status") == 0x02
    # TimeStatus: bits 0, 2, 3 do not change; a bit above 3 is INVALID_VALUE
    rsp = await exchange(host, device, TIME, "00 35 02 0100 18 0d 0100 18 10")
    assert rsp == ["18 35 04 87 01 00"]
    assert trv.time.get("time_status") == 0x00
    await exchange(host, device, THERMOSTAT, "11 36 01 02 12 01 8601 5908 3205 bd06")
    await exchange(host, device, THERMOSTAT, "10 37 02 2500 18 01")
    await network.elapse(60)
    # Time reads follow the clock: 05:01 UTC
    rsp = await exchange(host, device, TIME, "00 38 00 0000")
    expected = zcl_time(datetime(2026, 11, 29, 5, 1, tzinfo=UTC))
    time_hex = expected.to_bytes(4, "little").hex(" ")
    assert rsp == [f"18 38 01 00 00 00 e2 {time_hex}"]

    await device.power_cycle()
    await network.settle()
    assert trv.schedule == {}
    assert trv.thermostat.get("programing_oper_mode") == 0
    assert diag.get("sw_error_code") == E10_INVALID_CLOCK
    assert diag.get("number_of_resets") == 1
    assert trv.utc == DEFAULT_TIME
    rsp = await exchange(host, device, THERMOSTAT, "01 39 02 02 01")
    assert rsp == ["19 39 00 00 02 01"]
    # writing the SW error code resets it, but E10 stays while the clock is invalid
    rsp = await exchange(host, device, DIAG, f"04 {MFR} 3a 02 0040 19 0000")
    assert rsp == [f"1c {MFR} 3a 04 00"]
    assert diag.get("sw_error_code") == E10_INVALID_CLOCK


async def test_zigpy_interviews_the_trv_and_reads_a_danfoss_attribute(
    sim_network: SimNetwork, zigpy_app: ControllerApplication
) -> None:
    trv_device = MODELS["danfoss_ally"](ieee="00:15:bc:00:1a:00:42:37")
    zigpy_device: zigpy.device.Device = await wait_initialized(
        zigpy_app, trv_device, sim_network.join(trv_device)
    )
    await sim_network.settle()
    assert (zigpy_device.manufacturer, zigpy_device.model) == ("Danfoss", "eTRV0100")
    assert zigpy_device.node_desc is not None
    assert zigpy_device.node_desc.manufacturer_code == 0x1246
    assert sorted(zigpy_device.endpoints[1].in_clusters) == [
        0,
        1,
        3,
        10,
        32,
        513,
        516,
        2821,
    ]
    trv = danfoss_trv(trv_device)
    trv.thermostat.set("external_measured_room_sensor", 2137, report=False)
    thermostat = zigpy_device.endpoints[1].thermostat
    # zigpy's Thermostat has no 0x4015 definition: the raw read carries the code
    rsp = await thermostat.read_attributes_raw([0x4015], manufacturer=0x1246)
    [record] = rsp.status_records
    assert (record.attrid, record.status, record.value.value) == (0x4015, 0, 2137)
    frame = trv_device.frames(cluster=THERMOSTAT)[-1]
    assert frame.manufacturer == 0x1246

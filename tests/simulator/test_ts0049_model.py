"""The TS0049 water valve model (seed 004), byte for byte, in process (no sockets, no zigpy app)."""

from __future__ import annotations

import asyncio
from datetime import date
from functools import partial
import json

import pytest
from zigpy.zcl import AttributeReportedEvent, foundation
import zigpy.zdo.types as zdo_t
from zigpy_xbee.zigbee.application import ControllerApplication

from custom_components.zha_device_pack.protocol import irrigation_program as ip, tuya_dp
from tests.simulator.capture import CaptureFrontend
from tests.simulator.helpers import wait_initialized
from tests.simulator.models import MODELS
from tests.simulator.models.ts0049 import TS0049Device, ts0049_state, ts0049_valve
from tests.simulator.network import SimNetwork
from tests.simulator.ts0049_wire import (
    ON_OFF,
    TUYA,
    default_rsp,
    drain,
    h,
    on_off_report,
    report,
    send as send_frame,
)

send = partial(send_frame, ddr=False)


IEEE = "a4:c1:38:00:00:00:00:01"
Status = foundation.Status

#: The real-valve capture of seeds/README.md: modify DP17 program 1.
CAPTURE_MODIFY = "00 02 01 01e0 000f 7f 64 01 07e6 08 01 01"
#: DP17 record: 08:00, 15 min, every day, 100 %, weekly + on, 2022-08-01, n = 1.
SCHED_A = "01e0 000f 7f 64 01 07e6 08 01 01"
#: DP17 record: 14:30, 30 min, every 5 days from 2021-12-02, off.
SCHED_B = "0366 001e 00 32 40 07e5 0c 02 05"
#: DP16 record: on, ch 0, Mo-Fr, 06:00-20:00, 15 on / 60 off, 80 %.
CYCLE_A = "01 3e 0168 04b0 000f 003c 50"
#: DP16 record: off, one-time, 22:00-02:00 (past midnight), 5 / 5, 0 %.
CYCLE_B = "00 00 0528 0078 0005 0005 00"


async def joined(host: CaptureFrontend, **options: object) -> TS0049Device:
    device = MODELS["ts0049"](ieee=IEEE, **options)
    assert isinstance(device, TS0049Device)
    await host.network.join(device)
    await drain(host)
    return device


async def test_descriptors_and_basic(host: CaptureFrontend) -> None:
    device = await joined(host)
    assert device.model_key == "ts0049"
    node = device.node_descriptor()
    assert node.logical_type == zdo_t.LogicalType.EndDevice
    assert not node.is_mains_powered
    assert not node.is_receiver_on_when_idle
    simple = device.endpoint(1).simple_descriptor()
    assert (simple.profile, simple.device_type) == (0x0104, 0x0000)
    inputs = [0x0000, 0x0001, 0x0003, 0x0004, 0x0005, 0x0006, 0xE001]
    assert list(simple.input_clusters) == inputs
    assert list(simple.output_clusters) == [0x000A, 0x0019]
    rsp = await host.request(
        device, 1, 0x0000, h("00 10 00 0000 0100 0200 0300 0400 0500 0700 fdff")
    )
    assert rsp.data == h(
        "18 10 01 0000 00 20 03  0100 00 20 40  0200 00 20 02  0300 00 20 01"
        " 0400 00 42 10 5f545a333030305f6b7a31616e6f6938"
        " 0500 00 42 06 545330303439  0700 00 30 03  fdff 00 21 0100"
    )
    rsp = await host.request(device, 1, 0x0001, h("00 11 00 2100"))
    assert rsp.data == h("18 11 01 2100 00 20 ae")  # 87 % in half-percent units


async def test_join_reports_status_dps(host: CaptureFrontend) -> None:
    device = MODELS["ts0049"](ieee=IEEE)
    await host.network.join(device)
    frames = await drain(host)
    assert frames[0][0] == zdo_t.ZDOCmd.Device_annce
    assert frames[1:] == [
        report("0a 00"),
        report("0b 00000258"),  # 600 s: the factory default auto-off
        report("0c 02"),
        report("0f 00000000"),  # never watered yet
        report("04 00"),
    ]
    # ... and the raw attribute keeps the last one
    rsp = await host.request(device, 1, TUYA, h("00 12 00 40d0"))
    assert rsp.data == h("18 12 01 40d0 00 41 02 0400")


async def test_irrigation_time_and_weather_delay(host: CaptureFrontend) -> None:
    device = await joined(host)
    assert host.send(device, 1, TUYA, h("01 42 fe 0b 00000e10")).ok
    await host.network.settle()
    assert host.frames[0].data == h("18 42 0b fe 00")  # Default Response, same TSN
    assert await drain(host) == [default_rsp(TUYA, 0xFE, 0), report("0b 00000e10")]
    assert ts0049_state(device).irrigation_time == 3600
    # disable-default-response set (as zha-quirks PR #4952 sends it): the report only
    assert await send(host, device, TUYA, 0xFE, "0b 00015180", ddr=True) == [
        report("0b 00015180")
    ]
    assert await send(host, device, TUYA, 0xFE, "0a 03") == [
        default_rsp(TUYA, 0xFE, 0),
        report("0a 03"),
    ]
    state = ts0049_state(device)
    assert (state.irrigation_time, state.weather_delay) == (86400, 3)


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ("", Status.MALFORMED_COMMAND),
        ("0a", Status.MALFORMED_COMMAND),
        ("0a 0100", Status.MALFORMED_COMMAND),
        ("0b 000000", Status.MALFORMED_COMMAND),
        ("0b 0000000000", Status.MALFORMED_COMMAND),
        ("0a 04", Status.INVALID_VALUE),
        ("0b 00015181", Status.INVALID_VALUE),  # 86401 s
        ("0c 01", Status.INVALID_VALUE),  # work state is not settable
        ("01 01", Status.INVALID_VALUE),
    ],
)
async def test_setting_errors(
    host: CaptureFrontend, payload: str, status: Status
) -> None:
    device = await joined(host)
    before = ts0049_state(device)
    # errors are answered even with disable-default-response set
    assert await send(host, device, TUYA, 0xFE, payload, ddr=True) == [
        default_rsp(TUYA, 0xFE, status)
    ]
    assert ts0049_state(device) == before


async def test_on_then_auto_off(host: CaptureFrontend) -> None:
    device = await joined(host)
    valve = ts0049_valve(device)
    await send(host, device, TUYA, 0xFE, "0b 0000003c", ddr=True)
    assert await send(host, device, ON_OFF, 0x01) == [
        default_rsp(ON_OFF, 0x01, 0),
        on_off_report(True),
        report("0c 01"),
    ]
    state = ts0049_state(device)
    assert (state.is_open, state.work_state, state.off_at) == (True, 1, 60.0)
    assert device.cluster(1, ON_OFF).get("on_off")
    # on again: nothing changes, the timer keeps its deadline
    assert await send(host, device, ON_OFF, 0x01, ddr=True) == []
    await valve.elapse(59.5)
    assert await drain(host) == []
    await valve.elapse(10)
    assert await drain(host) == [
        on_off_report(False),
        report("0f 0000003c"),
        report("0c 02"),
    ]
    state = ts0049_state(device)
    assert (state.is_open, state.work_state, state.now) == (False, 2, 69.5)
    assert state.last_once_using_time == 60
    assert not device.cluster(1, ON_OFF).get("on_off")


async def test_manual_close_and_toggle(host: CaptureFrontend) -> None:
    device = await joined(host)
    valve = ts0049_valve(device)
    assert await send(host, device, ON_OFF, 0x02, ddr=True) == [
        on_off_report(True),
        report("0c 01"),
    ]
    await valve.elapse(42.4)
    assert await send(host, device, ON_OFF, 0x00) == [
        default_rsp(ON_OFF, 0x00, 0),
        on_off_report(False),
        report("0f 0000002a"),
        report("0c 02"),
    ]
    assert await send(host, device, ON_OFF, 0x00, ddr=True) == []  # already closed
    valve.press_button()
    await valve.elapse(5)
    valve.press_button()
    assert await drain(host) == [
        on_off_report(True),
        report("0c 01"),
        on_off_report(False),
        report("0f 00000005"),
        report("0c 02"),
    ]
    # a command the seed does not list
    assert await send(host, device, ON_OFF, 0x42, "0000 0000 0000") == [
        default_rsp(ON_OFF, 0x42, Status.UNSUP_CLUSTER_COMMAND)
    ]


async def test_irrigation_time_zero_means_no_auto_off(host: CaptureFrontend) -> None:
    device = await joined(host)
    valve = ts0049_valve(device)
    await send(host, device, TUYA, 0xFE, "0b 00000000", ddr=True)
    await send(host, device, ON_OFF, 0x01, ddr=True)
    await valve.elapse(200_000)
    assert await drain(host) == []
    assert ts0049_state(device).is_open
    await send(host, device, ON_OFF, 0x00, ddr=True)
    assert ts0049_state(device).last_once_using_time == 86400  # DP15 is capped


async def test_dp16_add_query_modify_delete(host: CaptureFrontend) -> None:
    device = await joined(host)
    assert await send(host, device, TUYA, 0xFD, "00 01") == [
        default_rsp(TUYA, 0xFD, 0),
        report("10 00"),
    ]
    assert await send(host, device, TUYA, 0xFD, "00 03" + CYCLE_A, ddr=True) == [
        report("10 00 01" + CYCLE_A)
    ]
    assert await send(host, device, TUYA, 0xFD, "00 03" + CYCLE_B, ddr=True) == [
        report("10 00 01" + CYCLE_A + "02" + CYCLE_B)
    ]
    modified = "01 7f 0000 059f 059f 0000 64"  # every day, maxima
    assert await send(host, device, TUYA, 0xFD, "00 02 01" + modified) == [
        default_rsp(TUYA, 0xFD, 0),
        report("10 00 01" + modified + "02" + CYCLE_B),
    ]
    assert await send(host, device, TUYA, 0xFD, "00 04 01") == [
        default_rsp(TUYA, 0xFD, 0),
        report("10 00 02" + CYCLE_B),
    ]
    # the smallest free id is reused
    assert await send(host, device, TUYA, 0xFD, "00 03" + CYCLE_A, ddr=True) == [
        report("10 00 01" + CYCLE_A + "02" + CYCLE_B)
    ]
    assert ts0049_state(device).cycle_programs == {1: h(CYCLE_A), 2: h(CYCLE_B)}
    assert ts0049_state(device).scheduled_programs == {}


async def test_dp17_capture_modify_vector(host: CaptureFrontend) -> None:
    device = await joined(host)
    assert await send(host, device, TUYA, 0xFC, "00 03" + SCHED_B, ddr=True) == [
        report("11 00 01" + SCHED_B)
    ]
    assert await send(host, device, TUYA, 0xFC, CAPTURE_MODIFY) == [
        default_rsp(TUYA, 0xFC, 0),
        report("11 00 01" + SCHED_A),
    ]
    assert await send(host, device, TUYA, 0xFC, "00 01", ddr=True) == [
        report("11 00 01" + SCHED_A)
    ]
    assert await send(host, device, TUYA, 0xFC, "00 04 01", ddr=True) == [
        report("11 00")
    ]
    assert ts0049_state(device).scheduled_programs == {}


def _sched(setting: str = "01", days: str = "7f", tail: str = "07e6 08 01 01") -> str:
    return f"01e0 000f {days} 64 {setting} {tail}"


@pytest.mark.parametrize(
    ("command", "payload", "status"),
    [
        # envelope
        (0xFD, "", Status.MALFORMED_COMMAND),
        (0xFD, "00", Status.MALFORMED_COMMAND),
        (0xFD, "01 01", Status.INVALID_VALUE),  # unknown version
        (0xFD, "00 05", Status.INVALID_VALUE),  # unknown command
        (0xFD, "00 01 00", Status.MALFORMED_COMMAND),
        (0xFD, "00 03" + CYCLE_A + "00", Status.MALFORMED_COMMAND),
        (0xFD, "00 03" + CYCLE_A[:-2], Status.MALFORMED_COMMAND),
        (0xFD, "00 02 01", Status.MALFORMED_COMMAND),
        (0xFD, "00 04", Status.MALFORMED_COMMAND),
        (0xFD, "00 04 0101", Status.MALFORMED_COMMAND),
        # DP16 ranges
        (0xFD, "00 03 01 80 0168 04b0 000f 003c 50", Status.INVALID_VALUE),  # days b7
        (0xFD, "00 03 01 3e 05a0 04b0 000f 003c 50", Status.INVALID_VALUE),  # 1440
        (0xFD, "00 03 01 3e 0168 05a0 000f 003c 50", Status.INVALID_VALUE),
        (0xFD, "00 03 01 3e 0168 04b0 05a0 003c 50", Status.INVALID_VALUE),
        (0xFD, "00 03 01 3e 0168 04b0 000f 05a0 50", Status.INVALID_VALUE),
        (0xFD, "00 03 01 3e 0168 04b0 000f 003c 65", Status.INVALID_VALUE),  # 101 %
        # DP17 ranges
        (0xFC, "00 03 05a0 000f 7f 64 01 07e6 08 01 01", Status.INVALID_VALUE),
        (0xFC, "00 03 01e0 05a0 7f 64 01 07e6 08 01 01", Status.INVALID_VALUE),
        (0xFC, "00 03 01e0 000f 7f 65 01 07e6 08 01 01", Status.INVALID_VALUE),
        (0xFC, "00 03" + _sched(days="80"), Status.INVALID_VALUE),
        (0xFC, "00 03" + _sched(setting="31"), Status.INVALID_VALUE),  # recurrence 3
        (0xFC, "00 03" + _sched(setting="81"), Status.INVALID_VALUE),  # recurrence 8
        (0xFC, "00 03" + _sched(tail="07e6 02 1e 01"), Status.INVALID_VALUE),  # 02-30
        (0xFC, "00 03" + _sched(tail="07e6 0d 01 01"), Status.INVALID_VALUE),
        (0xFC, "00 03" + _sched(tail="0000 01 01 01"), Status.INVALID_VALUE),
        (0xFC, "00 03" + _sched(tail="07e6 08 01 00"), Status.INVALID_VALUE),  # n 0
        (0xFC, "00 03" + _sched(tail="07e6 08 01 20"), Status.INVALID_VALUE),  # n 32
        (
            0xFC,
            "00 03 01e0 000f 7f 64 01 07e5 000c 0002 0005",
            Status.MALFORMED_COMMAND,
        ),
        # ids
        (0xFC, "00 02 09" + SCHED_A, Status.NOT_FOUND),
        (0xFC, "00 02 00" + SCHED_A, Status.NOT_FOUND),
        (0xFC, "00 04 09", Status.NOT_FOUND),
        (0xFD, "00 04 09", Status.NOT_FOUND),
        # a bad record wins over an unknown id
        (0xFC, "00 02 09" + _sched(tail="07e6 08 01 00"), Status.INVALID_VALUE),
    ],
)
async def test_program_errors_change_nothing(
    host: CaptureFrontend, command: int, payload: str, status: Status
) -> None:
    device = await joined(host)
    valve = ts0049_valve(device)
    valve.store_program(16, h(CYCLE_A))
    valve.store_program(17, h(SCHED_B))
    before = ts0049_state(device)
    assert await send(host, device, TUYA, command, payload, ddr=True) == [
        default_rsp(TUYA, command, status)
    ]
    assert ts0049_state(device) == before


async def test_program_edge_values_accepted(host: CaptureFrontend) -> None:
    device = await joined(host, max_programs=8)
    accepted = [
        (0xFD, CYCLE_B),  # end before start: a window past midnight
        (0xFD, "fe 00 0000 0000 0000 0000 00"),  # channel 127, one-time, zeros
        (0xFC, _sched(days="ff")),  # the seed's "0xFF: weekly"
        (0xFC, _sched(days="00")),  # weekly without a weekday: a one-time task
        (0xFC, _sched(days="00", setting="10", tail="07e4 02 1d 1f")),  # odd days
        (0xFC, "059f 059f 00 00 20 07e6 0c 1f 01"),  # even days, off, maxima
        # undocumented bits are stored as given: on/off 10 and 11, reserved bits 2-3
        (0xFC, _sched(setting="02")),
        (0xFC, _sched(setting="4f")),
        (0xFD, "a5 12 0186 0479 000d 001d 64"),  # channel bits 1010010
    ]
    for command, record in accepted:
        frames = await send(host, device, TUYA, command, "00 03" + record, ddr=True)
        assert len(frames) == 1
        assert frames[0][1].endswith(h(record).hex())
    state = ts0049_state(device)
    assert len(state.cycle_programs) == 3
    assert state.scheduled_programs[1][4] == 0xFF  # stored as sent
    assert state.scheduled_programs[6][6] == 0x4F


async def test_capacity(host: CaptureFrontend) -> None:
    device = await joined(host, max_programs=2)
    for expected_id in (1, 2):
        frames = await send(host, device, TUYA, 0xFC, "00 03" + SCHED_A, ddr=True)
        assert frames[0][1][-26:-24] == f"{expected_id:02x}"
    before = ts0049_state(device)
    assert await send(host, device, TUYA, 0xFC, "00 03" + SCHED_B) == [
        default_rsp(TUYA, 0xFC, Status.INSUFFICIENT_SPACE)
    ]
    assert ts0049_state(device) == before
    # the other DP has its own room
    assert await send(host, device, TUYA, 0xFD, "00 03" + CYCLE_A, ddr=True) == [
        report("10 00 01" + CYCLE_A)
    ]
    await send(host, device, TUYA, 0xFC, "00 04 01", ddr=True)
    assert await send(host, device, TUYA, 0xFC, "00 03" + SCHED_B, ddr=True) == [
        report("11 00 01" + SCHED_B + "02" + SCHED_A)
    ]


async def test_program_run_and_fault(host: CaptureFrontend) -> None:
    device = await joined(host)
    valve = ts0049_valve(device)
    program_id = valve.store_program(17, h(SCHED_A))  # 15 minutes
    disabled = valve.store_program(17, h(_sched(setting="00")))
    with pytest.raises(ValueError, match="disabled"):
        valve.start_program_run(17, disabled)
    with pytest.raises(KeyError):
        valve.start_program_run(16, program_id)
    valve.start_program_run(17, program_id)
    assert await drain(host) == [on_off_report(True), report("0c 00")]
    assert ts0049_state(device).work_state == 0
    # a manual "on" during the run leaves it auto; it ends after 15 minutes
    assert await send(host, device, ON_OFF, 0x01, ddr=True) == []
    await valve.elapse(900)
    assert await drain(host) == [
        on_off_report(False),
        report("0f 00000384"),
        report("0c 02"),
    ]
    valve.set_fault(5)
    valve.set_battery(50)
    assert await drain(host) == [report("04 05"), (0x0001, "180a21002064")]
    with pytest.raises(ValueError):
        valve.set_fault(32)
    assert ts0049_state(device).fault == 5


async def test_power_cycle(host: CaptureFrontend) -> None:
    device = await joined(host)
    valve = ts0049_valve(device)
    await send(host, device, TUYA, 0xFE, "0b 0000003c", ddr=True)
    await send(host, device, TUYA, 0xFE, "0a 01", ddr=True)
    await send(host, device, TUYA, 0xFC, "00 03" + SCHED_A, ddr=True)
    await send(host, device, ON_OFF, 0x01, ddr=True)
    assert ts0049_state(device).is_open
    await device.power_cycle()
    frames = await drain(host)
    assert frames[0][0] == zdo_t.ZDOCmd.Device_annce
    assert frames[1:] == [
        report("0a 01"),
        report("0b 0000003c"),
        report("0c 02"),
        report("0f 00000000"),  # the power cut is no closing: DP15 still 0
        report("04 00"),
    ]
    state = ts0049_state(device)
    assert (state.is_open, state.off_at, state.work_state) == (False, None, 2)
    assert not device.cluster(1, ON_OFF).get("on_off")
    assert state.scheduled_programs == {1: h(SCHED_A)}
    await valve.elapse(120)  # the lost timer fires nothing
    assert await drain(host) == []


async def test_factory_reset(host: CaptureFrontend) -> None:
    device = await joined(host)
    valve = ts0049_valve(device)
    valve.store_program(16, h(CYCLE_A))
    valve.set_fault(3)
    await send(host, device, TUYA, 0xFE, "0b 00000001", ddr=True)
    await send(host, device, ON_OFF, 0x01, ddr=True)
    assert await send(host, device, 0x0000, 0x00) == [default_rsp(0x0000, 0x00, 0)]
    state = ts0049_state(device)
    assert (state.irrigation_time, state.fault, state.is_open) == (600, 0, False)
    assert state.cycle_programs == {}
    assert not device.cluster(1, ON_OFF).get("on_off")


async def test_persistence(host: CaptureFrontend) -> None:
    device = await joined(host, max_programs=3)
    valve = ts0049_valve(device)
    valve.store_program(16, h(CYCLE_A))
    valve.store_program(17, h(SCHED_A))
    await send(host, device, TUYA, 0xFE, "0b 0000012c", ddr=True)
    await send(host, device, ON_OFF, 0x01, ddr=True)
    await valve.elapse(100)
    saved = json.loads(json.dumps(host.network.to_dict()))
    loaded = SimNetwork.from_dict(saved, reply_delay=0)
    try:
        copy = loaded.device(IEEE)
        assert ts0049_state(copy) == ts0049_state(device)
        assert ts0049_state(copy).max_programs == 3
        copy_frontend = CaptureFrontend(loaded)
        await ts0049_valve(copy).elapse(200)  # the restored run still ends at 300 s
        await loaded.settle()
        assert [
            (f.cluster_id, f.data[:1] + f.data[2:]) for f in copy_frontend.frames
        ] == [
            (ON_OFF, h("18 0a 0000 10 00")),
            (TUYA, h("18 0a 40d0 41 05 0f 0000012c")),
            (TUYA, h("18 0a 40d0 41 02 0c 02")),
        ]
        assert ts0049_state(copy).last_once_using_time == 300
    finally:
        await loaded.stop()


async def test_interop_with_integration_codecs(host: CaptureFrontend) -> None:
    """Requests built by the integration's codecs are accepted; its decoder reads the answers."""
    device = await joined(host)
    program = ip.ScheduledIrrigationProgram(
        enabled=True,
        start_minute=870,
        duration_minutes=20,
        days=ip.Weekday.MONDAY | ip.Weekday.THURSDAY,
        water_flow_percent=75,
        recurrence=ip.Recurrence.WEEKLY,
        start_date=date(2024, 3, 1),
        interval_days=1,
    )
    payload = ip.encode_scheduled_request(ip.AddProgram(program))
    frames = await send(host, device, TUYA, 0xFC, payload.hex(), ddr=True)
    value = h(frames[0][1])[6:]
    decoded = tuya_dp.decode_dp_report(value)
    assert decoded == tuya_dp.ScheduledIrrigationReport((ip.StoredProgram(1, program),))
    setting = tuya_dp.encode_irrigation_setting(tuya_dp.IrrigationTimeCommand(90))
    frames = await send(host, device, TUYA, 0xFE, setting.hex(), ddr=True)
    assert tuya_dp.decode_dp_report(h(frames[0][1])[6:]) == (
        tuya_dp.IrrigationTimeReport(90)
    )


async def test_zigpy_interview_and_dp_report(
    sim_network: SimNetwork, zigpy_app: ControllerApplication
) -> None:
    """Real zigpy-xbee: it interviews the valve and receives a 0xD040 report as bytes."""
    device = sim_network.add_device(MODELS["ts0049"](ieee=IEEE))
    zigpy_device = await wait_initialized(zigpy_app, device, sim_network.join(device))
    await sim_network.settle()
    assert zigpy_device.manufacturer == "_TZ3000_kz1anoi8"
    assert zigpy_device.model == "TS0049"
    assert zigpy_device.node_desc.is_end_device
    endpoint = zigpy_device.endpoints[1]
    assert sorted(endpoint.in_clusters) == [0, 1, 3, 4, 5, 6, 0xE001]
    assert sorted(endpoint.out_clusters) == [0x000A, 0x0019]

    reports: list[AttributeReportedEvent] = []
    received = asyncio.Event()

    def collect(event: AttributeReportedEvent) -> None:
        reports.append(event)
        received.set()

    endpoint.in_clusters[TUYA].on_event("attribute_report", collect)
    sequence = zigpy_app.get_sequence()
    data = bytes([0x01, sequence, 0xFE]) + h("0b 00000078")
    await zigpy_device.request(0x0104, TUYA, 1, 1, sequence, data, expect_reply=True)
    async with asyncio.timeout(2):
        await received.wait()
    assert reports[0].attribute_id == 0xD040
    assert bytes(reports[0].value) == h("0b 00000078")
    assert ts0049_state(device).irrigation_time == 120

"""The TS0049 valve runs its stored programs on its wall clock (seed 004, DP16 / DP17).

Socket-free, byte-level. Records are written as hex from the seed's tables (never with
the integration's codecs) and use asymmetric values, so a reversed weekday bitmap,
swapped bytes of a minute or a swapped month / day shows up as a watering at the wrong
time: Mon+Thu 0x12, 06:30 = 0x0186, 09:25 = 0x0235, 19:05 = 0x0479, 22:10 = 0x0532,
01:35 = 0x005f, 2026-11-07 = 07ea 0b 07, n = 3. 2026-11-29 is a Sunday.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
import json
import time

import pytest
from zigpy.zcl import foundation

from tests.simulator.capture import CaptureFrontend
from tests.simulator.models import MODELS
from tests.simulator.models.ts0049 import (
    TS0049Device,
    TS0049Valve,
    ts0049_state,
    ts0049_valve,
)
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

send = partial(send_frame, ddr=True)


Status = foundation.Status
SUNDAY = datetime(2026, 11, 29)

#: DP17: 06:30, 20 min, Mon+Thu, 75 %, weekly + on, 2026-11-07, n 3.
MON_THU = "0186 0014 12 4b 01 07ea 0b 07 03"
#: DP16: on, Tue+Sat, 06:30-09:25, on 13 / off 29 min, 75 %.
TUE_SAT_CYCLE = "01 44 0186 0235 000d 001d 4b"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def opened(work_state: int = 0) -> list[tuple[int, str]]:
    """What the valve reports when it opens (work state 0: auto)."""
    return [on_off_report(True), report(f"0c {work_state:02x}")]


def closed(seconds: int) -> list[tuple[int, str]]:
    """What the valve reports when it closes: on_off 0, DP15, DP12 idle."""
    return [on_off_report(False), report(f"0f {seconds:08x}"), report("0c 02")]


async def joined(
    host: CaptureFrontend, clock: datetime = SUNDAY, **options: object
) -> tuple[TS0049Device, TS0049Valve]:
    """A joined valve (a new IEEE each time) with its wall clock set to ``clock``."""
    device = MODELS["ts0049"](**options)
    assert isinstance(device, TS0049Device)
    await host.network.join(device)
    valve = ts0049_valve(device)
    valve.set_clock(clock)
    await drain(host)
    return device, valve


def log(valve: TS0049Valve) -> list[tuple[datetime, datetime | None, object]]:
    return [(w.opened, w.closed, w.source) for w in valve.waterings]


def runs(
    source: object, *spans: tuple[str, str]
) -> list[tuple[datetime, datetime | None, object]]:
    return [(at(start), at(end), source) for start, end in spans]


# -- wall clock ----------------------------------------------------------------------


async def test_wall_clock_follows_the_virtual_clock() -> None:
    device = MODELS["ts0049"]()
    assert isinstance(device, TS0049Device)
    valve = ts0049_valve(device)
    assert valve.wall_clock == datetime(2026, 1, 1)  # the default, a Thursday
    await valve.elapse(90.5)
    assert valve.now == 90.5
    assert valve.wall_clock == datetime(2026, 1, 1, 0, 1, 30, 500_000)
    valve.set_clock(datetime(2026, 11, 29, 23, 59))
    assert valve.now == 90.5  # the virtual clock does not jump
    await valve.elapse(120)
    assert valve.wall_clock == at("2026-11-30 00:01")
    # the valve has no zone: an aware time is taken as its wall-clock reading
    valve.set_clock(datetime(2026, 11, 7, 19, 5, tzinfo=UTC))
    assert valve.wall_clock == at("2026-11-07 19:05")
    await valve.elapse_until(at("2026-11-08 06:30"))
    assert valve.wall_clock == at("2026-11-08 06:30")
    with pytest.raises(ValueError):
        await valve.elapse_until(at("2026-11-08 06:29"))
    assert ts0049_state(device).wall_clock == at("2026-11-08 06:30")
    other = MODELS["ts0049"](wall_clock=at("2027-02-03 04:05"))
    assert ts0049_valve(other).wall_clock == at("2027-02-03 04:05")


# -- DP17 scheduled irrigation -------------------------------------------------------


async def test_weekly_mon_thu_over_a_week(host: CaptureFrontend) -> None:
    _device, valve = await joined(host)
    assert valve.store_program(17, h(MON_THU)) == 1
    await valve.elapse(7 * 86_400)
    assert log(valve) == runs(
        ("scheduled", 1),
        ("2026-11-30 06:30", "2026-11-30 06:50"),  # Monday
        ("2026-12-03 06:30", "2026-12-03 06:50"),  # Thursday
    )
    # each run: on_off 1 + DP12 auto; at its end on_off 0, DP15 1200 s, DP12 idle
    assert await drain(host) == 2 * (opened() + closed(1200))
    assert valve.wall_clock == at("2026-12-06 00:00")
    assert not valve.is_open
    assert valve.skipped == []


async def test_weekly_run_reports_when_elapse_stops_inside_it(
    host: CaptureFrontend,
) -> None:
    device, valve = await joined(host)
    valve.store_program(17, h(MON_THU))
    await valve.elapse_until(at("2026-11-30 06:30"))  # the start is inclusive
    assert await drain(host) == opened()
    state = ts0049_state(device)
    assert (state.is_open, state.work_state) == (True, 0)
    assert device.cluster(1, ON_OFF).get("on_off")
    assert valve.waterings[-1].closed is None
    await valve.elapse(1199)
    assert await drain(host) == []
    await valve.elapse(1)
    assert await drain(host) == closed(1200)
    assert valve.waterings[-1].duration == timedelta(minutes=20)
    assert ts0049_state(device).last_once_using_time == 1200


@pytest.mark.parametrize(
    ("setting", "days"),
    [
        # odd days of the month: 29, 31 and 1 (31 -> 1 are both odd)
        ("11", ["2026-12-29", "2026-12-31", "2027-01-01"]),
        # even days: 30 and 2
        ("21", ["2026-12-30", "2027-01-02"]),
    ],
)
async def test_odd_and_even_days_across_a_month_end(
    host: CaptureFrontend, setting: str, days: list[str]
) -> None:
    _device, valve = await joined(host, clock=at("2026-12-28 20:00"))
    # 19:05 for 7 minutes; the days byte (Mon+Thu) is only read by weekly programs
    valve.store_program(17, h(f"0479 0007 12 4b {setting} 07ea 0b 07 03"))
    await valve.elapse_until(at("2027-01-03 00:00"))
    assert log(valve) == runs(
        ("scheduled", 1), *[(f"{day} 19:05", f"{day} 19:12") for day in days]
    )


async def test_every_three_days_from_the_start_date(host: CaptureFrontend) -> None:
    _device, valve = await joined(host, clock=at("2026-11-01 00:00"))
    # 06:30, 1 min, every 3 days from 2026-11-07 (a month / day swap gives 2026-07-11)
    valve.store_program(17, h("0186 0001 00 4b 41 07ea 0b 07 03"))
    await valve.elapse_until(at("2026-11-20 00:00"))
    days = ["2026-11-07", "2026-11-10", "2026-11-13", "2026-11-16", "2026-11-19"]
    assert log(valve) == runs(
        ("scheduled", 1), *[(f"{day} 06:30", f"{day} 06:31") for day in days]
    )
    # a valve set to a later date keeps the phase of the start date
    _device, valve = await joined(host, clock=at("2026-11-20 12:00"))
    valve.store_program(17, h("0186 0001 00 4b 41 07ea 0b 07 03"))
    await valve.elapse_until(at("2026-11-27 00:00"))
    assert [w.opened for w in valve.waterings] == [
        at("2026-11-22 06:30"),
        at("2026-11-25 06:30"),
    ]


async def test_one_time_scheduled_task_runs_on_its_date_only(
    host: CaptureFrontend,
) -> None:
    _device, valve = await joined(host, clock=at("2026-11-01 00:00"))
    # weekly with no weekday: a one-time task on 2026-11-07 (a Saturday) at 19:05, 13 min
    record = h("0479 000d 00 4b 01 07ea 0b 07 03")
    valve.store_program(17, record)
    await valve.elapse(14 * 86_400)
    assert log(valve) == runs(
        ("scheduled", 1), ("2026-11-07 19:05", "2026-11-07 19:18")
    )
    assert valve.programs(17) == {1: record}  # kept as stored: its date bounds it
    assert await drain(host) == opened() + closed(780)


async def test_disabled_programs_never_run(host: CaptureFrontend) -> None:
    _device, valve = await joined(host)
    valve.store_program(17, h("0186 0014 7f 4b 00 07ea 0b 07 03"))  # every day, off
    valve.store_program(16, h("00 7f 0186 0235 000d 001d 4b"))  # every day, off
    await valve.elapse(8 * 86_400)
    assert valve.waterings == []
    assert await drain(host) == []


async def test_zero_minute_runs_never_open(host: CaptureFrontend) -> None:
    _device, valve = await joined(host)
    valve.store_program(17, h("0186 0000 7f 4b 01 07ea 0b 07 03"))  # 0 minutes
    valve.store_program(16, h("01 7f 0186 0235 0000 001d 4b"))  # on 0 minutes
    valve.store_program(16, h("01 7f 0479 0479 000d 001d 4b"))  # empty window
    await valve.elapse(3 * 86_400)
    assert valve.waterings == []


async def test_scheduled_run_across_midnight(host: CaptureFrontend) -> None:
    _device, valve = await joined(host)
    # 23:50 (0x0596) for 25 minutes on Mondays: ends Tuesday 00:15
    valve.store_program(17, h("0596 0019 02 4b 01 07ea 0b 07 03"))
    await valve.elapse(3 * 86_400)
    assert log(valve) == runs(
        ("scheduled", 1), ("2026-11-30 23:50", "2026-12-01 00:15")
    )


# -- DP16 cycle irrigation -----------------------------------------------------------


TUE_SAT_SPANS = [
    ("06:30", "06:43"),
    ("07:12", "07:25"),
    ("07:54", "08:07"),
    ("08:36", "08:49"),
    ("09:18", "09:25"),  # cut at the window end
]


async def test_cycle_window_on_13_off_29_tue_sat(host: CaptureFrontend) -> None:
    _device, valve = await joined(host)
    valve.store_program(16, h(TUE_SAT_CYCLE))
    await valve.elapse(7 * 86_400)
    assert log(valve) == runs(
        ("cycle", 1),
        *[
            (f"{day} {start}", f"{day} {end}")
            for day in ("2026-12-01", "2026-12-05")  # Tuesday, Saturday
            for start, end in TUE_SAT_SPANS
        ],
    )
    per_day = [opened() + closed(780) for _ in range(4)] + [opened() + closed(420)]
    assert await drain(host) == 2 * [frame for run in per_day for frame in run]
    assert valve.programs(16) == {1: h(TUE_SAT_CYCLE)}  # a weekly program stays on


async def test_elapse_in_pieces_does_the_same(host: CaptureFrontend) -> None:
    _device, valve = await joined(host)
    valve.store_program(16, h(TUE_SAT_CYCLE))
    valve.store_program(17, h(MON_THU))
    await valve.elapse(7 * 86_400)
    whole = log(valve)
    _device, valve = await joined(host)
    valve.store_program(16, h(TUE_SAT_CYCLE))
    valve.store_program(17, h(MON_THU))
    for _ in range(7 * 86_400 // 977):
        await valve.elapse(977)  # stops inside runs and between them
    await valve.elapse(7 * 86_400 % 977)
    assert log(valve) == whole
    assert len(whole) == 12


@pytest.mark.parametrize(
    ("on_off", "spans"),
    [
        # on 45 / off 15 minutes: the window crosses midnight, the last opening is cut
        (
            "002d 000f",
            [
                ("2026-12-04 22:10", "2026-12-04 22:55"),
                ("2026-12-04 23:10", "2026-12-04 23:55"),
                ("2026-12-05 00:10", "2026-12-05 00:55"),
                ("2026-12-05 01:10", "2026-12-05 01:35"),
            ],
        ),
        # off 0: open for the whole window
        ("000d 0000", [("2026-12-04 22:10", "2026-12-05 01:35")]),
    ],
)
async def test_overnight_cycle_window(
    host: CaptureFrontend, on_off: str, spans: list[tuple[str, str]]
) -> None:
    _device, valve = await joined(host)
    # Fridays (bit 5) 22:10-01:35: the days byte names the day the window starts
    valve.store_program(16, h(f"01 20 0532 005f {on_off} 4b"))
    await valve.elapse_until(at("2026-12-04 23:30"))  # stop inside the window
    await valve.elapse_until(at("2026-12-07 00:00"))
    assert log(valve) == runs(("cycle", 1), *spans)


async def test_one_time_cycle_runs_once_then_is_switched_off(
    host: CaptureFrontend,
) -> None:
    _device, valve = await joined(host, clock=at("2026-11-29 12:00"))
    # on, channel bits 0000101 (kept), one-time, 06:30-09:25, 13 / 29 min
    valve.store_program(16, h("0b 00 0186 0235 000d 001d 4b"))
    await valve.elapse(5 * 86_400)
    assert log(valve) == runs(
        ("cycle", 1),  # the next window: Monday's (today's was over)
        *[(f"2026-11-30 {start}", f"2026-11-30 {end}") for start, end in TUE_SAT_SPANS],
    )
    # after the last (cut) opening the valve clears bit 0 and reports the DP16 list
    frames = await drain(host)
    assert frames[-4:] == [
        *closed(420),
        report("10 00 01 0a 00 0186 0235 000d 001d 4b"),
    ]
    assert len(frames) == 5 * 5 + 1
    assert valve.programs(16) == {1: h("0a 00 0186 0235 000d 001d 4b")}


async def test_programs_stored_mid_window_wait_for_the_next_one(
    host: CaptureFrontend,
) -> None:
    _device, valve = await joined(host, clock=at("2026-12-01 07:00"))  # a Tuesday
    valve.store_program(16, h("01 00 0186 0235 000d 001d 4b"))  # one-time
    valve.store_program(16, h(TUE_SAT_CYCLE))
    await valve.elapse_until(at("2026-12-02 00:00"))
    assert valve.waterings == []  # Tuesday's windows had started: not joined
    await valve.elapse_until(at("2026-12-03 00:00"))
    assert [w.opened for w in valve.waterings] == [
        at(f"2026-12-02 {start}") for start, _ in TUE_SAT_SPANS
    ]
    # setting the clock into a window does not join it either
    valve.set_clock(at("2026-12-05 07:00"))  # Saturday
    await valve.elapse_until(at("2026-12-06 00:00"))
    assert len(valve.waterings) == 5


async def test_busy_programs_elapse_event_by_event(host: CaptureFrontend) -> None:
    """Runs are computed, not found by stepping minutes: 8 busy days, then a year."""
    device, valve = await joined(host)
    valve.store_program(16, h("01 7f 0186 0235 0001 0001 4b"))  # 1 on / 1 off
    started = time.perf_counter()
    await valve.elapse(8 * 86_400)
    waterings = valve.waterings
    assert len(waterings) == 8 * 88  # 06:30, 06:32 ... 09:24 every day
    assert (waterings[-1].opened, waterings[-1].closed) == (
        at("2026-12-06 09:24"),
        at("2026-12-06 09:25"),
    )
    valve.store_program(17, h(MON_THU))
    await send(host, device, TUYA, 0xFD, "00 02 01 00 7f 0186 0235 0001 0001 4b")  # off
    valve.clear_log()
    await valve.elapse_until(at("2027-12-07 00:00"))  # 365 days on
    assert (
        len(valve.waterings) == 53 + 52
    )  # Mondays 2026-12-07 ... 2027-12-06, Thursdays
    assert time.perf_counter() - started < 10  # ~1 s (reports included)
    await drain(host)


# -- what happens around a run -------------------------------------------------------


async def test_run_due_while_the_valve_is_open_is_skipped(
    host: CaptureFrontend,
) -> None:
    device, valve = await joined(host, clock=at("2026-11-30 06:25"))
    valve.store_program(17, h(MON_THU))  # Monday 06:30-06:50
    # starts when the manual watering ends: closings come first, it runs
    valve.store_program(17, h("019f 0005 12 4b 01 07ea 0b 07 03"))  # 06:55, 5 min
    valve.store_program(17, h("01b8 0005 12 4b 01 07ea 0b 07 03"))  # 07:20, 5 min
    valve.store_program(16, h("01 02 01b8 01c2 0003 0000 4b"))  # Mon 07:20-07:30
    await send(host, device, TUYA, 0xFE, "0b 00000708")  # manual auto-off: 30 min
    await send(host, device, ON_OFF, 0x01)
    await valve.elapse_until(at("2026-11-30 08:00"))
    assert log(valve) == [
        (at("2026-11-30 06:25"), at("2026-11-30 06:55"), "manual"),
        (at("2026-11-30 06:55"), at("2026-11-30 07:00"), ("scheduled", 2)),
        # DP16 before DP17 at the same instant; the DP17 run finds the valve open
        (at("2026-11-30 07:20"), at("2026-11-30 07:30"), ("cycle", 1)),
    ]
    assert [(s.at, s.source, s.reason) for s in valve.skipped] == [
        (at("2026-11-30 06:30"), ("scheduled", 1), "open"),
        (at("2026-11-30 07:20"), ("scheduled", 3), "open"),
    ]
    # the manual watering went on with its own end and work state
    assert await drain(host) == (
        closed(1800) + opened() + closed(300) + opened() + closed(600)
    )


async def test_manual_close_during_a_cycle_window(host: CaptureFrontend) -> None:
    device, valve = await joined(host, clock=at("2026-12-01 06:00"))
    valve.store_program(16, h(TUE_SAT_CYCLE))
    await valve.elapse_until(at("2026-12-01 06:35"))
    assert await drain(host) == opened()
    assert await send(host, device, ON_OFF, 0x00) == closed(300)
    await valve.elapse_until(at("2026-12-01 07:30"))
    assert await drain(host) == opened() + closed(780)  # the next opening comes
    assert [w.closed for w in valve.waterings] == [
        at("2026-12-01 06:35"),
        at("2026-12-01 07:25"),
    ]


async def test_weather_delay_48h_suppresses_runs(host: CaptureFrontend) -> None:
    device, valve = await joined(host, clock=at("2026-11-29 05:00"))
    valve.store_program(17, h("0186 0014 7f 4b 01 07ea 0b 07 03"))  # daily 06:30
    assert await send(host, device, TUYA, 0xFE, "0a 02") == [report("0a 02")]
    assert valve.weather_delay_until == at("2026-12-01 05:00")
    await valve.elapse_until(at("2026-12-03 00:00"))
    assert [w.opened for w in valve.waterings] == [
        at("2026-12-01 06:30"),
        at("2026-12-02 06:30"),
    ]
    assert [(s.at, s.reason) for s in valve.skipped] == [
        (at("2026-11-29 06:30"), "weather delay"),
        (at("2026-11-30 06:30"), "weather delay"),
    ]
    assert valve.weather_delay == 2  # DP10 keeps its value after the period
    # 72 h set again, then cleared: the runs come back at once
    await send(host, device, TUYA, 0xFE, "0a 03")
    await valve.elapse_until(at("2026-12-03 12:00"))
    assert await send(host, device, TUYA, 0xFE, "0a 00") == [report("0a 00")]
    assert valve.weather_delay_until is None
    await valve.elapse_until(at("2026-12-05 00:00"))
    assert [w.opened.date() for w in valve.waterings[2:]] == [
        at("2026-12-04 00:00").date()
    ]
    assert valve.skipped[-1].at == at("2026-12-03 06:30")


async def test_weather_delay_lets_a_running_watering_finish(
    host: CaptureFrontend,
) -> None:
    device, valve = await joined(host, clock=at("2026-11-30 06:00"))
    valve.store_program(17, h(MON_THU))
    await valve.elapse_until(at("2026-11-30 06:40"))
    await send(host, device, TUYA, 0xFE, "0a 01")
    await valve.elapse_until(at("2026-12-04 00:00"))
    assert log(valve) == runs(
        ("scheduled", 1),
        ("2026-11-30 06:30", "2026-11-30 06:50"),
        ("2026-12-03 06:30", "2026-12-03 06:50"),
    )


async def test_start_exactly_at_the_set_time_runs(host: CaptureFrontend) -> None:
    _device, valve = await joined(host, clock=at("2026-11-30 06:30"))
    valve.store_program(17, h(MON_THU))
    await valve.elapse(0)
    assert valve.is_open
    assert valve.waterings[0].opened == at("2026-11-30 06:30")


async def test_power_cycle_and_persistence_mid_run(host: CaptureFrontend) -> None:
    device, valve = await joined(host, clock=at("2026-12-01 06:00"))
    valve.store_program(16, h(TUE_SAT_CYCLE))
    await valve.elapse_until(at("2026-12-01 07:15"))
    saved = json.loads(json.dumps(host.network.to_dict()))
    loaded = SimNetwork.from_dict(saved, reply_delay=0)
    try:
        copy = ts0049_valve(loaded.device(device.ieee))
        assert copy.wall_clock == at("2026-12-01 07:15")
        assert log(copy) == log(valve)
        await copy.elapse_until(at("2026-12-02 00:00"))
        assert log(copy) == runs(
            ("cycle", 1),
            *[(f"2026-12-01 {s}", f"2026-12-01 {e}") for s, e in TUE_SAT_SPANS],
        )
    finally:
        await loaded.stop()
    await device.power_cycle()
    assert valve.waterings[-1].closed == at("2026-12-01 07:15")  # power lost
    await valve.elapse_until(at("2026-12-02 00:00"))
    assert [w.opened for w in valve.waterings[2:]] == [
        at(f"2026-12-01 {start}") for start, _ in TUE_SAT_SPANS[2:]
    ]


async def test_manual_watering_is_logged(host: CaptureFrontend) -> None:
    device, valve = await joined(host, clock=at("2026-11-07 19:05"))
    valve.press_button()
    await valve.elapse(42)
    valve.press_button()
    await send(host, device, ON_OFF, 0x01)
    await valve.elapse(600)  # the default auto-off
    assert log(valve) == [
        (at("2026-11-07 19:05"), at("2026-11-07 19:05:42"), "manual"),
        (at("2026-11-07 19:05:42"), at("2026-11-07 19:15:42"), "manual"),
    ]
    valve.clear_log()
    assert valve.waterings == []


# -- answer modes --------------------------------------------------------------------


async def test_answer_mode_seed(host: CaptureFrontend) -> None:
    device, valve = await joined(host, answer_mode="seed")
    assert valve.answer_mode == "seed"
    # add: "Protocol version + Scheduled task (with the ID of the added schedule)"
    assert await send(host, device, TUYA, 0xFC, "00 03" + MON_THU) == [
        report("11 00 01" + MON_THU)
    ]
    other = "0479 000d 00 32 41 07ea 0b 07 03"
    assert await send(host, device, TUYA, 0xFC, "00 03" + other) == [
        report("11 00 02" + other)  # only the added task
    ]
    # modify: "Protocol version + Scheduled task": the modified task only
    modified = "0186 0019 12 4b 00 07ea 0b 07 03"
    assert await send(host, device, TUYA, 0xFC, "00 02 01" + modified, ddr=False) == [
        default_rsp(TUYA, 0xFC, 0),
        report("11 00 01" + modified),
    ]
    # query: the whole list; delete: the updated list
    assert await send(host, device, TUYA, 0xFC, "00 01") == [
        report("11 00 01" + modified + "02" + other)
    ]
    assert await send(host, device, TUYA, 0xFC, "00 04 01") == [
        report("11 00 02" + other)
    ]
    # DP16 alike
    assert await send(host, device, TUYA, 0xFD, "00 03" + TUE_SAT_CYCLE) == [
        report("10 00 01" + TUE_SAT_CYCLE)
    ]
    assert await send(
        host, device, TUYA, 0xFD, "00 03 a5 12 0532 005f 002d 000f 32"
    ) == [report("10 00 02 a5 12 0532 005f 002d 000f 32")]
    assert await send(host, device, TUYA, 0xFD, "00 04 02") == [
        report("10 00 01" + TUE_SAT_CYCLE)
    ]
    # errors are answered as in every mode
    assert await send(host, device, TUYA, 0xFC, "00 02 09" + MON_THU) == [
        default_rsp(TUYA, 0xFC, Status.NOT_FOUND)
    ]


async def test_answer_mode_list_is_the_default_and_settable(
    host: CaptureFrontend,
) -> None:
    device, valve = await joined(host)
    assert valve.answer_mode == "list"
    assert ts0049_state(device).answer_mode == "list"
    valve.store_program(17, h(MON_THU))
    other = "0479 000d 00 32 41 07ea 0b 07 03"
    assert await send(host, device, TUYA, 0xFC, "00 03" + other) == [
        report("11 00 01" + MON_THU + "02" + other)
    ]
    valve.answer_mode = "seed"
    assert await send(host, device, TUYA, 0xFC, "00 02 02" + MON_THU) == [
        report("11 00 02" + MON_THU)
    ]
    valve.answer_mode = "list"
    assert await send(host, device, TUYA, 0xFC, "00 02 02" + other) == [
        report("11 00 01" + MON_THU + "02" + other)
    ]
    with pytest.raises(ValueError):
        valve.answer_mode = "single"
    with pytest.raises(ValueError):
        MODELS["ts0049"](answer_mode="single")


# -- undocumented bits ----------------------------------------------------------------


async def test_undocumented_bits_are_stored_and_reported_unchanged(
    host: CaptureFrontend,
) -> None:
    device, valve = await joined(host, max_programs=6)
    records = {
        # on/off 11 and 10: stored and reported as they are; bit 0 is on/off: 11 runs
        1: "0186 0014 7f 4b 03 07ea 0b 07 03",
        2: "0186 0014 7f 4b 02 07ea 0b 07 03",
        # reserved bits 2-3 set with on/off 01: runs (19:05, every n = 3 from 11-07)
        3: "0479 0007 00 4b 4d 07ea 0b 07 03",
    }
    for record in records.values():
        await send(host, device, TUYA, 0xFC, "00 03" + record)
    # a DP16 state byte with channel bits 1010010 and bit 0 set: runs (one outlet)
    channel = "a5 7f 0532 005f 002d 0000 32"
    valve.store_program(16, h(channel))
    assert await send(host, device, TUYA, 0xFC, "00 01") == [
        report("11 00" + "".join(f"{pid:02x}{rec}" for pid, rec in records.items()))
    ]
    assert await send(host, device, TUYA, 0xFD, "00 01") == [
        report("10 00 01" + channel)
    ]
    await valve.elapse_until(at("2026-12-02 02:00"))
    assert log(valve) == [
        (at("2026-11-29 06:30"), at("2026-11-29 06:50"), ("scheduled", 1)),
        (at("2026-11-29 22:10"), at("2026-11-30 01:35"), ("cycle", 1)),
        (at("2026-11-30 06:30"), at("2026-11-30 06:50"), ("scheduled", 1)),
        (at("2026-11-30 22:10"), at("2026-12-01 01:35"), ("cycle", 1)),
        (at("2026-12-01 06:30"), at("2026-12-01 06:50"), ("scheduled", 1)),
        (at("2026-12-01 19:05"), at("2026-12-01 19:12"), ("scheduled", 3)),
        (at("2026-12-01 22:10"), at("2026-12-02 01:35"), ("cycle", 1)),
    ]
    assert valve.programs(17) == {pid: h(rec) for pid, rec in records.items()}
    with pytest.raises(ValueError, match="disabled"):
        valve.start_program_run(17, 2)


async def test_what_the_seed_forbids_is_still_refused(host: CaptureFrontend) -> None:
    device, valve = await joined(host)
    for record in (
        "05a0 0014 12 4b 01 07ea 0b 07 03",  # 24:00
        "0186 0014 12 65 01 07ea 0b 07 03",  # 101 %
        "0186 0014 12 4b 31 07ea 0b 07 03",  # recurrence 0011
        "0186 0014 12 4b 01 07ea 0b 1f 03",  # 2026-11-31
        "0186 0014 12 4b 01 07ea 0b 07 20",  # n = 32
    ):
        assert await send(host, device, TUYA, 0xFC, "00 03" + record) == [
            default_rsp(TUYA, 0xFC, Status.INVALID_VALUE)
        ]
    assert valve.programs(17) == {}


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        # weekly Mon+Thu from Thu 2026-12-03: not on Mon 11-30
        ("01", ["2026-12-03 06:30", "2026-12-07 06:30"]),
        # odd days from 12-03: not on 12-01
        ("11", ["2026-12-03 06:30", "2026-12-05 06:30", "2026-12-07 06:30"]),
        # even days from 12-03: 12-04 and 12-06
        ("21", ["2026-12-04 06:30", "2026-12-06 06:30"]),
    ],
)
async def test_no_program_runs_before_its_start_date(
    host: CaptureFrontend, setting: str, expected: list[str]
) -> None:
    """A program starts on its start date (12-03, month != day), whatever its recurrence."""
    device, valve = await joined(host)
    record = f"0186 0014 12 4b {setting} 07ea 0c 03 03"
    await send(host, device, TUYA, 0xFC, "00 03" + record)
    await valve.elapse_until(at("2026-12-07 12:00"))
    assert [w.opened for w in valve.waterings] == [at(when) for when in expected]

"""The network's virtual clock: manual by default, scaled on request."""

from __future__ import annotations

import asyncio

import pytest

from tests.simulator.clock import SimClock


async def test_manual_clock_fires_in_time_order() -> None:
    clock = SimClock()
    fired: list[tuple[str, float]] = []
    clock.call_later(7.5, lambda: fired.append(("late", clock.now)))
    clock.call_at(2.25, lambda: fired.append(("early", clock.now)))
    cancelled = clock.call_later(3.0, lambda: fired.append(("cancelled", clock.now)))
    cancelled.cancel()
    assert [t.when for t in clock.pending()] == [2.25, 7.5]

    await clock.elapse(5.0)
    assert fired == [("early", 2.25)]
    assert clock.now == 5.0
    await clock.elapse(2.5)
    assert fired == [("early", 2.25), ("late", 7.5)]
    assert not clock.pending()


async def test_timers_added_while_elapsing_fire_in_the_same_call() -> None:
    clock = SimClock(start=100.0)
    ticks: list[float] = []

    def tick() -> None:
        ticks.append(clock.now)
        if len(ticks) < 4:
            clock.call_later(1.5, tick)

    clock.call_later(1.5, tick)
    await clock.elapse(5.0)
    assert ticks == [101.5, 103.0, 104.5]
    assert clock.now == 105.0
    await clock.elapse(1.0)
    assert ticks == [101.5, 103.0, 104.5, 106.0]


async def test_settle_hook_runs_after_every_timer() -> None:
    clock = SimClock()
    log: list[str] = []

    async def settle() -> None:
        log.append(f"settle@{clock.now:g}")

    clock.settle = settle
    clock.call_at(3.0, lambda: log.append("b"))
    clock.call_at(1.0, lambda: log.append("a"))
    await clock.elapse(4.0)
    assert log == ["a", "settle@1", "b", "settle@3", "settle@4"]


async def test_failing_timer_does_not_stop_the_clock(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = SimClock()
    fired: list[float] = []

    def broken() -> None:
        raise RuntimeError("boom")

    clock.call_at(1.0, broken)
    clock.call_at(2.0, lambda: fired.append(clock.now))
    await clock.elapse(3.0)
    assert fired == [2.0]
    assert "boom" in caplog.text


async def test_time_does_not_run_backwards() -> None:
    with pytest.raises(ValueError):
        await SimClock().elapse(-0.5)
    with pytest.raises(ValueError):
        SimClock(time_scale=0)


async def test_scaled_clock_runs_by_itself() -> None:
    clock = SimClock(time_scale=500.0)
    fired = asyncio.Event()
    timer = clock.call_later(5.0, fired.set)  # 10 ms of real time
    async with asyncio.timeout(1.0):
        await fired.wait()
    assert clock.now >= timer.when
    # elapse() jumps ahead on a scaled clock too
    jumped = asyncio.Event()
    clock.call_later(3600.0, jumped.set)
    await clock.elapse(3600.0)
    assert jumped.is_set()
    clock.cancel_all()
    assert not clock.pending()

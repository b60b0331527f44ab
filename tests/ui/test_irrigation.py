"""The TS0049 valve in a real browser: device page, control, calendar, Developer tools.

Each check reads back what the simulated valve holds (its saved state), so a click that
shows the right thing but sends the wrong bytes fails too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
import json
import re
import time
from typing import Any

from playwright.sync_api import Page, expect

from tests.simulator.models.ts0049 import (
    DP_SCHEDULED_IRRIGATION,
    SCHEDULED_RECORD,
    scheduled_days,
)
from tests.ui.conftest import Browse, screenshot, wait_for_hass
from tests.ui.stack import UiStack

#: Shown instead of a value when an entity of an online device is broken.
BROKEN = re.compile(r"\b(Unknown|Unavailable)\b")
VALVE_NAME = "Tuya TS0049 water valve"


def until[T](probe: Callable[[], T], timeout: float = 10) -> T:
    """Return ``probe()`` once it is truthy (the simulator saves its state within 0.2 s)."""
    deadline = time.monotonic() + timeout
    while not (value := probe()):
        if time.monotonic() > deadline:
            raise AssertionError(f"still {value!r} after {timeout} s")
        time.sleep(0.2)
    return value


def valve_entity(ui_stack: UiStack) -> str:
    """Return the valve entity's id."""
    return next(
        state["entity_id"]
        for state in ui_stack.states()
        if state["entity_id"].startswith("valve.")
        and state["attributes"].get("friendly_name") == VALVE_NAME
    )


def scheduled_programs(ui_stack: UiStack) -> list[bytes]:
    """Return the scheduled programs (DP17 records) the simulated valve stores."""
    state = ui_stack.sim_device("ts0049")["state"]
    return [
        bytes.fromhex(record)
        for record in state["programs"][str(DP_SCHEDULED_IRRIGATION)].values()
    ]


def watering_days(record: bytes) -> list[str]:
    """Return the weekdays the valve waters on for a program, by name (one week)."""
    today = date.today()
    return sorted(
        day.strftime("%a")
        for day in scheduled_days(record, today, today + timedelta(days=6))
    )


def open_valve_page(page: Page, ui_stack: UiStack) -> None:
    """Open the demo valve's device page from Settings → Devices."""
    page.goto(ui_stack.url + "/config/devices/dashboard")
    page.get_by_text("TS0049").first.click()
    expect(page.get_by_text("Irrigation time").first).to_be_visible()


def test_valve_device_page(
    browse: Browse, ui_stack: UiStack, demo_devices: list[str]
) -> None:
    """The valve's device page, then opening and closing it with its control."""
    valve = valve_entity(ui_stack)

    def check(page: Page) -> None:
        open_valve_page(page, ui_stack)
        for name in (
            VALVE_NAME,
            "Irrigation time",
            "Weather delay",
            "Work state",
            "Last irrigation duration",
            "Irrigation programs",
            "Fault",
        ):
            expect(page.get_by_text(name).first).to_be_visible()
        expect(page.get_by_text("87%").first).to_be_visible()  # the battery
        assert page.locator("hui-error-card").count() == 0
        screenshot(page, "valve_device_page", readme=True)

        control = page.locator("ha-entity-toggle, ha-switch").first
        control.click()
        until(lambda: ui_stack.state(valve)["state"] == "open")
        until(lambda: ui_stack.sim_device("ts0049")["state"]["run"] is not None)
        screenshot(page, "valve_open")
        control.click()
        until(lambda: ui_stack.state(valve)["state"] == "closed")
        until(lambda: ui_stack.sim_device("ts0049")["state"]["run"] is None)

    browse(check)


def test_valve_values_known_after_join(
    browse: Browse, ui_stack: UiStack, demo_devices: list[str]
) -> None:
    """A valve paired after our integration shows its values at once, not Unknown.

    It reports them at join (``JoinReports`` in our quirk keeps the frames zigpy drops
    while it interviews the valve); the link latency is probed when its sensor appears.
    Not ours and not broken: ZHA's firmware update entity is Unknown while no firmware
    image is known for the device (no OTA provider here; the device info shows the
    installed version), and a button's state is Unknown until it is first pressed.
    """
    valve = valve_entity(ui_stack)
    entities = json.loads(
        ui_stack.template(
            "{{ device_entities(device_id('%s')) | tojson }}" % valve  # noqa: UP031
        )
    )
    broken = {
        entity: state
        for entity in entities
        # a button's state is the time it was last pressed: Unknown until then, in all HA
        if not entity.startswith(("update.", "button."))
        and (state := ui_stack.state(entity)["state"]) in ("unknown", "unavailable")
    }
    assert broken == {}

    def check(page: Page) -> None:
        open_valve_page(page, ui_stack)
        for row in ("Work state", "Last irrigation duration"):
            expect(
                page.locator(
                    "state-card-content, hui-generic-entity-row, ha-settings-row"
                )
                .filter(has_text=row)
                .filter(has_text=BROKEN)
            ).to_have_count(0)
        expect(page.get_by_text("Firmware: 0x00000001")).to_be_visible()
        screenshot(page, "valve_values_after_join")

    browse(check)


def set_time(page: Page, index: int, hour: int, minute: int, half: str) -> None:
    """Set the ``index``-th time field of the event dialog (12-hour clock, as shown)."""
    field = page.locator("ha-base-time-input").nth(index)
    inputs = field.locator("input")
    inputs.nth(0).fill(str(hour))
    inputs.nth(0).dispatch_event("change")
    inputs.nth(1).fill(f"{minute:02d}")
    inputs.nth(1).dispatch_event("change")
    field.locator("ha-select").click()
    page.get_by_text(half, exact=True).filter(visible=True).last.click()


def test_calendar_event_becomes_a_program(
    browse: Browse, ui_stack: UiStack, demo_devices: list[str]
) -> None:
    """Calendar → Add event on the valve's calendar: a weekly event becomes a program.

    06:30-06:50 weekly on today's weekday and the one three days later (Mon+Thu on a
    Monday): the valve stores a 20-minute program starting at 06:30 on those two days.
    """
    today = date.today()
    days = sorted([today.strftime("%a"), (today + timedelta(days=3)).strftime("%a")])
    chips = {day.strftime("%a")[:2].upper() for day in (today, today + timedelta(3))}
    before = scheduled_programs(ui_stack)

    def check(page: Page) -> None:
        page.goto(ui_stack.url + "/calendar")
        wait_for_hass(page)
        page.get_by_role("button", name="Add event").click()
        expect(page.get_by_text("Irrigation programs").first).to_be_visible()
        page.get_by_role("textbox").first.fill("Lawn")
        set_time(page, 0, 6, 30, "AM")
        set_time(page, 1, 6, 50, "AM")
        page.get_by_label("Repeat").click()
        page.get_by_text("Weekly", exact=True).click()
        for chip in page.locator("ha-filter-chip").all():
            wanted = chip.get_attribute("value") in chips
            if (chip.get_attribute("selected") is not None) != wanted:
                chip.click()
        screenshot(page, "irrigation_event_dialog")
        page.get_by_role("button", name="Add event").last.click()
        expect(page.get_by_text("6:30 AM").first).to_be_visible()
        screenshot(page, "irrigation_calendar", readme=True)

    browse(check)
    added = until(lambda: [p for p in scheduled_programs(ui_stack) if p not in before])
    assert len(added) == 1
    start, minutes, *_ = SCHEDULED_RECORD.unpack(added[0])
    assert (divmod(start, 60), minutes) == ((6, 30), 20)
    assert watering_days(added[0]) == days


def fill_until_kept(field: Any, value: str) -> None:
    """Fill a form field until it keeps the value.

    The action form renders its fields again while it settles after a target is picked,
    which can drop a value typed just before.
    """
    for _ in range(5):
        field.fill(value)
        field.press("Tab")
        try:
            expect(field).to_have_value(value, timeout=1_000)
        except AssertionError:
            continue
        return
    expect(field).to_have_value(value)


def action_field(page: Page, description: str) -> Any:
    """Return the row of an action field in Developer tools, by its translated description."""
    return page.locator("ha-settings-row").filter(has_text=description)


def test_add_scheduled_irrigation_in_developer_tools(
    browse: Browse, ui_stack: UiStack, demo_devices: list[str]
) -> None:
    """Developer tools → Actions, UI mode: ``add_scheduled_irrigation``.

    Our fields show their translated names; a weekly program without weekdays shows our
    translated error and changes nothing; with Tuesday and Saturday it reaches the valve.
    """
    before = scheduled_programs(ui_stack)

    def check(page: Page) -> None:
        page.goto(ui_stack.url + "/developer-tools/action")
        wait_for_hass(page)
        page.get_by_text("Action", exact=True).filter(visible=True).first.click()
        page.get_by_placeholder("Search").fill("Add scheduled irrigation")
        page.get_by_text("Add scheduled irrigation").filter(visible=True).first.click()
        for name in (
            "Start time",
            "Duration",
            "Recurrence",
            "Weekdays",
            "Every n days",
            "Start date",
            "Water flow",
            "Enabled",
        ):
            expect(page.get_by_text(name, exact=True).first).to_be_visible()
        expect(page.get_by_text("Odd days", exact=True)).to_be_visible()
        page.get_by_text("Add target").click()
        page.get_by_placeholder("Search").filter(visible=True).fill(VALVE_NAME)
        page.get_by_text("Valve", exact=True).filter(visible=True).first.click()
        fill_until_kept(page.locator("input[type=time]"), "05:45")
        fill_until_kept(
            action_field(page, "How long to water").locator("input").first, "25"
        )
        page.get_by_role("button", name="Perform action").click()
        expect(
            page.get_by_text("A weekly program needs at least one weekday.")
        ).to_be_visible()
        screenshot(page, "developer_tools_error")
        assert scheduled_programs(ui_stack) == before  # nothing reached the valve

        weekdays = action_field(page, "Days of the week for a weekly program")
        weekdays.locator("ha-checkbox").click()
        for day in ("Tuesday", "Saturday"):  # the list closes after each pick
            weekdays.locator("ha-select, ha-combo-box, ha-picker-field").last.click()
            page.get_by_text(day, exact=True).filter(visible=True).last.click()
            expect(weekdays.get_by_text(day, exact=True)).to_be_visible()
        page.get_by_role("button", name="Perform action").click()
        expect(
            page.get_by_text("A weekly program needs at least one weekday.")
        ).to_have_count(0)
        screenshot(page, "developer_tools_action")

    browse(check)
    added = until(lambda: [p for p in scheduled_programs(ui_stack) if p not in before])
    assert len(added) == 1
    start, minutes, *_ = SCHEDULED_RECORD.unpack(added[0])
    assert (divmod(start, 60), minutes) == ((5, 45), 25)
    assert watering_days(added[0]) == ["Sat", "Tue"]

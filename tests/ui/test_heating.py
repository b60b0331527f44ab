"""A Danfoss heating room in a real browser: its subentry flow, its climate card, its schedule.

What the UI did is read back from the simulated TRVs (their saved attributes), so the test
checks that the setpoint reached both radiators, not only that the card shows it.
"""

from __future__ import annotations

import json
import time

from playwright.sync_api import Page, expect

from tests.ui.conftest import Browse, screenshot, wait_for_hass
from tests.ui.stack import UiStack
from tests.ui.test_irrigation import until

ROOM = "Study"
#: Thermostat 0x0201 OccupiedHeatingSetpoint (0.01 °C) in the simulator's saved state.
SETPOINT = "1/in/0x0201/0x0012"


def trv_setpoints(ui_stack: UiStack) -> list[int]:
    """Return both simulated TRVs' occupied heating setpoints."""
    return sorted(
        int(device["attributes"][SETPOINT])
        for device in ui_stack.sim_devices()
        if device["model"] == "danfoss_ally"
    )


def create_room(page: Page, ui_stack: UiStack) -> None:
    """Settings → ZHA Device Pack → Add heating room: both TRVs and the room sensor."""
    page.goto(ui_stack.url + "/config/integrations/integration/zha_device_pack")
    wait_for_hass(page)
    page.get_by_text("Add heating room").first.click()
    page.get_by_role("textbox", name="Name").fill(ROOM)
    for _ in range(2):  # the device list offers the TRVs not picked yet
        page.get_by_text("Select a device").filter(visible=True).last.click()
        page.get_by_text("eTRV0100").filter(visible=True).last.click()
    expect(page.get_by_text("Danfoss eTRV0100").filter(visible=True)).to_have_count(2)
    page.get_by_text("Select an entity").filter(visible=True).first.click()
    page.get_by_text("SimCo SimTempSensor").filter(visible=True).last.click()
    screenshot(page, "heating_room_flow")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Created configuration for Study")).to_be_visible()
    page.get_by_role("button", name="Finish").click()


def test_heating_room(
    browse: Browse, ui_stack: UiStack, demo_devices: list[str]
) -> None:
    """A heating room from its subentry flow to its climate card and schedule calendar.

    The room is created in its subentry flow; its climate card raises the setpoint on both
    TRVs; a weekly schedule shows in the calendar and is stored by both TRVs.
    """
    before = trv_setpoints(ui_stack)

    def check(page: Page) -> None:
        create_room(page, ui_stack)
        page.goto(ui_stack.url + "/config/devices/dashboard")
        page.get_by_text(ROOM, exact=True).first.click()
        expect(page.get_by_text("Heating room").first).to_be_visible()
        for name in ("Heat demand (max)", "Heat required", "Schedule"):
            expect(page.get_by_text(name, exact=True).first).to_be_visible()
        page.get_by_text(ROOM, exact=True).nth(1).click()  # the room's climate entity
        dialog = page.locator("ha-more-info-dialog")
        expect(dialog.get_by_text("Current temperature")).to_be_visible()
        plus = dialog.locator("ha-outlined-icon-button").nth(1)
        plus.click()
        plus.click()
        expect(dialog.get_by_text("22", exact=True)).to_be_visible()
        screenshot(page, "heating_room", readme=True)
        # the card sends the new setpoint after a pause: keep the page open until it has
        until(lambda: ui_stack.state(climate)["attributes"]["temperature"] == 22.0)

    climate = "climate." + ROOM.lower()
    browse(check)

    # nothing of the room reads Unknown once it exists, but its load mean: the simulated
    # TRVs report 0x404A = -8000 (no estimate yet, as a TRV that has not regulated for a
    # while), and the Danfoss rule sends no mean without a valid estimate (>= -500)
    def broken() -> dict[str, str]:
        entities = json.loads(
            ui_stack.template(
                "{{ device_entities(device_id('%s')) | tojson }}" % climate  # noqa: UP031
            )
        )
        return {
            entity: state
            for entity in entities
            if not entity.endswith("_load_room_mean")
            and (state := ui_stack.state(entity)["state"]) in ("unknown", "unavailable")
        }

    deadline = time.monotonic() + 15
    while broken() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert broken() == {}
    assert before != [2200, 2200]
    until(lambda: trv_setpoints(ui_stack) == [2200, 2200])

    # the weekly schedule (an action, as an automation would set it) in the calendar
    ui_stack.call_service(
        "zha_device_pack",
        "set_weekly_schedule",
        {
            "entity_id": climate,
            "schedule": {
                "mon": [
                    {"time": "06:30", "temperature": 21.5},
                    {"time": "22:00", "temperature": 17},
                ],
                "thu": [
                    {"time": "07:15", "temperature": 20},
                    {"time": "21:45", "temperature": 16.5},
                ],
            },
        },
    )

    def calendar(page: Page) -> None:
        page.goto(ui_stack.url + "/calendar")
        wait_for_hass(page)
        expect(page.get_by_text("21.5 °C").first).to_be_visible()
        expect(page.get_by_text("16.5 °C").first).to_be_visible()
        screenshot(page, "heating_schedule", readme=True)

    browse(calendar)
    # both TRVs store it (ZCL day bits: 1 Monday, 4 Thursday; minutes, 0.01 °C)
    expected = {
        "1": [[390, 2150], [1320, 1700]],
        "4": [[435, 2000], [1305, 1650]],
    }
    until(
        lambda: (
            [
                device["state"].get("schedule")
                for device in ui_stack.sim_devices()
                if device["model"] == "danfoss_ally"
            ]
            == [expected, expected]
        )
    )

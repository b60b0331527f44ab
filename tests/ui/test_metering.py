"""The metering dashboard in a real browser, with the meter's history imported into HA.

``import_meter_history`` reads the simulated meter's load profile (two days) into HA's
statistics and ``create_metering_dashboard`` builds the dashboard, both as a user calls
them; every card must render, none may be an error card, and the graphs must have data.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.ui.conftest import Browse, call_ws, screenshot, wait_for_hass
from tests.ui.stack import UiStack


def meter_summation(ui_stack: UiStack) -> str:
    """Return the electricity meter's energy-delivered sensor."""
    return next(
        state["entity_id"]
        for state in ui_stack.states()
        if state["attributes"].get("device_class") == "energy"
        and state["attributes"].get("state_class") == "total_increasing"
        and "SimElectricityMeter" in state["attributes"].get("friendly_name", "")
        and "received" not in state["entity_id"]
        and "tier" not in state["entity_id"]
    )


def test_metering_dashboard(
    browse: Browse, ui_stack: UiStack, demo_devices: list[str]
) -> None:
    """Every card of the dashboard renders with data; the summations show the history.

    The tier and demand graphs are live-only (a meter's load profile has no tiers or
    demand): the dashboard adds them once HA's recorder has their first statistics
    (5 minutes, then hourly), so right after pairing they are not there, not empty.
    """
    summation = meter_summation(ui_stack)
    assert float(ui_stack.state(summation)["state"]) > 0
    for channel in ("delivered", "received"):
        ui_stack.call_service(
            "zha_device_pack",
            "import_meter_history",
            {"entity_id": summation, "days": 2, "channel": channel},
        )
    ui_stack.call_service("zha_device_pack", "create_metering_dashboard", {})

    def check(page: Page) -> None:
        page.goto(ui_stack.url + "/metering")
        wait_for_hass(page)
        graphs = page.locator("hui-statistics-graph-card")
        expect(graphs.first).to_be_visible()
        expect(page.get_by_text("Per hour, last 2 days").first).to_be_visible()
        assert page.locator("hui-error-card").count() == 0
        # case-sensitive: the tier graphs' "Tier 1 summation delivered" must not match
        summations = graphs.filter(has_text=re.compile("Meter Summation delivered"))
        expect(summations).to_have_count(3)  # per hour, per day, per month
        for card in summations.all():
            expect(card.get_by_text("No statistics found")).to_have_count(0)
            expect(card.locator("ha-chart-base")).to_have_count(1)
        expect(
            graphs.filter(has_text=re.compile("Meter Summation received"))
        ).to_have_count(3)
        # the live-only graphs (tiers, demand) appear once the recorder has their first
        # statistics: none of the cards shown may be empty
        expect(page.get_by_text("No statistics found")).to_have_count(0)
        for name in ("Readings", "Status"):
            expect(page.get_by_text(name, exact=True).first).to_be_visible()
        for name in ("Summation delivered", "Check meter", "History import"):
            expect(page.get_by_text(name).first).to_be_visible()
        page.wait_for_timeout(1500)  # the charts draw
        screenshot(page, "metering_dashboard", readme=True)

        # a delivered-energy meter never runs backwards: every imported hour's change
        # is that hour's consumption, never negative
        changes = call_ws(
            page,
            {
                "type": "recorder/statistics_during_period",
                "start_time": "2000-01-01T00:00:00Z",
                "statistic_ids": [summation],
                "period": "hour",
                "types": ["change"],
            },
        )[summation]
        assert len(changes) >= 46  # two days, less the hour the meter marks invalid
        assert min(row["change"] for row in changes) >= 0
        assert sum(row["change"] for row in changes) > 0

    browse(check)

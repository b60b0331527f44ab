"""Adding ZHA Device Pack in Settings → Devices & services, as a user does.

Runs first (file order): the stack starts with ZHA only; this adds our integration.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.ui.conftest import Browse, call_ws, screenshot, wait_for_hass
from tests.ui.stack import UiStack

DOMAIN = "zha_device_pack"


def open_add_dialog(page: Page) -> None:
    """Settings → Devices & services → Add integration → search → ZHA Device Pack."""
    page.get_by_role("button", name="Add integration").click()
    # fill the dialog's own search field: typed keys before it has focus are shortcuts
    page.get_by_placeholder("Search for a brand name").fill("ZHA Device Pack")
    page.get_by_text("ZHA Device Pack").last.click()


def test_add_the_integration(browse: Browse, ui_stack: UiStack) -> None:
    """Without ZHA the flow aborts with our message; with ZHA its form adds the entry."""
    if (existing := ui_stack.entry_id(DOMAIN)) is not None:
        # run alone after other UI tests: start from no entry, as a new user does
        ui_stack.api("DELETE", f"/api/config/config_entries/entry/{existing}")
    zha = ui_stack.entry_id("zha")
    assert zha is not None

    def check(page: Page) -> None:
        page.goto(ui_stack.url + "/config/integrations/dashboard")
        wait_for_hass(page)
        call_ws(
            page,
            {"type": "config_entries/disable", "entry_id": zha, "disabled_by": "user"},
        )
        try:
            open_add_dialog(page)
            expect(
                page.get_by_text(
                    "Set up the Zigbee Home Automation (ZHA) integration first: "
                    "ZHA Device Pack extends it."
                )
            ).to_be_visible()
            screenshot(page, "config_flow_without_zha")
            page.locator("ha-dialog-footer").get_by_role("button", name="Close").click()
        finally:
            call_ws(
                page,
                {
                    "type": "config_entries/disable",
                    "entry_id": zha,
                    "disabled_by": None,
                },
            )
        assert ui_stack.entry_id(DOMAIN) is None  # the abort added nothing

        open_add_dialog(page)
        expect(
            page.get_by_text("Add first-class support for Danfoss Ally thermostats")
        ).to_be_visible()
        screenshot(page, "config_flow")
        page.get_by_role("button", name="Submit").click()
        expect(
            page.get_by_text("Created configuration for ZHA Device Pack.")
        ).to_be_visible()
        screenshot(page, "config_flow_done")

    browse(check)
    entries = ui_stack.api("GET", "/api/config/config_entries/entry")
    ours = [entry for entry in entries if entry["domain"] == DOMAIN]
    assert [(entry["title"], entry["state"]) for entry in ours] == [
        ("ZHA Device Pack", "loaded")
    ]
    zha_entry = next(entry for entry in entries if entry["domain"] == "zha")
    assert zha_entry["state"] == "loaded"
    assert zha_entry["disabled_by"] is None

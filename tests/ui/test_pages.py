"""The integration's own page in Settings → Devices & services."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.ui.conftest import Browse, screenshot
from tests.ui.stack import UiStack


def test_integration_page_lists_the_entry(
    browse: Browse, ui_stack: UiStack, pack_entry: str
) -> None:
    """Settings → Devices & services → ZHA Device Pack: the entry and its actions."""
    browse(lambda page: integration_page(page, ui_stack))


def integration_page(page: Page, ui_stack: UiStack) -> None:
    page.goto(ui_stack.url + "/config/integrations/integration/zha_device_pack")
    expect(page.get_by_text("ZHA Device Pack").first).to_be_visible()
    expect(page.get_by_text("Add heating room").first).to_be_visible()
    expect(page.get_by_text("Custom integration").first).to_be_visible()
    assert page.locator("hui-error-card").count() == 0
    screenshot(page, "integration")

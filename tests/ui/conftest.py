"""Browser tests: a real Home Assistant process with its web UI, seen in headless Chromium.

One stack (``stack.py``) per test session, started by the first UI test; Playwright drives
the Chromium ``scripts/setup`` provides (Playwright cannot download browsers here). A missing
Chromium is a setup error, not a skip. Every test saves a screenshot of what it checked to
``.cache/ui-screenshots/``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import concurrent.futures
import json
import os
from pathlib import Path
import queue
import shutil
import tempfile
import threading
import time
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright
import pytest
from pytest_socket import enable_socket

from tests.ui.stack import ROOT, UiStack, chromium_path

SCREENSHOTS = ROOT / ".cache" / "ui-screenshots"
#: Chromium's switches for a closed network and a root user (see env notes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def _sockets() -> None:
    """Allow sockets: the tests talk to HA and Chromium on 127.0.0.1.

    pytest-homeassistant-custom-component blocks sockets before every test (its tests run
    HA in-process); these run it as a separate process, still only on 127.0.0.1.
    """
    enable_socket()


@pytest.fixture(autouse=True)
def verify_cleanup() -> None:
    """Replace pytest-homeassistant-custom-component's check of lingering threads and tasks.

    It checks an in-process HA; here HA runs in its own process, and the threads it would
    flag are Playwright's own (its loop's executor on the browser thread).
    """


@pytest.fixture(scope="session")
def ui_stack() -> Iterator[UiStack]:
    """Start the simulator and Home Assistant once for every UI test."""
    enable_socket()  # session fixtures come before the function-scoped ``_sockets``
    workdir = Path(tempfile.mkdtemp(prefix="zdp-ui-"))
    stack = UiStack(workdir)
    try:
        stack.start()
    except BaseException:
        print(stack.logs())  # noqa: T201 - why the stack did not start
        stack.stop()
        raise
    yield stack
    stack.stop()


class BrowserThread:
    """Playwright's sync API on a thread of its own.

    Every test here also gets pytest-homeassistant-custom-component's async autouse fixtures,
    which pytest-asyncio runs on the test's thread; Playwright's sync API keeps an event loop
    running on the thread that started it, so the two cannot share one. The browser lives on
    this thread and the tests hand it functions to run (``run``).
    """

    def __init__(self) -> None:
        """Start Playwright and Chromium on the thread."""
        self._jobs: queue.Queue[
            tuple[Callable[[Browser], Any], concurrent.futures.Future[Any]] | None
        ] = queue.Queue()
        started: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._main, args=(started,), name="ui-browser", daemon=True
        )
        self._thread.start()
        started.result(timeout=60)

    def _main(self, started: concurrent.futures.Future[None]) -> None:
        try:
            playwright = sync_playwright().start()
            browser = playwright.chromium.launch(
                executable_path=chromium_path(), args=CHROMIUM_ARGS
            )
        except BaseException as err:  # noqa: BLE001 - handed to the test's thread
            started.set_exception(err)
            return
        started.set_result(None)
        while (job := self._jobs.get()) is not None:
            function, result = job
            try:
                result.set_result(function(browser))
            except BaseException as err:  # noqa: BLE001 - handed to the test's thread
                result.set_exception(err)
        browser.close()
        playwright.stop()

    def run[T](self, function: Callable[[Browser], T], timeout: float = 120) -> T:
        """Run ``function(browser)`` on the browser's thread; return or raise its outcome."""
        result: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._jobs.put((function, result))
        return result.result(timeout=timeout)

    def stop(self) -> None:
        """Close Chromium and Playwright."""
        self._jobs.put(None)
        self._thread.join(timeout=30)


@pytest.fixture(scope="session")
def browser_thread() -> Iterator[BrowserThread]:
    """Launch headless Chromium once."""
    enable_socket()
    thread = BrowserThread()
    yield thread
    thread.stop()


type Browse = Callable[[Callable[[Page], Any]], Any]


@pytest.fixture
def browse(
    request: pytest.FixtureRequest, ui_stack: UiStack, browser_thread: BrowserThread
) -> Browse:
    """Return ``browse(check)``: run ``check(page)`` on a page logged in to HA.

    A failing check leaves ``failed-<test>.png`` with the screenshots.
    """

    def browse(check: Callable[[Page], Any]) -> Any:
        def in_browser(browser: Browser) -> Any:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_init_script(ui_stack.hass_tokens_script())
            page = context.new_page()
            page.set_default_timeout(15_000)
            try:
                return check(page)
            except BaseException:
                screenshot(page, f"failed-{request.node.name}")
                raise
            finally:
                context.close()

        return browser_thread.run(in_browser)

    return browse


def screenshot(page: Page, name: str, *, readme: bool = False) -> Path:
    """Save what the page shows as ``<name>.png``.

    ``readme``: one of the README's pictures; ``scripts/screenshots`` (``ZDP_README_IMAGES``
    set to ``docs/images``) also writes it there.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    if readme and (images := os.environ.get("ZDP_README_IMAGES")):
        target = ROOT / images
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / f"{name}.png")
    return path


def call_ws(page: Page, message: dict[str, Any]) -> Any:
    """Send a websocket command on the page's own connection (as the frontend does)."""
    return page.evaluate(
        "message => document.querySelector('home-assistant').hass.callWS(message)",
        message,
    )


def wait_for_hass(page: Page) -> None:
    """Wait until the frontend is connected (``hass`` set on ``<home-assistant>``)."""
    page.wait_for_function(
        "() => document.querySelector('home-assistant')?.hass?.connected === true"
    )


@pytest.fixture(scope="session")
def pack_entry(ui_stack: UiStack) -> str:
    """Return our config entry's id; add it through its config flow when missing.

    ``test_config_flow.py`` adds it through the UI (it runs first); this fixture lets any
    other test run alone.
    """
    enable_socket()  # session fixtures come before the function-scoped ``_sockets``
    if (entry_id := ui_stack.entry_id("zha_device_pack")) is None:
        flow = ui_stack.api(
            "POST", "/api/config/config_entries/flow", {"handler": "zha_device_pack"}
        )
        ui_stack.api("POST", f"/api/config/config_entries/flow/{flow['flow_id']}", {})
        entry_id = ui_stack.entry_id("zha_device_pack")
    assert entry_id is not None
    return entry_id


#: The ZHA devices that have entities, by IEEE (HA's template API; no ZHA internals).
PAIRED_TEMPLATE = (
    "{% set ns = namespace(ieees=[]) %}"
    "{% for entity in integration_entities('zha') %}"
    "{% for identifier in device_attr(device_id(entity), 'identifiers') or [] %}"
    "{% set ns.ieees = ns.ieees + [identifier[1]] %}"
    "{% endfor %}{% endfor %}"
    "{{ ns.ieees | unique | list | tojson }}"
)


@pytest.fixture(scope="session")
def demo_devices(ui_stack: UiStack, pack_entry: str) -> list[str]:
    """Pair the simulator's demo devices once our integration is added, as a user does.

    ZHA's ``permit`` action opens the network (Settings → Zigbee → Add device does the
    same); returns the demo devices' IEEEs once each has its entities in HA.
    """
    enable_socket()
    expected = {
        device["ieee"]
        for device in ui_stack.sim_devices()
        # a client of HA's ESI: paired like the rest, but it has no entities to wait for
        if device["model"] != "se_in_home_display"
    }
    ui_stack.call_service("zha", "permit", {"duration": 120})
    deadline = time.monotonic() + 180
    paired: set[str] = set()
    while not expected <= paired:
        if time.monotonic() > deadline:
            raise TimeoutError(f"not paired after 180 s: {sorted(expected - paired)}")
        time.sleep(1)
        paired = set(json.loads(ui_stack.template(PAIRED_TEMPLATE)))
    return sorted(expected)

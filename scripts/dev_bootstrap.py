"""First start of the development configuration: create the ZHA and ZHA Device Pack entries.

Both entries are created through Home Assistant's own config flows, in a short-lived Home
Assistant instance on the development configuration directory: ZHA's ``hardware`` discovery flow
pointed at the simulated coordinator (``socket://127.0.0.1:PORT``, radio type ``xbee``), then our
user flow. Nothing of ZHA is patched. Run by ``scripts/develop`` only when no ZHA entry exists.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path
import sys
from typing import Any

from homeassistant import bootstrap as bootstrap_ha, config_entries
from homeassistant.components.zha.helpers import get_zha_gateway
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.runner import RuntimeConfig
from zha.zigbee.device import DeviceStatus

from tests.simulator import control

_LOGGER = logging.getLogger("dev_bootstrap")


async def _walk_flow(hass: HomeAssistant, result: Any) -> Any:
    """Answer every confirmation/menu step of a flow with its recommended choice."""
    for _ in range(20):
        if result["type"] in (FlowResultType.CREATE_ENTRY, FlowResultType.ABORT):
            return result
        if result["type"] is FlowResultType.MENU:
            options = result["menu_options"]
            choice = next(
                (
                    o
                    for o in ("setup_strategy_recommended", "form_new_network")
                    if o in options
                ),
                options[0],
            )
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], {"next_step_id": choice}
            )
        elif result["type"] is FlowResultType.FORM:
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], {}
            )
        else:
            await asyncio.sleep(0.2)
            result = await hass.config_entries.flow.async_configure(result["flow_id"])
    raise RuntimeError(f"flow did not finish: {result}")


async def _join_demo_devices(hass: HomeAssistant, control_port: int) -> None:
    """Open the network with ZHA's own permit service until the demo devices have joined."""
    listing = await control.request(control_port, "list")
    expected = {device["ieee"] for device in listing["result"]["devices"]}
    await hass.services.async_call("zha", "permit", {"duration": 60}, blocking=True)
    gateway = get_zha_gateway(hass)
    for _ in range(300):
        ready = {
            str(ieee)
            for ieee, device in gateway.devices.items()
            if device.status is DeviceStatus.INITIALIZED
        }
        if expected <= ready:
            break
        await asyncio.sleep(0.1)
    await hass.async_block_till_done()
    _LOGGER.info("Joined %d simulated devices", len(expected & ready))


async def bootstrap(config_dir: Path, port: int, control_port: int) -> None:
    """Create the entries unless ZHA already has one."""
    # Home Assistant's own setup and start of the configuration, then the config flows, then
    # a clean stop that saves the entries.
    hass = await bootstrap_ha.async_setup_hass(
        RuntimeConfig(config_dir=str(config_dir), skip_pip=True)
    )
    if hass is None:
        raise RuntimeError(
            "Home Assistant could not set up the development configuration"
        )
    await hass.async_start()
    if hass.config_entries.async_entries("zha"):
        await hass.async_stop()
        return
    result = await hass.config_entries.flow.async_init(
        "zha",
        context={"source": config_entries.SOURCE_HARDWARE},
        data={
            "name": "Simulated XBee coordinator",
            "port": {"path": f"socket://127.0.0.1:{port}", "baudrate": 115200},
            "radio_type": "xbee",
            "flow_strategy": "recommended",
        },
    )
    result = await _walk_flow(hass, result)
    _LOGGER.info(
        "ZHA flow: %s", result.get("reason") or result["title"] or "entry created"
    )
    await hass.async_block_till_done()
    await _join_demo_devices(hass, control_port)
    if not hass.config_entries.async_entries("zha_device_pack"):
        result = await hass.config_entries.flow.async_init(
            "zha_device_pack", context={"source": config_entries.SOURCE_USER}
        )
        result = await _walk_flow(hass, result)
        _LOGGER.info(
            "ZHA Device Pack flow: %s", result.get("reason") or result["title"]
        )
    await hass.async_block_till_done()
    await hass.async_stop()


def main() -> None:
    """Parse arguments and run the bootstrap."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--control-port", type=int, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="dev_bootstrap: %(message)s")
    asyncio.run(bootstrap(args.config.resolve(), args.port, args.control_port))
    sys.exit(0)


if __name__ == "__main__":
    main()

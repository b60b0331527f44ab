"""Link actions: ``test_link`` (any ZHA device) and ``scan_channels`` (the radio)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import voluptuous as vol
from zigpy.types import Channels

from .. import zha_bridge
from ..const import DOMAIN
from ..errors import device_error, validation_error
from ..family import FamilyService
from . import channels as zigbee_channels
from .tester import LinkTestResult, run_link_test

if TYPE_CHECKING:
    from .family import LinkFamily

FAMILY: Final = "link"
SERVICE_TEST: Final = "test_link"
SERVICE_SCAN: Final = "scan_channels"
EVENT_PROGRESS: Final = f"{DOMAIN}_link_test_progress"
MAX_REQUESTS: Final = 100
MAX_INTERVAL_S: Final = 60
MAX_SCANS: Final = 5
#: zigpy's energy-scan duration exponent: (2^n + 1) x 15.36 ms per channel (n = 4: ~0.26 s).
SCAN_DURATION_EXP: Final = 4

SCHEMAS: Final = {
    SERVICE_TEST: vol.Schema(
        {
            vol.Required(ATTR_DEVICE_ID): cv.string,
            vol.Optional("count", default=10): vol.Coerce(int),
            vol.Optional("interval", default=1.0): vol.Coerce(float),
            vol.Optional("retry", default=True): cv.boolean,
        }
    ),
    SERVICE_SCAN: vol.Schema(
        {
            vol.Optional("channels"): vol.All(cv.ensure_list, [vol.Coerce(int)]),
            vol.Optional("count", default=1): vol.Coerce(int),
        }
    ),
}


async def _test(family: LinkFamily, call: ServiceCall) -> ServiceResponse:
    device_id: str = call.data[ATTR_DEVICE_ID]
    count: int = call.data["count"]
    interval: float = call.data["interval"]
    if not 1 <= count <= MAX_REQUESTS:
        raise validation_error(
            "link_count_out_of_range", count=count, maximum=MAX_REQUESTS
        )
    if not 0 <= interval <= MAX_INTERVAL_S:
        raise validation_error(
            "link_interval_out_of_range", interval=interval, maximum=MAX_INTERVAL_S
        )
    ieee = zha_bridge.ieee_of_device_id(family.hass, device_id)
    device = None if ieee is None else zha_bridge.zha_device(family.hass, ieee)
    if ieee is None or device is None:
        raise validation_error("link_unknown_device", device_id=device_id)
    if device.is_coordinator:
        raise validation_error("link_coordinator")

    def progress(done: int, result: LinkTestResult) -> None:
        family.hass.bus.async_fire(
            EVENT_PROGRESS,
            {
                ATTR_DEVICE_ID: device_id,
                "done": done,
                "total": count,
                "answered": result.answered,
                "lost": result.lost,
            },
        )

    result = await run_link_test(
        device, count, interval, retry=call.data["retry"], progress=progress
    )
    if result.round_trips_ms and not result.sleepy:
        family.record_latency(ieee, result.round_trips_ms)
    zigpy_device = device.device
    return {
        "device": family.device_name(ieee),
        **result.as_response(),
        # what zigpy last learnt of the link (neighbour tables, the radio's RSSI reads)
        "last_hop_lqi": zigpy_device.lqi,
        "last_hop_rssi": zigpy_device.rssi,
    }


async def _scan(family: LinkFamily, call: ServiceCall) -> ServiceResponse:
    wanted: list[int] = call.data.get("channels") or list(
        zigbee_channels.ZIGBEE_CHANNELS
    )
    count: int = call.data["count"]
    if bad := [ch for ch in wanted if ch not in zigbee_channels.ZIGBEE_CHANNELS]:
        raise validation_error("link_bad_channels", channels=", ".join(map(str, bad)))
    if not 1 <= count <= MAX_SCANS:
        raise validation_error("link_scan_count_out_of_range", maximum=MAX_SCANS)
    gateway = zha_bridge.gateway(family.hass)
    if gateway is None:
        raise device_error("link_not_available")
    app = gateway.application_controller
    try:
        energy = await app.energy_scan(
            channels=Channels.from_channel_list(sorted(set(wanted))),  # type: ignore[misc]
            duration_exp=SCAN_DURATION_EXP,
            count=count,
        )
    except NotImplementedError as err:
        raise device_error("link_scan_unsupported") from err
    except HomeAssistantError:
        raise
    except Exception as err:  # the radio library's own errors
        raise device_error(
            "link_command_failed", error=str(err) or type(err).__name__
        ) from err
    # zigpy-xbee answers a radio without ED with 0 on every channel; a real measurement maps
    # through a logistic curve and is never exactly 0
    if not energy or all(value == 0 for value in energy.values()):
        raise device_error("link_scan_unsupported")
    scanned = zigbee_channels.percent(energy, sorted(set(wanted)))
    recommended = zigbee_channels.recommend(scanned)
    quietest = zigbee_channels.quietest(scanned)
    current = app.state.network_info.channel
    result: dict[str, Any] = {
        "at": dt_util.utcnow().isoformat(),
        "channel": current,
        "energy": {str(ch): value for ch, value in scanned.items()},
        "quietest": quietest,
        "recommended": recommended,
    }
    await family.async_store_scan(result)
    return {
        "current_channel": current,
        "energy": result["energy"],
        "quietest": quietest,
        "recommended": recommended,
        "wifi_overlaps": {
            str(ch): list(zigbee_channels.wifi_overlaps(ch)) for ch in scanned
        },
    }


SERVICES: Final[dict[str, FamilyService[LinkFamily]]] = {
    SERVICE_TEST: FamilyService(
        schema=SCHEMAS[SERVICE_TEST],
        handler=_test,
        supports_response=SupportsResponse.ONLY,
    ),
    SERVICE_SCAN: FamilyService(
        schema=SCHEMAS[SERVICE_SCAN],
        handler=_scan,
        supports_response=SupportsResponse.OPTIONAL,
    ),
}

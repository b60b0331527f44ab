"""SimCo SimTempSensor: a plain battery temperature and humidity sensor (HA profile).

Endpoint 1 (profile 0x0104, device type 0x0302 Temperature Sensor): Basic (battery power
source), PowerConfiguration (battery voltage, BatteryPercentageRemaining in half percent),
Identify, Temperature Measurement 0x0402 and, unless ``humidity=None``, Relative Humidity
Measurement 0x0405 (MeasuredValue in 0.01 °C / 0.01 %RH, ZCL 4.4 / 4.7); out: OTA. An end
device, not rx-on-when-idle, that receives at once (as the TS0049 model; `SimDevice` has
``sleepy=True`` for polling end devices).

While joined it measures every ``measure_interval`` seconds on the network's clock: its set
point (the factory's ``temperature`` / ``humidity``, ``device.state``) plus a daily swing on
its clock, +-1.00 °C peaking at 15:00 and +-3.00 %RH the other way round. Its clock is the
network's wall time in the simulator host's local time when the network follows wall time
(`SimNetwork.wall_clock`), else the virtual seconds (virtual 0 = midnight). Reports follow
the stored Configure Reporting records (ZCL 2.5.7): after a measurement an attribute is
reported when it moved by at least the reportable change and the minimum interval has
passed since its last report, or when the maximum interval has passed (0 / 0xFFFF: no
periodic report); nothing is reported without a record (ZHA configures reporting at join).
"""

from __future__ import annotations

import math
from typing import Any, Final

import zigpy.types as t
from zigpy.zcl.clusters import general, measurement
import zigpy.zdo.types as zdo_t

from tests.simulator.clock import ClockTimer
from tests.simulator.device import Attr, SimCluster, SimDevice

from .common import POWER_BATTERY, add_basic, add_ota_client, resolve_ieee

MANUFACTURER: Final = "SimCo"
MODEL: Final = "SimTempSensor"
DEVICE_TYPE_TEMPERATURE_SENSOR: Final = 0x0302
#: The daily swing: amplitude (0.01 °C / 0.01 %RH) and the local hour of the warmest point.
TEMPERATURE_SWING: Final = 100
HUMIDITY_SWING: Final = 300
WARMEST_HOUR: Final = 15


class TemperatureSensor:
    """The sensor's measurements and reports (`SimDevice.services` entry)."""

    def __init__(self, device: SimDevice, measure_interval: float) -> None:
        self.device = device
        self.measure_interval = measure_interval
        self._timer: ClockTimer | None = None
        #: Virtual time of the last measurement.
        self.measured_at = -math.inf
        #: Last report per (cluster id, attribute key): (virtual time, value).
        self._last: dict[tuple[int, tuple[int, int | None]], tuple[float, int]] = {}

    def _reported(self) -> list[tuple[SimCluster, Attr]]:
        endpoint = self.device.endpoint(1)
        found = [
            (endpoint.cluster(general.PowerConfiguration), "battery_voltage"),
            (
                endpoint.cluster(general.PowerConfiguration),
                "battery_percentage_remaining",
            ),
            (endpoint.cluster(measurement.TemperatureMeasurement), "measured_value"),
        ]
        if measurement.RelativeHumidity.cluster_id in endpoint.in_clusters:
            found.append(
                (endpoint.cluster(measurement.RelativeHumidity), "measured_value")
            )
        return [(cluster, cluster.attr(name)) for cluster, name in found]

    def day_fraction(self) -> float:
        """Return where the sensor's clock is in its day (0 = midnight)."""
        network = self.device.network
        wall = None if network is None else network.wall_clock
        if wall is None:
            return (self.device.now % 86_400) / 86_400
        local = wall.astimezone()
        return (local.hour * 3600 + local.minute * 60 + local.second) / 86_400

    def measure(self) -> None:
        """Take a measurement now (no report: see `check_reports`)."""
        swing = math.cos(2 * math.pi * (self.day_fraction() - WARMEST_HOUR / 24))
        endpoint = self.device.endpoint(1)
        endpoint.cluster(measurement.TemperatureMeasurement).set(
            "measured_value",
            int(self.device.state["temperature"]) + round(TEMPERATURE_SWING * swing),
            report=False,
        )
        if measurement.RelativeHumidity.cluster_id in endpoint.in_clusters:
            set_point = self.device.state.get("humidity")
            if set_point is not None:
                humidity = int(set_point) - round(HUMIDITY_SWING * swing)
                endpoint.cluster(measurement.RelativeHumidity).set(
                    "measured_value", max(0, min(10_000, humidity)), report=False
                )
        self.measured_at = self.device.now

    def check_reports(self) -> None:
        """Report what the reporting configuration says is due now."""
        now = self.device.now
        for cluster, attr in self._reported():
            config = cluster.reporting.get(attr.key)
            if config is None:
                continue
            value = int(cluster.values[attr.key])
            key = (cluster.cluster_id, attr.key)
            last = self._last.get(key)
            elapsed = math.inf if last is None else now - last[0]
            if config.due(elapsed, 0 if last is None else value - last[1]):
                self._last[key] = (now, value)
                if self.device.online:
                    self.device.send_report(cluster, [attr])

    def _next_wake(self) -> float:
        now = self.device.now
        due = [self.measured_at + self.measure_interval]
        for cluster, attr in self._reported():
            config = cluster.reporting.get(attr.key)
            last = self._last.get((cluster.cluster_id, attr.key))
            if config is not None and config.max_interval not in (0, 0xFFFF):
                due.append(now if last is None else last[0] + config.max_interval)
        return max(now, min(due))

    def start(self) -> None:
        """Joined or powered up: measure now, then on the clock."""
        self.stop()
        self._last.clear()
        self.measure()
        self._arm()

    def stop(self) -> None:
        """Left, powered down or the network stopped."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self) -> None:
        network = self.device.network
        if network is None or not self.device.joined:
            return
        self._timer = network.clock.call_at(self._next_wake(), self._tick)

    def _tick(self) -> None:
        self._timer = None
        if self.device.now >= self.measured_at + self.measure_interval:
            self.measure()
        self.check_reports()
        self._arm()


def temperature_sensor(
    ieee: str | t.EUI64 | None = None,
    *,
    temperature: int = 2130,
    humidity: int | None = 4800,
    battery: int = 81,
    measure_interval: float = 60.0,
    **kwargs: Any,
) -> SimDevice:
    """Create a SimTempSensor (see the module docstring).

    ``temperature`` / ``humidity``: the set points in 0.01 °C / 0.01 %RH (``humidity=None``:
    no Relative Humidity cluster); ``battery`` in percent.
    """
    if not 0 <= battery <= 100:
        raise ValueError(f"battery {battery} % outside 0..100")
    kwargs.setdefault("logical_type", zdo_t.LogicalType.EndDevice)
    kwargs.setdefault("mains_powered", False)
    kwargs.setdefault("rx_on_when_idle", False)
    device = SimDevice(
        ieee=resolve_ieee(ieee),
        manufacturer=MANUFACTURER,
        model=MODEL,
        model_key="temperature_sensor",
        **kwargs,
    )
    device.state.update(temperature=temperature, humidity=humidity)
    ep = device.add_endpoint(
        1, profile_id=0x0104, device_type=DEVICE_TYPE_TEMPERATURE_SENSOR
    )
    add_basic(ep, device, power_source=POWER_BATTERY)
    ep.add_cluster(
        general.PowerConfiguration,
        {"battery_voltage": 30, "battery_percentage_remaining": battery * 2},
    )
    ep.add_cluster(general.Identify, {"identify_time": 0}, volatile=["identify_time"])
    ep.add_cluster(
        measurement.TemperatureMeasurement,
        {
            "measured_value": temperature,
            "min_measured_value": -4000,
            "max_measured_value": 8500,
            "tolerance": 30,
        },
    )
    if humidity is not None:
        ep.add_cluster(
            measurement.RelativeHumidity,
            {
                "measured_value": humidity,
                "min_measured_value": 0,
                "max_measured_value": 10_000,
            },
        )
    add_ota_client(ep)
    device.services.append(TemperatureSensor(device, measure_interval))
    return device

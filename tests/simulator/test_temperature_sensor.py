"""The SimTempSensor model: descriptors, reads, and reports as Configure Reporting asks."""

from __future__ import annotations

import struct

from tests.simulator.capture import CaptureFrontend
from tests.simulator.models import MODELS

TEMPERATURE = 0x0402
HUMIDITY = 0x0405


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def reported(host: CaptureFrontend, cluster: int) -> list[int]:
    """Return the MeasuredValues the host received in reports of ``cluster``."""
    values = []
    for frame in host.frames:
        if frame.cluster_id == cluster and frame.data[2] == 0x0A:
            assert frame.data[3:6] == h("0000 29")  # MeasuredValue, int16
            values.append(struct.unpack_from("<h", frame.data, 6)[0])
    return values


async def test_temperature_sensor_reads_and_reports(host: CaptureFrontend) -> None:
    sensor = MODELS["temperature_sensor"](ieee="00:0d:6f:00:00:00:0e:01")
    await host.network.join(sensor)
    assert sensor.model_key == "temperature_sensor"
    simple = sensor.endpoint(1).simple_descriptor()
    assert (simple.profile, simple.device_type) == (0x0104, 0x0302)
    assert list(simple.input_clusters) == [
        0x0000,
        0x0001,
        0x0003,
        TEMPERATURE,
        HUMIDITY,
    ]
    assert not sensor.node_descriptor().is_mains_powered
    rsp = await host.request(sensor, 1, 0x0000, h("00 10 00 0500 0700"))
    assert rsp.data == h(
        "18 10 01 0500 00 42 0d 53696d54656d7053656e736f72 0700 00 30 03"
    )
    rsp = await host.request(sensor, 1, 0x0001, h("00 11 00 2100"))
    assert rsp.data == h("18 11 01 2100 00 20 a2")  # 81 %
    # measured at join: the set point 21.30 °C and the daily swing (virtual 0 = midnight)
    rsp = await host.request(sensor, 1, TEMPERATURE, h("00 12 00 0000 0100 0200"))
    (value,) = struct.unpack_from("<h", rsp.data, 7)
    assert rsp.data[3:7] == h("0000 00 29") and 2030 <= value <= 2230
    assert rsp.data[9:] == h("0100 00 29 60f0 0200 00 29 3421")  # -40.00 / 85.00 °C
    assert 4500 <= sensor.cluster(1, HUMIDITY).get("measured_value") <= 5100

    # min 30 s, max 900 s, change 0.50 °C
    rsp = await host.request(
        sensor, 1, TEMPERATURE, h("00 13 06 00 0000 29 1e00 8403 3200")
    )
    assert rsp.data == h("18 13 07 00")
    host.frames.clear()
    await host.network.elapse(60)  # the first report comes with the next measurement
    assert reported(host, TEMPERATURE) == [
        sensor.cluster(1, TEMPERATURE).get("measured_value")
    ]
    await host.network.elapse(840)
    assert len(reported(host, TEMPERATURE)) == 1  # slow drift, no change report yet
    await host.network.elapse(60)  # the maximum interval
    assert len(reported(host, TEMPERATURE)) == 2
    assert reported(host, HUMIDITY) == []  # not configured: never reported

    sensor.state["temperature"] = 2500  # warmer: reported at the next measurement
    await host.network.elapse(60)
    assert reported(host, TEMPERATURE)[2:] == [
        sensor.cluster(1, TEMPERATURE).get("measured_value")
    ]
    assert reported(host, TEMPERATURE)[2] - reported(host, TEMPERATURE)[1] > 300

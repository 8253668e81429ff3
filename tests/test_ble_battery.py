"""The Battery Service read at connection, against virtual sensors on the in-process BLE link."""

from __future__ import annotations

import numpy as np
import pytest
from bleak import BleakClient

from sensortrack.drivers.battery import MODELS_WITH_BATTERY_SERVICE, read_battery_pct
from sensortrack.drivers.protocols.registry import FAMILIES
from sensortrack.drivers.scan import scan_sensors
from sensortrack.drivers.virtual.link import VirtualLink
from sensortrack.drivers.virtual.peripheral import VirtualSensor
from sensortrack.core.model import SampleBlock, SensorInfo, Session, SessionMeta


def _session() -> Session:
    t = np.arange(50) / 50.0
    acc = np.column_stack([np.zeros_like(t), np.zeros_like(t), np.ones_like(t)])
    info = SensorInfo(placement="thigh", side="left", nominal_rate_hz=50.0)
    return Session(SessionMeta(info), SampleBlock(t, acc, np.zeros_like(acc), sensor=info))


async def _read(model: str, level: int | None = None) -> int | None:
    link = VirtualLink()
    sensor = VirtualSensor(link, FAMILIES[model], _session())
    if level is not None:
        sensor.battery_pct = level
    await sensor.start()
    try:
        [found] = await scan_sensors(0.3, backend=link.backend)
        async with BleakClient(found.device, backend=link.backend.client) as client:
            return await read_battery_pct(client, 2.0)
    finally:
        await sensor.close()


@pytest.mark.parametrize("model", sorted(FAMILIES))
async def test_level_where_the_sensor_serves_the_battery_service(model: str) -> None:
    expected = 87 if model in MODELS_WITH_BATTERY_SERVICE else None
    assert await _read(model) == expected


async def test_a_level_beyond_100_percent_is_no_level() -> None:
    assert await _read("open_profile", 150) is None
    assert await _read("open_profile", 0) == 0

"""Virtual sensors look like the real ones over the air, and scanning finds what it should."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path

import numpy as np
import pytest
from bleak import BleakClient
from bumble import data_types
from bumble.core import AdvertisingData

from sensortrack import cli
from sensortrack.drivers.protocols.registry import FAMILIES
from sensortrack.drivers.protocols.witmotion import WRITE_UUID, WitmotionEncoder
from sensortrack.drivers.scan import find_sensor, scan_sensors
from sensortrack.drivers.virtual.link import ADVERTISING_INTERVAL_MS, VirtualLink
from sensortrack.drivers.virtual.peripheral import VirtualSensor
from sensortrack.core.model import SampleBlock, SensorInfo, Session, SessionMeta

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "simulated" / "squat_thigh_right.csv"
BLEAK_PROPERTY = {"read": "read", "write": "write", "write_without_response": "write-without-response", "notify": "notify"}


def short_session() -> Session:
    t = np.arange(100) / 50.0
    acc = np.column_stack([np.zeros_like(t), np.zeros_like(t), np.ones_like(t)])
    info = SensorInfo(placement="thigh", side="left", nominal_rate_hz=50.0)
    return Session(SessionMeta(info), SampleBlock(t, acc, np.zeros_like(acc), sensor=info))


@pytest.mark.parametrize("model", list(FAMILIES))
async def test_each_virtual_sensor_advertises_and_serves_its_family_gatt_layout(model: str) -> None:
    family = FAMILIES[model]
    link = VirtualLink()
    sensor = VirtualSensor(link, family, short_session())
    await sensor.start()
    [found] = await scan_sensors(0.3, backend=link.backend)
    assert (found.family, found.name, found.address) == (family, sensor.name, sensor.address)
    async with BleakClient(found.device, backend=link.backend.client) as client:
        for spec in family.characteristics:
            char = client.services.get_characteristic(spec.uuid)
            assert char is not None and char.service_uuid == spec.service_uuid, spec.uuid
            assert set(char.properties) == {BLEAK_PROPERTY[p] for p in spec.properties}
            if "read" in spec.properties:
                await client.read_gatt_char(char)  # answered, whatever the value
    await sensor.close()


async def test_an_encoder_that_raises_does_not_leave_the_client_waiting() -> None:
    """bumble answers an exception in a GATT handler with silence (a 30 s client timeout)."""

    class BrokenEncoder(WitmotionEncoder):
        def handle_write(self, char_uuid: str, data: bytes) -> list:  # type: ignore[override]
            raise RuntimeError("firmware bug")

    family = dataclasses.replace(FAMILIES["witmotion"], new_encoder=BrokenEncoder)
    link = VirtualLink()
    sensor = VirtualSensor(link, family, short_session())
    await sensor.start()
    found = await find_sensor(sensor.name, 2.0, backend=link.backend)
    async with BleakClient(found.device, backend=link.backend.client) as client:
        started = time.monotonic()
        await client.write_gatt_char(WRITE_UUID, b"\xff\xaa\x27\x03\x00", response=True)
        assert time.monotonic() - started < 1.0
        await client.write_gatt_char(WRITE_UUID, b"\xff\xaa\x27\x03\x00", response=True)  # still alive
    assert sensor.stats.handler_errors == 2
    await sensor.close()


async def test_scan_lists_supported_sensors_first_and_others_only_with_include_all() -> None:
    link = VirtualLink()
    sensors = [VirtualSensor(link, FAMILIES[m], short_session()) for m in ("polar_h10", "movella_dot")]
    for sensor in sensors:
        await sensor.start()
    headphones = link.new_peripheral_device("Headphones")
    headphones.advertising_data = bytes(AdvertisingData([data_types.CompleteLocalName("Headphones")]))
    await headphones.power_on()
    await headphones.start_advertising(
        advertising_interval_min=ADVERTISING_INTERVAL_MS, advertising_interval_max=ADVERTISING_INTERVAL_MS
    )
    supported = await scan_sensors(0.3, backend=link.backend)
    assert sorted(f.model for f in supported) == ["movella_dot", "polar_h10"]
    everything = await scan_sensors(0.3, include_all=True, backend=link.backend)
    assert [f.model for f in everything][-1] == "-" and everything[-1].name == "Headphones"
    by_address = await find_sensor(sensors[1].address.lower(), 2.0, backend=link.backend)
    by_name = await find_sensor("movella dot", 2.0, backend=link.backend)  # names match case-insensitively
    assert by_address.address == by_name.address == sensors[1].address
    with pytest.raises(Exception, match="'Headphones' is not a supported sensor"):
        await find_sensor("Headphones", 2.0, backend=link.backend)


def test_scan_command_with_virtual_sensors(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["scan", "--virtual", "witmotion", "--virtual", "open_profile", "--from", str(FIXTURE), "--timeout", "0.4"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    assert lines[0].split() == ["MODEL", "NAME", "ADDRESS", "RSSI", "RANGE"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"witmotion", "open_profile"}
    assert "WT901BLE68" in rows["witmotion"] and "-50 dBm" in rows["witmotion"]
    # The range column: the fixed range, or the choices `record --range-g/--range-dps` accepts.
    assert rows["witmotion"].endswith("±16 g, ±2000 °/s fixed")
    assert rows["open_profile"].endswith("±2/4/8/16 g, ±245/500/2000 °/s")


async def test_reconnect_after_readvertising_is_quick() -> None:
    """The benchmark measures this too; here only that it stays well under the 2 s goal."""
    from sensortrack.drivers.status import Connected
    from sensortrack.drivers.supervisor import SensorSupervisor

    link = VirtualLink()
    sensor = VirtualSensor(link, FAMILIES["movesense"], short_session())
    await sensor.start()
    found = await find_sensor(sensor.name, 2.0, backend=link.backend)
    queue: asyncio.Queue = asyncio.Queue()
    sup = SensorSupervisor(found, SensorInfo(nominal_rate_hz=52.0), queue, backend=link.backend, clock=link.clock)
    task = asyncio.create_task(sup.run())
    while not isinstance(await asyncio.wait_for(queue.get(), 5.0), Connected):
        pass
    await sensor.drop_link(readvertise_after_s=0.3)
    while not isinstance(item := await asyncio.wait_for(queue.get(), 5.0), Connected):
        pass
    reconnect_s = link.clock.now() - sensor.stats.advertising_since_s[-1]
    assert item.connection == 2 and reconnect_s < 1.0
    sup.stop()
    await task
    await sensor.close()

"""Bluetooth failures reach the user as one clear DeviceError, raised through the real driver code.

The virtual backend raises the same exceptions bleak's platform backends raise (BlueZ D-Bus
errors, BleakBluetoothNotAvailableError, ...) from inside BleakScanner/BleakClient; the driver's
scan, supervisor and recording loop must turn each into the right advice — or retry it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from bleak.exc import BleakBluetoothNotAvailableError, BleakBluetoothNotAvailableReason, BleakDBusError

from sensortrack import cli
from sensortrack.drivers.ble_errors import (
    BluetoothPermissionError,
    BluetoothUnavailableError,
    SensorNotFoundError,
)
from sensortrack.drivers.clock import ScaledClock
from sensortrack.drivers.protocols.registry import FAMILIES
from sensortrack.drivers.scan import find_sensor, scan_sensors
from sensortrack.drivers.status import Connected, DriverItem, Reconnecting
from sensortrack.drivers.supervisor import SensorSupervisor, SupervisorSettings
from sensortrack.drivers.virtual.link import VirtualLink
from sensortrack.drivers.virtual.peripheral import VirtualSensor
from sensortrack.core.errors import DeviceError
from sensortrack.core.model import SampleBlock, SensorInfo, Session, SessionMeta
from sensortrack.recording import RecordingControl, record_session
from sensortrack.core.sessionfile import SessionWriter

R = BleakBluetoothNotAvailableReason


def still_session(seconds: float = 30.0, rate_hz: float = 50.0) -> Session:
    t = np.arange(int(seconds * rate_hz)) / rate_hz
    acc = np.column_stack([0.01 * np.sin(t), np.zeros_like(t), np.ones_like(t)])
    info = SensorInfo(placement="thigh", side="left", nominal_rate_hz=rate_hz)
    return Session(SessionMeta(info, exercise="squat"), SampleBlock(t, acc, np.zeros_like(acc), sensor=info))


async def virtual(model: str = "movesense", speed: float = 10.0) -> tuple[VirtualLink, VirtualSensor]:
    link = VirtualLink(ScaledClock(speed))
    sensor = VirtualSensor(link, FAMILIES[model], still_session())
    await sensor.start()
    return link, sensor


def supervisor(link: VirtualLink, found: object, queue: asyncio.Queue[DriverItem]) -> SensorSupervisor:
    info = SensorInfo(placement="thigh", side="left", nominal_rate_hz=52.0)
    settings = SupervisorSettings(connect_timeout_s=5.0, backoff_initial_s=0.2)
    return SensorSupervisor(found, info, queue, settings=settings, backend=link.backend, clock=link.clock)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raised", "kind", "words"),
    [
        (BleakBluetoothNotAvailableError("off", R.POWERED_OFF), BluetoothUnavailableError, "turned off"),
        (BleakBluetoothNotAvailableError("none", R.NO_BLUETOOTH), BluetoothUnavailableError, "no Bluetooth adapter"),
        (BleakBluetoothNotAvailableError("denied", R.DENIED_BY_USER), BluetoothPermissionError, "not allowed"),
        (BleakDBusError("org.freedesktop.DBus.Error.AccessDenied", ["policy"]), BluetoothPermissionError, "'bluetooth' group"),
        (BleakDBusError("org.bluez.Error.NotReady", ["Resource Not Ready"]), BluetoothUnavailableError, "turned off"),
        (BleakDBusError("org.freedesktop.DBus.Error.ServiceUnknown", []), BluetoothUnavailableError, "systemctl start bluetooth"),
        (FileNotFoundError(2, "No such file or directory"), BluetoothUnavailableError, "D-Bus"),
        (PermissionError(13, "Permission denied"), BluetoothPermissionError, "permission denied"),
    ],
)
async def test_scan_failures_become_actionable_device_errors(raised: BaseException, kind: type, words: str) -> None:
    link, _ = await virtual()
    link.faults.scan_error = raised
    with pytest.raises(kind) as caught:
        await scan_sensors(0.2, backend=link.backend)
    message = str(caught.value)
    assert words in message and "\n" not in message
    assert isinstance(caught.value, DeviceError)


async def test_a_sensor_that_is_not_there_is_not_found_with_advice() -> None:
    link, _ = await virtual()
    with pytest.raises(SensorNotFoundError, match="no sensor called 'Polar H10 0000' .*sensortrack scan"):
        await find_sensor("Polar H10 0000", 0.3, backend=link.backend)


@pytest.mark.parametrize(
    "raised",
    [
        BleakDBusError("org.bluez.Error.NotPermitted", ["Not paired"]),
        BleakBluetoothNotAvailableError("off", R.POWERED_OFF),
    ],
)
async def test_the_supervisor_stops_at_once_on_what_retrying_cannot_fix(raised: BaseException) -> None:
    link, sensor = await virtual()
    found = await find_sensor(sensor.name, 2.0, backend=link.backend)
    link.faults.connect_error = raised
    queue: asyncio.Queue[DriverItem] = asyncio.Queue()
    with pytest.raises((BluetoothPermissionError, BluetoothUnavailableError)):
        await asyncio.wait_for(supervisor(link, found, queue).run(), 5.0)
    assert not any(isinstance(item, Reconnecting) for item in queue._queue)  # type: ignore[attr-defined]


async def test_a_busy_sensor_is_retried_with_backoff_then_connects() -> None:
    link, sensor = await virtual()
    found = await find_sensor(sensor.name, 2.0, backend=link.backend)
    link.faults.connect_error = BleakDBusError("org.bluez.Error.InProgress", ["Operation already in progress"])
    queue: asyncio.Queue[DriverItem] = asyncio.Queue()
    sup = supervisor(link, found, queue)
    task = asyncio.create_task(sup.run())
    retries: list[Reconnecting] = []
    while len(retries) < 3:
        item = await asyncio.wait_for(queue.get(), 5.0)
        if isinstance(item, Reconnecting):
            retries.append(item)
    assert "busy" in retries[0].reason and "another app" in retries[0].reason
    assert [r.attempt for r in retries] == [1, 2, 3]
    assert retries[0].delay_s == 0.0 and retries[2].delay_s > retries[1].delay_s > 0  # backoff
    link.faults.connect_error = None  # the other app let go
    while not isinstance(item := await asyncio.wait_for(queue.get(), 5.0), Connected):
        pass
    assert item.connection == 1
    sup.stop()
    await asyncio.wait_for(task, 5.0)


async def test_a_silent_sensor_times_out_as_not_found_and_is_retried() -> None:
    link, sensor = await virtual()
    found = await find_sensor(sensor.name, 2.0, backend=link.backend)
    await sensor.device.stop_advertising()  # switched off, or connected to a phone
    queue: asyncio.Queue[DriverItem] = asyncio.Queue()
    sup = supervisor(link, found, queue)
    task = asyncio.create_task(sup.run())
    while not isinstance(item := await asyncio.wait_for(queue.get(), 10.0), Reconnecting):
        pass
    assert "did not answer" in item.reason and "another app or phone" in item.reason
    sup.stop()
    await asyncio.wait_for(task, 5.0)  # stop() also ends a connection attempt in progress


async def test_recording_gives_up_on_a_first_connection_that_never_comes(tmp_path: Path) -> None:
    link, sensor = await virtual()
    found = await find_sensor(sensor.name, 2.0, backend=link.backend)
    await sensor.device.stop_advertising()
    queue: asyncio.Queue[DriverItem] = asyncio.Queue()
    sup = supervisor(link, found, queue)
    out = tmp_path / "never.csv"
    writer = SessionWriter(out, SessionMeta(sup.info), gyro=True)
    with pytest.raises(SensorNotFoundError, match="could not be connected within 8 s"):
        await record_session(sup, writer, clock=link.clock, first_connect_timeout_s=8.0, control=RecordingControl())
    assert not out.exists()  # nothing recorded, nothing left behind


async def test_bluetooth_switched_off_mid_recording_keeps_what_was_recorded(tmp_path: Path) -> None:
    link, sensor = await virtual(speed=10.0)
    found = await find_sensor(sensor.name, 2.0, backend=link.backend)
    queue: asyncio.Queue[DriverItem] = asyncio.Queue()
    sup = supervisor(link, found, queue)
    out = tmp_path / "cut.csv"
    writer = SessionWriter(out, SessionMeta(sup.info), gyro=True, flush_interval_s=float("inf"))

    async def switch_off_after_data() -> None:
        while writer.samples_written < 100:
            await asyncio.sleep(0.01)
        link.faults.connect_error = BleakBluetoothNotAvailableError("off", R.POWERED_OFF)
        await sensor.drop_link()  # the radio goes away under the connection

    switcher = asyncio.create_task(switch_off_after_data())
    with pytest.raises(BluetoothUnavailableError, match="turned off"):
        await record_session(sup, writer, clock=link.clock)
    await switcher
    text = out.read_text()
    assert text.rstrip().splitlines()[-1].startswith("# end")
    assert writer.samples_written >= 100


def test_cli_without_bluetooth_says_so_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """On this machine there is no Bluetooth (no D-Bus); with an adapter the sensor is simply absent."""
    out = tmp_path / "real.csv"
    code = cli.main(["record", "--device", "AA:BB:CC:DD:EE:FF", "--placement", "thigh", "--side", "left", "-o", str(out), "--timeout", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("sensortrack: error: ")
    assert not out.exists()
    assert cli.main(["scan", "--timeout", "1"]) in (0, 2)  # 0 with an adapter, 2 without
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) <= 1

"""The bumble-backed bleak backend, used only through bleak's public API against bumble peripherals."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.exc import BleakError, BleakGATTProtocolError
from bumble import att, core, data_types
from bumble.core import AdvertisingData
from bumble.device import Device
from bumble.gatt import Characteristic, CharacteristicValue, Service

from sensortrack.drivers.virtual.link import ADVERTISING_INTERVAL_MS, VirtualLink

SERVICE = "12345678-0000-4000-8000-00805f9b0000"
READ_CHAR = "12345678-0001-4000-8000-00805f9b0000"
WRITE_CHAR = "12345678-0002-4000-8000-00805f9b0000"
NOTIFY_CHAR = "12345678-0003-4000-8000-00805f9b0000"
SLOW_CHAR = "12345678-0004-4000-8000-00805f9b0000"
REJECTED = b"\xee"  # the test peripheral refuses this write with an application error


@dataclass
class Peripheral:
    """A small GATT server written directly with bumble (not our code under test)."""

    device: Device
    name: str
    writes: list[bytes] = field(default_factory=list)
    slow_read_started: asyncio.Event = field(default_factory=asyncio.Event)
    notify: Characteristic | None = None

    async def advertise(self) -> None:
        await self.device.start_advertising(
            advertising_interval_min=ADVERTISING_INTERVAL_MS, advertising_interval_max=ADVERTISING_INTERVAL_MS
        )

    async def send(self, payload: bytes) -> None:
        connection = next(iter(self.device.connections.values()))
        await self.device.notify_subscriber(connection, self.notify, payload)

    async def drop(self) -> None:
        await next(iter(self.device.connections.values())).disconnect()


async def make_peripheral(link: VirtualLink, name: str) -> Peripheral:
    device = link.new_peripheral_device(name)
    peripheral = Peripheral(device, name)

    def on_write(_connection: object, value: bytes) -> None:
        if value == REJECTED:
            raise att.ATT_Error(0x80)  # how a GATT server reports an application error
        peripheral.writes.append(bytes(value))

    async def slow_read(_connection: object) -> bytes:
        peripheral.slow_read_started.set()
        await asyncio.sleep(30)
        return b"late"

    peripheral.notify = Characteristic(NOTIFY_CHAR, Characteristic.Properties.NOTIFY, Characteristic.READABLE, b"")
    device.add_services(
        [
            Service(
                SERVICE,
                [
                    Characteristic(READ_CHAR, Characteristic.Properties.READ, Characteristic.READABLE, b"hello"),
                    Characteristic(
                        WRITE_CHAR,
                        Characteristic.Properties.WRITE | Characteristic.Properties.WRITE_WITHOUT_RESPONSE,
                        Characteristic.WRITEABLE,
                        CharacteristicValue(write=on_write),
                    ),
                    peripheral.notify,
                    Characteristic(
                        SLOW_CHAR, Characteristic.Properties.READ, Characteristic.READABLE, CharacteristicValue(read=slow_read)
                    ),
                ],
            )
        ]
    )
    device.advertising_data = bytes(
        AdvertisingData(
            [data_types.CompleteLocalName(name), data_types.IncompleteListOf128BitServiceUUIDs([core.UUID(SERVICE)])]
        )
    )
    await device.power_on()
    await peripheral.advertise()
    return peripheral


@pytest.fixture
async def link() -> AsyncIterator[VirtualLink]:
    yield VirtualLink()


async def find(link: VirtualLink, name: str) -> BLEDevice:
    device = await BleakScanner.find_device_by_name(name, timeout=2.0, backend=link.backend.scanner)
    assert device is not None, f"{name} not found"
    return device


async def test_scan_reports_name_services_and_rssi_and_filters_by_service(link: VirtualLink) -> None:
    alpha = await make_peripheral(link, "alpha")
    other = link.new_peripheral_device("beta-no-service")
    other.advertising_data = bytes(AdvertisingData([data_types.CompleteLocalName("beta-no-service")]))
    await other.power_on()
    await other.start_advertising(advertising_interval_min=ADVERTISING_INTERVAL_MS, advertising_interval_max=ADVERTISING_INTERVAL_MS)

    everything = await BleakScanner.discover(0.3, return_adv=True, backend=link.backend.scanner)
    names = {adv.local_name for _, adv in everything.values()}
    assert names == {"alpha", "beta-no-service"}
    filtered = await BleakScanner.discover(0.3, return_adv=True, service_uuids=[SERVICE], backend=link.backend.scanner)
    [(device, adv)] = filtered.values()
    assert (device.name, adv.local_name, adv.service_uuids) == ("alpha", "alpha", [SERVICE])
    assert -127 < adv.rssi < 0
    assert device.address == alpha.device.random_address.to_string(False)


async def test_connect_discovers_services_and_reads_writes_notifies(link: VirtualLink) -> None:
    peripheral = await make_peripheral(link, "gamma")
    received: list[bytearray] = []
    async with BleakClient(await find(link, "gamma"), backend=link.backend.client) as client:
        assert client.is_connected and client.mtu_size == 247
        service = client.services.get_service(SERVICE)
        assert service is not None
        props = {c.uuid: sorted(c.properties) for c in service.characteristics}
        assert props[READ_CHAR] == ["read"]
        assert props[WRITE_CHAR] == ["write", "write-without-response"]
        assert [d.uuid for d in service.get_characteristic(NOTIFY_CHAR).descriptors] == [
            "00002902-0000-1000-8000-00805f9b34fb"
        ]
        assert await client.read_gatt_char(READ_CHAR) == bytearray(b"hello")
        await client.write_gatt_char(WRITE_CHAR, b"\x01\x02", response=True)
        await client.write_gatt_char(WRITE_CHAR, b"\x03", response=False)
        await client.start_notify(NOTIFY_CHAR, lambda _char, data: received.append(data))
        for i in range(50):
            await peripheral.send(bytes([i]) * 20)
        await asyncio.sleep(0.05)
        await client.stop_notify(NOTIFY_CHAR)
        await peripheral.send(b"after stop")
        await asyncio.sleep(0.05)
    assert peripheral.writes == [b"\x01\x02", b"\x03"]
    assert received == [bytearray([i]) * 20 for i in range(50)]


async def test_att_error_becomes_bleak_gatt_protocol_error(link: VirtualLink) -> None:
    await make_peripheral(link, "delta")
    async with BleakClient(await find(link, "delta"), backend=link.backend.client) as client:
        with pytest.raises(BleakGATTProtocolError) as caught:
            await client.write_gatt_char(WRITE_CHAR, REJECTED, response=True)
        assert caught.value.code == 0x80
        await client.write_gatt_char(WRITE_CHAR, b"ok", response=True)  # the link survived


async def test_disconnected_callback_runs_only_for_unsolicited_disconnects(link: VirtualLink) -> None:
    peripheral = await make_peripheral(link, "epsilon")
    calls: list[BleakClient] = []
    lost = asyncio.Event()

    def on_disconnect(client: BleakClient) -> None:
        calls.append(client)
        lost.set()

    client = BleakClient(await find(link, "epsilon"), disconnected_callback=on_disconnect, backend=link.backend.client)
    await client.connect()
    await peripheral.drop()
    await asyncio.wait_for(lost.wait(), 2.0)
    assert calls == [client] and not client.is_connected

    await peripheral.advertise()
    await client.connect()
    await client.disconnect()
    await asyncio.sleep(0.05)
    assert calls == [client]  # our own disconnect() is not reported


async def test_connecting_to_a_silent_device_times_out_and_the_link_stays_usable(link: VirtualLink) -> None:
    """bumble 0.0.236 never completes a cancelled connection; SpecController does."""
    peripheral = await make_peripheral(link, "zeta")
    device = await find(link, "zeta")
    await peripheral.device.stop_advertising()
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await BleakClient(device, timeout=0.3, backend=link.backend.client).connect()
    assert time.monotonic() - started < 2.0
    await peripheral.advertise()
    async with BleakClient(device, timeout=2.0, backend=link.backend.client) as client:
        assert client.is_connected


async def test_link_drop_during_a_pending_request_raises_bleak_error_not_cancellation(link: VirtualLink) -> None:
    peripheral = await make_peripheral(link, "eta")
    client = BleakClient(await find(link, "eta"), backend=link.backend.client)
    await client.connect()
    read = asyncio.create_task(client.read_gatt_char(SLOW_CHAR))
    await asyncio.wait_for(peripheral.slow_read_started.wait(), 2.0)
    await peripheral.drop()
    with pytest.raises(BleakError, match="disconnected"):
        await asyncio.wait_for(read, 2.0)
    assert not read.cancelled()


async def test_cancelling_the_caller_still_cancels(link: VirtualLink) -> None:
    peripheral = await make_peripheral(link, "theta")
    async with BleakClient(await find(link, "theta"), backend=link.backend.client) as client:
        read = asyncio.create_task(client.read_gatt_char(SLOW_CHAR))
        await asyncio.wait_for(peripheral.slow_read_started.wait(), 2.0)
        read.cancel()
        with pytest.raises(asyncio.CancelledError):
            await read


async def test_two_clients_connect_at_once_to_two_devices(link: VirtualLink) -> None:
    await make_peripheral(link, "iota")
    await make_peripheral(link, "kappa")
    devices = [await find(link, "iota"), await find(link, "kappa")]
    clients = [BleakClient(d, timeout=2.0, backend=link.backend.client) for d in devices]
    await asyncio.gather(*(c.connect() for c in clients))  # queued on the link's connect lock
    assert [await c.read_gatt_char(READ_CHAR) for c in clients] == [bytearray(b"hello")] * 2
    await asyncio.gather(*(c.disconnect() for c in clients))

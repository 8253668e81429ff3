"""A bleak backend over the in-process bumble link: `BleakScanner`/`BleakClient` with no radio.

Code that uses only bleak's public API runs unchanged against virtual peripherals:

    backend = link.backend
    async with BleakScanner(backend=backend.scanner) as scanner: ...
    client = BleakClient(ble_device, disconnected_callback=cb, backend=backend.client)

The classes implement bleak 3.1's `BaseBleakScanner`/`BaseBleakClient` (tests/test_ble_conformance.py
fails when the parts of bleak relied on here change). Behaviour follows the platform backends:
connect timeouts raise `TimeoutError`, ATT error responses raise `BleakGATTProtocolError`, and a
link that drops while a GATT request is pending raises `BleakError` — bumble reports that case as
`asyncio.CancelledError`, which must not leak out as if the caller's task had been cancelled.
"""

from __future__ import annotations

import asyncio
import logging
import uuid as uuid_module
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

from bleak.args import SizedBuffer
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError
from bleak.uuids import normalize_uuid_16, normalize_uuid_32
from bumble import att, core, hci
from bumble.device import Advertisement, Connection
from bumble.gatt_client import CharacteristicProxy, ServiceProxy

from sensortrack.drivers.backend import BleBackend
from sensortrack.drivers.virtual.link import VirtualLink

_LOG = logging.getLogger(__name__)
_T = TypeVar("_T")

# What BlueZ and Android ask for at connection; the virtual peripherals accept up to bumble's 517.
REQUESTED_MTU = 247

_PROPERTY_NAMES = {
    0x01: "broadcast",
    0x02: "read",
    0x04: "write-without-response",
    0x08: "write",
    0x10: "notify",
    0x20: "indicate",
    0x40: "authenticated-signed-writes",
    0x80: "extended-properties",
}


def uuid_text(value: core.UUID | bytes) -> str:
    """A bumble UUID (or its little-endian bytes) in bleak's normalised lower-case form."""
    raw = value.uuid_bytes if isinstance(value, core.UUID) else value
    if len(raw) == 2:
        return normalize_uuid_16(int.from_bytes(raw, "little"))
    if len(raw) == 4:
        return normalize_uuid_32(int.from_bytes(raw, "little"))
    return str(uuid_module.UUID(bytes=bytes(reversed(raw))))


def _uuid_list(data: bytes, size: int) -> list[str]:
    return [uuid_text(data[i : i + size]) for i in range(0, len(data) - size + 1, size)]


def advertisement_data(adv: Advertisement) -> AdvertisementData:
    """bleak's view of one bumble advertisement (AD types: Core Supplement Part A §1)."""
    name: str | None = None
    service_uuids: list[str] = []
    manufacturer: dict[int, bytes] = {}
    service_data: dict[str, bytes] = {}
    tx_power: int | None = None
    for ad_type, data in adv.data.ad_structures:
        match int(ad_type):
            case 0x08 | 0x09:  # shortened / complete local name
                if name is None or int(ad_type) == 0x09:
                    name = data.decode("utf-8", errors="replace")
            case 0x02 | 0x03:
                service_uuids += _uuid_list(data, 2)
            case 0x04 | 0x05:
                service_uuids += _uuid_list(data, 4)
            case 0x06 | 0x07:
                service_uuids += _uuid_list(data, 16)
            case 0x0A if len(data) == 1:
                tx_power = int.from_bytes(data, "little", signed=True)
            case 0xFF if len(data) >= 2:
                manufacturer[int.from_bytes(data[:2], "little")] = data[2:]
            case 0x16 if len(data) >= 2:
                service_data[uuid_text(data[:2])] = data[2:]
            case 0x20 if len(data) >= 4:
                service_data[uuid_text(data[:4])] = data[4:]
            case 0x21 if len(data) >= 16:
                service_data[uuid_text(data[:16])] = data[16:]
            case _:
                pass
    return AdvertisementData(
        local_name=name,
        manufacturer_data=manufacturer,
        service_data=service_data,
        service_uuids=list(dict.fromkeys(service_uuids)),  # a scan response repeats the AD data
        tx_power=tx_power,
        rssi=adv.rssi,
        platform_data=(adv,),
    )


class BumbleScanner(BaseBleakScanner):
    """Scans the virtual link; bound to one link by `backend_for`."""

    _link: ClassVar[VirtualLink]

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._active = scanning_mode != "passive"
        self._scanning = False

    async def start(self) -> None:
        link = self._link
        if link.faults.scan_error is not None:
            raise link.faults.scan_error
        self.seen_devices = {}
        await link.power_on()
        link.central.on(link.central.EVENT_ADVERTISEMENT, self._on_advertisement)
        self._scanning = True
        if not link.central.is_scanning:
            await link.central.start_scanning(active=self._active, filter_duplicates=False)

    async def stop(self) -> None:
        if not self._scanning:
            return
        link = self._link
        self._scanning = False
        link.central.remove_listener(link.central.EVENT_ADVERTISEMENT, self._on_advertisement)
        still_listening = link.central.listeners(link.central.EVENT_ADVERTISEMENT)
        if link.central.is_scanning and not still_listening:
            await link.central.stop_scanning()

    def _on_advertisement(self, adv: Advertisement) -> None:
        data = advertisement_data(adv)
        if not self.is_allowed_uuid(data.service_uuids):
            return
        address = adv.address.to_string(False)
        device = self.create_or_update_device(address, address, data.local_name, adv.address, data)
        self.call_detection_callbacks(device, data)


class BumbleClient(BaseBleakClient):
    """A GATT client on the virtual link's central; bound to one link by `backend_for`."""

    _link: ClassVar[VirtualLink]

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 10.0,
        services: set[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout)
        self._peer: hci.Address | None = None
        self._name = self.address
        if isinstance(address_or_ble_device, BLEDevice):
            if isinstance(address_or_ble_device.details, hci.Address):
                self._peer = address_or_ble_device.details
            self._name = address_or_ble_device.name or self.address
        self._wanted_services = services
        self._connection: Connection | None = None
        self._closing = False
        self._subscribers: dict[int, Callable[[bytes], None]] = {}

    # ---- properties ----

    @property
    def name(self) -> str:
        return self._name

    @property
    def mtu_size(self) -> int:
        return self._connection.att_mtu if self._connection is not None else att.ATT_DEFAULT_MTU

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    # ---- connection ----

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        if self._connection is not None:
            raise BleakError("Client is already connected")
        link = self._link
        if link.faults.connect_error is not None:
            raise link.faults.connect_error
        await link.power_on()
        peer = self._peer or link.find_address(self.address)
        if peer is None:
            raise BleakDeviceNotFoundError(self.address, f"Device with address {self.address} was not found.")
        timeout = float(kwargs.get("timeout", self._timeout))
        async with link.connect_lock:  # one pending LE connection per bumble device
            try:
                connection = await link.central.connect(peer, timeout=timeout)
            except core.TimeoutError:
                raise TimeoutError(f"no connection to {self.address} within {timeout:g} s") from None
            except core.ConnectionError as exc:
                raise BleakError(f"connection to {self.address} failed: {exc}") from None
        self._connection = connection
        self._closing = False
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
        try:
            await self._gatt("MTU exchange", connection.gatt_client.request_mtu(REQUESTED_MTU))
            self.services = await self._discover(connection)
        except BaseException:
            await self.disconnect()
            raise

    async def _discover(self, connection: Connection) -> BleakGATTServiceCollection:
        gatt = connection.gatt_client
        wanted = [core.UUID(u) for u in self._wanted_services] if self._wanted_services else []
        collection = BleakGATTServiceCollection()
        proxies: list[ServiceProxy] = await self._gatt("service discovery", gatt.discover_services(wanted))
        for service_proxy in proxies:
            service = BleakGATTService(service_proxy, service_proxy.handle, uuid_text(service_proxy.uuid))
            collection.add_service(service)
            await self._gatt("characteristic discovery", service_proxy.discover_characteristics())
            for char_proxy in service_proxy.characteristics:
                properties = [n for bit, n in _PROPERTY_NAMES.items() if char_proxy.properties & bit]
                characteristic = BleakGATTCharacteristic(
                    char_proxy,
                    char_proxy.handle,
                    uuid_text(char_proxy.uuid),
                    # bleak wants its Literal property names: these are _PROPERTY_NAMES' values, all of them
                    properties,  # type: ignore[arg-type]
                    lambda: self.mtu_size - 3,
                    service,
                )
                collection.add_characteristic(characteristic)
                await self._gatt("descriptor discovery", char_proxy.discover_descriptors())
                for descriptor_proxy in char_proxy.descriptors:
                    collection.add_descriptor(
                        BleakGATTDescriptor(
                            descriptor_proxy,
                            descriptor_proxy.handle,
                            uuid_text(descriptor_proxy.type),
                            characteristic,
                        )
                    )
        return collection

    def _on_disconnection(self, reason: int) -> None:
        # Runs inside bumble's event dispatch: only record the fact and hand it on, never raise.
        self._connection = None
        self._subscribers.clear()
        if self._closing or self._disconnected_callback is None:
            return
        try:
            self._disconnected_callback()
        except Exception:  # the application's callback must not break the link
            _LOG.exception("disconnected_callback raised")

    async def disconnect(self) -> None:
        connection = self._connection
        if connection is None:
            return
        self._closing = True
        try:
            await self._link.central.disconnect(connection, hci.HCI_REMOTE_USER_TERMINATED_CONNECTION_ERROR)
        except (core.BaseBumbleError, asyncio.CancelledError):
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            # already gone: nothing left to close
        finally:
            self._connection = None

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        raise BleakError("pairing is not supported on the virtual link")

    async def unpair(self) -> None:
        raise BleakError("pairing is not supported on the virtual link")

    # ---- GATT ----

    def _require(self) -> Connection:
        if self._connection is None:
            raise BleakError("Not connected")
        return self._connection

    async def _gatt(self, what: str, operation: Awaitable[_T]) -> _T:
        """Await a bumble GATT operation, translating its failures to what bleak callers expect."""
        try:
            return await operation
        except att.ATT_Error as exc:
            raise BleakGATTProtocolError(int(exc.error_code)) from None
        except core.TimeoutError:
            raise TimeoutError(f"{what}: no response from the device") from None
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._connection is None and (task is None or not task.cancelling()):
                # bumble cancels the pending request when the link drops (field-notes §4).
                raise BleakError(f"{what} failed: device disconnected") from None
            raise

    def _characteristic(self, characteristic: BleakGATTCharacteristic) -> CharacteristicProxy[bytes]:
        self._require()
        return characteristic.obj  # type: ignore[no-any-return]  # bleak types `obj` (the backend's own object) as Any

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        proxy = self._characteristic(characteristic)
        gatt = self._require().gatt_client
        if use_cached and proxy.handle in gatt.cached_values:
            return bytearray(gatt.cached_values[proxy.handle][1])
        value = await self._gatt(f"read {characteristic.uuid}", gatt.read_value(proxy.handle))
        return bytearray(value)

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        gatt = self._require().gatt_client
        value = await self._gatt(f"read descriptor {descriptor.uuid}", gatt.read_value(descriptor.handle))
        return bytearray(value)

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        proxy = self._characteristic(characteristic)
        gatt = self._require().gatt_client
        await self._gatt(
            f"write {characteristic.uuid}",
            gatt.write_value(proxy.handle, bytes(data), with_response=response),
        )

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: SizedBuffer) -> None:
        gatt = self._require().gatt_client
        await self._gatt(
            f"write descriptor {descriptor.uuid}",
            gatt.write_value(descriptor.handle, bytes(data), with_response=True),
        )

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        proxy = self._characteristic(characteristic)
        gatt = self._require().gatt_client

        def deliver(value: bytes) -> None:
            # Called from bumble's PDU dispatch: an exception here would break the link for
            # everyone, so report it like an unhandled callback error and carry on.
            try:
                callback(bytearray(value))
            except Exception as exc:
                asyncio.get_running_loop().call_exception_handler(
                    {"message": "notification callback raised", "exception": exc}
                )

        self._subscribers[proxy.handle] = deliver
        await self._gatt(f"start notify {characteristic.uuid}", gatt.subscribe(proxy, deliver))

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        proxy = self._characteristic(characteristic)
        gatt = self._require().gatt_client
        deliver = self._subscribers.pop(proxy.handle, None)
        await self._gatt(f"stop notify {characteristic.uuid}", gatt.unsubscribe(proxy, deliver))


def backend_for(link: VirtualLink) -> BleBackend:
    """Scanner and client classes bound to `link` (bleak instantiates the classes itself)."""
    scanner = type("VirtualBleakScanner", (BumbleScanner,), {"_link": link})
    client = type("VirtualBleakClient", (BumbleClient,), {"_link": link})
    return BleBackend(scanner=scanner, client=client, name=f"virtual-link-{link.link_id}", virtual=True)

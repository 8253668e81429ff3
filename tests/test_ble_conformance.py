"""Fails when the bleak internals the virtual backend (drivers/virtual/bleak_backend.py) relies on change.

bleak documents `backend=` but not the base classes' constructor contracts or the GATT object
constructors a backend must call; these tests pin exactly what we use, so a bleak upgrade breaks
here with a precise message rather than somewhere inside a recording. (Same idea as
Bluetooth-Devices/bleak-retry-connector's tests/test_bleak_conformance.py.)
"""

from __future__ import annotations

import inspect
from importlib.metadata import version

import pytest
from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakBluetoothNotAvailableReason,
    BleakDBusError,
    BleakDeviceNotFoundError,
    BleakGATTProtocolError,
)

from sensortrack.drivers.virtual.bleak_backend import BumbleClient, BumbleScanner


def params(func: object) -> list[str]:
    return list(inspect.signature(func).parameters)  # type: ignore[arg-type]


def abstract_methods(cls: type) -> set[str]:
    return set(getattr(cls, "__abstractmethods__", set()))


def test_bleak_is_the_major_version_the_backend_was_written_for() -> None:
    assert version("bleak").split(".")[0] == "3"


def test_our_backend_implements_every_abstract_method() -> None:
    assert abstract_methods(BaseBleakScanner) == {"start", "stop"}
    assert abstract_methods(BaseBleakClient) == {
        "mtu_size", "connect", "disconnect", "pair", "unpair", "is_connected", "read_gatt_char",
        "read_gatt_descriptor", "write_gatt_char", "write_gatt_descriptor", "start_notify", "stop_notify",
    }  # fmt: skip
    assert abstract_methods(BumbleScanner) == set()
    assert abstract_methods(BumbleClient) == set()


def test_bleak_scanner_constructs_its_backend_as_we_expect() -> None:
    source = inspect.getsource(BleakScanner.__init__)
    # detection_callback, service_uuids, scanning_mode positionally, the rest as keywords.
    assert "detection_callback,\n            service_uuids,\n            scanning_mode," in source
    assert params(BaseBleakScanner.__init__) == ["self", "detection_callback", "service_uuids"]
    for helper in ("create_or_update_device", "call_detection_callbacks", "is_allowed_uuid", "register_detection_callback"):
        assert callable(getattr(BaseBleakScanner, helper)), helper
    assert params(BaseBleakScanner.create_or_update_device) == ["self", "key", "address", "name", "details", "adv"]
    assert params(BaseBleakScanner.call_detection_callbacks) == ["self", "device", "advertisement_data"]
    assert "seen_devices" in BaseBleakScanner.__annotations__


def test_bleak_client_constructs_its_backend_as_we_expect() -> None:
    source = inspect.getsource(BleakClient.__init__)
    for keyword in ("disconnected_callback=", "services=", "timeout=timeout", "bluez=bluez", "winrt=winrt"):
        assert keyword in source, keyword
    assert params(BaseBleakClient.__init__) == ["self", "address_or_ble_device", "disconnected_callback", "timeout", "kwargs"]
    assert params(BaseBleakClient.connect) == ["self", "pair", "kwargs"]
    assert params(BaseBleakClient.write_gatt_char) == ["self", "characteristic", "data", "response"]
    assert params(BaseBleakClient.start_notify) == ["self", "characteristic", "callback", "kwargs"]
    # The callback reaching a backend takes the data only (BleakClient binds the characteristic).
    assert "functools.partial(callback, characteristic)" in inspect.getsource(BleakClient.start_notify)


def test_gatt_object_constructors_are_unchanged() -> None:
    assert params(BleakGATTService.__init__) == ["self", "obj", "handle", "uuid"]
    assert params(BleakGATTCharacteristic.__init__) == [
        "self", "obj", "handle", "uuid", "properties", "max_write_without_response_size", "service",
    ]  # fmt: skip
    assert params(BleakGATTDescriptor.__init__) == ["self", "obj", "handle", "uuid", "characteristic"]
    for method in ("add_service", "add_characteristic", "add_descriptor"):
        assert params(getattr(BleakGATTServiceCollection, method)) == ["self", method.removeprefix("add_")]
    assert params(BLEDevice.__init__) == ["self", "address", "name", "details", "kwargs"]
    assert AdvertisementData._fields == (
        "local_name", "manufacturer_data", "service_data", "service_uuids", "tx_power", "rssi", "platform_data",
    )  # fmt: skip


def test_exceptions_the_driver_translates_keep_their_shape() -> None:
    assert BleakGATTProtocolError(0x0E).code == 0x0E
    assert BleakDeviceNotFoundError("AA:BB", "gone").identifier == "AA:BB"
    error = BleakDBusError("org.bluez.Error.NotPermitted", ["nope"])
    assert (error.dbus_error, error.dbus_error_details) == ("org.bluez.Error.NotPermitted", "nope")
    reasons = {r.name for r in BleakBluetoothNotAvailableReason}
    assert {"NO_BLUETOOTH", "NO_BLE_CENTRAL_ROLE", "POWERED_OFF", "DENIED_BY_USER", "DENIED_BY_SYSTEM"} <= reasons
    assert BleakBluetoothNotAvailableError("off", BleakBluetoothNotAvailableReason.POWERED_OFF).reason is (
        BleakBluetoothNotAvailableReason.POWERED_OFF
    )


@pytest.mark.parametrize("cls", [BleakScanner, BleakClient])
def test_backend_keyword_is_still_accepted(cls: type) -> None:
    assert "backend" in inspect.signature(cls.__init__).parameters


def test_bumble_internals_the_virtual_link_shadows_are_unchanged() -> None:
    """drivers/virtual/link.py re-implements four small bumble methods without their per-packet
    debug formatting, and completes the LE connection cancel bumble leaves hanging."""
    from bumble.controller import Controller
    from bumble.host import Host

    assert version("bumble") == "0.0.236"
    controller_send = inspect.getsource(Controller.send_hci_packet)
    assert "call_soon(self.host.on_packet, bytes(packet))" in controller_send
    controller_receive = inspect.getsource(Controller.on_hci_packet)
    for call in ("self.on_hci_command_packet(packet)", "self.on_hci_acl_data_packet(packet)", "self.on_hci_event_packet(packet)"):
        assert call in controller_receive, call
    host_send = inspect.getsource(Host.send_hci_packet)
    assert "self.snooper" in host_send and "self.hci_sink.on_packet(bytes(packet))" in host_send
    host_receive = inspect.getsource(Host.on_hci_packet)
    for call in ("self.on_hci_event_packet(packet)", "self.on_hci_acl_data_packet(packet)"):
        assert call in host_receive, call
    # QuietHost.on_command_processed guards this call on a future that may already be done.
    assert "self.pending_response.set_result(event)" in inspect.getsource(Host.on_command_processed)
    # Still the bug SpecController fixes: cancel returns success and completes nothing.
    cancel = inspect.getsource(Controller.on_hci_le_create_connection_cancel_command)
    assert "pending_le_connection" not in cancel

"""bleak and OS Bluetooth failures → one `DeviceError` whose message says what to do.

The supervisor retries what time can fix (device out of range, busy, link lost) and stops on what
it cannot (no adapter, Bluetooth off, no permission): `fatal` tells them apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sensortrack.core.errors import DeviceError

if TYPE_CHECKING:  # bleak loads when an error is translated (it was raised by bleak or the OS)
    from bleak.exc import BleakBluetoothNotAvailableReason, BleakDBusError


class BluetoothUnavailableError(DeviceError):
    """No adapter, adapter off, or no Bluetooth service: nothing will work until the user acts."""

    fatal = True


class BluetoothPermissionError(DeviceError):
    """The OS refused access to Bluetooth."""

    fatal = True


class SensorNotFoundError(DeviceError):
    fatal = False


class SensorBusyError(DeviceError):
    fatal = False


class SensorRefusedError(DeviceError):
    """The sensor answered its configuration with a refusal it would repeat on every attempt
    (e.g. a range it cannot measure at): retrying cannot help."""

    fatal = True


class SensorConnectionError(DeviceError):
    """Connecting or talking to the sensor failed in a way a retry may fix."""

    fatal = False


_VIRTUAL_HINT = " (or try without hardware: --virtual MODEL --from SESSION)"

# BlueZ D-Bus error names (bluez.git doc/org.bluez.Device.rst, org.freedesktop.DBus spec).
_DBUS_PERMISSION = ("org.bluez.Error.NotPermitted", "org.bluez.Error.NotAuthorized", "org.freedesktop.DBus.Error.AccessDenied")
_DBUS_BUSY = ("org.bluez.Error.InProgress", "org.bluez.Error.AlreadyConnected", "org.bluez.Error.Busy")
_DBUS_UNAVAILABLE = ("org.bluez.Error.NotReady", "org.freedesktop.DBus.Error.ServiceUnknown", "org.bluez.Error.NoSuchAdapter")
_DBUS_NOT_FOUND = ("org.bluez.Error.DoesNotExist", "org.freedesktop.DBus.Error.UnknownObject")


def is_fatal(error: DeviceError) -> bool:
    return error.fatal


def bluetooth_unavailable(reason: BleakBluetoothNotAvailableReason | None, detail: str = "") -> DeviceError:
    from bleak.exc import BleakBluetoothNotAvailableReason as R
    if reason is R.POWERED_OFF:
        return BluetoothUnavailableError(
            "Bluetooth is turned off: switch it on (system settings, or `bluetoothctl power on`) and try again"
        )
    if reason in (R.DENIED_BY_USER, R.DENIED_BY_SYSTEM, R.DENIED_BY_UNKNOWN):
        return BluetoothPermissionError(
            "this program is not allowed to use Bluetooth: grant the permission in the system settings "
            "(Linux: add your user to the 'bluetooth' group and log in again)" + (f" [{detail}]" if detail else "")
        )
    if reason is R.NO_BLE_CENTRAL_ROLE:
        return BluetoothUnavailableError(
            "the Bluetooth adapter cannot connect to BLE sensors (no Bluetooth Low Energy central role): "
            "use a Bluetooth 4.0 or newer adapter" + _VIRTUAL_HINT
        )
    if reason is R.NO_BLUETOOTH:
        return BluetoothUnavailableError(
            "no Bluetooth adapter found: plug in a Bluetooth 4.0 or newer adapter" + _VIRTUAL_HINT
        )
    return BluetoothUnavailableError(f"Bluetooth is not available{': ' + detail if detail else ''}" + _VIRTUAL_HINT)


def device_error(exc: BaseException, target: str) -> DeviceError:
    """The DeviceError for `exc`, raised while scanning for or talking to `target` ("sensor X")."""
    if isinstance(exc, DeviceError):
        return exc
    from bleak.exc import BleakBluetoothNotAvailableError, BleakDBusError, BleakDeviceNotFoundError, BleakError

    if isinstance(exc, BleakBluetoothNotAvailableError):
        return bluetooth_unavailable(exc.reason, str(exc.args[0]) if exc.args else "")
    if isinstance(exc, BleakDBusError):
        return _dbus_error(exc, target)
    if isinstance(exc, BleakDeviceNotFoundError):
        return SensorNotFoundError(
            f"{target} was not found: check it is switched on, charged and within a few metres, "
            "then run `sensortrack scan` to see what is in range"
        )
    if isinstance(exc, TimeoutError):
        return SensorNotFoundError(
            f"{target} did not answer: it may be off, out of range, or connected to another app or phone "
            "(close the vendor app) — then try again"
        )
    if isinstance(exc, PermissionError):
        return BluetoothPermissionError(
            f"permission denied while using Bluetooth ({exc.strerror or exc}): add your user to the "
            "'bluetooth' group (Linux) or grant Bluetooth access in the system settings"
        )
    if isinstance(exc, FileNotFoundError | ConnectionRefusedError):
        # bleak's BlueZ backend reaches bluetoothd through the D-Bus system bus socket.
        return BluetoothUnavailableError(
            "the Bluetooth service is not reachable (no D-Bus system bus or BlueZ): start it with "
            "`sudo systemctl start bluetooth`; in a container, share the host's D-Bus socket" + _VIRTUAL_HINT
        )
    if isinstance(exc, BleakError):
        return SensorConnectionError(f"{target}: {exc}")
    if isinstance(exc, OSError):
        return SensorConnectionError(f"{target}: Bluetooth I/O error: {exc.strerror or exc}")
    return SensorConnectionError(f"{target}: {type(exc).__name__}: {exc}")


def _dbus_error(exc: BleakDBusError, target: str) -> DeviceError:
    name = exc.dbus_error
    details = exc.dbus_error_details or ""
    if name in _DBUS_PERMISSION:
        return BluetoothPermissionError(
            f"Bluetooth access denied ({name}): add your user to the 'bluetooth' group and log in again, "
            "or check the D-Bus policy for org.bluez"
        )
    if name in _DBUS_UNAVAILABLE:
        if name == "org.bluez.Error.NotReady":
            from bleak.exc import BleakBluetoothNotAvailableReason

            return bluetooth_unavailable(BleakBluetoothNotAvailableReason.POWERED_OFF)
        return BluetoothUnavailableError(
            f"the Bluetooth service is not running ({name}): start it with `sudo systemctl start bluetooth`"
            + _VIRTUAL_HINT
        )
    if name in _DBUS_BUSY or "le-connection-abort-by-local" in details:
        return SensorBusyError(
            f"{target} is busy ({name}): it may be connected to another app, phone or computer — close "
            "that connection (or switch the sensor off and on) and try again"
        )
    if name in _DBUS_NOT_FOUND:
        return SensorNotFoundError(
            f"{target} is no longer known to the Bluetooth service: run `sensortrack scan` while it is switched on"
        )
    return SensorConnectionError(f"{target}: Bluetooth error {exc}")

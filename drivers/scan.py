"""Finding sensors: which nearby devices are supported, and the one the user asked for.

Scans are not filtered by the OS on service UUIDs: Polar sensors are only recognisable by name
(their advertisement lists the heart-rate service, not PMD), so matching happens here, against the
families' `ScanMatch` rules in the protocol registry.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sensortrack.drivers.backend import SYSTEM_BACKEND, BleBackend
from sensortrack.drivers.ble_errors import SensorNotFoundError, device_error
from sensortrack.drivers.protocols.base import FamilyDescriptor
from sensortrack.drivers.protocols.registry import FAMILIES, family_for_advertisement
from sensortrack.core.errors import ConfigError

if TYPE_CHECKING:  # bleak itself loads when a scan starts: a replay or a file import never needs it
    from bleak.backends.device import BLEDevice
    from bleak.backends.scanner import AdvertisementData

_ADDRESS = re.compile(r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f-]{36}$")  # MAC, or macOS UUID


@dataclass(frozen=True, slots=True)
class FoundSensor:
    name: str
    address: str
    rssi: int
    family: FamilyDescriptor | None  # None: not a sensor we support (listed only with include_all)
    device: BLEDevice = field(compare=False, repr=False)

    @property
    def model(self) -> str:
        return self.family.model if self.family else "-"

    @property
    def supported(self) -> bool:
        return self.family is not None


def family_by_model(model: str) -> FamilyDescriptor:
    """The family of a model id given by the user (ConfigError listing the ids otherwise)."""
    family = FAMILIES.get(model.strip().lower())
    if family is None:
        raise ConfigError(f"unknown sensor model '{model}'; supported models: {', '.join(FAMILIES)}")
    return family


def looks_like_address(text: str) -> bool:
    return bool(_ADDRESS.match(text))


def _found(device: BLEDevice, adv: AdvertisementData) -> FoundSensor:
    name = adv.local_name or device.name or ""
    return FoundSensor(
        name=name,
        address=device.address,
        rssi=adv.rssi,
        family=family_for_advertisement(name, adv.service_uuids),
        device=device,
    )


async def scan_sensors(
    timeout_s: float = 5.0, *, include_all: bool = False, backend: BleBackend = SYSTEM_BACKEND
) -> list[FoundSensor]:
    """Devices heard within `timeout_s`, supported ones first, strongest signal first."""
    from bleak import BleakScanner

    try:
        # bleak's overloads leave out backend=None, which its implementation takes as "the platform's own"
        seen = await BleakScanner.discover(timeout=timeout_s, return_adv=True, backend=backend.scanner)  # type: ignore[call-overload]
    except Exception as exc:  # bleak and the OS raise a zoo of types; translate them all
        raise device_error(exc, "the Bluetooth scan") from None
    found = [_found(device, adv) for device, adv in seen.values()]
    if not include_all:
        found = [f for f in found if f.supported]
    return sorted(found, key=lambda f: (not f.supported, -f.rssi, f.name))


async def find_sensor(
    name_or_address: str,
    timeout_s: float = 10.0,
    *,
    model: str | None = None,
    backend: BleBackend = SYSTEM_BACKEND,
) -> FoundSensor:
    """The first device whose address or advertised name equals `name_or_address` (name: also
    case-insensitive). Its family comes from `model` if given, else from the advertisement."""
    from bleak import BleakScanner

    wanted = name_or_address.strip()
    by_address = looks_like_address(wanted)

    def matches(device: BLEDevice, adv: AdvertisementData) -> bool:
        if by_address:
            return device.address.lower() == wanted.lower()
        name = adv.local_name or device.name or ""
        return name == wanted or name.lower() == wanted.lower()

    hit: asyncio.Future[FoundSensor] = asyncio.get_running_loop().create_future()

    def on_advertisement(device: BLEDevice, adv: AdvertisementData) -> None:
        if not hit.done() and matches(device, adv):
            hit.set_result(_found(device, adv))

    try:
        async with BleakScanner(on_advertisement, backend=backend.scanner):
            # Not wait_for: on Python 3.11 it loses a cancellation that arrives as `hit` is set
            # (CPython gh-86296), and the caller would carry on as if never cancelled.
            async with asyncio.timeout(timeout_s):
                found = await hit
    except TimeoutError:
        raise SensorNotFoundError(
            f"no sensor called '{wanted}' answered within {timeout_s:g} s: check it is switched on, "
            "charged and close by; `sensortrack scan` lists what is in range"
        ) from None
    except Exception as exc:
        raise device_error(exc, "the Bluetooth scan") from None
    if model is not None:
        found = FoundSensor(found.name, found.address, found.rssi, FAMILIES[model], found.device)
    if found.family is None:
        raise SensorNotFoundError(
            f"'{found.name or found.address}' is not a supported sensor (supported: {', '.join(FAMILIES)})"
        )
    return found

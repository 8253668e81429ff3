"""The standard BLE Battery Service: one read of the Battery Level when a sensor connects.

Battery Service 0x180F, Battery Level 0x2A19: one unsigned byte, percent 0–100 (Bluetooth SIG,
Battery Service 1.1 and the GATT Specification Supplement). Polar sensors and the Nordic Thingy:52
serve it; WitMotion (a voltage register) and Movella DOT (their own characteristic) do not, and
are shown without a battery level. A value beyond 100 is garbage: no level, never an error.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bleak import BleakClient

BATTERY_SERVICE_UUID = "0000180f-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL_UUID = "00002a19-0000-1000-8000-00805f9b34fb"
# The virtual peripherals serve the Battery Service for the models whose real sensors have it.
MODELS_WITH_BATTERY_SERVICE = frozenset({"polar_h10", "polar_verity", "thingy52", "open_profile"})


async def read_battery_pct(client: BleakClient, timeout_s: float) -> int | None:
    """The Battery Level in percent, or None when the sensor has no Battery Service or the read fails."""
    from bleak.exc import BleakError  # loaded already: the client is connected

    characteristic = client.services.get_characteristic(BATTERY_LEVEL_UUID)
    if characteristic is None:
        return None
    try:
        async with asyncio.timeout(timeout_s):
            data = await client.read_gatt_char(characteristic)
    except (BleakError, TimeoutError, OSError):
        return None
    if len(data) < 1 or data[0] > 100:
        return None
    return int(data[0])

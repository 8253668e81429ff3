"""Names virtual sensors advertise: what the real products put in their advertising data."""

from __future__ import annotations

from sensortrack.drivers.protocols.base import FamilyDescriptor

# Examples of real advertised names (product docs and the scan patterns in drivers/protocols/),
# with made-up serial numbers.
_NAMES: dict[str, str] = {
    "witmotion": "WT901BLE68",
    "movesense": "Movesense 220330000123",
    "polar_verity": "Polar Sense 1A2B3C4D",
    "polar_h10": "Polar H10 5E6F7A8B",
    "movella_dot": "Movella DOT",
    "thingy52": "Thingy",
    "open_profile": "sensortrack-1A2B",
}


def advertised_name(family: FamilyDescriptor) -> str:
    """A name the family's scan rule recognises (checked by tests/test_ble_virtual.py)."""
    return _NAMES.get(family.model, family.display_name)

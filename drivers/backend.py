"""Which bleak backend the driver uses: the platform's own (BlueZ, WinRT, CoreBluetooth) or another.

bleak takes a third-party backend class per object (`BleakScanner(..., backend=Cls)`,
`BleakClient(..., backend=Cls)`); the driver passes these through and never looks inside, so the
virtual link (drivers/virtual/) and real radios run the same driver code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # bleak loads where a radio is used, not for a replay or an import (issue 12)
    from bleak.backends.client import BaseBleakClient
    from bleak.backends.scanner import BaseBleakScanner


@dataclass(frozen=True, slots=True)
class BleBackend:
    scanner: type[BaseBleakScanner] | None = None  # None: bleak picks the platform backend
    client: type[BaseBleakClient] | None = None
    name: str = "system"
    # True for in-process links: no OS Bluetooth stack is involved, so OS-level advice in error
    # messages ("turn Bluetooth on") does not apply.
    virtual: bool = False


SYSTEM_BACKEND = BleBackend()

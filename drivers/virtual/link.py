"""An in-process BLE radio: bumble controllers on one `LocalLink`, one central, any peripherals.

Everything runs on the one asyncio loop that created the link (bumble has no threads). The central
is what the bleak backend in `bleak_backend.py` drives; peripherals are added by `VirtualSensor`.

Pitfalls of bumble 0.0.236 handled here (field-notes §4):
- its emulated controller never completes a cancelled LE connection, so connecting to a device that
  is not advertising hangs forever: `SpecController` completes the cancel as the Core spec says;
- it logs through `logging` and would print warnings via the last-resort handler: silenced unless
  the application configures logging itself;
- its controller and host format every HCI packet into a debug message (f-strings, evaluated even
  with logging off), which was ~40 % of the CPU a virtual stream costs: `SpecController` and
  `QuietHost` skip that formatting unless bumble's debug logging is on, and otherwise dispatch
  exactly as bumble 0.0.236 does (tests/test_ble_conformance.py checks that code is unchanged).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bumble import hci
from bumble.controller import Controller
from bumble.device import Device
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

from sensortrack.drivers.clock import HostClock, MonotonicClock

if TYPE_CHECKING:  # bleak_backend imports this module: the backend type is named for the checker only
    from sensortrack.drivers.backend import BleBackend

# A handler on "bumble" keeps its warnings ("GATT Request timeout", ...) off the user's terminal
# unless logging is configured; the driver reports those situations itself.
logging.getLogger("bumble").addHandler(logging.NullHandler())

_LOG = logging.getLogger(__name__)

# Advertising interval of virtual peripherals. Real sensors use 20 ms–1 s; 50 ms keeps scans and
# reconnects quick in tests while costing ~20 wake-ups per second per peripheral.
ADVERTISING_INTERVAL_MS = 50.0


def _debugging(logger_name: str) -> bool:
    return logging.getLogger(logger_name).isEnabledFor(logging.DEBUG)


class SpecController(Controller):
    """bumble's controller with HCI_LE_Create_Connection_Cancel completed per the Core spec.

    Core spec v5.4 Vol 4 Part E §7.8.13: when the cancel succeeds, the HCI_Command_Complete is
    followed by an HCI_LE_Connection_Complete event with status Unknown Connection Identifier
    (0x02); when there is no connection being created the command is disallowed (0x0C). bumble
    0.0.236 returns success and sends nothing, so `Device.connect(timeout=...)` waits forever.

    With `faults` (the central's controller only) it can also fail to complete a disconnection.
    """

    def __init__(
        self, name: str, *, link: LocalLink, public_address: str, faults: BackendFaults | None = None
    ) -> None:
        super().__init__(name, link=link, public_address=public_address)
        self._faults = faults

    def on_hci_disconnect_command(self, command: hci.HCI_Disconnect_Command) -> None:
        if self._faults is None or not self._faults.disconnect_never_completes:
            return super().on_hci_disconnect_command(command)
        # "Pending", then silence: no LL_TERMINATE_IND to the peer, no Disconnection Complete.
        self.send_hci_packet(
            hci.HCI_Command_Status_Event(
                status=hci.HCI_COMMAND_STATUS_PENDING, num_hci_command_packets=1, command_opcode=command.op_code
            )
        )
        return None

    def on_hci_le_create_connection_cancel_command(
        self, _command: hci.HCI_LE_Create_Connection_Cancel_Command
    ) -> hci.HCI_StatusReturnParameters:
        pending = self.pending_le_connection
        if pending is None:
            return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.COMMAND_DISALLOWED_ERROR)
        self.pending_le_connection = None
        event = hci.HCI_LE_Connection_Complete_Event(
            status=hci.HCI_ErrorCode.UNKNOWN_CONNECTION_IDENTIFIER_ERROR,
            connection_handle=0,
            role=hci.Role.CENTRAL,
            peer_address_type=pending.peer_address.address_type,
            peer_address=pending.peer_address,
            connection_interval=0,
            peripheral_latency=0,
            supervision_timeout=0,
            central_clock_accuracy=0,
        )
        # After the Command Complete that the caller sends for our return value.
        asyncio.get_running_loop().call_soon(self.send_hci_packet, event)
        return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.SUCCESS)

    def send_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if _debugging("bumble.controller"):
            return super().send_hci_packet(packet)
        if self.host:
            asyncio.get_running_loop().call_soon(self.host.on_packet, bytes(packet))

    def on_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if _debugging("bumble.controller"):
            return super().on_hci_packet(packet)
        if isinstance(packet, hci.HCI_Command):
            self.on_hci_command_packet(packet)
        elif isinstance(packet, hci.HCI_AclDataPacket):
            self.on_hci_acl_data_packet(packet)
        elif isinstance(packet, hci.HCI_Event):
            self.on_hci_event_packet(packet)
        else:
            super().on_hci_packet(packet)


class QuietHost(Host):
    """bumble's host without the per-packet debug formatting (see the module docstring)."""

    def send_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if self.snooper or _debugging("bumble.host"):
            return super().send_hci_packet(packet)
        if self.hci_sink:
            self.hci_sink.on_packet(bytes(packet))

    def on_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if self.snooper or _debugging("bumble.host"):
            return super().on_hci_packet(packet)
        if isinstance(packet, hci.HCI_Event):
            self.on_hci_event_packet(packet)
        elif isinstance(packet, hci.HCI_AclDataPacket):
            self.on_hci_acl_data_packet(packet)
        else:
            super().on_hci_packet(packet)

    def on_command_processed(self, event: hci.HCI_Event) -> None:
        # A command's answer can arrive after its waiter was cancelled (shutting the link down
        # mid-command); bumble would then set a result on a finished future and log a traceback.
        if self.pending_response is not None and self.pending_response.done():
            return
        # bumble's Host annotates the narrower event types it is called with; this override passes on
        # whatever it gets, as the base class does at run time
        super().on_command_processed(event)  # type: ignore[arg-type]


@dataclass(slots=True)
class BackendFaults:
    """Errors the virtual backend raises on purpose, to test how the driver reports them.

    Each is raised (once per operation, until cleared) from inside the bleak backend, the same
    place the BlueZ/WinRT/CoreBluetooth backends raise theirs. `disconnect_never_completes` is
    the one silence: the central's controller accepts a Disconnect and never reports it complete
    (a wedged adapter; bumble's controller does the same for a handle it no longer knows), so
    BleakClient.disconnect() waits forever and the link stays up.
    """

    scan_error: BaseException | None = None  # raised by BleakScanner.start()
    connect_error: BaseException | None = None  # raised by BleakClient.connect()
    disconnect_never_completes: bool = False


def _static_random_address(index: int) -> hci.Address:
    # Random static addresses have the two most significant bits set (Core Vol 6 Part B §1.3.2.1).
    return hci.Address(f"C0:5E:00:00:{index >> 8 & 0xFF:02X}:{index & 0xFF:02X}", hci.Address.RANDOM_DEVICE_ADDRESS)


class VirtualLink:
    """One in-memory BLE link with a central; create it inside the running event loop."""

    _ids = itertools.count(1)

    def __init__(self, clock: HostClock | None = None) -> None:
        self.clock: HostClock = clock or MonotonicClock()
        self.faults = BackendFaults()
        self.link = LocalLink()  # type: ignore[no-untyped-call]  # bumble's LocalLink.__init__ has no annotations
        self._addresses = itertools.count(2)
        central_address = _static_random_address(1)
        self.central = self._new_device("sensortrack", central_address, faults=self.faults)
        # bumble allows one pending LE connection per device; the backend queues connects on this.
        self.connect_lock = asyncio.Lock()
        self.link_id = next(self._ids)
        self._powered = False
        self._backend: BleBackend | None = None

    def _new_device(self, name: str, address: hci.Address, faults: BackendFaults | None = None) -> Device:
        controller = SpecController(name, link=self.link, public_address=address.to_string(False), faults=faults)
        return Device(name=name, address=address, host=QuietHost(controller, AsyncPipeSink(controller)))

    def new_peripheral_device(self, name: str) -> Device:
        """A fresh bumble device on this link with its own random static address."""
        return self._new_device(name, _static_random_address(next(self._addresses)))

    async def power_on(self) -> None:
        if not self._powered:
            await self.central.power_on()
            self._powered = True

    @property
    def backend(self) -> BleBackend:  # the import is for type checking only: no cycle at run time
        """bleak backend classes bound to this link, for `BleakScanner/BleakClient(backend=...)`."""
        if self._backend is None:
            from sensortrack.drivers.virtual.bleak_backend import backend_for

            self._backend = backend_for(self)
        return self._backend

    def find_address(self, address: str) -> hci.Address | None:
        """The bumble address of a device on this link from its text form (any case)."""
        wanted = address.upper()
        for controller in self.link.controllers:
            if controller.random_address.to_string(False) == wanted:
                return controller.random_address
        return None

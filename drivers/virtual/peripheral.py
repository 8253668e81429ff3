"""A virtual sensor: one family's GATT layout, commands and bytes on the in-process link.

`VirtualSensor(link, family, session)` advertises like the real device (name and service UUID in
the advertising data: bumble's link has no scan responses), serves the characteristics in the
family descriptor, hands every write to the family's ENCODER (which answers like the device:
WitMotion register read-back, Polar control point responses, Movesense HELLO/SUBSCRIBE, DOT
measurement control) and, while the encoder says it is streaming, sends the session's samples
resampled to the rate the client configured, encoded exactly as the sensor would send them.

Like the real devices it stops streaming when the link drops and keeps its configured rate while
powered. Its clock starts at `device_clock_start_s` and can run `clock_drift_ppm` fast.

Peripheral callbacks never raise: bumble answers an exception in a read/write handler with
nothing at all, which leaves the client waiting for its 30 s GATT timeout (field-notes §4).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from bumble import core, data_types
from bumble.core import AdvertisingData
from bumble.device import Connection, Device
from bumble.gatt import Characteristic, CharacteristicValue, Service

from sensortrack.drivers.battery import BATTERY_LEVEL_UUID, BATTERY_SERVICE_UUID, MODELS_WITH_BATTERY_SERVICE
from sensortrack.drivers.protocols.base import CharacteristicSpec, Encoder, FamilyDescriptor, Notification
from sensortrack.drivers.virtual.faults import Faults
from sensortrack.drivers.virtual.link import ADVERTISING_INTERVAL_MS, VirtualLink
from sensortrack.drivers.virtual.names import advertised_name
from sensortrack.drivers.virtual.playback import Playback
from sensortrack.core.model import FloatArray, Session

_LOG = logging.getLogger(__name__)

_PROPERTIES = {
    "read": Characteristic.Properties.READ,
    "write": Characteristic.Properties.WRITE,
    "write_without_response": Characteristic.Properties.WRITE_WITHOUT_RESPONSE,
    "notify": Characteristic.Properties.NOTIFY,
}
# How often the streaming task wakes at most: at high speed factors one wake-up sends several
# notification intervals' worth (each still its own notification), which keeps the CPU cost flat.
MIN_TICK_REAL_S = 0.005


@dataclass(slots=True)
class SentChunk:
    """What the sensor meant to send in one notification interval (ground truth for tests)."""

    position_s: FloatArray  # seconds since the session's first sample
    device_time_s: FloatArray
    acc_g: FloatArray
    gyro_dps: FloatArray | None
    delivered: bool  # False: dropped by a fault (link down, stall, packet loss)
    sent_real_s: float  # time.perf_counter() when handed to the link (latency benchmarks)


@dataclass(slots=True)
class VirtualStats:
    connections: int = 0
    notifications: int = 0  # data notifications handed to the link
    samples_sent: int = 0
    samples_dropped: int = 0  # not sent because of faults or because the link was down
    notifications_lost: int = 0  # packet-loss fault
    garbage_notifications: int = 0
    handler_errors: int = 0  # exceptions caught in GATT handlers (a bug in an encoder)
    advertising_since_s: list[float] = field(default_factory=list)  # clock times (re)advertising began


@dataclass(slots=True)
class PlayTogether:
    """Virtual sensors strapped on together: none plays its session before every one of them has
    started streaming once, then all from one moment (a wearer starts moving once both sensors are
    connected). Without it each plays from its own first stream, seconds apart for a pair that
    connects one after the other, and a live view would see the two segments out of step."""

    members: int
    streamed: set[int] = field(default_factory=set)
    origin_s: float | None = None

    def origin(self, member: int, now_s: float) -> float | None:
        self.streamed.add(member)
        if self.origin_s is None and len(self.streamed) >= self.members:
            self.origin_s = now_s
        return self.origin_s


class VirtualSensor:
    def __init__(
        self,
        link: VirtualLink,
        family: FamilyDescriptor,
        session: Session,
        *,
        name: str | None = None,
        faults: Faults = Faults(),
        initial_rate_hz: float | None = None,
        notify_interval_s: float = 0.02,
        device_clock_start_s: float = 1000.0,
        clock_drift_ppm: float = 0.0,
        keep_trace: bool = False,
    ) -> None:
        self.link = link
        self.family = family
        self.name = name or advertised_name(family)
        self.faults = faults
        self.stats = VirtualStats()
        self.trace: list[SentChunk] | None = [] if keep_trace else None
        self.finished = asyncio.Event()  # the whole session has been played
        self.device: Device = link.new_peripheral_device(self.name)
        self._playback = Playback(session.samples)
        self._rate_hz = family.nearest_rate_hz(initial_rate_hz or family.default_rate_hz)
        self._notify_interval_s = notify_interval_s
        self._device_clock_start_s = device_clock_start_s
        self._clock_scale = 1.0 + clock_drift_ppm * 1e-6
        self._rng = random.Random(faults.seed)
        self._connection: Connection | None = None
        self._encoder: Encoder | None = None
        self._origin_s: float | None = None  # clock time of session position 0
        self.together: tuple[PlayTogether, int] | None = None  # (its group, its member number)
        self._cursor_s = 0.0  # stream position up to which samples have been sent or lost
        self._drop_pending_readvertise = False  # a link-drop fault decides when to advertise again
        self._tasks: set[asyncio.Task[None]] = set()
        self._send_lock = asyncio.Lock()
        self._chars: dict[str, Characteristic[bytes]] = {}
        self.battery_pct = 87  # what its Battery Service says (one byte), for the families that serve one
        self.device.add_services(self._services())
        self.device.on(self.device.EVENT_CONNECTION, self._on_connection)

    @property
    def address(self) -> str:
        return self.device.random_address.to_string(False)

    @property
    def origin_s(self) -> float | None:
        """Link-clock time of session position 0: sample k was taken at origin_s + its position
        (ground truth for timestamp tests); None until a client started streaming."""
        return self._origin_s

    @property
    def position_s(self) -> float:
        """Seconds into the session (0 until the first client started streaming)."""
        return 0.0 if self._origin_s is None else self.link.clock.now() - self._origin_s

    # ---- lifecycle ----

    async def start(self) -> None:
        await self.link.power_on()
        await self.device.power_on()
        self.device.advertising_data = self._advertising_data()
        await self._advertise()
        self._spawn(self._stream())

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        with contextlib.suppress(Exception):
            await self.device.stop_advertising()
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.disconnect()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _advertise(self) -> None:
        self.stats.advertising_since_s.append(self.link.clock.now())
        await self.device.start_advertising(
            advertising_interval_min=ADVERTISING_INTERVAL_MS, advertising_interval_max=ADVERTISING_INTERVAL_MS
        )

    def _advertising_data(self) -> bytes:
        uuids = [core.UUID(u) for u in dict.fromkeys((self.family.service_uuid, *self.family.match.service_uuids))]
        structures: list[core.DataType] = [
            data_types.Flags(
                AdvertisingData.Flags.LE_GENERAL_DISCOVERABLE_MODE | AdvertisingData.Flags.BR_EDR_NOT_SUPPORTED
            ),
            data_types.CompleteLocalName(self.name),
        ]
        short = [u for u in uuids if len(u.uuid_bytes) == 2]
        long = [u for u in uuids[:1] if len(u.uuid_bytes) == 16]  # one 128-bit UUID, like the devices
        if short:
            structures.append(data_types.IncompleteListOf16BitServiceUUIDs(short))
        if long:
            structures.append(data_types.IncompleteListOf128BitServiceUUIDs(long))
        return bytes(AdvertisingData(structures))

    # ---- GATT ----

    def _services(self) -> list[Service]:
        by_service: dict[str, list[Characteristic[bytes]]] = {}
        for spec in self.family.characteristics:
            properties = Characteristic.Properties(0)
            for name in spec.properties:
                properties |= _PROPERTIES[name]
            characteristic: Characteristic[bytes] = Characteristic(
                spec.uuid,
                properties,
                Characteristic.READABLE | Characteristic.WRITEABLE,
                CharacteristicValue(read=self._reader(spec), write=self._writer(spec)),
            )
            characteristic.on(characteristic.EVENT_SUBSCRIPTION, self._subscription_handler(spec))
            self._chars[spec.uuid.lower()] = characteristic
            by_service.setdefault(spec.service_uuid, []).append(characteristic)
        services = [Service(uuid, chars) for uuid, chars in by_service.items()]
        if self.family.model in MODELS_WITH_BATTERY_SERVICE:
            level: Characteristic[bytes] = Characteristic(
                BATTERY_LEVEL_UUID,
                Characteristic.Properties.READ,
                Characteristic.READABLE,
                CharacteristicValue(read=lambda _connection: bytes([self.battery_pct])),  # read when asked
            )
            services.append(Service(BATTERY_SERVICE_UUID, [level]))
        return services

    def _encoder_now(self) -> Encoder:
        """The encoder of this connection, made at the first GATT exchange (after the MTU exchange,
        so it packs notifications to the negotiated size)."""
        if self._encoder is None:
            mtu = self._connection.att_mtu if self._connection is not None else 23
            self._encoder = self.family.new_encoder(self._rate_hz, mtu - 3)
        return self._encoder

    def _reader(self, spec: CharacteristicSpec) -> Callable[[Connection], bytes]:
        def read(_connection: Connection) -> bytes:
            try:
                value = self._encoder_now().read(spec.uuid)
                return spec.initial_value if value is None else bytes(value)
            except Exception:
                self._handler_failed(f"read {spec.uuid}")
                return spec.initial_value

        return read

    def _writer(self, spec: CharacteristicSpec) -> Callable[[Connection, bytes], None]:
        def write(_connection: Connection, value: bytes) -> None:
            try:
                replies = self._encoder_now().handle_write(spec.uuid, bytes(value))
            except Exception:
                self._handler_failed(f"write {spec.uuid}")
                return
            if replies:
                # After this write's response, as a device answers.
                self._spawn(self._send_replies(replies))

        return write

    def _subscription_handler(self, spec: CharacteristicSpec) -> Callable[[Connection, bool, bool], None]:
        def on_subscription(_connection: Connection, notify: bool, indicate: bool) -> None:
            try:
                self._encoder_now().subscribed(spec.uuid, bool(notify or indicate))
            except Exception:
                self._handler_failed(f"subscribe {spec.uuid}")

        return on_subscription

    def _handler_failed(self, what: str) -> None:
        self.stats.handler_errors += 1
        _LOG.exception("virtual %s: %s failed", self.family.model, what)

    async def _send_replies(self, replies: list[Notification]) -> None:
        for reply in replies:
            await self._notify(reply.char_uuid, reply.data)

    async def _notify(self, char_uuid: str, payload: bytes) -> bool:
        connection = self._connection
        characteristic = self._chars.get(char_uuid.lower())
        if connection is None or characteristic is None:
            return False
        try:
            async with self._send_lock:
                await self.device.notify_subscriber(connection, characteristic, payload)
            return True
        except Exception:  # the link went down under us: the notification is simply lost
            return False

    # ---- connection ----

    def _on_connection(self, connection: Connection) -> None:
        self._connection = connection
        self._encoder = None
        self.stats.connections += 1
        connection.on(connection.EVENT_DISCONNECTION, lambda _reason: self._on_disconnection(connection))

    def _on_disconnection(self, connection: Connection) -> None:
        if self._connection is not connection:
            return
        if self._encoder is not None:
            self._rate_hz = self._encoder.rate_hz  # kept in the device's RAM while powered
        # Real sensors stop streaming when the link drops; a new connection starts afresh.
        self._connection = None
        self._encoder = None
        if not self._drop_pending_readvertise:
            self._spawn(self._readvertise(0.0))

    async def _readvertise(self, after_s: float) -> None:
        await self.link.clock.sleep(after_s)
        self._drop_pending_readvertise = False
        if self._connection is None:
            with contextlib.suppress(Exception):
                await self._advertise()

    async def drop_link(self, readvertise_after_s: float | None = None) -> None:
        """Close the connection from the sensor's side (out of range, battery, radio trouble) and
        advertise again after `readvertise_after_s` (default: the faults' setting)."""
        connection = self._connection
        if connection is None:
            return
        self._drop_pending_readvertise = True
        with contextlib.suppress(Exception):
            await connection.disconnect()
        delay_s = self.faults.readvertise_after_s if readvertise_after_s is None else readvertise_after_s
        self._spawn(self._readvertise(delay_s))

    # ---- streaming ----

    def _device_time(self, position_s: FloatArray) -> FloatArray:
        return self._device_clock_start_s + position_s * self._clock_scale

    async def _stream(self) -> None:
        clock = self.link.clock
        tick_s = max(self._notify_interval_s, MIN_TICK_REAL_S * clock.speed)
        while True:
            await clock.sleep(tick_s)
            try:
                await self._stream_tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                self._handler_failed("stream")

    async def _stream_tick(self) -> None:
        encoder = self._encoder
        streaming = encoder is not None and encoder.streaming and self._connection is not None
        if self._origin_s is None:
            if not streaming:
                return
            if self.together is not None:
                group, member = self.together
                origin_s = group.origin(member, self.link.clock.now())
                if origin_s is None:
                    return  # the others are not streaming yet
                self._origin_s = origin_s
            else:
                self._origin_s = self.link.clock.now()  # the session starts with the first stream
        position_s = self.position_s
        if streaming and encoder is not None:
            self._playback.set_rate(encoder.rate_hz, self._cursor_s)
        # Faults happen at their exact stream time even when this task runs late: what fell due
        # before a fault is sent first (like a device emptying its buffer), then the fault applies.
        for boundary_s, fault in self._fault_boundaries(self._cursor_s, position_s):
            await self._advance(boundary_s, streaming, flush=True)
            if fault == "drop":
                await self.drop_link()
                streaming = False
            self._cursor_s = boundary_s
        await self._advance(position_s, streaming, flush=False)
        self._cursor_s = max(self._cursor_s, position_s)
        if self._playback.finished:
            self.finished.set()

    def _fault_boundaries(self, after_s: float, until_s: float) -> list[tuple[float, str]]:
        faults = self.faults
        times = [(t, "drop") for t in faults.drop_at_s]
        times += [(t, "stall") for t in faults.stall_at_s] + [(t + faults.stall_s, "resume") for t in faults.stall_at_s]
        return sorted((t, kind) for t, kind in times if after_s < t <= until_s)

    def _stalled(self, position_s: float) -> bool:
        return any(start <= position_s < start + self.faults.stall_s for start in self.faults.stall_at_s)

    async def _advance(self, until_s: float, streaming: bool, *, flush: bool) -> None:
        """Send (or, link down or stalled, lose) what falls due up to `until_s`."""
        stream = self._playback.stream
        if stream is None:
            return
        if not streaming or self._stalled(self._cursor_s):
            self.stats.samples_dropped += self._record_skipped(until_s)
            return
        chunk = max(1, int(round(stream.rate_hz * self._notify_interval_s)))
        for part in self._playback.take(until_s, chunk, flush=flush):
            await self._send_chunk(part)

    def _record_skipped(self, position_s: float) -> int:
        stream = self._playback.stream
        before = self._playback.next_index
        skipped = self._playback.skip_to(position_s)
        if skipped and stream is not None and self.trace is not None:
            part = slice(before, before + skipped)
            self.trace.append(self._chunk(part, delivered=False, sent_real_s=0.0))
        return skipped

    def _chunk(self, part: slice, *, delivered: bool, sent_real_s: float) -> SentChunk:
        stream = self._playback.stream
        assert stream is not None
        position = stream.position_s[part]
        return SentChunk(
            position_s=position,
            device_time_s=self._device_time(position),
            acc_g=stream.acc_g[part],
            gyro_dps=None if stream.gyro_dps is None else stream.gyro_dps[part],
            delivered=delivered,
            sent_real_s=sent_real_s,
        )

    async def _send_chunk(self, part: slice) -> None:
        encoder = self._encoder
        stream = self._playback.stream
        if encoder is None or stream is None:
            return
        position = stream.position_s[part]
        payloads = encoder.encode(
            self._device_time(position), stream.acc_g[part], None if stream.gyro_dps is None else stream.gyro_dps[part]
        )
        delivered = True
        sent_at = time.perf_counter()
        for payload in payloads:
            if self.faults.garbage and self._rng.random() < self.faults.garbage:
                junk = bytes(self._rng.getrandbits(8) for _ in range(self._rng.randint(1, max(1, len(payload)))))
                if await self._notify(self.family.data_uuid, junk):
                    self.stats.garbage_notifications += 1
            if self.faults.loss and self._rng.random() < self.faults.loss:
                self.stats.notifications_lost += 1
                delivered = False
                continue
            if await self._notify(self.family.data_uuid, payload):
                self.stats.notifications += 1
            else:
                delivered = False
        n = part.stop - part.start
        if delivered:
            self.stats.samples_sent += n
        else:
            self.stats.samples_dropped += n
        if self.trace is not None:
            self.trace.append(self._chunk(part, delivered=delivered, sent_real_s=sent_at))

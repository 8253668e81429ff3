"""One long-lived loop per sensor: connect, configure, subscribe, stream; on link loss, reconnect.

Shaped after bleak's examples/async_callback_with_queue.py and disconnect_callback.py and
bleak-retry-connector: the notification callback only decodes and enqueues, the disconnected
callback only sets an event, and everything that waits (connecting, configuring, backing off)
happens in `run()`. Samples that arrived are always enqueued before anything else can fail.

Errors time can fix (out of range, busy, link lost, stalled stream) are retried with exponential
backoff until `stop()`; errors it cannot (no adapter, Bluetooth off, permission denied) end `run()`
with a `DeviceError` that says what to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sensortrack.drivers.backend import SYSTEM_BACKEND, BleBackend
from sensortrack.drivers.battery import read_battery_pct
from sensortrack.drivers.ble_errors import SensorRefusedError, device_error, is_fatal
from sensortrack.drivers.clock import HostClock, MonotonicClock
from sensortrack.drivers.protocols.base import DecodeStats, Decoder, FullScale, plausible_range
from sensortrack.drivers.scan import FoundSensor, find_sensor
from sensortrack.drivers.status import (
    Connected,
    Disconnected,
    DriverItem,
    Reconnecting,
    Stalled,
    StreamStats,
)
from sensortrack.drivers.timeline import Placed, SampleTimeline
from sensortrack.core.model import SensorInfo

if TYPE_CHECKING:  # bleak loads when a connection starts (replays and imports never need it)
    from bleak import BleakClient

_LOG = logging.getLogger(__name__)

_CONNECT_LOCKS: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = WeakKeyDictionary()


def shared_connect_lock() -> asyncio.Lock:
    """One lock per event loop: BLE stacks handle one connection attempt at a time badly."""
    loop = asyncio.get_running_loop()
    lock = _CONNECT_LOCKS.get(loop)
    if lock is None:
        lock = _CONNECT_LOCKS[loop] = asyncio.Lock()
    return lock


MIN_TIMEOUT_REAL_S = 1.0

# Real seconds to wait for the platform to confirm a disconnection before the link is abandoned.
# disconnect() returns once the stack reports the link closed: bleak's BlueZ backend waits up to
# 10 s for that, the virtual link forever (bumble's controller answers a Disconnect for a handle
# it no longer knows with "pending" and nothing more; a wedged adapter is as silent). The
# recording is safe by then, so waiting longer only keeps the user, or CI, waiting.
DISCONNECT_TIMEOUT_S = 3.0
BATTERY_READ_TIMEOUT_S = 2.0  # one GATT read; a sensor that does not answer simply shows no level


@dataclass(frozen=True, slots=True)
class SupervisorSettings:
    """Times are in seconds of the supervisor's clock (scaled with the virtual link's speed)."""

    connect_timeout_s: float = 20.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 8.0
    stall_timeout_s: float = 5.0  # connected but silent this long → reconnect
    stats_interval_s: float = 1.0
    stop_timeout_s: float = 2.0  # best effort to tell the sensor to stop before disconnecting
    rescan_timeout_s: float = 10.0
    # Clock seconds per real second of BLE delivery jitter, which sizes the timeline's thresholds
    # and how much stream the clock-drift fit needs (docs/live-sensors.md, "The timestamp model").
    # None: the clock's speed (a sped-up virtual link is taken to have real BLE's jitter, sped
    # up). The in-process link itself delivers within milliseconds, so tests of long streams may
    # pass less to see the drift fit within seconds of wall time.
    jitter_scale: float | None = None


class SensorSupervisor:
    def __init__(
        self,
        sensor: FoundSensor,
        info: SensorInfo,
        queue: asyncio.Queue[DriverItem],
        *,
        settings: SupervisorSettings = SupervisorSettings(),
        backend: BleBackend = SYSTEM_BACKEND,
        clock: HostClock | None = None,
        origin_s: float | None = None,
        connect_lock: asyncio.Lock | None = None,
        full_scale: FullScale | None = None,
    ) -> None:
        """`full_scale`: the measuring range to ask for where the family can set one (check it with
        `family.ranges.choose`); None: the family's default (±8 g / ±2000 °/s where available)."""
        if sensor.family is None:
            raise ValueError("the sensor's family must be known")
        self.family = sensor.family
        self._sensor = sensor
        self.info = replace(info, model=self.family.model, name=sensor.name, address=sensor.address, clock=self.family.clock)
        self.queue = queue
        self.settings = settings
        self._backend = backend
        self._clock = clock or MonotonicClock()
        self._origin_s = self._clock.now() if origin_s is None else origin_s
        self._connect_lock = connect_lock
        # What the sensor measures at: the requested range where it can be set, the fixed one
        # where not, None when only the sensor knows (Movesense).
        self.full_scale = full_scale or self.family.ranges.default
        self.timeline = SampleTimeline(
            self.info,
            clock=self.family.clock,
            has_sequence=self.family.has_sequence,
            origin_s=self._origin_s,
            time_scale=settings.jitter_scale or self._clock.speed,
            full_scale=plausible_range(self.family, self.full_scale),
            has_gyro=self.family.has_gyro,
        )
        self._decoder: Decoder = self.family.new_decoder(self.info.nominal_rate_hz, self.full_scale)
        self._retired_stats = DecodeStats()
        self._stop = asyncio.Event()
        self._link_lost = asyncio.Event()
        self._refused = asyncio.Event()  # the decoder saw the sensor refuse its configuration
        self._last_samples_s = 0.0
        self.connections = 0
        self.state = "idle"  # idle | connecting | streaming | backoff | stopped

    @property
    def target(self) -> str:
        return f"sensor '{self._sensor.name or self._sensor.address}'"

    def stop(self) -> None:
        """Ask `run()` to stop the sensor, disconnect and return (safe to call from anywhere in the loop)."""
        self._stop.set()

    @property
    def reconnects(self) -> int:
        return max(0, self.connections - 1)

    @property
    def max_stop_s(self) -> float:
        """Real seconds `run()` takes at most to return after `stop()` while streaming: the stop
        commands, then the disconnection (not counting a connection or rescan still under way)."""
        return self._real_s(self.settings.stop_timeout_s) + DISCONNECT_TIMEOUT_S

    # ---- callbacks: hand off only ----

    def _on_notify(self, _sender: object, data: bytearray) -> None:
        if self.state == "stopped":
            return  # a link abandoned unconfirmed may still deliver; the timeline has been flushed
        arrival_s = self._clock.now()
        decoded = self._decoder.feed(bytes(data))  # never raises or warns: garbage is counted and skipped
        if self._decoder.refusal is not None:
            self._refused.set()
        if len(decoded) == 0:
            return
        placed = self.timeline.place(decoded, arrival_s)
        if placed or self.timeline.holding:  # held late samples are data too: the link is not silent
            self._last_samples_s = arrival_s
        self._enqueue(placed)

    def _enqueue(self, placed: list[Placed]) -> None:
        for block, gaps in placed:
            for gap in gaps:  # a gap goes before the samples that follow it
                self.queue.put_nowait(gap)
            self.queue.put_nowait(block)

    def _on_disconnected(self, _client: BleakClient) -> None:
        self._link_lost.set()

    # ---- the loop ----

    async def run(self) -> None:
        """Stream until `stop()`; raises DeviceError only for problems retrying cannot fix."""
        from bleak.exc import BleakDeviceNotFoundError

        lock = self._connect_lock or shared_connect_lock()
        stats = asyncio.create_task(self._report_stats())
        failures = 0
        rescan = False
        try:
            while not self._stop.is_set():
                try:
                    if rescan:
                        await self._rescan()
                        rescan = False
                    streamed = await self._connection(lock)
                    if streamed:
                        failures = 0
                    if self._stop.is_set():
                        break
                    reason = "link lost"
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    error = device_error(exc, self.target)
                    if is_fatal(error):
                        raise error from None
                    rescan = isinstance(exc, BleakDeviceNotFoundError)
                    reason = str(error)
                    _LOG.info("%s: %s", self.target, reason)
                if self._stop.is_set():
                    break
                failures += 1
                delay_s = 0.0 if failures == 1 else min(
                    self.settings.backoff_max_s, self.settings.backoff_initial_s * 2 ** (failures - 2)
                )
                self.state = "backoff"
                self.queue.put_nowait(Reconnecting(failures, delay_s, reason))
                await self._wait_stop(delay_s)
        finally:
            self.state = "stopped"
            self._enqueue(self.timeline.flush())
            stats.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stats
            self._emit_stats()

    def _real_s(self, clock_s: float) -> float:
        """Real seconds for a timeout given in clock seconds, never under MIN_TIMEOUT_REAL_S: on a
        virtual link at 20× a 5 s timeout would otherwise be 0.25 s, which a busy machine misses."""
        return max(clock_s / self._clock.speed, MIN_TIMEOUT_REAL_S)

    async def _wait_stop(self, seconds: float) -> None:
        if seconds <= 0:
            return
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for loses a cancellation that arrives
        # as the awaited thing completes (CPython gh-86296).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds / self._clock.speed):
                await self._stop.wait()

    async def _rescan(self) -> None:
        """Refresh the BLEDevice after the OS forgot it (BlueZ drops devices not seen for a while)."""
        found = await find_sensor(
            self._sensor.address, self.settings.rescan_timeout_s, model=self.family.model, backend=self._backend
        )
        self._sensor = found

    async def _connection(self, lock: asyncio.Lock) -> bool:
        """One connection's life. Returns True if samples streamed, when the link ends or stop() is called."""
        from bleak import BleakClient

        self.state = "connecting"
        self._link_lost.clear()
        client = BleakClient(
            self._sensor.device,
            disconnected_callback=self._on_disconnected,
            timeout=self._real_s(self.settings.connect_timeout_s),
            backend=self._backend.client,
        )
        try:
            async with lock:
                if not await self._unless_stopped(client.connect()):
                    return False
            self._retire_decoder()
            if self.connections:
                self._enqueue(self.timeline.new_connection())
            # Before streaming starts: a GATT round trip amid the first notifications would delay them.
            battery = await read_battery_pct(client, self._real_s(BATTERY_READ_TIMEOUT_S))
            for uuid in self.family.notify_uuids:
                await client.start_notify(uuid, self._on_notify)
            for write in self.family.start_writes(self.info.nominal_rate_hz, self.full_scale):
                await client.write_gatt_char(write.char_uuid, write.data, response=write.with_response)
                if write.delay_after_s:
                    await self._clock.sleep(write.delay_after_s)
            self.connections += 1
            self.state = "streaming"
            self._last_samples_s = self._clock.now()
            self.queue.put_nowait(
                Connected(self._sensor.name, self._sensor.address, self.connections, self.info.nominal_rate_hz, battery)
            )
            ended = await self._watch()
            if ended == "refused":
                await self._stop_streaming(client)  # whatever did start (battery)
                raise SensorRefusedError(
                    f"{self.target}: {self._decoder.refusal}; asking again would get the same answer "
                    f"(asked for {self.info.nominal_rate_hz:g} Hz"
                    + (f", {self.full_scale.describe()})" if self.full_scale else ")")
                )
            if ended == "stop":
                await self._stop_streaming(client)
            elif ended == "stalled":
                self.queue.put_nowait(Stalled(self._clock.now() - self._last_samples_s))
            else:
                self.queue.put_nowait(Disconnected("the sensor or the radio link closed the connection"))
            return True
        finally:
            await self._disconnect(client)

    async def _unless_stopped(self, operation: Awaitable[None]) -> bool:
        """Run `operation` unless/until stop() is called first; True if it completed."""
        task = asyncio.ensure_future(operation)
        stop = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if task.done():
            task.result()  # re-raise its failure
            return True
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        return False

    async def _watch(self) -> str:
        """Wait for the end of this connection: "stop", "lost", "stalled" or "refused"."""
        stop = asyncio.ensure_future(self._stop.wait())
        lost = asyncio.ensure_future(self._link_lost.wait())
        refused = asyncio.ensure_future(self._refused.wait())
        try:
            while True:
                done, _ = await asyncio.wait({stop, lost, refused}, timeout=0.25 / self._clock.speed, return_when=asyncio.FIRST_COMPLETED)
                if refused in done:
                    return "refused"
                if stop in done:
                    return "stop"
                if lost in done:
                    return "lost"
                if self._clock.now() - self._last_samples_s > self._real_s(self.settings.stall_timeout_s) * self._clock.speed:
                    return "stalled"
        finally:
            stop.cancel()
            lost.cancel()
            refused.cancel()

    async def _stop_streaming(self, client: BleakClient) -> None:
        """Tell the sensor to stop (battery), best effort: the recording is already safe."""
        try:
            async with asyncio.timeout(self._real_s(self.settings.stop_timeout_s)):
                for write in self.family.stop_writes():
                    await client.write_gatt_char(write.char_uuid, write.data, response=write.with_response)
                for uuid in self.family.notify_uuids:
                    await client.stop_notify(uuid)
        except Exception as exc:
            _LOG.info("%s: could not stop streaming cleanly: %s", self.target, exc)

    async def _disconnect(self, client: BleakClient) -> None:
        """Close the link, waiting at most DISCONNECT_TIMEOUT_S for the platform to confirm it."""
        try:
            async with asyncio.timeout(DISCONNECT_TIMEOUT_S):
                await client.disconnect()
        except TimeoutError:
            _LOG.warning(
                "%s: the disconnection was not confirmed within %g s; the link is left to the system to close",
                self.target,
                DISCONNECT_TIMEOUT_S,
            )
        except Exception as exc:  # already gone, or the stack failed: nothing left to do about it
            _LOG.info("%s: disconnect failed: %s", self.target, exc)

    # ---- status ----

    def _retire_decoder(self) -> None:
        """A fresh decoder per connection: a frame half-received before a drop must not be glued
        to bytes from the next connection. Its counters are kept."""
        self._retired_stats = self.decode_stats()
        self._decoder = self.family.new_decoder(self.info.nominal_rate_hz, self.full_scale)

    def decode_stats(self) -> DecodeStats:
        """Decoder counters over all connections so far."""
        current, total = self._decoder.stats, self._retired_stats
        return DecodeStats(**{f.name: getattr(total, f.name) + getattr(current, f.name) for f in fields(DecodeStats)})

    def _emit_stats(self, rate_hz: float = 0.0) -> None:
        decode = self.decode_stats()
        counts = self.timeline.counts
        self.queue.put_nowait(
            StreamStats(
                rate_hz=rate_hz,
                received_samples=counts.samples,
                lost_samples=counts.lost_samples,
                gaps=counts.gaps,
                reconnects=self.reconnects,
                notifications=decode.notifications,
                skipped_bytes=decode.skipped_bytes,
                drift_ppm=self.timeline.drift_ppm,
            )
        )

    async def _report_stats(self) -> None:
        last_count, last_s = self.timeline.counts.samples, self._clock.now()
        while True:
            await self._clock.sleep(self.settings.stats_interval_s)
            now_s, count = self._clock.now(), self.timeline.counts.samples
            self._emit_stats((count - last_count) / max(now_s - last_s, 1e-9))
            last_count, last_s = count, now_s

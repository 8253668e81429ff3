"""The recording loop: a sensor supervisor's queue → a session file, crash-safe, until told to stop.

Used by `sensortrack record` and by the TUI's live mode. Guarantees:
- every sample block and gap that reached the queue is written; the file is flushed and fsynced
  at least every `flush_interval_s` (0.5 s) even while no data arrives, so a crash or power loss
  costs at most that much;
- however the loop ends (duration, stop(), source finished, a fatal Bluetooth error, Ctrl-C,
  cancellation, even a second cancellation while stopping), the supervisor is stopped, what is
  still queued is written, and the file gets its `# end` line, within seconds: a sensor or
  adapter that never confirms the stop or the disconnection is abandoned, not waited for;
- a recording that never received a sample leaves no file behind (nothing was recorded).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sensortrack.drivers.ble_errors import SensorNotFoundError
from sensortrack.drivers.clock import HostClock
from sensortrack.drivers.status import (
    Connected,
    Disconnected,
    DriverItem,
    Reconnecting,
    Stalled,
    StreamStats,
)
from sensortrack.drivers.pair_supervisor import PairSupervisor
from sensortrack.drivers.supervisor import DISCONNECT_TIMEOUT_S, SensorSupervisor
from sensortrack.model import Gap, SampleBlock
from sensortrack.sessionfile import SessionWriter

# What `record` and `live` ask a sensor for when the user does not say. The analysis runs at 25 Hz
# (analysis.settings.ANALYSIS_RATE_HZ); 100 Hz leaves its decimation room to average out noise and
# costs little radio.
DEFAULT_LIVE_RATE_HZ = 100.0


_LOG = logging.getLogger(__name__)

# After a virtual source has played to its end: stop once no sample arrived for this long (real s).
SOURCE_DRAIN_IDLE_S = 0.3
# Real seconds stopping may take beyond the supervisor's own bounds (`max_stop_s`) before it is
# cancelled: a busy machine's slack. What outlasts it is a stop() that came mid-connection, e.g.
# during a configuration request only the platform's GATT timeout would end (30 s in bumble).
STOP_GRACE_S = 2.0


@dataclass(slots=True)
class RecordingStatus:
    """What the status line shows; updated as items arrive."""

    state: str = "connecting"  # connecting | recording | reconnecting | stalled | stopping
    elapsed_s: float = 0.0  # clock seconds since the first connection
    rate_hz: float = 0.0
    written_samples: int = 0
    lost_samples: int = 0
    gaps: int = 0
    reconnects: int = 0
    skipped_bytes: int = 0
    drift_ppm: float | None = None
    last_problem: str = ""


@dataclass(frozen=True, slots=True)
class RecordingSummary:
    path: Path | None  # None when nothing was recorded and the file was removed
    samples: int
    gaps: int
    lost_samples: int
    reconnects: int
    duration_s: float
    ended_by: str  # "duration" | "stop" | "source ended" | "error"
    skipped_bytes: int = 0  # bytes the decoder could not use (garbage, torn frames)
    rejected_samples: int = 0  # decoded but impossible values, dropped (garbage that looked valid)


@dataclass(slots=True)
class RecordingControl:
    """Handles another task (a signal handler, the TUI) uses to end a recording."""

    stop: asyncio.Event = field(default_factory=asyncio.Event)


async def record_session(
    supervisor: SensorSupervisor | PairSupervisor,
    writer: SessionWriter | PairWriter,
    *,
    clock: HostClock,
    duration_s: float | None = None,
    control: RecordingControl | None = None,
    source_finished: asyncio.Event | None = None,
    first_connect_timeout_s: float = 30.0,
    on_status: Callable[[RecordingStatus], None] | None = None,
    status_interval_s: float = 1.0,
    flush_interval_s: float = 0.5,
    on_item: Callable[[DriverItem], None] | None = None,
) -> RecordingSummary:
    """Record until `duration_s` of streaming, `control.stop`, or `source_finished` (virtual sensors).

    Times are seconds of `clock` except `status_interval_s` and `flush_interval_s`, which are real
    seconds (they are about the user's screen and disk). Give a writer made with
    `flush_interval_s=math.inf`: this loop flushes it in a worker thread instead, so that a slow
    disk never holds up the event loop that receives the notifications. Raises the supervisor's
    DeviceError when Bluetooth is unusable, and SensorNotFoundError when the first connection does
    not happen within `first_connect_timeout_s`; the file is closed properly first either way.
    `on_item` sees every queue item right after it was written (the live view analyses them).
    """
    control = control or RecordingControl()
    status = RecordingStatus()
    queue = supervisor.queue
    started_s = clock.now()
    streaming_since_s: float | None = None
    last_status_real = last_flush_real = last_item_real = time.monotonic()
    source_done_real: float | None = None
    ended_by = "stop"
    flushing: asyncio.Future[None] | None = None  # the latest flush; its thread may outlive a cancellation
    task = asyncio.create_task(supervisor.run())

    def consume(item: DriverItem) -> None:
        nonlocal streaming_since_s
        if isinstance(item, SampleBlock):
            writer.append(item)
            status.written_samples = writer.samples_written
        elif isinstance(item, Gap):
            writer.add_gap(item)
            status.gaps += 1
            status.lost_samples += item.lost_samples
        elif isinstance(item, Connected):
            if streaming_since_s is None:
                streaming_since_s = clock.now()
            status.state = "recording"
        elif isinstance(item, Reconnecting):
            status.state = "reconnecting"
            status.last_problem = item.reason
        elif isinstance(item, Disconnected | Stalled):
            status.state = "reconnecting" if isinstance(item, Disconnected) else "stalled"
        elif isinstance(item, StreamStats):
            status.rate_hz = item.rate_hz
            status.reconnects = item.reconnects
            status.skipped_bytes = item.skipped_bytes
            status.drift_ppm = item.drift_ppm
        if on_item is not None:
            on_item(item)  # after the write: the file never depends on the consumer

    async def finish() -> None:
        try:
            await _stop_supervisor(supervisor, task)
        finally:
            if flushing is not None:
                await asyncio.wait({flushing})  # before anything else touches the writer
            while not queue.empty():
                consume(queue.get_nowait())
            await asyncio.to_thread(writer.close)
            if writer.samples_written == 0:
                writer.path.unlink(missing_ok=True)

    try:
        while True:
            items = await _next_items(queue, timeout_s=min(0.1, flush_interval_s))
            for item in items:
                consume(item)
            if any(isinstance(item, SampleBlock | Gap) for item in items):
                last_item_real = time.monotonic()
            now_real = time.monotonic()
            if now_real - last_flush_real >= flush_interval_s:
                # fsync can take tens of ms: off the event loop, or arrival times (and so the
                # timestamps of sensors without a clock) would carry that delay. Shielded: a
                # cancellation must not leave the thread writing while the cleanup closes the file.
                flushing = asyncio.ensure_future(asyncio.to_thread(writer.flush))
                await asyncio.shield(flushing)
                last_flush_real = now_real
            if streaming_since_s is not None:
                status.elapsed_s = clock.now() - streaming_since_s
            if on_status is not None and now_real - last_status_real >= status_interval_s:
                on_status(status)
                last_status_real = now_real
            if task.done():
                task.result()  # a fatal DeviceError ends the recording here
                break
            if control.stop.is_set():
                ended_by = "stop"
                break
            if duration_s is not None and streaming_since_s is not None and status.elapsed_s >= duration_s:
                ended_by = "duration"
                break
            if source_finished is not None and source_finished.is_set():
                # Take in what is still on its way before stopping the sensor.
                source_done_real = source_done_real or now_real
                if now_real - last_item_real >= SOURCE_DRAIN_IDLE_S or now_real - source_done_real > 5.0:
                    ended_by = "source ended"
                    break
            if streaming_since_s is None and clock.now() - started_s > first_connect_timeout_s:
                raise SensorNotFoundError(
                    f"{supervisor.target} could not be connected within {first_connect_timeout_s:g} s"
                    + (f" (last error: {status.last_problem})" if status.last_problem else "")
                    + ": check it is on, charged and close by, and not connected to another app"
                )
    except BaseException:
        ended_by = "error"
        raise
    finally:
        status.state = "stopping"
        await _uninterrupted(finish())
    return RecordingSummary(
        path=writer.path if writer.samples_written else None,
        samples=writer.samples_written,
        gaps=status.gaps,
        lost_samples=status.lost_samples,
        reconnects=supervisor.reconnects,
        duration_s=status.elapsed_s,
        ended_by=ended_by,
        skipped_bytes=supervisor.decode_stats().skipped_bytes,
        rejected_samples=supervisor.timeline.counts.rejected_samples,
    )


async def _next_items(queue: asyncio.Queue[DriverItem], timeout_s: float) -> list[DriverItem]:
    """Everything queued, after waiting up to `timeout_s` for the first item ([] if none came).

    Not asyncio.wait_for: on Python 3.11 it returns the item instead of raising when this task is
    cancelled in the loop iteration the item arrives (CPython gh-86296); the recording then never
    ended and `record` or the test that cancelled it waited forever.
    """
    try:
        async with asyncio.timeout(timeout_s):
            items = [await queue.get()]
    except TimeoutError:
        return []
    while not queue.empty():  # keep up with bursts without a wait per item
        items.append(queue.get_nowait())
    return items


async def _stop_supervisor(supervisor: SensorSupervisor | PairSupervisor, task: asyncio.Task[None]) -> None:
    """Stop the supervisor and wait for `run()` to return; cancel it if it outlasts its own bounds."""
    supervisor.stop()
    await asyncio.wait({task}, timeout=supervisor.max_stop_s + STOP_GRACE_S)
    if not task.done():
        _LOG.warning("%s did not stop in time; its connection is abandoned", supervisor.target)
        task.cancel()
        # Its cleanup still hands over the samples its timeline holds and tries to disconnect.
        await asyncio.wait({task}, timeout=DISCONNECT_TIMEOUT_S + STOP_GRACE_S)
    if task.done() and not task.cancelled() and (error := task.exception()) is not None:
        _LOG.info("%s: %s", supervisor.target, error)  # raised from the loop already, or after the end


async def _uninterrupted(cleanup: Coroutine[Any, Any, None]) -> None:
    """Run `cleanup` to its end even if this task is cancelled meanwhile, then re-raise that
    cancellation: the file must get its `# end` line (everything the cleanup awaits is bounded)."""
    inner = asyncio.ensure_future(cleanup)
    cancelled = False
    while not inner.done():
        try:
            await asyncio.shield(inner)
        except asyncio.CancelledError:
            cancelled = True
    inner.result()  # the cleanup's own failure, if any
    if cancelled:
        raise asyncio.CancelledError


class PairWriter:
    """A two-sensor session file (format version 2) written from a PairSupervisor's tagged items:
    each block and gap goes to the sensor it came from. Offers what `record_session` asks of a
    writer, so one sensor and two are recorded by the same loop."""

    def __init__(self, writer: SessionWriter) -> None:
        self._writer = writer
        self.per_sensor: dict[int, int] = {}

    @property
    def path(self) -> Path:
        return self._writer.path

    @property
    def samples_written(self) -> int:
        return self._writer.samples_written

    def append(self, block: SampleBlock) -> None:
        index = int(getattr(block, "sensor_index", 0))
        self._writer.append(block, index)
        self.per_sensor[index] = self.per_sensor.get(index, 0) + len(block)

    def add_gap(self, gap: Gap) -> None:
        self._writer.add_gap(gap, int(getattr(gap, "sensor_index", 0)))

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()

"""The recording loop: a sensor supervisor's queue → a session file, crash-safe, until told to stop.

The one recording service of `sensortrack record` (one sensor or two) and the TUI's live mode:
`open_recording` builds the supervisor(s) and the session file, `Recording.run` records them,
`start_virtual_sensors` puts virtual sensors on the in-process link for either. Guarantees:
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
import math
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from sensortrack.drivers.supervisor import DISCONNECT_TIMEOUT_S, SensorSupervisor, SupervisorSettings, shared_connect_lock
from sensortrack.core.errors import SensortrackError
from sensortrack.core.model import Gap, SampleBlock, SensorInfo, Session, SessionMeta
from sensortrack.core.sessionfile import SessionWriter, as_stored
from sensortrack.core.vocabulary import Exercise

if TYPE_CHECKING:
    from sensortrack.drivers.backend import BleBackend
    from sensortrack.drivers.protocols.base import FamilyDescriptor, FullScale
    from sensortrack.drivers.scan import FoundSensor
    from sensortrack.drivers.virtual.faults import Faults
    from sensortrack.drivers.virtual.peripheral import VirtualSensor

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
            item = as_stored(item)  # the live view (on_item) analyses what the file will read back
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


# ---------------------------------------------------------------- the recording service


def never_overwrite(path: Path) -> None:
    """One line of error if `path` exists: nothing the user recorded is ever replaced."""
    if path.exists():
        raise SensortrackError(_exists(path))


def _exists(path: Path) -> str:
    return f"{path}: already exists; recordings are never overwritten — choose another name"


def create_writer(output: Path, meta: SessionMeta, **options: Any) -> SessionWriter:
    """The session file to record into (never one that exists); `record_session` flushes it every
    0.5 s from a worker thread. A file that cannot be created is one line of error."""
    try:
        return SessionWriter(output, meta, flush_interval_s=math.inf, **options)
    except FileExistsError:
        raise SensortrackError(_exists(output)) from None
    except OSError as exc:
        raise SensortrackError(f"{output}: cannot create the file: {exc.strerror or exc}") from None


@dataclass(frozen=True, slots=True)
class SensorToRecord:
    """A found sensor and what it is recorded as (its placement, side and rate in `info`)."""

    found: FoundSensor
    info: SensorInfo
    full_scale: FullScale | None = None


@dataclass(slots=True)
class Recording:
    """One sensor's or two sensors' supervision and the session file they are written into."""

    supervisor: SensorSupervisor | PairSupervisor
    writer: SessionWriter
    clock: HostClock

    @property
    def sensors(self) -> list[SensorSupervisor]:
        s = self.supervisor
        return list(s.supervisors) if isinstance(s, PairSupervisor) else [s]

    @property
    def is_pair(self) -> bool:
        return isinstance(self.supervisor, PairSupervisor)

    @property
    def path(self) -> Path:
        return self.writer.path

    def loop_writer(self) -> SessionWriter | PairWriter:
        """What `record_session` writes to: a pair's items go to the sensor they came from."""
        return PairWriter(self.writer) if self.is_pair else self.writer

    async def run(self, **options: Any) -> RecordingSummary:
        """`record_session` on this recording (its keyword options)."""
        return await record_session(self.supervisor, self.loop_writer(), clock=self.clock, **options)

    def discard(self) -> None:
        """Never started: close the file and remove it (nothing was recorded)."""
        self.writer.close()
        self.writer.path.unlink(missing_ok=True)


def open_recording(
    sensors: Sequence[SensorToRecord],
    output: Path,
    *,
    exercise: Exercise | None,
    source: str,
    notes: str = "",
    backend: BleBackend,
    clock: HostClock,
) -> Recording:
    """Supervisors for one sensor or two (then on one host timeline, connecting one at a time) and
    the session file, created now (never over an existing one; two sensors: format version 2)."""
    if len(sensors) not in (1, 2):
        raise ValueError("a recording has one sensor or two")
    pair = len(sensors) == 2
    origin_s = clock.now() if pair else None  # one host timeline for both
    lock = shared_connect_lock() if pair else None
    supervisors = [
        SensorSupervisor(
            s.found, s.info, asyncio.Queue(), settings=SupervisorSettings(), backend=backend, clock=clock,
            origin_s=origin_s, connect_lock=lock, full_scale=s.full_scale,
        )
        for s in sensors
    ]  # fmt: skip
    meta = SessionMeta(sensor=supervisors[0].info, exercise=exercise, source=source, notes=notes)
    companions = tuple(s.info for s in supervisors[1:])
    writer = create_writer(output, meta, gyro=any(s.family.has_gyro for s in supervisors), companions=companions)
    supervisor: SensorSupervisor | PairSupervisor = PairSupervisor(supervisors) if pair else supervisors[0]
    return Recording(supervisor, writer, clock)


def ending(summary: RecordingSummary, sensors: int = 1) -> str:
    """How a recording ended, as `record` and `live` say it."""
    played = "sources played to the end" if sensors > 1 else "source played to the end"
    return {"duration": "duration reached", "stop": "stopped", "source ended": played}.get(summary.ended_by, summary.ended_by)


def check_virtual_playable(family: FamilyDescriptor, session: Session, name: str) -> None:
    """A virtual sensor sends what its real model sends: a model with a gyroscope cannot play a
    recording without one (a Polar Verity Sense pairs every ACC frame with a GYRO frame, so the
    driver would keep none and reconnect forever: "0 samples")."""
    if family.has_gyro and session.samples.gyro_dps is None:
        from sensortrack.drivers.protocols.registry import MODEL_IDS
        from sensortrack.drivers.scan import family_by_model
        from sensortrack.core.errors import ConfigError

        acc_only = [m for m in MODEL_IDS if not family_by_model(m).has_gyro]
        raise ConfigError(
            f"{name} has no gyroscope readings, but a {family.display_name} always sends them: "
            f"play it on an accelerometer-only model ({', '.join(acc_only)}) or choose a recording with a gyroscope"
        )


@dataclass(slots=True)
class VirtualSensors:
    """Virtual sensors advertising on one in-process link, found by a real bleak scan."""

    sensors: list[VirtualSensor]
    sessions: list[Session]  # what each plays
    found: list[FoundSensor]
    backend: BleBackend
    clock: HostClock
    finished: asyncio.Event  # every sensor has played its session to the end
    _watcher: asyncio.Future[None] | None = None

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
        for sensor in self.sensors:
            await sensor.close()


async def start_virtual_sensors(
    plays: Sequence[tuple[FamilyDescriptor, Session, float]],
    *,
    speed: float = 1.0,
    faults: Sequence[Faults] | None = None,
    clock_drift_ppm: Sequence[float] | None = None,
    timeout_s: float = 15.0,
    together: bool = False,
) -> VirtualSensors:
    """One virtual sensor per (family, session to play, rate it starts at) on a link running at
    `speed`, each found by scanning (two of one model get names ending -1, -2). `together`: the
    sessions start playing at one moment, once all are streaming (PlayTogether: a live pair's
    segments in step); else each from its own first stream (`record` aligns files afterwards)."""
    from sensortrack.drivers.clock import ScaledClock
    from sensortrack.drivers.scan import find_sensor
    from sensortrack.drivers.virtual.faults import Faults
    from sensortrack.drivers.virtual.link import VirtualLink
    from sensortrack.drivers.virtual.names import advertised_name
    from sensortrack.drivers.virtual.peripheral import PlayTogether, VirtualSensor

    link = VirtualLink(ScaledClock(speed))
    several = len(plays) > 1
    started: list[VirtualSensor] = []
    out = VirtualSensors(started, [p[1] for p in plays], [], link.backend, link.clock, asyncio.Event())
    group = PlayTogether(len(plays))
    try:
        for k, (family, session, rate_hz) in enumerate(plays):
            sensor = VirtualSensor(
                link, family, session, name=f"{advertised_name(family)}-{k + 1}" if several else None,
                faults=faults[k] if faults else Faults(), initial_rate_hz=family.nearest_rate_hz(rate_hz),
                clock_drift_ppm=clock_drift_ppm[k] if clock_drift_ppm else 0.0,
            )  # fmt: skip
            if together:
                sensor.together = (group, k)
            await sensor.start()
            started.append(sensor)
        for sensor, (family, _, _) in zip(started, plays, strict=True):
            out.found.append(await find_sensor(sensor.address if several else sensor.name, timeout_s, model=family.model if several else None, backend=link.backend))
    except BaseException:
        await out.close()
        raise

    async def all_played() -> None:
        await asyncio.gather(*(s.finished.wait() for s in started))
        out.finished.set()

    out._watcher = asyncio.ensure_future(all_played())
    return out

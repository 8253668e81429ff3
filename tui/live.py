"""The live view's source for a sensor: the BLE driver's queue, recorded crash-safely as it streams.

`LiveSource` runs `sensortrack.recording.record_session` (the same loop as `sensortrack record`)
in a task; every block is written to the session file first and only then handed to the view, so
a slow or crashed UI never costs a recorded sample. `open_live_source` wires a found sensor (real,
or virtual on the in-process bumble link) to a supervisor, a session file and that source.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sensortrack.drivers.backend import SYSTEM_BACKEND, BleBackend
from sensortrack.drivers.clock import HostClock, MonotonicClock
from sensortrack.drivers.protocols.base import FamilyDescriptor
from sensortrack.drivers.scan import FoundSensor
from sensortrack.drivers.status import Connected, DriverItem
from sensortrack.drivers.supervisor import SensorSupervisor, SupervisorSettings
from sensortrack.errors import ConfigError, SensortrackError
from sensortrack.model import SampleBlock, SensorInfo, Session, SessionMeta
from sensortrack.recording import (
    DEFAULT_LIVE_RATE_HZ,
    RecordingControl,
    RecordingStatus,
    RecordingSummary,
    record_session,
)
from sensortrack.sessionfile import SessionWriter
from sensortrack.tui.sources import SourceItem

STATUS_INTERVAL_S = 0.25  # how often the recording loop refreshes the status the view shows


class LiveSource:
    """Blocks from a sensor supervisor, written to `writer` before the view sees them."""

    seekable = False

    def __init__(
        self,
        supervisor: SensorSupervisor,
        writer: SessionWriter,
        *,
        clock: HostClock,
        description: str,
        source_finished: asyncio.Event | None = None,
        first_connect_timeout_s: float = 30.0,
        on_close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.supervisor = supervisor
        self.writer = writer
        self.description = description
        self.status = RecordingStatus()
        self.rssi_dbm: int | None = None  # signal strength when the sensor was found (bleak gives none later)
        self.battery_pct: int | None = None  # Battery Service level at the last connection, if it has one
        self.summary: RecordingSummary | None = None
        self._clock = clock
        self._finished = source_finished
        self._first_connect_timeout_s = first_connect_timeout_s
        self._on_close = on_close
        self._control = RecordingControl()
        self._items: asyncio.Queue[SampleBlock | None] = asyncio.Queue()
        self._task: asyncio.Task[RecordingSummary] | None = None
        self._closed = False

    @property
    def path(self) -> Path:
        return self.writer.path

    def start(self) -> None:
        """Start connecting and recording (idempotent; needs the running event loop)."""
        if self._task is None:
            self._task = asyncio.create_task(self._record())

    async def _record(self) -> RecordingSummary:
        try:
            return await record_session(
                self.supervisor,
                self.writer,
                clock=self._clock,
                control=self._control,
                source_finished=self._finished,
                first_connect_timeout_s=self._first_connect_timeout_s,
                on_status=self._on_status,
                status_interval_s=STATUS_INTERVAL_S,
                on_item=self._on_item,
            )
        finally:
            self._items.put_nowait(None)  # the view's stream ends however the recording did

    def _on_status(self, status: RecordingStatus) -> None:
        self.status = status  # the recorder keeps updating this same object

    def _on_item(self, item: DriverItem) -> None:
        if isinstance(item, SampleBlock):
            self._items.put_nowait(item)
        elif isinstance(item, Connected) and item.battery_pct is not None:
            self.battery_pct = item.battery_pct

    async def blocks(self) -> AsyncIterator[SourceItem]:
        self.start()
        while (item := await self._items.get()) is not None:
            yield item
        assert self._task is not None
        self.summary = await self._task  # raises the recording's DeviceError, if it ended with one

    def mark(self, line: str) -> None:
        """Write an exercise change or a set note into the recording (also after it ended)."""
        self.writer.add_event(line)

    def stop(self) -> None:
        """End the recording (the stream then ends too)."""
        self._control.stop.set()

    async def close(self) -> RecordingSummary | None:
        """Stop, wait until the file is complete, release the sensor. Safe to call twice; errors
        were already reported through `blocks()`, so they are not raised again here."""
        if self._closed:
            return self.summary
        self._closed = True
        self.stop()
        try:
            if self._task is not None:
                with contextlib.suppress(SensortrackError):
                    self.summary = await self._task
            else:  # never started: nothing was recorded, the empty file goes
                self.writer.close()
                self.writer.path.unlink(missing_ok=True)
        finally:
            if self._on_close is not None:
                await self._on_close()
        return self.summary


def default_session_path(folder: Path | None = None, now: datetime | None = None) -> Path:
    """A new file in `<data dir>/sessions/` named after the local start time (never an existing one)."""
    from sensortrack.config import data_dir

    folder = folder or data_dir() / "sessions"
    stem = (now or datetime.now()).strftime("%Y-%m-%d_%H%M%S")
    path = folder / f"{stem}.csv"
    n = 2
    while path.exists():
        path = folder / f"{stem}_{n}.csv"
        n += 1
    return path


@dataclass(frozen=True, slots=True)
class LiveChoice:
    """What the wearer confirmed before the live view starts."""

    sensor: FoundSensor
    exercise: str
    placement: str
    side: str


def open_live_source(
    choice: LiveChoice,
    path: Path,
    *,
    rate_hz: float | None = None,
    backend: BleBackend = SYSTEM_BACKEND,
    clock: HostClock | None = None,
    source_finished: asyncio.Event | None = None,
    origin: str = "",
    on_close: Callable[[], Awaitable[None]] | None = None,
) -> LiveSource:
    """A LiveSource for the chosen sensor, recording to `path` (created now, never overwritten)."""
    family = choice.sensor.family
    assert family is not None, "find_sensor/scan_sensors only return supported sensors"
    clock = clock or MonotonicClock()
    rate_hz = live_rate_hz(family, rate_hz)
    info = SensorInfo(model=family.model, placement=choice.placement, side=choice.side, nominal_rate_hz=rate_hz)  # type: ignore[arg-type]
    queue: asyncio.Queue[DriverItem] = asyncio.Queue()
    supervisor = SensorSupervisor(choice.sensor, info, queue, settings=SupervisorSettings(), backend=backend, clock=clock)
    meta = SessionMeta(
        sensor=supervisor.info,
        exercise=choice.exercise,  # type: ignore[arg-type]
        source="live:virtual" if backend.virtual else "live",
        notes=origin,
    )
    try:
        writer = SessionWriter(path, meta, gyro=family.has_gyro)
    except FileExistsError:
        raise SensortrackError(f"{path}: already exists; recordings are never overwritten") from None
    except OSError as exc:
        raise SensortrackError(f"{path}: cannot create the file: {exc.strerror or exc}") from None
    name = choice.sensor.name or choice.sensor.address
    source = LiveSource(
        supervisor,
        writer,
        clock=clock,
        description=f"{family.display_name} '{name}'",
        source_finished=source_finished,
        on_close=on_close,
    )
    source.rssi_dbm = choice.sensor.rssi or None
    return source


def check_virtual_playable(family: FamilyDescriptor, session: Session, name: str) -> None:
    """A virtual sensor sends what its real model sends: a model with a gyroscope cannot play a
    recording without one (a Polar Verity Sense pairs every ACC frame with a GYRO frame, so the
    driver would keep none and reconnect forever: "0 samples")."""
    if family.has_gyro and session.samples.gyro_dps is None:
        from sensortrack.drivers.protocols.registry import MODEL_IDS
        from sensortrack.drivers.scan import family_by_model

        acc_only = [m for m in MODEL_IDS if not family_by_model(m).has_gyro]
        raise ConfigError(
            f"{name} has no gyroscope readings, but a {family.display_name} always sends them: "
            f"play it on an accelerometer-only model ({', '.join(acc_only)}) or choose a recording with a gyroscope"
        )


def live_rate_hz(family: FamilyDescriptor, wanted_hz: float | None) -> float:
    """The rate the sensor will actually run at (the nearest it offers to what was asked)."""
    return family.nearest_rate_hz(wanted_hz or DEFAULT_LIVE_RATE_HZ)


async def open_virtual_source(
    model: str,
    session_path: Path | str,
    path: Path,
    *,
    speed: float = 1.0,
    exercise: str | None = None,
    placement: str | None = None,
    side: str | None = None,
    timeout_s: float = 15.0,
    rate_hz: float | None = None,
) -> tuple[LiveSource, LiveChoice]:
    """A virtual `model` sensor playing `session_path` on the in-process BLE link, found by a real
    bleak scan, connected through the real driver and recorded to `path`."""
    from sensortrack.drivers.scan import family_by_model, find_sensor
    from sensortrack.drivers.virtual.rig import start_rig
    from sensortrack.errors import MissingMetadataError
    from sensortrack.loading import load_session

    family = family_by_model(model)
    session = load_session(session_path)
    check_virtual_playable(family, session, str(session_path))
    body = (
        exercise or session.meta.exercise,
        placement or session.meta.sensor.placement,
        side or session.meta.sensor.side,
    )
    if None in body:
        raise MissingMetadataError(
            f"{session_path}: the file does not say the exercise, placement and side: give --exercise, --placement and --side"
        )
    rate_hz = live_rate_hz(family, rate_hz or session.meta.sensor.nominal_rate_hz)
    rig = await start_rig([(family, session)], speed=speed, rate_hz=rate_hz)
    try:
        found = await find_sensor(rig.sensors[0].name, timeout_s, backend=rig.link.backend)
        choice = LiveChoice(found, *body)  # type: ignore[arg-type]
        source = open_live_source(
            choice,
            path,
            rate_hz=rate_hz,
            backend=rig.link.backend,
            clock=rig.clock,
            source_finished=rig.sensors[0].finished,
            origin=f"virtual {family.model} playing {Path(session_path).name}",
            on_close=rig.close,
        )
    except BaseException:
        await rig.close()
        raise
    return source, choice

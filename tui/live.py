"""The live view's source: one sensor's or a pair's driver queue, recorded crash-safely as it streams.

`LiveSource` runs the recording service (`sensortrack.recording`: the same supervisors, session
file and loop as `sensortrack record`) in a task; every block is written to the session file first
and only then handed to the view, so a slow or crashed UI never costs a recorded sample.
`open_live_source` wires one found sensor or two (real, or virtual on the in-process bumble link)
to that service. With two, each block says which sensor it came from (`sensor_index`) and each
sensor's own state (streaming, reconnecting, rate, battery) is kept apart for the view.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sensortrack.drivers.backend import SYSTEM_BACKEND, BleBackend
from sensortrack.drivers.clock import HostClock, MonotonicClock
from sensortrack.drivers.pair_supervisor import PairSupervisor, SensorEvent
from sensortrack.drivers.protocols.base import FamilyDescriptor
from sensortrack.drivers.scan import FoundSensor
from sensortrack.drivers.status import Connected, DriverItem
from sensortrack.drivers.supervisor import SensorSupervisor
from sensortrack.core.errors import SensortrackError
from sensortrack.core.model import SampleBlock, SensorInfo, Session
from sensortrack.recording import (
    DEFAULT_LIVE_RATE_HZ,
    Recording,
    RecordingControl,
    RecordingStatus,
    RecordingSummary,
    SensorToRecord,
    check_virtual_playable,
    open_recording,
)
from sensortrack.core.session_events import SetNote
from sensortrack.core.sessionfile import SessionWriter
from sensortrack.core.vocabulary import Exercise, Placement, Side, exercise_or_none, placement_or_none, side_or_none
from sensortrack.tui.sources import SILENT_AFTER_S, SensorView, SourceItem

if TYPE_CHECKING:
    from sensortrack.drivers.virtual.faults import Faults

STATUS_INTERVAL_S = 0.25  # how often the recording loop refreshes the status the view shows


class LiveSource:
    """Blocks from a recording's supervisor(s), written to its file before the view sees them."""

    seekable = False
    records = True

    def __init__(
        self,
        recording: Recording,
        *,
        description: str,
        source_finished: asyncio.Event | None = None,
        first_connect_timeout_s: float = 30.0,
        on_close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.recording = recording
        self.description = description
        self.status = RecordingStatus()
        self.rssi_dbm: int | None = None  # signal strength when the sensor was found (bleak gives none later)
        self.battery_pct: int | None = None  # Battery Service level at the last connection, if it has one
        self.batteries: list[int | None] = [None] * len(recording.sensors)  # the same, per sensor of a pair
        self.last_block_s: list[float | None] = [None] * len(recording.sensors)  # clock time of each one's newest block
        self.summary: RecordingSummary | None = None
        self._finished = source_finished
        self._first_connect_timeout_s = first_connect_timeout_s
        self._on_close = on_close
        self._control = RecordingControl()
        self._items: asyncio.Queue[SampleBlock | None] = asyncio.Queue()
        self._task: asyncio.Task[RecordingSummary] | None = None
        self._closed = False

    @property
    def supervisor(self) -> SensorSupervisor:
        """The (first) sensor's supervisor: its info and family describe the stream the view analyses."""
        return self.recording.sensors[0]

    @property
    def infos(self) -> list[SensorInfo]:
        return [s.info for s in self.recording.sensors]

    @property
    def has_gyro(self) -> list[bool]:
        return [s.family.has_gyro for s in self.recording.sensors]

    @property
    def writer(self) -> SessionWriter:
        return self.recording.writer

    @property
    def path(self) -> Path:
        return self.recording.path

    def sensor_views(self, finished: bool = False) -> list[SensorView]:
        """Each sensor's state now (one entry for a single sensor)."""
        st = self.status
        pair = self.recording.supervisor
        if not isinstance(pair, PairSupervisor):
            info = self.supervisor.info
            state = "streaming" if st.state == "recording" else st.state
            return [SensorView(info.placement or "?", info.side or "?", "ended" if finished else state, st.rate_hz, info.nominal_rate_hz,
                               st.lost_samples, st.gaps, st.reconnects, self.battery_pct, st.last_problem)]
        now_s = self.recording.clock.now()
        silent_s = SILENT_AFTER_S * self.recording.clock.speed  # clock seconds (a sped-up virtual link)

        def state_of(k: int, said: str) -> str:
            last = self.last_block_s[k]
            if finished:
                return "ended"
            if said == "streaming" and last is not None and now_s - last > silent_s:
                return f"silent {now_s - last:.0f} s"
            return said

        return [
            SensorView(s.info.placement or "?", s.info.side or "?", state_of(k, s.state), s.rate_hz, s.info.nominal_rate_hz,
                       s.lost_samples, s.gaps, s.reconnects, self.batteries[k], s.last_problem)
            for k, s in enumerate(pair.states)
        ]  # fmt: skip

    def status_parts(self, position_s: float, nominal_rate_hz: float, finished: bool) -> list[str]:
        """Connection state, measured rate, lost samples, signal and where the recording goes."""
        st = self.status
        state = "ended" if finished else st.state
        if st.state == "reconnecting" and st.last_problem and not finished:
            state = f"reconnecting ({st.last_problem})"
        lost = f"lost {st.lost_samples}" + (f" in {st.gaps} gaps" if st.gaps else "")
        parts = [state, f"{st.rate_hz:.0f}/{nominal_rate_hz:g} Hz", lost]
        if self.battery_pct is not None:
            parts.append(f"battery {self.battery_pct} %")
        if self.rssi_dbm:
            parts.append(f"signal {self.rssi_dbm} dBm at scan")
        if st.reconnects:
            parts.append(f"{st.reconnects} reconnects")
        parts.append(f"● rec {self.path.name}")
        return parts

    def recorded_notes(self) -> tuple[SetNote, ...]:
        return ()  # the notes given now are the view's own

    def start(self) -> None:
        """Start connecting and recording (idempotent; needs the running event loop)."""
        if self._task is None:
            self._task = asyncio.create_task(self._record())

    async def _record(self) -> RecordingSummary:
        try:
            return await self.recording.run(
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
            self._items.put_nowait(item)  # a pair's blocks carry their sensor_index
            self.last_block_s[int(getattr(item, "sensor_index", 0))] = self.recording.clock.now()
        elif isinstance(item, SensorEvent):
            if isinstance(item.item, Connected) and item.item.battery_pct is not None:
                self.batteries[item.sensor_index] = item.item.battery_pct
        elif isinstance(item, Connected) and item.battery_pct is not None:
            self.battery_pct = item.battery_pct
            self.batteries[0] = self.batteries[0] if len(self.batteries) > 1 else item.battery_pct

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
                self.recording.discard()
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
class SecondSensor:
    """The second sensor of a live pair: where it sits (the thigh + shank of one leg, or the
    same segment of the other leg)."""

    sensor: FoundSensor
    placement: Placement
    side: Side
    rate_hz: float | None = None  # asked for (None: the first sensor's, else the default)


LiveExercise = Exercise | Literal["auto"]


def live_exercise_or_none(value: object) -> LiveExercise | None:
    """A live exercise choice read from outside (a flag, live.toml, the set-up screen), or None."""
    return "auto" if value == "auto" else exercise_or_none(value)


@dataclass(frozen=True, slots=True)
class LiveChoice:
    """What the wearer confirmed before the live view starts."""

    sensor: FoundSensor
    exercise: LiveExercise  # auto: each bout's exercise recognised as it streams
    placement: Placement
    side: Side
    second: SecondSensor | None = None


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
    """A LiveSource for the chosen sensor (and the second, if chosen), recording to `path`
    (created now, never overwritten)."""
    clock = clock or MonotonicClock()
    bodies = [(choice.sensor, choice.placement, choice.side, rate_hz)]
    if choice.second is not None:
        bodies.append((choice.second.sensor, choice.second.placement, choice.second.side, choice.second.rate_hz or rate_hz))
    sensors = []
    names = []
    for found, placement, side, wanted_hz in bodies:
        family = found.family
        assert family is not None, "find_sensor/scan_sensors only return supported sensors"
        info = SensorInfo(model=family.model, placement=placement, side=side, nominal_rate_hz=live_rate_hz(family, wanted_hz))
        sensors.append(SensorToRecord(found, info))
        names.append(f"{family.display_name} '{found.name or found.address}'")
    recording = open_recording(
        sensors, path, exercise=exercise_or_none(choice.exercise),  # auto: recognised later too
        source="live:virtual" if backend.virtual else "live", notes=origin,
        backend=backend, clock=clock,
    )  # fmt: skip
    source = LiveSource(
        recording,
        description=" + ".join(names),
        source_finished=source_finished,
        on_close=on_close,
    )
    source.rssi_dbm = choice.sensor.rssi or None
    return source


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
    from sensortrack.drivers.scan import family_by_model
    from sensortrack.core.errors import MissingMetadataError
    from sensortrack.recording import start_virtual_sensors
    from sensortrack.core.loading import load_session

    family = family_by_model(model)
    session = load_session(session_path)
    check_virtual_playable(family, session, str(session_path))
    said_exercise = live_exercise_or_none(exercise or session.meta.exercise)
    said_placement = placement_or_none(placement or session.meta.sensor.placement)
    said_side = side_or_none(side or session.meta.sensor.side)
    if said_exercise is None or said_placement is None or said_side is None:
        raise MissingMetadataError(
            f"{session_path}: the file does not say the exercise, placement and side: give --exercise, --placement and --side"
        )
    rate_hz = live_rate_hz(family, rate_hz or session.meta.sensor.nominal_rate_hz)
    virtual = await start_virtual_sensors([(family, session, rate_hz)], speed=speed, timeout_s=timeout_s)
    try:
        choice = LiveChoice(virtual.found[0], said_exercise, said_placement, said_side)
        source = open_live_source(
            choice,
            path,
            rate_hz=rate_hz,
            backend=virtual.backend,
            clock=virtual.clock,
            source_finished=virtual.finished,
            origin=f"virtual {family.model} playing {Path(session_path).name}",
            on_close=virtual.close,
        )
    except BaseException:
        await virtual.close()
        raise
    return source, choice


async def open_virtual_pair(
    plays: list[tuple[str, Session, Placement, Side]],
    path: Path,
    *,
    exercise: LiveExercise,
    speed: float = 1.0,
    faults: list[Faults] | None = None,
    timeout_s: float = 15.0,
) -> tuple[LiveSource, LiveChoice]:
    """Two virtual sensors, each (model, session it plays, placement, side), on one in-process link:
    found by bleak scans, connected through the real drivers, recorded to `path` as one
    two-sensor session. `faults` per sensor (a dropout of one while the other streams)."""
    from sensortrack.drivers.scan import family_by_model
    from sensortrack.recording import start_virtual_sensors

    families = [family_by_model(model) for model, *_ in plays]
    for family, (_, session, placement, side) in zip(families, plays, strict=True):
        check_virtual_playable(family, session, f"the {side} {placement}'s recording")
    rates = [live_rate_hz(f, p[1].meta.sensor.nominal_rate_hz) for f, p in zip(families, plays, strict=True)]
    virtual = await start_virtual_sensors(
        [(f, p[1], r) for f, p, r in zip(families, plays, rates, strict=True)], speed=speed, faults=faults, timeout_s=timeout_s,
        together=True,
    )
    try:
        (_, _, p1, s1), (_, _, p2, s2) = plays
        choice = LiveChoice(virtual.found[0], exercise, p1, s1, second=SecondSensor(virtual.found[1], p2, s2, rates[1]))
        source = open_live_source(
            choice, path, rate_hz=rates[0], backend=virtual.backend, clock=virtual.clock,
            source_finished=virtual.finished, origin="virtual pair", on_close=virtual.close,
        )  # fmt: skip
    except BaseException:
        await virtual.close()
        raise
    return source, choice

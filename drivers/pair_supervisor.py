"""Two (or more) sensors supervised as one: each with its own SensorSupervisor (connection,
reconnection, timeline), all items merged onto one queue, tagged with the sensor they came from.

Every supervisor gets the same `origin_s`, so each sensor's samples are placed on one host timeline:
device clocks are mapped onto the host clock by each timeline's DeviceClockMapper (its drift is
the skew, measured per sensor and reported in StreamStats.drift_ppm); sensors without a clock are
stamped from arrival times on the same host clock. One sensor dropping out (link lost, stalled)
is that supervisor's business: it reconnects while the other keeps streaming.

The adapter offers what `recording.record_session` asks of a supervisor, so the recording loop
and its crash-safety guarantees are the same for one sensor and for two.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from sensortrack.drivers.protocols.base import DecodeStats
from sensortrack.drivers.status import Connected, DriverItem, StreamStats
from sensortrack.drivers.supervisor import SensorSupervisor
from sensortrack.core.model import Gap, SampleBlock, SensorInfo


@dataclass(frozen=True, slots=True, eq=False)
class SensorBlock(SampleBlock):
    """A sample block that says which sensor of a pair it came from (index into the pair)."""

    sensor_index: int = 0


@dataclass(frozen=True, slots=True)
class SensorGap(Gap):
    sensor_index: int = 0


@dataclass(frozen=True, slots=True)
class SensorEvent:
    """A status item (Connected, Reconnecting, Stalled, StreamStats, …) of one sensor of the pair,
    for consumers that show each sensor's state; the untagged item is queued too."""

    sensor_index: int
    item: DriverItem


@dataclass(slots=True)
class SensorState:
    info: SensorInfo
    state: str = "connecting"  # connecting | streaming | reconnecting | stalled
    samples: int = 0
    gaps: int = 0
    lost_samples: int = 0
    reconnects: int = 0
    drift_ppm: float | None = None
    rate_hz: float = 0.0
    last_problem: str = ""


@dataclass(slots=True)
class _Counts:
    rejected_samples: int = 0


@dataclass(slots=True)
class _Timeline:
    counts: _Counts = field(default_factory=_Counts)


class PairSupervisor:
    """Runs the given supervisors together; their queues are drained into `queue`."""

    def __init__(self, supervisors: Sequence[SensorSupervisor], queue: asyncio.Queue[DriverItem] | None = None) -> None:
        if len(supervisors) < 2:
            raise ValueError("a pair needs at least two supervisors")
        self.supervisors = list(supervisors)
        self.queue: asyncio.Queue[DriverItem] = queue or asyncio.Queue()
        self.states = [SensorState(s.info) for s in self.supervisors]
        self._stop = asyncio.Event()

    @property
    def infos(self) -> list[SensorInfo]:
        return [s.info for s in self.supervisors]

    @property
    def target(self) -> str:
        return " and ".join(s.target for s in self.supervisors)

    @property
    def reconnects(self) -> int:
        return sum(s.reconnects for s in self.supervisors)

    @property
    def max_stop_s(self) -> float:
        return max(s.max_stop_s for s in self.supervisors)

    @property
    def timeline(self) -> _Timeline:
        return _Timeline(_Counts(sum(s.timeline.counts.rejected_samples for s in self.supervisors)))

    def decode_stats(self) -> DecodeStats:
        out = DecodeStats()
        for s in self.supervisors:
            stats = s.decode_stats()
            out.notifications += stats.notifications
            out.samples += stats.samples
            out.skipped_bytes += stats.skipped_bytes
            out.bad_frames += stats.bad_frames
        return out

    def stop(self) -> None:
        self._stop.set()
        for s in self.supervisors:
            s.stop()

    async def run(self) -> None:
        """Until stopped, or until any supervisor fails for good (its error is raised)."""
        runs = [asyncio.create_task(s.run()) for s in self.supervisors]
        forward = asyncio.create_task(self._forward())
        try:
            pending = set(runs)
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()  # a fatal error of one sensor ends the pair's recording
                if not self._stop.is_set() and done:
                    continue  # a supervisor returned on its own: the others go on
        finally:
            for s in self.supervisors:
                s.stop()
            await asyncio.gather(*runs, return_exceptions=True)
            self._drain()
            forward.cancel()
            await asyncio.gather(forward, return_exceptions=True)

    async def _forward(self) -> None:
        while True:
            self._drain()
            await asyncio.sleep(0.01)

    def _drain(self) -> None:
        for index, supervisor in enumerate(self.supervisors):
            while not supervisor.queue.empty():
                self.queue.put_nowait(self._tag(index, supervisor.queue.get_nowait()))

    def _tag(self, index: int, item: DriverItem) -> DriverItem:
        state = self.states[index]
        if isinstance(item, SampleBlock):
            state.samples += len(item)
            return SensorBlock(item.t_s, item.acc_g, item.gyro_dps, item.quat_wxyz, item.sensor, sensor_index=index)
        if isinstance(item, Gap):
            state.gaps += 1
            state.lost_samples += item.lost_samples
            return SensorGap(item.start_s, item.end_s, item.lost_samples, sensor_index=index)
        if isinstance(item, Connected):
            state.state = "streaming"
        elif isinstance(item, StreamStats):
            state.rate_hz = item.rate_hz
            state.reconnects = item.reconnects
            state.drift_ppm = item.drift_ppm
        else:
            name = type(item).__name__.lower()
            state.state = {"disconnected": "reconnecting", "reconnecting": "reconnecting", "stalled": "stalled"}.get(name, state.state)
            state.last_problem = str(getattr(item, "reason", state.last_problem))
        # SensorEvent is a status item of its own, queued beside the untagged one; DriverItem (status.py)
        # does not list it, so that one-sensor consumers need not know it
        self.queue.put_nowait(SensorEvent(index, item))  # type: ignore[arg-type]
        return item

"""Where the live view's samples come from: anything that yields SampleBlocks asynchronously.

The app never knows whether blocks come from a Bluetooth sensor or a file; tests hand it a
ReplaySource over a fixture. A source may also yield RESTART: "everything before was taken back,
start the analysis again" (a backward seek), since the streaming analysis cannot run backwards.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from dataclasses import dataclass
from typing import Final, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from sensortrack.core.model import SampleBlock, Session
from sensortrack.core.session_events import SetNote



class _Restart:
    def __repr__(self) -> str:
        return "RESTART"


RESTART: Final = _Restart()
SourceItem = SampleBlock | _Restart


# A connected sensor that sent nothing for this long (real seconds) is shown as silent: the
# supervisor's own stall timeout (5 s) is for reconnecting, far too late for the wearer to see;
# notifications come in bursts of a few hundred ms on a busy machine, so not much shorter.
SILENT_AFTER_S = 1.0


@dataclass(frozen=True, slots=True)
class SensorView:
    """One sensor of the live recording as the status panel shows it."""

    placement: str
    side: str
    state: str  # connecting | streaming | silent | reconnecting | stalled | ended
    rate_hz: float
    nominal_rate_hz: float
    lost_samples: int
    gaps: int
    reconnects: int
    battery_pct: int | None
    last_problem: str



@runtime_checkable
class SampleSource(Protocol):
    """A stream of sample blocks for the live view, and what it can do: the view asks the source
    (`seekable`, `records`) instead of checking which kind of source it has."""

    description: str  # shown in the status line: "replay squats.csv", "Movesense 2205…"
    seekable: bool  # a `Seekable`: the replay controls (pause, speed, seek, next rep, restart) apply
    # a `Recorder`: it records what it streams (set notes and exercise changes are marked in its
    # file), connects before the first sample, and its state changes while no samples arrive
    records: bool

    def blocks(self) -> AsyncIterator[SourceItem]: ...

    def sensor_views(self, finished: bool = False) -> list[SensorView]:
        """Each sensor's state now (one entry for a single sensor)."""
        ...

    def status_parts(self, position_s: float, nominal_rate_hz: float, finished: bool) -> list[str]:
        """What the source adds to the status line (where it is in a replay; a live sensor's link)."""
        ...

    def recorded_notes(self) -> tuple[SetNote, ...]:
        """Set notes the stream's recording already held (a replayed session's)."""
        ...


class Seekable(SampleSource, Protocol):
    """A source whose playback the wearer controls (`seekable` is True)."""

    fast_forward: bool

    @property
    def position_s(self) -> float: ...
    @property
    def duration_s(self) -> float: ...
    @property
    def paused(self) -> bool: ...
    @property
    def speed(self) -> float: ...
    @speed.setter
    def speed(self, value: float) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def seek(self, position_s: float) -> None: ...
    def rewind(self) -> None: ...


class Recorder(SampleSource, Protocol):
    """A source that records what it streams (`records` is True)."""

    @property
    def path(self) -> Path: ...
    def mark(self, line: str) -> None:
        """Write an event line (an exercise change, a set note) into the recording."""
        ...


class ReplaySource:
    """A recorded session played back in small chunks, paced to `speed` × real time.

    Pausable, speed adjustable while playing, seekable both ways (backwards yields RESTART and
    replays from the start unpaced up to the target), and `fast_forward` plays unpaced until
    cleared (the app's "next rep" key). With a `companion` session (the second sensor of a pair,
    its times already on the session's timeline) both are played interleaved in time, each block saying
    its sensor (`sensor_index` 0: the session's, 1: the companion's), as a live pair streams.
    """

    seekable = True
    records = False
    MIN_SPEED = 0.25
    MAX_SPEED = 1000.0

    def __init__(
        self,
        session: Session,
        speed: float = 1.0,
        *,
        chunk_s: float = 0.1,
        description: str = "",
        clock: Callable[[], float] = time.monotonic,
        companion: Session | None = None,
    ) -> None:
        if not speed > 0:
            raise ValueError("speed must be positive")
        self.session = session
        self.description = description or f"replay {session.path or 'session'}"
        self._streams = (session.samples,) if companion is None else (session.samples, companion.samples)
        self._gaps = [session.gaps] if companion is None else [session.gaps, companion.gaps]
        # per stream, how many of its samples come before each place of the merged timeline
        self._before: list[NDArray[np.int64]] | None = None
        if companion is None:
            self._t = session.samples.t_s
        else:
            t_all = np.concatenate([s.t_s for s in self._streams])
            which = np.concatenate([np.full(len(s), k) for k, s in enumerate(self._streams)])
            order = np.argsort(t_all, kind="stable")  # each stream's own order is kept
            self._t = t_all[order]
            self._before = [np.concatenate(([0], np.cumsum(which[order] == k))) for k in range(len(self._streams))]
        self._t0 = float(self._t[0]) if len(self._t) else 0.0
        self._chunk_s = chunk_s
        self._clock = clock
        self._speed = float(speed)
        self._running = asyncio.Event()
        self._running.set()
        self._wake = asyncio.Event()  # a seek arrived while paused
        self._seek_to_s: float | None = None
        self._fast_until_s = -np.inf  # play unpaced while the position is before this
        self.fast_forward = False
        self._index = 0
        self._anchor: tuple[float, float] | None = None  # (wall time, stream position) pacing is measured from

    # ---------------------------------------------------------------- controls
    @property
    def duration_s(self) -> float:
        return float(self._t[-1]) - self._t0 if len(self._t) else 0.0

    @property
    def position_s(self) -> float:
        """Stream seconds since the session's first sample that have been handed out."""
        if self._index == 0:
            return 0.0
        return float(self._t[self._index - 1]) - self._t0

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        self._speed = float(min(self.MAX_SPEED, max(self.MIN_SPEED, value)))
        self._anchor = None  # pace the new speed from here, not from the start

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._anchor = None
        self._running.set()

    def seek(self, position_s: float) -> None:
        """Jump to `position_s` seconds into the session (clamped to the recording). Paused, the
        replay still moves there (unpaced) and stays paused."""
        self._seek_to_s = float(min(max(position_s, 0.0), self.duration_s))
        self._wake.set()

    def rewind(self) -> None:
        """Back to the start after the stream has ended: `blocks()` can be read again."""
        self._index = 0
        self._seek_to_s = None
        self._fast_until_s = -np.inf
        self._anchor = None

    # ---------------------------------------------------------------- stream
    async def blocks(self) -> AsyncIterator[SourceItem]:
        n = len(self._t)
        while self._index < n:
            if self._seek_to_s is not None:
                target, self._seek_to_s = self._seek_to_s, None
                if target < self.position_s:
                    self._index = 0
                    yield RESTART
                self._fast_until_s = target
                self._anchor = None
            seeking = self.position_s < self._fast_until_s
            while self.paused and not seeking and self._seek_to_s is None:
                self._wake.clear()
                waits = [asyncio.ensure_future(self._running.wait()), asyncio.ensure_future(self._wake.wait())]
                try:
                    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                finally:  # also when the reader is cancelled: no waiter left behind
                    for task in waits:
                        task.cancel()
            if self._seek_to_s is not None:
                continue  # apply the seek at the top of the loop
            unpaced = self.fast_forward or self.position_s < self._fast_until_s
            # Bigger chunks when nobody can watch each one: keeps fast replays cheap.
            span_s = self._chunk_s * (20.0 if unpaced else max(1.0, self._speed / 10.0))
            stop_t = float(self._t[self._index]) + span_s
            if self.position_s < self._fast_until_s:
                stop_t = min(stop_t, self._t0 + self._fast_until_s + 1e-9)
            stop = max(self._index + 1, int(np.searchsorted(self._t, stop_t, side="right")))
            if unpaced:
                await asyncio.sleep(0)  # let the UI breathe between unpaced chunks
            else:
                await self._pace(float(self._t[stop - 1]) - self._t0)
            if self._seek_to_s is not None or (self.paused and not self.position_s < self._fast_until_s):
                continue  # a control changed while waiting: re-plan this chunk
            start, self._index = self._index, stop
            for block in self._pieces(start, stop):
                yield block

    def status_parts(self, position_s: float, nominal_rate_hz: float, finished: bool) -> list[str]:
        state = "finished" if finished else ("paused" if self.paused else f"{self.speed:g}×")
        return [f"{position_s:5.1f} / {self.duration_s:.1f} s {state}"]

    def recorded_notes(self) -> tuple[SetNote, ...]:
        return self.session.events.set_notes

    def sensor_views(self, finished: bool = False) -> list[SensorView]:
        """Each recorded sensor's state at the replay's position: playing, or silent where its
        stream has a hole (the other sensor's samples go on), as a live pair shows it."""
        views = []
        now_s = float(self._t[self._index - 1]) if self._index else -np.inf
        for k, stream in enumerate(self._streams):
            shown = self._index if self._before is None else int(self._before[k][self._index])
            last_s = float(stream.t_s[shown - 1]) if shown else None
            if finished or self._index >= len(self._t):
                state = "ended"
            elif last_s is None:
                state = "waiting" if self._index == 0 else "silent"
            elif now_s - last_s > SILENT_AFTER_S:
                state = f"silent {now_s - last_s:.0f} s"
            else:
                state = "paused" if self.paused else "streaming"
            gaps = self._gaps[k] if k < len(self._gaps) else ()
            passed = [g for g in gaps if last_s is not None and g.start_s <= last_s]
            info = stream.sensor
            views.append(SensorView(info.placement or "?", info.side or "?", state, info.nominal_rate_hz, info.nominal_rate_hz,
                                    sum(g.lost_samples for g in passed), len(passed), 0, None, ""))
        return views

    def _pieces(self, start: int, stop: int) -> list[SampleBlock]:
        """The samples at [start, stop) of the timeline: one block, or one per sensor of a pair."""
        if self._before is None:
            return [self._streams[0].slice(start, stop)]
        # tagged as a live pair's blocks are (imported here: a one-sensor replay needs no drivers)
        from sensortrack.drivers.pair_supervisor import SensorBlock

        out: list[SampleBlock] = []
        for k, (stream, before) in enumerate(zip(self._streams, self._before, strict=True)):
            a, b = int(before[start]), int(before[stop])
            if b > a:
                part = stream.slice(a, b)
                out.append(SensorBlock(part.t_s, part.acc_g, part.gyro_dps, part.quat_wxyz, part.sensor, sensor_index=k))
        return out

    async def _pace(self, block_end_s: float) -> None:
        """Sleep until the wall clock reaches the block's last sample at the current speed."""
        now = self._clock()
        if self._anchor is None:
            self._anchor = (now, self.position_s)
        wall0, stream0 = self._anchor
        delay = wall0 + (block_end_s - stream0) / self._speed - now
        if delay > 0:
            await asyncio.sleep(delay)

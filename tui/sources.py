"""Where the live view's samples come from: anything that yields SampleBlocks asynchronously.

The app never knows whether blocks come from a Bluetooth sensor or a file; tests hand it a
ReplaySource over a fixture. A source may also yield RESTART: "everything before was taken back,
start the analysis again" (a backward seek), since the streaming analysis cannot run backwards.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Final, Protocol, runtime_checkable

import numpy as np

from sensortrack.core.model import SampleBlock, Session


class _Restart:
    def __repr__(self) -> str:
        return "RESTART"


RESTART: Final = _Restart()
SourceItem = SampleBlock | _Restart


@runtime_checkable
class SampleSource(Protocol):
    """A stream of sample blocks for the live view."""

    description: str  # shown in the status line: "replay squats.csv", "Movesense 2205…"
    seekable: bool  # replay controls (pause, speed, seek, next rep) apply

    def blocks(self) -> AsyncIterator[SourceItem]: ...


class ReplaySource:
    """A recorded session played back in small chunks, paced to `speed` × real time.

    Pausable, speed adjustable while playing, seekable both ways (backwards yields RESTART and
    replays from the start unpaced up to the target), and `fast_forward` plays unpaced until
    cleared (the app's "next rep" key).
    """

    seekable = True
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
    ) -> None:
        if not speed > 0:
            raise ValueError("speed must be positive")
        self.session = session
        self.description = description or f"replay {session.path or 'session'}"
        self._samples = session.samples
        self._t = session.samples.t_s
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
            block = self._samples.slice(self._index, stop)
            if unpaced:
                await asyncio.sleep(0)  # let the UI breathe between unpaced chunks
            else:
                await self._pace(float(self._t[stop - 1]) - self._t0)
            if self._seek_to_s is not None or (self.paused and not self.position_s < self._fast_until_s):
                continue  # a control changed while waiting: re-plan this chunk
            self._index = stop
            yield block

    async def _pace(self, block_end_s: float) -> None:
        """Sleep until the wall clock reaches the block's last sample at the current speed."""
        now = self._clock()
        if self._anchor is None:
            self._anchor = (now, self.position_s)
        wall0, stream0 = self._anchor
        delay = wall0 + (block_end_s - stream0) / self._speed - now
        if delay > 0:
            await asyncio.sleep(delay)

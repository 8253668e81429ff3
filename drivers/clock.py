"""Host clocks the driver layer reads and sleeps on: the real one, and a faster-than-real-time one.

Everything in the driver that means "now" or "wait" goes through a `HostClock`, so a virtual sensor
streaming at 20× real time and the driver receiving it agree on what a second is: backoff delays,
stall timeouts and host timestamps are all in the same (possibly scaled) seconds.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class HostClock(Protocol):
    @property
    def speed(self) -> float:
        """How many clock seconds pass per real second (1 for the real clock)."""
        ...

    def now(self) -> float:
        """Seconds on a monotonic clock (arbitrary origin)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time."""
        ...


class MonotonicClock:
    """Real time: `time.monotonic`, the clock asyncio's own loop uses on Linux."""

    @property
    def speed(self) -> float:
        return 1.0

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ScaledClock:
    """A clock running `speed` times faster than real time, for quick tests of live streams."""

    def __init__(self, speed: float = 1.0) -> None:
        if not speed > 0:
            raise ValueError("speed must be positive")
        self._speed = float(speed)
        self._origin_real = time.monotonic()

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> float:
        return (time.monotonic() - self._origin_real) * self._speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self._speed)

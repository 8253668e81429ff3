"""What a sensor supervisor reports besides samples: small immutable events on the same queue."""

from __future__ import annotations

from dataclasses import dataclass

from sensortrack.core.model import Gap, SampleBlock


@dataclass(frozen=True, slots=True)
class Connected:
    name: str
    address: str
    connection: int  # 1 for the first connection, 2 after the first reconnect, ...
    rate_hz: float  # the rate that was requested
    battery_pct: int | None = None  # Battery Service level read at connection (None: not served)


@dataclass(frozen=True, slots=True)
class Disconnected:
    reason: str


@dataclass(frozen=True, slots=True)
class Reconnecting:
    attempt: int  # consecutive failed attempts so far
    delay_s: float  # wait before the next attempt
    reason: str


@dataclass(frozen=True, slots=True)
class Stalled:
    silent_s: float  # connected, but no samples for this long: the link will be re-established


@dataclass(frozen=True, slots=True)
class StreamStats:
    """Running totals for the whole recording, sent about once a second."""

    rate_hz: float  # samples per second over the last interval (0 while nothing arrives)
    received_samples: int
    lost_samples: int  # counted from sequence numbers, device clock jumps or host time
    gaps: int
    reconnects: int
    notifications: int
    skipped_bytes: int  # bytes the decoder could not use (garbage, truncated frames)
    drift_ppm: float | None  # device clock vs host clock, for sensors with a clock


StatusEvent = Connected | Disconnected | Reconnecting | Stalled | StreamStats
DriverItem = SampleBlock | Gap | StatusEvent

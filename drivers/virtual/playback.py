"""A recorded session as a virtual sensor's motion: resampled to whatever rate the client set."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sensortrack.core.model import FloatArray, SampleBlock


@dataclass(frozen=True, slots=True, eq=False)
class Resampled:
    """Samples on the grid k / rate_hz seconds after the session's first sample."""

    rate_hz: float
    position_s: FloatArray  # (n,) seconds since the session's first sample
    acc_g: FloatArray
    gyro_dps: FloatArray | None

    def __len__(self) -> int:
        return int(self.position_s.shape[0])


def resample(samples: SampleBlock, rate_hz: float) -> Resampled:
    """Linear interpolation of every axis onto a uniform grid at `rate_hz` (a real sensor set to
    another rate than the recording's would have seen the same motion at other instants)."""
    t = samples.t_s - samples.t_s[0]
    n = int(np.floor(t[-1] * rate_hz + 1e-9)) + 1 if len(t) else 0
    grid = np.arange(n) / rate_hz
    if len(t) and np.allclose(np.diff(t), 1.0 / rate_hz, rtol=1e-6, atol=1e-9):
        # Already on the grid: keep the recorded values bit for bit.
        return Resampled(rate_hz, grid, samples.acc_g.copy(), None if samples.gyro_dps is None else samples.gyro_dps.copy())

    def interp(values: FloatArray) -> FloatArray:
        return np.column_stack([np.interp(grid, t, values[:, k]) for k in range(values.shape[1])])

    gyro = None if samples.gyro_dps is None else interp(samples.gyro_dps)
    return Resampled(rate_hz, grid, interp(samples.acc_g), gyro)


class Playback:
    """Which samples are due at a given position of the session, at the current rate."""

    def __init__(self, samples: SampleBlock) -> None:
        self._samples = samples
        self.duration_s = float(samples.t_s[-1] - samples.t_s[0]) if len(samples) else 0.0
        self._cache: dict[float, Resampled] = {}
        self._stream: Resampled | None = None
        self._next = 0  # index of the next sample to send in `_stream`

    def stream_at(self, rate_hz: float) -> Resampled:
        stream = self._cache.get(rate_hz)
        if stream is None:
            stream = self._cache[rate_hz] = resample(self._samples, rate_hz)
        return stream

    def set_rate(self, rate_hz: float, position_s: float) -> None:
        """Continue at `rate_hz` from `position_s` (the device's own clock keeps running)."""
        if self._stream is not None and self._stream.rate_hz == rate_hz:
            return
        self._stream = self.stream_at(rate_hz)
        self._next = int(np.ceil(position_s * rate_hz - 1e-9))

    @property
    def next_index(self) -> int:
        return self._next

    @property
    def finished(self) -> bool:
        return self._stream is not None and self._next >= len(self._stream)

    def skip_to(self, position_s: float) -> int:
        """Drop what would have been sent before `position_s` (link down, stall); returns how many."""
        if self._stream is None:
            return 0
        target = min(len(self._stream), int(np.floor(position_s * self._stream.rate_hz + 1e-9)) + 1)
        skipped = max(0, target - self._next)
        self._next = max(self._next, target)
        return skipped

    def take(self, position_s: float, chunk: int, *, flush: bool = False) -> list[slice]:
        """Slices of up to `chunk` samples whose last sample is due by `position_s`; a final
        partial chunk is released with `flush` or once the session has ended."""
        if self._stream is None:
            return []
        due = min(len(self._stream), int(np.floor(position_s * self._stream.rate_hz + 1e-9)) + 1)
        flush = flush or due == len(self._stream)
        slices = []
        while due - self._next >= chunk or (flush and due > self._next):
            stop = min(self._next + chunk, due)
            slices.append(slice(self._next, stop))
            self._next = stop
        return slices

    @property
    def stream(self) -> Resampled | None:
        return self._stream

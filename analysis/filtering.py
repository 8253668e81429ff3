"""Causal SOS Butterworth filtering with carried state, so chunked streaming equals one batch call.

The filter's state carries across calls (as scipy's sosfilt(..., zi=zf) does, field-notes §3), which
is what makes the streaming analyzer's output independent of how the stream is chunked. The filter
itself is `analysis.dsp` (NumPy only: importing scipy.signal cost every command about a second).
"""

from __future__ import annotations

import numpy as np

from sensortrack.analysis.dsp import SosFilter, butter_lowpass_sos, group_delay_samples, sos_steady_state
from sensortrack.core.model import FloatArray


class CausalLowPass:
    """Low-pass a (n, channels) stream; state carries over between `apply` calls."""

    def __init__(self, cutoff_hz: float, rate_hz: float, order: int, channels: int) -> None:
        nyquist_hz = rate_hz / 2.0
        # Keep the cut-off strictly below Nyquist for low-rate sensors (e.g. 10 Hz Thingy default).
        cutoff_hz = min(cutoff_hz, 0.9 * nyquist_hz)
        self.sos = butter_lowpass_sos(order, cutoff_hz, rate_hz)
        self._filter = SosFilter(self.sos)
        self.cutoff_hz = cutoff_hz
        self._zi: np.ndarray | None = None
        self._channels = channels

    def apply(self, x: FloatArray) -> FloatArray:
        if x.shape[0] == 0:
            return x.copy()
        if self._zi is None:
            # Start from the first sample as a steady state: no start-up transient from zero.
            base = sos_steady_state(self.sos)  # (sections, 2)
            self._zi = base[:, :, None] * x[0][None, None, :]
        y, self._zi = self._filter.apply(x, self._zi)
        return y

    def group_delay_s(self, rate_hz: float) -> float:
        """Group delay near DC: how much later the filtered signal shows a slow movement."""
        return group_delay_samples(self.sos, 0.5, rate_hz) / rate_hz


class Decimator:
    """Average each run of `factor` consecutive samples into one (~25 Hz out), carrying leftovers.

    A block mean is a linear-phase low-pass (first null at the output rate); stamping each output
    with the mean time of its inputs leaves no delay. Runs are counted from the first sample ever
    fed, so the output does not depend on how the stream was chunked. It is a fraction of the cost
    of an IIR anti-alias filter, which matters for the offline pipeline's throughput goal (2 M samples/s).
    """

    def __init__(self, rate_hz: float, target_hz: float) -> None:
        self.factor = max(1, int(rate_hz // target_hz))
        self.out_rate_hz = rate_hz / self.factor
        self._pending_t = np.empty(0)
        self._pending: tuple[FloatArray, ...] = ()

    def apply(self, t_s: FloatArray, *columns: FloatArray) -> tuple[FloatArray, tuple[FloatArray, ...]]:
        """Decimate the times and each (n, k) array alike; arrays are kept apart (no joining copy
        of the full-rate data, which cost as much as the decimation itself)."""
        if self.factor == 1:
            return t_s, columns
        if self._pending_t.size:
            t_s = np.concatenate((self._pending_t, t_s))
            columns = tuple(np.concatenate((p, x)) for p, x in zip(self._pending, columns, strict=True))
        f = self.factor
        n = (t_s.shape[0] // f) * f
        self._pending_t = t_s[n:].copy()
        self._pending = tuple(x[n:].copy() for x in columns)
        starts = np.arange(0, n, f)
        # add.reduceat sums each run in one pass; reshape(...).mean(axis=1) over the short middle
        # axis was three times slower.
        means = tuple(np.add.reduceat(x[:n], starts, axis=0) / f for x in columns)
        return np.add.reduceat(t_s[:n], starts) / f, means


class GapFiller:
    """Bridge short dropouts (lost BLE packets) with straight-line samples at the nominal rate.

    The orientation integrates the gyroscope at a fixed step, so a dropout during a movement silently
    loses the rotation made meanwhile (tens of degrees in a 0.5 s gap mid step-up), which the
    accelerometer correction then takes seconds to undo. The segment moves smoothly (< 6 Hz), so a
    straight line through a short gap is a far smaller error. Longer gaps (a disconnect) stay gaps.
    The last sample is carried between calls, so chunking does not change what is filled.
    """

    def __init__(self, rate_hz: float, max_gap_s: float, channels: int) -> None:
        self._period_s = 1.0 / rate_hz
        self._max_gap_s = max_gap_s
        self._last_t: FloatArray = np.empty(0)
        self._last_x: FloatArray = np.empty((0, channels))

    def apply(self, t_s: FloatArray, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        if t_s.shape[0] == 0:
            return t_s, x
        carried = self._last_t.size  # 1: the last sample of the previous call leads this block
        tt = np.concatenate((self._last_t, t_s))
        dt = np.diff(tt)
        # Jitter stays well under half a period; a step of 1.5 periods or more lost a sample.
        gaps = np.flatnonzero((dt >= 1.5 * self._period_s) & (dt <= self._max_gap_s))
        prev_x = self._last_x
        self._last_t, self._last_x = t_s[-1:].copy(), x[-1:].copy()
        if not gaps.size:
            return t_s, x
        missing = np.rint(dt[gaps] / self._period_s).astype(np.int64) - 1
        # One row per missing sample: which gap it fills and how far across it lies.
        which = np.repeat(np.arange(gaps.size), missing)
        step = np.arange(which.size) - np.repeat(np.cumsum(missing) - missing, missing) + 1
        lo = gaps[which]  # the gap lies between tt[lo] and tt[lo + 1]
        frac = step / (missing[which] + 1)
        at = lo + 1 - carried  # where the new rows go in this block
        # Endpoints without copying the block: the carried sample stands in for index -1.
        x_lo = np.where((at > 0)[:, None], x[np.maximum(at - 1, 0)], prev_x[0] if carried else x[0])
        x_hi = x[at]
        new_t = tt[lo] + frac * (tt[lo + 1] - tt[lo])
        return np.insert(t_s, at, new_t), np.insert(x, at, x_lo + frac[:, None] * (x_hi - x_lo), axis=0)

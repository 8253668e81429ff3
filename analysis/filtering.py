"""Causal SOS Butterworth filtering with carried state, so chunked streaming equals one batch call.

scipy's sosfilt(..., zi=zf) continues a filter exactly across calls (field-notes §3), which is what
makes the streaming analyzer's output independent of how the stream is chunked.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from sensortrack.model import FloatArray


class CausalLowPass:
    """Low-pass a (n, channels) stream; state carries over between `apply` calls."""

    def __init__(self, cutoff_hz: float, rate_hz: float, order: int, channels: int) -> None:
        nyquist_hz = rate_hz / 2.0
        # Keep the cut-off strictly below Nyquist for low-rate sensors (e.g. 10 Hz Thingy default).
        cutoff_hz = min(cutoff_hz, 0.9 * nyquist_hz)
        self.sos = signal.butter(order, cutoff_hz, btype="low", fs=rate_hz, output="sos")
        self.cutoff_hz = cutoff_hz
        self._zi: np.ndarray | None = None
        self._channels = channels

    def apply(self, x: FloatArray) -> FloatArray:
        if x.shape[0] == 0:
            return x.copy()
        if self._zi is None:
            # Start from the first sample as a steady state: no start-up transient from zero.
            base = signal.sosfilt_zi(self.sos)  # (sections, 2)
            self._zi = base[:, :, None] * x[0][None, None, :]
        y, self._zi = signal.sosfilt(self.sos, x, axis=0, zi=self._zi)
        return np.asarray(y)

    def group_delay_s(self, rate_hz: float) -> float:
        """Group delay near DC: how much later the filtered signal shows a slow movement."""
        b, a = signal.sos2tf(self.sos)
        _, gd = signal.group_delay((b, a), w=[0.5], fs=rate_hz)
        return float(gd[0]) / rate_hz


class Decimator:
    """Anti-alias filter then keep every `factor`-th sample, aligned to the absolute sample index."""

    def __init__(self, rate_hz: float, target_hz: float, channels: int) -> None:
        self.factor = max(1, int(rate_hz // target_hz))
        self.out_rate_hz = rate_hz / self.factor
        self._count = 0  # samples seen so far: keeps the kept-sample phase chunk-independent
        self._filter = (
            CausalLowPass(0.4 * self.out_rate_hz, rate_hz, 4, channels) if self.factor > 1 else None
        )

    def group_delay_s(self, rate_hz: float) -> float:
        return 0.0 if self._filter is None else self._filter.group_delay_s(rate_hz)

    def apply(self, x: FloatArray) -> tuple[FloatArray, np.ndarray]:
        """Returns the kept rows and their positions within `x`."""
        n = x.shape[0]
        if self._filter is None:
            self._count += n
            return x, np.arange(n)
        y = self._filter.apply(x)
        absolute = np.arange(self._count, self._count + n)
        keep = np.flatnonzero(absolute % self.factor == self.factor - 1)
        self._count += n
        return y[keep], keep

"""The angle and drift trace for plots: every few analysis samples, slotted by absolute index.

Slots are fixed by sample index (every `every`-th), so a stretch traced twice (a calibration
replayed, a rep's drift added once it is counted) lands in the same slots: chunking does not matter.
"""

from __future__ import annotations

import numpy as np

from sensortrack.analysis.results import Trace
from sensortrack.core.model import FloatArray


class TraceBuffer:
    def __init__(self, every: int, delay_s: float, keep: bool = True) -> None:
        self._every = every
        self._delay_s = delay_s  # reported times are moved back by the filters' delay
        self._keep = keep
        self._data = np.full((3, 1024), np.nan)  # rows t, angle, drift; grown by doubling
        self._len = 0

    def put(self, a: int, t_s: FloatArray, theta: FloatArray, drift: FloatArray | None) -> None:
        """Record every `every`-th of the samples a, a+1, … (times `t_s`); drift=None leaves the
        recorded drift alone."""
        if not self._keep:
            return
        every = self._every
        b = a + t_s.size
        first = a + (-a) % every
        if first >= b:
            return
        slot0 = first // every
        picked = slice(first - a, b - a, every)
        times = t_s[picked]
        stop = slot0 + times.size
        if stop > self._data.shape[1]:
            grown = np.full((3, max(stop, 2 * self._data.shape[1])), np.nan)
            grown[:, : self._len] = self._data[:, : self._len]
            self._data = grown
        self._len = max(self._len, stop)
        np.subtract(times, self._delay_s, out=self._data[0, slot0:stop])  # no temporary (once per rep)
        self._data[1, slot0:stop] = theta[picked]
        if drift is not None:
            self._data[2, slot0:stop] = drift[picked]

    def result(self) -> Trace:
        return Trace(
            t_s=self._data[0, : self._len].copy(),
            angle_deg=self._data[1, : self._len].copy(),
            drift_deg=self._data[2, : self._len].copy(),
        )

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
        # Rows t, angle, drift as three 1-D arrays (a 1-D slice is cheaper to take than a 2-D one:
        # `put` runs once per rep and stretch), grown by doubling; NaN where nothing was traced.
        self._t, self._angle, self._drift = (np.full(1024, np.nan) for _ in range(3))
        self._len = 0

    def put(self, a: int, t_s: FloatArray, theta: FloatArray, drift: FloatArray | None) -> None:
        """Record every `every`-th of the samples a, a+1, … (times `t_s`); drift=None leaves the
        recorded drift alone."""
        if not self._keep:
            return
        every = self._every
        skip = (-a) % every  # the first sample on a slot
        n = t_s.size
        if skip >= n:
            return
        slot0 = (a + skip) // every
        stop = slot0 + (n - skip + every - 1) // every  # one slot per picked sample
        if stop > self._t.size:
            self._grow(stop)
        if stop > self._len:
            self._len = stop
        picked = slice(skip, n, every)
        np.subtract(t_s[picked], self._delay_s, out=self._t[slot0:stop])  # no temporary
        self._angle[slot0:stop] = theta[picked]
        if drift is not None:
            self._drift[slot0:stop] = drift[picked]

    def _grow(self, size: int) -> None:
        new = max(size, 2 * self._t.size)
        rows = []
        for row in (self._t, self._angle, self._drift):
            grown = np.full(new, np.nan)
            grown[: self._len] = row[: self._len]
            rows.append(grown)
        self._t, self._angle, self._drift = rows

    def result(self) -> Trace:
        return Trace(
            t_s=self._t[: self._len].copy(),
            angle_deg=self._angle[: self._len].copy(),
            drift_deg=self._drift[: self._len].copy(),
        )

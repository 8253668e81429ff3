"""A bounded, append-only store of analysis-rate samples addressed by absolute sample index.

The rep detector looks back a few seconds (to find where a rep started, to replay the stretch it
calibrated on); older samples are dropped so memory stays flat over a two-hour session.
"""

from __future__ import annotations

import numpy as np

from sensortrack.core.model import FloatArray

# t: time; u: gravity 'up' in the sensor frame; w: angular rate (°/s); speed: |w|; gw: the rate at
# which gravity turns in the sensor frame (°/s, blind to rotation about the vertical); acc: g;
# quat: VQF orientation.
_WIDTHS = {"t": 1, "u": 3, "w": 3, "speed": 1, "gw": 3, "acc": 3, "quat": 4}


def _shape(rows: int, name: str) -> tuple[int, ...]:
    return (rows,) if _WIDTHS[name] == 1 else (rows, _WIDTHS[name])


class History:
    def __init__(self, with_quat: bool, capacity: int = 4096) -> None:
        self._names = [k for k in _WIDTHS if with_quat or k != "quat"]
        # One-wide columns are kept 1-D, so `get` hands out a plain slice (it is called per rep).
        self._data = {k: np.empty(_shape(capacity, k)) for k in self._names}
        self.base = 0  # absolute index of row 0
        self._len = 0

    @property
    def end(self) -> int:
        """Absolute index one past the newest sample."""
        return self.base + self._len

    def append(self, **columns: FloatArray) -> None:
        n = columns["t"].shape[0]
        if self._len + n > self._data["t"].shape[0]:
            new_cap = max(2 * self._data["t"].shape[0], self._len + n)
            for k in self._names:
                grown = np.empty(_shape(new_cap, k))
                grown[: self._len] = self._data[k][: self._len]
                self._data[k] = grown
        for k in self._names:
            self._data[k][self._len : self._len + n] = columns[k].reshape(_shape(n, k))
        self._len += n

    def get(self, name: str, start: int, stop: int) -> FloatArray:
        """Rows [start, stop) by absolute index (a view)."""
        lo = start - self.base
        if lo < 0:
            raise IndexError(f"sample {start} was already dropped (oldest kept: {self.base})")
        return self._data[name][lo : stop - self.base]

    def forget_before(self, index: int) -> None:
        """Allow samples before `index` to be dropped; compacts only when it frees much space."""
        drop = index - self.base
        if drop <= 0 or drop < self._len // 2:
            return
        for k in self._names:
            self._data[k][: self._len - drop] = self._data[k][drop : self._len]
        self.base += drop
        self._len -= drop

"""A plain-text progress bar on stderr, with the time left at the pace so far; no dependency for one bar.

On a terminal the bar redraws in place; in a log file or pipe it prints a line per tenth of the work,
so logs stay short and still show that the job is moving.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 30
LOG_STEPS = 10


class ProgressBar:
    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self._started = time.monotonic()
        self._logged_step = -1
        self._first: tuple[float, int] | None = None  # (elapsed s, done) when the first item finished

    def update(self, done: int) -> None:
        fraction = done / self.total if self.total else 1.0
        if self.interactive:
            self.stream.write("\r" + self.line(done))
            if done >= self.total:
                self.stream.write("\n")
        else:
            step = int(fraction * LOG_STEPS)
            if step == self._logged_step:
                return
            self._logged_step = step
            self.stream.write(self.line(done) + "\n")
        self.stream.flush()

    def line(self, done: int) -> str:
        fraction = done / self.total if self.total else 1.0
        filled = round(fraction * BAR_WIDTH)
        elapsed_s = time.monotonic() - self._started
        return (
            f"{self.label} [{'#' * filled}{'-' * (BAR_WIDTH - filled)}] "
            f"{done:>{len(str(self.total))}}/{self.total} {fraction:4.0%} {elapsed_s:5.1f} s{self.eta(done, elapsed_s)}"
        )

    def eta(self, done: int, elapsed_s: float) -> str:
        """Time left at the pace since the first item finished (same width every time, so a redraw
        covers the last one). The first item also carried the start-up (imports), so it sets no pace."""
        if done >= self.total:
            return " " * 13
        if self._first is None and done > 0:
            self._first = (elapsed_s, done)
        if self._first is None or done <= self._first[1]:
            return "  ETA   --:--"
        first_s, first_done = self._first
        left_s = round((elapsed_s - first_s) / (done - first_done) * (self.total - done))
        return f"  ETA {left_s // 60:4d}:{left_s % 60:02d}"

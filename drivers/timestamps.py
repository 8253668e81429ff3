"""Sample times on the host's clock, from a device clock or from arrival times. Pure: no I/O.

Both cases use one idea (docs/live-sensors.md, "The timestamp model"): a sample's time is a
straight line through a "sensor time" — the device clock where the sensor has one, else the sample
count divided by the nominal rate —

    host = anchor_host + slope · (sensor_time − anchor_sensor)

fitted to the least-delayed arrivals. BLE delivery delay is never negative but has a long tail
(connection events, radio retries, OS scheduling, bursts), so the lower envelope of arrival times
is the sharpest evidence of when samples were taken: `EnvelopeLine` keeps, per `bucket_s` of
sensor time, only the notification that arrived earliest relative to its samples, fits the slope
to those (running, forgetting old buckets), and slides the line back — a tenth of a sample period
per sample at most, so times stay increasing — whenever a notification arrives before the line
says its newest sample was taken. When the slope is updated the line is re-anchored at
the current sample, so times stay continuous.

- `DeviceClockMapper` (Polar, Movesense, Movella DOT, open profile): the slope is 1 / (1 + clock
  drift) and is bounded to ±500 ppm.
- `HostClockSmoother` (WitMotion, Thingy:52): samples are one nominal period apart, so arrival
  jitter disappears; the slope (the real rate against the nominal one: cheap IMUs set to 100 Hz
  deliver 70) is fitted the same way, so drift does not accumulate. It also moves slowly forward
  toward arrivals (samples lost without trace would otherwise leave it behind for good), and a
  notification far later than predicted means samples were lost: the count skips ahead. The
  corrections move at most a tenth (back) or a twentieth (forward) of a period per sample, so the
  interval between two samples never differs from the period by more than 10 %.
"""

from __future__ import annotations

import math

import numpy as np

from sensortrack.core.model import FloatArray


class RunningLineFit:
    """Least-squares line y = a + b·x over points whose weight halves every `half_life_x` of x.

    Sums are kept relative to the first point so that large x and y (hours of clock, ns epochs)
    do not cost precision.
    """

    __slots__ = ("_decay_per_x", "_x0", "_y0", "_last_x", "_s0", "_sx", "_sy", "_sxx", "_sxy", "_x_min")

    def __init__(self, half_life_x: float) -> None:
        self._decay_per_x = math.log(2.0) / half_life_x
        self._x0: float | None = None
        self._y0 = 0.0
        self._last_x = 0.0
        self._s0 = self._sx = self._sy = self._sxx = self._sxy = 0.0
        self._x_min = 0.0

    def add(self, x: float, y: float) -> None:
        if self._x0 is None:
            self._x0, self._y0, self._last_x, self._x_min = x, y, x, x
        step = x - self._last_x
        if step > 0:
            w = math.exp(-self._decay_per_x * step)
            self._s0 *= w
            self._sx *= w
            self._sy *= w
            self._sxx *= w
            self._sxy *= w
            self._last_x = x
        dx, dy = x - self._x0, y - self._y0
        self._s0 += 1.0
        self._sx += dx
        self._sy += dy
        self._sxx += dx * dx
        self._sxy += dx * dy

    @property
    def span_x(self) -> float:
        """How much x the fit has seen (its slope means little before this is large enough)."""
        return 0.0 if self._x0 is None else self._last_x - self._x_min

    @property
    def slope(self) -> float | None:
        denominator = self._s0 * self._sxx - self._sx * self._sx
        if self._s0 < 2 or denominator <= 1e-12 * max(1.0, self._s0 * self._sxx):
            return None
        return (self._s0 * self._sxy - self._sx * self._sy) / denominator


# Each bucket of this much sensor time contributes its least-delayed notification to the fit: long
# against delivery jitter (tens of ms, at worst ~200 ms), short against the minutes drift needs.
BUCKET_S = 2.0


class EnvelopeLine:
    """host = anchor_host + slope · (x − anchor_x), fitted to the least-delayed arrivals."""

    # The line moves back by at most this share of a sample period per sample: the interval
    # between two samples shrinks by 10 % at most.
    MAX_SHIFT_PERIODS = 0.1

    def __init__(
        self,
        period_s: float,
        *,
        slope_bounds: tuple[float, float],
        min_fit_span: float,
        bucket: float = BUCKET_S,
        fit_half_life: float = 600.0,
    ) -> None:
        self._period_s = period_s
        self._bounds = slope_bounds
        self._min_fit_span = min_fit_span
        self._bucket = bucket
        self._fit_half_life = fit_half_life
        self.slope = 1.0
        self.reset()

    def reset(self, *, keep_slope: bool = False) -> None:
        self._anchor_x: float | None = None
        self._anchor_host = 0.0
        if not keep_slope:
            self.slope = 1.0
            self._fit = RunningLineFit(self._fit_half_life)
            self._bucket_end = -math.inf
            self._best: tuple[float, float] | None = None  # (x, arrival) with the least delay

    @property
    def started(self) -> bool:
        return self._anchor_x is not None

    def predict(self, x: float) -> float:
        assert self._anchor_x is not None
        return self._anchor_host + (x - self._anchor_x) * self.slope

    def map(self, x: FloatArray, arrival_s: float, *, forward_s: float = 0.0, forward_max_periods: float = 0.0) -> FloatArray:
        """Host times for the sensor times `x` of one notification that arrived at `arrival_s`.

        The line slides back if this notification shows it is late, else forward by `forward_s`
        (at most `forward_max_periods` per sample); the move is spread over the notification's
        samples, so no interval between two samples changes by more than that share of a period.
        """
        first, last = float(x[0]), float(x[-1])
        if self._anchor_x is None:
            # The newest sample was taken no later than the notification arrived.
            self._anchor_x = first
            self._anchor_host = arrival_s - (last - first) * self.slope
        self._envelope(last, arrival_s)
        times = self._anchor_host + (x - self._anchor_x) * self.slope
        n = len(x)
        excess = float(times[-1]) - arrival_s
        if excess > 0:
            shift = -min(excess, self.MAX_SHIFT_PERIODS * n * self._period_s)
        else:
            shift = min(max(forward_s, 0.0), forward_max_periods * n * self._period_s)
        if shift:
            times += shift * np.arange(1, n + 1) / n
            self._anchor_host += shift
        return times

    def _envelope(self, x: float, arrival_s: float) -> None:
        if x >= self._bucket_end:
            if self._best is not None:
                self._fit.add(*self._best)
                self._update_slope(x)
            self._bucket_end = x + self._bucket
            self._best = None
        if self._best is None or arrival_s - x < self._best[1] - self._best[0]:
            self._best = (x, arrival_s)

    def _update_slope(self, x: float) -> None:
        fitted = self._fit.slope
        if fitted is None or self._fit.span_x < self._min_fit_span or self._anchor_x is None:
            return
        # Re-anchor where the slope changes so the line stays continuous.
        self._anchor_host = self.predict(x)
        self._anchor_x = x
        self.slope = min(max(fitted, self._bounds[0]), self._bounds[1])


class DeviceClockMapper:
    """Device time → host time; see the module docstring."""

    # BLE sensor crystals are specified to ±20–50 ppm; ±500 ppm bounds a fit gone wrong.
    MAX_DRIFT = 5e-4
    # A slope is only trusted once the fit has seen this much device time (≥ 15 buckets).
    MIN_FIT_SPAN_S = 30.0

    def __init__(self, nominal_rate_hz: float, *, time_scale: float = 1.0) -> None:
        """`time_scale`: clock seconds per real second (see `SampleTimeline`)."""
        self._line = EnvelopeLine(
            1.0 / nominal_rate_hz,
            slope_bounds=(1.0 - self.MAX_DRIFT, 1.0 + self.MAX_DRIFT),
            min_fit_span=self.MIN_FIT_SPAN_S * time_scale,
            bucket=BUCKET_S * time_scale,
        )

    def restart(self) -> None:
        """Forget the mapping (the device clock was reset)."""
        self._line.reset()

    @property
    def started(self) -> bool:
        return self._line.started

    @property
    def drift_ppm(self) -> float:
        """How much faster the device clock runs than the host's, in parts per million."""
        return (1.0 / self._line.slope - 1.0) * 1e6

    def map(self, device_time_s: FloatArray, arrival_s: float) -> FloatArray:
        """Host times of a notification's samples; `arrival_s` is when it reached the host."""
        return self._line.map(device_time_s, arrival_s)


class HostClockSmoother:
    """Times for samples that carry none, from the nominal rate and arrival times."""

    # Share of the delay between prediction and arrival made up per notification, and at most
    # this share of a period: small, so jitter and bursts (a stalled radio or OS delivering a
    # backlog at once) average out, but samples lost without trace do not leave the line behind.
    FORWARD_GAIN = 0.01
    FORWARD_MAX_PERIODS = 0.05
    # The real rate is fitted once the fit has seen this much (nominal) stream time.
    MIN_FIT_SPAN_S = 6.0
    # A notification this much later than predicted is late: either samples went missing before
    # it, or the host was busy and a backlog is arriving (the caller tells them apart by what
    # follows, see SampleTimeline). BLE delivery jitter reaches ~200 ms on some stacks
    # (bleak#801), so shorter losses go unnoticed here: they only make the line lag until the
    # forward correction catches up.
    LATE_GAP_S = 0.25

    def __init__(self, nominal_rate_hz: float, *, time_scale: float = 1.0) -> None:
        """`time_scale`: clock seconds per real second (see `SampleTimeline`)."""
        self._nominal_rate_hz = nominal_rate_hz
        self._late_gap_s = max(self.LATE_GAP_S * time_scale, 5.0 / nominal_rate_hz)
        self._line = EnvelopeLine(
            1.0 / nominal_rate_hz,
            slope_bounds=(0.5, 2.0),
            min_fit_span=self.MIN_FIT_SPAN_S * time_scale,
            bucket=BUCKET_S * time_scale,
        )
        self._count = 0  # samples since the start, including those known to be lost
        self._last_arrival_s: float | None = None
        self._restarted = False

    @property
    def period_s(self) -> float:
        return self._line.slope / self._nominal_rate_hz

    @property
    def rate_hz(self) -> float:
        return 1.0 / self.period_s

    def restart(self) -> None:
        """The stream restarted (reconnect): the next notification starts a new time base."""
        self._line.reset(keep_slope=True)
        self._restarted = True

    def lag_s(self, n: int, arrival_s: float) -> float:
        """How much later than predicted a notification of `n` samples arrives (0 at the start)."""
        if self._restarted or not self._line.started:
            return 0.0
        return arrival_s - self._line.predict((self._count + n - 1) / self._nominal_rate_hz)

    @property
    def late_gap_s(self) -> float:
        """Delay beyond which a notification counts as late (see `LATE_GAP_S`)."""
        return self._late_gap_s

    def assign(self, n: int, arrival_s: float, *, lost_s: float = 0.0) -> tuple[FloatArray, int]:
        """Times for the `n` samples of a notification, and how many samples are missing just
        before it: the caller judges how much of a delay was a loss (`lost_s`, see
        `SampleTimeline`); the rest of any delay was the host or link delivering late."""
        lost = 0
        if self._restarted and self._last_arrival_s is not None:
            # Count what the outage swallowed, so the rate fit sees elapsed samples, not a jump.
            self._count += max(0, int(round((arrival_s - self._last_arrival_s) / self.period_s)) - n)
        forward_s = 0.0
        if not self._restarted and self._line.started:
            lost = int(round(lost_s / self.period_s)) if lost_s > 0 else 0
            if lost:
                self._count += lost
            else:
                forward_s = self.FORWARD_GAIN * self.lag_s(n, arrival_s)
        self._restarted = False
        x = (self._count + np.arange(n, dtype=np.float64)) / self._nominal_rate_hz
        self._count += n
        self._last_arrival_s = arrival_s
        times = self._line.map(x, arrival_s, forward_s=forward_s, forward_max_periods=self.FORWARD_MAX_PERIODS)
        return times, lost

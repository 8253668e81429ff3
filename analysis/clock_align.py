"""Two devices' clocks mapped onto one timeline from the movement both sensors saw.

Two sensors worn together see the same movements, so their angular speeds correlate; the lag that
best matches them is the clock offset, and how that lag changes across the session is the skew
(crystal error, ±20–300 ppm in consumer IMUs). Coarse lag: the whole sessions cross-correlated
within ±`align_max_lag_s`; then the lag is refined in windows of `align_window_s` and a straight
line through (window time, lag) gives offset and skew. Pure: the caller passes the timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sensortrack.analysis.pair_settings import PairSettings
from sensortrack.core.model import FloatArray


@dataclass(frozen=True, slots=True)
class ClockAlignment:
    """t_first = offset_s + t_second / (1 + skew_ppm·1e-6)."""

    offset_s: float
    skew_ppm: float
    correlation: float  # normalised peak correlation of the angular speeds (0–1)
    windows: int  # windows the skew was fitted on
    method: str
    # The skew a line through the windows' lags gives, with two standard errors, over `span_s`
    # between the first and the last window: measured whatever the recording's length, applied
    # (`skew_ppm`) only over `align_skew_min_span_s` (docs/two-sensors.md, "Clock alignment").
    fitted_skew_ppm: float | None = None
    skew_uncertainty_ppm: float | None = None
    span_s: float = 0.0

    def to_first(self, t_second_s: FloatArray) -> FloatArray:
        return self.offset_s + np.asarray(t_second_s, dtype=np.float64) / (1.0 + self.skew_ppm * 1e-6)

    def to_dict(self) -> dict[str, Any]:
        return {
            "offset_s": round(self.offset_s, 4),
            "skew_ppm": round(self.skew_ppm, 1),
            "correlation": round(self.correlation, 3),
            "windows": self.windows,
            "method": self.method,
            "fitted_skew_ppm": None if self.fitted_skew_ppm is None else round(self.fitted_skew_ppm, 1),
            "skew_uncertainty_ppm": None if self.skew_uncertainty_ppm is None else round(self.skew_uncertainty_ppm, 1),
            "span_s": round(self.span_s, 1),
        }


AS_RECORDED = ClockAlignment(0.0, 0.0, 0.0, 0, "as recorded (timestamps taken as one timeline)")


def activity(t_s: FloatArray, acc_g: FloatArray, gyro_dps: FloatArray | None, grid_s: FloatArray) -> FloatArray:
    """Angular speed (or, without a gyro, the change of acceleration) on `grid_s`, zero outside the stream."""
    if gyro_dps is not None:
        signal = np.linalg.norm(gyro_dps, axis=1)
    else:
        signal = np.linalg.norm(np.diff(acc_g, axis=0, prepend=acc_g[:1]), axis=1) * 100.0
    out = np.interp(grid_s, t_s, signal, left=0.0, right=0.0)
    # Inside a dropout nothing was seen: no made-up straight line across it, just stillness.
    after = np.clip(np.searchsorted(t_s, grid_s), 1, t_s.size - 1)
    out[(t_s[after] - t_s[after - 1]) > 0.25] = 0.0
    # Smoothed over ~0.3 s: thigh and shank share the slow rep envelope, not the sensor noise or
    # the heel-strike ringing.
    k = max(1, int(round(0.3 / float(grid_s[1] - grid_s[0])))) if grid_s.size > 1 else 1
    # Compressed (log): walking swings the shank twice as fast as the thigh while squats turn the
    # thigh faster; in log terms both keep the same shape, so neither dominates the match.
    return np.log1p(np.convolve(out, np.ones(k) / k, mode="same") / 20.0)


def _normalised(x: FloatArray) -> FloatArray:
    x = x - x.mean()
    norm = float(np.sqrt(x @ x))
    return x / norm if norm > 1e-9 else x


def _peak_lag(a: FloatArray, b: FloatArray, max_lag: int) -> tuple[float, float]:
    """(lag in samples by which b must be shifted later to match a, correlation at it), sub-sample."""
    # Imported here: scipy.signal costs ~1 s to import and only two sensors are aligned.
    from scipy.signal import correlate

    full = correlate(_normalised(a), _normalised(b), mode="full", method="fft")
    zero = b.size - 1
    lo, hi = max(0, zero - max_lag), min(full.size, zero + max_lag + 1)
    part = full[lo:hi]
    k = int(np.argmax(part))
    frac = 0.0
    if 0 < k < part.size - 1:  # parabola through the peak and its neighbours
        y0, y1, y2 = part[k - 1], part[k], part[k + 1]
        denom = y0 - 2 * y1 + y2
        frac = 0.5 * (y0 - y2) / denom if abs(denom) > 1e-12 else 0.0
    return float(lo + k - zero + frac), float(part[k])


def estimate_alignment(
    t_a: FloatArray,
    acc_a: FloatArray,
    gyro_a: FloatArray | None,
    t_b: FloatArray,
    acc_b: FloatArray,
    gyro_b: FloatArray | None,
    settings: PairSettings | None = None,
) -> ClockAlignment:
    """How stream b's clock maps onto stream a's (falls back to the timestamps as recorded)."""
    s = settings or PairSettings()
    if t_a.size < 10 or t_b.size < 10:
        return AS_RECORDED
    dt = 1.0 / s.align_grid_hz
    use_gyro = gyro_a is not None and gyro_b is not None
    ga, gb = (gyro_a, gyro_b) if use_gyro else (None, None)
    grid_a = np.arange(t_a[0], t_a[-1], dt)
    grid_b = np.arange(t_b[0], t_b[-1], dt)
    if grid_a.size < 20 or grid_b.size < 20:
        return AS_RECORDED
    sig_a = activity(t_a, acc_a, ga, grid_a)
    sig_b = activity(t_b, acc_b, gb, grid_b)
    max_lag = int(round(s.align_max_lag_s / dt))
    # b's sample n matches a's sample n + lag: t_a − t_b = base + lag·dt
    base = float(grid_a[0] - grid_b[0])
    lag, corr = _peak_lag(sig_a, sig_b, max_lag + int(abs(base) / dt))
    if corr < s.align_min_correlation:
        return ClockAlignment(0.0, 0.0, max(corr, 0.0), 0, AS_RECORDED.method + f": movements do not match (r={corr:.2f})")
    offset0 = lag * dt + base
    # Refine window by window around the coarse lag: the lag's drift is the skew.
    win = int(round(s.align_window_s / dt))
    times: list[float] = []
    lags: list[float] = []
    weights: list[float] = []
    fine = int(round(0.5 / dt))
    for start in range(0, max(1, grid_b.size - win // 2), win // 2):
        piece = sig_b[start : start + win]
        if piece.size < win // 2 or float(np.std(piece)) < 0.1:  # no movement here
            continue
        t_mid_b = float(grid_b[start] + 0.5 * piece.size * dt)
        # where this piece sits on a's grid by the coarse offset
        x = (grid_b[start] + offset0 - grid_a[0]) / dt
        a_from = int(round(x)) - fine
        if a_from < 0 or a_from + piece.size + 2 * fine > sig_a.size:
            continue
        ref = sig_a[a_from : a_from + piece.size + 2 * fine]
        local, c = _peak_lag(ref, np.concatenate((np.zeros(fine), piece, np.zeros(fine))), fine)
        if c < s.align_min_correlation:
            continue
        times.append(t_mid_b)
        lags.append(offset0 + (local - (x - round(x))) * dt)
        weights.append(c)
    span = max(times) - min(times) if times else 0.0
    fit = _skew_fit(np.array(times), np.array(lags), np.array(weights), s.align_window_lag_sd_s)
    fitted, uncertainty = (None, None) if fit is None else (fit[1], fit[2])
    if fit is not None and span >= s.align_skew_min_span_s and abs(fit[1]) <= s.align_max_skew_ppm:
        return ClockAlignment(fit[0], fit[1], corr, len(times), "angular-speed cross-correlation, offset and skew",
                              fitted, uncertainty, span)
    if times:
        return ClockAlignment(float(np.median(lags)), 0.0, corr, len(times),
                              "angular-speed cross-correlation, offset only (too short to measure the skew)",
                              fitted, uncertainty, span)
    return ClockAlignment(offset0, 0.0, corr, 0, "angular-speed cross-correlation, offset only")


def _skew_fit(times: FloatArray, lags: FloatArray, weights: FloatArray, lag_sd_s: float) -> tuple[float, float, float] | None:
    """(offset at t_b = 0, skew in ppm, two standard errors of the skew in ppm) of a line through
    the windows' lags, or None with fewer than two windows. The standard error is the larger of
    the scatter about the line and each window's own precision (`lag_sd_s`) over the times' spread:
    two or three windows say little about their scatter."""
    if times.size < 2 or float(np.ptp(times)) <= 0.0:
        return None
    slope, intercept = np.polyfit(times, lags, 1, w=weights)
    spread = float(np.sqrt(np.sum((times - times.mean()) ** 2)))
    residual_sd = 0.0
    if times.size > 2:
        residual = lags - (intercept + slope * times)
        residual_sd = float(np.sqrt(np.sum(residual**2) / (times.size - 2)))
    slope_se = max(residual_sd, lag_sd_s) / spread
    # t_a = t_b + lag(t_b) = intercept + (1 + slope)·t_b  →  1/(1+skew) = 1 + slope
    skew_ppm = (1.0 / (1.0 + float(slope)) - 1.0) * 1e6
    return float(intercept), skew_ppm, 2.0 * slope_se * 1e6

"""The rep search's array functions, rewritten for fewer NumPy calls (session 10, speed), against
their plain earlier formulas on random traces: every answer must be the same index."""

from __future__ import annotations

import numpy as np

from sensortrack.analysis.rep_edges import first_rise
from sensortrack.analysis.rep_finder import rep_end


def _rep_end_plain(
    theta: np.ndarray, rate: np.ndarray, theta_start: float, thr_deg: float, return_share: float,
    stop_share: float, onset_dps: float, floor_deg: float,
) -> int:
    """rep_end as written before session 10, over the whole array at once (one pass)."""
    peak = np.maximum.accumulate(theta) - theta_start
    back = theta - theta_start < return_share * peak
    if floor_deg > -np.inf:
        back |= theta < floor_deg + thr_deg
    returning = (peak > thr_deg) & back
    fastest_back = np.minimum.accumulate(np.where(returning, rate, 0.0))
    stopped = returning & (rate >= np.minimum(-stop_share * np.abs(fastest_back), -onset_dps))
    return int(stopped.argmax()) if stopped.any() else -1


def _first_rise_plain(theta: np.ndarray, pos: int, thr_deg: float, floor_deg: float, tilt_floor_deg: float | None) -> int:
    ahead = theta[pos:]
    if tilt_floor_deg is not None:
        floor = np.minimum(tilt_floor_deg, np.minimum.accumulate(ahead))
    else:
        floor = np.minimum(floor_deg, np.maximum(np.minimum.accumulate(ahead), 0.0))
    above = ahead - floor > thr_deg
    return pos + int(above.argmax()) if above.any() else theta.size


def _trace(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Reps of random depth and tempo with noise, some starting below rest: angle (°) and rate (°/s)."""
    steps = rng.normal(0.0, 1.0, n) + 3.0 * np.sin(np.arange(n) / rng.uniform(5.0, 40.0))
    theta = np.cumsum(steps) * rng.uniform(0.1, 2.0)
    theta = np.round(theta, int(rng.integers(0, 4)))  # ties: equal peaks and exact zeros
    return theta, np.gradient(theta) * 25.0


def test_rep_end_answers_as_its_plain_formula() -> None:
    rng = np.random.default_rng(10)
    ends = 0
    for _ in range(3000):
        theta, rate = _trace(rng, int(rng.integers(2, 400)))
        start = float(theta[0]) if rng.random() < 0.7 else float(rng.uniform(-5.0, 5.0))
        floor = -np.inf if rng.random() < 0.3 else float(rng.uniform(-5.0, 10.0))
        args = (start, float(rng.uniform(0.5, 10.0)), float(rng.uniform(0.2, 0.8)))
        kw = {"stop_share": float(rng.uniform(0.0, 0.2)), "onset_dps": float(rng.uniform(0.5, 5.0))}
        got = rep_end(theta, rate, *args, floor_deg=floor, **kw)
        assert got == _rep_end_plain(theta, rate, *args, floor_deg=floor, **kw)
        ends += got >= 0
    assert 500 < ends < 2900  # both answers (an end, none yet) were tried many times


def test_first_rise_answers_as_its_plain_formula() -> None:
    rng = np.random.default_rng(11)
    rises = 0
    for _ in range(3000):
        theta, _ = _trace(rng, int(rng.integers(2, 400)))
        pos = int(rng.integers(0, theta.size))
        tilt = None if rng.random() < 0.5 else float(rng.uniform(-5.0, 5.0))
        args = (pos, float(rng.uniform(0.5, 10.0)), float(rng.uniform(-2.0, 10.0)), tilt)
        got = first_rise(theta, *args)
        assert got == _first_rise_plain(theta, *args)
        rises += got < theta.size
    assert 500 < rises < 2900


def _principal_angle_plain(up_s: np.ndarray) -> np.ndarray:
    """principal_angle_deg as written before session 11's second pass (np.clip)."""
    centred = up_s - up_s.mean(axis=0)
    _, vectors = np.linalg.eigh(centred.T @ centred)
    return np.degrees(np.arcsin(np.clip(centred @ vectors[:, -1], -1.0, 1.0)))


def _period_plain(corr: np.ndarray, lo: int, hi: int, share: float, least: float, rate_hz: float) -> float | None:
    """period_from_correlation's search as written before (fancy-indexed lags)."""
    lags = np.arange(lo, hi + 1)
    local = (corr[lags] >= corr[lags - 1]) & (corr[lags] >= corr[lags + 1])
    if not local.any():
        return None
    best = float(corr[lags][local].max())
    if best < least:
        return None
    return float(lags[local & (corr[lags] >= share * best)][0]) / rate_hz


def test_set_recount_rewrites_answer_as_their_numpy_formulas() -> None:
    """Session 11 (core, second pass): the closing set's median spacing, largest spacing, principal
    angle and period, in plain floats / ufuncs / slices, bit for bit against the NumPy formulas."""
    from sensortrack.analysis.repetition import (
        _period_lags,
        autocorrelation,
        period_from_correlation,
        principal_angle_deg,
    )
    from sensortrack.analysis.reference import median
    from sensortrack.analysis.settings import AnalysisSettings

    rng = np.random.default_rng(11)
    s = AnalysisSettings()
    for _ in range(3000):
        starts = np.sort(rng.uniform(0.0, 3600.0, int(rng.integers(2, 30)))).tolist()
        spacing = [b - a for a, b in zip(starts, starts[1:])]
        assert median(spacing) == float(np.median(np.diff(starts)))
    periods = 0
    for _ in range(300):
        n = int(rng.integers(40, 900))
        theta, _ = _trace(rng, n)
        up = np.column_stack((np.sin(np.radians(theta)), np.cos(np.radians(theta)), rng.normal(0.0, 0.05, n)))
        up *= rng.uniform(0.9, 1.1)  # some rows past ±1 along the axis: the clip matters
        angle = principal_angle_deg(up)
        plain = _principal_angle_plain(up)
        assert np.array_equal(angle, plain, equal_nan=True)
        assert np.array_equal(np.signbit(angle), np.signbit(plain))
        corr = autocorrelation(angle, angle.size)
        span = _period_lags(angle.size, 25.0, s, None)
        if corr is None or span is None:
            continue
        got = period_from_correlation(corr, angle.size, 25.0, s)
        want = _period_plain(corr, *span, s.repetition_period_peak_share, s.repetition_min_autocorrelation, 25.0)
        assert got == want
        periods += got is not None
    assert periods > 20

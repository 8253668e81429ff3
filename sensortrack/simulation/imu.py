"""From a sensor's true motion on the fine grid to what an IMU would have recorded.

Accelerometers measure specific force: acceleration minus gravity, in the sensor frame
(acc = R_es^T (a_e − g_e)); at rest the axis pointing up reads +1 g. Gyroscopes measure the angular
velocity of the sensor frame relative to the earth, expressed in the sensor frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, sosfilt, sosfilt_zi
from scipy.spatial.transform import Rotation

from sensortrack.core.model import FloatArray, Gap
from sensortrack.simulation.body import compose
from sensortrack.simulation.spec import ImuSpec

STANDARD_GRAVITY_MS2 = 9.80665
GRAVITY_E = np.array([0.0, 0.0, -STANDARD_GRAVITY_MS2])
_BITS = 16


def acceleration_e(p_e: FloatArray, dt_s: float) -> FloatArray:
    """Second derivative of positions on a uniform grid (central differences, ends repeated)."""
    a = np.empty_like(p_e)
    a[1:-1] = (p_e[2:] - 2.0 * p_e[1:-1] + p_e[:-2]) / dt_s**2
    a[0], a[-1] = a[1], a[-2]
    return a


def specific_force_g(p_e: FloatArray, r_es: Rotation, dt_s: float) -> FloatArray:
    """Accelerometer reading in g at every grid point: R_es^T (a_e − g_e) / g."""
    return r_es.inv().apply(acceleration_e(p_e, dt_s) - GRAVITY_E) / STANDARD_GRAVITY_MS2


def body_rate_dps(r_es: Rotation, dt_s: float) -> FloatArray:
    """Angular velocity in the sensor frame, °/s, valid at the MIDPOINTS of consecutive grid points.

    The increment R_k^T R_{k+1} is the rotation seen from the sensor during one step; over 1 ms its
    rotation vector divided by the step is the body rate to second order at the midpoint."""
    increments = compose(r_es[:-1].inv(), r_es[1:])
    return np.degrees(increments.as_rotvec()) / dt_s


def _lowpass(values: FloatArray, cutoff_hz: float, grid_hz: float) -> FloatArray:
    """A causal filter like the IMU's own DLPF (it delays the signal a little, as real ones do),
    started settled at the first value so it adds no start-up transient."""
    sos = butter(2, cutoff_hz, fs=grid_hz, output="sos")
    zi = sosfilt_zi(sos)[:, :, None] * values[0][None, None, :]
    out, _ = sosfilt(sos, values, axis=0, zi=zi)
    return out


def _interp(t_grid: FloatArray, values: FloatArray, t_query: FloatArray) -> FloatArray:
    return np.column_stack([np.interp(t_query, t_grid, values[:, k]) for k in range(values.shape[1])])


def _quantise(values: FloatArray, full_scale: float) -> FloatArray:
    lsb = 2.0 * full_scale / 2**_BITS
    return np.clip(np.round(values / lsb) * lsb, -full_scale, full_scale - lsb)


@dataclass(frozen=True, slots=True, eq=False)
class Recorded:
    """What the sensor delivered: timestamps from recording start, samples, and the lost stretches."""

    t_s: FloatArray  # recorded timestamps (with jitter), from 0
    true_t_s: FloatArray  # the instants the samples were really taken, same origin
    acc_g: FloatArray
    gyro_dps: FloatArray | None
    gaps: tuple[Gap, ...]


def record(
    t_grid: FloatArray,
    p_e: FloatArray,
    r_es: Rotation,
    *,
    rate_hz: float,
    t_first: float,
    t_last: float,
    spec: ImuSpec,
    rng: np.random.Generator,
) -> Recorded:
    """Sample the true motion at `rate_hz` between t_first and t_last (grid times) with `spec`'s flaws."""
    dt = float(t_grid[1] - t_grid[0])
    acc = specific_force_g(p_e, r_es, dt)
    gyro = body_rate_dps(r_es, dt) if spec.gyro else None
    if spec.lowpass:
        cutoff = min(0.4 * rate_hz, 0.45 / dt)
        acc = _lowpass(acc, cutoff, 1.0 / dt)
        if gyro is not None:
            gyro = _lowpass(gyro, cutoff, 1.0 / dt)

    n = int(np.floor((t_last - t_first) * rate_hz)) + 1
    k = np.arange(n)
    true_t = k / rate_hz
    t_query = t_first + true_t
    acc_s = _interp(t_grid, acc, t_query)
    gyro_s = _interp(t_grid[:-1] + dt / 2, gyro, t_query) if gyro is not None else None

    acc_s += rng.uniform(-spec.acc_bias_g, spec.acc_bias_g, 3) + rng.normal(0.0, spec.acc_noise_g, (n, 3))
    if gyro_s is not None:
        gyro_s += rng.uniform(-spec.gyro_bias_dps, spec.gyro_bias_dps, 3)
        gyro_s += rng.normal(0.0, spec.gyro_noise_dps, (n, 3))
    if spec.acc_lsb_g is not None:  # a coarser accelerometer (MEx: 10 bits over ±8 g)
        acc_s = np.clip(np.round(acc_s / spec.acc_lsb_g) * spec.acc_lsb_g, -spec.acc_range_g, spec.acc_range_g)
    elif spec.quantise:
        acc_s = _quantise(acc_s, spec.acc_range_g)
    if spec.quantise:
        if gyro_s is not None:
            gyro_s = _quantise(gyro_s, spec.gyro_range_dps)

    # Host timestamps jitter; clipped well inside half a period so time always increases.
    period = 1.0 / rate_hz
    jitter = np.clip(rng.normal(0.0, spec.jitter_fraction * period, n), -0.3 * period, 0.3 * period)
    t_rec = true_t + jitter
    t_rec[0] = 0.0

    keep = _drop_mask(n, rate_hz, spec, rng)
    # Stored values are rounded as the session file writes them, so file and memory agree exactly.
    t_rec = np.round(t_rec, 6)
    acc_s = np.round(acc_s, 6)
    gyro_s = np.round(gyro_s, 4) if gyro_s is not None else None
    gaps = _gaps(t_rec, keep)
    return Recorded(
        t_s=t_rec[keep],
        true_t_s=true_t[keep],
        acc_g=acc_s[keep],
        gyro_dps=gyro_s[keep] if gyro_s is not None else None,
        gaps=gaps,
    )


def _drop_mask(n: int, rate_hz: float, spec: ImuSpec, rng: np.random.Generator) -> np.ndarray:
    keep = np.ones(n, dtype=bool)
    minutes = n / rate_hz / 60.0
    bursts = rng.poisson(spec.drop_bursts_per_min * minutes) if spec.drop_bursts_per_min > 0 else 0
    for _ in range(bursts):
        length = int(rng.integers(1, spec.max_drop_samples + 1))
        start = int(rng.integers(1, max(2, n - length - 1)))  # never the first or last sample
        keep[start : start + length] = False
    keep[0] = keep[-1] = True
    return keep


def _gaps(t_rec: FloatArray, keep: np.ndarray) -> tuple[Gap, ...]:
    gaps: list[Gap] = []
    lost = np.flatnonzero(~keep)
    if lost.size == 0:
        return ()
    runs = np.split(lost, np.flatnonzero(np.diff(lost) > 1) + 1)
    for run in runs:
        before, after = int(run[0]) - 1, int(run[-1]) + 1
        gaps.append(Gap(start_s=float(t_rec[before]), end_s=float(t_rec[after]), lost_samples=int(run.size)))
    return tuple(gaps)

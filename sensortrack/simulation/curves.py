"""Smooth time profiles on the simulator's time grid: minimum-jerk moves, bumps, random wobble.

Every position in the simulator is differentiated twice to get acceleration, so every profile here
is C² (continuous up to acceleration); the quintic minimum-jerk polynomial (Flash & Hogan,
J Neurosci 1985) has zero velocity and acceleration at both ends, so moves chain without kinks.
"""

from __future__ import annotations

import numpy as np

from sensortrack.core.model import FloatArray


def min_jerk(u: FloatArray) -> FloatArray:
    """Minimum-jerk progress 0→1 for normalised time u (clipped to [0, 1])."""
    u = np.clip(u, 0.0, 1.0)
    return u**3 * (10.0 - 15.0 * u + 6.0 * u**2)


def ramp(t: FloatArray, t0: float, t1: float) -> FloatArray:
    """0 before t0, minimum-jerk rise to 1 at t1, 1 after."""
    if t1 <= t0:
        return (t >= t0).astype(float)
    return min_jerk((t - t0) / (t1 - t0))


def bump(t: FloatArray, t0: float, t1: float) -> FloatArray:
    """0 outside [t0, t1], a smooth hump reaching 1 at the middle."""
    if t1 <= t0:
        return np.zeros_like(t)
    u = np.clip((t - t0) / (t1 - t0), 0.0, 1.0)
    return np.sin(np.pi * u) ** 4  # sin⁴: zero value, slope and curvature at both ends


def move_hold_return(t: FloatArray, t_start: float, t_reach: float, t_leave: float, t_end: float) -> FloatArray:
    """0 → 1 between t_start and t_reach, hold 1 until t_leave, back to 0 at t_end (one rep)."""
    return ramp(t, t_start, t_reach) - ramp(t, t_leave, t_end)


def wobble(t: FloatArray, rng: np.random.Generator, rms: float, max_hz: float, n_terms: int = 6) -> FloatArray:
    """Band-limited random motion: a sum of sinusoids below `max_hz` with total rms ≈ `rms`
    (sinusoids rather than filtered noise: smooth to any derivative)."""
    if rms == 0.0:
        return np.zeros_like(t)
    freqs = rng.uniform(0.05, max_hz, n_terms)
    phases = rng.uniform(0.0, 2 * np.pi, n_terms)
    amps = rng.uniform(0.5, 1.0, n_terms)
    amps *= rms * np.sqrt(2.0 / np.sum(amps**2))  # a sinusoid of amplitude A has rms A/√2
    return np.sum(amps[:, None] * np.sin(2 * np.pi * freqs[:, None] * t[None, :] + phases[:, None]), axis=0)


def shock(t: FloatArray, t_hit: float, freq_hz: float) -> FloatArray:
    """A smooth damped oscillation (Gaussian-windowed sine) starting at an impact, unit amplitude."""
    sigma = 1.5 / freq_hz / np.pi
    u = t - t_hit - 2 * sigma
    return np.exp(-((u / sigma) ** 2)) * np.sin(2 * np.pi * freq_hz * u)

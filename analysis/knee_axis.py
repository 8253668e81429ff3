"""Functional calibration of the knee's flexion axis from the movement itself (no still pose, no
strap alignment).

Method of Seel, Schauer & Raisch, "Joint axis and position estimation from inertial measurement
data by exploiting kinematic constraints" (IEEE CCA 2012), used for knee angles in Seel, Raisch &
Schauer, "IMU-based joint angle measurement for gait analysis" (Sensors 14(4), 2014): for a hinge
with unit axis j1 in the thigh sensor's frame and j2 in the shank sensor's, the angular velocities
differ only about the axis, so ‖ω1 × j1‖ = ‖ω2 × j2‖ at every instant. j1, j2 (in spherical
coordinates) minimise Σ(‖ω1 × j1‖ − ‖ω2 × j2‖)² — no relative orientation or heading is needed.
Started from each segment's dominant rotation axis, which in knee exercises is close to the hinge.

The constraint leaves both signs open. j2's is chosen so the axes point the same physical way:
the knee bends as the two segments turn in opposite senses about it (the knee end of both goes
forward), so the rate about the hinge ω2·j2 − ω1·j1 then carries the larger variance. The common
sign (flexion positive) is set by the caller from the reps (knee_pair.py).
"""

from __future__ import annotations

from typing import cast

from dataclasses import dataclass

import numpy as np

from sensortrack.analysis.orientation import cross_rows
from sensortrack.core.model import FloatArray


@dataclass(frozen=True, slots=True)
class HingeAxes:
    thigh_s: FloatArray  # unit, thigh sensor frame
    shank_s: FloatArray  # unit, shank sensor frame, same physical direction
    residual_dps: float  # rms of ‖ω1 × j1‖ − ‖ω2 × j2‖ at the fit: how hinge-like the knee moved
    samples: int

    def flipped(self) -> HingeAxes:
        return HingeAxes(-self.thigh_s, -self.shank_s, self.residual_dps, self.samples)


def _unit(phi: float, theta: float) -> FloatArray:
    return np.array([np.cos(phi) * np.cos(theta), np.cos(phi) * np.sin(theta), np.sin(phi)])


def _spherical(v: FloatArray) -> tuple[float, float]:
    return float(np.arcsin(np.clip(v[2], -1.0, 1.0))), float(np.arctan2(v[1], v[0]))


def dominant_axis(w_dps: FloatArray) -> FloatArray:
    """Principal direction of a segment's angular velocity (unsigned)."""
    _, vecs = np.linalg.eigh(w_dps.T @ w_dps)
    return np.asarray(vecs[:, 2])


def fit_hinge_axes(w_thigh_dps: FloatArray, w_shank_dps: FloatArray, moving_dps: float, min_samples: int) -> HingeAxes | None:
    """The knee's flexion axis in both sensors' frames from simultaneous angular velocities, or None
    when too few samples move."""
    speed = np.maximum(np.linalg.norm(w_thigh_dps, axis=1), np.linalg.norm(w_shank_dps, axis=1))
    keep = speed > moving_dps
    if int(keep.sum()) < min_samples:
        return None
    w1, w2 = w_thigh_dps[keep], w_shank_dps[keep]

    def residual(x: FloatArray) -> FloatArray:
        j1, j2 = _unit(x[0], x[1]), _unit(x[2], x[3])
        return cast(FloatArray, np.linalg.norm(cross_rows(w1, j1), axis=1) - np.linalg.norm(cross_rows(w2, j2), axis=1))

    x0 = np.array([*_spherical(dominant_axis(w1)), *_spherical(dominant_axis(w2))])
    # Imported here: scipy.optimize costs ~0.5 s to import, and only a two-sensor analysis fits an
    # axis; modules that merely name the pair's result types (report, library) must not pay it.
    from scipy.optimize import least_squares

    fit = least_squares(residual, x0, method="lm", max_nfev=200)
    j1, j2 = _unit(fit.x[0], fit.x[1]), _unit(fit.x[2], fit.x[3])
    r1, r2 = w1 @ j1, w2 @ j2
    if np.var(r2 - r1) < np.var(r2 + r1):
        j2 = -j2
    rms = float(np.sqrt(np.mean(fit.fun**2)))
    return HingeAxes(j1, j2, rms, int(keep.sum()))

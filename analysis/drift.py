"""Knee drift inward: how far the segment leaves the rep's own movement toward the midline.

drift(t) = asin(k(t)·m) − asin(k(start)·m), in degrees, positive toward the midline, where k is the
unit vector along the segment toward the knee and m the horizontal unit vector toward the midline.
A clean squat rotates the segment about a medio-lateral axis, which leaves k·m unchanged; the knee
caving in (thigh turning about the vertical, shank tipping medially) raises it (field-notes §2).

With a gyroscope, k is followed in the earth frame through the VQF orientation, so a thigh turning
about the vertical is seen. Without one only gravity is known, so drift is the segment's tilt out of
its plane (a shank tipping medially is seen; a thigh turning about the vertical is not).
"""

from __future__ import annotations

import numpy as np

from sensortrack.analysis.geometry import ExerciseGeometry
from sensortrack.analysis.orientation import cross_rows, rotate_to_earth
from sensortrack.model import FloatArray

_UP = np.array([0.0, 0.0, 1.0])


def medial_axis(geometry: ExerciseGeometry, side: str, flexion_axis: FloatArray, up: FloatArray) -> FloatArray:
    """Unit vectors toward the midline, per row of `up` (n, 3), in the frame `up` is given in.

    Sagittal exercises turn about a medio-lateral axis, so m is ±f made horizontal; the band walk
    turns about a forward axis, and f × up points medially for either leg.
    """
    horizontal = flexion_axis - (up @ flexion_axis)[:, None] * up
    horizontal /= np.maximum(np.linalg.norm(horizontal, axis=1, keepdims=True), 1e-9)
    if geometry.plane == "frontal":
        return cross_rows(horizontal, up)
    axis_is_medial = geometry.axis_points_right == (side == "left")
    return horizontal if axis_is_medial else -horizontal


def _asin_deg(x: FloatArray) -> FloatArray:
    return np.degrees(np.arcsin(np.clip(x, -1.0, 1.0)))


def medial_angle_gyro(quat_wxyz: FloatArray, knee_s: FloatArray, medial_e: FloatArray) -> FloatArray:
    """asin(k·m) per sample with k carried into the earth frame by the orientation."""
    knee_e = rotate_to_earth(quat_wxyz, knee_s)
    return _asin_deg(knee_e @ medial_e)


def medial_angle_tilt(
    up_s: FloatArray, knee_s: FloatArray, flexion_axis_s: FloatArray, geometry: ExerciseGeometry, side: str
) -> FloatArray:
    """asin(k·m) per sample in the sensor frame, m from gravity alone (no gyroscope)."""
    medial_s = medial_axis(geometry, side, flexion_axis_s, up_s)
    return _asin_deg(medial_s @ knee_s)


def medial_axis_earth(geometry: ExerciseGeometry, side: str, flexion_axis_e: FloatArray) -> FloatArray:
    """m for one rep in the earth frame (z up), from the flexion axis at the rep's start."""
    return medial_axis(geometry, side, flexion_axis_e, _UP[None, :])[0]

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

from typing import cast

import numpy as np

from sensortrack.analysis.geometry import ExerciseGeometry
from sensortrack.analysis.orientation import cross_rows
from sensortrack.core.model import FloatArray

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


def _rotation_entries(q: FloatArray) -> FloatArray:
    """The 3×3 rotation matrix of a quaternion as homogeneous quadratics (valid for any q)."""
    w, x, y, z = q
    return np.array(
        [
            [w * w + x * x - y * y - z * z, 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), w * w - x * x + y * y - z * z, 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), w * w - x * x - y * y + z * z],
        ]
    )


def _polarised_rotation_tensor() -> FloatArray:
    """Q[i, j] (4×4 symmetric) with qᵀ Q[i, j] q = R(q)[i, j]: the rotation matrix as quadratic forms."""
    eye = np.eye(4)
    entries = {(a, b): _rotation_entries(eye[a] + eye[b]) for a in range(4) for b in range(a, 4)}
    q_tensor = np.empty((3, 3, 4, 4))
    for a in range(4):
        q_tensor[:, :, a, a] = entries[(a, a)] / 4.0  # (2 e_a) gives 4× the diagonal entry
        for b in range(a + 1, 4):
            cross = (entries[(a, b)] - entries[(a, a)] / 4.0 - entries[(b, b)] / 4.0) / 2.0
            q_tensor[:, :, a, b] = q_tensor[:, :, b, a] = cross
    return q_tensor


_ROTATION_TENSOR = _polarised_rotation_tensor()


def knee_medial_form(knee_s: FloatArray, medial_e: FloatArray) -> FloatArray:
    """4×4 symmetric M with qᵀMq = m·(R(q)k) for unit q: one rep's k·m as a quadratic form.

    Built once per rep, it turns the per-sample rotate-then-project into two vector operations,
    the hot path of the drift measurement.
    """
    return cast(FloatArray, np.einsum("i,j,ijab->ab", medial_e, knee_s, _ROTATION_TENSOR))


def medial_angle_gyro(quat_wxyz: FloatArray, form: FloatArray) -> FloatArray:
    """asin(k·m) per sample with k carried into the earth frame by the orientation."""
    return _asin_deg(np.einsum("ni,ni->n", quat_wxyz @ form, quat_wxyz))


def medial_angle_tilt(
    up_s: FloatArray, knee_s: FloatArray, flexion_axis_s: FloatArray, geometry: ExerciseGeometry, side: str
) -> FloatArray:
    """asin(k·m) per sample in the sensor frame, m from gravity alone (no gyroscope)."""
    medial_s = medial_axis(geometry, side, flexion_axis_s, up_s)
    return _asin_deg(medial_s @ knee_s)


def medial_axis_earth(geometry: ExerciseGeometry, side: str, flexion_axis_e: FloatArray) -> FloatArray:
    """m for one rep in the earth frame (z up), from the flexion axis at the rep's start.

    Plain float arithmetic: called once per rep, where numpy's per-call overhead would dominate.
    """
    x, y = float(flexion_axis_e[0]), float(flexion_axis_e[1])
    norm = max((x * x + y * y) ** 0.5, 1e-9)
    x, y = x / norm, y / norm
    if geometry.plane == "frontal":
        return np.array([y, -x, 0.0])  # horizontal axis × up
    axis_is_medial = geometry.axis_points_right == (side == "left")
    return np.array([x, y, 0.0]) if axis_is_medial else np.array([-x, -y, 0.0])


def rotate_one(quat_wxyz: FloatArray, v: FloatArray) -> FloatArray:
    """One vector into the earth frame by one unit quaternion (the per-rep case of rotate_to_earth).

    v + 2w(r × v) + 2r × (r × v) in plain floats: once per rep, where numpy's per-call overhead
    would cost more than the arithmetic.
    """
    w, x, y, z = (float(c) for c in quat_wxyz)
    vx, vy, vz = (float(c) for c in v)
    cx, cy, cz = y * vz - z * vy, z * vx - x * vz, x * vy - y * vx  # r × v
    return np.array(
        [
            vx + 2.0 * (w * cx + y * cz - z * cy),
            vy + 2.0 * (w * cy + z * cx - x * cz),
            vz + 2.0 * (w * cz + x * cy - y * cx),
        ]
    )


def _rotate_rows(quat_wxyz: FloatArray, v: FloatArray) -> FloatArray:
    """One sensor-frame vector into the earth frame by every row's orientation, (n, 3)."""
    forms = np.einsum("j,ijab->iab", v, _ROTATION_TENSOR)  # row i of R(q)v as a quadratic form
    return cast(FloatArray, np.einsum("na,iab,nb->ni", quat_wxyz, forms, quat_wxyz))


def own_axis(path: FloatArray, depth_deg: FloatArray, fit_deg: float, min_sweep_deg: float) -> FloatArray | None:
    """The axis the rep turned about at its start, from the path of one vector fixed in the segment.

    A segment turning about a fixed axis a carries any vector of its own around a circle on a
    plane perpendicular to a, so the chords p(t) − p(0) are perpendicular to a: a is their least
    singular direction. Fitted over the samples until `depth_deg` (the rep's depth so far, rising)
    first reaches `fit_deg` — a definite sample, so an open rep and the finished one agree once past
    it. None while the chords sweep less than `min_sweep_deg` (too short an arc to find a plane).
    """
    n = int(np.searchsorted(depth_deg, fit_deg)) + 1  # depth so far is non-decreasing
    chords = path[1:n] - path[0]
    if chords.shape[0] < 2:
        return None
    if float(np.degrees(2.0 * np.arcsin(min(1.0, 0.5 * float(np.linalg.norm(chords, axis=1).max()))))) < min_sweep_deg:
        return None
    _, _, vt = np.linalg.svd(chords, full_matrices=False)
    return cast(FloatArray, vt[-1])


def own_plane_drift_gyro(
    quat_wxyz: FloatArray, knee_s: FloatArray, medial_e: FloatArray, depth_deg: FloatArray, fit_deg: float,
    min_sweep_deg: float,
) -> FloatArray | None:
    """asin(k·a) per sample, a the rep's own axis (`own_axis` of the knee's path) signed toward the
    midline; None when the rep has not swept enough to tell its axis.

    The person's own way of squatting — the plane turned about the vertical, the knee turning in
    in proportion to flexion — tilts the axis the thigh turns about, which the horizontal medial
    axis of the calibration cannot follow: those reps read drift on every correct rep. Measured
    against the axis of the rep's own start, such movement reads ≈ 0, and what leaves that plane
    later in the rep (the knee caving under load near the bottom and on the way up) remains.
    """
    knee_e = _rotate_rows(quat_wxyz, knee_s)
    axis = own_axis(knee_e, depth_deg, fit_deg, min_sweep_deg)
    if axis is None:
        return None
    if float(axis @ medial_e) < 0.0:
        axis = -axis
    return _asin_deg(knee_e @ axis)

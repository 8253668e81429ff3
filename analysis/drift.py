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

import math
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
    """asin in degrees of `x` clipped to [-1, 1], worked out IN PLACE in `x` (every caller passes a
    fresh temporary): the values np.clip/arcsin/degrees give, without np.clip's wrapper or new
    arrays (once per rep and per open look)."""
    np.maximum(x, -1.0, out=x)
    np.minimum(x, 1.0, out=x)
    np.arcsin(x, out=x)
    return np.degrees(x, out=x)


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


def medial_axis_at(geometry: ExerciseGeometry, side: str, quat_wxyz: FloatArray, flexion_axis_s: FloatArray) -> FloatArray:
    """m for one rep in the earth frame (z up), from the flexion axis carried into the earth frame
    by the orientation at the rep's start (`rotate_one`).

    Plain float arithmetic: called once per rep, where numpy's per-call overhead would dominate.
    """
    x, y, _ = _rotated(quat_wxyz.tolist(), flexion_axis_s.tolist())
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
    return np.array(_rotated(quat_wxyz.tolist(), v.tolist()))


def _rotated(quat_wxyz: list[float], v: list[float]) -> tuple[float, float, float]:
    """`rotate_one` on plain floats."""
    w, x, y, z = quat_wxyz
    vx, vy, vz = v
    cx, cy, cz = y * vz - z * vy, z * vx - x * vz, x * vy - y * vx  # r × v
    return (
        vx + 2.0 * (w * cx + y * cz - z * cy),
        vy + 2.0 * (w * cy + z * cx - x * cz),
        vz + 2.0 * (w * cz + x * cy - y * cx),
    )


def own_axis(k_start: FloatArray, k_mid: FloatArray, k_end: FloatArray, min_sweep_deg: float) -> FloatArray | None:
    """The axis a segment turned about, from three positions of one vector fixed in it.

    A segment turning about a fixed axis carries any vector of its own around a circle in a plane
    perpendicular to that axis, whatever the vector's angle to it (a cone); three points fix that
    plane, so the axis is the normal (k_mid − k_start) × (k_end − k_start). Plain floats: once per
    rep. None when the arc from start to end is under `min_sweep_deg` (a chord of a unit circle
    spanning φ is 2·sin(φ/2) long): a shorter arc hardly curves, and its plane is lost in noise.
    """
    ax, ay, az = (float(c) for c in k_mid - k_start)
    bx, by, bz = (float(c) for c in k_end - k_start)
    if bx * bx + by * by + bz * bz < (2.0 * math.sin(math.radians(min_sweep_deg) / 2.0)) ** 2:
        return None
    nx, ny, nz = ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx
    norm = math.sqrt(nx * nx + ny * ny + nz * nz)
    if norm < 1e-12:
        return None
    return np.array([nx / norm, ny / norm, nz / norm])


def _axis_up_to(
    quat_wxyz: FloatArray, knee_s: FloatArray, depth_deg: FloatArray, end: int, min_sweep_deg: float
) -> FloatArray | None:
    """`own_axis` (earth frame) of the knee's direction at the rep's start, where the depth first
    reaches half of its value at `end`, and at `end`; None if those do not come in that order."""
    mid = int(np.searchsorted(depth_deg, 0.5 * float(depth_deg[end])))
    if not 0 < mid < end:
        return None
    k_start, k_mid, k_end = (rotate_one(quat_wxyz[i], knee_s) for i in (0, mid, end))
    return own_axis(k_start, k_mid, k_end, min_sweep_deg)


def own_plane_drift_gyro(
    quat_wxyz: FloatArray, knee_s: FloatArray, medial_e: FloatArray, depth_deg: FloatArray, fit_deg: float,
    min_sweep_deg: float,
) -> FloatArray | None:
    """asin(k·a) per sample, a the rep's own axis signed toward the midline: `own_axis` of the
    knee's direction at the rep's start, where the depth first reaches `fit_deg` (`depth_deg`, the
    rep's depth so far, never falls) and half-way between. None until the rep reaches `fit_deg` —
    a definite sample, so an open rep and the finished one agree once past it — or when the arc is
    too short.

    The person's own way of squatting — the plane turned about the vertical, the knee turning in
    in proportion to flexion — tilts the axis the thigh turns about, which the horizontal medial
    axis of the calibration cannot follow: those reps read drift on every correct rep. Measured
    against the axis of the rep's own start, such movement reads ≈ 0, and what leaves that plane
    later in the rep (the knee caving under load near the bottom and on the way up) remains.
    """
    end = int(np.searchsorted(depth_deg, fit_deg))
    if end >= depth_deg.shape[0]:
        return None
    axis = _axis_up_to(quat_wxyz, knee_s, depth_deg, end, min_sweep_deg)
    if axis is None:
        return None
    if float(axis @ medial_e) < 0.0:
        axis = -axis
    return medial_angle_gyro(quat_wxyz, knee_medial_form(knee_s, axis))


def calibration_basis(flexion_axis_s: FloatArray, rest_up_s: FloatArray) -> FloatArray:
    """Rows: the flexion axis f, rest "up" made perpendicular to it, and f × up (sensor frame).

    The basis follows the thigh, not the strap, so a direction written in it carries over to a
    session strapped on again (benchmarks/drift_own_axis.py: a person's plane moves 0.5–4°)."""
    f = flexion_axis_s / np.linalg.norm(flexion_axis_s)
    up = rest_up_s - float(rest_up_s @ f) * f
    up = up / np.linalg.norm(up)
    return np.array([f, up, np.cross(f, up)])


def _conjugate(quat_wxyz: FloatArray) -> FloatArray:
    return np.array([quat_wxyz[0], -quat_wxyz[1], -quat_wxyz[2], -quat_wxyz[3]])


def whole_rep_axis_cal(
    quat_wxyz: FloatArray, knee_s: FloatArray, depth_deg: FloatArray, basis: FloatArray, min_sweep_deg: float
) -> FloatArray | None:
    """The axis one rep turned about, fitted on its whole way down (`own_axis` of the knee's
    direction at the start, at half the deepest depth and at the deepest; `depth_deg` never falls),
    written in the calibration's `basis` and signed along the flexion axis; None on a short arc.

    Fitted on the first 20° only, a real thigh's axis scatters 4–35° between one person's reps;
    over the whole way down it is stable (2–5°) and sits 5–39° off the calibrated medial axis, a
    per-person offset (benchmarks/drift_own_axis.py, tuning data). For a rotation about a fixed
    axis that axis is the same in the sensor frame at every sample, so the start's is taken."""
    deepest = int(np.searchsorted(depth_deg, float(depth_deg[-1])))
    axis_e = _axis_up_to(quat_wxyz, knee_s, depth_deg, deepest, min_sweep_deg)
    if axis_e is None:
        return None
    axis_cal = basis @ rotate_one(_conjugate(quat_wxyz[0]), axis_e)
    return axis_cal if axis_cal[0] >= 0.0 else -axis_cal


def person_plane_cal(axes_cal: list[FloatArray]) -> FloatArray | None:
    """The person's plane: the normalised mean of their reps' whole-way-down axes (calibration basis)."""
    if not axes_cal:
        return None
    mean = np.mean(np.array(axes_cal), axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 1e-9 else None


def plane_drift_gyro(
    quat_wxyz: FloatArray, knee_s: FloatArray, plane_cal: FloatArray, basis: FloatArray, medial_e: FloatArray
) -> FloatArray:
    """asin(k·a) per sample, a the person's plane axis (`plane_cal`, calibration basis) carried into
    the earth frame at the rep's start and signed toward the midline (`medial_e`). A correct rep
    turns the thigh about that axis and reads ≈ 0, whatever the person's own abduction with flexion;
    the knee caving in leaves the plane toward the midline."""
    axis_e = rotate_one(quat_wxyz[0], basis.T @ plane_cal)
    if float(axis_e @ medial_e) < 0.0:
        axis_e = -axis_e
    return medial_angle_gyro(quat_wxyz, knee_medial_form(knee_s, axis_e))

"""The exercise-geometry table: which way each exercise moves the segment (and so which way is
medial), where its rest is, and what one rep of it is (its thresholds: exercise_rules.py).

Conventions (person frame: x forward, y left, z up; segment 'long axis' l points up the segment
when standing: thigh knee→hip, shank ankle→knee). A rep rotates the segment about a medio-lateral
axis (sagittal exercises) or a forward axis (band walk); the calibrated flexion axis f is signed so
that leaving rest is a POSITIVE rotation about f. Working the sign rules through by hand:
- hip flexion (thigh in squat / lunge / step-up) turns the thigh about the person's RIGHT;
- the shank tipping forward over the foot (squat, lunge, step-up, bridge) turns about the LEFT;
- hip extension lifting a bridge turns the thigh about the LEFT;
- abduction (band walk) turns the left leg about FORWARD and the right leg about BACKWARD.
Medial (toward the midline) is the person's right for a left leg and left for a right leg.
"""

from __future__ import annotations

import math

from typing import cast

from dataclasses import dataclass

import numpy as np

from sensortrack.analysis.orientation import cross_rows
from sensortrack.core.model import FloatArray


@dataclass(frozen=True, slots=True)
class ExerciseGeometry:
    plane: str  # "sagittal" (rotation about a medio-lateral axis) or "frontal" (about forward)
    axis_points_right: bool  # sagittal only: f is the person's right (else left)
    rest_to_long_axis_deg: float  # rotate the rest 'up' vector about f by this to get l
    drift_defined: bool
    # Each rep is one excursion of the segment and back, so a set is counted by its repetition too
    # (repetition.py). Not a step-up (up, then the step down: two movements per rep) nor a band walk
    # (steps from a held stance, the other leg's steps seen in between).
    one_excursion_per_rep: bool = True
    # Reps start from a held stance (a band walk's quarter squat), not from standing.
    from_stance: bool = False
    # Rest is where the set started, not where the segment dwells: a bridge is held at the top.
    rest_is_start: bool = False
    # A rep is up and then the step down off the box (step-ups).
    steps_down: bool = False
    # The knee moving in turns the segment about the vertical here (a thigh in a standing exercise,
    # field-notes §2), which gravity alone cannot see: drift needs a gyroscope.
    drift_needs_gyro: bool = False

    def drift_observable(self, has_gyro: bool) -> bool:
        """Whether knee drift can be measured for this exercise and placement with this sensor."""
        return self.drift_defined and (has_gyro or not self.drift_needs_gyro)


_SAGITTAL_THIGH = ExerciseGeometry("sagittal", True, 0.0, True, drift_needs_gyro=True)
_SAGITTAL_SHANK = ExerciseGeometry("sagittal", False, 0.0, True)
_STEP_UP_THIGH = ExerciseGeometry(
    "sagittal", True, 0.0, True, one_excursion_per_rep=False, steps_down=True, drift_needs_gyro=True
)
_STEP_UP_SHANK = ExerciseGeometry("sagittal", False, 0.0, True, one_excursion_per_rep=False, steps_down=True)

GEOMETRY: dict[tuple[str, str], ExerciseGeometry] = {
    ("squat", "thigh"): _SAGITTAL_THIGH,
    ("squat", "shank"): _SAGITTAL_SHANK,
    ("lunge", "thigh"): _SAGITTAL_THIGH,
    ("lunge", "shank"): _SAGITTAL_SHANK,
    ("step_up", "thigh"): _STEP_UP_THIGH,
    ("step_up", "shank"): _STEP_UP_SHANK,
    # Supine with knees bent the thigh rests ~45° above horizontal, knee up: its long axis (knee→hip)
    # is the rest 'up' vector turned 135° back about f (f = left, the direction of hip extension).
    ("bridge", "thigh"): ExerciseGeometry("sagittal", False, -135.0, True, rest_is_start=True),
    ("bridge", "shank"): ExerciseGeometry("sagittal", False, 0.0, True, rest_is_start=True),
    ("band_walk", "thigh"): ExerciseGeometry(
        "frontal", False, 0.0, True, one_excursion_per_rep=False, from_stance=True
    ),
    # Below the knee a side step shows as the knee bending in the swing (the shank stays upright in
    # the frontal plane, "knees over the feet"): the shank turns about a medio-lateral axis, as in
    # a squat, so medial is along that axis and the drift is its tilt out of that plane.
    ("band_walk", "shank"): ExerciseGeometry(
        "sagittal", False, 0.0, True, one_excursion_per_rep=False, from_stance=True
    ),
    # Clamshell: side-lying, the top thigh turns mostly about its own long axis; the segment does not
    # sweep a plane the knee could drift out of, so drift is not reported.
    ("clamshell", "thigh"): ExerciseGeometry("sagittal", False, 0.0, False),
    ("clamshell", "shank"): ExerciseGeometry("sagittal", False, 0.0, False),
}


def rotate_about(v: FloatArray, axis: FloatArray, angle_deg: float) -> FloatArray:
    """Rodrigues rotation of vector v about unit `axis`."""
    a = np.deg2rad(angle_deg)
    return cast(FloatArray, v * np.cos(a) + cross_rows(axis, v) * np.sin(a) + axis * np.dot(axis, v) * (1 - np.cos(a)))


def knee_vector_s(
    geometry: ExerciseGeometry, placement: str, rest_up_s: FloatArray, flexion_axis_s: FloatArray
) -> FloatArray:
    """Unit vector along the segment toward the knee, in the sensor frame.

    Worked out once per calibration and settle, in plain floats where the arithmetic is the same as
    NumPy's (a 3-long np.dot sums its products in order; np.linalg.norm of a vector is the square
    root of its dot with itself): the same bits without ten small NumPy calls.
    """
    r0, r1, r2 = rest_up_s.tolist()
    f0, f1, f2 = flexion_axis_s.tolist()
    along = r0 * f0 + r1 * f1 + r2 * f2
    p0, p1, p2 = r0 - along * f0, r1 - along * f1, r2 - along * f2
    up_perp = np.array([p0, p1, p2]) / math.sqrt(p0 * p0 + p1 * p1 + p2 * p2)
    long_axis = (
        rotate_about(up_perp, flexion_axis_s, geometry.rest_to_long_axis_deg)
        if geometry.rest_to_long_axis_deg
        else up_perp
    )
    # Thigh: the knee is at the lower end (−l); shank: the knee is at the upper end (+l).
    return -long_axis if placement == "thigh" else long_axis

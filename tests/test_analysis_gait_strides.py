"""Walking and jogging in place stay non-reps from an accelerometer-only thigh (strides between lifts).

Without a gyroscope the angle is gravity's direction from the accelerometer, and foot strikes'
linear acceleration tilts it in step with |acc|: real jogging in place (UTD-MHAD, tuning subject
s5, gyroscope columns removed) read 68–81° lifts (26–52° with the gyroscope) that passed the
body-drop test (repetition.drop_explains_load) and were counted, 5 reps. Gait alternates legs, so
between two lifts of this thigh the other leg's stride moves it too, quicker than any rep; a
continuous set's reps follow each other with none. These tests fail if a stride stops vetoing the
body-drop exemption, in the finder's quick reps (sets.py) or, for strides ending in a quarter of a
run's reps, in the repetition search (repetition.py).
"""

from __future__ import annotations

import numpy as np

from sensortrack.analysis.repetition import find_repetitions
from sensortrack.analysis.sets import RepCandidate, SetTracker
from sensortrack.analysis.settings import AnalysisSettings

SETTINGS = AnalysisSettings()
RATE_HZ = 25.0


def _quick_drop_rep(start_s: float, range_deg: float) -> RepCandidate:
    """A 0.75 s lift, quicker than a walking stride, loaded like a stride (0.4 g of foot strikes)
    but read as the body being lowered: what accelerometer-only jogging showed the finder."""
    return RepCandidate(start_s=start_s, peak_s=start_s + 0.4, end_s=start_s + 0.75, range_deg=range_deg,
                        knee_drift_deg=None, impact_g=0.4, body_drop=True)


def _stride(start_s: float, range_deg: float) -> RepCandidate:
    """A 0.4 s movement of the thigh as large as a rep: quicker than any rep."""
    return RepCandidate(start_s=start_s, peak_s=start_s + 0.2, end_s=start_s + 0.4, range_deg=range_deg,
                        knee_drift_deg=None)


def test_quick_lifts_with_strides_between_them_are_gait() -> None:
    tracker = SetTracker("squat", "thigh", SETTINGS)
    big = 2.0 * SETTINGS.min_range_deg("squat", "thigh")
    counted = 0
    for k in range(6):  # jogging in place: a lift of this thigh, then the other leg's stride
        t = 1.2 * k
        lift = _quick_drop_rep(t, big)
        if not tracker.rejects(lift):
            tracker.accept(lift, now_s=lift.end_s)
            counted += 1
        assert tracker.rejects(_stride(t + 0.78, big))  # far too quick for a rep
    assert counted == 1  # only the first lift, before any stride was seen


def test_quick_lifts_that_follow_each_other_are_still_a_set() -> None:
    """Continuous fast squats: the same lifts with no stride between them all count, also after a
    stride more than a set break before the set (walking up to it)."""
    tracker = SetTracker("squat", "thigh", SETTINGS)
    big = 2.0 * SETTINGS.min_range_deg("squat", "thigh")
    assert tracker.rejects(_stride(0.0, big))
    first_s = 0.4 + SETTINGS.set_break_s + 0.5
    for k in range(6):
        lift = _quick_drop_rep(first_s + 0.8 * k, big)
        assert not tracker.rejects(lift), k
        tracker.accept(lift, now_s=lift.end_s)


def test_a_small_twitch_is_no_stride() -> None:
    """A quick movement below the exercise's range is not a stride: it vetoes nothing."""
    tracker = SetTracker("squat", "thigh", SETTINGS)
    floor = SETTINGS.min_range_deg("squat", "thigh")
    assert tracker.rejects(_stride(0.0, 0.5 * floor))
    assert not tracker.rejects(_quick_drop_rep(0.6, 2.0 * floor))


def _continuous_lifts(n: int, period_s: float = 1.5, range_deg: float = 80.0) -> tuple[np.ndarray, np.ndarray]:
    """n continuous rep cycles (rest → range → rest) and |acc| varying once per cycle in step with the
    angle, well inside what lowering the body by a leg's length could cause (a fast squat's load)."""
    m = int(round(period_s * RATE_HZ))
    phase = 2 * np.pi * np.arange(n * m) / m
    angle = range_deg * 0.5 * (1 - np.cos(phase))
    omega = 2 * np.pi / period_s
    drop_g = omega**2 * SETTINGS.body_drop_leg_m * (1 - np.cos(np.radians(range_deg))) / 2 / 9.80665
    magnitude = 1.0 - 0.4 * drop_g * np.cos(phase)
    acc = np.column_stack((np.zeros(n * m), np.zeros(n * m), magnitude))
    return angle, acc


def test_a_repeated_run_with_strides_inside_is_gait() -> None:
    """Strides ending in the run for a quarter of its reps (`repetition_stride_share_of_reps`) make
    it gait: walking's every lift is one. One stride in a run of six is a fast squat the finder read
    short (session 9: tuning seed 70, 4 of 22 reps), not gait."""
    angle, acc = _continuous_lifts(6)
    strikes = np.full(angle.size, 0.3)  # loaded like strides (above gait_impact_g)
    assert strikes[0] > SETTINGS.gait_impact_g
    lowered = find_repetitions(angle, strikes, RATE_HZ, SETTINGS, acc)
    assert len(lowered) >= SETTINGS.min_reps_per_set  # the body's drop explains the load
    m = angle.size // 6
    inside = np.array([2 * m + m // 2, 4 * m + m // 2], dtype=np.intp)  # two of six cycles
    assert find_repetitions(angle, strikes, RATE_HZ, SETTINGS, acc, inside) == []
    one = inside[:1]
    assert len(find_repetitions(angle, strikes, RATE_HZ, SETTINGS, acc, one)) == len(lowered)
    none = np.array([], dtype=np.intp)
    assert len(find_repetitions(angle, strikes, RATE_HZ, SETTINGS, acc, none)) == len(lowered)

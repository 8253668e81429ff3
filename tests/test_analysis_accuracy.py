"""Rep counting, boundaries and knee-drift warnings scored against the simulator's ground truth.

Per exercise over fixtures/simulated (thigh + shank, left + right, clean + drift sets, walking and
fidgeting between sets). Boundaries are held to issue 2's goal (within 10 % of the rep's duration)
for every exercise; counts and drift to the goal or to the level each exercise reaches (commented);
the hard cases to regression floors. `python benchmarks/accuracy_report.py` prints the full table.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sensortrack.simulation.accuracy import per_exercise, score_files

SIM = Path(__file__).resolve().parent.parent / "fixtures" / "simulated"
HARD = ("_cut", "_restrap", "_partial")


@pytest.fixture(scope="module")
def scores():  # type: ignore[no-untyped-def]
    files = sorted(p for p in SIM.glob("*.csv") if not any(h in p.stem for h in HARD) and p.stem != "demo_squats")
    return score_files(files)


# exercise: (exact-count rate ≥, within ±1 ≥, boundary error % ≤, drift hit ≥, drift false alarm ≤)
MEETS_GOALS = {
    "squat": (0.85, 0.95, 10.0, 0.80, 0.05),
    # Drift: an accelerometer alone cannot see the thigh turning about the vertical (README).
    "bridge": (0.90, 0.95, 10.0, 0.70, 0.05),
    "clamshell": (0.70, 0.95, 10.0, None, None),
    "lunge": (0.85, 0.95, 10.0, 0.80, 0.05),
    "step_up": (0.90, 0.95, 10.0, 0.80, 0.05),
    # A shank sees only its own swing; the loaded half of each step is estimated from it
    # (docs/analysis-validation.md).
    # Drift: shank drift in that loaded half is not seen, so there is no hit floor.
    "band_walk": (0.90, 0.95, 10.0, None, 0.05),
}


@pytest.mark.parametrize("exercise", sorted(MEETS_GOALS))
def test_exercise_accuracy(scores, exercise: str) -> None:  # type: ignore[no-untyped-def]
    exact_min, within_min, boundary_max, hit_min, fa_max = MEETS_GOALS[exercise]
    acc = per_exercise(scores, exercise)
    print(acc)
    assert acc.files == 4
    assert acc.exact_count_rate >= exact_min
    assert acc.within_one_rate >= within_min
    assert acc.boundary_error_pct <= boundary_max
    if hit_min is not None:
        assert acc.drift_hit_rate is not None and acc.drift_hit_rate >= hit_min
    if fa_max is not None:
        assert acc.drift_false_alarm_rate is not None and acc.drift_false_alarm_rate <= fa_max


def test_squat_hard_cases_still_count_most_reps() -> None:
    hard = score_files(sorted(SIM.glob("squat_*_partial.csv")) + sorted(SIM.glob("squat_*_restrap.csv")))
    for path, s in hard.items():
        assert s.reps_detected >= 0.7 * s.reps_true, path.name
        assert s.within_one_rate >= 0.3, path.name


# Real recordings (MEx, thigh accelerometer only): reps counted by hand from plots of the raw
# acceleration (docs/analysis-validation.md). Clam 02 has 11–12 visible cycles, one cut by the start.
MEX_HAND_COUNTS = {
    "bridge_subject01": (9, 9),
    "bridge_subject03": (10, 10),
    "clamshell_subject04_side1": (5, 5),
    "clamshell_subject02_side2": (10, 12),
}


@pytest.mark.parametrize("name", sorted(MEX_HAND_COUNTS))
def test_real_mex_recordings_count_like_a_person(name: str) -> None:
    from sensortrack.core.loading import load_session
    from sensortrack.session_analysis import analyze_session

    low, high = MEX_HAND_COUNTS[name]
    result = analyze_session(load_session(SIM.parent / "mex" / f"{name}.csv"))
    assert low <= len(result.reps) <= high
    assert len(result.sets) == 1

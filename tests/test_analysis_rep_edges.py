"""The streaming analyzer's split-out pieces that work on plain arrays and numbers:
rep_edges.py (where a rep starts, holds, leaves its plane, steps down), set_recount.py (merging and
joining recounted reps) and engine_state.EngineSetup (what a session's context makes of the settings)."""

from __future__ import annotations

import numpy as np
import pytest

from sensortrack.analysis.context import AnalysisContext
from sensortrack.analysis.engine_state import EngineSetup
from sensortrack.analysis.rep_edges import (
    first_rise,
    held_start,
    held_unrisen,
    plane_excursion,
    rep_start,
    step_down_end,
)
from sensortrack.analysis.rep_finder import REP_END_FIRST_LOOK
from sensortrack.analysis.results import Rep, RepWarning
from sensortrack.analysis.set_recount import joined_edges, merged_rep
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.vocabulary import Exercise, Placement

RATE_HZ = 25.0
S = AnalysisSettings()


def _smooth(a_deg: float, b_deg: float, seconds: float) -> np.ndarray:
    """A smooth (half-cosine) move from a to b over `seconds`, endpoint left out."""
    x = np.linspace(0.0, np.pi, int(seconds * RATE_HZ), endpoint=False)
    return a_deg + (b_deg - a_deg) * 0.5 * (1.0 - np.cos(x))


def _rate(theta: np.ndarray) -> np.ndarray:
    return np.gradient(theta) * RATE_HZ


# ---------------------------------------------------------------- first_rise
def test_a_rise_is_measured_from_where_the_last_rep_came_back_to() -> None:
    theta = np.concatenate((np.full(10, 8.0), _smooth(8.0, 30.0, 1.0)))
    # from rest (0°) the segment is already 8° up: risen at once
    assert first_rise(theta, 0, 3.0, 0.0, None) == 0
    # from where the last rep came back to (8°): the rise past 11°
    assert first_rise(theta, 0, 3.0, 8.0, None) == int(np.flatnonzero(theta > 11.0)[0])


def test_a_segment_going_on_down_lowers_the_floor_but_not_below_rest() -> None:
    theta = np.concatenate((_smooth(8.0, 2.0, 1.0), _smooth(2.0, 6.0, 1.0), _smooth(6.0, -5.0, 1.0), _smooth(-5.0, 2.5, 1.0)))
    up = first_rise(theta, 0, 3.0, 8.0, None)
    assert theta[up] > 5.0 and theta[up - 1] <= 5.0  # 3° above the low of 2°, not above 8°
    # below rest the floor stays at rest: 2.5° is not 3° above it, though 7.5° above -5°
    assert first_rise(theta, 75, 3.0, 8.0, None) == theta.size


def test_a_tilt_rises_from_its_lowest_point_and_a_late_rise_is_found() -> None:
    n = REP_END_FIRST_LOOK + 40
    theta = np.full(n, 6.0)
    theta[REP_END_FIRST_LOOK + 20 :] = 10.0  # past the first look
    assert first_rise(theta, 0, 3.0, 0.0, tilt_floor_deg=np.inf) == REP_END_FIRST_LOOK + 20
    # a carried floor from before this stretch counts
    assert first_rise(theta, 0, 3.0, 0.0, tilt_floor_deg=2.0) == 0
    assert first_rise(theta, 0, 5.0, 0.0, tilt_floor_deg=np.inf) == theta.size


# ---------------------------------------------------------------- rep_start
def test_a_rep_starts_at_the_last_slow_sample_before_its_rise() -> None:
    theta = np.concatenate((np.zeros(20), _smooth(0.0, 40.0, 1.5)))
    rate = _rate(theta)
    onsets = np.flatnonzero(rate <= S.onset_dps)
    up = int(np.flatnonzero(theta > 5.0)[0])
    start = rep_start(onsets, up, 0, theta)
    assert start == int(onsets[onsets < up][-1])
    assert 19 <= start < up  # the rest's last sample or the rise's first, slow one


def test_without_a_slow_sample_in_reach_the_start_is_the_lowest_angle() -> None:
    theta = np.array([3.0, 2.0, 1.0, 0.5, 2.0, 6.0, 12.0])
    onsets = np.array([0])  # slow only before `lower`
    assert rep_start(onsets, 6, 1, theta) == 3


# ---------------------------------------------------------------- held_unrisen
def test_held_still_before_rising_a_start_threshold_is_a_posture_shift() -> None:
    theta = np.array([0.0, 1.0, 2.0, 2.5, 2.5, 2.5, 2.5])
    settled = np.array([5])
    assert held_unrisen(settled, 0, 2, 6, theta, thr_deg=3.0) == 5
    # risen past the threshold before the hold: a rep held at its top, not a shift
    assert held_unrisen(settled, 0, 2, 6, theta, thr_deg=2.0) == -1
    # the hold lies beyond the movement looked at
    assert held_unrisen(settled, 0, 2, 4, theta, thr_deg=3.0) == -1


# ---------------------------------------------------------------- held_start
def _lunge(hold_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Step into a split stance (15°), hold it, then a 40° rep from there and back."""
    theta = np.concatenate(
        (_smooth(0.0, 15.0, 1.0), np.full(int(hold_s * RATE_HZ), 15.0), _smooth(15.0, 55.0, 1.5), _smooth(55.0, 15.0, 1.5))
    )
    return theta, _rate(theta)


def _held_start(theta: np.ndarray, rate: np.ndarray) -> tuple[int, int]:
    onsets = np.flatnonzero(rate <= S.onset_dps)
    up = int(np.flatnonzero(theta > 3.0)[0])
    peak = int(theta.argmax())
    held_n = max(2, int(round(S.held_s * RATE_HZ)))
    start = held_start(0, up, peak, theta, rate, onsets, held_n=held_n, onset_dps=S.onset_dps, lift_deg=3.0, min_range_deg=20.0)
    return start, peak


def test_a_rep_after_a_held_split_stance_starts_where_the_hold_ends() -> None:
    theta, rate = _lunge(hold_s=1.0)
    start, peak = _held_start(theta, rate)
    hold_end = int(2.0 * RATE_HZ)  # 1 s into the stance, 1 s held
    assert hold_end - 3 <= start <= hold_end + 1
    assert theta[peak] - theta[start] >= 20.0


def test_a_rep_without_a_hold_keeps_its_start() -> None:
    theta, rate = _lunge(hold_s=0.0)
    assert _held_start(theta, rate)[0] == 0


# ---------------------------------------------------------------- plane_excursion
def test_leaving_the_plane_long_enough_and_coming_back_at_rest() -> None:
    n = 100
    cos = float(np.sin(np.radians(S.off_plane_deg)))
    off_plane = np.zeros(n)
    off_plane[30:50] = 0.8  # rolled part of the way over for 0.8 s
    theta = np.zeros(n)
    speed = np.full(n, 30.0)
    speed[60:] = 1.0  # still again from sample 60
    left_n = int(round(S.off_plane_s * RATE_HZ))

    def excursion(off: np.ndarray, angle: np.ndarray) -> tuple[int, int]:
        return plane_excursion(off, angle, speed, 0, n - 1, off_plane_cos=cos, off_plane_n=left_n, still_dps=S.still_dps, rest_deg=10.0)

    assert excursion(off_plane, theta) == (30 + left_n - 1, 60)
    # back in the plane but still far from rest: not back yet
    far = theta.copy()
    far[50:] = 25.0
    assert excursion(off_plane, far) == (30 + left_n - 1, -1)
    # a quick pull out of the plane (an accelerometer's gravity during a fast squat) is no excursion
    brief = np.zeros(n)
    brief[30:33] = 0.8
    assert excursion(brief, theta) == (-1, -1)


# ---------------------------------------------------------------- step_down_end
def _step_up(step_down_deg: float, gap_s: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Up onto the box (60° and back), a pause, then the step down (a smaller turn and back)."""
    rise = np.concatenate((_smooth(0.0, 60.0, 1.0), _smooth(60.0, 0.0, 1.0)))
    stop = rise.size - 1
    down = np.concatenate((_smooth(0.0, step_down_deg, 0.6), _smooth(step_down_deg, 0.0, 0.6), np.zeros(25)))
    theta = np.concatenate((rise, np.zeros(int(gap_s * RATE_HZ)), down))
    return theta, _rate(theta), stop


def test_a_step_up_ends_after_its_step_down() -> None:
    theta, rate, stop = _step_up(step_down_deg=20.0, gap_s=0.4)
    wait_n = int(round(S.step_down_within_s * RATE_HZ))
    end = step_down_end(stop, theta, rate, 60.0, wait_n, S)
    down_back = stop + int(0.4 * RATE_HZ) + int(1.2 * RATE_HZ)
    assert down_back - 5 <= end <= down_back + 3


def test_a_movement_as_large_as_the_step_up_is_the_next_rep() -> None:
    theta, rate, stop = _step_up(step_down_deg=65.0, gap_s=0.4)
    wait_n = int(round(S.step_down_within_s * RATE_HZ))
    assert step_down_end(stop, theta, rate, 60.0, wait_n, S) == stop


def test_no_step_down_within_the_wait_ends_the_rep_where_it_was_or_waits() -> None:
    theta, rate, stop = _step_up(step_down_deg=20.0, gap_s=3.0)
    wait_n = int(round(S.step_down_within_s * RATE_HZ))
    assert step_down_end(stop, theta, rate, 60.0, wait_n, S) == stop
    # fewer samples than the wait so far: not decided yet
    assert step_down_end(stop, theta[: stop + 5], rate[: stop + 5], 60.0, wait_n, S) == -1


# ---------------------------------------------------------------- set_recount
def _r(
    start_s: float, peak_s: float, end_s: float, range_deg: float, calibrated: bool = True,
    drift: float | None = None, warnings: tuple[RepWarning, ...] = (),
) -> Rep:
    return Rep(index=0, start_s=start_s, peak_s=peak_s, end_s=end_s, range_deg=range_deg, down_s=peak_s - start_s,
               up_s=end_s - peak_s, knee_drift_deg=drift, calibrated=calibrated, warnings=warnings)


def test_reps_within_one_period_merge_into_the_largest() -> None:
    warning = RepWarning(kind="knee_drift", t_s=1.0, value_deg=9.0, threshold_deg=6.0, message="m")
    parts = [_r(0.0, 1.0, 2.0, 20.0, drift=9.0, warnings=(warning,)), _r(2.0, 3.0, 4.5, 50.0, drift=4.0)]
    rep = merged_rep(parts)
    assert (rep.start_s, rep.peak_s, rep.end_s, rep.range_deg) == (0.0, 3.0, 4.5, 50.0)
    assert (rep.down_s, rep.up_s) == (3.0, 1.5)
    assert rep.warnings == (warning,)
    assert rep.knee_drift_deg == 9.0  # the largest drift, though not the largest rep's


def test_a_recounted_rep_meets_the_finders_neighbours() -> None:
    finder = _r(0.0, 1.0, 3.0, 40.0)
    pattern = _r(2.0, 4.0, 5.5, 35.0, calibrated=False)
    after = _r(5.0, 6.0, 7.0, 40.0)
    out = joined_edges([finder, pattern, after])
    assert out[1].start_s == 3.0 and out[1].down_s == 1.0  # starts where the finder's rep ended
    assert out[1].end_s == 5.0 and out[1].up_s == 1.0  # ends where the next finder's rep starts
    assert out[0] == finder and out[2] == after
    # two of the finder's own reps overlapping meet where the second starts (was: left
    # overlapping); a counted rep keeps its start, by which the live view knows it
    out = joined_edges([finder, _r(2.5, 3.5, 4.0, 40.0)])
    assert out[1].start_s == out[0].end_s == 2.5 and out[0].up_s == 1.5


def test_a_finders_end_past_the_next_extreme_stops_where_the_next_rise_begins() -> None:
    """Joined squats (hard tuning seeds 4 and 10, lunges seed 6): the finder's estimated end ran
    0.04-0.08 s past the extreme of the pattern's rep after it; that rep then started at its own
    extreme and the two overlapped. They meet where the pattern's rise begins."""
    finder = _r(10.0, 11.8, 13.08, 40.0)
    pattern = _r(12.4, 13.04, 14.1, 35.0, calibrated=False)
    out = joined_edges([finder, pattern])
    assert out[0].end_s == out[1].start_s == 12.4
    assert out[0].up_s == pytest.approx(0.6) and out[1].down_s == pytest.approx(0.64)
    # neither edge between the extremes: the middle of the overlap, moved to the nearer extreme
    out = joined_edges([_r(0.0, 1.0, 3.0, 40.0), _r(0.5, 2.0, 3.0, 30.0, calibrated=False)])
    assert out[0].end_s == out[1].start_s == 1.75
    # extremes in the wrong order: one excursion, one rep (the larger's extreme)
    out = joined_edges([_r(0.0, 2.0, 3.0, 40.0), _r(1.0, 1.5, 2.5, 30.0, calibrated=False)])
    assert len(out) == 1 and (out[0].start_s, out[0].peak_s, out[0].end_s) == (0.0, 2.0, 3.0)


# ---------------------------------------------------------------- EngineSetup
@pytest.mark.parametrize(
    ("exercise", "placement", "gyro", "tilt", "swing_only", "from_angle", "lowers"),
    [
        ("squat", "thigh", True, False, False, False, True),
        ("squat", "thigh", False, False, False, True, True),
        ("band_walk", "thigh", True, True, False, True, False),
        ("band_walk", "shank", True, False, True, False, False),
        ("squat", "shank", True, False, False, False, False),
    ],
)
def test_the_setup_follows_the_segment_and_the_sensor(
    exercise: Exercise, placement: Placement, gyro: bool, tilt: bool, swing_only: bool, from_angle: bool, lowers: bool
) -> None:
    ctx = AnalysisContext(exercise=exercise, placement=placement, side="left", rate_hz=100.0, has_gyro=gyro)
    k = EngineSetup.of(ctx, S, RATE_HZ, lowpass_delay_s=0.1)
    assert (k.tilt, k.swing_only, k.rate_from_angle, k.lowers_body) == (tilt, swing_only, from_angle, lowers)
    assert k.stance == (exercise == "band_walk")
    # the angle is low-passed (delayed) only without a gyro; the rate from the angle adds half its window
    assert k.delay_s == (0.0 if gyro else 0.1)
    assert k.boundary_delay_s == pytest.approx(0.1 + (0.5 * k.diff_n / RATE_HZ if from_angle else 0.0))
    assert k.thr_deg == max(S.start_share_of_min_range * k.min_range_deg, S.min_start_deg)
    assert k.stretch_n * 1.0 / RATE_HZ > S.max_rep_duration_s  # a pass never cuts a rep
    assert k.return_share == (S.stance_return_share_of_peak if k.stance else S.return_share_of_peak)

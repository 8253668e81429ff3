"""Band walks: the held quarter squat (the stance) every side step starts from and comes back to.

Pure functions over arrays; the streaming engine keeps the state (engine_state.py: where the
stance was taken, what standing looks like) and its stages (rep_tracker.py, calibration_stage.py)
pass the samples in. Tested on their own in tests/test_analysis_stance.py.

A band walk is stepped from a stance, not from standing: rest is the stance, a step counts only from
it, walking strides swing the thigh through the stance posture but never hold still there, and
standing up after a set means the next set's stance must be found again (it may be a few degrees
deeper or shallower).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from sensortrack.analysis.calibration import dwell_posture, still_cut_dps
from sensortrack.analysis.orientation import STANDARD_GRAVITY_MS2, rotate_to_earth
from sensortrack.analysis.rep_finder import run_lengths
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.model import FloatArray

Step = Literal["lead", "trail"]


def is_standing(up_s: FloatArray, standing_up_s: FloatArray | None, stance_up_s: FloatArray) -> bool | np.ndarray:
    """Gravity 'up' (one row or many) nearer standing than the stance; always True before standing
    has been seen (`standing_up_s` None)."""
    if standing_up_s is None:
        return True
    return up_s @ standing_up_s > up_s @ stance_up_s


def stance_taken(quiet: np.ndarray, hold_n: int) -> tuple[int, int]:
    """(index where the segment has been quiet at the stance for `hold_n` samples, or -1; index to
    look again from: where a hold still under way began, or the end).

    `quiet`: per sample, still and within the minimum range of the stance. Walking strides pass
    through the stance without stopping there, so only a hold makes the following movements steps.
    """
    run = run_lengths(quiet, 0)
    hits = np.flatnonzero(run >= hold_n)
    if hits.size:
        return int(hits[0]), 0
    return -1, (quiet.size - int(run[-1]) if quiet.size else 0)


def stance_shifted(theta_deg: float, in_set: bool, min_range_deg: float, settings: AnalysisSettings) -> bool:
    """Held still mid-set a little off the stance: the stance has shifted (follow it)."""
    return in_set and abs(theta_deg) <= settings.stance_shift_min_range_share * min_range_deg


def stance_posture(
    speed_dps: FloatArray,
    up_s: FloatArray,
    turn_dps: FloatArray,
    standing_up_s: FloatArray,
    last_stance_up_s: FloatArray,
    min_range_deg: float,
    hold_n: int,
    rate_hz: float,
    settings: AnalysisSettings,
) -> FloatArray | None:
    """The stance the movements over the stretch keep coming back to, or None (not found yet, or it
    is standing).

    It must be held (`hold_n` samples still, at least `stance_holds` times) between steps, not only
    passed through slowly (the ends of strides, fidgets): `dwell_posture` counts any still moment
    as a visit, so holds are counted first (cheap; a long sit is one hold, and dwell_posture's cost
    is quadratic). The same exercise again is a quarter squat nearer the last set's stance than
    standing (shifting weight between sets comes back to postures near standing too).
    """
    still = speed_dps < settings.still_dps
    if np.count_nonzero(run_lengths(still, 0) == hold_n) < settings.stance_holds:
        return None
    cut = still_cut_dps(np.linalg.norm(turn_dps, axis=1), rate_hz, settings)
    stance = dwell_posture(up_s, turn_dps, settings, cut)
    if stance is None:
        return None
    if float(stance @ standing_up_s) >= float(stance @ last_stance_up_s):
        return None
    quiet = still & (up_s @ stance >= np.cos(np.radians(min_range_deg)))
    holds = np.count_nonzero(run_lengths(quiet, 0) == hold_n)
    return stance if holds >= settings.stance_holds else None


def step_side(quat: FloatArray, acc_g: FloatArray, lateral_e: FloatArray) -> Step:
    """Lead or trail from the first part of a step: does the segment accelerate sideways outward
    (`lateral_e`, earth frame, away from the midline) or inward?

    The lead leg swings out; the trail leg's hip moves away first while its foot stays, which pulls
    the thigh (and the sensor on it) toward the midline.
    """
    acc_e = rotate_to_earth(quat, acc_g) * STANDARD_GRAVITY_MS2
    return "lead" if float(np.sum(acc_e @ lateral_e)) > 0 else "trail"


def outward_of_knee(knee_end_e: FloatArray) -> FloatArray | None:
    """A thigh's outward direction from its knee end at the step's peak (earth frame): the knee end
    has swung out, away from the midline. None when the segment is vertical (no horizontal part)."""
    horizontal = float(np.hypot(knee_end_e[0], knee_end_e[1]))
    if horizontal < 1e-6:
        return None
    return np.array([knee_end_e[0] / horizontal, knee_end_e[1] / horizontal, 0.0])


def whole_step_span(
    start_s: float, end_s: float, step: Step, loaded_per_swing_share: float, last_end_s: float | None
) -> tuple[float, float]:
    """A band-walk shank's step widened from its swing to the whole step (start_s, end_s).

    The shank moves only while its own foot is off the floor. A lead step goes on after the swing
    while the pelvis follows over the planted foot; a trail step began before it, while the pelvis
    moved away. The shank is still during that loaded part, so its length is estimated from the
    swing; a trail step never reaches back into the step before it (`last_end_s`).
    """
    loaded_s = loaded_per_swing_share * (end_s - start_s)
    if step == "lead":
        return start_s, end_s + loaded_s
    widened = start_s - loaded_s
    if last_end_s is not None:
        widened = min(start_s, max(widened, last_end_s))
    return widened, end_s

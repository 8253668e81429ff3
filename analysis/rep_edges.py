"""Pure functions over one stretch's arrays: where a rep starts, what it held on the way, where it
leaves the movement plane, when a step-up's step down ends.

The rep tracker (rep_tracker.py) calls these on the segment angle θ (degrees from rest), its rate
(°/s) and the sorted array indices `onsets` (rate at most `onset_dps`) and `settled` (held still a
full `still_s` there); every index here is an array index into the stretch. They keep no state, so
they are tested on their own (tests/test_analysis_rep_edges.py).
"""

from __future__ import annotations

import numpy as np

from sensortrack.analysis.rep_finder import REP_END_FIRST_LOOK, rep_end, run_lengths
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.model import FloatArray


def first_rise(theta: FloatArray, pos: int, thr_deg: float, floor_deg: float, tilt_floor_deg: float | None) -> int:
    """The first index from `pos` where the angle is `thr_deg` above its floor, or theta.size.

    The floor is where the last rep came back to (`floor_deg`), or lower (not below rest) where
    the segment went on down after that rep's end was found: a slow, uneven descent can read as a
    stop. A band walk's tilt (`tilt_floor_deg` given: the lowest tilt since the last rep, settle
    or stance hold) is measured from the lowest tilt since then. The next rep usually rises within
    seconds: the first `REP_END_FIRST_LOOK` samples are looked at first, then the rest; the floor is
    a running minimum, so a prefix's values are the whole's (the same first rise either way).
    """
    for look_to in (pos + REP_END_FIRST_LOOK, theta.size):
        ahead = theta[pos:look_to]
        # One scratch array for the floor and the rise above it (no temporaries: this runs once per
        # rep candidate); only the comparison is kept, so how ±0 came out does not matter.
        floor = np.minimum.accumulate(ahead)
        if tilt_floor_deg is not None:
            np.minimum(floor, tilt_floor_deg, out=floor)
        else:
            np.minimum(np.maximum(floor, 0.0, out=floor), floor_deg, out=floor)
        above = np.subtract(ahead, floor, out=floor) > thr_deg
        # argmax stops at the first True; array methods skip the np.* wrappers' overhead
        first_above = int(above.argmax()) if above.size else 0
        if above.size and above[first_above]:
            return pos + first_above
        if look_to >= theta.size:
            break
    return theta.size


def rep_start(onsets: np.ndarray, up: int, lower: int, theta: FloatArray) -> int:
    """The last moment before the up-crossing `up` the segment moved slower than `onset_dps`, no
    earlier than `lower`; without one, the lowest angle in [lower, up]."""
    i = int(onsets.searchsorted(up)) - 1
    if i >= 0 and onsets[i] >= lower:
        return int(onsets[i])
    return lower + int(np.argmin(theta[lower : up + 1]))


def held_unrisen(settled: np.ndarray, start: int, up: int, last: int, theta: FloatArray, thr_deg: float) -> int:
    """The first settled index in [up, last] if by then the segment had not yet risen `thr_deg`
    above `start` (where the rise began, before any `held_start`: that one needs the rep's end,
    which a stream may not have yet), or -1. A rep rises before it is held (a bridge at the top);
    one held still right where it started was a small posture shift ending above the old rest (a
    foot slid while lying), and the next rep starts there."""
    i = int(settled.searchsorted(up))
    if i >= settled.size or settled[i] > last:
        return -1
    held = int(settled[i])
    return held if float(theta[start : held + 1].max() - theta[start]) < thr_deg else -1


def held_start(
    start: int, up: int, peak: int, theta: FloatArray, rate: FloatArray, onsets: np.ndarray, *,
    held_n: int, onset_dps: float, lift_deg: float, min_range_deg: float,
) -> int:
    """The end of the last posture held on the way up, if a full rep's range still followed it.

    Stepping into a lunge's split stance (or sinking into a stance) and pausing there before
    the first rep rises past the start threshold too; the rep itself starts where the segment
    last held still (slower than `onset_dps`) for `held_n` samples, at least `lift_deg` above the
    start, provided `min_range_deg` was swept from there to the peak. Runs are counted from the
    rep's start, so the answer does not depend on the stretch.
    """
    # two scalar searches: a tuple would first be made into an array
    if int(onsets.searchsorted(peak)) - int(onsets.searchsorted(up)) < held_n:  # the usual rep: never slow for long on the way up
        return start
    rise = theta[start + 1 : peak]
    slow = np.abs(rate[start + 1 : peak]) <= onset_dps
    candidate = slow & (rise - theta[start] >= lift_deg) & (theta[peak] - rise >= min_range_deg)
    if not candidate.any():
        return start
    hits = np.flatnonzero(candidate & (run_lengths(slow, 0) >= held_n))
    return start + 1 + int(hits[-1]) if hits.size else start


def plane_excursion(
    off_plane: FloatArray, theta: FloatArray, speed: FloatArray, first: int, last: int, *,
    off_plane_cos: float, off_plane_n: int, still_dps: float, rest_deg: float,
) -> tuple[int, int]:
    """(the first index in [first, last] where gravity has been out of the movement plane
    (|u · f| = `off_plane` above `off_plane_cos`) for `off_plane_n` samples, or -1; the first index
    after it back at rest, or -1 if not back yet). "Back at rest": in the plane, slower than
    `still_dps` (`speed`, from the same index as `off_plane`) and within `rest_deg` of rest, where
    a settle would re-anchor (a re-strapped sensor can pass through the old plane far from it:
    that is left to the settle)."""
    tilt = off_plane[first : last + 1]
    if not tilt.size or tilt.max() <= off_plane_cos:  # nearly every rep stays in its plane
        return -1, -1
    held = run_lengths(tilt > off_plane_cos, 0) >= off_plane_n
    left = int(held.argmax())
    if not held[left]:
        return -1, -1
    left += first
    # Back once in the plane and nearly still: the tail of the roll is not the next rep's start.
    inside = off_plane[left:] <= off_plane_cos
    inside &= speed[left : off_plane.size] < still_dps
    inside &= np.abs(theta[left:]) <= rest_deg
    back = int(inside.argmax())
    return (left, left + back) if inside[back] else (left, -1)


def step_down_end(
    stop: int, theta: FloatArray, rate: FloatArray, range_deg: float, wait_n: int, s: AnalysisSettings
) -> int:
    """Step-ups: the rep ends once the same leg has stepped back down off the box, or -1 to wait.

    The rise over the box brings the segment back near its standing angle (at `stop`); the step
    down that completes the rep ("up, up, down, down") is a smaller movement (turning at
    `still_dps` or faster) that starts within `wait_n` samples (`step_down_within_s`: the other
    leg joins in between). A movement as large as the step up itself (`range_deg`) is the next
    rep, not a step down.
    """
    after = np.abs(rate[stop + 1 : stop + 1 + wait_n]) >= s.still_dps  # moving: not still
    if not after.any():
        return stop if after.size >= wait_n else -1
    go = stop + 1 + int(after.argmax())
    excursion = theta[go:] - theta[stop]
    sign = 1.0 if float(rate[go]) > 0 else -1.0  # which way the step down turns the segment
    back = rep_end(
        sign * excursion, sign * rate[go:], 0.0, s.min_start_deg, s.return_share_of_peak,
        stop_share=s.stop_share_of_return_speed, onset_dps=s.onset_dps,
    )
    if back < 0:
        return -1
    if float(np.abs(excursion[: back + 1]).max()) >= range_deg:
        return stop
    return go + back

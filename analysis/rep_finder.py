"""Pure functions over arrays that find where a rep ends and how long things are held.

The pipeline calls these on the segment angle θ (degrees from rest about the flexion axis) and its
rate (°/s), a stretch at a time; they keep no state, so they are tested on their own.
"""

from __future__ import annotations

import numpy as np

from sensortrack.core.model import FloatArray

# Most reps end within a few seconds of rising: the first pass searches this many samples (5 s at
# the 25 Hz analysis rate), then the rest of the stretch. A cost bound, not a threshold: the answer
# is the same, as every test below runs forward from the rise.
REP_END_FIRST_LOOK = 128


def rep_end(
    theta: FloatArray,
    rate: FloatArray,
    theta_start: float,
    thr_deg: float,
    return_share: float,
    *,
    stop_share: float,
    onset_dps: float,
    floor_deg: float = -np.inf,
) -> int:
    """Index (from the rep's rise) where the movement stops on its way back, or -1 if not yet.

    "On its way back": past `return_share` of the way home from the rep's highest point, or back at
    `floor_deg` (where the last rep came back to). "Stops": slower than `stop_share` of the fastest
    return speed and than `onset_dps`, or turning back up.
    """
    for n in (REP_END_FIRST_LOOK, theta.size):
        ahead, rate_ahead = theta[:n], rate[:n]
        rise = ahead - theta_start
        # The running peak of the rise is the rise of the running peak, bit for bit: subtracting
        # one number keeps the order of any two (rounding is monotone), so one subtraction does.
        peak = np.maximum.accumulate(rise)
        risen = peak > thr_deg
        back = rise < np.multiply(peak, return_share, out=peak)  # (peak is not needed after this)
        if floor_deg > -np.inf:
            # Back at rest counts as returned even when the rep seemed to start lower (the tail of
            # a stride or a fidget below rest).
            back |= ahead < floor_deg + thr_deg
        returning = np.logical_and(back, risen, out=back)
        limit = np.minimum.accumulate(np.where(returning, rate_ahead, 0.0))
        # rate >= -max(onset_dps, stop_share·|fastest_back|), one array operation fewer; in place
        # (no temporaries: this runs once or twice per rep candidate)
        np.multiply(np.abs(limit, out=limit), -stop_share, out=limit)
        stopped = rate_ahead >= np.minimum(limit, -onset_dps, out=limit)
        stopped &= returning
        hit = int(stopped.argmax()) if stopped.size else 0
        if stopped.size and stopped[hit]:
            return hit
        if n >= theta.size:
            return -1
    return -1


def run_lengths(flags: np.ndarray, carry: int) -> np.ndarray:
    """Length of the run of True ending at each position, continuing a run of `carry` before."""
    idx = _indices(flags.size)
    last_false = np.maximum.accumulate(np.where(flags, -1, idx))
    run = idx - last_false
    if carry:
        run[last_false < 0] += carry
    return run


_INDICES = np.arange(4096)
_INDICES.flags.writeable = False


def _indices(n: int) -> np.ndarray:
    """np.arange(n), sliced from one kept array (run_lengths is called once per rep and stretch)."""
    global _INDICES
    if n > _INDICES.size:
        _INDICES = np.arange(max(n, 2 * _INDICES.size))
        _INDICES.flags.writeable = False
    return _INDICES[:n]

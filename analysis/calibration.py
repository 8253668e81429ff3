"""Mount-agnostic segment calibration from the movement itself.

The strap can sit at any angle, even upside down, and recordings often start mid-movement, so
nothing here waits for a still period:
- the flexion axis f is the dominant rotation axis of the recent movement (principal eigenvector of
  the angular-velocity scatter; with no gyro, of u × du/dt, the rotation gravity's direction shows);
- the rest posture is the end of the swept arc where the segment dwells (people pause at the top
  of squats and stand between sets), or for bridges the end the set started from (bridges are held
  at the TOP, so dwell would point the wrong way);
- f is then signed so that leaving rest is a positive rotation.
"Still" (dwelling at an end, a held posture) and "moving" (turning worth fitting an axis to) are
one cut-off: `still_dps` on the true rate plus the measured noise of the rate estimate in use.
Sagasser et al. (Sensors 2024) show why: abd/add error fell from 20.4° to 0.9° RMSE after aligning
the sensor to the segment frame, so the frame must come from the data, not the strap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sensortrack.analysis.orientation import cross_rows
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.model import FloatArray

@dataclass(frozen=True, slots=True)
class Calibration:
    flexion_axis_s: FloatArray  # unit, sensor frame, leaving rest = positive rotation
    rest_up_s: FloatArray  # gravity 'up' in the sensor frame at the rest posture
    swept_deg: float  # arc covered while calibrating


def rate_noise_dps(speed_dps: FloatArray, window_n: int, still_dps: float) -> float:
    """The noise of the angular-rate estimate in use, measured on the stretch itself: the lowest
    mean rate over `window_n` samples (its stillest moment: a segment held still, or turning back
    at the end of its arc, reads little but the estimate's noise).

    A gyroscope reads ~1 °/s there; gravity's direction from an accelerometer alone, differentiated,
    jitters by a few °/s on the simulator and more on a coarse real sensor (MEx). A stretch that is
    never that slow (jogging: its turning points are brief) shows no still moment to measure it on:
    0, and the still test is `still_dps` alone.
    """
    n = int(speed_dps.size)
    if window_n < 1 or n < window_n:
        return 0.0
    csum = np.concatenate(([0.0], np.cumsum(speed_dps)))
    stillest = float(np.min(csum[window_n:] - csum[:-window_n])) / window_n
    return stillest if stillest < still_dps else 0.0


def still_cut_dps(speed_dps: FloatArray, rate_hz: float, tuning: AnalysisSettings) -> float:
    """One "still" cut-off for any rate estimate: the body turning slower than `still_dps`, plus
    the measured noise of the estimate in use over its stillest `held_s` (`rate_noise_dps`)."""
    window_n = max(2, int(round(tuning.held_s * rate_hz)))
    return tuning.still_dps + rate_noise_dps(speed_dps, window_n, tuning.still_dps)


def flexion_axis(
    u: FloatArray, turn_dps: FloatArray, tuning: AnalysisSettings, still_cut: float | None = None
) -> FloatArray | None:
    """The axis gravity's direction turns about in the sensor frame (unsigned), or None.

    First from the turning rate u × du/dt (blind to turns about the vertical, so the knee drift we
    measure cannot tilt the axis): its dominant direction, when one direction clearly dominates
    and gravity's positions agree (`moves_about`). Slow, small movements seen by an accelerometer
    alone (a 12° bridge) drown that rate in noise; then the positions decide: every exercise here
    turns the segment about a roughly horizontal axis, so gravity moves on a great circle whose
    plane's normal is the axis, the least eigenvector of Σ u uᵀ.
    """
    speed = np.linalg.norm(turn_dps, axis=1)
    cut = tuning.still_dps if still_cut is None else still_cut
    moving = turn_dps[speed >= cut]
    if moving.shape[0] >= 10:
        eigval, eigvec = np.linalg.eigh(moving.T @ moving)  # ascending
        if eigval[2] >= tuning.axis_dominance_share * max(eigval[1], 1e-9) and moves_about(u, eigvec[:, 2], tuning):
            return np.asarray(eigvec[:, 2])
    eigval, eigvec = np.linalg.eigh(u.T @ u)
    if eigval[1] < tuning.arc_planarity_share * max(eigval[0], 1e-12):
        return None
    return np.asarray(eigvec[:, 0])


def moves_about(u: FloatArray, axis: FloatArray, tuning: AnalysisSettings) -> bool:
    """Whether gravity's positions over the stretch (`u`) moved about `axis`: turning about an axis
    leaves gravity's component along it unchanged, so at least `axis_plane_share_of_spread` of
    gravity's spread (variance about its mean) must lie across the axis, not nearly all along it
    (some may: a band walk's stretch holds its sink into the stance, about another axis). The rate
    u × du/dt of a slow, small movement seen by a coarse accelerometer (a 14° bridge, MEx: 1/64 g
    steps) is mostly noise, whose dominant direction can lie anywhere, even along the arc itself."""
    centred = u - u.mean(axis=0)
    total = float(np.einsum("ij,ij->", centred, centred))
    along = centred @ axis
    return total <= 0.0 or total - float(along @ along) >= tuning.axis_plane_share_of_spread * total


def angle_basis(axis: FloatArray, ref: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Two unit vectors spanning the plane normal to `axis`, the first along `ref`'s projection."""
    ref_perp = ref - float(ref @ axis) * axis
    ref_perp = ref_perp / max(float(ref_perp @ ref_perp) ** 0.5, 1e-12)
    return ref_perp, cross_rows(axis, ref_perp)


def angle_in_basis(u: FloatArray, basis: tuple[FloatArray, FloatArray]) -> FloatArray:
    """Signed body rotation (deg) about the basis' axis that takes gravity from the reference to u.

    Gravity seen from the sensor turns the opposite way to the body, hence the minus sign.
    """
    ref_perp, ortho = basis
    return -np.degrees(np.arctan2(u @ ortho, u @ ref_perp))


def angle_about(u: FloatArray, axis: FloatArray, ref: FloatArray) -> FloatArray:
    """angle_in_basis for a one-off axis and reference."""
    return angle_in_basis(u, angle_basis(axis, ref))


def dwell_posture(
    u: FloatArray, turn_dps: FloatArray, tuning: AnalysisSettings, still_cut: float | None = None
) -> FloatArray | None:
    """Gravity 'up' at the posture the segment comes back to most often, or None if never still.

    For movements made from a held stance (a band walk's quarter squat) rather than from standing:
    every step starts and ends at the stance, so it is a posture of many separate still moments
    (visits), however long the person stood before the set (one long visit).
    """
    is_still = np.linalg.norm(turn_dps, axis=1) < (tuning.still_dps if still_cut is None else still_cut)
    still = u[is_still]
    if still.shape[0] < 3:
        return None
    visit = (np.cumsum(np.diff(is_still.astype(np.int8), prepend=0) == 1) - 1)[is_still]
    near = (still @ still.T) >= np.cos(np.radians(tuning.same_posture_deg))  # pairs of still postures within a few degrees
    visits = np.count_nonzero((near.astype(np.int32) @ np.eye(int(visit[-1]) + 1, dtype=np.int32)[visit]) > 0, axis=1)
    if int(visits.max()) < tuning.stance_holds:
        return None
    # Step peaks are visited about as often as the stance, but only briefly: of the postures come
    # back to often, the stance is the one held longest.
    often = visits >= max(tuning.stance_holds, 0.5 * float(visits.max()))
    centre = int(np.argmax(np.where(often, np.count_nonzero(near, axis=1), -1)))
    rest = still[near[centre]].mean(axis=0)
    return np.asarray(rest / np.linalg.norm(rest))


def same_axis(a_s: FloatArray, b_s: FloatArray, tuning: AnalysisSettings) -> bool:
    """Two flexion axes are the same one (either sign): within `same_axis_deg`."""
    return abs(float(a_s @ b_s)) >= float(np.cos(np.radians(tuning.same_axis_deg)))


def stays_in_plane(u: FloatArray, axis: FloatArray, tuning: AnalysisSettings) -> bool:
    """Gravity (all but its 2 % farthest samples, as the arc's ends) within `off_plane_deg` of the
    plane `axis` turns it in."""
    return float(np.percentile(np.abs(u @ axis), 98.0)) <= float(np.sin(np.radians(tuning.off_plane_deg)))


def strap_unmoved(u: FloatArray, known_axis_s: FloatArray, axis_s: FloatArray, tuning: AnalysisSettings) -> bool:
    """The strap did not move since a confirmed calibration about `known_axis_s`: the axis fitted
    afresh is the same one, or gravity over the stretch `u` still turns in the known axis's plane
    (a first fit on a few quick reps differs a little)."""
    return same_axis(known_axis_s, axis_s, tuning) or stays_in_plane(u, known_axis_s, tuning)


def swings(phi_deg: FloatArray, least_deg: float) -> int:
    """How many one-way movements of at least `least_deg` the angle makes (a zigzag count: a
    movement ends where the angle has come back `least_deg` from its extreme). Standing up from a
    seat is one, a rep down and back two."""
    count, state = 0, 0
    lo = hi = float(phi_deg[0]) if phi_deg.size else 0.0
    for x in phi_deg.tolist():
        if state >= 0 and x > hi:
            hi = x
        if state <= 0 and x < lo:
            lo = x
        if state >= 0 and hi - x >= least_deg:
            state, lo, count = -1, x, count + 1
        elif state <= 0 and x - lo >= least_deg:
            state, hi, count = 1, x, count + 1
    return count


def calibrate(
    u: FloatArray,
    rate_dps: FloatArray,
    sample_rate_hz: float,
    *,
    rest_is_start: bool,
    min_swept_deg: float,
    rest_hint_s: Calibration | None = None,
    rest_is_stance: bool = False,
    rest_confirmed: bool = False,
    tuning: AnalysisSettings | None = None,
) -> Calibration | None:
    """Find f, the rest posture and the sign of f from a stretch of movement.

    `u`: gravity direction per sample (sensor frame); `rate_dps`: angular rate per sample (gyro,
    or u × du/dt without one). `rest_is_start`: decide rest by where the stretch started (bridges)
    instead of by dwell. `min_swept_deg`: the least arc (one rep's worth) to trust an axis on.
    `rest_hint_s`: the previous calibration; when the new axis is the same one (the strap did not
    move: the person sat down, walked or fidgeted), rest stays at the end nearest the rest it knew,
    because dwell alone can point the wrong way (a step-up dwells with the foot on the box).
    `rest_confirmed`: the previous calibration has shown its rest (reps were counted under it). Then
    a stretch is calibrated on only once the movement has gone out to one rep's least range and back
    (`swings`: standing up after a seated rest is one movement, no rest to come back to), and
    where the stretch shows no axis of its own the previous axis is kept while gravity stays in its
    plane (`stays_in_plane`). An unconfirmed first calibration (a sit-to-stand recording starting
    seated can take standing as rest) is still corrected by calibrating again as before.
    `rest_is_stance`: rest is the posture held most often while still (`dwell_posture`).
    """
    tuning = tuning or AnalysisSettings()
    # One still cut-off for whichever rate this is (a gyro's, or gravity's differentiated).
    cut = still_cut_dps(np.linalg.norm(rate_dps, axis=1), sample_rate_hz, tuning)
    axis = flexion_axis(u, rate_dps, tuning, cut)
    confirmed = rest_confirmed and rest_hint_s is not None
    if axis is None and confirmed and rest_hint_s is not None and stays_in_plane(u, rest_hint_s.flexion_axis_s, tuning):
        # No axis of its own (quick reps seen by an accelerometer alone: their acceleration spreads
        # the turning gravity shows), but gravity never left the plane the known axis turns it in:
        # the strap did not move (the person sat down and stood up again), the axis is the same.
        axis = rest_hint_s.flexion_axis_s
    if axis is None:
        return None
    base = u.mean(axis=0)
    if np.linalg.norm(base - np.dot(base, axis) * axis) < 1e-3:
        return None
    phi = angle_about(u, axis, base)
    lo, hi = np.percentile(phi, [2.0, 98.0])
    swept = float(hi - lo)
    if swept < min_swept_deg:  # not one rep's worth of movement yet: wait for more
        return None
    near_lo = phi <= lo + tuning.arc_end_share_of_arc * swept
    near_hi = phi >= hi - tuning.arc_end_share_of_arc * swept
    if confirmed and swings(phi, min_swept_deg) < 2:
        # Calibrating again (the posture changed): not out to one end and back yet, a single
        # movement from one posture to another (standing up after a seated rest, sitting down)
        # shows no rest to come back to. Wait for more.
        return None
    still = np.abs(rate_dps @ axis) < cut
    dwell_lo = float(np.count_nonzero(near_lo & still))
    dwell_hi = float(np.count_nonzero(near_hi & still))
    started_lo, started_hi = bool(near_lo[0]), bool(near_hi[0])
    # The same joint as the previous calibration's; for a confirmed one, also while its plane still
    # holds gravity (the axis fitted afresh only differs a little): rest is where it was.
    same_joint = rest_hint_s is not None and (
        strap_unmoved(u, rest_hint_s.flexion_axis_s, axis, tuning) if confirmed
        else same_axis(rest_hint_s.flexion_axis_s, axis, tuning)
    )
    # Where the stretch started, as a share of the arc from its low end. A median over the first
    # moments, and "nearer", not "within `arc_end_share_of_arc`": a shank bridge sweeps only 5–10°, so a degree
    # of sway at rest can put one sample outside the end share.
    started_at = (float(np.median(phi[: max(1, int(tuning.start_posture_s * sample_rate_hz))])) - lo) / swept
    if same_joint:
        assert rest_hint_s is not None
        hint = float(angle_about(rest_hint_s.rest_up_s[None, :], axis, base)[0])
        rest_low = abs(hint - lo) <= abs(hint - hi)
    elif rest_is_start and abs(started_at - 0.5) >= tuning.mid_arc_share_of_arc:
        rest_low = started_at < 0.5
    elif rest_is_start:
        # Started mid-movement: a held bridge dwells at the top, so rest is the other end.
        rest_low = dwell_lo <= dwell_hi
    else:
        # Where it started counts as half a second of dwell: sets begin from rest.
        bonus = 0.5 * sample_rate_hz
        rest_low = dwell_lo + (bonus if started_lo else 0.0) >= dwell_hi + (bonus if started_hi else 0.0)
    at_rest = phi <= lo + 0.05 * swept if rest_low else phi >= hi - 0.05 * swept
    rest_up = u[at_rest].mean(axis=0)
    rest_up /= np.linalg.norm(rest_up)
    if rest_is_stance:
        stance = dwell_posture(u, rate_dps, tuning, cut)
        if stance is None:
            return None
        rest_up = stance
    # Sign f so that the far end is a positive rotation from rest.
    far = ~at_rest & (near_hi if rest_low else near_lo)
    if same_joint:
        assert rest_hint_s is not None
        if float(rest_hint_s.flexion_axis_s @ axis) < 0:  # the same joint: the same way is 'leaving rest'
            axis = -axis
    elif np.any(far) and float(np.mean(angle_about(u[far], axis, rest_up))) < 0:
        axis = -axis
    return Calibration(flexion_axis_s=axis, rest_up_s=rest_up, swept_deg=swept)

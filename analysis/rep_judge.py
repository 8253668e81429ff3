"""Judging a movement the rep tracker found: is it a rep (sets.SetTracker decides on its numbers),
how far did the knee drift toward the midline, and when does that warrant a warning.

Drift is measured only for movements that pass as reps, and a warning fires only once the movement
has swept the exercise's minimum range (a stride or a fidget between sets never warns).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sensortrack.analysis.drift import (
    calibration_basis,
    knee_medial_form,
    medial_angle_gyro,
    medial_angle_tilt,
    medial_axis_at,
    own_plane_drift_gyro,
    plane_drift_gyro,
    rotate_one,
    whole_rep_axis_cal,
)
from sensortrack.analysis.engine_state import EngineState, RepDrift
from sensortrack.analysis.rep_finder import run_lengths
from sensortrack.analysis.repetition import acc_magnitude_g, drop_explains_load, impact_rms_g
from sensortrack.analysis.results import DriftWarning, RepWarning
from sensortrack.analysis.set_recount import SetRecount
from sensortrack.analysis.sets import RepCandidate
from sensortrack.analysis.stance import Step, outward_of_knee, step_side, whole_step_span
from sensortrack.core.model import FloatArray


# Up to this many still samples in a movement, its longest hold is counted over their indices in
# plain Python (a rep holds still at its turn for a few samples); more (a held bridge), in arrays.
# A cost bound, not a threshold: the answer is the same either way.
_FEW_STILL = 64


def longest_run(flags: np.ndarray) -> int:
    """The longest run of True in `flags` (0 for none): `run_lengths(flags, 0).max()` without its
    four array passes per rep candidate when only a few flags are set."""
    hits = flags.nonzero()[0]  # (np.flatnonzero's wrapper costs more than the search)
    if hits.size > _FEW_STILL:
        return int(run_lengths(flags, 0).max())
    best = run = 0
    prev = -2
    for i in hits.tolist():
        run = run + 1 if i == prev + 1 else 1
        if run > best:
            best = run
        prev = i
    return best


class RepJudge:
    def __init__(self, state: EngineState, recount: SetRecount) -> None:
        self._st = state
        self._s = state.settings
        self._k = state.setup
        self._recount = recount
        self._warned_start = -1  # the rep last warned on (an open rep is looked at many times)
        # Counted reps' whole-way-down axes (calibration basis) by start time: a reference's plane.
        # None unless asked for (set to {} by personal_reference.build_reference_checked while a
        # reference is built), as they cost ~20 % of the analysis of a thigh session with a gyroscope.
        self.rep_axes_cal: dict[float, FloatArray] | None = None

    def judge_rep(
        self, start: int, theta: FloatArray, t: FloatArray, low_before: float = np.inf, peak: int = -1
    ) -> None:
        """Count the movement over samples [start, start + theta.size) as a rep unless it is not one.

        `low_before`: the lowest angle between the previous rep and this one's start; the range
        is measured from it when the start was detected a little late (noisy, slow onsets).
        `peak`: index of the highest angle in `theta` when the caller already knows it.
        Drift is measured only for movements that pass as reps: a finished movement that does not
        count (a stride, a fidget) raises no warning."""
        st, s, k = self._st, self._s, self._k
        if peak < 0:
            peak = int(theta.argmax())
        shift = k.boundary_delay_s
        st.last_end_idx = start + theta.size - 1
        range_deg = float(theta[peak] - min(float(theta[0]), low_before))
        if start == 0:
            # The recording began during this rep: its start was not recorded, so it is measured on
            # its way back too (a set filmed from its first rep's descent).
            range_deg = max(range_deg, float(theta[peak] - theta[-1]))
        from_stance_deg = max(k.min_range_deg, s.stance_start_share_of_range * range_deg)
        if k.stance and abs(float(theta[0])) > from_stance_deg:
            return  # did not start from the stance: walking or standing up between sets, not a step
        # Boundaries come from the rate, the extreme from the angle, each moved back by its own
        # filter delay: a rep cut at its extreme (a lunge's other leg) must still hold its extreme.
        peak_s = float(t[peak]) - k.delay_s
        candidate = RepCandidate(
            start_s=min(float(t[0]) - shift, peak_s),
            peak_s=peak_s,
            end_s=max(float(t[-1]) - shift, peak_s),
            range_deg=range_deg,
            knee_drift_deg=None,
            cut=start == 0,
        )
        hist = st.hist
        still = hist.get("speed", start, start + theta.size) < s.still_dps
        candidate.hold_s = float(longest_run(still)) / st.rate_hz  # judged at the set's end
        candidate.past_rest_deg = max(0.0, -float(theta.min()))  # angles are measured from rest
        acc = hist.get("acc", start, start + theta.size)  # the rep's own samples: chunking-proof
        candidate.quick_load = lambda gait_impact_g: self._quick_load(acc, theta, gait_impact_g)
        rejected = st.tracker.rejects(candidate)  # judged on the movement seen (a shank: its swing)
        candidate.quick_load = None  # it reads the history's rows, which move on
        if rejected:
            return
        drift = self.rep_drift(start, start + theta.size, theta)
        warning = self.maybe_warn(drift, start, t, theta)
        if drift is not None and self.rep_axes_cal is not None and self._sweeps_thigh_plane():
            # the rep's own plane, asked for and read by personal_reference.build_reference_checked
            assert st.cal is not None and st.knee_s is not None
            axis = whole_rep_axis_cal(hist.get("quat", start, start + theta.size), st.knee_s,
                                      np.maximum.accumulate(theta) - theta[0],
                                      calibration_basis(st.cal.flexion_axis_s, st.cal.rest_up_s),
                                      s.drift_axis_min_sweep_deg)
            if axis is not None:
                self.rep_axes_cal[candidate.start_s] = axis
        if drift is not None:
            candidate.knee_drift_deg = drift.max_deg
            candidate.drift_limit_deg = float(st.tracker.drift_threshold_deg(range_deg))
        candidate.warnings = (warning,) if warning is not None else ()
        if k.stance:
            candidate.step = self._band_walk_step(start, peak, drift)
        candidate = self._whole_step(candidate)
        if drift is not None:  # the drift trace shows counted reps only
            st.put_trace(start, start + theta.size, theta, drift.drift_deg)
        self._recount.before_finder_rep(start, start + theta.size, candidate.start_s, candidate.end_s)
        st.events += st.tracker.accept(candidate, now_s=float(t[-1]) - shift)

    def rep_drift(self, a: int, b: int, theta: FloatArray) -> RepDrift | None:
        """Drift toward the midline over samples [a, b) (angles `theta`) relative to the rep's start."""
        st, s, k = self._st, self._s, self._k
        if not st.geometry.drift_observable(k.gyro):
            return None
        assert st.cal is not None and st.knee_s is not None
        if k.gyro:
            quat = st.hist.get("quat", a, b)
            medial_e = medial_axis_at(st.geometry, st.ctx.side, quat[0], st.cal.flexion_axis_s)
            own = None
            plane = st.ctx.reference.plane_cal if st.ctx.reference is not None else None
            if plane is not None and self._sweeps_thigh_plane():  # the reference decides (settings)
                basis = calibration_basis(st.cal.flexion_axis_s, st.cal.rest_up_s)
                own = plane_drift_gyro(quat, st.knee_s, np.asarray(plane), basis, medial_e)
            elif s.drift_own_plane and st.geometry.plane == "sagittal":  # drift.own_plane_drift_gyro
                fit_deg = s.drift_axis_fit_share_of_min_range * k.min_range_deg
                own = own_plane_drift_gyro(quat, st.knee_s, medial_e, np.maximum.accumulate(theta) - theta[0],
                                           fit_deg, s.drift_axis_min_sweep_deg)
            angle = own if own is not None else medial_angle_gyro(quat, knee_medial_form(st.knee_s, medial_e))
        else:
            medial_e = None
            angle = medial_angle_tilt(
                st.hist.get("u", a, b), st.knee_s, st.cal.flexion_axis_s, st.geometry, st.ctx.side
            )
        angle -= angle[0]  # a fresh array: relative to the rep's start in place
        return RepDrift(drift_deg=angle, medial_e=medial_e, max_deg=float(angle.max()))

    def _sweeps_thigh_plane(self) -> bool:
        """A thigh with a gyroscope in a sagittal exercise: where a person's plane is measured."""
        return self._k.gyro and self._st.geometry.plane == "sagittal" and self._st.ctx.placement == "thigh"

    def maybe_warn(
        self, drift: RepDrift | None, start: int, t: FloatArray, theta: FloatArray, finished: bool = True
    ) -> RepWarning | None:
        """The first sample past the drift threshold once the movement is big enough to be a rep.

        A stride or a fidget between sets can tip the segment too; waiting until the movement has
        swept the exercise's minimum range keeps those from flashing a warning at the user. While
        the movement is still under way (`finished=False`) it warns only if it already looks like a
        rep: it continues a set in progress, or it has lasted longer than any walking stride. Else
        the warning waits for the movement to be counted (a stride between sets never warns).
        """
        if drift is None:
            return None
        st, k = self._st, self._k
        tracker = st.tracker
        if not finished and not self._looks_like_rep(float(t[0]), float(t[-1])):
            return None
        if st.ctx.reference is None:
            # One limit for every sample (it scales with depth only against a reference): most reps
            # never reach it, which their largest drift tells before any per-sample array is made
            # (a NaN maximum tells nothing: the full test below decides then).
            if drift.max_deg <= tracker.drift_threshold_deg():
                return None
        depth = np.maximum.accumulate(theta) - theta[0]
        threshold = tracker.drift_threshold_deg(depth)  # per sample: a reference scales with depth
        over = drift.drift_deg > threshold
        if not over.any():  # most reps: no need to look further
            return None
        crossing = over & (depth >= k.min_range_deg)
        i = int(crossing.argmax())  # the first crossing (argmax stops at the first True)
        if not crossing[i]:
            return None
        value = float(drift.drift_deg[i])
        threshold = float(threshold[i] if isinstance(threshold, np.ndarray) else threshold)
        warning = RepWarning(
            kind="knee_drift",
            t_s=float(t[i]) - k.delay_s,
            value_deg=value,
            threshold_deg=threshold,
            message=f"knee drifting inward: {value:.0f}° past the rep's own line (limit {threshold:.0f}°)",
        )
        if self._warned_start != start:  # once per rep, however often an open rep is looked at
            self._warned_start = start
            set_index, rep_index = tracker.position_for(float(t[0]) - k.boundary_delay_s)
            st.events.append(DriftWarning(set_index=set_index, rep_index=rep_index, warning=warning))
        return warning

    def _looks_like_rep(self, start_s: float, now_s: float) -> bool:
        """An unfinished movement that is a rep by what is known so far: it belongs to the set in
        progress, or it has lasted a rep's minimum duration (walking strides are quicker)."""
        tracker = self._st.tracker
        shift = self._k.boundary_delay_s
        in_set = tracker.open_rep_count > 0 and tracker.position_for(start_s - shift)[1] > 1
        return in_set or now_s - start_s >= self._s.min_duration_s(self._st.ctx.exercise)

    def _quick_load(self, acc: FloatArray, theta: FloatArray, gait_impact_g: float) -> tuple[float, bool]:
        """(impact_g, body_drop) of a rep's samples for `SetTracker.rejects`; the body-drop test
        only where the load is a stride's (below it, it decides nothing)."""
        s, rate_hz = self._s, self._st.rate_hz
        magnitude_g = acc_magnitude_g(acc)  # once for both tests
        impact = impact_rms_g(acc, rate_hz, s.gait_impact_window_s, magnitude_g)
        drop = impact > gait_impact_g and self._k.lowers_body and drop_explains_load(
            acc, theta, rate_hz, s, magnitude_g
        )
        return impact, drop

    def _whole_step(self, rep: RepCandidate) -> RepCandidate:
        """A band-walk shank's step widened from its swing to the whole step (`whole_step_span`);
        without lead/trail (no gyroscope) the swing is all that is reported."""
        if not self._k.swing_only or rep.step is None:
            return rep
        start_s, end_s = whole_step_span(
            rep.start_s, rep.end_s, rep.step, self._s.loaded_per_swing_share, self._st.tracker.last_end_s
        )
        return replace(rep, start_s=start_s, end_s=end_s)

    def _band_walk_step(self, start: int, peak: int, drift: RepDrift | None) -> Step | None:
        """Lead or trail (`stance.step_side`), judged on the first part of the step's excursion."""
        st = self._st
        if not self._k.gyro or drift is None or drift.medial_e is None:
            return None
        if self._k.tilt:
            # The thigh's tilt has no fitted plane to take medial from; the step itself shows it.
            assert st.cal is not None
            knee_end = rotate_one(st.hist.get("quat", start + peak, start + peak + 1)[0], -st.cal.rest_up_s)
            outward = outward_of_knee(knee_end)
            if outward is None:
                return None
            lateral_e = outward
        else:
            lateral_e = -drift.medial_e
        stop = start + max(2, int(self._s.lead_share_of_excursion * peak))
        return step_side(st.hist.get("quat", start, stop), st.hist.get("acc", start, stop), lateral_e)

    def drift_sees(self) -> str:
        """What the drift measure can see with this segment and sensor (the result's calibration)."""
        geometry, gyro = self._st.geometry, self._k.gyro
        if not geometry.drift_observable(gyro):
            if geometry.drift_defined:
                return "nothing: the knee turning in turns this segment about the vertical, which needs a gyroscope"
            return "nothing: this segment sweeps no plane the knee could drift out of"
        if gyro:
            return "out-of-plane rotation incl. about vertical"
        return "segment tilt out of its plane only (no gyroscope)"

"""What the streaming analyzer's stages share: fixed set-up, the samples kept, and where it stands.

`EngineSetup` is worked out once from the session context and the settings (sample counts at the
analysis rate, which kind of movement the segment makes); `EngineState` is the mutable part every
stage reads and moves on (history, cursor, mode, calibration, the set tracker, events, trace), with
the few small operations more than one stage needs. The stages themselves live in
calibration_stage.py (calibrating, finding a band walk's stance again), rep_tracker.py (the
calibrated rep state machine), rep_judge.py (is it a rep, its drift and warning) and set_recount.py
(reps from the movement's own repetition); pipeline.py feeds them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import cast

import numpy as np

from sensortrack.analysis.calibration import Calibration, angle_basis, angle_in_basis
from sensortrack.analysis.context import AnalysisContext
from sensortrack.analysis.geometry import GEOMETRY, ExerciseGeometry, knee_vector_s
from sensortrack.analysis.history import History
from sensortrack.analysis.results import Event, Withdrawals
from sensortrack.analysis.sets import SetTracker
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.analysis.stance import is_standing
from sensortrack.analysis.trace import TraceBuffer
from sensortrack.core.model import FloatArray

TRACE_RATE_HZ = 10.0


def unit_norm(v: FloatArray) -> float:
    """np.linalg.norm of one vector (the same sqrt of v·v), without its wrapper's overhead."""
    return math.sqrt(float(v.dot(v)))


class Mode(Enum):
    """What the analyzer is doing with the samples it is given."""

    UNCALIBRATED = "uncalibrated"  # looking for the movement plane and the rest posture
    CALIBRATED = "calibrated"  # finding and judging reps
    # Band walks between sets: the axis is kept, the stance is found again (calibration_stage.py).
    FINDING_STANCE = "finding stance"


@dataclass(frozen=True, slots=True, eq=False)
class RepDrift:
    """A rep's knee drift, measured from its start."""

    drift_deg: FloatArray  # per sample from the rep's start, toward the midline
    medial_e: FloatArray | None  # horizontal unit vector toward the midline (gyro only)
    max_deg: float  # drift_deg.max(), asked for twice per rep (warning, counted rep)


@dataclass(frozen=True, slots=True)
class EngineSetup:
    """Fixed for a session: the kind of movement and the settings in analysis-rate samples."""

    rate_hz: float
    gyro: bool
    # Band walks are stepped from a held quarter squat (the stance), not from standing: rest is
    # the stance, and a step counts only from it.
    stance: bool
    # A thigh steps out in two planes at once (abduction, plus flexion in the swing), so its
    # step is the tilt away from the stance in ANY direction, measured without a fitted axis:
    # getting into the stance and walking between sets (sagittal) turn the thigh more than the
    # small, quick side steps and would win the axis fit. The shank stays upright in the
    # frontal plane ("knees over the feet") and shows the step as the knee bending in the
    # swing, about one axis; there the out-of-plane tilt is knee drift, not part of the step.
    tilt: bool
    # The shank, upright and still while its foot carries the body, shows only its own swing.
    swing_only: bool
    rate_from_angle: bool  # the angular rate is the angle's difference (no gyro, or a tilt)
    # A thigh's rep lowers the body over a planted foot (squat, lunge, sit-to-stand): its quick
    # load may be that drop rather than foot strikes (repetition.drop_explains_load). A shank
    # swings as far with its foot in the air (walking: 75–90°), so it shows no such drop.
    lowers_body: bool
    min_range_deg: float
    thr_deg: float  # a rep has started once the angle rose this far
    off_plane_cos: float  # |u · f| above this: gravity out of the movement plane by `off_plane_deg`
    cal_min_s: float  # calibrate on at least this long (band walks: a few steps)
    # A side step ends back at the stance; its tilt can dip on the way (a trail step abducts as
    # the pelvis moves away, then the foot swings in), so half-way back is not the end yet.
    return_share: float
    delay_s: float  # the angle's filter delay: peaks are moved back by it
    boundary_delay_s: float  # starts and ends are found from the rate: moved back by its delay
    diff_n: int
    still_n: int
    held_n: int
    stance_hold_n: int
    look_back_n: int
    off_plane_n: int
    # Samples judged per vectorised pass once calibrated: longer than any rep, so a rep is never
    # cut by it, and short, because a still period cuts the pass and the rest is judged again.
    stretch_n: int
    unclaimed_n: int  # unclaimed samples searched for a repeated movement per pass
    recount_margin_n: int  # a closing set is recounted over a set break on each side
    recount_keep_n: int  # a set may open on a rep up to its longest before the cursor
    history_keep_n: int  # samples kept behind the cursor for a rep's onset look-back

    @staticmethod
    def of(ctx: AnalysisContext, s: AnalysisSettings, rate_hz: float, lowpass_delay_s: float) -> EngineSetup:
        geometry = GEOMETRY[(ctx.exercise, ctx.placement)]
        gyro = ctx.has_gyro
        stance = geometry.from_stance
        tilt = stance and ctx.placement == "thigh"
        rate_from_angle = tilt or not gyro
        diff_n = max(1, int(round(s.rate_diff_s * rate_hz)))
        min_range_deg = s.min_range_deg(ctx.exercise, ctx.placement)
        # Reported times are moved back by the filters' delay so reps line up with the movement.
        # The angle comes from VQF (no low-pass) with a gyro, from low-passed gravity without; rep
        # starts and ends are found from the low-passed angular rate in both cases.
        return EngineSetup(
            rate_hz=rate_hz,
            gyro=gyro,
            stance=stance,
            tilt=tilt,
            swing_only=stance and ctx.placement == "shank",
            rate_from_angle=rate_from_angle,
            lowers_body=ctx.placement == "thigh" and not stance,
            min_range_deg=min_range_deg,
            thr_deg=max(s.start_share_of_min_range * min_range_deg, s.min_start_deg),
            off_plane_cos=float(np.sin(np.radians(s.off_plane_deg))),
            cal_min_s=s.stance_calibration_s if stance else s.calibration_min_s,
            return_share=s.stance_return_share_of_peak if stance else s.return_share_of_peak,
            delay_s=0.0 if gyro else lowpass_delay_s,
            boundary_delay_s=lowpass_delay_s + (0.5 * diff_n / rate_hz if rate_from_angle else 0.0),
            diff_n=diff_n,
            still_n=int(round(s.still_s * rate_hz)),
            held_n=max(2, int(round(s.held_s * rate_hz))),
            stance_hold_n=max(2, int(round(s.stance_hold_s * rate_hz))),
            look_back_n=int(s.rep_onset_look_back_s * rate_hz),
            off_plane_n=max(2, int(round(s.off_plane_s * rate_hz))),
            stretch_n=int(1.5 * s.max_rep_duration_s * rate_hz) + 1,
            unclaimed_n=int(s.repetition_search_s * rate_hz),
            recount_margin_n=int(s.set_break_s * rate_hz),
            recount_keep_n=int((s.set_break_s + s.max_rep_duration_s) * rate_hz) + 1,
            # a second more than the onset look-back: a rep's start is searched that far back
            history_keep_n=int((s.rep_onset_look_back_s + 1.0) * rate_hz),
        )


class EngineState:
    """The samples kept and where the analysis stands; every stage reads and moves it on."""

    def __init__(
        self, ctx: AnalysisContext, settings: AnalysisSettings, setup: EngineSetup, *, keep_trace: bool
    ) -> None:
        self.ctx = ctx
        self.settings = settings
        self.setup = setup
        self.geometry: ExerciseGeometry = GEOMETRY[(ctx.exercise, ctx.placement)]
        self.rate_hz = setup.rate_hz
        self.hist = History(with_quat=setup.gyro)
        self.cursor = 0  # the first sample not yet judged
        self.mode = Mode.UNCALIBRATED
        self.cal: Calibration | None = None
        self.knee_s: FloatArray | None = None
        self.basis: tuple[FloatArray, FloatArray] | None = None
        self.still_run = 0  # samples held still up to the cursor
        self.calibrations = 0
        # The calibration's rest is confirmed once reps were counted under it (or it was carried
        # over from a confirmed one: the same axis, the strap did not move); reps counted by then.
        self.cal_confirmed = False
        self.cal_reps_from = 0
        # Calibrating: where the stretch calibrated on starts, how far gravity has turned over it.
        self.cal_start = 0
        self.cum_rot_deg = 0.0
        self.ready_seen = False
        # Band walks: in the stance, since which sample; the lowest tilt since the last rep or
        # settle; where the stretch searched for a new stance starts; standing as held before or
        # after a set.
        self.in_stance = False
        self.stance_from = -1
        self.tilt_floor_deg = np.inf
        self.search_from = 0
        self.standing_up_s: FloatArray | None = None
        # The calibrated finder: a rep in progress (start, its drift), where the last rep came back
        # to (the next one starts from there), where it ended.
        self.open: tuple[int, RepDrift | None] | None = None
        self.floor_deg = 0.0
        self.last_end_idx = -1
        self.tracker = SetTracker(ctx.exercise, ctx.placement, settings, ctx.reference)
        self.trace = TraceBuffer(max(1, int(round(setup.rate_hz / TRACE_RATE_HZ))), setup.delay_s, keep_trace)
        self.events: list[Event] = []
        self.withdrawals = Withdrawals()  # issue 9: a live rep its set drops is withdrawn (results.py)
        self.ended = False  # the stream has ended (`finish`)

    # ---------------------------------------------------------------- the angle
    def theta(self, a: int, b: int) -> FloatArray:
        """The segment angle (degrees from rest) over samples [a, b)."""
        assert self.basis is not None
        if self.setup.tilt:
            assert self.cal is not None
            return np.degrees(np.arccos(np.clip(self.hist.get("u", a, b) @ self.cal.rest_up_s, -1.0, 1.0)))
        return angle_in_basis(self.hist.get("u", a, b), self.basis)

    def theta_from(self, a: int, b: int, first: int) -> FloatArray:
        """`theta(a, b)` for a caller that reads only its rows from `first` on: those are worked out,
        the rows before are NaN. They are the very rows `theta(a, b)` gives, as `angle_in_basis`
        works row by row (tests/test_analysis_caches.py), for two rows or more: one row takes another
        path in NumPy's matrix product (a dot product), so then the whole is worked out, as with a tilt."""
        if self.setup.tilt or first <= a or b - first < 2:
            return self.theta(a, b)
        out = np.empty(b - a)
        out[: first - a] = np.nan
        out[first - a :] = self.theta(first, b)
        return out

    def theta_rate(self, a: int, b: int, theta: FloatArray) -> FloatArray:
        """Angular rate about the flexion axis (°/s): the gyro's when there is one."""
        assert self.cal is not None
        k = self.setup.diff_n
        if not self.setup.rate_from_angle:
            return self.hist.get("w", a, b) @ self.cal.flexion_axis_s
        # Without a gyro the rate comes from the angle itself: a difference over `rate_diff_s` (not one
        # sample), so that accelerometer noise stays well below the 3 °/s onset threshold.
        before = max(self.hist.base, a - k)
        prev = self.theta(before, a)
        if prev.size < k:
            prev = np.concatenate((np.full(k - prev.size, prev[0] if prev.size else theta[0]), prev))
        joined = np.concatenate((prev, theta))
        return (joined[k:] - joined[:-k]) * (self.rate_hz / k)

    def hist_index_at(self, t_s: float) -> int:
        """The first kept sample at or after `t_s`."""
        t = self.hist.get("t", self.hist.base, self.hist.end)
        return self.hist.base + int(t.searchsorted(t_s))

    def held_up(self, index: int) -> FloatArray:
        """Gravity 'up' over the second held still up to `index`."""
        up = self.hist.get("u", index - self.setup.still_n + 1, index + 1).sum(axis=0)
        return cast(FloatArray, up / unit_norm(up))

    def is_standing(self, up_s: FloatArray) -> bool | np.ndarray:
        """Held nearer standing than the stance, per row of `up_s`."""
        assert self.cal is not None
        return is_standing(up_s, self.standing_up_s, self.cal.rest_up_s)

    # ---------------------------------------------------------------- calibration and mode
    def set_knee(self) -> None:
        """Derived from the calibration: the knee direction and the angle's basis."""
        assert self.cal is not None
        self.knee_s = knee_vector_s(self.geometry, self.ctx.placement, self.cal.rest_up_s, self.cal.flexion_axis_s)
        self.basis = angle_basis(self.cal.flexion_axis_s, self.cal.rest_up_s)
        self.floor_deg = 0.0  # angles under the new basis are measured from rest

    def reanchor(self, rest_up_s: FloatArray) -> None:
        """The rest posture is here now: follow slow posture and orientation drift."""
        assert self.cal is not None
        self.cal = Calibration(self.cal.flexion_axis_s, rest_up_s / unit_norm(rest_up_s), self.cal.swept_deg)
        self.set_knee()

    def counted_reps(self) -> int:
        """Reps the set tracker holds so far (closed sets and the open one)."""
        return sum(len(s.reps) for s in self.tracker.sets) + self.tracker.open_rep_count

    def rest_confirmed(self) -> bool:
        """The calibration in use has shown its rest: reps were counted under it, or it was
        carried over from one that had."""
        return self.cal is not None and (self.cal_confirmed or self.counted_reps() > self.cal_reps_from)

    def restart_calibration(self, index: int) -> None:
        """Calibrate afresh from `index` (the posture changed, or no single plane was found)."""
        self.mode = Mode.UNCALIBRATED
        self.in_stance = False
        self.stance_from = -1  # the stance is found afresh with the calibration
        self.tilt_floor_deg = np.inf
        self.cal_start = max(index, self.hist.base)
        self.cursor = self.cal_start
        self.cum_rot_deg = 0.0
        self.ready_seen = False

    def find_stance_again(self, index: int, standing_up_s: FloatArray) -> None:
        """Search for the next set's stance from `index`, where the person stood after a set."""
        self.mode = Mode.FINDING_STANCE
        self.in_stance = False
        self.search_from = index
        self.standing_up_s = standing_up_s
        self.cursor = index + 1
        self.still_run = self.setup.still_n

    def decided_until(self) -> int:
        """The first sample whose rep decisions may still change: the cursor, an open rep's start,
        a calibration or stance search that will replay its stretch."""
        frontier = self.cursor
        if self.open is not None:
            frontier = min(frontier, self.open[0])
        if self.mode == Mode.UNCALIBRATED:
            frontier = min(frontier, self.cal_start)
        elif self.mode == Mode.FINDING_STANCE:
            frontier = min(frontier, self.search_from)
        return frontier

    # ---------------------------------------------------------------- output
    def put_trace(self, a: int, b: int, theta: FloatArray, drift: FloatArray | None) -> None:
        """Trace the samples [a, b) (their angle, and drift when given)."""
        if b > a:
            self.trace.put(a, self.hist.get("t", a, b), theta, drift)

    def close_set_if_due(self, t: FloatArray, limit: int) -> None:
        """Close the open set if its break falls before array index `limit` of the times `t`."""
        shift = self.setup.boundary_delay_s
        due = self.tracker.break_due_s()
        if due is None or limit <= 0 or due + shift > t[limit - 1]:
            return  # not due before `limit` (a plain comparison: called once per rep)
        i = int(t.searchsorted(due + shift))
        if i < limit:
            self.events += self.tracker.close(float(t[i]) - shift)

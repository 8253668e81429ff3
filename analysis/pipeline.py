"""The analysis pipeline, streaming first: `analyze` is the streaming analyzer fed one block.

Data flow per fed block (all causal, all state carried between calls):
  raw samples → block-mean decimation to ~25 Hz → short dropouts bridged → VQF orientation (or
  low-passed gravity) → gravity direction u and rotation rate w → segment angle θ about the
  calibrated flexion axis → reps found a stretch at a time → sets, drift, warnings.
Every decision depends only on samples up to the one being judged and is taken at a definite
sample index, so any chunking of the stream gives the same reps, sets and warnings as one batch.
Reps are searched with a few numpy passes per rep and no per-sample Python loop; the throughput is
printed by benchmarks/bench_pipeline.py (about 1.1 M input samples/s of CPU here in session 6, goal 2 M:
docs/speed.md).
"""

from __future__ import annotations

import math
from typing import cast

from dataclasses import dataclass, replace
from enum import Enum

import numpy as np
from numpy.typing import NDArray

from sensortrack.analysis.calibration import Calibration, angle_basis, angle_in_basis, calibrate
from sensortrack.analysis.context import AnalysisContext
from sensortrack.analysis.drift import (
    calibration_basis,
    knee_medial_form,
    medial_angle_gyro,
    medial_angle_tilt,
    medial_axis_earth,
    own_plane_drift_gyro,
    plane_drift_gyro,
    rotate_one,
    whole_rep_axis_cal,
)
from sensortrack.analysis.front_end import SignalFrontEnd
from sensortrack.analysis.geometry import GEOMETRY, knee_vector_s
from sensortrack.analysis.history import History
from sensortrack.analysis.results import (
    AnalysisResult,
    DriftWarning,
    Event,
    LiveState,
    Rep,
    RepWarning,
    Withdrawals,
)
from sensortrack.analysis.rep_finder import rep_end, run_lengths
from sensortrack.analysis.repetition import (
    acc_magnitude_g,
    autocorrelation,
    drop_explains_load,
    explained_by_period,
    find_repetitions,
    impact_g,
    impact_rms_g,
    principal_angle_deg,
    repeat_period_s,
)
from sensortrack.analysis.sets import RepCandidate, SetTracker
from sensortrack.analysis.stance import (
    is_standing,
    outward_of_knee,
    stance_posture,
    stance_shifted,
    stance_taken,
    step_side,
    whole_step_span,
    Step,
)
from sensortrack.analysis.trace import TraceBuffer
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.model import FloatArray

TRACE_RATE_HZ = 10.0
# Samples searched first for the next rep's rise (5 s at the 25 Hz analysis rate), then the rest of
# the stretch: a cost bound, not a threshold (the answer is the same).
_FIRST_LOOK_N = 128



def _norm(v: FloatArray) -> float:
    """np.linalg.norm of one vector (the same sqrt of v·v), without its wrapper's overhead."""
    return math.sqrt(float(v.dot(v)))


class Mode(Enum):
    """What the analyzer is doing with the samples it is given."""

    UNCALIBRATED = "uncalibrated"  # looking for the movement plane and the rest posture
    CALIBRATED = "calibrated"  # finding and judging reps
    # Band walks between sets: the axis is kept, the stance is found again (_step_stance_search).
    FINDING_STANCE = "finding stance"


@dataclass(frozen=True, slots=True, eq=False)
class _RepDrift:
    drift_deg: FloatArray  # per sample from the rep's start, toward the midline
    medial_e: FloatArray | None  # horizontal unit vector toward the midline (gyro only)
    max_deg: float  # drift_deg.max(), asked for twice per rep (warning, counted rep)


class StreamingAnalyzer:
    """Feed blocks of any size; get rep and warning events as they happen; `finish` for the result."""

    def __init__(
        self, ctx: AnalysisContext, settings: AnalysisSettings | None = None, *, keep_trace: bool = True
    ) -> None:
        """`keep_trace=False`: no angle/drift trace in the result (a live view over hours keeps its
        memory flat; reps, sets and warnings are unchanged)."""
        self.ctx = ctx
        self.settings = settings or AnalysisSettings()
        # |u · f| above this: gravity out of the movement plane by more than off_plane_deg
        self._off_plane_cos = float(np.sin(np.radians(self.settings.off_plane_deg)))
        self.geometry = GEOMETRY[(ctx.exercise, ctx.placement)]
        self._gyro = ctx.has_gyro
        self._front = SignalFrontEnd(ctx.rate_hz, self._gyro, self.settings)
        self.rate_hz = self._front.rate_hz
        self._dt_s = 1.0 / self.rate_hz
        s = self.settings
        # Reported times are moved back by the filters' delay so reps line up with the movement.
        # The angle comes from VQF (no low-pass) with a gyro, from low-passed gravity without; rep
        # starts and ends are found from the low-passed angular rate in both cases.
        lowpass_s = self._front.lowpass_delay_s
        self._diff_n = max(1, int(round(self.settings.rate_diff_s * self.rate_hz)))
        # Band walks are stepped from a held quarter squat (the stance), not from standing: rest is
        # the stance, and a step counts only from it.
        self._stance = self.geometry.from_stance
        # A thigh steps out in two planes at once (abduction, plus flexion in the swing), so its
        # step is the tilt away from the stance in ANY direction, measured without a fitted axis:
        # getting into the stance and walking between sets (sagittal) turn the thigh more than the
        # small, quick side steps and would win the axis fit. The shank stays upright in the
        # frontal plane ("knees over the feet") and shows the step as the knee bending in the
        # swing, about one axis; there the out-of-plane tilt is knee drift, not part of the step.
        self._tilt = self._stance and ctx.placement == "thigh"
        # The shank, upright and still while its foot carries the body, shows only its own swing.
        self._swing_only = self._stance and ctx.placement == "shank"
        self._rate_from_angle = self._tilt or not self._gyro
        # A thigh's rep lowers the body over a planted foot (squat, lunge, sit-to-stand): its quick
        # load may be that drop rather than foot strikes (repetition.drop_explains_load). A shank
        # swings as far with its foot in the air (walking: 75–90°), so it shows no such drop.
        self._lowers_body = ctx.placement == "thigh" and not self._stance
        # The stance shows itself between steps: calibrating on a few steps finds it, not standing.
        self._cal_min_s = s.stance_calibration_s if self._stance else s.calibration_min_s
        # A side step ends back at the stance; its tilt can dip on the way (a trail step abducts as
        # the pelvis moves away, then the foot swings in), so half-way back is not the end yet.
        self._return_share = s.stance_return_share_of_peak if self._stance else s.return_share_of_peak
        self._in_stance = False
        self._stance_from = -1
        self._tilt_floor_deg = np.inf
        self._search_from = 0  # finding the stance: where the stretch searched starts
        self._standing_up_s: FloatArray | None = None  # band walks: standing, as held before or after a set
        self._stance_hold_n = max(2, int(round(self.settings.stance_hold_s * self.rate_hz)))
        self._delay_s = 0.0 if self._gyro else lowpass_s
        self._boundary_delay_s = lowpass_s + (0.5 * self._diff_n / self.rate_hz if self._rate_from_angle else 0.0)
        self._hist = History(with_quat=self._gyro)
        self._cursor = 0
        self._mode = Mode.UNCALIBRATED
        self._cal: Calibration | None = None
        self._knee_s: FloatArray | None = None
        self._basis: tuple[FloatArray, FloatArray] | None = None
        self._cal_start = 0
        self._cum_rot_deg = 0.0
        self._ready_seen = False
        self._still_run = 0
        self._open: tuple[int, _RepDrift | None] | None = None  # (start, drift) of a rep in progress
        self._warned_start = -1
        self._floor_deg = 0.0  # where the last rep came back to: the next one starts from there
        self._last_end_idx = -1
        self._tracker = SetTracker(ctx.exercise, ctx.placement, s, ctx.reference)
        self._min_range_deg = s.min_range_deg(ctx.exercise, ctx.placement)
        self._still_n = int(round(self.settings.still_s * self.rate_hz))
        self._held_n = max(2, int(round(self.settings.held_s * self.rate_hz)))
        self._look_back_n = int(s.rep_onset_look_back_s * self.rate_hz)
        self._off_plane_n = max(2, int(round(self.settings.off_plane_s * self.rate_hz)))
        self._thr_deg = max(self.settings.start_share_of_min_range * self._min_range_deg, self.settings.min_start_deg)
        # Samples judged per vectorised pass once calibrated: longer than any rep, so a rep is never
        # cut by it, and short, because a still period cuts the pass and the rest is judged again.
        self._stretch = int(1.5 * s.max_rep_duration_s * self.rate_hz) + 1
        self._trace = TraceBuffer(max(1, int(round(self.rate_hz / TRACE_RATE_HZ))), self._delay_s, keep_trace)
        self._calibrations = 0
        # Where the samples no counted rep covers begin: searched for a clearly repeated movement
        # (repetition.py) when the next rep is counted, at the end, or a stretch at a time.
        self._unclaimed_from = 0
        self._unclaimed_n = int(s.repetition_search_s * self.rate_hz)
        self._repetition_reps = 0
        self._finder_end_s: float | None = None  # end of the last rep the calibrated finder counted
        self._finder_run = 0  # how many reps it counted in a row, no set break between them
        self._events: list[Event] = []
        # Counted reps' whole-way-down axes (calibration basis) by start time: a reference's plane.
        # None unless asked for (set to {} by personal_reference.build_reference_checked while a
        # reference is built), as they cost ~20 % of the analysis of a thigh session with a gyroscope.
        self.rep_axes_cal: dict[float, FloatArray] | None = None
        self._withdrawals = Withdrawals()  # issue 9: a live rep its set drops is withdrawn (results.py)
        # A closing set is recounted from its whole repeated pattern (`_recount_set`) over its reps
        # and a set break on each side (no other set's rep lies there): kept until the set closes.
        self._ended = False  # `finish` was called
        self._recount_margin_n = int(s.set_break_s * self.rate_hz)
        self._recount_keep_n = int((s.set_break_s + s.max_rep_duration_s) * self.rate_hz) + 1
        if self.geometry.one_excursion_per_rep and not self._stance:
            self._tracker.recount = self._recount_set
        self.state = LiveState()

    # ---------------------------------------------------------------- input
    def feed(self, t_s: FloatArray, acc_g: FloatArray, gyro_dps: FloatArray | None = None) -> list[Event]:
        """Add samples (times in seconds, acc in g, gyro in °/s) and return the events they caused."""
        columns = self._front.apply(t_s, acc_g, gyro_dps)
        if columns is not None:
            self._hist.append(**columns)
        self._run()
        self._refresh_state()
        return self.drain_events()

    # ---------------------------------------------------------------- state machine
    def _run(self) -> None:
        end = self._hist.end
        while self._cursor < end:
            before = (self._cursor, self._mode, self._basis)
            if self._mode == Mode.UNCALIBRATED:
                self._step_uncalibrated(end)
            elif self._mode == Mode.FINDING_STANCE:
                self._step_stance_search(end)
            else:
                self._step_calibrated(end)
            if (self._cursor, self._mode, self._basis) == before:
                break  # a rep is in progress: wait for more samples
        keep_from = self._cursor - int((self.settings.rep_onset_look_back_s + 1.0) * self.rate_hz)
        if self._mode == Mode.UNCALIBRATED:
            keep_from = min(keep_from, self._cal_start)
        elif self._mode == Mode.FINDING_STANCE:
            keep_from = min(keep_from, self._search_from)
        keep_from = min(keep_from, self._last_end_idx - self._look_back_n)
        self._search_unclaimed(self._decided_until())
        keep_from = min(keep_from, self._unclaimed_from)
        if self._tracker.recount is not None:
            # A set may open on a rep up to its longest before the cursor: keep a set break more.
            keep_from = min(keep_from, self._cursor - self._recount_keep_n)
            self._forget_unrecountable()
            from_s = self._tracker.recount_from_s
            if from_s is not None:
                keep_from = min(keep_from, self._hist_index_at(from_s + self._boundary_delay_s) - self._recount_margin_n)
        self._hist.forget_before(keep_from)

    def _theta(self, a: int, b: int) -> FloatArray:
        assert self._basis is not None
        if self._tilt:
            assert self._cal is not None
            return np.degrees(np.arccos(np.clip(self._hist.get("u", a, b) @ self._cal.rest_up_s, -1.0, 1.0)))
        return angle_in_basis(self._hist.get("u", a, b), self._basis)

    def _theta_rate(self, a: int, b: int, theta: FloatArray) -> FloatArray:
        """Angular rate about the flexion axis (°/s): the gyro's when there is one."""
        assert self._cal is not None
        if not self._rate_from_angle:
            return self._hist.get("w", a, b) @ self._cal.flexion_axis_s
        # Without a gyro the rate comes from the angle itself: a difference over `rate_diff_s` (not one
        # sample), so that accelerometer noise stays well below the 3 °/s onset threshold.
        k = self._diff_n
        before = max(self._hist.base, a - k)
        prev = self._theta(before, a)
        if prev.size < k:
            prev = np.concatenate((np.full(k - prev.size, prev[0] if prev.size else theta[0]), prev))
        joined = np.concatenate((prev, theta))
        return (joined[k:] - joined[:-k]) * (self.rate_hz / k)

    def _step_uncalibrated(self, end: int) -> None:
        a = self._cursor
        b = min(end, a + self.settings.calibration_search_window_samples)
        speed = np.linalg.norm(self._hist.get("gw", a, b), axis=1)
        cum = self._cum_rot_deg + np.cumsum(speed) * self._dt_s
        t = self._hist.get("t", a, b)
        t0 = float(self._hist.get("t", self._cal_start, self._cal_start + 1)[0])
        ready = (cum >= 2.5 * self._min_range_deg) & (t - t0 >= self._cal_min_s)
        # Try at the first ready sample, then every `calibration_try_every_samples`: fixed absolute indices, so
        # the attempts (and their outcome) do not depend on how the stream was chunked.
        absolute = np.arange(a, b)
        first_ready = (np.cumsum(ready) == 1) & (not self._ready_seen)
        tries = np.flatnonzero(ready & ((absolute % self.settings.calibration_try_every_samples == 0) | first_ready))
        self._ready_seen = self._ready_seen or bool(ready.any())
        self._cum_rot_deg = float(cum[-1])
        self._cursor = b
        for k in tries:
            i = a + int(k)
            if float(t[k]) - t0 > self.settings.calibration_max_s:  # no single movement plane yet: look at newer data
                self._restart_calibration(self._hist_index_at(float(t[k]) - self.settings.calibration_max_s / 2))
                return
            cal = calibrate(
                self._hist.get("u", self._cal_start, i + 1),
                self._hist.get("gw", self._cal_start, i + 1),
                self.rate_hz,
                rest_is_start=self.geometry.rest_is_start,
                min_swept_deg=self._min_range_deg,
                rest_hint_s=self._cal,
                rest_is_stance=self._stance,
                tuning=self.settings,
            )
            if cal is not None:
                self._cal = cal
                self._calibrations += 1
                self._set_knee()
                self._mode = Mode.CALIBRATED
                self._still_run = 0
                self._cursor = self._cal_start  # replay the calibration stretch: its reps count too
                return

    def _set_knee(self) -> None:
        """Derived from the calibration: the knee direction and the angle's basis."""
        assert self._cal is not None
        self._knee_s = knee_vector_s(self.geometry, self.ctx.placement, self._cal.rest_up_s, self._cal.flexion_axis_s)
        self._basis = angle_basis(self._cal.flexion_axis_s, self._cal.rest_up_s)
        self._floor_deg = 0.0  # angles under the new basis are measured from rest

    def _reanchor(self, rest_up_s: FloatArray) -> None:
        """The rest posture is here now: follow slow posture and orientation drift."""
        assert self._cal is not None
        self._cal = Calibration(self._cal.flexion_axis_s, rest_up_s / _norm(rest_up_s), self._cal.swept_deg)
        self._set_knee()

    def _hist_index_at(self, t_s: float) -> int:
        t = self._hist.get("t", self._hist.base, self._hist.end)
        return self._hist.base + int(t.searchsorted(t_s))

    def _restart_calibration(self, index: int) -> None:
        self._mode = Mode.UNCALIBRATED
        self._in_stance = False
        self._stance_from = -1  # the stance is found afresh with the calibration
        self._tilt_floor_deg = np.inf
        self._cal_start = max(index, self._hist.base)
        self._cursor = self._cal_start
        self._cum_rot_deg = 0.0
        self._ready_seen = False

    def _find_stance_again(self, index: int, standing_up_s: FloatArray) -> None:
        """Search for the next set's stance from `index`, where the person stood after a set."""
        self._mode = Mode.FINDING_STANCE
        self._in_stance = False
        self._search_from = index
        self._standing_up_s = standing_up_s
        self._cursor = index + 1
        self._still_run = self._still_n

    def _held_up(self, index: int) -> FloatArray:
        """Gravity 'up' over the second held still up to `index`."""
        up = self._hist.get("u", index - self._still_n + 1, index + 1).sum(axis=0)
        return cast(FloatArray, up / _norm(up))

    def _stood_up(self, settled: np.ndarray, limit: int) -> int:
        """Band walks out of the stance: the first second held still before `limit` (absolute
        indices), after the stance was last taken, nearer standing than the stance; or -1."""
        if self._stance_from < 0:
            return -1
        for index in settled[(settled > self._stance_from) & (settled < limit)]:
            if self._is_standing(self._held_up(int(index))):
                return int(index)
        return -1

    def _stance_shifted(self, index: int, theta_deg: float) -> bool:
        """Band walks: held still mid-set a little off the stance (it has shifted; follow it)."""
        in_set = self._in_stance and index > self._stance_from
        return stance_shifted(theta_deg, in_set, self._min_range_deg, self.settings)

    def _is_standing(self, up_s: FloatArray) -> bool | np.ndarray:
        """Held nearer standing than the stance, per row of `up_s`."""
        assert self._cal is not None
        return is_standing(up_s, self._standing_up_s, self._cal.rest_up_s)

    def _step_stance_search(self, end: int) -> None:
        """Band walks between sets: find the new set's stance, then replay the stretch searched.

        As in the first calibration, the stance is the posture the steps keep coming back to
        (`dwell_posture`), tried at fixed absolute indices so chunking does not matter; the flexion
        axis is kept (the strap did not move). The stretch searched starts where the person last
        stood still for a second: walking and fidgeting before that are neither searched nor
        replayed. Until the stance is found nothing counts; the angle is traced from the old
        stance meanwhile and the finished set closes on time. The new set's first steps are
        counted when it is found (after a few of them), not as each ends.
        """
        a = self._cursor
        b = min(end, a + self.settings.calibration_search_window_samples)
        run = run_lengths(self._hist.get("speed", a, b) < self.settings.still_dps, self._still_run)
        held = np.flatnonzero(run >= self._still_n) + a
        # Held for a second nearer standing than the stance: standing. Before it is not searched.
        assert self._standing_up_s is not None  # set on leaving the set
        held = held[self._is_standing(self._hist.get("u", a, b)[held - a])]
        longest_n = int(self.settings.calibration_max_s * self.rate_hz)
        stop, stance = b, None
        every = self.settings.calibration_try_every_samples
        for i in range(a + (-a) % every, b, every):
            k = int(held.searchsorted(i, side="right"))
            if k:
                self._search_from = max(self._search_from, int(held[k - 1]))
            if i - self._search_from > longest_n:  # bounded work and memory: look at newer data
                self._search_from = i - longest_n // 2
            stance = self._stance_in(self._search_from, i + 1)
            if stance is not None:
                stop = i + 1
                break
        t = self._hist.get("t", a, stop)
        self._close_set_if_due(t, stop - a, a)
        self._put_trace(a, stop, self._theta(a, stop), None)
        if stance is None:
            if held.size:
                self._search_from = max(self._search_from, int(held[-1]))
            self._still_run = int(run[-1])
            self._cursor = b
            return
        self._reanchor(stance)
        self._mode = Mode.CALIBRATED
        self._tilt_floor_deg = np.inf
        self._cursor = self._search_from  # replay: the set's first steps count too
        self._still_run = self._still_n  # the search started at the end of a still period

    def _stance_in(self, a: int, b: int) -> FloatArray | None:
        """The posture the movements over [a, b) keep coming back to, unless it is standing."""
        assert self._cal is not None and self._standing_up_s is not None
        return stance_posture(
            self._hist.get("speed", a, b), self._hist.get("u", a, b), self._hist.get("gw", a, b),
            self._standing_up_s, self._cal.rest_up_s, self._min_range_deg, self._stance_hold_n, self.settings,
        )

    def _step_calibrated(self, end: int) -> None:
        """Find and judge the reps in [cursor, end), a few numpy passes per rep.

        The angle basis only changes at a settled still period (re-anchor: the angles are measured
        afresh from there on) or a posture change (recalibration, where the stretch is cut). A rep starts
        when the angle rises past the start threshold above where the last rep came back to
        (people do not always return all the way to rest between reps) and ends where, on its way
        back, the movement stops.
        """
        assert self._basis is not None and self._cal is not None
        a = self._cursor
        end = min(end, a + self._stretch)
        lead = min(a, max(self._hist.base, a - self._look_back_n, self._last_end_idx + 1))
        theta = self._theta(lead, end)
        rate = self._theta_rate(lead, end, theta)
        t = self._hist.get("t", lead, end)
        # |u · f|: how far gravity is out of the movement plane (re-anchoring keeps the axis).
        off_plane = None if self._tilt else np.abs(self._hist.get("u", lead, end) @ self._cal.flexion_axis_s)
        off = a - lead
        thr = self._thr_deg
        onsets = np.flatnonzero(rate <= self.settings.onset_dps)
        run = run_lengths(self._hist.get("speed", a, end) < self.settings.still_dps, self._still_run)
        settled = np.flatnonzero(run == self._still_n) + off

        self._open = None
        prev_end = self._last_end_idx - lead  # may be negative
        pos = off
        if self._stance and not self._in_stance:
            taken, wait = self._stance_taken(a, end, theta[off:])
            stood = self._stood_up(settled + lead, a + taken if taken >= 0 else end)
            if stood >= 0:  # stood up after a set before getting back into its stance
                self._close_set_if_due(t, stood + 1 - lead, lead)
                self._put_trace(a, stood + 1, theta[off : stood + 1 - lead], None)
                self._find_stance_again(stood, self._held_up(stood))
                return
            if taken < 0:  # not in the stance yet: nothing here is a step
                new_cursor = a + wait
                self._close_set_if_due(t, new_cursor - lead, lead)
                self._put_trace(a, new_cursor, theta[off : new_cursor - lead], None)
                if new_cursor > a:
                    self._still_run = int(run[new_cursor - a - 1])
                self._cursor = new_cursor
                return
            self._in_stance = True
            pos = off + taken + 1
            self._stance_from = lead + pos  # nothing before the stance was taken belongs to a step
        gate = self._stance_from - lead  # may be negative
        # Tilt: the lowest tilt since the last rep, settle or stance hold (carried between calls).
        floor_init = self._tilt_floor_deg if pos == off else np.inf
        stop_at = theta.size  # array index where this call's processing ends
        quiet_from = prev_end  # settles at or before this array index are behind us
        while True:
            # Tilt (band walks) is measured from the stance, which the person only takes during a
            # set: a rise is then measured from the lowest tilt since the last rep or settle.
            # The next rep usually rises within seconds: look there first, then at the rest of the
            # stretch. The floor is a running minimum, so a prefix's values are the whole's: the
            # same first rise either way.
            up = theta.size
            for look_to in (pos + _FIRST_LOOK_N, theta.size):
                ahead = theta[pos:look_to]
                if self._tilt:
                    floor = np.minimum(floor_init, np.minimum.accumulate(ahead))
                else:
                    # Where the last rep came back to, or lower (not below rest) where the segment went
                    # on down after its end was found: a slow, uneven descent can read as a stop.
                    floor = np.minimum(self._floor_deg, np.maximum(np.minimum.accumulate(ahead), 0.0))
                above = ahead - floor > thr
                # argmax stops at the first True; array methods skip the np.* wrappers' overhead
                first_above = int(above.argmax()) if above.size else 0
                if above.size and above[first_above]:
                    up = pos + first_above
                    break
                if look_to >= theta.size:
                    break
            risen = up < theta.size
            q = int(settled.searchsorted(max(prev_end, quiet_from), side="right"))
            if q < settled.size and settled[q] < up:
                quiet_at = int(settled[q])
                self._put_trace(lead + off, lead + quiet_at, theta[off:quiet_at], None)
                if not self._settle(lead + quiet_at, float(theta[quiet_at])):
                    return
                # Re-anchored: carry on in this call with every angle measured in the new basis,
                # exactly as a call starting after the settle would (it saves that call's set-up).
                theta = self._theta(lead, end)
                if self._rate_from_angle:
                    rate = self._theta_rate(lead, end, theta)
                    onsets = np.flatnonzero(rate <= self.settings.onset_dps)
                off = pos = quiet_at + 1
                quiet_from = quiet_at
                floor_init = np.inf
                continue
            if not risen:
                self._close_set_if_due(t, theta.size, lead)
                break
            # Look back at most `rep_onset_look_back_s`, never into the previous rep: both
            # independent of chunking.
            lower = min(max(prev_end + 1, up - self._look_back_n, 0, gate), up)
            start = self._rep_start(onsets, up, lower, theta)
            self._close_set_if_due(t, start, lead)
            # Tilt: the rise was measured from the lowest point before it, so is the way back.
            ref = min(float(theta[start]), float(theta[lower : up + 1].min())) if self._tilt else float(theta[start])
            # Where the segment came back to before this rise: the last rep's end, or lower (not
            # below rest) if it went on down after the end was found (an uneven descent's stop).
            low_before = float(theta[lower : start + 1].min())  # also the range's base (below)
            low_since = max(low_before, 0.0)
            rest_floor = -np.inf if self._tilt else min(self._floor_deg, low_since)
            stop = self._rep_end(theta[up:], rate[up:], ref, thr, self._return_share, rest_floor)
            stop = up + stop if stop >= 0 else -1
            moved_start, rose_at = False, start
            peak = -1  # array index of the rep's highest angle, once known for [start, stop]
            if stop >= 0:
                peak = start + int(theta[start : stop + 1].argmax())
                held = self._held_start(start, up, peak, theta, rate, onsets)
                if held != start:  # the rep left a posture held on the way (a lunge's split stance)
                    start, moved_start, peak = held, True, -1
                    from_i = max(up, start)
                    stop = self._rep_end(
                        theta[from_i:], rate[from_i:], float(theta[start]), thr, self._return_share, rest_floor
                    )
                    stop = from_i + stop if stop >= 0 else -1
            # Only a rise long enough to be a rep on its own waits for its step down, so that
            # walking strides (too short) are not stitched into "reps" by the next stride.
            if stop >= 0 and self.geometry.steps_down and t[stop] - t[start] >= self.settings.min_rep_duration_s:
                peak = -1
                stop = self._step_down_end(stop, theta, rate, float(theta[start : stop + 1].max() - theta[start]))
            last = stop if stop >= 0 else theta.size - 1
            left, back = self._plane_excursion(off_plane, theta, rose_at, last, lead)
            if left >= 0:  # out of the plane on the way: not a rep; it lasts until back at rest
                stop, last = -1, (back if back >= 0 else theta.size - 1)
            moved_off = self._still_off_plane(settled, up, last, lead) if settled.size and settled[-1] >= up else -1
            if moved_off < 0 and not self._stance:
                moved_off = self._held_unrisen(settled, rose_at, up, last, theta)
            if moved_off >= 0:
                # Held still with gravity far out of the movement plane (or, in a band walk, away
                # from the stance): no rep does that; the strap moved, the person lay down or stood
                # up. Or held still before rising a rep's worth: the posture shifted a little (a
                # foot slid while lying). Drop the "rep" and settle there (recalibrating unless it
                # is a band walk or a small shift).
                self._put_trace(lead + off, lead + moved_off, theta[off:moved_off], None)
                self._settle(lead + moved_off, float(theta[moved_off]))
                return
            if back >= 0:
                # Gravity left the movement plane and came back: rolling part of the way over and
                # back while lying (the legs go along), not a rep. Look for reps after it.
                self._last_end_idx = lead + back
                prev_end = back
                pos = back + 1
                floor_init = np.inf
                self._floor_deg = float(theta[back]) if float(theta[back]) > thr else 0.0
                continue
            if t[last] - t[rose_at] > self.settings.max_rep_duration_s:
                # Longer than any real rep: the person sat down, knelt or lay down.
                limit_s = t[rose_at] + self.settings.max_rep_duration_s
                cut = rose_at + int(t[rose_at:].searchsorted(limit_s))
                self._put_trace(lead + off, lead + cut, theta[off:cut], None)
                self._last_end_idx = lead + cut
                self._restart_calibration(lead + cut)
                return
            if stop < 0:  # still going: warn if due, look again from here when more samples arrive
                drift = None if left >= 0 else self._rep_drift(lead + start, lead + theta.size, theta[start:])
                self._maybe_warn(drift, lead + start, t[start:], theta[start:], finished=False)
                self._open = (lead + start, drift)
                stop_at = up
                break
            low = float(theta[start]) if moved_start else low_before
            self._judge_rep(lead + start, theta[start : stop + 1], t[start : stop + 1], low, peak - start)
            prev_end = stop
            pos = stop + 1
            floor_init = np.inf
            # Stopped short of rest (people do not always go all the way back): the next rep is
            # measured from where this one came back to; otherwise from rest.
            ended_at = float(theta[stop])
            self._floor_deg = ended_at if ended_at > thr else 0.0
        new_cursor = lead + max(stop_at, off)
        if new_cursor - lead > pos:  # the lowest angle so far carries into the next call
            lowest = float(theta[pos : new_cursor - lead].min())
            if self._tilt:
                floor_init = min(floor_init, lowest)
            else:
                self._floor_deg = min(self._floor_deg, max(lowest, 0.0))
        self._tilt_floor_deg = floor_init
        self._put_trace(lead + off, new_cursor, theta[off : new_cursor - lead], None)
        if new_cursor > a:
            self._still_run = int(run[new_cursor - a - 1])
        self._cursor = new_cursor

    def _rep_end(
        self, theta: FloatArray, rate: FloatArray, theta_start: float, thr: float, return_share: float,
        floor_deg: float = -np.inf,
    ) -> int:
        """`rep_finder.rep_end` with this analyzer's cut-offs."""
        s = self.settings
        return rep_end(
            theta, rate, theta_start, thr, return_share,
            stop_share=s.stop_share_of_return_speed, onset_dps=s.onset_dps, floor_deg=floor_deg,
        )

    def _stance_taken(self, a: int, end: int, theta: FloatArray) -> tuple[int, int]:
        """Band walks: `stance.stance_taken` over [a, end). Holds are counted from `a`, a definite
        index (a settle, a restart or where a hold began), so chunking does not matter."""
        quiet = (self._hist.get("speed", a, end) < self.settings.still_dps) & (np.abs(theta) < self._min_range_deg)
        return stance_taken(quiet, self._stance_hold_n)

    def _still_off_plane(self, settled: np.ndarray, first: int, last: int, lead: int) -> int:
        """The first settled (array) index in [first, last] where the posture left the movement plane
        (band walks: left the stance), or -1."""
        lo, hi = int(settled.searchsorted(first)), int(settled.searchsorted(last + 1))  # no tuple → array
        if lo == hi:
            return -1
        still = settled[lo:hi]
        assert self._cal is not None
        u = self._hist.get("u", lead, lead + int(still[-1]) + 1)[still]
        moved = np.abs(u @ self._cal.flexion_axis_s) > self._off_plane_cos
        if self._stance:  # side steps never hold still away from the stance: this is a new posture
            moved |= u @ self._cal.rest_up_s < np.cos(np.radians(self._min_range_deg))
        hits = np.flatnonzero(moved)
        return int(still[hits[0]]) if hits.size else -1

    def _held_unrisen(self, settled: np.ndarray, start: int, up: int, last: int, theta: FloatArray) -> int:
        """The first settled (array) index in [up, last] if by then the segment had not yet risen
        past the start threshold above `start` (where the rise began, before any `_held_start`:
        that one needs the rep's end, which a stream may not have yet), or -1. A rep rises before
        it is held (a bridge at the top); one held still right where it started was a small posture
        shift ending above the old rest (a foot slid while lying), and the next rep starts there."""
        i = int(settled.searchsorted(up))
        if i >= settled.size or settled[i] > last:
            return -1
        held = int(settled[i])
        return held if float(theta[start : held + 1].max() - theta[start]) < self._thr_deg else -1

    def _plane_excursion(
        self, off_plane: FloatArray | None, theta: FloatArray, first: int, last: int, lead: int
    ) -> tuple[int, int]:
        """(the first array index in [first, last] where gravity has been out of the movement plane
        for `off_plane_s`, or -1; the first index after it back at rest, or -1 if not back yet).
        `off_plane`: |u · f| per array index of the stretch, or None for band-walk thigh steps (a
        tilt in any direction: no plane to leave). "Back at rest": in the plane, slower than
        `still_dps` and near enough to rest that a settle there would re-anchor (a re-strapped
        sensor can pass through the old plane far from it: that is left to the settle)."""
        if off_plane is None:
            return -1, -1
        tilt = off_plane[first : last + 1]
        if not tilt.size or tilt.max() <= self._off_plane_cos:  # nearly every rep stays in its plane
            return -1, -1
        held = run_lengths(tilt > self._off_plane_cos, 0) >= self._off_plane_n
        left = int(held.argmax())
        if not held[left]:
            return -1, -1
        left += first
        # Back once in the plane and nearly still: the tail of the roll is not the next rep's start.
        inside = off_plane[left:] <= self._off_plane_cos
        inside &= self._hist.get("speed", lead + left, lead + off_plane.size) < self.settings.still_dps
        inside &= np.abs(theta[left:]) <= max(self._min_range_deg, self.settings.rest_shift_deg)
        back = int(inside.argmax())
        return (left, left + back) if inside[back] else (left, -1)

    def _held_start(
        self, start: int, up: int, peak: int, theta: FloatArray, rate: FloatArray, onsets: np.ndarray
    ) -> int:
        """The end of the last posture held on the way up, if a full rep's range still followed it.

        Stepping into a lunge's split stance (or sinking into a stance) and pausing there before
        the first rep rises past the start threshold too; the rep itself starts where the segment
        last held still for `held_s`, provided the minimum range was swept from there to the peak.
        Runs are counted from the rep's start, so the answer does not depend on the stretch.
        """
        # two scalar searches: a tuple would first be made into an array
        if int(onsets.searchsorted(peak)) - int(onsets.searchsorted(up)) < self._held_n:  # the usual rep: never slow for long on the way up
            return start
        rise = theta[start + 1 : peak]
        slow = np.abs(rate[start + 1 : peak]) <= self.settings.onset_dps
        # A band-walk shank holds still between its swings wherever its angle settles (a degree
        # above the stance is enough to rise past the start threshold): any hold there counts.
        lift = -np.inf if self._swing_only else self._thr_deg
        candidate = slow & (rise - theta[start] >= lift) & (theta[peak] - rise >= self._min_range_deg)
        if not candidate.any():
            return start
        hits = np.flatnonzero(candidate & (run_lengths(slow, 0) >= self._held_n))
        return start + 1 + int(hits[-1]) if hits.size else start

    def _step_down_end(self, stop: int, theta: FloatArray, rate: FloatArray, range_deg: float) -> int:
        """Step-ups: the rep ends once the same leg has stepped back down off the box, or -1 to wait.

        The rise over the box brings the segment back near its standing angle; the step down that
        completes the rep ("up, up, down, down") is a smaller movement that starts within
        `step_down_within_s` (the other leg joins in between). A movement as large as the step up
        itself is the next rep, not a step down.
        """
        wait_n = int(round(self.settings.step_down_within_s * self.rate_hz))
        after = np.abs(rate[stop + 1 : stop + 1 + wait_n]) > self.settings.step_moving_dps
        if not after.any():
            return stop if after.size >= wait_n else -1
        go = stop + 1 + int(after.argmax())
        excursion = theta[go:] - theta[stop]
        sign = 1.0 if float(rate[go]) > 0 else -1.0  # which way the step down turns the segment
        back = self._rep_end(
            sign * excursion, sign * rate[go:], 0.0, self.settings.min_start_deg, self.settings.return_share_of_peak
        )
        if back < 0:
            return -1
        if float(np.abs(excursion[: back + 1]).max()) >= range_deg:
            return stop
        return go + back

    def _settle(self, index: int, theta_deg: float) -> bool:
        """Held still for a second at `index`: near rest re-anchors the rest posture; far from it, or
        out of the movement plane, means the strap moved or the person changed position.
        True when it re-anchored (the search for reps may go on right after `index`)."""
        assert self._cal is not None
        self._tilt_floor_deg = np.inf  # whatever follows is measured afresh from here
        held_up_s = self._held_up(index)
        u_now = self._hist.get("u", index, index + 1)[0]
        off_plane = abs(float(u_now @ self._cal.flexion_axis_s)) > self._off_plane_cos
        if self._stance and abs(theta_deg) > self._min_range_deg and not self._stance_shifted(index, theta_deg):
            if 0 <= self._stance_from < index and self._is_standing(held_up_s):
                # Standing after a band-walk set: the next set may be stepped from a quarter squat
                # a few degrees deeper or shallower, which this stance would not count from.
                self._find_stance_again(index, held_up_s)
                return False
            if index < self._stance_from:
                self._standing_up_s = held_up_s  # standing before the set: what standing looks like
            # Standing before the set, or held away from the stance mid-set (a step held, or the
            # orientation off for a while after a dropout): steps count once back in it.
            self._cursor = index + 1
            self._still_run = self._still_n
            self._in_stance = False
            return False
        # (A band walk held a little off its stance mid-set: the stance has shifted; follow it.)
        # Resting a few degrees off the rest posture, in the plane (a lying adjustment): rest has
        # shifted, the axis has not. Refitting the axis on the next reps could take in knee drift,
        # which in small movements (a 5–10° shank bridge) turns the segment as much as the rep.
        if abs(theta_deg) > max(self._min_range_deg, self.settings.rest_shift_deg) or off_plane:
            self._restart_calibration(index)
            return False
        if not self._stance and self._tracker.open_rep_count > 0 and theta_deg > self._thr_deg:
            # Held above rest during a set: a pause on the way down (bridges are lowered unevenly),
            # not a new rest. Rest stays; the next rep is measured from here unless it goes lower.
            self._floor_deg = theta_deg
        else:
            self._reanchor(held_up_s)
        self._cursor = index + 1
        self._still_run = self._still_n
        return True

    def _rep_start(self, onsets: np.ndarray, up: int, lower: int, theta: FloatArray) -> int:
        """The last moment before the up-crossing the segment moved slower than `onset_dps`."""
        i = int(onsets.searchsorted(up)) - 1
        if i >= 0 and onsets[i] >= lower:
            return int(onsets[i])
        return lower + int(np.argmin(theta[lower : up + 1]))

    def _close_set_if_due(self, t: FloatArray, limit: int, lead: int) -> None:
        due = self._tracker.break_due_s()
        if due is None or limit <= 0 or due + self._boundary_delay_s > t[limit - 1]:
            return  # not due before `limit` (a plain comparison: called once per rep)
        i = int(t.searchsorted(due + self._boundary_delay_s))
        if i < limit:
            self._events += self._tracker.close(float(t[i]) - self._boundary_delay_s)

    def _rep_drift(self, a: int, b: int, theta: FloatArray) -> _RepDrift | None:
        """Drift toward the midline over samples [a, b) (angles `theta`) relative to the rep's start."""
        if not self.geometry.drift_observable(self._gyro):
            return None
        assert self._cal is not None and self._knee_s is not None
        if self._gyro:
            quat = self._hist.get("quat", a, b)
            axis_e = rotate_one(quat[0], self._cal.flexion_axis_s)
            medial_e = medial_axis_earth(self.geometry, self.ctx.side, axis_e)
            own = None
            plane = self.ctx.reference.plane_cal if self.ctx.reference is not None else None
            if plane is not None and self._sweeps_thigh_plane():  # the reference decides (settings)
                basis = calibration_basis(self._cal.flexion_axis_s, self._cal.rest_up_s)
                own = plane_drift_gyro(quat, self._knee_s, np.asarray(plane), basis, medial_e)
            elif self.settings.drift_own_plane and self.geometry.plane == "sagittal":  # drift.own_plane_drift_gyro
                fit_deg = self.settings.drift_axis_fit_share_of_min_range * self._min_range_deg
                own = own_plane_drift_gyro(quat, self._knee_s, medial_e, np.maximum.accumulate(theta) - theta[0],
                                           fit_deg, self.settings.drift_axis_min_sweep_deg)
            angle = own if own is not None else medial_angle_gyro(quat, knee_medial_form(self._knee_s, medial_e))
        else:
            medial_e = None
            angle = medial_angle_tilt(
                self._hist.get("u", a, b), self._knee_s, self._cal.flexion_axis_s, self.geometry, self.ctx.side
            )
        angle -= angle[0]  # a fresh array: relative to the rep's start in place
        return _RepDrift(drift_deg=angle, medial_e=medial_e, max_deg=float(angle.max()))

    def _sweeps_thigh_plane(self) -> bool:
        """A thigh with a gyroscope in a sagittal exercise: where a person's plane is measured."""
        return self._gyro and self.geometry.plane == "sagittal" and self.ctx.placement == "thigh"

    def _maybe_warn(
        self, drift: _RepDrift | None, start: int, t: FloatArray, theta: FloatArray, finished: bool = True
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
        if not finished and not self._looks_like_rep(float(t[0]), float(t[-1])):
            return None
        if self.ctx.reference is None:
            # One limit for every sample (it scales with depth only against a reference): most reps
            # never reach it, which their largest drift tells before any per-sample array is made
            # (a NaN maximum tells nothing: the full test below decides then).
            if drift.max_deg <= self._tracker.drift_threshold_deg():
                return None
        depth = np.maximum.accumulate(theta) - theta[0]
        threshold = self._tracker.drift_threshold_deg(depth)  # per sample: a reference scales with depth
        over = drift.drift_deg > threshold
        if not over.any():  # most reps: no need to look further
            return None
        crossing = over & (depth >= self._min_range_deg)
        i = int(crossing.argmax())  # the first crossing (argmax stops at the first True)
        if not crossing[i]:
            return None
        value = float(drift.drift_deg[i])
        threshold = float(threshold[i] if isinstance(threshold, np.ndarray) else threshold)
        warning = RepWarning(
            kind="knee_drift",
            t_s=float(t[i]) - self._delay_s,
            value_deg=value,
            threshold_deg=threshold,
            message=f"knee drifting inward: {value:.0f}° past the rep's own line (limit {threshold:.0f}°)",
        )
        if self._warned_start != start:  # once per rep, however often an open rep is looked at
            self._warned_start = start
            set_index, rep_index = self._tracker.position_for(float(t[0]) - self._boundary_delay_s)
            self._events.append(DriftWarning(set_index=set_index, rep_index=rep_index, warning=warning))
        return warning

    def _decided_until(self) -> int:
        """The first sample whose rep decisions may still change: the cursor, an open rep's start,
        a calibration or stance search that will replay its stretch."""
        frontier = self._cursor
        if self._open is not None:
            frontier = min(frontier, self._open[0])
        if self._mode == Mode.UNCALIBRATED:
            frontier = min(frontier, self._cal_start)
        elif self._mode == Mode.FINDING_STANCE:
            frontier = min(frontier, self._search_from)
        return frontier

    def _search_unclaimed(self, until: int, whole: bool = False, next_rep_s: float | None = None) -> None:
        """Count the clearly repeated movement in the samples no counted rep covers, up to `until`.

        Searched in stretches of `repetition_search_s` from where the unclaimed samples begin (fixed
        indices, so chunking does not matter); the last, shorter stretch only when `whole` (the
        next rep was counted, or the stream ended).
        """
        while True:
            a = self._unclaimed_from
            b = a + self._unclaimed_n
            if b > until:
                if not whole or until - a <= 0:
                    return
                b = until
            self._count_repetitions(a, b, next_rep_s if b == until else None)
            self._unclaimed_from = b
            if b == until:
                return

    def _count_repetitions(self, a: int, b: int, next_rep_s: float | None) -> None:
        """Reps of a clearly repeated movement in [a, b) as sets of their own: none within a set
        break of a rep the finder counted (their ranges are not on the finder's scale, so they do
        not join its sets)."""
        s = self.settings
        if not self.geometry.one_excursion_per_rep:
            return
        a = max(a, self._hist.base)
        if b - a < 2:
            return
        t = self._hist.get("t", a, b)
        shift = self._boundary_delay_s
        gap_s = s.set_break_s
        # Most stretches lie between two reps of a set: no room there for a set of its own.
        room_from_s = float(t[0]) - shift
        # A rep the finder counted alone (no set of its own yet) claims no room: it may be one
        # excursion of a set the finder cannot follow (a shank sit-to-stand, standing up from a chair).
        claimed_s = self._finder_end_s if self._finder_run >= s.min_reps_per_set else None
        if claimed_s is not None:
            room_from_s = max(room_from_s, claimed_s + gap_s)
        room_to_s = float(t[-1]) - shift if next_rep_s is None else min(float(t[-1]) - shift, next_rep_s - gap_s)
        if room_to_s - room_from_s < s.min_reps_per_set * s.min_rep_duration_s:
            return
        acc = self._hist.get("acc", a, b)
        # Strides the finder saw here (sets.SetTracker._strode_before): a run around them is gait.
        self._tracker.forget_strides_before(float(t[0]) - shift)
        strides = t.searchsorted(np.asarray(self._tracker.stride_ends_s) + shift)
        reps = find_repetitions(
            principal_angle_deg(self._hist.get("u", a, b)),
            impact_g(acc, self.rate_hz, self.settings.gait_impact_window_s),
            self.rate_hz,
            self.settings,
            acc if self._lowers_body else None,
            strides[strides < t.size],
            quickest_s=None if self._gyro else s.min_quick_duration_s(self.ctx.exercise),
        )
        reps = [
            r
            for r in reps
            if (claimed_s is None or float(t[r.start]) - shift - claimed_s > gap_s)
            and (next_rep_s is None or next_rep_s - (float(t[r.end]) - shift) > gap_s)
        ]
        if len(reps) < self.settings.min_reps_per_set:
            return
        for rep in reps:
            candidate = RepCandidate(
                start_s=float(t[rep.start]) - shift,
                peak_s=float(t[rep.peak]) - shift,
                end_s=float(t[rep.end]) - shift,
                range_deg=rep.range_deg,
                knee_drift_deg=None,
                calibrated=False,
            )
            self._repetition_reps += 1
            self._events += self._tracker.accept(candidate, now_s=float(t[-1]) - shift)

    def _recording_edges(self, a: int, b: int, period_n: float) -> tuple[float, float]:
        """Sample indices into [a, b) within a period of the recording's first sample and (once
        the stream has ended) its last, as `explained_by_period` takes them."""
        start = period_n if a == 0 else -np.inf
        end = b - a - 1 - period_n if self._ended and b == self._hist.end else np.inf
        return start, end

    def _finder_cycle_repeats(self, angle_deg: FloatArray, reps: list[Rep]) -> bool:
        """Whether the set's angle correlates with itself by `repetition_min_autocorrelation` at
        the finder's own spacing (its reps' median start-to-start time, give or take the share of it
        `repetition_least_share_of_period` leaves): then each rep it counted is a whole period of
        the movement, even where a longer period lines up better (a person's knee-valgus reps
        alternating in shape). A shank's stand-up and sit-down tilts, unlike each other and unevenly
        spaced, do not correlate at that spacing (tuning seeds: −0.1–0.23; squats 0.5)."""
        s = self.settings
        cycle_n = float(np.median(np.diff([r.start_s for r in reps]))) * self.rate_hz
        slack = 1.0 - s.repetition_least_share_of_period
        lo, hi = int(cycle_n * (1.0 - slack)), int(np.ceil(cycle_n * (1.0 + slack)))
        corr = autocorrelation(angle_deg, min(hi + 1, angle_deg.size))
        if corr is None or lo >= corr.size:
            return False
        return float(corr[max(lo, 1) :].max()) >= s.repetition_min_autocorrelation

    def _forget_unrecountable(self) -> None:
        """Dropped reps no later closing can recount with its set (sets.SetTracker
        `_recount_with_dropped`: a set's first rep starts no earlier than the open set's, or than a
        rep the finder may still count, `max_rep_duration_s` and its onset look-back before what is
        decided): forgotten, so their samples need not be kept."""
        s = self.settings
        frontier = self._decided_until()
        if frontier <= self._hist.base:
            return
        earliest_s = float(self._hist.get("t", frontier - 1, frontier)[0]) - self._boundary_delay_s
        earliest_s -= s.max_rep_duration_s + s.rep_onset_look_back_s
        open_s = self._tracker.open_start_s
        if open_s is not None:
            earliest_s = min(earliest_s, open_s)
        self._tracker.forget_dropped_before(earliest_s - s.repetition_search_s)

    def _recount_set(self, reps: list[Rep]) -> list[Rep]:
        """A closing set's reps, recounted from its whole repeated pattern where that explains the
        finder's reps (repetition.explained_by_period): a period rep holding several of them is one
        rep (their extremes' largest, its warnings all), one holding none is a rep of its own
        ("calibration uncertain": counted from the movement), one holding one keeps it as it is.
        Searched over the set and a set break on each side, so the rep before or after the first
        and last the finder saw is whole; a set the pattern counted already is left as it is."""
        s = self.settings
        if len(reps) < 2 or not all(r.calibrated for r in reps):
            return reps
        shift = self._boundary_delay_s
        t_all = self._hist.get("t", self._hist.base, self._hist.end)
        a = self._hist.base + max(0, int(t_all.searchsorted(reps[0].start_s + shift)) - self._recount_margin_n)
        b = min(self._hist.end, self._hist.base + int(t_all.searchsorted(reps[-1].end_s + shift)) + self._recount_margin_n)
        if b - a < 4:
            return reps
        t = self._hist.get("t", a, b)
        angle = principal_angle_deg(self._hist.get("u", a, b))
        # The period of the set itself (from the finder's first rep to its last): the rests around
        # it would weigh in the correlation as much as the reps.
        inner = slice(int(t.searchsorted(reps[0].start_s + shift)), int(t.searchsorted(reps[-1].end_s + shift)))
        # Looked for down to the quickest rep the finder counts: continuous squats at 1 s per rep
        # repeat every rep, not every second one.
        quickest_s = s.min_quick_duration_s(self.ctx.exercise)
        period_s = repeat_period_s(angle[inner], self.rate_hz, s, quickest_s)
        if period_s is None:
            return reps  # no whole pattern to count by
        whole_reps = self._finder_cycle_repeats(angle[inner], reps)
        edges = self._recording_edges(a, b, period_s * self.rate_hz)
        if whole_reps and edges == (-np.inf, np.inf):
            # Its reps are whole periods: only a period it missed between two of them could be
            # added, and there is room for one only where two start a period and more apart (a rep
            # is never nearer its neighbours than `repetition_least_share_of_period` of it). Most
            # sets end here, before the search for their extremes (a third of the hour's analysis).
            room_s = 2.0 * s.repetition_least_share_of_period * period_s
            if float(np.diff([r.start_s for r in reps]).max()) < room_s:
                return reps
        acc = self._hist.get("acc", a, b)
        period_reps = find_repetitions(
            angle, impact_g(acc, self.rate_hz, s.gait_impact_window_s), self.rate_hz, s,
            acc if self._lowers_body else None, period_s=period_s, shortest_s=quickest_s,
        )
        if len(period_reps) < s.min_reps_per_set:
            return reps
        if len(period_reps) < len(reps) and whole_reps:
            return reps  # the movement repeats at the finder's own spacing: its reps are whole reps
        def index(times: list[float]) -> NDArray[np.intp]:
            """Rep times to sample indices into [a, b)."""
            return t.searchsorted(np.asarray(times) + shift)

        groups = explained_by_period(
            index([r.peak_s + self._delay_s - shift for r in reps]),  # a peak is moved back by the angle's delay
            index([r.start_s for r in reps]), index([r.end_s for r in reps]), period_reps, period_s * self.rate_hz, edges,
        )
        if groups is None or (whole_reps and any(len(g) > 1 for g in groups)):
            return reps  # (where its reps are whole periods, none of them is merged with another)
        out: list[Rep] = []
        for group, found in zip(groups, period_reps, strict=True):
            if len(group) == 1:
                out.append(reps[group[0]])
            elif group:
                parts = [reps[k] for k in group]
                top = max(parts, key=lambda r: r.range_deg)
                drifts = [r.knee_drift_deg for r in parts if r.knee_drift_deg is not None]
                out.append(replace(
                    top, start_s=parts[0].start_s, end_s=parts[-1].end_s, down_s=top.peak_s - parts[0].start_s,
                    up_s=parts[-1].end_s - top.peak_s, warnings=tuple(w for r in parts for w in r.warnings),
                    knee_drift_deg=max(drifts) if drifts else top.knee_drift_deg,
                ))
            else:
                start_s, peak_s, end_s = (float(t[i]) - shift for i in (found.start, found.peak, found.end))
                out.append(Rep(
                    index=0, start_s=start_s, peak_s=peak_s, end_s=end_s, range_deg=found.range_deg,
                    down_s=peak_s - start_s, up_s=end_s - peak_s, knee_drift_deg=None, calibrated=False,
                ))
                self._repetition_reps += 1
        # A rep counted from the pattern starts where the finder's before it ended, and ends where
        # the finder's after it starts (its extremes' edges are the movement's, not the finder's).
        for i in range(1, len(out)):
            before, rep = out[i - 1], out[i]
            if rep.start_s < before.end_s:
                if not rep.calibrated:
                    out[i] = replace(rep, start_s=min(before.end_s, rep.peak_s), down_s=rep.peak_s - min(before.end_s, rep.peak_s))
                elif not before.calibrated:
                    out[i - 1] = replace(before, end_s=max(rep.start_s, before.peak_s), up_s=max(rep.start_s, before.peak_s) - before.peak_s)
        return out

    def _drift_sees(self) -> str:
        if not self.geometry.drift_observable(self._gyro):
            if self.geometry.drift_defined:
                return "nothing: the knee turning in turns this segment about the vertical, which needs a gyroscope"
            return "nothing: this segment sweeps no plane the knee could drift out of"
        if self._gyro:
            return "out-of-plane rotation incl. about vertical"
        return "segment tilt out of its plane only (no gyroscope)"

    def _looks_like_rep(self, start_s: float, now_s: float) -> bool:
        """An unfinished movement that is a rep by what is known so far: it belongs to the set in
        progress, or it has lasted a rep's minimum duration (walking strides are quicker)."""
        shift = self._boundary_delay_s
        in_set = self._tracker.open_rep_count > 0 and self._tracker.position_for(start_s - shift)[1] > 1
        return in_set or now_s - start_s >= self.settings.min_duration_s(self.ctx.exercise)

    def _judge_rep(
        self, start: int, theta: FloatArray, t: FloatArray, low_before: float = np.inf, peak: int = -1
    ) -> None:
        """Count the movement over samples [start, start + theta.size) as a rep unless it is not one.

        `low_before`: the lowest angle between the previous rep and this one's start; the range
        is measured from it when the start was detected a little late (noisy, slow onsets).
        `peak`: index of the highest angle in `theta` when the caller already knows it.
        Drift is measured only for movements that pass as reps: a finished movement that does not
        count (a stride, a fidget) raises no warning."""
        if peak < 0:
            peak = int(theta.argmax())
        shift = self._boundary_delay_s
        self._last_end_idx = start + theta.size - 1
        range_deg = float(theta[peak] - min(float(theta[0]), low_before))
        if start == 0:
            # The recording began during this rep: its start was not recorded, so it is measured on
            # its way back too (a set filmed from its first rep's descent).
            range_deg = max(range_deg, float(theta[peak] - theta[-1]))
        from_stance_deg = max(self._min_range_deg, self.settings.stance_start_share_of_range * range_deg)
        if self._stance and abs(float(theta[0])) > from_stance_deg:
            return  # did not start from the stance: walking or standing up between sets, not a step
        candidate = RepCandidate(
            start_s=float(t[0]) - shift,
            peak_s=float(t[peak]) - self._delay_s,
            end_s=float(t[-1]) - shift,
            range_deg=range_deg,
            knee_drift_deg=None,
            cut=start == 0,
        )
        still = self._hist.get("speed", start, start + theta.size) < self.settings.still_dps
        candidate.hold_s = float(run_lengths(still, 0).max()) / self.rate_hz  # judged at the set's end
        candidate.past_rest_deg = max(0.0, -float(theta.min()))  # angles are measured from rest
        acc = self._hist.get("acc", start, start + theta.size)  # the rep's own samples: chunking-proof
        candidate.quick_load = lambda gait_impact_g: self._quick_load(acc, theta, gait_impact_g)
        rejected = self._tracker.rejects(candidate)  # judged on the movement seen (a shank: its swing)
        candidate.quick_load = None  # it reads the history's rows, which move on
        if rejected:
            return
        drift = self._rep_drift(start, start + theta.size, theta)
        warning = self._maybe_warn(drift, start, t, theta)
        if drift is not None and self.rep_axes_cal is not None and self._sweeps_thigh_plane():
            # the rep's own plane, asked for and read by personal_reference.build_reference_checked
            assert self._cal is not None and self._knee_s is not None
            axis = whole_rep_axis_cal(self._hist.get("quat", start, start + theta.size), self._knee_s,
                                      np.maximum.accumulate(theta) - theta[0],
                                      calibration_basis(self._cal.flexion_axis_s, self._cal.rest_up_s),
                                      self.settings.drift_axis_min_sweep_deg)
            if axis is not None:
                self.rep_axes_cal[candidate.start_s] = axis
        if drift is not None:
            candidate.knee_drift_deg = drift.max_deg
            candidate.drift_limit_deg = float(self._tracker.drift_threshold_deg(range_deg))
        candidate.warnings = (warning,) if warning is not None else ()
        if self._stance:
            candidate.step = self._band_walk_step(start, peak, drift)
        candidate = self._whole_step(candidate)
        if drift is not None:  # the drift trace shows counted reps only
            self._put_trace(start, start + theta.size, theta, drift.drift_deg)
        self._search_unclaimed(start, whole=True, next_rep_s=candidate.start_s)
        self._unclaimed_from = max(self._unclaimed_from, start + theta.size)
        apart = self._finder_end_s is None or candidate.start_s - self._finder_end_s > self.settings.set_break_s
        self._finder_run = 1 if apart else self._finder_run + 1
        self._finder_end_s = candidate.end_s
        self._events += self._tracker.accept(candidate, now_s=float(t[-1]) - shift)

    def _quick_load(self, acc: FloatArray, theta: FloatArray, gait_impact_g: float) -> tuple[float, bool]:
        """(impact_g, body_drop) of a rep's samples for `SetTracker.rejects`; the body-drop test
        only where the load is a stride's (below it, it decides nothing)."""
        magnitude_g = acc_magnitude_g(acc)  # once for both tests
        impact = impact_rms_g(acc, self.rate_hz, self.settings.gait_impact_window_s, magnitude_g)
        drop = impact > gait_impact_g and self._lowers_body and drop_explains_load(
            acc, theta, self.rate_hz, self.settings, magnitude_g
        )
        return impact, drop

    def _whole_step(self, rep: RepCandidate) -> RepCandidate:
        """A band-walk shank's step widened from its swing to the whole step (`whole_step_span`);
        without lead/trail (no gyroscope) the swing is all that is reported."""
        if not self._swing_only or rep.step is None:
            return rep
        start_s, end_s = whole_step_span(
            rep.start_s, rep.end_s, rep.step, self.settings.loaded_per_swing_share, self._tracker.last_end_s
        )
        return replace(rep, start_s=start_s, end_s=end_s)

    def _band_walk_step(self, start: int, peak: int, drift: _RepDrift | None) -> Step | None:
        """Lead or trail (`stance.step_side`), judged on the first part of the step's excursion."""
        if not self._gyro or drift is None or drift.medial_e is None:
            return None
        if self._tilt:
            # The thigh's tilt has no fitted plane to take medial from; the step itself shows it.
            assert self._cal is not None
            knee_end = rotate_one(self._hist.get("quat", start + peak, start + peak + 1)[0], -self._cal.rest_up_s)
            outward = outward_of_knee(knee_end)
            if outward is None:
                return None
            lateral_e = outward
        else:
            lateral_e = -drift.medial_e
        stop = start + max(2, int(self.settings.lead_share_of_excursion * peak))
        return step_side(self._hist.get("quat", start, stop), self._hist.get("acc", start, stop), lateral_e)

    # ---------------------------------------------------------------- output
    def _put_trace(self, a: int, b: int, theta: FloatArray, drift: FloatArray | None) -> None:
        """Trace the samples [a, b) (their angle, and drift when given)."""
        if b > a:
            self._trace.put(a, self._hist.get("t", a, b), theta, drift)

    def _refresh_state(self) -> None:
        end = self._hist.end
        if end == 0:
            return
        last = end - 1
        st = self.state
        st.t_s = float(self._hist.get("t", last, end)[0])
        st.calibrated = self._basis is not None and self._mode != Mode.UNCALIBRATED
        st.angle_deg = float(self._theta(last, end)[0]) if st.calibrated else float("nan")
        st.drift_deg = float("nan")
        st.phase = "rest"
        if self._open is not None and st.calibrated:
            start, drift = self._open
            theta = self._theta(start, end)
            st.phase = "down" if int(theta.argmax()) >= theta.size - 2 else "up"
            if drift is not None:
                st.drift_deg = float(drift.drift_deg[-1])
        st.set_index = self._tracker.open_set_index
        st.rep_count = self._tracker.open_rep_count
        st.drift_threshold_deg = self._tracker.drift_threshold_deg()

    def end_set(self) -> list[Event]:
        """The user ends the set now (a manual key): the next counted rep starts a new set.

        Decided at the newest sample fed so far, so a replay that presses the key at the same
        point gets the same sets; without the key, sets end by themselves after `set_break_s`.
        """
        if self._hist.end == 0:
            return []
        now_s = float(self._hist.get("t", self._hist.end - 1, self._hist.end)[0])
        self._events = self._withdrawals.review(self._events)  # reps counted but not handed out yet
        return self._withdrawals.review(self._tracker.close(now_s - self._boundary_delay_s))

    def drain_events(self) -> list[Event]:
        """Events raised since they were last handed out (`feed` returns them; after `finish`, the
        last set's end is collected here)."""
        events, self._events = self._withdrawals.review(self._events, handed_out=True), []
        return events

    def finish(self) -> AnalysisResult:
        """End of stream: close the open set and return the whole session's result."""
        self._run()
        if self._open is not None and self._mode == Mode.CALIBRATED:
            # The recording stopped on the way back up: still a rep if it was past half-way home.
            # (Counting a rep cut nearer its far end was tried: real recordings end with movements
            # that are no reps, MEx s08 of the tuning half read 11 bridges for 9.)
            start = self._open[0]
            end = self._hist.end
            theta = self._theta(start, end)
            if theta[-1] < self.settings.return_share_of_peak * float(theta.max()):
                self._judge_rep(start, theta, self._hist.get("t", start, end))
        self._open = None
        self._ended = True  # the set closed now may end with the recording (`_recording_edges`)
        self._search_unclaimed(self._hist.end, whole=True)
        self._events += self.end_set()  # the stream's end ends the last set, like the key does
        self._refresh_state()
        calibration: dict[str, object] = {
            "mode": "gyro+acc (VQF)" if self._gyro else "acc only (gravity)",
            "drift_sees": self._drift_sees(),
            "calibrations": self._calibrations,
            "analysis_rate_hz": round(self.rate_hz, 3),
            # Reps counted from the movement's own repetition where the calibrated finder counted
            # none: their boundaries are the movement's, their drift is not measured.
            "uncertain_reps": self._repetition_reps,
        }
        if self._cal is not None:
            calibration["flexion_axis_sensor"] = [round(float(x), 4) for x in self._cal.flexion_axis_s]
            calibration["rest_up_sensor"] = [round(float(x), 4) for x in self._cal.rest_up_s]
        trace = self._trace.result()
        return AnalysisResult(context=self.ctx, sets=self._tracker.sets, calibration=calibration, trace=trace)


def analyze(
    t_s: FloatArray,
    acc_g: FloatArray,
    gyro_dps: FloatArray | None,
    ctx: AnalysisContext,
    settings: AnalysisSettings | None = None,
) -> AnalysisResult:
    """Batch form: the streaming analyzer fed everything at once (identical results by design)."""
    analyzer = StreamingAnalyzer(ctx, settings)
    analyzer.feed(t_s, acc_g, gyro_dps)
    return analyzer.finish()

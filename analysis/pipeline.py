"""The analysis pipeline, streaming first: `analyze` is the streaming analyzer fed one block.

Data flow per fed block (all causal, all state carried between calls):
  raw samples → anti-alias + decimate to ~50 Hz → VQF orientation (or low-passed gravity) →
  gravity direction u and rotation rate w → segment angle θ about the calibrated flexion axis →
  an event-driven rep state machine → sets, drift, warnings.
Every decision depends only on samples up to the one being judged and is taken at a definite
sample index, so any chunking of the stream gives the same reps, sets and warnings as one batch.
The state machine searches windows of samples with numpy and only loops in Python per event,
which keeps the whole pipeline above 2 M input samples/s (benchmarks/bench_pipeline.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sensortrack.analysis.calibration import Calibration, angle_about, calibrate
from sensortrack.analysis.context import AnalysisContext
from sensortrack.analysis.drift import medial_angle_gyro, medial_angle_tilt, medial_axis_earth
from sensortrack.analysis.filtering import CausalLowPass, Decimator
from sensortrack.analysis.geometry import GEOMETRY, knee_vector_s
from sensortrack.analysis.history import History
from sensortrack.analysis.orientation import (
    STANDARD_GRAVITY_MS2,
    OrientationTracker,
    cross_rows,
    rotate_to_earth,
    unit_rows,
    up_in_sensor,
)
from sensortrack.analysis.results import (
    AnalysisResult,
    DriftWarning,
    Event,
    Phase,
    RepWarning,
    Trace,
)
from sensortrack.analysis.sets import RepCandidate, SetTracker
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.model import FloatArray

ANALYSIS_RATE_HZ = 50.0  # thigh/shank movement is below 6 Hz; 50 Hz keeps 20 ms rep timing
TRACE_RATE_HZ = 10.0
_WINDOW = 256  # samples searched per numpy pass
_STILL_DPS = 12.0  # slower than this counts as holding still
_STILL_S = 1.0  # this long still re-anchors the rest posture (or reveals a new posture)
_START_SHARE = 0.3  # a rep starts once the angle passes this share of the exercise's minimum range
_ONSET_DPS = 3.0  # ... and its start is the last moment it moved slower than this
_RETURN_SHARE = 0.5  # past this share of the way back, the rep ends where the movement stops
_STOP_SHARE = 0.03  # "stops": slower than this share of the fastest return speed
_OUT_OF_PLANE_COS = 0.5  # gravity this close to the flexion axis: the posture has changed (>30°)
_CAL_MAX_S = 30.0  # calibration stretch older than this restarts from its last half
_TRY_EVERY = 25  # analysis samples between calibration attempts once enough has moved
_LEAD_SHARE = 0.4  # band walk: the first 40 % of the excursion decides lead vs trail

_UNCALIBRATED, _REST, _IN_REP = "uncalibrated", "rest", "in_rep"


@dataclass(slots=True)
class LiveState:
    """What a live display shows between events; refreshed at the end of every `feed`."""

    t_s: float = 0.0
    angle_deg: float = float("nan")
    drift_deg: float = float("nan")
    phase: Phase = "rest"
    calibrated: bool = False
    set_index: int | None = None
    rep_count: int = 0
    drift_threshold_deg: float = 0.0


@dataclass(slots=True)
class _RepInProgress:
    start: int
    theta_start: float
    max_theta: float
    max_idx: int
    min_rate: float  # most negative angular rate seen on the way back
    drift_base: float
    medial_e: FloatArray | None
    drift_max: float
    threshold_deg: float
    warning: RepWarning | None = None


class StreamingAnalyzer:
    """Feed blocks of any size; get rep and warning events as they happen; `finish` for the result."""

    def __init__(self, ctx: AnalysisContext, settings: AnalysisSettings | None = None) -> None:
        self.ctx = ctx
        self.settings = settings or AnalysisSettings()
        self.geometry = GEOMETRY[(ctx.exercise, ctx.placement)]
        self._gyro = ctx.has_gyro
        channels = 6 if self._gyro else 3
        self._decimator = Decimator(ctx.rate_hz, ANALYSIS_RATE_HZ, channels)
        self.rate_hz = self._decimator.out_rate_hz
        self._dt_s = 1.0 / self.rate_hz
        s = self.settings
        self._lowpass = CausalLowPass(s.lowpass_hz, self.rate_hz, s.lowpass_order, 3)
        self._orientation = OrientationTracker(self.rate_hz, s.vqf_tau_acc_s) if self._gyro else None
        # Reported times are moved back by the filters' delay so reps line up with the movement.
        # The angle comes from VQF (no low-pass) with a gyro, from low-passed gravity without; rep
        # starts and ends are found from the low-passed angular rate in both cases.
        lowpass_s = self._lowpass.group_delay_s(self.rate_hz)
        self._delay_s = self._decimator.group_delay_s(ctx.rate_hz) + (0.0 if self._gyro else lowpass_s)
        self._boundary_delay_s = self._decimator.group_delay_s(ctx.rate_hz) + lowpass_s
        self._hist = History(with_quat=self._gyro)
        self._prev_u: FloatArray | None = None
        self._cursor = 0
        self._mode = _UNCALIBRATED
        self._cal: Calibration | None = None
        self._knee_s: FloatArray | None = None
        self._cal_start = 0
        self._cum_rot_deg = 0.0
        self._ready_seen = False
        self._still_run = 0
        self._rep: _RepInProgress | None = None
        self._last_end_idx = -1
        self._tracker = SetTracker(ctx.exercise, ctx.placement, s)
        self._min_range_deg = s.min_range_deg(ctx.exercise, ctx.placement)
        self._still_n = int(round(_STILL_S * self.rate_hz))
        self._trace_every = max(1, int(round(self.rate_hz / TRACE_RATE_HZ)))
        self._trace_t: list[float] = []
        self._trace_theta: list[float] = []
        self._trace_drift: list[float] = []
        self._calibrations = 0
        self._events: list[Event] = []
        self.state = LiveState()

    # ---------------------------------------------------------------- input
    def feed(self, t_s: FloatArray, acc_g: FloatArray, gyro_dps: FloatArray | None = None) -> list[Event]:
        """Add samples (times in seconds, acc in g, gyro in °/s) and return the events they caused."""
        if self._gyro and gyro_dps is None:
            raise ValueError("this analyzer was set up for gyro data")
        raw = np.hstack((acc_g, gyro_dps)) if self._gyro else np.asarray(acc_g, dtype=np.float64)
        kept, positions = self._decimator.apply(np.asarray(raw, dtype=np.float64))
        if kept.shape[0]:
            self._append(np.asarray(t_s)[positions], kept)
        self._run()
        self._refresh_state()
        events, self._events = self._events, []
        return events

    def _append(self, t: FloatArray, kept: FloatArray) -> None:
        acc = kept[:, :3]
        if self._orientation is not None:
            gyro = kept[:, 3:6]
            quat = self._orientation.update(acc, gyro)
            u = up_in_sensor(quat)
            self._hist.append(t=t, u=u, w=self._lowpass.apply(gyro), gw=self._gravity_turn_rate(u), acc=acc, quat=quat)
            return
        u = unit_rows(self._lowpass.apply(acc))
        gw = self._gravity_turn_rate(u)
        self._hist.append(t=t, u=u, w=gw, gw=gw, acc=acc)

    def _gravity_turn_rate(self, u: FloatArray) -> FloatArray:
        """u × du/dt in °/s: the rotation gravity's direction shows, blind to turns about the vertical.

        The flexion axis is fitted to this rather than to the gyro, so a knee turning in about the
        vertical (the very drift we measure) cannot tilt the calibrated axis.
        """
        prev = u[:1] if self._prev_u is None else self._prev_u
        du = np.diff(np.vstack((prev, u)), axis=0) * self.rate_hz
        self._prev_u = u[-1:]
        return np.degrees(cross_rows(u, du))

    # ---------------------------------------------------------------- state machine
    def _run(self) -> None:
        end = self._hist.end
        while self._cursor < end:
            if self._mode == _UNCALIBRATED:
                self._step_uncalibrated(end)
            elif self._mode == _REST:
                self._step_rest(end)
            else:
                self._step_rep(end)
        keep_from = self._cursor - int(4 * self.rate_hz)
        if self._mode == _UNCALIBRATED:
            keep_from = min(keep_from, self._cal_start)
        if self._rep is not None:
            keep_from = min(keep_from, self._rep.start)
        self._hist.forget_before(keep_from)

    def _theta(self, a: int, b: int) -> FloatArray:
        assert self._cal is not None
        return angle_about(self._hist.get("u", a, b), self._cal.flexion_axis_s, self._cal.rest_up_s)

    def _theta_rate(self, a: int, b: int, theta: FloatArray) -> FloatArray:
        """Angular rate about the flexion axis (°/s): the gyro's when there is one."""
        assert self._cal is not None
        if self._gyro:
            return self._hist.get("w", a, b) @ self._cal.flexion_axis_s
        prev = self._theta(a - 1, a) if a - 1 >= self._hist.base else theta[:1]
        return np.diff(np.concatenate((prev, theta))) * self.rate_hz

    def _step_uncalibrated(self, end: int) -> None:
        a = self._cursor
        b = min(end, a + _WINDOW)
        speed = np.linalg.norm(self._hist.get("gw", a, b), axis=1)
        cum = self._cum_rot_deg + np.cumsum(speed) * self._dt_s
        t = self._hist.get("t", a, b)
        t0 = float(self._hist.get("t", self._cal_start, self._cal_start + 1)[0])
        ready = (cum >= 2.5 * self._min_range_deg) & (t - t0 >= 1.5)
        # Try at the first ready sample, then every _TRY_EVERY samples: fixed absolute indices, so
        # the attempts (and their outcome) do not depend on how the stream was chunked.
        absolute = np.arange(a, b)
        first_ready = (np.cumsum(ready) == 1) & (not self._ready_seen)
        tries = np.flatnonzero(ready & ((absolute % _TRY_EVERY == 0) | first_ready))
        self._ready_seen = self._ready_seen or bool(ready.any())
        self._cum_rot_deg = float(cum[-1])
        self._cursor = b
        for k in tries:
            i = a + int(k)
            if float(t[k]) - t0 > _CAL_MAX_S:  # no single movement plane yet: look at newer data
                self._restart_calibration(self._hist_index_at(float(t[k]) - _CAL_MAX_S / 2))
                return
            cal = calibrate(
                self._hist.get("u", self._cal_start, i + 1),
                self._hist.get("gw", self._cal_start, i + 1),
                self.rate_hz,
                rest_is_start=self.ctx.exercise == "bridge",
            )
            if cal is not None:
                self._cal = cal
                self._calibrations += 1
                self._set_knee()
                self._mode = _REST
                self._still_run = 0
                self._cursor = self._cal_start  # replay the calibration stretch: its reps count too
                return

    def _set_knee(self) -> None:
        assert self._cal is not None
        self._knee_s = knee_vector_s(self.geometry, self.ctx.placement, self._cal.rest_up_s, self._cal.flexion_axis_s)

    def _reanchor(self, rest_up_s: FloatArray) -> None:
        """The rest posture is here now: follow slow posture and orientation drift."""
        assert self._cal is not None
        self._cal = Calibration(self._cal.flexion_axis_s, rest_up_s / np.linalg.norm(rest_up_s), self._cal.swept_deg)
        self._set_knee()

    def _hist_index_at(self, t_s: float) -> int:
        t = self._hist.get("t", self._hist.base, self._hist.end)
        return self._hist.base + int(np.searchsorted(t, t_s))

    def _restart_calibration(self, index: int) -> None:
        self._mode = _UNCALIBRATED
        self._cal_start = max(index, self._hist.base)
        self._cursor = self._cal_start
        self._cum_rot_deg = 0.0
        self._ready_seen = False

    def _step_rest(self, end: int) -> None:
        assert self._cal is not None
        a = self._cursor
        b = min(end, a + _WINDOW)
        theta = self._theta(a, b)
        t = self._hist.get("t", a, b)
        w = self._hist.get("w", a, b)
        still = np.linalg.norm(w, axis=1) < _STILL_DPS
        run = _run_lengths(still, self._still_run)
        u = self._hist.get("u", a, b)
        off_plane = np.abs(u @ self._cal.flexion_axis_s) > _OUT_OF_PLANE_COS
        candidates: dict[str, int] = {}
        starts = np.flatnonzero(theta > _START_SHARE * self._min_range_deg)
        if starts.size:
            candidates["start"] = int(starts[0])
        settled = run == self._still_n
        moved_on = np.flatnonzero(settled & ((np.abs(theta) > self._min_range_deg) | off_plane))
        if moved_on.size:
            candidates["posture"] = int(moved_on[0])
        anchors = np.flatnonzero(settled)
        if anchors.size:
            candidates["anchor"] = int(anchors[0])
        due = self._tracker.break_due_s()
        if due is not None:
            late = np.flatnonzero(t >= due)
            if late.size:
                candidates["set_break"] = int(late[0])
        if not candidates:
            self._put_trace(a, b, theta, None)
            self._still_run = int(run[-1])
            self._cursor = b
            return
        kind = min(candidates, key=lambda k: (candidates[k], k != "posture"))
        i = candidates[kind]
        self._put_trace(a, a + i, theta[:i], None)
        self._still_run = int(run[i])
        if kind == "set_break":
            self._events += self._tracker.close(float(t[i]) - self._delay_s)
            self._cursor = a + i  # re-examine this sample for other events
        elif kind == "posture":
            # Still, but far from the rest posture or out of the movement plane: the strap moved or
            # the person changed position. Calibrate again from the next movement.
            self._restart_calibration(a + i)
        elif kind == "anchor":
            self._reanchor(self._hist.get("u", a + i - self._still_n + 1, a + i + 1).mean(axis=0))
            self._cursor = a + i + 1
            self._put_trace(a + i, a + i + 1, theta[i : i + 1], None)
        else:
            self._begin_rep(a + i)

    def _begin_rep(self, crossing: int) -> None:
        assert self._cal is not None and self._knee_s is not None
        look = max(self._hist.base, crossing - int(3 * self.rate_hz), self._last_end_idx + 1)
        theta = self._theta(look, crossing + 1)
        rate = self._theta_rate(look, crossing + 1, theta)
        onset = np.flatnonzero(rate[:-1] <= _ONSET_DPS)
        start = look + (int(onset[-1]) if onset.size else int(np.argmin(theta)))
        medial_e = None
        drift_base = 0.0
        if self.geometry.drift_defined:
            if self._gyro:
                quat0 = self._hist.get("quat", start, start + 1)
                axis_e = rotate_to_earth(quat0, self._cal.flexion_axis_s)[0]
                medial_e = medial_axis_earth(self.geometry, self.ctx.side, axis_e)
            drift_base = float(self._medial_angle(start, start + 1, medial_e)[0])
        theta_start = float(theta[start - look])
        self._rep = _RepInProgress(
            start=start,
            theta_start=theta_start,
            max_theta=theta_start,
            max_idx=start,
            min_rate=0.0,
            drift_base=drift_base,
            medial_e=medial_e,
            drift_max=-np.inf,
            threshold_deg=self._tracker.drift_threshold_deg(),
        )
        self._mode = _IN_REP
        self._cursor = start

    def _medial_angle(self, a: int, b: int, medial_e: FloatArray | None) -> FloatArray:
        assert self._cal is not None and self._knee_s is not None
        if self._gyro:
            assert medial_e is not None
            return medial_angle_gyro(self._hist.get("quat", a, b), self._knee_s, medial_e)
        return medial_angle_tilt(
            self._hist.get("u", a, b), self._knee_s, self._cal.flexion_axis_s, self.geometry, self.ctx.side
        )

    def _step_rep(self, end: int) -> None:
        rep = self._rep
        assert rep is not None and self._cal is not None
        a = self._cursor
        b = min(end, a + _WINDOW)
        theta = self._theta(a, b)
        rate = self._theta_rate(a, b, theta)
        t = self._hist.get("t", a, b)
        running_max = np.maximum(rep.max_theta, np.maximum.accumulate(theta))
        returning = (theta < _RETURN_SHARE * running_max) & (running_max > _START_SHARE * self._min_range_deg)
        running_min_rate = np.minimum(rep.min_rate, np.minimum.accumulate(np.where(returning, rate, 0.0)))
        stop_dps = np.maximum(_ONSET_DPS, _STOP_SHARE * np.abs(running_min_rate))
        ended = returning & (rate >= -stop_dps)
        t_start = float(self._hist.get("t", rep.start, rep.start + 1)[0])
        timed_out = (t - t_start) > self.settings.max_rep_duration_s
        drift = None
        crossing = np.empty(0, dtype=np.intp)
        if self.geometry.drift_defined:
            drift = self._medial_angle(a, b, rep.medial_e) - rep.drift_base
            if rep.warning is None:
                crossing = np.flatnonzero(drift > rep.threshold_deg)
        firsts = [int(x[0]) for x in (np.flatnonzero(ended), np.flatnonzero(timed_out), crossing) if x.size]
        stop = min(firsts) + 1 if firsts else len(theta)
        # Carry the running quantities up to and including the event sample.
        new_max = theta[:stop] >= running_max[:stop]
        if np.any(new_max):
            rep.max_idx = a + int(np.flatnonzero(new_max)[-1])
        rep.max_theta = float(running_max[stop - 1])
        rep.min_rate = float(running_min_rate[stop - 1])
        if drift is not None:
            rep.drift_max = max(rep.drift_max, float(np.max(drift[:stop])))
        self._put_trace(a, a + stop, theta[:stop], None if drift is None else drift[:stop])
        self._cursor = a + stop
        if not firsts:
            return
        i = stop - 1
        if crossing.size and int(crossing[0]) == i:
            assert drift is not None
            self._raise_warning(float(t[i]), float(drift[i]))
        if ended[i]:
            self._end_rep(a + i, float(theta[i]))
        elif timed_out[i]:  # longer than any real rep: the person sat down, knelt, or lay down
            self._rep = None
            self._restart_calibration(a + i)

    def _raise_warning(self, t_s: float, drift_deg: float) -> None:
        rep = self._rep
        assert rep is not None
        when = t_s - self._delay_s
        rep.warning = RepWarning(
            kind="knee_drift",
            t_s=when,
            value_deg=drift_deg,
            threshold_deg=rep.threshold_deg,
            message=f"knee drifting inward: {drift_deg:.0f}° past the rep's own line (limit {rep.threshold_deg:.0f}°)",
        )
        start_s = float(self._hist.get("t", rep.start, rep.start + 1)[0]) - self._delay_s
        set_index, rep_index = self._tracker.position_for(start_s)
        self._events.append(DriftWarning(set_index=set_index, rep_index=rep_index, warning=rep.warning))

    def _end_rep(self, end: int, theta_end: float) -> None:
        rep = self._rep
        assert rep is not None and self._cal is not None
        self._rep = None
        self._mode = _REST
        self._still_run = 0
        self._last_end_idx = end  # the next rep cannot reach back into this one
        t = self._hist.get("t", rep.start, end + 1)
        shift = self._boundary_delay_s
        range_deg = rep.max_theta - rep.theta_start
        candidate = RepCandidate(
            start_s=float(t[0]) - shift,
            peak_s=float(t[rep.max_idx - rep.start]) - self._delay_s,
            end_s=float(t[-1]) - shift,
            range_deg=range_deg,
            knee_drift_deg=rep.drift_max if self.geometry.drift_defined else None,
            warnings=(rep.warning,) if rep.warning is not None else (),
            step=self._band_walk_step(rep) if self.ctx.exercise == "band_walk" else None,
        )
        if self._tracker.rejects(candidate):
            return
        self._events += self._tracker.accept(candidate, now_s=float(t[-1]) - shift)
        if theta_end < 0.3 * range_deg:  # back at rest
            self._reanchor(self._hist.get("u", end, end + 1)[0])

    def _band_walk_step(self, rep: _RepInProgress) -> str | None:
        """Lead or trail: does the segment first accelerate sideways outward (lead) or inward?

        The lead leg swings out; the trail leg's hip moves away first while its foot stays, which
        pulls the thigh (and the sensor on it) toward the midline.
        """
        if not self._gyro or rep.medial_e is None:
            return None
        stop = rep.start + max(2, int(_LEAD_SHARE * (rep.max_idx - rep.start)))
        quat = self._hist.get("quat", rep.start, stop)
        acc_e = rotate_to_earth(quat, self._hist.get("acc", rep.start, stop)) * STANDARD_GRAVITY_MS2
        lateral_ms2 = -(acc_e @ rep.medial_e)
        return "lead" if float(np.sum(lateral_ms2)) > 0 else "trail"

    # ---------------------------------------------------------------- output
    def _put_trace(self, a: int, b: int, theta: FloatArray, drift: FloatArray | None) -> None:
        first = a + (-a) % self._trace_every
        if first >= b:
            return
        idx = np.arange(first, b, self._trace_every)
        slot0 = first // self._trace_every
        t = self._hist.get("t", a, b)[idx - a] - self._delay_s
        values_theta = theta[idx - a]
        values_drift = np.full(idx.size, np.nan) if drift is None else drift[idx - a]
        for column, values in ((self._trace_t, t), (self._trace_theta, values_theta), (self._trace_drift, values_drift)):
            missing = slot0 + idx.size - len(column)
            if missing > 0:
                column.extend([np.nan] * missing)
            column[slot0 : slot0 + idx.size] = values.tolist()

    def _refresh_state(self) -> None:
        if self._cursor == 0:
            return
        last = self._cursor - 1
        st = self.state
        st.t_s = float(self._hist.get("t", last, last + 1)[0])
        st.calibrated = self._cal is not None and self._mode != _UNCALIBRATED
        st.angle_deg = float(self._theta(last, last + 1)[0]) if st.calibrated else float("nan")
        rep = self._rep
        if rep is not None and self.geometry.drift_defined:
            st.drift_deg = float(self._medial_angle(last, last + 1, rep.medial_e)[0] - rep.drift_base)
        else:
            st.drift_deg = float("nan")
        if rep is None:
            st.phase = "rest"
        else:
            st.phase = "down" if rep.max_idx >= last - 1 else "up"
        st.set_index = self._tracker.open_set_index
        st.rep_count = self._tracker.open_rep_count
        st.drift_threshold_deg = rep.threshold_deg if rep is not None else self._tracker.drift_threshold_deg()

    def finish(self) -> AnalysisResult:
        """End of stream: close the open set and return the whole session's result."""
        self._run()
        rep = self._rep
        if rep is not None and self._cursor > rep.start:
            # The recording stopped on the way back up: still a rep if it was past half-way home.
            last = self._cursor - 1
            theta_last = float(self._theta(last, last + 1)[0])
            if theta_last < _RETURN_SHARE * rep.max_theta:
                self._end_rep(last, theta_last)
        self._rep = None
        last_t = float(self._hist.get("t", self._hist.end - 1, self._hist.end)[0]) if self._hist.end else 0.0
        self._events += self._tracker.close(last_t - self._delay_s)
        self._refresh_state()
        calibration: dict[str, object] = {
            "mode": "gyro+acc (VQF)" if self._gyro else "acc only (gravity)",
            "drift_sees": "out-of-plane rotation incl. about vertical"
            if self._gyro
            else "segment tilt out of its plane only (no gyroscope)",
            "calibrations": self._calibrations,
            "analysis_rate_hz": round(self.rate_hz, 3),
        }
        if self._cal is not None:
            calibration["flexion_axis_sensor"] = [round(float(x), 4) for x in self._cal.flexion_axis_s]
            calibration["rest_up_sensor"] = [round(float(x), 4) for x in self._cal.rest_up_s]
        trace = Trace(
            t_s=np.asarray(self._trace_t),
            angle_deg=np.asarray(self._trace_theta),
            drift_deg=np.asarray(self._trace_drift),
        )
        return AnalysisResult(context=self.ctx, sets=self._tracker.sets, calibration=calibration, trace=trace)


def _run_lengths(flags: np.ndarray, carry: int) -> np.ndarray:
    """Length of the run of True ending at each position, continuing a run of `carry` before."""
    idx = np.arange(flags.size)
    last_false = np.maximum.accumulate(np.where(~flags, idx, -1))
    run = idx - last_false
    return np.where(last_false < 0, run + carry, run)


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

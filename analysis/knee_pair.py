"""Thigh + shank of the same leg: the knee's own flexion and frontal-plane (valgus) angle per rep.

Reuses the single-sensor engine unchanged: a StreamingAnalyzer per segment finds the reps (the
thigh's are the session's reps; the shank's count where the thigh sensor dropped out), and each
segment's SignalFrontEnd gives its orientation (VQF, 6-D) at the analysis rate. Both streams must
already be on one timeline (clock_align.py for files; the recorder's host timeline live).

Per rep, with the knee's flexion axis j1 (thigh sensor frame), j2 (shank sensor frame) from the
functional calibration (knee_axis.py, Seel et al. 2012/2014):
- 6-D orientations share gravity but not heading, so the shank's heading is brought onto the
  thigh's by the angle δ that makes both sensors' hinge axes point the same way at the rep's start
  (standing, the knee in its own reference pose); δ at the rep's end too, and in between
  interpolated, which also takes out the slow relative heading drift of the two filters;
- the segments' long axes l1, l2 are 'up' at the rep's start, made perpendicular to the axis;
- in the thigh's frame (x = j1 × l1 forward, y = j1, z = l1) the shank's long axis v gives
  flexion = atan2(v·x, v·z) and frontal = s·asin(v·y) (Grood & Suntay's joint coordinate system;
  s = +1 right leg, −1 left: positive = valgus), as simulation/pair.py defines the truth.
The frontal angle then loses the part that follows flexion: an axis fitted a few degrees off turns
flexion into apparent frontal angle (a·sin f + b·(1 − cos f)), and a squat, turning both segments
about nearly one axis, leaves the hinge fit weakly conditioned in exactly that direction. a and b are
fitted on the calibration reps' descents up to half their depth, before knees cave (`_fit_crosstalk`).
The rep's knee drift is the frontal angle's largest change toward valgus from the straightest knee
before the rep's peak; past `knee_valgus_limit_deg` it is a knee_drift warning, no personal
reference needed. Everything is decided from samples inside the rep's own window once both
streams have covered it, so batch and any chunking of the streams agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from sensortrack.analysis.context import AnalysisContext
from sensortrack.analysis.exercise_rules import EXERCISE_RULES
from sensortrack.analysis.front_end import SignalFrontEnd
from sensortrack.analysis.history import History
from sensortrack.analysis.knee_axis import HingeAxes, fit_hinge_axes
from sensortrack.analysis.orientation import cross_rows, rotate_to_earth
from sensortrack.analysis.pair_settings import PairSettings
from sensortrack.analysis.pipeline import StreamingAnalyzer
from sensortrack.analysis.results import AnalysisResult, Event, Rep, RepCounted, RepWarning
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.model import FloatArray

METHOD = (
    "knee angle from both segments' orientations: flexion axis calibrated from the reps themselves "
    "(Seel et al. 2012/2014), headings matched on it at each rep's start and end; the frontal angle's "
    "part that follows flexion (fitted on the calibration reps' early descents) taken out"
)


@dataclass(frozen=True, slots=True)
class KneeRep:
    start_s: float  # the rep's start as the thigh's engine found it (its key)
    end_s: float
    flexion_range_deg: float
    peak_flexion_s: float
    valgus_deg: float  # largest frontal-plane change toward valgus
    warning: RepWarning | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "knee_flexion_range_deg": round(self.flexion_range_deg, 1),
            "knee_valgus_deg": round(self.valgus_deg, 1),
            "peak_flexion_s": round(self.peak_flexion_s, 3),
        }


@dataclass(frozen=True, slots=True)
class KneeMeasured:
    """Streaming event: a rep's knee angles are known (both sensors have covered it)."""

    knee: KneeRep


class _Segment:
    """One stream's orientation columns at the analysis rate, kept while reps may still need them."""

    def __init__(self, rate_hz: float, settings: AnalysisSettings) -> None:
        self._front = SignalFrontEnd(rate_hz, True, settings)
        self.rate_hz = self._front.rate_hz
        self._hist = History(with_quat=True)
        self.newest_s = -np.inf

    def feed(self, t_s: FloatArray, acc_g: FloatArray, gyro_dps: FloatArray) -> None:
        columns = self._front.apply(t_s, acc_g, gyro_dps)
        if columns is not None:
            self._hist.append(**columns)
            self.newest_s = float(columns["t"][-1])

    def _span(self, t0: float, t1: float) -> tuple[int, int]:
        h = self._hist
        t = h.get("t", h.base, h.end)
        return h.base + int(t.searchsorted(t0)), h.base + int(t.searchsorted(t1, side="right"))

    def window(self, t0: float, t1: float) -> dict[str, FloatArray]:
        a, b = self._span(t0, t1)
        return {k: self._hist.get(k, a, b) for k in ("t", "quat", "w", "u")}

    def forget_before(self, t_s: float) -> None:
        a, _ = self._span(t_s, t_s)
        self._hist.forget_before(a)


def _interp_rows(t_query: FloatArray, t: FloatArray, rows: FloatArray) -> FloatArray:
    return np.column_stack([np.interp(t_query, t, rows[:, k]) for k in range(rows.shape[1])])


def _interp_quat(t_query: FloatArray, t: FloatArray, quat: FloatArray) -> FloatArray:
    """Normalised linear interpolation (40 ms apart: indistinguishable from slerp here)."""
    q = quat.copy()
    flip = np.concatenate(([False], np.cumsum(np.einsum("ij,ij->i", q[1:], q[:-1]) < 0) % 2 == 1))
    q[flip] *= -1.0
    out = _interp_rows(t_query, t, q)
    return cast(FloatArray, out / np.linalg.norm(out, axis=1, keepdims=True))


def _perpendicular(v: FloatArray, axis: FloatArray) -> FloatArray:
    p = v - float(v @ axis) * axis
    return p / max(float(np.linalg.norm(p)), 1e-12)


def _rotate_z(v: FloatArray, angle_rad: FloatArray) -> FloatArray:
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    return np.column_stack((c * v[:, 0] - s * v[:, 1], s * v[:, 0] + c * v[:, 1], v[:, 2]))


class KneePairAnalyzer:
    """Feed the thigh's and the shank's samples (one timeline) in any chunks; `finish` for the result."""

    def __init__(
        self,
        thigh_ctx: AnalysisContext,
        shank_ctx: AnalysisContext,
        settings: AnalysisSettings | None = None,
        pair_settings: PairSettings | None = None,
    ) -> None:
        self.settings = settings or AnalysisSettings()
        self.pair_settings = pair_settings or PairSettings()
        self.thigh_ctx, self.shank_ctx = thigh_ctx, shank_ctx
        self.thigh = StreamingAnalyzer(thigh_ctx, self.settings)
        self.shank = StreamingAnalyzer(shank_ctx, self.settings)
        # Knee angles need both orientations: gyroscopes on both sensors, a side to say what is medial.
        self.measurable = (thigh_ctx.has_gyro and shank_ctx.has_gyro
                           and EXERCISE_RULES[thigh_ctx.exercise].no_knee_angle_reason is None)
        self._seg = {
            "thigh": _Segment(thigh_ctx.rate_hz, self.settings),
            "shank": _Segment(shank_ctx.rate_hz, self.settings),
        } if self.measurable else {}
        self._sign = 1.0 if thigh_ctx.side == "right" else -1.0
        self._pending: list[Rep] = []
        self._knee: dict[float, KneeRep] = {}
        self._unmeasured: dict[float, str] = {}  # rep start → why it has no knee angle
        self.axes: HingeAxes | None = None
        self._crosstalk = np.zeros(2)  # frontal angle per sin f and per (1 − cos f) of flexion f, in degrees
        self._cal_tried = 0  # calibration attempts made on the first k ready reps, k up to this
        self._thigh_holes: list[tuple[float, float]] = []  # the thigh's stream missing in between
        self._thigh_last_s = -np.inf
        self._shank_reps: list[Rep] = []
        self._events: list[Event | KneeMeasured] = []

    # ---------------------------------------------------------------- input
    def feed_thigh(self, t_s: FloatArray, acc_g: FloatArray, gyro_dps: FloatArray | None) -> list[Event | KneeMeasured]:
        if len(t_s):  # where the thigh's stream is missing (the same holes in any chunking)
            joined = np.concatenate(([self._thigh_last_s], np.asarray(t_s, dtype=np.float64)))
            steps = np.diff(joined)
            for i in np.flatnonzero(steps > self.pair_settings.dropout_s):
                self._thigh_holes.append((float(joined[i]), float(joined[i + 1])))
            self._thigh_last_s = float(joined[-1])
        for event in self.thigh.feed(t_s, acc_g, gyro_dps):
            self._events.append(event)
            if isinstance(event, RepCounted):
                self._pending.append(event.rep)
        if self.measurable and gyro_dps is not None:
            self._seg["thigh"].feed(t_s, acc_g, gyro_dps)
        self._measure_pending(final=False)
        return self.drain_events()

    def feed_shank(self, t_s: FloatArray, acc_g: FloatArray, gyro_dps: FloatArray | None) -> list[Event | KneeMeasured]:
        for event in self.shank.feed(t_s, acc_g, gyro_dps):
            if isinstance(event, RepCounted):
                self._shank_reps.append(event.rep)
        if self.measurable and gyro_dps is not None:
            self._seg["shank"].feed(t_s, acc_g, gyro_dps)
        self._measure_pending(final=False)
        return self.drain_events()

    def drain_events(self) -> list[Event | KneeMeasured]:
        events, self._events = self._events, []
        return events

    # ---------------------------------------------------------------- knee angles
    def _covered(self, rep: Rep) -> bool:
        need = rep.end_s + 0.5
        return all(seg.newest_s >= need for seg in self._seg.values())

    def _measure_pending(self, final: bool) -> None:
        if not self.measurable:
            return
        ready = [r for r in self._pending if final or self._covered(r)]
        if not ready:
            return
        if self.axes is None:
            # Fitted on the first k ready reps, k = n, n + 1, … until a fit succeeds: the same
            # sequence of attempts however the reps became ready, so batch and stream agree.
            n = self.pair_settings.knee_calibration_reps
            for k in range(max(n, self._cal_tried + 1), len(ready) + 1):
                self._cal_tried = k
                self._calibrate(ready[:k])
                if self.axes is not None:
                    break
            if self.axes is None and final and ready:
                self._calibrate(ready)
            if self.axes is None:
                if final:
                    for rep in self._pending:
                        self._unmeasured[rep.start_s] = "the knee axis could not be calibrated (too little movement seen by both sensors)"
                    self._pending = []
                return
        for rep in ready:
            knee = self._measure(rep)
            if knee is not None:
                self._knee[rep.start_s] = knee
                self._events.append(KneeMeasured(knee))
        done = {id(r) for r in ready}
        self._pending = [r for r in self._pending if id(r) not in done]
        oldest = min((r.start_s for r in self._pending), default=min(s.newest_s for s in self._seg.values()))
        for seg in self._seg.values():
            seg.forget_before(oldest - self.pair_settings.knee_pre_start_s - self.pair_settings.settle_after_dropout_s - 1.0)

    def _both(self, t0: float, t1: float) -> tuple[dict[str, FloatArray], dict[str, FloatArray]] | None:
        """The thigh's columns over [t0, t1] and the shank's at the thigh's times, or None when
        either stream misses part of it."""
        th = self._seg["thigh"].window(t0, t1)
        sh = self._seg["shank"].window(t0 - 0.2, t1 + 0.2)
        if th["t"].size < 5 or sh["t"].size < 5:
            return None
        gap = self.pair_settings.dropout_s
        settle = self.pair_settings.settle_after_dropout_s
        for name in ("thigh", "shank"):  # a dropout inside, or just before while the filter settles
            seen = self._seg[name].window(t0 - settle, t1)["t"]
            if seen.size < 2 or float(np.max(np.diff(seen))) > gap or seen[0] > t0 + gap:
                return None
        t = th["t"]
        inside = (t >= sh["t"][0]) & (t <= sh["t"][-1])
        if not inside.all():
            if inside.mean() < 0.95:
                return None
            th = {k: v[inside] for k, v in th.items()}
            t = th["t"]
        shank = {
            "t": t,
            "quat": _interp_quat(t, sh["t"], sh["quat"]),
            "w": _interp_rows(t, sh["t"], sh["w"]),
            "u": _interp_rows(t, sh["t"], sh["u"]),
        }
        return th, shank

    def _calibrate(self, reps: list[Rep]) -> None:
        s = self.pair_settings
        w1: list[FloatArray] = []
        w2: list[FloatArray] = []
        for rep in reps:
            # Whole reps. Reps that cave tilt the fitted axis toward the caving and hide part of it
            # (a caving that grows in step with flexion is a hinge about a tilted axis to any fit);
            # fitting only the parts nearer extension, or only the most hinge-like reps, was tried
            # and lost more to noise than it gained (seeds 0–11 of benchmarks/accuracy_pair.py).
            # What the tilt leaves in the frontal angle is taken out afterwards (_fit_crosstalk).
            both = self._both(rep.start_s - s.knee_pre_start_s, rep.end_s)
            if both is not None:
                w1.append(both[0]["w"])
                w2.append(both[1]["w"])
        if not w1:
            return
        axes = fit_hinge_axes(np.vstack(w1), np.vstack(w2), s.axis_moving_dps, s.axis_min_samples)
        if axes is None:
            return
        self.axes = axes
        # Flexion positive: the knee bends in every rep, so its angle rises from the rep's start.
        signs = []
        for rep in reps:
            angles = self._angles(rep)
            if angles is not None:
                rel = angles[1] - angles[1][0]
                signs.append(float(rel.max() + rel.min()))
        if signs and float(np.median(signs)) < 0:
            self.axes = axes.flipped()
        self._crosstalk = self._fit_crosstalk(reps)

    def _fit_crosstalk(self, reps: list[Rep]) -> FloatArray:
        """(a, b) of the frontal angle's change that follows flexion on the calibration reps:
        Δfrontal ≈ a·sin f + b·(1 − cos f).

        A flexion axis a few degrees off in the frontal plane turns part of every rep's flexion
        into an apparent frontal angle — a·sin f for an axis turned about the thigh's long axis,
        b·(1 − cos f) for one turned about its forward axis (Grood & Suntay's frame built on it).
        For a planar squat the hinge fit is weakly conditioned in exactly that direction (both
        segments turn about nearly the same axis), so some sessions read every correct rep 5–7°
        "valgus" and caving reps twice their truth (seeds 0–99 of benchmarks/accuracy_pair.py).
        Taking out what follows flexion on the calibration reps removes it; caving, which grows
        from mid-descent and peaks on the way up, is not a function of flexion alone."""
        rows: list[FloatArray] = []
        targets: list[FloatArray] = []
        for rep in reps:
            angles = self._angles(rep, crosstalk=False)
            if angles is None:
                continue
            _, flexion, frontal, i0 = angles
            peak = i0 + int(np.argmax(flexion[i0:]))
            # The descent's first part only: knees cave from mid-descent on (field-notes §2), so
            # there a caving rep is still close to a hinge and does not teach the fit its caving.
            upto = i0 + int(np.searchsorted(np.maximum.accumulate(flexion[i0 : peak + 1]),
                                            self.pair_settings.crosstalk_share_of_peak * flexion[peak]))
            f = np.radians(flexion[i0:upto])
            rows.append(np.column_stack((np.sin(f), 1.0 - np.cos(f))))
            targets.append(frontal[i0:upto] - frontal[i0])
        if sum(len(r) for r in rows) < self.pair_settings.axis_min_samples:
            return np.zeros(2)
        coef, *_ = np.linalg.lstsq(np.vstack(rows), np.concatenate(targets), rcond=None)
        return np.asarray(coef)

    def _angles(self, rep: Rep, crosstalk: bool = True) -> tuple[FloatArray, FloatArray, FloatArray, int] | None:
        """(t, flexion, frontal, index of the rep's start) over the rep's window, in degrees; the
        frontal angle without the part that follows flexion (`_fit_crosstalk`) unless `crosstalk`
        is False."""
        assert self.axes is not None
        s = self.pair_settings
        both = self._both(rep.start_s - s.knee_pre_start_s, rep.end_s)
        if both is None:
            return None
        th, sh = both
        t = th["t"]
        j1, j2 = self.axes.thigh_s, self.axes.shank_s
        a_e = rotate_to_earth(th["quat"], j1)
        b_e = rotate_to_earth(sh["quat"], j2)
        i0 = min(int(t.searchsorted(rep.start_s)), t.size - 1)
        k = max(1, int(round(s.heading_window_s * self._seg["thigh"].rate_hz)))
        max_elev = np.sin(np.radians(s.axis_max_elevation_deg))
        if np.abs(a_e[:, 2]).max() > max_elev or np.abs(b_e[:, 2]).max() > max_elev:
            return None  # the axis stood too steep for a heading (lying on the side)

        def heading_gap(lo: int, hi: int) -> float:
            ha = a_e[lo:hi, :2].mean(axis=0)
            hb = b_e[lo:hi, :2].mean(axis=0)
            return float(np.arctan2(ha[1], ha[0]) - np.arctan2(hb[1], hb[0]))

        d0 = heading_gap(i0, min(t.size, i0 + k))
        d1 = heading_gap(max(0, t.size - k), t.size)
        d1 = d0 + float(np.angle(np.exp(1j * (d1 - d0))))
        span = max(float(t[-1] - t[i0]), 1e-6)
        delta = d0 + (d1 - d0) * np.clip((t - t[i0]) / span, 0.0, 1.0)
        l1 = _perpendicular(th["u"][i0], j1)
        l2 = _perpendicular(sh["u"][i0], j2)
        z_e = rotate_to_earth(th["quat"], l1)
        x_e = cross_rows(a_e, z_e)
        v_e = _rotate_z(rotate_to_earth(sh["quat"], l2), delta)
        flexion = np.degrees(np.arctan2(np.einsum("ij,ij->i", v_e, x_e), np.einsum("ij,ij->i", v_e, z_e)))
        frontal = self._sign * np.degrees(np.arcsin(np.clip(np.einsum("ij,ij->i", v_e, a_e), -1.0, 1.0)))
        if crosstalk:
            f = np.radians(flexion)
            frontal = frontal - (self._crosstalk[0] * np.sin(f) + self._crosstalk[1] * (1.0 - np.cos(f)))
        return t, flexion, frontal, i0

    def _measure(self, rep: Rep) -> KneeRep | None:
        angles = self._angles(rep)
        if angles is None:
            self._unmeasured[rep.start_s] = "one sensor's stream misses part of this rep (or its knee axis stood steep)"
            return None
        t, flexion, frontal, _ = angles
        peak = int(np.argmax(flexion))
        base = int(np.argmin(flexion[: peak + 1]))  # the straightest knee before the peak
        rng = float(flexion[peak] - flexion[base])
        toward = frontal[base:] - frontal[base]
        valgus = float(toward.max())
        limit = self.pair_settings.knee_valgus_limit_deg
        warning = None
        if valgus > limit:
            i = base + int(np.flatnonzero(toward > limit)[0])
            warning = RepWarning(
                kind="knee_drift", t_s=float(t[i]), value_deg=valgus, threshold_deg=limit,
                message=f"knee caving inward: its frontal-plane angle moved {valgus:.0f}° toward valgus (limit {limit:.0f}°)",
            )
        return KneeRep(rep.start_s, rep.end_s, rng, float(t[peak]), valgus, warning)

    # ---------------------------------------------------------------- output
    def finish(self) -> PairResult:
        thigh_result = self.thigh.finish()
        self._events += self.thigh.drain_events()
        shank_result = self.shank.finish()
        final_reps = thigh_result.reps
        known = {r.start_s for r in self._pending} | set(self._knee) | set(self._unmeasured)
        self._pending += [r for r in final_reps if r.start_s not in known]
        self._measure_pending(final=True)
        fills = self._dropout_reps(shank_result)
        return PairResult(thigh_result, shank_result, dict(self._knee), dict(self._unmeasured), self.axes,
                          self.measurable, fills, self.pair_settings.knee_valgus_limit_deg,
                          (float(self._crosstalk[0]), float(self._crosstalk[1])))

    def _dropout_reps(self, shank_result: AnalysisResult) -> tuple[Rep, ...]:
        """The shank's reps where the thigh's stream was missing for longer than `dropout_s`."""
        holes = [h for h in self._thigh_holes if np.isfinite(h[0])]
        holes.append((self._thigh_last_s, np.inf))  # the thigh stopped for good before the shank did
        first = next((h[1] for h in self._thigh_holes if not np.isfinite(h[0])), np.inf)
        holes.append((-np.inf, first))  # or started after it
        out = []
        for rep in shank_result.reps:
            if any(lo < rep.peak_s < hi for lo, hi in holes):
                out.append(rep)
        return tuple(out)


@dataclass(frozen=True, slots=True, eq=False)
class PairResult:
    thigh: AnalysisResult
    shank: AnalysisResult
    knee: dict[float, KneeRep]
    unmeasured: dict[float, str]
    axes: HingeAxes | None
    measurable: bool
    dropout_reps: tuple[Rep, ...]  # counted from the shank while the thigh sensor was out
    valgus_limit_deg: float
    crosstalk_deg: tuple[float, float] = (0.0, 0.0)  # frontal angle per sin f and per (1 − cos f), taken out
    # A pair done as several recognised exercises: each stretch's own knee axis (stretch_knee);
    # `axes` is then the first fitted one's. () when the pair was analysed in one pass.
    stretches: tuple[dict[str, Any], ...] = ()

    def axis_dict(self) -> dict[str, Any] | None:
        if self.axes is None:
            return None
        return {
            "thigh_sensor": [round(float(x), 4) for x in self.axes.thigh_s],
            "shank_sensor": [round(float(x), 4) for x in self.axes.shank_s],
            "hinge_residual_dps": round(self.axes.residual_dps, 2),
            "samples": self.axes.samples,
            # Δfrontal = a·sin(flexion) + b·(1 − cos(flexion)) taken out of every rep
            "frontal_crosstalk_deg": {"a": round(self.crosstalk_deg[0], 2), "b": round(self.crosstalk_deg[1], 2)},
        }

    def knee_for(self, rep: Rep) -> KneeRep | None:
        return self.knee.get(rep.start_s)

    @property
    def rep_count(self) -> int:
        return len(self.thigh.reps) + len(self.dropout_reps)

    def to_dict(self) -> dict[str, Any]:
        out = self.thigh.to_dict()
        drift_reps = 0
        for set_dict, exercise_set in zip(out["sets"], self.thigh.sets, strict=True):
            set_drift = 0
            for rep_dict, rep in zip(set_dict["reps"], exercise_set.reps, strict=True):
                rep_dict["segment_knee_drift_deg"] = rep_dict["knee_drift_deg"]
                knee = self.knee_for(rep)
                if knee is not None:
                    rep_dict.update(knee.to_dict())
                    rep_dict["knee_drift_deg"] = round(knee.valgus_deg, 1)
                    rep_dict["drift_limit_deg"] = round(self.valgus_limit_deg, 1)
                    rep_dict["warnings"] = ["knee_drift"] if knee.warning else []
                    rep_dict["warning_details"] = [knee.warning.to_dict()] if knee.warning else []
                    rep_dict["knee_drift_source"] = "knee angle (thigh + shank)"
                else:
                    rep_dict.update({"knee_flexion_range_deg": None, "knee_valgus_deg": None, "peak_flexion_s": None})
                    why = (EXERCISE_RULES[exercise_set.exercise].no_knee_angle_reason
                           or "knee angles need gyroscopes on both sensors")
                    rep_dict["knee_drift_source"] = "thigh only: " + self.unmeasured.get(rep.start_s, why)
                set_drift += 1 if rep_dict["warnings"] else 0
            set_dict["knee_drift_reps"] = set_drift
            drift_reps += set_drift
        out["knee_drift_reps"] = drift_reps
        out["sensors"] = 2
        out["pair"] = "thigh+shank"
        out["dropout_reps"] = [
            {**r.to_dict(), "notes": ["thigh sensor out: counted from the shank"]} for r in self.dropout_reps
        ]
        out["rep_count"] = self.rep_count
        out["knee"] = {
            "method": METHOD if self.measurable else "not measured: needs gyroscopes on both sensors and an exercise "
            "whose knee axis lies near horizontal (not clamshells)",
            "axis": self.axis_dict(),
            "measured_reps": len(self.knee),
            "drift_reference": "none needed: the knee's own frontal-plane angle against a fixed limit",
        }
        if self.stretches:
            out["knee"]["stretches"] = list(self.stretches)
        out["shank"] = {"set_count": len(self.shank.sets), "rep_count": len(self.shank.reps),
                        "calibration": self.shank.calibration}
        return out



def stretch_knee(result: PairResult, start_s: float, end_s: float, exercise: str) -> dict[str, Any]:
    """One stretch's knee calibration, as PairResult.stretches lists it."""
    return {"start_s": round(start_s, 3), "end_s": round(end_s, 3), "exercise": exercise,
            "axis": result.axis_dict(), "measured_reps": len(result.knee)}

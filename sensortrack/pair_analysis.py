"""Two sensors' sessions analysed together: which pair they are, their clocks aligned, one result.

Thigh + shank of the same leg → the knee's own angles (analysis/knee_pair.py); the same segment of
the left and the right leg → symmetry (analysis/sides_pair.py). The second stream's clock is
mapped onto the first's from the movement both saw (analysis/clock_align.py), so two CSVs started
by hand a few seconds apart, or two devices with their own clocks, line up.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from sensortrack.analysis.clock_align import ClockAlignment, estimate_alignment
from sensortrack.analysis.knee_pair import KneePairAnalyzer, PairResult, stretch_knee
from sensortrack.analysis.pair_settings import PairSettings
from sensortrack.analysis.recognition import NONE, Recognition, RecognitionSettings, Segment, append_joining
from sensortrack.analysis.results import AnalysisResult
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.analysis.sides_pair import SidesAnalyzer, SidesResult
from sensortrack.core.errors import ConfigError, MissingMetadataError
from sensortrack.core.model import Session
from sensortrack.core.result_schema import RESULT_SCHEMA_VERSION
from sensortrack.core.vocabulary import EXERCISES, PLACEMENTS, SIDES, Exercise, exercise_or_none, placement_or_none, side_or_none
from sensortrack.recognising import recognise_session
from sensortrack.session_analysis import combine_parts, resolve_context


@dataclass(frozen=True, slots=True, eq=False)
class PairAnalysis:
    kind: str  # "thigh+shank" | "left+right"
    first: Session  # thigh, or left
    second: Session  # shank, or right
    alignment: ClockAlignment
    result: PairResult | SidesResult
    recognition: PairRecognition | None = None  # the exercise recognised (neither flags nor files said it)

    def to_dict(self) -> dict[str, Any]:
        """The pair's result in the result schema (docs/result-schema.md): `sets` and their reps carry
        the pair's measures — the knee's angles (thigh + shank), or both legs' sets with each rep's
        side and its pair's asymmetry (left + right) — on top of each kind's own fields."""
        out = self.result.to_dict()
        if isinstance(self.result, SidesResult):
            out.update(_sides_sets(self.result))
        if self.recognition is not None:
            first = self.result.thigh if isinstance(self.result, PairResult) else self.result.left
            out["exercise"] = first.exercise
            out["recognition"] = self.recognition.to_dict()
        out["clock_alignment"] = {
            **self.alignment.to_dict(),
            "applies_to": f"{_name(self.second)} mapped onto {_name(self.first)}'s timeline",
        }
        out["streams"] = [_stream_dict(s) for s in (self.first, self.second)]
        out["interrupted"] = self.first.interrupted or self.second.interrupted
        return out


def _sides_sets(result: SidesResult) -> dict[str, Any]:
    """Both legs' sets (left first) in the one result shape: each set and rep says its side, and a
    rep made together with the other leg's carries the pair's asymmetry."""
    asymmetry: dict[tuple[str, float], dict[str, float | None]] = {}
    for pair in result.pairs:
        asymmetry[("left", pair.left.start_s)] = pair.asymmetry_pct
        asymmetry[("right", pair.right.start_s)] = pair.asymmetry_pct
    sets: list[dict[str, Any]] = []
    for side, side_result in (("left", result.left), ("right", result.right)):
        for exercise_set in side_result.sets:
            doc = exercise_set.to_dict()
            doc["side"] = side
            for rep_doc, rep in zip(doc["reps"], exercise_set.reps, strict=True):
                rep_doc["side"] = side
                for measure, value in asymmetry.get((side, rep.start_s), {}).items():
                    rep_doc[f"{measure}_asymmetry_pct"] = None if value is None else round(value, 1)
            sets.append(doc)
    return {
        "schema_version": RESULT_SCHEMA_VERSION,
        "side": None,  # both
        "drift_reference": {"kind": "session", "note": "each leg's warnings are judged against its own reps"},
        "set_count": len(sets),
        "rep_count": sum(s["rep_count"] for s in sets),
        "knee_drift_reps": sum(s["knee_drift_reps"] for s in sets),
        "sets": sets,
    }


def _name(session: Session) -> str:
    sensor = session.meta.sensor
    return f"{sensor.side} {sensor.placement}"


def _stream_dict(session: Session) -> dict[str, Any]:
    sensor = session.meta.sensor
    return {
        "placement": sensor.placement, "side": sensor.side, "model": sensor.model, "name": sensor.name,
        "file": session.path, "samples": len(session.samples), "rate_hz": sensor.nominal_rate_hz,
        "gaps": [{"start_s": g.start_s, "end_s": g.end_s, "lost_samples": g.lost_samples} for g in session.gaps],
    }


def _with_body(session: Session, number: int, placement: str | None, side: str | None) -> Session:
    """The session with its placement and side (flags over the file), both checked: one line naming
    what is missing or unknown."""
    words = (("placement", placement or session.meta.sensor.placement, PLACEMENTS),
             ("side", side or session.meta.sensor.side, SIDES))
    unknown = [f"{name} {value!r} (one of {', '.join(known)})" for name, value, known in words if value and value not in known]
    if unknown:
        raise ConfigError(f"sensor {number}: unknown {'; '.join(unknown)}")
    missing = [name for name, value, _ in words if not value]
    if missing:
        where = f" ({session.path})" if session.path else ""
        raise MissingMetadataError(
            f"sensor {number}{where} does not say its {' and '.join(missing)}: pass --sensor {number}:PLACEMENT:SIDE"
        )
    sensor = session.meta.sensor.with_body(placement_or_none(words[0][1]), side_or_none(words[1][1]))
    return replace(session, meta=replace(session.meta, sensor=sensor), samples=session.samples.with_sensor(sensor))


@dataclass(frozen=True, slots=True, eq=False)
class AlignedPair:
    """Two sessions recorded together, in the pair's order (thigh then shank, left then right), the
    second's samples mapped onto the first's timeline: what the pair analysis (and a replay of the
    pair, which must show the same values) is fed."""

    kind: str  # "thigh+shank" | "left+right"
    first: Session
    second: Session  # its samples' t_s already on the first's timeline
    alignment: ClockAlignment
    recorded_second: Session  # the second as recorded (its own clock)
    exercise: Exercise | None = None  # None: neither flags nor files say it (recognised: recognise_pair)

    def during(self, start_s: float, end_s: float) -> AlignedPair:
        """Both streams' samples in [start_s, end_s) of the first's timeline (one recognised stretch)."""
        def cut(session: Session) -> Session:
            t = session.samples.t_s
            i0, i1 = np.searchsorted(t, [start_s, end_s], side="left")
            return replace(session, samples=session.samples.slice(int(i0), int(i1)))

        return replace(self, first=cut(self.first), second=cut(self.second))


def align_pair(
    a: Session,
    b: Session,
    pair_settings: PairSettings | None = None,
    exercise: str | None = None,
    bodies: tuple[tuple[str | None, str | None], tuple[str | None, str | None]] = ((None, None), (None, None)),
) -> AlignedPair:
    """Which pair `a` and `b` make, in its order, with the second's clock mapped onto the first's.
    `bodies` overrides (placement, side) of each; the exercise is the flag's, else the files'
    (None when neither says it: the caller recognises it)."""
    pair_settings = pair_settings or PairSettings()
    if exercise is None and a.meta.exercise and b.meta.exercise and a.meta.exercise != b.meta.exercise:
        raise MissingMetadataError(f"the two sensors' files say {a.meta.exercise} and {b.meta.exercise}: pass --exercise")
    said = exercise or a.meta.exercise or b.meta.exercise
    known = exercise_or_none(said)
    if said and known is None:
        raise ConfigError(f"unknown exercise {said!r} (one of {', '.join(EXERCISES)})")
    a = _with_body(replace(a, meta=replace(a.meta, exercise=known)), 1, *bodies[0])
    b = _with_body(replace(b, meta=replace(b.meta, exercise=known)), 2, *bodies[1])
    sa, sb = a.meta.sensor, b.meta.sensor
    if sa.side == sb.side and {sa.placement, sb.placement} == {"thigh", "shank"}:
        kind = "thigh+shank"
        first, second = (a, b) if sa.placement == "thigh" else (b, a)
    elif sa.placement == sb.placement and {sa.side, sb.side} == {"left", "right"}:
        kind = "left+right"
        first, second = (a, b) if sa.side == "left" else (b, a)
    else:
        raise ConfigError(
            f"two sensors must be the thigh and shank of one leg or the same segment of both legs; got the "
            f"{_name(a)} and the {_name(b)} (set them with --sensor 1:PLACEMENT:SIDE --sensor 2:PLACEMENT:SIDE)"
        )
    x, y = first.samples, second.samples
    alignment = estimate_alignment(x.t_s, x.acc_g, x.gyro_dps, y.t_s, y.acc_g, y.gyro_dps, pair_settings)
    gaps = tuple(replace(g, start_s=float(alignment.to_first(np.array([g.start_s]))[0]),
                         end_s=float(alignment.to_first(np.array([g.end_s]))[0])) for g in second.gaps)
    mapped = replace(second, samples=replace(y, t_s=alignment.to_first(y.t_s)), gaps=gaps)
    return AlignedPair(kind, first, mapped, alignment, second, known)


def analyze_pair(
    a: Session,
    b: Session,
    settings: AnalysisSettings | None = None,
    pair_settings: PairSettings | None = None,
    exercise: str | None = None,
    bodies: tuple[tuple[str | None, str | None], tuple[str | None, str | None]] = ((None, None), (None, None)),
) -> PairAnalysis:
    """Analyse two sessions recorded together; `bodies` overrides (placement, side) of each. Where
    neither the flag nor the files say the exercise, it is recognised per stretch from both
    sensors' movement (`recognise_pair`) and each set says so, with the recogniser's confidence."""
    pair_settings = pair_settings or PairSettings()
    aligned = align_pair(a, b, pair_settings, exercise, bodies)
    if aligned.exercise is not None:
        result = _analyze_aligned(aligned, aligned.exercise, settings, pair_settings)
        return PairAnalysis(aligned.kind, aligned.first, aligned.recorded_second, aligned.alignment, result)
    recognition = recognise_pair(aligned)
    stretches = recognition.exercise_stretches()
    if not stretches:
        raise MissingMetadataError("no exercise recognised in either sensor's movement: pass --exercise")
    if len({ex for _, ex in stretches}) == 1:  # one exercise (the usual case): the whole pair in one pass
        parts = [_analyze_aligned(aligned, stretches[0][1], settings, pair_settings)]
    else:  # each stretch on its own, as one sensor's are (sensortrack/recognising.py)
        parts = [_analyze_aligned(aligned.during(st.start_s, st.end_s), ex, settings, pair_settings,
                                  stretch=st) for st, ex in stretches]
    result = _recognised(_combined(parts), recognition)
    return PairAnalysis(aligned.kind, aligned.first, aligned.recorded_second, aligned.alignment, result, recognition)


def _analyze_aligned(
    aligned: AlignedPair, exercise: Exercise, settings: AnalysisSettings | None, pair_settings: PairSettings,
    stretch: Segment | None = None,
) -> PairResult | SidesResult:
    x, y = aligned.first.samples, aligned.second.samples
    ctx_first = resolve_context(aligned.first, exercise)
    ctx_second = resolve_context(aligned.recorded_second, exercise)  # its rate as recorded, as before the mapping
    if aligned.kind == "thigh+shank":
        knee = KneePairAnalyzer(ctx_first, ctx_second, settings, pair_settings)
        knee.feed_thigh(x.t_s, x.acc_g, x.gyro_dps)
        knee.feed_shank(y.t_s, y.acc_g, y.gyro_dps)
        result = knee.finish()
        if stretch is not None:
            result = replace(result, stretches=(stretch_knee(result, stretch.start_s, stretch.end_s, exercise),))
        return result
    sides = SidesAnalyzer(ctx_first, ctx_second, settings, pair_settings)
    sides.feed("left", x.t_s, x.acc_g, x.gyro_dps)
    sides.feed("right", y.t_s, y.acc_g, y.gyro_dps)
    return sides.finish()


def _combined(parts: list[PairResult] | list[PairResult | SidesResult]) -> PairResult | SidesResult:
    """One result for a pair done as several exercises in a row: each stretch's sets and reps,
    numbered on (combine_parts); a knee pair keeps each stretch's own knee axis."""
    if len(parts) == 1:
        return parts[0]
    knees = [p for p in parts if isinstance(p, PairResult)]
    if len(knees) == len(parts):
        fitted = next((p for p in knees if p.axes is not None), knees[0])
        return PairResult(
            combine_parts([p.thigh for p in knees]), combine_parts([p.shank for p in knees]),
            {k: v for p in knees for k, v in p.knee.items()}, {k: v for p in knees for k, v in p.unmeasured.items()},
            fitted.axes, any(p.measurable for p in knees), tuple(r for p in knees for r in p.dropout_reps),
            fitted.valgus_limit_deg, fitted.crosstalk_deg, tuple(st for p in knees for st in p.stretches),
        )
    sides = [p for p in parts if isinstance(p, SidesResult)]
    pairs = tuple(rp for p in sides for rp in p.pairs)
    return SidesResult(combine_parts([p.left for p in sides]), combine_parts([p.right for p in sides]), pairs,
                       tuple(r for p in sides for r in p.only_left), tuple(r for p in sides for r in p.only_right),
                       sides[0].settings)


def _recognised(result: PairResult | SidesResult, recognition: PairRecognition) -> PairResult | SidesResult:
    """Every set marked as recognised, with the pair's confidence over its own span."""
    unsure_below = RecognitionSettings().unsure_below

    def marked(part: AnalysisResult) -> AnalysisResult:
        sets = []
        for st in part.sets:
            conf = recognition.confidence(st.exercise, st.start_s, st.end_s)
            sets.append(replace(st, exercise_source="recognised", exercise_confidence=conf,
                                exercise_unsure=conf < unsure_below
                                or not recognition.posture_known(st.start_s, st.end_s)))
        return replace(part, sets=tuple(sets), exercise=recognition.top_exercise(part), recognition=recognition.to_dict())

    if isinstance(result, PairResult):
        return replace(result, thigh=marked(result.thigh), shank=marked(result.shank))
    return replace(result, left=marked(result.left), right=marked(result.right))


@dataclass(frozen=True, slots=True, eq=False)
class PairRecognition:
    """The exercise of each stretch of a pair's recording: the first sensor's (thigh, left) bouts,
    each one's exercise the one both sensors' recognisers give the highest mean probability."""

    stretches: tuple[Segment, ...]
    first: Recognition
    second: Recognition

    def exercise_stretches(self) -> list[tuple[Segment, Exercise]]:
        """The stretches of an exercise (not walking, fidgeting or rest), each with its exercise."""
        return [(st, ex) for st in self.stretches for ex in (exercise_or_none(st.exercise),) if ex is not None]

    def confidence(self, exercise: Exercise, start_s: float, end_s: float) -> float:
        """Both sensors' mean probability of `exercise` over [start_s, end_s]."""
        return 0.5 * (self.first.exercise_confidence(exercise, start_s, end_s)
                      + self.second.exercise_confidence(exercise, start_s, end_s))

    def posture_known(self, start_s: float, end_s: float) -> bool:
        """Whether either sensor's posture was read over [start_s, end_s] (Recognition.posture_known):
        where neither was, standing and lying on the back cannot be told apart and the exercise rests
        on rhythm and range alone, so the set is shown as unsure, as a single sensor's is."""
        return self.first.posture_known(start_s, end_s) or self.second.posture_known(start_s, end_s)

    def top_exercise(self, result: AnalysisResult) -> str:
        """The session's exercise: the one with the most reps (of the longest stretch without reps)."""
        reps: dict[str, int] = {}
        for st in result.sets:
            reps[st.exercise] = reps.get(st.exercise, 0) + len(st.reps)
        if reps:
            return max(reps, key=lambda k: reps[k])
        longest = max(self.exercise_stretches(), key=lambda st: st[0].end_s - st[0].start_s, default=None)
        return NONE if longest is None else longest[1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "each sensor's movement recognised on its own (analysis/recognition.py); the first sensor's "
            "bouts, each one's exercise the one with the highest probability averaged over both sensors",
            "placement": self.first.placement, "placement_source": "given",
            "segments": [st.to_dict() for st in self.stretches],
        }


def recognise_pair(aligned: AlignedPair, settings: RecognitionSettings | None = None) -> PairRecognition:
    """Recognise the exercise of each stretch from both sensors: the bouts are the first sensor's
    (its engine counts the pair's reps); each bout's exercise is decided by both recognisers'
    probabilities averaged, which on simulated flat-strapped pairs (seeds 0–9, five exercises)
    named 47 of 50 knee-pair sessions right against 34 of 50 from the thigh alone."""
    first = recognise_session(aligned.first, aligned.first.meta.sensor.placement, settings)
    second = recognise_session(aligned.second, aligned.second.meta.sensor.placement, settings)
    names = [ex for e in first.exercises for ex in (exercise_or_none(e),) if ex is not None]
    out: list[Segment] = []
    for seg in first.segments:
        if seg.exercise != NONE:
            scores = {e: 0.5 * (first.exercise_confidence(e, seg.start_s, seg.end_s)
                                + second.exercise_confidence(e, seg.start_s, seg.end_s)) for e in names}
            # only among the exercises both sensors' measured posture allows (while one is allowed)
            possible = [e for e in names if first.physically_possible(e, seg.start_s, seg.end_s)
                        and second.physically_possible(e, seg.start_s, seg.end_s)] or names
            best = max(possible, key=lambda e: scores[e])
            seg = Segment(seg.start_s, seg.end_s, best, scores[best])
        append_joining(out, seg)
    return PairRecognition(tuple(out), first, second)


def _recognised_text(set_doc: dict[str, Any]) -> str:
    """How a set's exercise is known, where it was recognised: never a guess shown as a fact."""
    if set_doc["exercise_source"] != "recognised":
        return ""
    conf = set_doc["exercise_confidence"]
    if set_doc["exercise_unsure"]:
        return f", recognised from both sensors ({conf:.2f}) — UNSURE: check the exercise, or pass --exercise"
    return f", recognised from both sensors ({conf:.2f})"


def format_pair_report(analysis: PairAnalysis) -> str:
    """The readable report of a pair: alignment, then per rep (knee) or per rep pair (symmetry)."""
    from sensortrack.report_text import rep_table_text

    al = analysis.alignment
    lines = [
        f"two sensors: {_name(analysis.first)} + {_name(analysis.second)} ({analysis.kind})",
        f"clocks: {_name(analysis.second)} {al.offset_s:+.3f} s, skew {al.skew_ppm:+.0f} ppm "
        f"({al.method}, r={al.correlation:.2f})",
    ]
    if al.fitted_skew_ppm is not None and al.skew_uncertainty_ppm is not None and al.skew_ppm == 0.0:
        lines.append(f"  over {al.span_s:.0f} s of movement the skew reads {al.fitted_skew_ppm:+.0f} ± "
                     f"{al.skew_uncertainty_ppm:.0f} ppm: too uncertain to apply (docs/two-sensors.md)")
    result = analysis.result
    if isinstance(result, PairResult):
        data = result.to_dict()
        lines.append(f"{data['rep_count']} reps in {data['set_count']} set(s); knee drift warnings: {data['knee_drift_reps']}")
        lines.append(f"knee: {data['knee']['method']}")
        for s in data["sets"]:
            lines.append(f"set {s['index']} ({s['exercise']}{_recognised_text(s)}), {s['rep_count']} reps")
            lines += ["  " + line for line in rep_table_text(s["reps"], with_set=False).splitlines()]
        for r in data["dropout_reps"]:
            lines.append(f"  rep at {r['start_s']:7.2f} s counted from the shank (thigh sensor out)")
    else:
        data = result.to_dict()
        for side_result in (result.left, result.right):
            for st in side_result.sets:
                doc = st.to_dict()
                if doc["exercise_source"] == "recognised":
                    lines.append(f"{side_result.context.side} set {st.index} ({st.exercise}{_recognised_text(doc)}), "
                                 f"{len(st.reps)} reps")
        sym = data["symmetry"]
        lines.append(f"{data['rep_pairs']} rep pairs; asymmetry (median): range {sym['range_asymmetry_pct']} %, "
                     f"tempo {sym['tempo_asymmetry_pct']} %, drift {sym['drift_asymmetry_pct']} %")
        for flag in sym["flagged"]:
            lines.append(f"ASYMMETRY: {flag['measure']} {flag['asymmetry_pct']} % (limit {flag['limit_pct']:g} %), "
                         f"{flag['side']} side short")
        if not sym["flagged"]:
            lines.append("no asymmetry past its limit")
        for k, p in enumerate(data["pairs"], start=1):
            lines.append(f"  pair {k:2d} at {p['left']['start_s']:7.2f} s  range L {p['left']['range_deg']:5.1f}° "
                         f"R {p['right']['range_deg']:5.1f}° ({p['asymmetry_pct']['range']} %)  "
                         f"tempo L {p['left']['tempo_s']:.2f} s R {p['right']['tempo_s']:.2f} s")
        if data["only_left"] or data["only_right"]:
            lines.append(f"reps of one side only: left {len(data['only_left'])}, right {len(data['only_right'])}")
    return "\n".join(lines) + "\n"

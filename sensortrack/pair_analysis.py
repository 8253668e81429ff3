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
from sensortrack.analysis.knee_pair import KneePairAnalyzer, PairResult
from sensortrack.analysis.pair_settings import PairSettings
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.analysis.sides_pair import SidesAnalyzer, SidesResult
from sensortrack.core.errors import ConfigError, MissingMetadataError
from sensortrack.core.model import Session
from sensortrack.core.result_schema import RESULT_SCHEMA_VERSION
from sensortrack.session_analysis import resolve_context


@dataclass(frozen=True, slots=True, eq=False)
class PairAnalysis:
    kind: str  # "thigh+shank" | "left+right"
    first: Session  # thigh, or left
    second: Session  # shank, or right
    alignment: ClockAlignment
    result: PairResult | SidesResult

    def to_dict(self) -> dict[str, Any]:
        """The pair's result in the result schema (docs/result-schema.md): `sets` and their reps carry
        the pair's measures — the knee's angles (thigh + shank), or both legs' sets with each rep's
        side and its pair's asymmetry (left + right) — on top of each kind's own fields."""
        out = self.result.to_dict()
        if isinstance(self.result, SidesResult):
            out.update(_sides_sets(self.result))
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


def _with_body(session: Session, exercise: str | None, placement: str | None, side: str | None) -> Session:
    ctx = resolve_context(session, exercise, placement, side)
    sensor = session.meta.sensor.with_body(ctx.placement, ctx.side)
    return replace(session, meta=replace(session.meta, sensor=sensor, exercise=ctx.exercise),
                   samples=session.samples.with_sensor(sensor))


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


def align_pair(
    a: Session,
    b: Session,
    pair_settings: PairSettings | None = None,
    exercise: str | None = None,
    bodies: tuple[tuple[str | None, str | None], tuple[str | None, str | None]] = ((None, None), (None, None)),
) -> AlignedPair:
    """Which pair `a` and `b` make, in its order, with the second's clock mapped onto the first's."""
    pair_settings = pair_settings or PairSettings()
    exercise = exercise or a.meta.exercise or b.meta.exercise
    if a.meta.exercise and b.meta.exercise and a.meta.exercise != b.meta.exercise and exercise is None:
        raise MissingMetadataError(f"the two sensors' files say {a.meta.exercise} and {b.meta.exercise}: pass --exercise")
    a = _with_body(a, exercise, *bodies[0])
    b = _with_body(b, exercise, *bodies[1])
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
            f"{_name(a)} and the {_name(b)} (set them with --placement/--side and --with-placement/--with-side)"
        )
    x, y = first.samples, second.samples
    alignment = estimate_alignment(x.t_s, x.acc_g, x.gyro_dps, y.t_s, y.acc_g, y.gyro_dps, pair_settings)
    gaps = tuple(replace(g, start_s=float(alignment.to_first(np.array([g.start_s]))[0]),
                         end_s=float(alignment.to_first(np.array([g.end_s]))[0])) for g in second.gaps)
    mapped = replace(second, samples=replace(y, t_s=alignment.to_first(y.t_s)), gaps=gaps)
    return AlignedPair(kind, first, mapped, alignment, second)


def analyze_pair(
    a: Session,
    b: Session,
    settings: AnalysisSettings | None = None,
    pair_settings: PairSettings | None = None,
    exercise: str | None = None,
    bodies: tuple[tuple[str | None, str | None], tuple[str | None, str | None]] = ((None, None), (None, None)),
) -> PairAnalysis:
    """Analyse two sessions recorded together; `bodies` overrides (placement, side) of each."""
    pair_settings = pair_settings or PairSettings()
    aligned = align_pair(a, b, pair_settings, exercise, bodies)
    x, y = aligned.first.samples, aligned.second.samples
    ctx_first = resolve_context(aligned.first)
    ctx_second = resolve_context(aligned.recorded_second)  # its rate as recorded, as before the mapping
    result: PairResult | SidesResult
    if aligned.kind == "thigh+shank":
        knee = KneePairAnalyzer(ctx_first, ctx_second, settings, pair_settings)
        knee.feed_thigh(x.t_s, x.acc_g, x.gyro_dps)
        knee.feed_shank(y.t_s, y.acc_g, y.gyro_dps)
        result = knee.finish()
    else:
        sides = SidesAnalyzer(ctx_first, ctx_second, settings, pair_settings)
        sides.feed("left", x.t_s, x.acc_g, x.gyro_dps)
        sides.feed("right", y.t_s, y.acc_g, y.gyro_dps)
        result = sides.finish()
    return PairAnalysis(aligned.kind, aligned.first, aligned.recorded_second, aligned.alignment, result)


def format_pair_report(analysis: PairAnalysis) -> str:
    """The readable report of a pair: alignment, then per rep (knee) or per rep pair (symmetry)."""
    from sensortrack.report_text import rep_table_text

    al = analysis.alignment
    lines = [
        f"two sensors: {_name(analysis.first)} + {_name(analysis.second)} ({analysis.kind})",
        f"clocks: {_name(analysis.second)} {al.offset_s:+.3f} s, skew {al.skew_ppm:+.0f} ppm "
        f"({al.method}, r={al.correlation:.2f})",
    ]
    result = analysis.result
    if isinstance(result, PairResult):
        data = result.to_dict()
        lines.append(f"{data['rep_count']} reps in {data['set_count']} set(s); knee drift warnings: {data['knee_drift_reps']}")
        lines.append(f"knee: {data['knee']['method']}")
        for s in data["sets"]:
            lines.append(f"set {s['index']} ({s['exercise']}), {s['rep_count']} reps")
            lines += ["  " + line for line in rep_table_text(s["reps"], with_set=False).splitlines()]
        for r in data["dropout_reps"]:
            lines.append(f"  rep at {r['start_s']:7.2f} s counted from the shank (thigh sensor out)")
    else:
        data = result.to_dict()
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

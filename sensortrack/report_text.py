"""The human-readable `sensortrack analyze` report, and the one text rep table every terminal face
draws (analyze, `sessions show`, a pair's report) from reps in the result schema."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sensortrack.library.text import fmt_number, format_table

if TYPE_CHECKING:  # `sessions show` draws rep tables without importing the analysis
    from sensortrack.analysis.results import AnalysisResult, ExerciseSet, Rep
    from sensortrack.core.model import Session


def _clock(seconds: float) -> str:
    minutes, secs = divmod(max(seconds, 0.0), 60.0)
    return f"{int(minutes):d}:{secs:04.1f}"


RepCell = Callable[[Mapping[str, Any]], str]


def rep_columns(reps: Sequence[Mapping[str, Any]], *, with_set: bool = True) -> list[tuple[str, RepCell, bool]]:
    """The terminal's rep table (text reports and the live view's table): (header, cell of a rep in
    the result schema, right-aligned) per column. Columns that no rep has a value for are left out:
    the reference excess without a personal reference, the knee's angles and the asymmetry of a pair."""

    def has(field: str) -> bool:
        return any(r[field] is not None for r in reps)

    columns: list[tuple[str, RepCell, bool]] = []  # header, cell, right-aligned
    if with_set:
        columns.append(("Set", lambda r: "–" if r["set"] is None else str(r["set"]), True))
    if has("side"):
        columns.append(("Side", lambda r: r["side"] or "", False))
    columns += [
        ("Rep", lambda r: str(r["index"]), True),
        ("Start", lambda r: _clock(r["start_s"]), True),
        ("Range°", lambda r: f"{r['range_deg']:.0f}", True),
        ("Down s", lambda r: f"{r['down_s']:.1f}", True),
        ("Up s", lambda r: f"{r['up_s']:.1f}", True),
        ("Drift°", lambda r: fmt_number(r["knee_drift_deg"], 1), True),
    ]
    if has("knee_drift_over_reference_deg"):
        columns.append(("over ref", lambda r: fmt_number(r["knee_drift_over_reference_deg"], 1, "", signed=True), True))
    if has("knee_flexion_range_deg"):
        columns.append(("Knee flex°", lambda r: fmt_number(r["knee_flexion_range_deg"], 1), True))
    if has("range_asymmetry_pct"):
        columns.append(("Range asym %", lambda r: fmt_number(r["range_asymmetry_pct"], 0), True))
    columns.append(("Notes", _rep_notes, False))
    return columns


def rep_table_text(reps: Sequence[Mapping[str, Any]], *, with_set: bool = True) -> str:
    """Reps (result schema dicts) as a text table (`rep_columns`)."""
    columns = rep_columns(reps, with_set=with_set)
    return format_table(
        [c[0] for c in columns],
        [[cell(r) for _, cell, _ in columns] for r in reps],
        right={i for i, c in enumerate(columns) if c[2]},
    )


def _rep_notes(rep: Mapping[str, Any]) -> str:
    notes = ["KNEE DRIFTING INWARD"] if rep["warnings"] else []
    notes += [n for n in rep["notes"] if n != "calibration uncertain"]
    if rep["step"]:
        notes.append(f"{rep['step']} step")
    if not rep["calibrated"]:
        notes.append("calibration uncertain")
    source = rep["knee_drift_source"]
    if source and source != "knee angle (thigh + shank)":
        notes.append(f"knee drift: {source}")
    return ", ".join(notes)


def _reference_line(result: AnalysisResult) -> str:
    from sensortrack.personal_reference import NO_REFERENCE_TEXT
    from sensortrack.session_analysis import drift_defined

    ref = result.context.reference
    ctx = result.context
    if not result.side_known:
        return "not judged: the side is not given (pass --side)"
    if not drift_defined(ctx.exercise, ctx.placement, ctx.has_gyro):
        why = "" if drift_defined(ctx.exercise, ctx.placement) else f" for {ctx.exercise}"
        return f"not measured{why or ' (a thigh sensor without a gyroscope cannot see the knee turn in)'}"
    if ref is None:
        return NO_REFERENCE_TEXT
    limits = {rep.drift_limit_deg for rep in result.reps if rep.drift_limit_deg is not None}
    past = f", warnings past {limits.pop():.1f}°" if len(limits) == 1 else ""
    plane = ", drift out of the person's own plane" if ref.plane_cal is not None else ""
    return f"judged against the personal reference {ref.source} ({ref.reps} reps, median {ref.median_deg:.1f}°{past}{plane})"


def _body_line(result: AnalysisResult) -> str:
    """Exercise, placement and side, saying which were recognised and which are unknown."""
    ctx = result.context
    rec = result.recognition
    exercise = result.exercise or ctx.exercise
    if rec is not None and result.exercise is not None:
        exercise = f"{exercise} (recognised)" if exercise != "none" else "no exercise recognised"
    recognised_placement = rec is not None and rec.get("placement_source") == "recognised"
    placement = ctx.placement + (" (recognised)" if recognised_placement else "") + " sensor"
    if recognised_placement and rec is not None and rec.get("placement_unsure"):
        placement = f"{ctx.placement} (recognised, UNSURE: pass --placement) sensor"
    if not result.placement_known:
        placement = "placement unknown"
    side = f"{ctx.side} leg" if result.side_known else "side not given"
    return f"{exercise}, {placement}, {side}"


def _recognised_text(st: ExerciseSet) -> str:
    """"recognised: bridge (0.93)", and plainly unsure where the recogniser is."""
    conf = 0.0 if st.exercise_confidence is None else st.exercise_confidence
    text = f"recognised: {st.exercise} ({conf:.2f})"
    return text + " — UNSURE: check the exercise, or pass --exercise" if st.exercise_unsure else text


def format_report(session: Session, result: AnalysisResult) -> str:
    ctx = result.context
    samples = session.samples
    duration_s = float(samples.t_s[-1] - samples.t_s[0]) if len(samples) else 0.0
    lines = [
        f"{session.path or 'session'}",
        f"  {_body_line(result)} · {session.meta.sensor.model} at "
        f"{ctx.rate_hz:.0f} Hz · {_clock(duration_s)} · {'acc + gyro' if ctx.has_gyro else 'accelerometer only'}",
    ]
    lines.append(f"  knee drift: {_reference_line(result)}")
    lines += [f"  {note}" for note in result.notes]
    if session.gaps:
        lost = sum(g.lost_samples for g in session.gaps)
        lines.append(f"  {len(session.gaps)} gap(s) in the recording, {lost} samples lost (not filled in)")
    if session.interrupted:
        lines.append("  recording was interrupted (no end mark): read up to the last whole sample")
    if not result.sets:
        lines.append("  no sets found")
        return "\n".join(lines) + "\n"
    for st in result.sets:
        lines.append("")
        lines.append(
            f"Set {st.index}{_other_exercise(st.exercise, ctx.exercise)}: {len(st.reps)} reps, "
            f"{_clock(st.start_s)}–{_clock(st.end_s)}, best range "
            f"{st.best_range_deg:.0f}°, "
            + (f"knee drifting inward on {st.drift_reps} rep(s)" if st.drift_reps or drift_measured(st.reps) else "knee drift not measured")
        )
        if st.exercise_source == "recognised":
            lines.append(f"  {_recognised_text(st)}")
        if any(not r.calibrated for r in st.reps):
            lines.append(
                "  calibration uncertain: reps counted from the movement's own repetition "
                "(no rest posture found, or under the exercise's range floor); no knee drift for them"
            )
        lines += ["  " + line for line in rep_table_text(st.to_dict()["reps"], with_set=False).splitlines()]
    total = sum(len(s.reps) for s in result.sets)
    drifted = sum(s.drift_reps for s in result.sets)
    lines.append("")
    said = f"knee drifting inward on {drifted}" if drifted or drift_measured(result.reps) else "knee drift not measured"
    lines.append(f"{len(result.sets)} set(s), {total} reps, {said}.")
    return "\n".join(lines) + "\n"


def drift_measured(reps: Sequence[Rep]) -> bool:
    """Whether any rep has a knee-drift value: without one (no side given, a thigh without a
    gyroscope, clamshells) "no knee drift" or "on 0 reps" would claim what was not measured."""
    return any(r.knee_drift_deg is not None for r in reps)


def _other_exercise(exercise: str, first: str) -> str:
    """A plan's session moved on to other exercises (`# exercise` lines): name them at their sets."""
    return "" if exercise == first else f" ({exercise.replace('_', ' ')})"

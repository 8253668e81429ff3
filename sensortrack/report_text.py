"""The human-readable `sensortrack analyze` report: one block per set, one line per rep."""

from __future__ import annotations

from sensortrack.analysis.results import AnalysisResult, ExerciseSet
from sensortrack.model import Session


def _clock(seconds: float) -> str:
    minutes, secs = divmod(max(seconds, 0.0), 60.0)
    return f"{int(minutes):d}:{secs:04.1f}"


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
    return f"judged against the personal reference {ref.source} ({ref.reps} reps, median {ref.median_deg:.1f}°{past})"


def _body_line(result: AnalysisResult) -> str:
    """Exercise, placement and side, saying which were recognised and which are unknown."""
    ctx = result.context
    rec = result.recognition
    exercise = result.exercise or ctx.exercise
    if rec is not None and result.exercise is not None:
        exercise = f"{exercise} (recognised)" if exercise != "none" else "no exercise recognised"
    recognised_placement = rec is not None and rec.get("placement_source") == "recognised"
    placement = ctx.placement + (" (recognised)" if recognised_placement else "") + " sensor"
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
    personal = ctx.reference is not None
    if not result.sets:
        lines.append("  no sets found")
        return "\n".join(lines) + "\n"
    for st in result.sets:
        lines.append("")
        lines.append(
            f"Set {st.index}{_other_exercise(st.exercise, ctx.exercise)}: {len(st.reps)} reps, "
            f"{_clock(st.start_s)}–{_clock(st.end_s)}, best range "
            f"{st.best_range_deg:.0f}°, knee drifting inward on {st.drift_reps} rep(s)"
        )
        if st.exercise_source == "recognised":
            lines.append(f"  {_recognised_text(st)}")
        if any(not r.calibrated for r in st.reps):
            lines.append(
                "  calibration uncertain: reps counted from the movement's own repetition "
                "(no rest posture found, or under the exercise's range floor); no knee drift for them"
            )
        lines.append("   rep   start    range   down    up    drift" + (" over ref" if personal else "") + "   notes")
        for rep in st.reps:
            drift = "    —" if rep.knee_drift_deg is None else f"{rep.knee_drift_deg:5.1f}°"
            if personal:
                over = rep.knee_drift_over_reference_deg
                drift += "        —" if over is None else f"   {over:+5.1f}°"
            notes = []
            if rep.warnings:
                notes.append("KNEE DRIFTING INWARD")
            if rep.shallow:
                notes.append("shallow")
            if rep.step:
                notes.append(rep.step)
            if not rep.calibrated:
                notes.append("calibration uncertain")
            lines.append(
                f"   {rep.index:>3}  {_clock(rep.start_s):>7}  {rep.range_deg:5.0f}°  {rep.down_s:4.1f}s "
                f"{rep.up_s:4.1f}s  {drift}   {', '.join(notes)}"
            )
    total = sum(len(s.reps) for s in result.sets)
    drifted = sum(s.drift_reps for s in result.sets)
    lines.append("")
    lines.append(f"{len(result.sets)} set(s), {total} reps, knee drifting inward on {drifted}.")
    return "\n".join(lines) + "\n"


def _other_exercise(exercise: str, first: str) -> str:
    """A plan's session moved on to other exercises (`# exercise` lines): name them at their sets."""
    return "" if exercise == first else f" ({exercise.replace('_', ' ')})"

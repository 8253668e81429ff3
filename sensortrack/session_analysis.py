"""Run the analysis on a whole Session, with metadata from the file or overridden by the caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from sensortrack.analysis.context import AnalysisContext
from sensortrack.analysis.geometry import GEOMETRY
from sensortrack.analysis.pipeline import analyze
from sensortrack.analysis.reference import DriftReference
from sensortrack.analysis.results import AnalysisResult, Trace
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.errors import ConfigError, DriftReferenceError, MissingMetadataError
from sensortrack.core.model import Session
from sensortrack.core.session_events import exercise_segments
from sensortrack.core.validation import estimate_rate_hz
from sensortrack.core.vocabulary import (
    EXERCISES,
    PLACEMENTS,
    SIDES,
    Exercise,
    Placement,
    Side,
    exercise_or_none,
    placement_or_none,
    side_or_none,
)

# (exercise, placement, side) -> the person's stored reference for them, or None. A lookup rather
# than a reference where the caller does not know the session's exercise until it is resolved here.
ReferenceLookup = Callable[[Exercise, Placement, Side], DriftReference | None]


def drift_defined(exercise: Exercise, placement: Placement, has_gyro: bool = True) -> bool:
    """Whether the analysis measures knee drift for this exercise and placement (not clamshells)
    with this sensor (not a thigh in a standing exercise without a gyroscope)."""
    geometry = GEOMETRY.get((exercise, placement))
    return geometry is not None and geometry.drift_observable(has_gyro)


def check_reference_fits(reference: DriftReference, exercise: Exercise, placement: Placement, side: Side) -> None:
    """A reference is one person's drift for one exercise, placement and side: nothing else."""
    check_same_body(reference.source, (reference.exercise, reference.placement, reference.side), (exercise, placement, side))


def check_same_body(source: str, reference_body: tuple[str, str, str], session_body: tuple[str, str, str]) -> None:
    """(exercise, placement, side) of a reference from `source` against the session's."""
    if reference_body != session_body:
        raise DriftReferenceError(
            f"the reference ({source}) is {_body(*reference_body)}, this session {_body(*session_body)}: "
            "a reference must be the same exercise, placement and side"
        )


def _body(exercise: str, placement: str, side: str) -> str:
    return f"{exercise} with the sensor on the {side} {placement}"


def resolve_context(
    session: Session,
    exercise: str | None = None,
    placement: str | None = None,
    side: str | None = None,
    reference: DriftReference | ReferenceLookup | None = None,
) -> AnalysisContext:
    """Flags win over the file's metadata; say exactly what is missing when neither has it.

    `reference` is the person's knee-drift reference (checked to fit the session) or a lookup of
    the stored one by the resolved exercise, placement and side.
    """
    words = (
        ("exercise", exercise or session.meta.exercise, EXERCISES),
        ("placement", placement or session.meta.sensor.placement, PLACEMENTS),
        ("side", side or session.meta.sensor.side, SIDES),
    )
    unknown = [f"{name} {value!r} (one of {', '.join(known)})" for name, value, known in words if value and value not in known]
    if unknown:
        raise ConfigError(f"unknown {'; '.join(unknown)}")
    missing = [f"--{name}" for name, value, _ in words if not value]
    if missing:
        where = session.path or "the session"
        raise MissingMetadataError(f"{where} does not say its {', '.join(m[2:] for m in missing)}: pass {' '.join(missing)}")
    ex, pl, sd = exercise_or_none(words[0][1]), placement_or_none(words[1][1]), side_or_none(words[2][1])
    assert ex is not None and pl is not None and sd is not None  # each checked just above
    rate_hz = session.meta.sensor.nominal_rate_hz
    if rate_hz <= 0:
        rate_hz = estimate_rate_hz(session.samples.t_s)
    if reference is not None and not isinstance(reference, DriftReference):
        reference = reference(ex, pl, sd)
    if reference is not None:
        check_reference_fits(reference, ex, pl, sd)
    return AnalysisContext(
        exercise=ex,
        placement=pl,
        side=sd,
        rate_hz=float(rate_hz),
        has_gyro=session.samples.gyro_dps is not None,
        reference=reference,
    )


def analyze_session(
    session: Session,
    settings: AnalysisSettings | None = None,
    exercise: str | None = None,
    placement: str | None = None,
    side: str | None = None,
    reference: DriftReference | ReferenceLookup | None = None,
) -> AnalysisResult:
    """Flags win over the file's metadata; what neither says of exercise and placement is recognised
    from the movement, and a missing side leaves out what depends on it (sensortrack/recognising.py).
    A session whose plan moved to other exercises (its `# exercise` lines) is analysed a span per
    exercise, as the live view did, unless `exercise` overrides the file."""
    exercise_flag = exercise
    exercise = exercise or session.meta.exercise
    placement = placement or session.meta.sensor.placement
    side = side or session.meta.sensor.side
    if not (exercise and placement and side):
        from sensortrack.recognising import analyze_recognised

        return analyze_recognised(session, settings, exercise, placement, side, reference)
    ctx = resolve_context(session, exercise, placement, side, reference)
    s = session.samples
    if exercise_flag is None and session.events.exercise_changes and len(s.t_s):
        spans = exercise_segments(ctx.exercise, session.events.exercise_changes, float(s.t_s[0]), float(s.t_s[-1]))
        if len(spans) > 1:
            return _analyze_spans(session, spans, ctx, settings, reference)
    return analyze(s.t_s, s.acc_g, s.gyro_dps, ctx, settings)


def _analyze_spans(
    session: Session,
    spans: list[tuple[float, float, Exercise]],
    ctx: AnalysisContext,
    settings: AnalysisSettings | None,
    reference: DriftReference | ReferenceLookup | None,
) -> AnalysisResult:
    s = session.samples
    parts = []
    for k, (start_s, end_s, exercise) in enumerate(spans):
        first = int(np.searchsorted(s.t_s, start_s, side="left"))
        last = len(s.t_s) if k == len(spans) - 1 else int(np.searchsorted(s.t_s, end_s, side="left"))
        if isinstance(reference, DriftReference):  # a given reference is one exercise's
            ref = reference if reference.exercise == exercise else None
        else:
            ref = reference(exercise, ctx.placement, ctx.side) if reference is not None else None
        part_ctx = replace(ctx, exercise=exercise, reference=ref)
        gyro = None if s.gyro_dps is None else s.gyro_dps[first:last]
        parts.append(analyze(s.t_s[first:last], s.acc_g[first:last], gyro, part_ctx, settings))
    return combine_parts(parts)


def combine_parts(parts: list[AnalysisResult]) -> AnalysisResult:
    """One result for a session done as several exercises in a row: the sets of every part,
    numbered on; the first part's context (the session's first exercise) heads it."""
    if len(parts) == 1:
        return parts[0]
    sets = [replace(s, index=n) for n, s in enumerate((s for p in parts for s in p.sets), start=1)]
    traces = [p.trace for p in parts if p.trace is not None]
    trace = None
    if len(traces) == len(parts):
        trace = Trace(
            np.concatenate([t.t_s for t in traces]),
            np.concatenate([t.angle_deg for t in traces]),
            np.concatenate([t.drift_deg for t in traces]),
        )
    return AnalysisResult(parts[0].context, tuple(sets), parts[-1].calibration, trace)

"""Run the analysis on a whole Session, with metadata from the file or overridden by the caller."""

from __future__ import annotations

from sensortrack.analysis.context import AnalysisContext
from sensortrack.analysis.pipeline import analyze
from sensortrack.analysis.results import AnalysisResult
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.errors import MissingMetadataError
from sensortrack.model import Session
from sensortrack.validation import estimate_rate_hz


def resolve_context(
    session: Session, exercise: str | None = None, placement: str | None = None, side: str | None = None
) -> AnalysisContext:
    """Flags win over the file's metadata; say exactly what is missing when neither has it."""
    exercise = exercise or session.meta.exercise
    placement = placement or session.meta.sensor.placement
    side = side or session.meta.sensor.side
    missing = [
        f"--{name}" for name, value in (("exercise", exercise), ("placement", placement), ("side", side)) if not value
    ]
    if missing:
        where = session.path or "the session"
        raise MissingMetadataError(f"{where} does not say its {', '.join(m[2:] for m in missing)}: pass {' '.join(missing)}")
    rate_hz = session.meta.sensor.nominal_rate_hz
    if rate_hz <= 0:
        rate_hz = estimate_rate_hz(session.samples.t_s)
    return AnalysisContext(
        exercise=str(exercise),
        placement=str(placement),
        side=str(side),
        rate_hz=float(rate_hz),
        has_gyro=session.samples.gyro_dps is not None,
    )


def analyze_session(
    session: Session,
    settings: AnalysisSettings | None = None,
    exercise: str | None = None,
    placement: str | None = None,
    side: str | None = None,
) -> AnalysisResult:
    ctx = resolve_context(session, exercise, placement, side)
    s = session.samples
    return analyze(s.t_s, s.acc_g, s.gyro_dps, ctx, settings)

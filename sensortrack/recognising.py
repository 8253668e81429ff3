"""Analyse a session whose exercise, placement or side the file and flags do not all say (issue 13).

Flags win over the file, the file over recognition. Where the exercise or placement is missing,
analysis/recognition.py splits the recording into stretches of one exercise and recognises the
placement; each stretch is then analysed with its own exercise exactly as a given one would be:
- one exercise in the whole recording (the usual case): the whole file in one pass, so the sets
  and reps are the same as with `--exercise` given (and streaming == batch holds as before);
- several: each stretch on its own (the stretches share no samples, each keeps half of the quiet
  or "none" time around it for its rest posture), the sets numbered on across them.
Every set says where its exercise came from and, when recognised, how sure the recogniser is.
A missing side is not guessed: the analysis runs with a placeholder and every result that depends
on the side (drift toward the midline, its warnings, lead/trail steps) is left out, and said so.
"""

from __future__ import annotations

import dataclasses
import json
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from sensortrack.analysis.context import AnalysisContext
from sensortrack.analysis.pipeline import analyze
from sensortrack.analysis.reference import DriftReference
from sensortrack.analysis.recognition import NONE, Recognition, RecognitionModel, RecognitionSettings, recognise
from sensortrack.analysis.results import AnalysisResult, ExerciseSet, Rep
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.model import Session
from sensortrack.session_analysis import resolve_context

if TYPE_CHECKING:
    from sensortrack.session_analysis import ReferenceLookup

MODEL_FILE = "recognition_tree.json"
# Analysed with this side where the side is unknown; nothing that depends on it is reported.
_PLACEHOLDER_SIDE = "left"
SIDE_UNKNOWN_NOTE = (
    "side not given: knee drift toward the midline and lead/trail steps are not reported (pass --side)"
)


@lru_cache(maxsize=1)
def packaged_model() -> RecognitionModel:
    """The decision tree shipped in sensortrack/data (benchmarks/train_recognition.py made it)."""
    text = resources.files("sensortrack.data").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return RecognitionModel.from_dict(json.loads(text))


def recognise_session(session: Session, placement: str | None = None,
                      settings: RecognitionSettings | None = None) -> Recognition:
    s = session.samples
    return recognise(s.t_s, s.acc_g, packaged_model(), settings, placement)


def _without_side(rep: Rep) -> Rep:
    return dataclasses.replace(rep, knee_drift_deg=None, knee_drift_over_reference_deg=None,
                               drift_limit_deg=None, warnings=(), step=None)


def _analyze_span(session: Session, ctx: AnalysisContext, settings: AnalysisSettings | None,
                  start_s: float, end_s: float, whole: bool) -> AnalysisResult:
    s = session.samples
    if whole:
        return analyze(s.t_s, s.acc_g, s.gyro_dps, ctx, settings)
    i0, i1 = np.searchsorted(s.t_s, [start_s, end_s], side="left")
    part = s.slice(int(i0), int(i1))
    if len(part) < 2:
        return AnalysisResult(ctx, ())
    return analyze(part.t_s, part.acc_g, part.gyro_dps, ctx, settings)


def analyze_recognised(
    session: Session,
    settings: AnalysisSettings | None,
    exercise: str | None,
    placement: str | None,
    side: str | None,
    reference: DriftReference | ReferenceLookup | None = None,
    recognition_settings: RecognitionSettings | None = None,
) -> AnalysisResult:
    """The analysis with whatever is missing of exercise and placement recognised (see the module
    docstring); `exercise`/`placement`/`side` are what flags or the file say (None: not said)."""
    side_known = side is not None
    use_side = side or _PLACEHOLDER_SIDE
    rs = recognition_settings or RecognitionSettings()
    recognition: Recognition | None = None
    placement_source = "given" if placement is not None else "recognised"
    if exercise is not None and placement is not None:
        spans = [(float(session.samples.t_s[0]), float(session.samples.t_s[-1]), exercise)]
    else:
        recognition = recognise_session(session, placement, rs)
        placement = placement or recognition.placement
        if exercise is not None:
            spans = [(float(session.samples.t_s[0]), float(session.samples.t_s[-1]), exercise)]
        else:
            spans = [(seg.start_s, seg.end_s, seg.exercise) for seg in recognition.segments if seg.exercise != NONE]
    kinds = {ex for *_, ex in spans}
    whole = len(kinds) == 1
    if whole and len(spans) > 1:  # one exercise in several stretches: the whole file in one pass
        spans = [(float(session.samples.t_s[0]), float(session.samples.t_s[-1]), spans[0][2])]
    parts: list[AnalysisResult] = []
    for start, end, ex in spans:
        # The person's reference for this stretch (looked up by its exercise, or the one given, which
        # must fit it); none without a known side.
        ctx = resolve_context(session, ex, str(placement), use_side, reference if side_known else None)
        parts.append(_analyze_span(session, ctx, settings, start, end, whole))
    sets: list[ExerciseSet] = []
    for part in parts:
        for st in part.sets:
            given = recognition is None or exercise is not None
            conf = None if given or recognition is None else recognition.exercise_confidence(st.exercise, st.start_s, st.end_s)
            reps = st.reps if side_known else tuple(_without_side(r) for r in st.reps)
            sets.append(dataclasses.replace(
                st, index=len(sets) + 1, reps=reps,
                exercise_source="given" if given else "recognised",
                exercise_confidence=conf,
                exercise_unsure=conf is not None and recognition is not None
                and recognition.unsure(st.exercise, st.start_s, st.end_s),
            ))
    notes = () if side_known else (SIDE_UNKNOWN_NOTE,)
    if parts:
        first = parts[0]
        ctx = first.context
        trace = first.trace if len(parts) == 1 else None
        calibration = first.calibration
    else:  # nothing but walking, fidgeting or rest: no exercise to analyse
        ctx = resolve_context(session, "squat", str(placement), use_side)
        trace, calibration = None, {}
    by_reps: dict[str, int] = {}
    for st in sets:
        by_reps[st.exercise] = by_reps.get(st.exercise, 0) + len(st.reps)
    if recognition is None or exercise is not None:
        top = None
    else:
        top = max(by_reps, key=lambda k: by_reps[k]) if by_reps else (spans[0][2] if spans else NONE)
    return AnalysisResult(
        ctx, tuple(sets), calibration, trace,
        recognition=None if recognition is None else {**recognition.to_dict(), "placement_source": placement_source},
        side_known=side_known, notes=notes, exercise=top,
        placement_known=placement_source == "given" or (recognition is not None and recognition.placement_confidence > 0),
    )


def body_for_replay(path: str, exercise: str | None, placement: str | None) -> tuple[str | None, str | None]:
    """Exercise and placement for `replay`, which shows one exercise: flags, else the file's, else
    the recognised exercise that covers the most time (the view does not switch exercises yet)."""
    from sensortrack.core.errors import MissingMetadataError
    from sensortrack.core.loading import load_session

    session = load_session(path)
    exercise = exercise or session.meta.exercise
    placement = placement or session.meta.sensor.placement
    if exercise and placement:
        return exercise, placement
    rec = recognise_session(session, placement)
    if exercise is None:
        spans: dict[str, float] = {}
        for seg in rec.segments:
            if seg.exercise != NONE:
                spans[seg.exercise] = spans.get(seg.exercise, 0.0) + seg.end_s - seg.start_s
        if not spans:
            raise MissingMetadataError(f"{path}: no exercise recognised in it: pass --exercise")
        exercise = max(spans, key=lambda k: spans[k])
    return exercise, placement or rec.placement

"""Score the analysis on every labelled simulated fixture, per exercise (used by a test and a script)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sensortrack.core.loading import load_session
from sensortrack.session_analysis import analyze_session
from sensortrack.simulation.labels import load_labels
from sensortrack.simulation.scoring import Score, score


@dataclass(frozen=True, slots=True)
class ExerciseAccuracy:
    exercise: str
    files: int
    sets: int
    exact_count_rate: float
    within_one_rate: float
    boundary_error_pct: float
    drift_hit_rate: float | None
    drift_false_alarm_rate: float | None


def score_files(paths: Iterable[Path]) -> dict[Path, Score]:
    out: dict[Path, Score] = {}
    for path in paths:
        labels = load_labels(path.with_suffix(".labels.json"))
        out[path] = score(analyze_session(load_session(path)), labels)
    return out


def per_exercise(scores: dict[Path, Score], exercise: str) -> ExerciseAccuracy:
    mine = [s for p, s in scores.items() if p.name.startswith(exercise + "_")]
    counts = [c for s in mine for c in s.set_counts]
    exact = float(np.mean([t == d for t, d in counts])) if counts else 0.0
    within = float(np.mean([abs(t - d) <= 1 for t, d in counts])) if counts else 0.0
    bnd = [s.boundary_error_pct for s in mine if s.boundary_error_pct is not None]
    valgus = sum(s.valgus_reps for s in mine)
    clean = sum(s.clean_reps for s in mine)
    hit = (
        sum((s.drift_hit_rate or 0.0) * s.valgus_reps for s in mine) / valgus if valgus else None
    )
    fa = (
        sum((s.drift_false_alarm_rate or 0.0) * s.clean_reps for s in mine) / clean if clean else None
    )
    return ExerciseAccuracy(exercise, len(mine), len(counts), exact, within, float(np.mean(bnd)) if bnd else 100.0, hit, fa)

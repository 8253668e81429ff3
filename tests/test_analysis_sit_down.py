"""Sitting down on a bench and standing up again sweeps the thigh like one deep, slow squat: it must
not be counted as a rep of the set next to it, while pause reps held on purpose still count."""

from __future__ import annotations

import pytest

from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.analysis.sets import RepCandidate, SetTracker
from sensortrack.session_analysis import analyze_session
from sensortrack.simulation.scoring import score
from sensortrack.simulation.simulator import simulate_session
from sensortrack.simulation.spec import Distractor, SessionSpec, SetSpec


def _counts(exercise: str, placement: str, settings: AnalysisSettings) -> tuple[tuple[int, int], ...]:
    spec = SessionSpec(
        exercise, placement, "right", 100.0,
        sets=(SetSpec(5, pause_at_peak_s=(0.0, 0.5)), SetSpec(6, pause_at_peak_s=(0.0, 0.5))),
        lead_in=(Distractor("stand", 2.0),),
        # Sat on the bench between sets and got up a few seconds before the next: it joins that set.
        between=((Distractor("stand", 3.0), Distractor("sit_stand", 7.0), Distractor("stand", 1.5)),),
        lead_out=(Distractor("stand", 2.0),),
    )
    session, labels = simulate_session(spec, seed=11)
    return score(analyze_session(session, settings), labels).set_counts


@pytest.mark.parametrize(
    ("exercise", "placement"),
    [("squat", "thigh"), ("squat", "shank"), ("lunge", "thigh"), ("lunge", "shank"), ("step_up", "thigh")],
)
def test_sitting_down_between_sets_is_not_a_rep(exercise: str, placement: str) -> None:
    assert _counts(exercise, placement, AnalysisSettings()) == ((5, 5), (6, 6))


def test_without_the_hold_rule_the_sit_would_count() -> None:
    """The scenario above does exercise the rule: without it the sit is a rep."""
    assert _counts("squat", "thigh", AnalysisSettings(hold_over_set_s=1e9)) != ((5, 5), (6, 6))


def _set_of(holds_s: list[float]) -> tuple[int, ...]:
    """Close a set of equal reps held still for `holds_s`; return the kept reps' start times."""
    tracker = SetTracker("squat", "thigh", AnalysisSettings(set_break_s=20.0))  # one set, however split
    start_s = 0.0
    for hold_s in holds_s:
        rep = RepCandidate(start_s, start_s + 1.5 + hold_s, start_s + 3.0 + hold_s, 60.0, 0.5, hold_s=hold_s)
        tracker.accept(rep, now_s=rep.end_s)
        start_s = rep.end_s + 1.0
    (ended,) = tracker.close(now_s=100.0)
    return tuple(int(r.start_s) for r in ended.exercise_set.reps)  # type: ignore[attr-defined]


def test_a_rep_held_far_longer_than_the_set_is_dropped_when_the_set_ends() -> None:
    assert _set_of([0.2, 0.3, 4.0, 0.1, 0.2]) == (0, 4, 16, 20)


def test_pause_reps_held_on_every_rep_all_count() -> None:
    assert _set_of([3.0, 3.5, 2.5, 4.0, 3.0]) == (0, 7, 14, 21, 29)

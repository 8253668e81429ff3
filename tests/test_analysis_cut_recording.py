"""A recording that starts during a set's first rep and stops during its last one (issue 9: 'when the
recording starts or ends mid-set with no still second'): both cut reps count, as the labels count
a rep whose peak was recorded."""

from __future__ import annotations

from sensortrack.analysis.sets import RepCandidate, SetTracker
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.session_analysis import analyze_session
from sensortrack.simulation.hard import hard_sessions
from sensortrack.simulation.simulator import simulate_session
from sensortrack.simulation.spec import SessionSpec


def _counts(spec: SessionSpec, seed: int) -> tuple[list[int], list[int]]:
    session, labels = simulate_session(spec, seed)
    result = analyze_session(session, AnalysisSettings())
    return [len(s.reps) for s in labels.sets], [len(s.reps) for s in result.sets]


def test_the_hard_design_s_joined_squats_tuning_seed_3() -> None:
    """Tuning seed 3 of the hard design (thigh, accelerometer only, 25 Hz): started 3 % into the
    first squat, stopped at 66 % of the last one, 0.16 s after its deepest point (the filters' delay
    hides the turn): the last squat is counted once it went as deep as the set's. Was 4 of 5."""
    (hard,) = hard_sessions(3, "squat_joined")
    assert _counts(hard.spec, hard.seed) == ([5], [5])


def _rep(start_s: float, duration_s: float, cut: bool = False) -> RepCandidate:
    rep = RepCandidate(start_s, start_s + 0.5 * duration_s, start_s + duration_s, 70.0, None, cut=cut)
    rep.impact_g = 0.3  # loaded like a stride: only a cut rep may be quicker than `min_rep_duration_s`
    return rep


def test_a_cut_rep_is_not_judged_by_its_duration_alone_but_still_by_the_set_s_tempo() -> None:
    """Only part of a cut rep was recorded: 0.9 s of a 2 s squat is no twitch. Still, a cut
    movement far quicker than the set's reps (under `min_duration_share_of_set`) is no rep of it."""
    settings = AnalysisSettings()
    reps = [_rep(2.0 * k, 2.0) for k in range(4)]
    tracker = SetTracker("squat", "thigh", settings)
    for rep in [*reps, _rep(8.0, 0.9, cut=True)]:
        if not tracker.rejects(rep):
            tracker.accept(rep, now_s=rep.end_s)
    tracker.close(now_s=100.0)
    assert [len(s.reps) for s in tracker.sets] == [5]
    tracker = SetTracker("squat", "thigh", settings)
    for rep in [*reps, _rep(8.0, 0.5, cut=True)]:
        if not tracker.rejects(rep):
            tracker.accept(rep, now_s=rep.end_s)
    tracker.close(now_s=100.0)
    assert [len(s.reps) for s in tracker.sets] == [4]

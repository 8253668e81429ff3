"""A recording that starts during a set's first rep (issue 9: 'when the recording starts or ends
mid-set with no still second'): that rep counts, as the labels count a rep whose peak was recorded."""

from __future__ import annotations

from sensortrack.analysis.sets import RepCandidate, SetTracker
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.session_analysis import analyze_session
from sensortrack.simulation.hard import hard_sessions
from sensortrack.simulation.simulator import simulate_session


def test_the_hard_design_s_joined_squats_tuning_seed_4() -> None:
    """Tuning seed 4 of the hard design (shank, gyroscope, 50 Hz): the file starts 17 % into the
    first squat, on its way down. Measured from its first sample, that squat read 9° (under the
    shank's 10° floor) and was dropped; measured on its way back it reads its 32°. The last squat,
    stopped near its end, is not yet back half-way for the finder once the filters' delay is
    counted; it is a period of the set's repeated pattern within a period of the recording's end,
    so the set is recounted with it (pipeline `_recount_set`): 5, as labelled."""
    (hard,) = hard_sessions(4, "squat_joined")
    session, labels = simulate_session(hard.spec, hard.seed)
    result = analyze_session(session, AnalysisSettings())
    assert [len(s.reps) for s in result.sets] == [len(labels.sets[0].reps)] == [5]  # was 3, then 4
    assert [r.calibrated for r in result.sets[0].reps] == [True] * 4 + [False]
    first = result.sets[0].reps[0]
    assert first.start_s < 0.2 and first.range_deg > 25.0


def _rep(start_s: float, duration_s: float, cut: bool = False) -> RepCandidate:
    rep = RepCandidate(start_s, start_s + 0.5 * duration_s, start_s + duration_s, 70.0, None, cut=cut)
    rep.impact_g = 0.3  # loaded like a stride: only a cut rep may be quicker than `min_rep_duration_s`
    return rep


def _counted(reps: list[RepCandidate]) -> list[int]:
    tracker = SetTracker("squat", "thigh", AnalysisSettings())
    for rep in reps:
        if not tracker.rejects(rep):
            tracker.accept(rep, now_s=rep.end_s)
    tracker.close(now_s=100.0)
    return [len(s.reps) for s in tracker.sets]


def test_a_cut_rep_is_not_judged_by_its_duration_alone_but_still_by_the_set_s_tempo() -> None:
    """Only part of a cut rep was recorded (the recording began during it): its last 0.9 s of a
    2 s squat is no twitch. Still, a cut movement far quicker than the set's reps (under
    `min_duration_share_of_set`) is no rep of it."""
    later = [_rep(1.0 + 2.0 * k, 2.0) for k in range(4)]
    assert _counted([_rep(0.1, 0.9, cut=True), *later]) == [5]
    assert _counted([_rep(0.1, 0.9), *later]) == [4]  # the same movement, whole: a stride's worth
    assert _counted([_rep(0.5, 0.5, cut=True), *later]) == [4]

"""Answers the analysis keeps between rep candidates (session 11, speed): each must equal the same
answer worked out afresh after every change, or a stale one would change counts and warnings."""

from __future__ import annotations

import numpy as np

from sensortrack.analysis.reference import SessionBaseline
from sensortrack.analysis.rep_finder import run_lengths
from sensortrack.analysis.rep_judge import longest_run
from sensortrack.analysis.sets import RepCandidate, SetTracker
from sensortrack.analysis.settings import AnalysisSettings

S = AnalysisSettings()


def _rep(start_s: float, duration_s: float, range_deg: float = 60.0) -> RepCandidate:
    return RepCandidate(start_s, start_s + 0.5 * duration_s, start_s + duration_s, range_deg, 2.0)


def _fresh_break_due_s(tracker: SetTracker) -> float | None:
    """`break_due_s` worked out from the open set as it is now, nothing kept."""
    until_s = tracker._active_until_s()
    return None if until_s is None else until_s + tracker._break_s(tracker._open)


def test_the_open_set_s_break_follows_every_rep_added_or_replaced() -> None:
    """The set break grows with slow reps (room for `set_break_reps` of them), shrinks back once a
    set's worth done in short pauses is in, and follows a rep whose end was replaced (an estimated
    end that ran into the next rep); a new set starts from `set_break_s` again."""
    tracker = SetTracker("squat", "thigh", S)
    assert tracker.break_due_s() is None
    seen: list[float] = []
    # Three slow reps 1 s apart, one that starts before the last one's end (its end is replaced),
    # then, after a long pause, a set of quick reps.
    reps = [_rep(0.0, 3.5), _rep(4.5, 3.5), _rep(9.0, 3.5), _rep(12.0, 4.0), _rep(40.0, 1.5), _rep(42.0, 1.5)]
    for rep in reps:
        tracker.position_for(rep.start_s)  # asked (and kept) before the rep is added
        assert not tracker.rejects(rep)
        tracker.accept(rep, now_s=rep.end_s)
        due_s = tracker.break_due_s()
        assert due_s == _fresh_break_due_s(tracker)
        assert due_s is not None and tracker.last_end_s is not None
        seen.append(round(due_s - tracker.last_end_s, 3))
    assert tracker._open is not None and [r.end_s for r in tracker._open.reps] == [40.0 + 1.5, 42.0 + 1.5]
    assert seen == [8.75, 8.75, 6.0, 6.0, 6.0, 6.0]  # 2.5 × 3.5 s of movement, then the rhythm's 6 s
    tracker.close(now_s=100.0)
    assert tracker.break_due_s() is None


def test_the_open_set_s_break_changes_when_the_last_rep_s_end_is_replaced() -> None:
    tracker = SetTracker("squat", "thigh", S)
    tracker.accept(_rep(0.0, 4.0), now_s=4.0)
    before = tracker.break_due_s()
    tracker.accept(_rep(3.0, 2.0), now_s=5.0)  # starts before the last one's end: that end moves to 3.0
    assert tracker._open is not None and tracker._open.reps[0].end_s == 3.0
    assert tracker.break_due_s() == _fresh_break_due_s(tracker) != before


def test_the_session_baseline_s_limit_follows_every_rep_added() -> None:
    baseline = SessionBaseline(S)
    limits = []
    for drift_deg in (3.0, 9.0, 4.0, 12.0, 1.0, 15.0, 2.0):
        limits.append(baseline.limit_deg())
        assert baseline.limit_deg() == baseline._work_out_limit()
        baseline.add(drift_deg, 60.0)
    assert baseline.limit_deg() == baseline._work_out_limit()
    assert len(set(limits[S.drift_baseline_reps:])) > 1  # the limit moved as reps came


def test_longest_run_is_the_longest_run_of_run_lengths() -> None:
    rng = np.random.default_rng(11)
    for _ in range(3000):
        n = int(rng.integers(1, 300))
        flags = rng.random(n) < rng.choice([0.0, 0.02, 0.1, 0.5, 0.9, 1.0])
        assert longest_run(flags) == int(run_lengths(flags, 0).max())

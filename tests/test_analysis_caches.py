"""Answers the analysis keeps between rep candidates (session 11, speed): each must equal the same
answer worked out afresh after every change, or a stale one would change counts and warnings."""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import pytest

from sensortrack.analysis.calibration import angle_basis, angle_in_basis
from sensortrack.analysis.engine_state import EngineState
from sensortrack.analysis.pipeline import analyze
from sensortrack.analysis.reference import SessionBaseline
from sensortrack.analysis.rep_finder import run_lengths
from sensortrack.analysis.rep_judge import longest_run
from sensortrack.analysis.sets import RepCandidate, SetTracker
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.loading import load_session
from sensortrack.session_analysis import resolve_context

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


def test_a_row_s_angle_does_not_depend_on_the_rows_worked_out_with_it() -> None:
    """What `EngineState.theta_from` relies on: `angle_in_basis` over a later part of a stretch (two
    rows or more) gives exactly that part's rows of the whole."""
    rng = np.random.default_rng(12)
    u = rng.standard_normal((3000, 3))
    u /= np.sqrt((u * u).sum(axis=1))[:, None]
    for _ in range(300):
        axis = rng.standard_normal(3)
        axis /= np.sqrt(axis @ axis)
        basis = angle_basis(axis, rng.standard_normal(3))
        a = int(rng.integers(0, 2000))
        b = a + int(rng.integers(2, 900))
        first = int(rng.integers(a, b - 1))
        whole = angle_in_basis(u[a:b], basis)
        assert np.array_equal(angle_in_basis(u[first:b], basis), whole[first - a :])


def test_settles_measure_only_the_angles_still_read_and_the_result_is_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a settle the rep search measures angles from the next rise's onset look-back on (NaN
    before): were any earlier row read, the result would differ from measuring them all."""
    session = load_session(str(files("sensortrack") / "data" / "demo_squats.csv"))
    s = session.samples
    ctx = resolve_context(session)
    span_s = float(s.t_s[-1] - s.t_s[0]) + 0.01  # the demo recording five times over, as the bench does
    t = np.concatenate([s.t_s + k * span_s for k in range(5)])
    acc, gyro = np.tile(s.acc_g, (5, 1)), np.tile(s.gyro_dps, (5, 1))
    partial_calls: list[int] = []
    theta_from = EngineState.theta_from

    def counting(self: EngineState, a: int, b: int, first: int) -> np.ndarray:
        out = theta_from(self, a, b, first)
        partial_calls.append(int(np.isnan(out).sum()))
        return out

    monkeypatch.setattr(EngineState, "theta_from", counting)
    partial = analyze(t, acc, gyro, ctx)
    assert sum(1 for n in partial_calls if n > 0) >= 5  # settles that skipped rows
    monkeypatch.setattr(EngineState, "theta_from", lambda self, a, b, first: self.theta(a, b))
    whole = analyze(t, acc, gyro, ctx)
    assert partial.sets == whole.sets and sum(len(x.reps) for x in whole.sets) > 0
    for name in ("t_s", "angle_deg", "drift_deg"):
        assert np.array_equal(getattr(partial.trace, name), getattr(whole.trace, name), equal_nan=True)

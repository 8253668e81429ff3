"""A closing set recounted from its whole repeated pattern (repetition.explained_by_period,
pipeline `_recount_set`).

A shank standing up from a chair and sitting down again tilts forward twice per rep, and the
calibrated finder counted both tilts (or some of them): 8–10 reps for 5. The set's own period holds
one rep; where it explains the finder's reps (each of them within a period, no period counted
outside them), the set is counted one rep per period. These tests fail if that breaks, or if it
starts recounting sets the finder counted right.
"""

from __future__ import annotations

import numpy as np

from sensortrack.analysis.pipeline import StreamingAnalyzer
from sensortrack.analysis.set_recount import SetRecount
from sensortrack.analysis.repetition import RepeatedRep, explained_by_period
from sensortrack.session_analysis import analyze_session, resolve_context
from sensortrack.simulation.hard import hard_sessions
from sensortrack.simulation.simulator import simulate_session


def _period_reps(peaks: list[int], half: int = 5) -> list[RepeatedRep]:
    return [RepeatedRep(p - half, p, p + half, 10.0) for p in peaks]


def _finder(peaks: list[int], half: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = np.asarray(peaks)
    return p, p - half, p + half


def test_two_excursions_per_period_are_one_rep() -> None:
    pattern = _period_reps([20, 120, 220, 320, 420])
    finder = _finder([20, 70, 120, 170, 220, 270, 320, 370, 420, 470])
    groups = explained_by_period(*finder, pattern, 100.0)
    assert groups == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]


def test_a_period_the_finder_missed_inside_its_reps_is_a_rep() -> None:
    pattern = _period_reps([20, 120, 220, 320, 420])
    finder = _finder([20, 120, 320, 420])
    assert explained_by_period(*finder, pattern, 100.0) == [[0], [1], [], [2], [3]]


def test_the_finders_count_stands_where_the_pattern_does_not_explain_it() -> None:
    pattern = _period_reps([20, 120, 220, 320, 420])
    # the same count: nothing to change
    assert explained_by_period(*_finder([20, 120, 220, 320, 420]), pattern, 100.0) is None
    # a period before the finder's first rep: movement before the set, not counted from the pattern
    assert explained_by_period(*_finder([120, 220, 320, 420]), pattern, 100.0) is None
    # ... unless the recording began within a period of it (a set filmed from a rep)
    assert explained_by_period(*_finder([120, 220, 320, 420]), pattern, 100.0, (50.0, np.inf)) == [[], [0], [1], [2], [3]]
    # a finder rep more than a period after the pattern's last
    assert explained_by_period(*_finder([20, 120, 220, 320, 420, 600]), pattern, 100.0) is None
    # fewer periods than reps, but most periods hold one rep: a rhythm break, not double movements
    fewer = _period_reps([20, 120, 220, 320])
    assert explained_by_period(*_finder([20, 120, 170, 220, 320]), fewer, 100.0) is None


def _shank_sit_to_stand() -> tuple[object, object]:
    """Hard design, tuning seed 47: shank, accelerometer only, two sets of 5 sit-to-stands, which
    the finder read as 8 and 8 (each rep's two forward tilts, some of them)."""
    (hard,) = hard_sessions(47, "squat_sit")
    assert hard.spec.placement == "shank" and not hard.gyro
    return simulate_session(hard.spec, hard.seed)


def test_a_simulated_shank_sit_to_stand_is_counted_one_rep_per_period(monkeypatch) -> None:
    session, labels = _shank_sit_to_stand()
    result = analyze_session(session)
    assert [len(s.reps) for s in result.sets] == [len(s.reps) for s in labels.sets] == [5, 5]
    # ... and it is the recount that counts them so
    monkeypatch.setattr(SetRecount, "recount_set", lambda self, reps: reps)
    assert [len(s.reps) for s in analyze_session(session).sets] == [8, 8]


def test_the_recount_streams_as_it_batches() -> None:
    session, _ = _shank_sit_to_stand()
    batch = analyze_session(session).to_dict()
    s = session.samples
    analyzer = StreamingAnalyzer(resolve_context(session))
    sizes = (1, 7, 64, 333)
    i = k = 0
    while i < s.t_s.size:
        j = min(s.t_s.size, i + sizes[k % len(sizes)])
        analyzer.feed(s.t_s[i:j], s.acc_g[i:j], None if s.gyro_dps is None else s.gyro_dps[i:j])
        i, k = j, k + 1
    streamed = analyzer.finish().to_dict()
    assert streamed["sets"] == batch["sets"]


def test_squats_that_repeat_at_the_finders_own_spacing_are_not_merged(monkeypatch) -> None:
    """Hard design, tuning seed 81: shank with a gyroscope, a set of 7 knee-valgus squats whose angle
    lines up better over a longer lag (6.2 s) than over one rep (3 s). The angle still correlates at
    the finder's spacing (0.5), so its 7 reps are whole reps and stay 7 (4 without that test)."""
    (hard,) = [h for h in hard_sessions(81, "squat_person") if h.scenario == "squat_person"]
    session, labels = simulate_session(hard.spec, hard.seed)
    assert [len(s.reps) for s in labels.sets] == [10, 7]
    assert [len(s.reps) for s in analyze_session(session).sets] == [10, 7]
    monkeypatch.setattr(SetRecount, "_finder_cycle_repeats", lambda self, angle, reps: False)
    assert [len(s.reps) for s in analyze_session(session).sets] == [10, 4]


def test_half_the_periods_holding_two_excursions_is_a_pattern_of_double_movements() -> None:
    """Session 11: a trailing thigh's lunge extends the hip on the step out and less on the step
    back; the finder reads the smaller excursion above its floor in only some reps (UTD-MHAD
    subject 5: 6 for 4). Half the periods holding two of the finder's reps is enough."""
    pattern = _period_reps([20, 120, 220, 320])
    groups = explained_by_period(*_finder([20, 70, 120, 220, 270, 320]), pattern, 100.0)
    assert groups == [[0, 1], [2], [3, 4], [5]]
    # one period in four holding two is still a rhythm break, not double movements
    assert explained_by_period(*_finder([20, 70, 120, 220, 320]), pattern, 100.0) is None


def test_lone_reps_of_a_shank_sit_to_stand_are_recounted_over_the_whole_pattern() -> None:
    """Session 11: hard design, tuning seed 73, shank without a gyroscope, two sets of 5
    sit-to-stands. The finder counted one quick forward tilt in each half of each set (lone
    reps, dropped as fewer than a set); recounted together, the set's pattern has periods before
    the first and after the last of them, which used to stop the recount (0 + 0). Reps fewer than
    a set do not mark where the set began and ended: 5 + 5."""
    (hard,) = hard_sessions(73, "squat_sit")
    assert hard.spec.placement == "shank" and not hard.gyro
    session, labels = simulate_session(hard.spec, hard.seed)
    result = analyze_session(session)
    assert [len(s.reps) for s in result.sets] == [len(s.reps) for s in labels.sets] == [5, 5]
    # each set holds two of the finder's reps, the rest counted from the movement
    assert [sum(r.calibrated for r in s.reps) for s in result.sets] == [2, 2]

"""SetTracker: movements under the exercise's floor join a set of real reps they are like."""

from __future__ import annotations

from dataclasses import replace

from sensortrack.analysis.results import Rep, SetEnded
from sensortrack.analysis.sets import RepCandidate, SetTracker
from sensortrack.analysis.settings import AnalysisSettings

S = AnalysisSettings()  # lunge thigh floor 20°, below-floor share 0.5: 10°


def _rep(start_s: float, range_deg: float, duration_s: float = 2.0, calibrated: bool = True) -> RepCandidate:
    return RepCandidate(start_s, start_s + 0.5 * duration_s, start_s + duration_s, range_deg, None,
                        calibrated=calibrated)


def _feed(tracker: SetTracker, reps: list[RepCandidate]) -> list[int]:
    """Each rep judged as the pipeline does (rejected, or accepted), then the stream's end."""
    for rep in reps:
        if not tracker.rejects(rep):
            tracker.accept(rep, now_s=rep.end_s)
    events = tracker.close(now_s=1000.0)
    return [len(e.exercise_set.reps) for e in events if isinstance(e, SetEnded) and e.kept]


def test_a_trailing_thigh_s_smaller_lunges_join_the_set_they_belong_to() -> None:
    """UTD-MHAD: a trailing thigh sweeps 15° on some lunges, 21–22° on others (floor 20°)."""
    tracker = SetTracker("lunge", "thigh", S)
    assert _feed(tracker, [_rep(0.8, 14.8), _rep(3.6, 22.2), _rep(6.2, 21.2), _rep(9.2, 15.1)]) == [4]
    sets = tracker.sets
    assert [r.index for r in sets[0].reps] == [1, 2, 3, 4]
    assert [round(r.start_s, 1) for r in sets[0].reps] == [0.8, 3.6, 6.2, 9.2]
    assert sets[0].reps[0].knee_drift_deg is None  # not measured for a movement kept aside


def test_movements_under_the_floor_alone_far_from_a_set_or_unlike_it_are_not_reps() -> None:
    # Alone: no set of real reps to join.
    assert _feed(SetTracker("lunge", "thigh", S), [_rep(0.0, 15.0), _rep(3.0, 15.0), _rep(6.0, 15.0)]) == []
    # More than a set break before the set, or under half the set's reps: not joined.
    far = [_rep(0.0, 15.0), _rep(10.0, 40.0), _rep(13.0, 41.0), _rep(16.0, 42.0), _rep(19.0, 17.0)]
    assert _feed(SetTracker("lunge", "thigh", S), far) == [3]
    # Under half the floor: never kept (a fidget).
    assert _feed(SetTracker("lunge", "thigh", S), [_rep(0.0, 9.0), _rep(3.0, 22.0), _rep(6.0, 22.0)]) == []


def test_a_movement_a_set_already_counted_is_not_counted_twice() -> None:
    """A rep the movement's repetition counted (repetition.py) covers the same samples."""
    tracker = SetTracker("lunge", "thigh", S)
    reps = [_rep(0.0, 15.0), _rep(0.1, 25.0, calibrated=False), _rep(3.0, 25.0, calibrated=False),
            _rep(6.0, 25.0, calibrated=False)]
    assert _feed(tracker, reps) == [3]


def _quick(start_s: float, impact_g: float) -> RepCandidate:
    rep = _rep(start_s, 60.0, duration_s=1.0)
    rep.impact_g = impact_g
    return rep


def test_quick_reps_count_unless_foot_strikes_load_the_leg() -> None:
    """Continuous squats at 1 s per rep are quicker than `min_rep_duration_s` (1.25 s); walking
    strides are as quick but land on the foot (UTD-MHAD thigh: 0.13–0.4 g of quick |acc|)."""
    squats = [_quick(1.0 * k, impact_g=0.04) for k in range(6)]
    assert _feed(SetTracker("squat", "thigh", S), squats) == [6]
    strides = [_quick(1.0 * k, impact_g=0.15) for k in range(6)]
    assert _feed(SetTracker("squat", "thigh", S), strides) == []
    twitches = [replace(_quick(0.5 * k, impact_g=0.0), end_s=0.5 * k + 0.4) for k in range(6)]
    assert _feed(SetTracker("squat", "thigh", S), twitches) == []


def test_smaller_reps_in_the_set_s_rhythm_keep_the_set_going() -> None:
    """MEx s02 clamshell (tuning half): four 22–28° reps, one of 9° (under the set's share), then
    four of 11–22°: one set of 8 (hand count 8–10), not two sets of 4 split by a 'pause' of 8 s
    that was a small rep. A movement that comes later than a rhythm break still ends the set."""
    reps = [_rep(0.0, 25.5, 2.4), _rep(4.0, 22.0, 2.2), _rep(7.1, 23.3, 2.2), _rep(10.5, 28.0, 2.3),
            _rep(14.0, 9.2, 1.3),
            _rep(20.9, 11.5, 1.9), _rep(24.0, 16.3, 1.6), _rep(27.2, 14.1, 1.6), _rep(30.8, 22.1, 1.8)]
    assert _feed(SetTracker("clamshell", "thigh", S), reps) == [8]
    late = [*reps[:4], _rep(16.5, 9.2, 1.3), *reps[5:]]  # 3.7 s after the last rep: past the rhythm
    tracker = SetTracker("clamshell", "thigh", S)
    _feed(tracker, late)
    assert [len(st.reps) for st in tracker.sets] == [4, 4]


def test_quick_steps_right_after_a_set_of_slow_reps_do_not_join_it() -> None:
    """squat_thigh_left_cut fixture: simulated strides (1 s, 28–30°, light heel strikes) a few
    seconds after a set of 3.5 s squats joined it and bridged it to the next set (7 + 7 -> 21)."""
    slow = [_rep(4.0 * k, 65.0, duration_s=3.5) for k in range(5)]
    strides = [_quick(22.0 + 1.0 * k, impact_g=0.06) for k in range(6)]
    tracker = SetTracker("squat", "thigh", S)
    _feed(tracker, slow + strides)
    # The strides within a set break of the set are refused; the last two, after it, are too few.
    assert [len(st.reps) for st in tracker.sets] == [5]
    assert _feed(SetTracker("squat", "thigh", S), strides) == [6]  # alone, smooth: they would count


def test_alternating_lunges_are_one_set_though_the_other_leg_s_lunge_pauses_this_one_s() -> None:
    """Hard design, alternating lunges (tuning seeds): this leg's 3.6 s lunges start every 10.2 s,
    the other leg's lunge and two rests between them. Each pause (6.6 s) is longer than
    `set_break_s`, so every lunge used to close a set of its own: 6 reps counted 0. A pause with
    room for 2.5 of the set's reps keeps it open, and the set's rhythm keeps it whole at its end."""
    lunges = [_rep(10.2 * k, 70.0, duration_s=3.6) for k in range(6)]
    assert _feed(SetTracker("lunge", "thigh", S), lunges) == [6]
    # The same reps further apart than 2.5 of them (9 s): no longer one movement in a rhythm.
    apart = [_rep(14.0 * k, 70.0, duration_s=3.6) for k in range(6)]
    assert _feed(SetTracker("lunge", "thigh", S), apart) == []


def test_two_sets_joined_by_the_longer_open_break_come_apart_when_it_closes() -> None:
    """Two sets of 3.5 s squats with 1 s between reps and a 6.5 s rest between the sets: the rest
    fits two of the reps (the set stays open through it), but it is a set break that breaks the
    sets' rhythm, so the closed set is split into the two sets done."""
    first = [_rep(4.5 * k, 65.0, duration_s=3.5) for k in range(4)]
    second = [_rep(first[-1].end_s + 6.5 + 4.5 * k, 65.0, duration_s=3.5) for k in range(4)]
    tracker = SetTracker("squat", "thigh", S)
    _feed(tracker, first + second)
    assert [len(st.reps) for st in tracker.sets] == [4, 4]
    assert [st.index for st in tracker.sets] == [1, 2]


def test_the_open_set_s_kept_medians_are_those_of_its_reps_also_when_an_end_is_moved() -> None:
    """The sorted durations, moving times and pauses the open set keeps as reps come (asked at every
    candidate instead of sorting) equal those sorted afresh from its reps, also after a rep's
    estimated end ran into the next rep and was moved back (`_OpenSet.replace_last`)."""
    tracker = SetTracker("band_walk", "shank", S)
    starts = [0.0, 1.5, 2.9, 4.6, 5.8, 7.5]
    for k, start_s in enumerate(starts):
        # Ends estimated past the next step's start on every other step: they are moved back.
        end_s = start_s + (1.9 if k % 2 == 0 else 1.2)
        rep = RepCandidate(start_s, start_s + 0.4, end_s, 20.0 + k, None, hold_s=0.1 * k)
        assert not tracker.rejects(rep)
        tracker.accept(rep, now_s=end_s)
    opened = tracker._open
    assert opened is not None and len(opened.reps) == len(starts)
    reps, holds = opened.reps, opened.holds_s
    assert [reps[k].end_s for k in (0, 2, 4)] == [starts[1], starts[3], starts[5]]  # moved back
    assert opened.durations_s == sorted(r.end_s - r.start_s for r in reps)
    assert opened.moving_s == sorted(r.end_s - r.start_s - h for r, h in zip(reps, holds, strict=True))
    assert opened.pauses_s == sorted(b.start_s - a.end_s for a, b in zip(reps, reps[1:], strict=False))
    assert opened.best_range_deg == max(r.range_deg for r in reps)


def _rep_at(start_s: float) -> Rep:
    return Rep(index=1, start_s=start_s, peak_s=start_s + 1.0, end_s=start_s + 2.0, range_deg=40.0,
               down_s=1.0, up_s=1.0, knee_drift_deg=None)


def test_dropped_reps_are_recounted_in_runs_that_double() -> None:
    """A set too small to keep is recounted with the finder's dropped reps before it: the runs tried
    hold the latest 1, 2, 4, … of them and then all, so the work (each recount searches its run's
    samples) is linear in the dropped reps, not quadratic (one more rep per try)."""
    tracker = SetTracker("squat", "shank", AnalysisSettings())
    tried: list[int] = []

    def recount(chain: list[Rep]) -> list[Rep]:
        tried.append(len(chain))
        return chain  # never a set: every run is tried
    tracker.recount = recount
    tracker._dropped = [_rep_at(3.0 * k) for k in range(19)]
    mine = [_rep_at(60.0)]
    assert tracker._recount_with_dropped(mine) == mine
    assert tried == [2, 3, 5, 9, 17, 20]  # 1, 2, 4, 8, 16, all 19 dropped reps, each with this one
    assert sum(tried) < 3 * (19 + 1)

    # The shortest run the pattern counts as a set is taken, and the dropped reps are spent.
    tried.clear()
    joined = [_rep_at(54.0), _rep_at(57.0), _rep_at(60.0)]
    tracker.recount = lambda chain: joined if len(chain) >= 3 else chain
    assert tracker._recount_with_dropped(mine) is joined
    assert tracker._dropped == []

"""Issue 9: a live user sees only the knee-drift warnings `analyze` gives for the same file.

A rep counted live can be dropped when its set is judged whole (sets.py `close`; `RepWithdrawn`);
the live view's policy (analysis/live_warnings.py) then takes its warning back, and can hold a set's
first reps' warnings until the set is established.
"""

from __future__ import annotations

import numpy as np
import pytest

from sensortrack.analysis.live_warnings import LiveWarnings, WarningShown, WarningTakenBack
from sensortrack.analysis.pipeline import StreamingAnalyzer, analyze
from sensortrack.analysis.results import (
    Event, ExerciseSet, Rep, RepCounted, RepWarning, RepWithdrawn, SetEnded, SetStarted,
)
from sensortrack.session_analysis import resolve_context
from sensortrack.simulation.hard import hard_sessions
from sensortrack.simulation.simulator import simulate_session


def _hard(seed: int, scenario: str):  # type: ignore[no-untyped-def]
    hard = next(h for h in hard_sessions(seed) if h.scenario == scenario)
    session, _ = simulate_session(hard.spec, seed=hard.seed)
    return session


def _stream(session, seed: int) -> list[Event]:  # type: ignore[no-untyped-def]
    ctx = resolve_context(session)
    s = session.samples
    rng = np.random.default_rng(seed)
    analyzer = StreamingAnalyzer(ctx, keep_trace=False)
    events: list[Event] = []
    i = 0
    while i < len(s):
        n = int(rng.choice([1, 7, 50, 333]))
        block = s.slice(i, i + n)
        events += analyzer.feed(block.t_s, block.acc_g, block.gyro_dps)
        i += n
    analyzer.finish()
    return events + analyzer.drain_events()


# Hard-design sessions (tuning seeds) where the counter drops reps it had counted live; in the
# first, some of them (a lunge set's; which reps depends on the simulator's and the engine's details,
# so the tests below pin the properties, not the indices) were warned.
DROPPING = [(2, "lunge_alternating"), (9, "squat_sit_to_stand"), (8, "squat_fast")]


@pytest.mark.parametrize(("seed", "scenario"), DROPPING)
def test_withdrawn_reps_are_exactly_the_live_reps_analyze_does_not_keep(seed: int, scenario: str) -> None:
    session = _hard(seed, scenario)
    s = session.samples
    batch = analyze(s.t_s, s.acc_g, s.gyro_dps, resolve_context(session))
    final = {r.start_s for r in batch.reps}
    events = _stream(session, seed)
    counted = [e.rep.start_s for e in events if isinstance(e, RepCounted)]
    withdrawn = [e.rep.start_s for e in events if isinstance(e, RepWithdrawn)]
    assert withdrawn, "the session should drop a rep it counted live"
    assert set(withdrawn) == set(counted) - final
    assert not set(withdrawn) & final
    # each withdrawal comes before the SetEnded of the set that dropped it
    for k, e in enumerate(events):
        if isinstance(e, RepWithdrawn):
            assert any(isinstance(x, SetEnded) for x in events[k + 1 :])
            nxt = next(x for x in events[k + 1 :] if not isinstance(x, RepWithdrawn))
            assert isinstance(nxt, SetEnded)


@pytest.mark.parametrize("hold_reps", [1, 3])
def test_live_warnings_end_as_analyzes(hold_reps: int) -> None:
    session = _hard(2, "lunge_alternating")
    s = session.samples
    batch = analyze(s.t_s, s.acc_g, s.gyro_dps, resolve_context(session))
    warned = {r.start_s for r in batch.reps if r.drifted}
    assert warned
    events = _stream(session, 5)
    decisions = LiveWarnings(hold_reps).review(events)
    on_screen: set[float] = set()
    ever: set[float] = set()
    for d in decisions:
        if isinstance(d, WarningShown):
            on_screen.add(d.rep.start_s)
            ever.add(d.rep.start_s)
        else:
            on_screen.discard(d.rep.start_s)
    assert on_screen == warned  # what stays shown is analyze's warnings
    assert warned <= ever  # and each was shown live
    taken = [d for d in decisions if isinstance(d, WarningTakenBack)]
    assert {d.rep.start_s for d in taken} == ever - warned  # shown, then dropped: each taken back
    assert hold_reps > 1 or len(taken) >= 1  # shown at once, so this lunge set's dropped warned reps were


def _rep(start_s: float, warned: bool, index: int = 1) -> Rep:
    warnings = (RepWarning("knee_drift", start_s + 0.5, 9.0, 5.0, "knee drifting inward"),) if warned else ()
    return Rep(index=index, start_s=start_s, peak_s=start_s + 1, end_s=start_s + 2, range_deg=60.0, down_s=1.0,
               up_s=1.0, knee_drift_deg=9.0 if warned else 1.0, warnings=warnings)


def _ended(index: int, reps: list[Rep], kept: bool = True) -> SetEnded:
    return SetEnded(ExerciseSet(index, "squat", reps[0].start_s, reps[-1].end_s, tuple(reps)), t_s=99.0, kept=kept)


def test_hold_waits_for_the_set_and_drops_what_is_withdrawn_unseen() -> None:
    view = LiveWarnings(hold_reps=3)
    r1, r2, r3 = _rep(0.0, True, 1), _rep(3.0, False, 2), _rep(6.0, True, 3)
    assert view.on_event(SetStarted(1, 0.0)) == []
    assert view.on_event(RepCounted(1, r1, 2.1)) == []  # held: the set has one rep
    assert view.held(1, r1)
    assert view.on_event(RepCounted(1, r2, 5.1)) == []
    shown = view.on_event(RepCounted(1, r3, 8.1))  # established: both warnings now
    assert [(d.rep.start_s, d.t_s, d.counted_t_s) for d in shown] == [(0.0, 8.1, 2.1), (6.0, 8.1, 8.1)]
    assert not view.held(1, r1)
    taken = view.on_event(RepWithdrawn(1, r3, 20.0))
    assert [type(d) for d in taken] == [WarningTakenBack]
    assert view.on_event(_ended(1, [r1, r2], kept=True)) == []

    # a set never established: its held warning is withdrawn with it, never shown
    view.on_event(SetStarted(2, 30.0))
    lone = _rep(30.0, True)
    assert view.on_event(RepCounted(2, lone, 32.1)) == []
    assert view.on_event(RepWithdrawn(2, lone, 50.0)) == []
    assert view.on_event(_ended(2, [lone], kept=False)) == []


def test_a_held_warning_shows_when_its_set_ends_kept() -> None:
    """Live the set had fewer reps than the hold (others joined it when it was judged whole)."""
    view = LiveWarnings(hold_reps=3)
    view.on_event(SetStarted(1, 0.0))
    r1 = _rep(0.0, True)
    view.on_event(RepCounted(1, r1, 2.1))
    shown = view.on_event(_ended(1, [r1, _rep(3.0, False, 2), _rep(6.0, False, 3)]))
    assert [(type(d), d.rep.start_s) for d in shown] == [(WarningShown, 0.0)]


def test_no_hold_shows_at_once_and_a_clean_set_shows_nothing() -> None:
    view = LiveWarnings(hold_reps=1)
    view.on_event(SetStarted(1, 0.0))
    assert [type(d) for d in view.on_event(RepCounted(1, _rep(0.0, True), 2.1))] == [WarningShown]
    assert view.on_event(RepCounted(1, _rep(3.0, False, 2), 5.1)) == []
    assert view.on_event(RepWithdrawn(1, _rep(3.0, False, 2), 9.0)) == []  # no warning: nothing to take back


async def test_the_live_view_takes_a_withdrawn_warning_back(tmp_path, until) -> None:  # type: ignore[no-untyped-def]
    """Replayed, the warnings on reps the set's close drops (counted live) are raised, then taken
    back with a line saying so when its set is judged whole; every other warning raised is analyze's."""
    from sensortrack.core.sessionfile import write_session
    from sensortrack.tui.app import replay_app
    from sensortrack.tui.widgets import AlertBanner

    session = _hard(2, "lunge_alternating")
    path = tmp_path / "lunges.csv"
    write_session(path, session)
    s = session.samples
    batch = analyze(s.t_s, s.acc_g, s.gyro_dps, resolve_context(session))
    warned = {(st.index, r.index) for st in batch.sets for r in st.reps if r.drifted}
    app = replay_app(path, speed=1000.0)
    async with app.run_test(size=(100, 36)) as pilot:
        await until(pilot, lambda: app.result is not None)
        banner = str(app.screen_stack[0].query_one(AlertBanner).content)
    taken = [(k, s_, r) for k, s_, r in app.alert_log if k == "taken back"]
    assert taken, "a warning the set's close drops is taken back"
    raised = [(s_, r) for k, s_, r in app.alert_log if k == "raised"]
    back = {(s_, r) for _, s_, r in taken}
    assert back <= set(raised)
    # as many others as analyze's (the reps after a withdrawn one are renumbered there; which reps, by
    # start time, test_live_warnings_end_as_analyzes checks)
    assert len({x for x in raised if x not in back}) == len(warned)
    # the set judged whole at the stream's end: the line saying so is what the banner shows last
    assert f"rep {taken[-1][2]} taken back" in banner, banner


def test_a_set_ended_by_hand_hands_out_its_withdrawals_with_it() -> None:
    """`end_set` (the `e` key) right after a set's first rep: a set of one rep is not kept, so the
    rep is withdrawn, in what `end_set` returns, before its SetEnded, once (the events handed out
    later do not repeat it)."""
    session = _hard(2, "lunge_alternating")
    s = session.samples
    analyzer = StreamingAnalyzer(resolve_context(session), keep_trace=False)
    step = max(1, int(0.1 * session.meta.sensor.nominal_rate_hz))
    events: list[Event] = []
    i = 0
    while not any(isinstance(e, RepCounted) for e in events):
        block = s.slice(i, i + step)
        events += analyzer.feed(block.t_s, block.acc_g, block.gyro_dps)
        i += step
    first = next(e for e in events if isinstance(e, RepCounted))
    by_hand = analyzer.end_set()
    assert [type(e) for e in by_hand] == [RepWithdrawn, SetEnded]
    assert by_hand[0].rep == first.rep and not by_hand[1].kept  # type: ignore[union-attr]
    block = s.slice(i, len(s))
    rest = analyzer.feed(block.t_s, block.acc_g, block.gyro_dps)
    analyzer.finish()
    rest += analyzer.drain_events()
    withdrawn = [e.rep.start_s for e in [*events, *by_hand, *rest] if isinstance(e, RepWithdrawn)]
    assert len(withdrawn) == len(set(withdrawn))
    counted = {e.rep.start_s for e in [*events, *by_hand, *rest] if isinstance(e, RepCounted)}
    kept = {r.start_s for e in [*events, *by_hand, *rest] if isinstance(e, SetEnded) and e.kept for r in e.exercise_set.reps}
    assert set(withdrawn) == counted - kept

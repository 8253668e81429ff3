"""The note after a set in the live view, on a virtual sensor through the real BLE path: asked when
a set ends, answered or skipped with one key, never holding up the counting, written into the
recording (also after the stream ended), and a plan's move to another exercise written there too,
so that `analyze` on the recording gives what the view showed."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from sensortrack.core.plans import Plan, PlanStep
from sensortrack.session_analysis import analyze_session
from sensortrack.core.session_events import ExerciseChange, SetNote
from sensortrack.core.sessionfile import read_session
from sensortrack.tui.app import make_app
from sensortrack.tui.live import LiveChoice, LiveSource, open_virtual_source
from sensortrack.tui.note import NoteBar
from sensortrack.tui.screens import SessionSummaryScreen

ROOT = Path(__file__).parent.parent
DEMO = ROOT / "sensortrack" / "data" / "demo_squats.csv"  # 2 sets of squats
SPEED = 20.0


def _app(source: LiveSource, choice: LiveChoice, plan: Plan | None = None):  # type: ignore[no-untyped-def]
    return make_app(
        source,
        choice.exercise,
        choice.placement,
        choice.side,
        rate_hz=source.supervisor.info.nominal_rate_hz,
        has_gyro=source.supervisor.family.has_gyro,
        plan=plan,
    )


async def test_note_after_each_set_is_asked_saved_or_skipped_and_recorded(tmp_path: Path, until) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "live.csv"
    source, choice = await open_virtual_source("open_profile", DEMO, out, speed=SPEED)
    app = _app(source, choice)
    try:
        async with app.run_test(size=(100, 36)) as pilot:
            bar = app.query_one(NoteBar)
            assert not bar.display  # nothing to ask before a set
            await until(pilot, lambda: bar.is_open)
            first = app.kept_sets[-1]
            assert bar.set_index == first.index and app.focused is app.query_one("#note-rpe", Input)
            # letters do not go into a score; 1 then 0 is 10, a third digit is refused
            await pilot.press("q", "1", "0", "5", "tab", "3", "tab", *"left knee")
            assert app.query_one("#note-rpe", Input).value == "10"
            assert app.is_running  # "q" typed into the note did not quit
            await pilot.press("enter")
            assert app.notes[first.index] == SetNote(first.start_s, first.end_s, 10, 3, "left knee")
            # saved: closed, or (when the next set ended while it was typed) on to that set's question
            assert not bar.is_open or (bar.set_index == 2 and app.query_one("#note-rpe", Input).value == "")
            # the second set ended meanwhile (or ends with the stream): its note is asked next, before
            # the summary, and Esc skips it
            await until(pilot, lambda: app.result is not None)
            await until(pilot, lambda: bar.is_open and bar.set_index == 2)
            assert not isinstance(app.screen, SessionSummaryScreen)
            await pilot.press("escape")
            # the screen is pushed before its table is composed: wait for the table itself
            await until(pilot, lambda: isinstance(app.screen, SessionSummaryScreen) and bool(app.screen.query("#summary-table")))
            table = app.screen.query_one("#summary-table", DataTable)
            assert "RPE 10 · pain 3 (left knee)" in [str(c) for c in table.get_row_at(0)]
            assert len(app.notes) == 1
    finally:
        await source.close()
    recorded = read_session(out)
    assert not recorded.interrupted
    assert recorded.events.set_notes == (SetNote(round(first.start_s, 3), round(first.end_s, 3), 10, 3, "left knee"),)
    # the note names the set `analyze` finds in the recording
    assert app.result is not None and app.result.to_dict()["sets"] == analyze_session(recorded).to_dict()["sets"]


async def test_counting_goes_on_while_a_note_is_open(tmp_path: Path, until) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "live.csv"
    source, choice = await open_virtual_source("open_profile", DEMO, out, speed=SPEED)
    app = _app(source, choice)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            bar = app.query_one(NoteBar)
            await until(pilot, lambda: bar.is_open)
            asked = bar.set_index
            # left open: the next set is counted all the same
            await until(pilot, lambda: app.result is not None)
            assert bar.is_open and bar.set_index == len(app.result.sets) != asked  # the newer set's question
            assert [len(s.reps) for s in app.result.sets] == [len(s.reps) for s in analyze_session(read_session(out)).sets]
    finally:
        await source.close()


async def test_a_plan_moving_on_writes_the_exercise_into_the_recording(tmp_path: Path, until) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "plan.csv"
    source, choice = await open_virtual_source("open_profile", DEMO, out, speed=SPEED)
    plan = Plan("two", (PlanStep("squat", 1, 6, 5.0), PlanStep("lunge", 1, 6, 5.0)), "test")
    app = _app(source, choice, plan)
    try:
        async with app.run_test(size=(100, 36)) as pilot:
            await until(pilot, lambda: app.ctx.exercise == "lunge")
            await until(pilot, lambda: app.result is not None)
            # the view numbers the lunge set on after the squat set (each part's analysis counts from 1)
            await until(pilot, lambda: app.query_one(NoteBar).set_index == 2)
            assert "Set 2 (lunge)" in str(app.query_one("#note-question").render())
    finally:
        await source.close()
    recorded = read_session(out)
    changes = recorded.events.exercise_changes
    assert [c.exercise for c in changes] == ["lunge"] and isinstance(changes[0], ExerciseChange)
    assert app.result is not None
    assert [s.exercise for s in app.result.sets] == ["squat", "lunge"]
    # replay, analyze and the library see what the view saw: each set with its exercise. Times to
    # within 2 ms: the live view analysed the device's timestamps, the file holds them rounded, and
    # a time on a rounding boundary of the JSON's 3 decimals may then come out 1 ms apart.
    assert _same_sets(app.result.to_dict()["sets"], analyze_session(recorded).to_dict()["sets"])


def _same_sets(a: object, b: object, key: str = "") -> bool:
    """Equal, except that times (`*_s`) may differ by 2 ms and other numbers by one rounding step."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_sets(a[k], b[k], k) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_sets(x, y, key) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        tolerance = 0.002 if key.endswith("_s") else 0.1
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a - b) <= tolerance + 1e-9
    return a == b


async def test_a_plan_moving_on_loads_the_reference_of_the_next_exercise(until) -> None:  # type: ignore[no-untyped-def]
    """A knee-drift reference is one exercise's: the next exercise gets its own stored one, or none."""
    from sensortrack.analysis.reference import DriftReference
    from sensortrack.tui.app import replay_app

    asked: list[tuple[str, str, str]] = []

    def lookup(exercise: str, placement: str, side: str) -> DriftReference | None:
        asked.append((exercise, placement, side))
        if exercise != "lunge":
            return None
        return DriftReference("lunge", placement, side, 2.0, 1.0, 8, "library session 7")

    plan = Plan("two", (PlanStep("squat", 1, 6, 1.0), PlanStep("lunge", 1, 6, 1.0)), "test")
    app = replay_app(DEMO, speed=50.0, plan=plan, reference=lookup)
    async with app.run_test(size=(100, 36)) as pilot:
        assert app.ctx.reference is None  # squats: nothing stored
        await until(pilot, lambda: app.ctx.exercise == "lunge")
        assert app.ctx.reference is not None and app.ctx.reference.source == "library session 7"
        assert ("lunge", "thigh", "left") in asked
        await until(pilot, lambda: app.result is not None)
        lunge_sets = [s for s in app.result.sets if s.exercise == "lunge"]
        # the lunge reps were judged against that reference: its limit, which today's reps may move
        # once there are three of them (a strap put on again: down freely, up only to the first reps'
        # ceiling), never past it — beyond the level's scaling with a rep's depth against today's
        # usual range (reference.py)
        limit = app.ctx.reference.limit_deg(app.settings)
        reps = [r for s in lunge_sets for r in s.reps if r.drift_limit_deg is not None]
        limits = [r.drift_limit_deg for r in reps]
        assert limits and limits[0] == pytest.approx(limit), (limits, limit)
        deepest = max(r.range_deg for r in reps) / min(r.range_deg for r in reps)
        ceiling = app.ctx.reference.limit_deg(app.settings, depth_share=deepest)
        assert all(x <= ceiling + 1e-9 for x in limits), (limits, ceiling)

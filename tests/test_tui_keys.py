"""Keys and commands of the live view: seeking while paused, Home after the end, the palette's own
commands, the screenshot folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from sensortrack.tui.app import replay_app
from sensortrack.tui.screens import SessionSummaryScreen
from sensortrack.tui.sources import ReplaySource

ROOT = Path(__file__).parent.parent
SQUATS = ROOT / "fixtures" / "simulated" / "squat_thigh_left.csv"


async def test_seeking_while_paused_moves_there_and_stays_paused(until) -> None:  # type: ignore[no-untyped-def]
    app = replay_app(SQUATS, speed=1.0)
    source = app.source
    assert isinstance(source, ReplaySource)
    async with app.run_test(size=(100, 36)) as pilot:
        await pilot.press("space")
        assert source.paused
        await pilot.press("right")
        await until(pilot, lambda: source.position_s >= 9.9)
        assert source.paused
        held = source.position_s
        await pilot.pause(0.4)
        assert source.position_s == held  # paused at the new place
        await pilot.press("left")  # back: the analysis restarts from the start, up to there, still paused
        await until(pilot, lambda: source.position_s <= held - 9.9 + 0.2 and source.position_s >= held - 10.1)
        await pilot.pause(0.3)
        assert source.paused and abs(source.position_s - (held - 10.0)) < 0.2


async def test_home_after_the_end_plays_again(until) -> None:  # type: ignore[no-untyped-def]
    app = replay_app(SQUATS, speed=1000.0)
    async with app.run_test(size=(100, 36)) as pilot:
        await until(pilot, lambda: app.result is not None)
        first = app.result
        assert first is not None
        await pilot.pause(0.1)
        assert isinstance(app.screen, SessionSummaryScreen)
        app.replay.speed = 10.0  # slow enough to see it playing again
        await pilot.press("home")
        await until(pilot, lambda: app.result is None)
        assert not isinstance(app.screen, SessionSummaryScreen)
        await until(pilot, lambda: app.replay.position_s > 1.0)
        app.replay.speed = 1000.0
        await until(pilot, lambda: app.result is not None)
        assert app.result.to_dict() == first.to_dict()  # the same session again, counted the same


async def test_palette_carries_the_views_commands() -> None:
    app = replay_app(SQUATS, speed=1.0)
    async with app.run_test(size=(100, 36)):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("End set", "Sound: next mode", "Screenshot", "Pause / resume", "Faster", "Next rep"):
            assert title in titles
        assert titles.count("Screenshot") == 1 and "Theme" not in titles  # ours replace Textual's


async def test_palette_pause_and_screenshot_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    app = replay_app(SQUATS, speed=1.0)
    async with app.run_test(size=(100, 36)) as pilot:
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        await commands["Pause / resume"].callback()
        assert app.replay.paused
        await commands["Screenshot"].callback()
        await pilot.pause()
    shots = list((tmp_path / "data").rglob("screenshots/*.svg"))
    assert len(shots) == 1 and "sensortrack" in shots[0].read_text(encoding="utf-8")


async def test_setup_screen_highlights_the_choices_it_made() -> None:
    from textual.widgets import RadioSet

    from sensortrack.tui.setup import Remembered, SetupApp

    app = SetupApp(None, Remembered(exercise="bridge", placement="shank", side="right"))
    async with app.run_test(size=(100, 36)) as pilot:
        await pilot.pause()
        for name, chosen in (("exercise", "bridge"), ("placement", "shank"), ("side", "right")):
            radio = app.query_one(f"#{name}", RadioSet)
            assert radio.pressed_button is not None and radio.pressed_button.id == f"{name}-{chosen}"
            assert radio._selected == radio.pressed_index  # the highlight is on the choice, not on the first
        await pilot.press("tab", "tab")  # onto the exercise choice
        await pilot.press("enter")  # pressing the highlighted one keeps the choice
        assert app.query_one("#exercise", RadioSet).pressed_button.id == "exercise-bridge"  # type: ignore[union-attr]


async def test_seeking_back_restarts_the_plan(until) -> None:  # type: ignore[no-untyped-def]
    from sensortrack.core.plans import Plan, PlanStep

    plan = Plan("p", (PlanStep("squat", 1, 6, 5.0), PlanStep("lunge", 1, 6, 5.0)), "test")
    app = replay_app(SQUATS, speed=20.0, plan=plan)
    async with app.run_test(size=(100, 36)) as pilot:
        await until(pilot, lambda: app.plan is not None and app.plan.step.exercise == "lunge")
        assert app.ctx.exercise == "lunge"
        app.replay.seek(0.0)
        await until(pilot, lambda: app.plan is not None and app.plan.step.exercise == "squat" and not app.kept_sets)
        assert app.ctx.exercise == "squat" and app.plan.sets_done == 0

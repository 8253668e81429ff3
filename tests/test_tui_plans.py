"""Plans (TOML, built-ins), the plan in the live view (targets, rest countdown, next exercise),
the cues, sensor limits said up front, and the command-line options that carry them."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sensortrack.commands.live import VIRTUAL_MODELS, add_view_options
from sensortrack.core.errors import ConfigError
from sensortrack.core.plans import Plan, PlanProgress, PlanStep, builtin_plan_names, load_plan
from sensortrack.core.sensor_limits import sensor_limits
from sensortrack.tui.app import SensortrackApp, replay_app
from sensortrack.tui.cues import BELL_PATTERNS, Cues
from sensortrack.tui.screens import SessionSummaryScreen
from sensortrack.tui.widgets import PlanLine, RepCounter, big_number, counter_scale

ROOT = Path(__file__).parent.parent
SQUATS = ROOT / "fixtures" / "simulated" / "squat_thigh_left.csv"  # 3 sets of 6, ~12 s rest between
SENSORTRACK = Path(sys.executable).parent / "sensortrack"


def _plan_text(app: SensortrackApp) -> str:
    return str(app.query_one(PlanLine).content)


# ---------------------------------------------------------------- plan files


def test_builtin_plans_load() -> None:
    names = builtin_plan_names()
    assert {"glutes-knee-friendly", "rehab-starter", "squats"} <= set(names)
    glutes = load_plan("glutes-knee-friendly")
    assert [s.exercise for s in glutes.steps] == ["bridge", "band_walk", "squat", "lunge", "clamshell"]
    assert glutes.steps[0] == PlanStep("bridge", 3, 12, 45.0)
    assert glutes.steps[2].rest_s == 60.0  # the plan's default rest
    parser = argparse.ArgumentParser()
    add_view_options(parser)
    [plan_help] = [a.help or "" for a in parser._actions if "--plan" in a.option_strings]
    assert all(name in plan_help for name in names)  # `--help` names every built-in


def test_live_help_lists_the_virtual_models() -> None:
    from sensortrack.drivers.protocols.registry import MODEL_IDS

    assert VIRTUAL_MODELS == MODEL_IDS


def test_a_gyro_model_refuses_an_accelerometer_only_recording_up_front(tmp_path: Path) -> None:
    """It used to connect, keep 0 samples (a Verity pairs every ACC frame with a GYRO one) and
    reconnect forever; now one line says what to play instead, before anything starts."""
    acc_only = ROOT / "fixtures" / "simulated" / "bridge_thigh_left.csv"
    done = subprocess.run(
        [str(SENSORTRACK), "live", "--virtual", "polar_verity", "--from", str(acc_only), "--no-setup", "--no-library",
         "-o", str(tmp_path / "out.csv")],
        capture_output=True, text=True, timeout=60, env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)},
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "no gyroscope readings" in done.stderr and "polar_h10" in done.stderr
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = 'x'", "needs at least one [[exercise]]"),
        ("[[exercise]]\nexercise = 'situp'\nsets = 2\nreps = 5", "'exercise' must be one of"),
        ("[[exercise]]\nexercise = 'squat'\nsets = 0\nreps = 5", "sets must be a whole number from 1 to 20"),
        ("[[exercise]]\nexercise = 'squat'\nsets = 2\nreps = 5.5", "reps must be a whole number"),
        ("[[exercise]]\nexercise = 'squat'\nsets = 2\nreps = 5\nrest_s = -1", "rest_s must be a number from 0"),
        ("[[exercise]]\nexercise = 'squat'\nsets = 2\nreps = 5\nrepz = 5", "unknown key(s) repz"),
        ("[[exercise]\n", "not valid TOML"),
    ],
)
def test_bad_plan_files_are_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_plan(str(path))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_unknown_plan_names_the_builtins() -> None:
    with pytest.raises(ConfigError, match="no plan 'legs'.*squats"):
        load_plan("legs")


def test_bad_plan_on_the_command_line_exits_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[exercise]]\nexercise = 'squat'\nsets = 100\nreps = 5\n", encoding="utf-8")
    done = subprocess.run([str(SENSORTRACK), "replay", str(SQUATS), "--plan", str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "sets must be a whole number from 1 to 20" in done.stderr


def test_progress_through_a_plan() -> None:
    plan = Plan("two", (PlanStep("squat", 2, 6, 30.0), PlanStep("lunge", 1, 8, 0.0)), "test")
    p = PlanProgress(plan)
    assert (p.step.exercise, p.set_number, p.target_reps) == ("squat", 1, 6)
    t = p.set_done(6, 100.0)
    assert (t.kind, t.rest_until_s) == ("rest", 130.0)
    assert p.rest_left_s(110.0) == 20.0 and "set 2 of 2" in p.rest_next
    p.end_rest()
    t = p.set_done(5, 200.0)
    assert t.kind == "next" and p.step.exercise == "lunge" and p.target_reps == 8
    assert "lunge" in p.rest_next
    t = p.set_done(8, 300.0)
    assert t.kind == "done" and p.finished and p.target_reps is None
    assert p.log == [("squat", 6), ("squat", 5), ("lunge", 8)]


# ---------------------------------------------------------------- the plan in the view


async def test_plan_targets_rest_countdown_and_next_exercise(tmp_path: Path, until) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "two.toml"
    path.write_text(
        "name = 'Two'\n[[exercise]]\nexercise = 'squat'\nsets = 2\nreps = 6\nrest_s = 8\n"
        "[[exercise]]\nexercise = 'lunge'\nsets = 1\nreps = 6\nrest_s = 5\n",
        encoding="utf-8",
    )
    app = replay_app(SQUATS, speed=20.0, plan=load_plan(str(path)), sound="bell")
    rest_lines: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        assert "squat set 1 of 2 · target 6 reps · then lunge 1×6" in _plan_text(app)
        await until(pilot, lambda: len(app.set_reps) >= 1)
        assert "/6" not in str(app.query_one(RepCounter).query_one("#rep-digits").content)  # block digits, not text
        await until(pilot, lambda: app.plan is not None and app.plan.rest_until_s is not None)
        # the set is over: the counter keeps its count with a tick, the plan line counts down
        assert app.plan is not None and app.plan.sets_done == 1
        assert "SET 1 DONE" in str(app.query_one(RepCounter).query_one("#set-title").content)
        big_rest: list[int | None] = []
        while app.plan.rest_until_s is not None:
            rest_lines.append(_plan_text(app))
            big_rest.append(app.query_one(RepCounter).rest_s)
            await pilot.pause(0.05)
        # the countdown also runs in the big digits beside the set's count, and stops at the end
        shown = [r for r in big_rest if r is not None]
        assert shown and shown == sorted(shown, reverse=True) and max(shown) <= 8, big_rest
        await pilot.pause(0.1)
        assert app.query_one(RepCounter).rest_s is None
        assert any(line.startswith("REST 0:0") and "set 2 of 2" in line for line in rest_lines), rest_lines
        assert app.query_one(PlanLine).has_class("-resting") is False
        assert ("rest_end", "go") in app.cues.played
        await until(pilot, lambda: app.plan is not None and app.plan.step.exercise == "lunge")
        assert app.ctx.exercise == "lunge"  # the analysis follows the plan
        await until(pilot, lambda: app.result is not None, 60.0)
        await until(pilot, lambda: isinstance(app.screen, SessionSummaryScreen) and bool(app.screen.query("#summary-plan")))
        summary = str(app.screen.query_one("#summary-plan").content)
        assert summary.startswith("Plan Two") and "squat 6/6, 6/6" in summary
    kinds = [k for k, _ in app.cues.played]
    assert kinds.count("rep") >= 12 and kinds.count("set_end") >= 2
    exercises = [s.exercise for s in app.result.sets]
    assert exercises[:2] == ["squat", "squat"] and set(exercises[2:]) <= {"lunge"}


async def test_next_exercise_key_moves_on() -> None:
    plan = Plan("p", (PlanStep("squat", 3, 6, 10.0), PlanStep("lunge", 2, 8, 10.0)), "test")
    app = replay_app(SQUATS, speed=2.0, plan=plan)
    async with app.run_test(size=(100, 36)) as pilot:
        await pilot.press("x")
        await pilot.pause()
        assert app.plan is not None and app.plan.step.exercise == "lunge"
        assert app.ctx.exercise == "lunge" and "lunge set 1 of 2" in _plan_text(app)
        await pilot.press("x")  # the last exercise: stays
        assert app.plan.step.exercise == "lunge"


async def test_x_is_not_a_key_without_a_plan() -> None:
    app = replay_app(SQUATS, speed=2.0)
    async with app.run_test(size=(100, 36)) as pilot:
        await pilot.press("x")
        assert app.plan is None and app.query_one(PlanLine).display is False
        assert all(k != "x" for k, _ in app.help_lines())


# ---------------------------------------------------------------- cues


def test_cues_bell_patterns_speech_and_mute() -> None:
    rung: list[int] = []
    cues = Cues("bell", lambda times, gap: rung.append(times))
    cues.cue("rep", "1")
    cues.cue("drift", "knee")
    cues.cue("set_end", "set done")
    assert rung == [BELL_PATTERNS["rep"], BELL_PATTERNS["drift"], BELL_PATTERNS["set_end"]]
    assert len({BELL_PATTERNS["rep"], BELL_PATTERNS["drift"], BELL_PATTERNS["set_end"]}) == 3  # distinct
    cues.mode = "off"
    cues.cue("rep", "2")
    assert len(rung) == 3
    # speech: a real child process with the words as its last argument (`echo` stands in for espeak-ng)
    spoken = Cues("auto", lambda times, gap: rung.append(times), speech=("echo",))
    assert spoken.speaks and spoken.describe() == "sound: speech"
    spoken.cue("rep", "3")
    assert spoken._speaking is not None and spoken._speaking.args == ["echo", "3"]
    spoken.stop()
    assert len(rung) == 3  # spoken, not rung
    assert Cues("auto", lambda t, g: None, speech=None).describe() == "sound: bell"


async def test_drift_cue_and_count_at_bottom(until) -> None:  # type: ignore[no-untyped-def]
    # 10×: blocks of 0.1 s as live (at 1000× a block spans whole reps and the turn is not seen)
    app = replay_app(SQUATS, speed=10.0, sound="bell", count_at="bottom")
    async with app.run_test(size=(100, 36)) as pilot:
        await until(pilot, lambda: app.result is not None, 60.0)
    assert app.result is not None
    drift_reps = sum(s.drift_reps for s in app.result.sets)
    assert [k for k, _ in app.cues.played].count("drift") == drift_reps
    # at the bottom the count is said at each turn of the movement: once per rep at least
    assert [k for k, _ in app.cues.played].count("rep") >= len(app.result.reps)


# ---------------------------------------------------------------- limits and layout


def test_sensor_limits() -> None:
    assert sensor_limits("squat", "thigh", True).notes == ()
    shank_walk = sensor_limits("band_walk", "shank", False)
    assert not shank_walk.counts and not shank_walk.measures_drift
    assert not sensor_limits("bridge", "thigh", False).measures_drift
    assert not sensor_limits("clamshell", "thigh", True).measures_drift
    assert sensor_limits("squat", "shank", False).measures_drift  # the shank's tilt is seen


async def test_limits_are_said_before_the_set_and_in_the_summary(until) -> None:  # type: ignore[no-untyped-def]
    app = replay_app(ROOT / "fixtures" / "simulated" / "clamshell_thigh_left.csv", speed=1000.0)
    async with app.run_test(size=(100, 36)) as pilot:
        text = str(app.query_one("#limits").content)
        assert "knee drift is not measured for clamshells" in text
        assert "not measured for clamshells" in str(app.query_one("#drift").content)
        await until(pilot, lambda: app.result is not None, 60.0)
        await pilot.pause(0.1)
        assert "not measured for clamshells" in str(app.screen.query_one("#summary-limits").content)


def test_counter_scales_with_the_terminal() -> None:
    assert counter_scale(80, 24) == 1
    assert counter_scale(140, 45) == 2
    assert counter_scale(200, 60) == 3
    assert len(big_number("8✓", 3).splitlines()) == 15


async def test_accelerometer_only_thigh_is_marked_in_the_view(until) -> None:  # type: ignore[no-untyped-def]
    path = ROOT / "fixtures" / "simulated" / "band_walk_thigh_left.csv"  # recorded without a gyroscope
    app = replay_app(path, speed=1000.0)
    assert not app.ctx.has_gyro
    async with app.run_test(size=(100, 36)) as pilot:
        assert "without a gyroscope the thigh's turn inward is not seen" in str(app.query_one("#limits").content)
        await until(pilot, lambda: app.result is not None, 60.0)
        assert app.result is not None and app.result.reps
        gauge = str(app.screen_stack[0].query_one("#drift").content)
        assert "not reliable for a thigh without a gyroscope" in gauge

"""`replay` of a recording that says neither its exercise nor its side (issue 13): the view switches
exercise where recognition says the recording moved on, says "recognised: bridge (0.93)" (or that
it is unsure), and leaves out what needs the side instead of failing or guessing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from textual.widgets import Label

from sensortrack.commands.replay import recognised_stretches
from sensortrack.core.loading import load_session
from sensortrack.core.model import SampleBlock, SensorInfo, Session, SessionMeta
from sensortrack.core.sessionfile import write_session
from sensortrack.tui.app import RecognisedStretch, replay_app
from sensortrack.tui.widgets import DriftGauge, LimitsLine, StatusLine

SIM = Path(__file__).resolve().parent.parent / "fixtures" / "simulated"


def _bridges_then_squats(tmp_path: Path) -> Path:
    """Bridges, 6 s lying still, then squats: one plain recording that says nothing about itself."""
    a = load_session(SIM / "bridge_thigh_left.csv").samples
    b = load_session(SIM / "squat_thigh_left.csv").samples
    dt = float(np.median(np.diff(a.t_s)))
    t_rest = float(a.t_s[-1]) + dt * np.arange(1, int(6.0 / dt))
    rest = SampleBlock(t_rest, np.repeat(a.acc_g[-1:], t_rest.size, axis=0), np.zeros((t_rest.size, 3)), sensor=a.sensor)
    shifted = SampleBlock(b.t_s - float(b.t_s[0]) + float(t_rest[-1]) + dt, b.acc_g, b.gyro_dps, sensor=a.sensor)
    sensor = SensorInfo(model="test", nominal_rate_hz=a.sensor.nominal_rate_hz)
    path = tmp_path / "bare.csv"
    write_session(path, Session(SessionMeta(sensor=sensor), SampleBlock.concat([a, rest, shifted]).with_sensor(sensor)))
    return path


async def test_replay_switches_to_the_recognised_exercise_and_needs_no_side(tmp_path: Path, until) -> None:  # type: ignore[no-untyped-def]
    path = _bridges_then_squats(tmp_path)
    placement, stretches = recognised_stretches(str(path), None, None)
    assert placement == "thigh"
    assert [s.exercise for s in stretches][:1] == ["bridge"] and "squat" in [s.exercise for s in stretches]
    app = replay_app(path, speed=200.0, placement=placement, recognised=stretches)
    assert not app.side_known
    statuses: list[str] = []
    async with app.run_test(size=(110, 36)) as pilot:
        def watch() -> bool:
            statuses.append(str(app.query_one(StatusLine).content))
            return app.result is not None

        await until(pilot, watch)
        limits = str(app.query_one(LimitsLine).content)
        gauge = str(app.query_one(DriftGauge).content)
    assert app.result is not None
    kinds = [st.exercise for st in app.result.sets]
    assert kinds and kinds[0] == "bridge" and kinds[-1] == "squat", kinds  # switched mid-file
    # each stretch named as recognised, with its confidence (an unsure one as unsure) while it played
    squat = next(st for st in stretches if st.exercise == "squat")
    assert any(stretches[0].describe() in s for s in statuses), sorted(set(statuses))
    assert any(squat.describe() in s for s in statuses), sorted(set(statuses))
    # the side was not given: nothing that depends on it is shown, and the view says so
    assert "side not given" in limits and "side not given" in statuses[-1]
    assert all(r.knee_drift_deg is None and not r.warnings for r in app.result.reps)
    assert "unknown side" in gauge
    assert not app.alert_log


def test_an_unsure_stretch_is_never_a_plain_label() -> None:
    sure = RecognisedStretch(0.0, 10.0, "bridge", 0.93, False)
    unsure = RecognisedStretch(0.0, 10.0, "bridge", 0.41, True)
    assert sure.describe() == "recognised: bridge (0.93)"
    assert unsure.describe() == "unsure: bridge? (0.41)"


async def test_an_unsure_stretch_is_shown_as_unsure_in_the_counter(tmp_path: Path, until) -> None:  # type: ignore[no-untyped-def]
    path = _bridges_then_squats(tmp_path)
    placement, stretches = recognised_stretches(str(path), None, None)
    doubtful = tuple(dataclasses.replace(s, confidence=0.4, unsure=True) for s in stretches)
    app = replay_app(path, speed=1000.0, placement=placement, recognised=doubtful)
    seen: list[str] = []
    titles: list[str] = []
    async with app.run_test(size=(110, 36)) as pilot:
        def watch() -> bool:
            seen.append(str(app.query_one(StatusLine).content))
            titles.append(str(app.query_one("#set-title", Label).content))
            return app.result is not None

        await until(pilot, watch)
    assert any("unsure: bridge? (0.40)" in s for s in seen)
    assert not any("recognised: bridge" in s for s in seen)
    assert any("bridge? (unsure)" in t for t in titles) and not any(t.endswith("· bridge") for t in titles)


async def test_without_the_side_the_summaries_say_drift_was_not_measured(tmp_path: Path, until) -> None:  # type: ignore[no-untyped-def]
    """No side, no drift: the set and session summaries must not say "no knee drift" or "0 with
    knee drift" (a claim about what was never measured); they say it was not measured."""
    from sensortrack.tui.screens import SessionSummaryScreen

    path = _bridges_then_squats(tmp_path)
    placement, stretches = recognised_stretches(str(path), None, None)
    app = replay_app(path, speed=1000.0, placement=placement, recognised=stretches)
    async with app.run_test(size=(110, 36)) as pilot:
        await until(pilot, lambda: app.result is not None and isinstance(app.screen, SessionSummaryScreen))
        await pilot.pause()
        screen = app.screen
        title = str(screen.query_one("#summary-title", Label).content)
        lines = str(screen.query_one("#summary-lines").content)
    assert app.result is not None and app.result.sets
    assert all(r.knee_drift_deg is None for r in app.result.reps)
    assert "knee drift not measured" in title and "with knee drift" not in title, title
    assert "no knee drift" not in lines and lines.count("knee drift not measured") == len(app.result.sets), lines

"""The live view on a virtual sensor through the real BLE path, recorded as it streams; the set-up app.

No mocks: a virtual open-profile sensor plays a recording on the in-process bumble link, the real
driver finds it with a bleak scan, connects, decodes and time-stamps; `record_session` writes the
file; the Textual app runs the streaming analysis on what was written.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from sensortrack.drivers.scan import scan_sensors
from sensortrack.drivers.virtual.rig import start_rig
from sensortrack.drivers.protocols.registry import FAMILIES
from sensortrack.core.loading import load_session
from sensortrack.session_analysis import analyze_session
from sensortrack.core.sessionfile import read_session
from sensortrack.tui.screens import HelpScreen
from sensortrack.tui.live import default_session_path, open_virtual_source
from sensortrack.tui.setup import Remembered, SetupApp, load_choices, remembered_from, save_choices
from sensortrack.tui.widgets import Prompt, StatusLine

ROOT = Path(__file__).parent.parent
DEMO = ROOT / "sensortrack" / "data" / "demo_squats.csv"  # 2 sets, the second with knee drift
SPEED = 20.0  # 74 s of squats in under 4 s
SIZE = (110, 36)


async def test_demo_stream_is_recorded_and_counted_like_the_file(tmp_path: Path, until, live_app) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "live.csv"
    source, choice = await open_virtual_source("open_profile", DEMO, out, speed=SPEED)
    assert (choice.exercise, choice.placement, choice.side) == ("squat", "thigh", "left")  # from the file
    app = live_app(source, choice)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: source.status.state == "recording")
            # the state leads the status line (a narrow terminal cuts its end)
            await until(pilot, lambda: str(app.query_one(StatusLine).content).startswith("recording │"))
            assert "● rec live.csv" in str(app.query_one(StatusLine).content)
            status = str(app.query_one(StatusLine).content)
            assert "lost 0" in status and "/100 Hz" in status, status
            # the open profile serves the Battery Service; the scan's signal strength is shown too
            assert "battery 87 %" in status and " dBm at scan" in status, status
            await until(pilot, lambda: app.result is not None)
    finally:
        summary = await source.close()
    assert summary is not None and summary.ended_by == "source ended" and summary.path == out
    recorded = read_session(out)
    assert not recorded.interrupted and len(recorded.samples) == summary.samples
    assert recorded.meta.source == "live:virtual" and recorded.meta.exercise == "squat"
    # What the view analysed is exactly what was written: same sets, reps and warnings.
    assert app.result is not None
    assert app.result.to_dict()["sets"] == analyze_session(recorded).to_dict()["sets"]
    # And the stream through the BLE path counts what the bundled file holds.
    expected = analyze_session(load_session(DEMO))
    assert [len(s.reps) for s in app.result.sets] == [len(s.reps) for s in expected.sets]
    warned = [(s.index, r.index) for s in expected.sets for r in s.reps if r.warnings]
    raised = [(s, r) for kind, s, r in app.alert_log if kind == "raised"]
    assert set(warned) <= set(raised), app.alert_log  # every drift rep was named while it happened
    for kind, s, r in app.alert_log:  # a warning on a movement that did not count as a drift rep went away
        if kind == "raised" and (s, r) not in warned:
            assert ("cleared", s, r) in app.alert_log[app.alert_log.index((kind, s, r)) :], app.alert_log


async def test_quitting_mid_stream_leaves_a_complete_recording(tmp_path: Path, until, live_app) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "quit.csv"
    # Slower than the other tests: at full test speed a loaded machine can play the whole demo
    # before `q` is handled, and the recording then ends as "source ended", not by the key.
    source, choice = await open_virtual_source("open_profile", DEMO, out, speed=4.0)
    app = live_app(source, choice)
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert app.query_one(Prompt).display  # "connecting…", then the calibration prompt
            await until(pilot, lambda: source.status.written_samples > 500)
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            keys = " ".join(k for k, _ in app.screen._lines)
            assert "q" in keys and "n" not in keys.split()  # replay keys are not offered live
            await pilot.press("escape")
            await pilot.press("q")
    finally:
        summary = await source.close()
    assert summary is not None and summary.ended_by == "stop"
    recorded = read_session(out)
    assert not recorded.interrupted and len(recorded.samples) == summary.samples >= 500
    # the replay controls do not apply to a live sensor
    assert app.check_action("toggle_pause", ()) is False


async def test_a_source_closed_before_it_started_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "never.csv"
    source, _ = await open_virtual_source("open_profile", DEMO, out, speed=SPEED)
    assert out.exists()  # created up front: a path that cannot be written fails before the view
    assert await source.close() is None
    assert not out.exists()


def test_default_session_path_never_reuses_a_file(tmp_path: Path) -> None:
    from datetime import datetime

    now = datetime(2025, 3, 1, 9, 30, 5)
    first = default_session_path(tmp_path, now)
    assert first == tmp_path / "2025-03-01_093005.csv"
    first.write_text("x")
    assert default_session_path(tmp_path, now) == tmp_path / "2025-03-01_093005_2.csv"


def test_choices_round_trip_and_bad_files_fall_back(tmp_path: Path) -> None:
    path = tmp_path / "live.toml"
    assert load_choices(path) == Remembered()
    save_choices(Remembered("bridge", "shank", "right", "Movesense 1"), path)
    assert load_choices(path) == Remembered("bridge", "shank", "right", "Movesense 1")
    path.write_text('[live]\nexercise = "jumping"\nside = "right"\n')
    assert load_choices(path) == Remembered(side="right")  # the invalid exercise is not used
    path.write_text("not toml [")
    assert load_choices(path) == Remembered()
    assert Remembered().with_options(None, "shank", None) == Remembered(placement="shank")


async def test_setup_scans_the_virtual_link_and_returns_the_choice(tmp_path: Path, until, choose) -> None:  # type: ignore[no-untyped-def]
    session = load_session(DEMO)
    rig = await start_rig([(FAMILIES["open_profile"], session), (FAMILIES["witmotion"], session)])
    try:
        backend = rig.link.backend
        defaults = Remembered(exercise="lunge", placement="thigh", side="left", sensor=rig.sensors[1].name)
        app = SetupApp(lambda: scan_sensors(1.0, backend=backend), defaults)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.scans >= 1 and len(app.sensors) == 2)
            table = app.query_one("#sensors", DataTable)
            assert table.row_count == 2
            # the remembered sensor is preselected
            assert app.sensors[table.cursor_row].name == rig.sensors[1].name
            await choose(pilot, "#placement-shank")
            await choose(pilot, "#side-right")
            await choose(pilot, "#exercise-bridge")
            await pilot.press("r")  # scanning again keeps the choices
            await until(pilot, lambda: app.scans >= 2)
            await pilot.press("s")
        choice = app.return_value
        assert choice is not None
        assert (choice.exercise, choice.placement, choice.side) == ("bridge", "shank", "right")
        assert choice.sensor.name == rig.sensors[1].name and choice.sensor.model == "witmotion"
        assert remembered_from(choice) == Remembered("bridge", "shank", "right", rig.sensors[1].name)
    finally:
        await rig.close()


async def test_setup_with_a_given_sensor_and_quit() -> None:
    app = SetupApp(None, Remembered())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")  # no sensor: a note, not an exit
        assert app.is_running
        assert "sensor given with --device" in str(app.query_one("#scan-status").content)
        await pilot.press("t")
        await pilot.press("q")
    assert app.return_value is None


async def test_setup_choices_are_whole_at_80_by_24() -> None:
    """At 80×24 (the smallest terminal the view is built for) every choice on the set-up screen
    reads whole: the second sensor's choices were cut to "other segm…" and "same segme…"."""
    import html

    from textual.widgets import Label, RadioButton

    app = SetupApp(None, Remembered())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        # the screen as drawn (Textual's SVG screenshot: one text run per styled stretch of a line)
        drawn = html.unescape(app.export_screenshot()).replace("\xa0", " ")
        words = [str(b.label) for b in app.query(RadioButton)] + [str(t.content) for t in app.query(Label).filter(".setup-step")]
        assert len(words) > 10
        for word in words:
            assert f">{word}" in drawn or f" {word}" in drawn, word
            assert f"{word[:-1]}…" not in drawn, word
        await pilot.press("q")

"""The live set view driven by real recordings through Pilot: counts, warnings, every key, screens.

Screen snapshots are exported text compared with tests/snapshots/*.txt; refresh them knowingly with
    SENSORTRACK_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_tui_app.py
(pytest-textual-snapshot is not used: it pins pytest < 9).
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rich.cells import cell_len

from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.core.loading import load_session
from sensortrack.session_analysis import analyze_session
from sensortrack.tui.app import SensortrackApp, make_app, replay_app
from sensortrack.tui.screens import HelpScreen, SessionSummaryScreen
from sensortrack.tui.sources import ReplaySource
from sensortrack.tui.widgets import AlertBanner, DriftGauge, DriftLimit, RepCounter, RepTable, RollingPlot

ROOT = Path(__file__).parent.parent
SQUATS = ROOT / "fixtures" / "simulated" / "squat_thigh_left.csv"  # set 1 clean, sets 2-3 knee drift
SNAPSHOTS = Path(__file__).parent / "snapshots"
SIZE = (100, 36)


# One text run of Textual's public SVG screenshot (rich's export_svg): its x in pixels, its line.
_SVG_TEXT = re.compile(
    r'<text [^>]*?x="([0-9.e+-]+)"[^>]*?textLength="([0-9.e+-]+)"[^>]*?clip-path="url\(#[^)]*-line-(\d+)\)"[^>]*>(.*?)</text>'
)


def screen_text(app: SensortrackApp) -> str:
    """The screen as plain text (what a person sees, without colours), read from the app's public
    SVG screenshot: each text run placed at its cell column on its line."""
    width, height = app.size
    grid = [[" "] * width for _ in range(height)]
    for x_px, length_px, line, escaped in _SVG_TEXT.findall(app.export_screenshot()):
        text = html.unescape(escaped).replace("\xa0", " ")
        char_px = float(length_px) / len(text)  # rich sets textLength to one cell's width per character
        col = round(float(x_px) / char_px)
        for char in text:
            if 0 <= col < width and int(line) < height:
                grid[int(line)][col] = char
                if cell_len(char) == 2 and col + 1 < width:
                    grid[int(line)][col + 1] = ""  # a wide character covers two cells
            col += cell_len(char)
    return "\n".join("".join(row).rstrip() for row in grid)


def check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("SENSORTRACK_UPDATE_SNAPSHOTS") or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
        if not os.environ.get("SENSORTRACK_UPDATE_SNAPSHOTS"):
            pytest.fail(f"new snapshot {path} written: check it, then run again")
    assert text + "\n" == path.read_text(encoding="utf-8"), f"screen differs from {path}"


async def test_final_counts_equal_analyze_session(until) -> None:  # type: ignore[no-untyped-def]
    expected = analyze_session(load_session(SQUATS))
    app = replay_app(SQUATS, speed=1000.0)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.result is not None)
        assert app.result is not None
        assert app.result.to_dict() == expected.to_dict()
        assert [len(s.reps) for s in app.kept_sets] == [len(s.reps) for s in expected.sets]
        await until(pilot, lambda: isinstance(app.screen, SessionSummaryScreen) and bool(app.screen.query("#summary-table")))
        await pilot.pause()
        summary = screen_text(app)
        n_reps = len(expected.reps)
        assert f"{len(expected.sets)} sets · {n_reps} reps" in summary
        check_snapshot("replay_squat_session_summary", summary)


async def test_knee_drift_turns_the_view_and_clears_itself(until) -> None:  # type: ignore[no-untyped-def]
    expected = analyze_session(load_session(SQUATS))
    warned = [(s.index, r.index) for s in expected.sets for r in s.reps if r.warnings]
    assert warned, "the fixture must contain drift reps"
    app = replay_app(SQUATS, speed=1000.0)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.alert_log))
        first = app.alert_log[0]
        assert first == ("raised", *warned[0]), app.alert_log
        await until(pilot, lambda: app.result is not None)
        raised = [(s, r) for kind, s, r in app.alert_log if kind == "raised"]
        assert raised == warned, app.alert_log  # one alert per drift rep, naming that rep
        # the first set is clean: calm before the first warning
        assert expected.sets[0].drift_reps == 0
        cleared = [e for e in app.alert_log if e[0] == "cleared"]
        assert cleared, "the warning must clear by itself (clean rep or end of set)"
        # the final rep drifted: the view still says so, naming it
        last_set, last_rep = warned[-1]
        if expected.reps[-1].warnings:
            assert app.screen_stack[0].has_class("-alert")
            assert f"REP {last_rep}" in str(app.query_one(AlertBanner).content)


async def test_alert_is_visible_on_screen(until) -> None:  # type: ignore[no-untyped-def]
    app = replay_app(SQUATS, speed=1000.0)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.result is not None)
        await pilot.press("escape")  # back from the session summary to the live view
        await pilot.pause()
        assert not isinstance(app.screen, SessionSummaryScreen)
        app.clear_notifications()
        await pilot.pause()
        text = screen_text(app)
        assert "⚠ REP" in text and "KNEE DRIFTING INWARD" in text  # the banner, and the warned rep's row:
        assert re.search(r"^\s*\d+\s+\d+:\d\d\.\d\s.*KNEE DRIFTING INWARD", text, re.MULTILINE), text
        check_snapshot("replay_squat_live_view_end", text)


async def test_pause_speed_and_seek_keys(until) -> None:  # type: ignore[no-untyped-def]
    app = replay_app(SQUATS, speed=2.0)
    source = app.source
    assert isinstance(source, ReplaySource)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        assert source.paused
        held = source.position_s
        await pilot.pause(0.3)
        assert source.position_s == held
        await pilot.press("space")
        assert not source.paused
        await pilot.press("plus")
        assert source.speed == 4.0
        await pilot.press("minus", "minus")
        assert source.speed == 1.0
        await pilot.press("right")  # +10 s, unpaced
        await until(pilot, lambda: source.position_s >= 10.0, 15.0)
        await pilot.press("right", "right", "right")
        await until(pilot, lambda: source.position_s >= 35.0, 15.0)
        await until(pilot, lambda: len(app.kept_sets) >= 1, 15.0)  # set 1 ended on the way
        await pilot.press("left")  # back 10 s: the analysis restarts from the beginning
        await until(pilot, lambda: not app.kept_sets, 15.0)
        await until(pilot, lambda: source.position_s >= 25.0, 15.0)
        await pilot.press("home")
        await until(pilot, lambda: source.position_s < 5.0, 15.0)


async def test_next_rep_key_plays_to_the_next_rep_only(until) -> None:  # type: ignore[no-untyped-def]
    app = replay_app(SQUATS, speed=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await until(pilot, lambda: len(app.set_reps) >= 1, 30.0)  # on a loaded machine: one or two
        source = app.source
        assert isinstance(source, ReplaySource)
        assert not source.fast_forward  # back to real time after the rep
        at = source.position_s
        await pilot.pause(0.3)
        assert source.position_s - at < 2.0
        first = len(app.set_reps)
        assert app.query_one(RepTable).row_count == first
        await pilot.press("n")
        # an unpaced chunk (2 s of stream) can hold two rep ends on a loaded machine
        await until(pilot, lambda: len(app.set_reps) > first, 30.0)
        assert not source.fast_forward
        assert app.query_one(RepTable).row_count == len(app.set_reps)


async def test_help_theme_bell_summary_and_quit_keys() -> None:
    app = replay_app(SQUATS, speed=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_text = screen_text(app)
        assert "next rep" in help_text
        # readable key names, not Textual's (question_mark, plus,equals_sign)
        assert "question_mark" not in help_text and "equals_sign" not in help_text
        assert "  ?  help" in help_text and "  +  faster" in help_text and "  ←  back 10 s" in help_text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        theme = app.theme
        await pilot.press("t")
        assert app.theme != theme
        await pilot.press("t")
        assert app.theme == theme
        mode = app.cues.mode
        await pilot.press("b")
        assert app.cues.mode != mode
        await pilot.press("s")  # before the end: a note, not the summary screen
        assert not isinstance(app.screen, SessionSummaryScreen)
        await pilot.press("q")
    assert app.return_code == 0


async def test_small_terminal_keeps_counter_and_drops_plot(until) -> None:  # type: ignore[no-untyped-def]
    app = replay_app(SQUATS, speed=1000.0)
    async with app.run_test(size=(60, 20)) as pilot:
        await until(pilot, lambda: app.result is not None)
        await pilot.press("escape")
        await pilot.pause()
        assert app.query_one(RepCounter).region.height > 0
        assert app.query_one(RollingPlot).display is False or app.query_one(RollingPlot).region.height == 0


async def test_make_app_runs_on_any_source(until) -> None:  # type: ignore[no-untyped-def]
    session = load_session(SQUATS)
    source = ReplaySource(session, speed=1000.0, description="fixture")
    app = make_app(source, "squat", "thigh", "left", rate_hz=50.0, has_gyro=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.result is not None)
        assert app.result is not None
        assert len(app.result.reps) == len(analyze_session(session).reps)
        await pilot.press("escape")
        await pilot.pause()
        assert "fixture │ squat · thigh · left" in screen_text(app)


async def test_end_set_key_ends_the_set_now(until) -> None:  # type: ignore[no-untyped-def]
    # 5×: the key must reach the worker before the set's last rep even on a loaded machine
    app = replay_app(SQUATS, speed=5.0)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.set_reps) >= 3)
        await pilot.press("e")
        await until(pilot, lambda: len(app.kept_sets) >= 1)
        ended = app.kept_sets[0]
        assert 3 <= len(ended.reps) < 6  # the first set has 6 reps: it was cut short by the key
        await pilot.press("plus", "plus", "plus")
        await until(pilot, lambda: app.result is not None)
        assert app.result is not None and len(app.result.sets) == len(analyze_session(load_session(SQUATS)).sets) + 1


def test_end_set_splits_the_set_at_that_sample() -> None:
    from sensortrack.analysis.pipeline import StreamingAnalyzer
    from sensortrack.analysis.results import SetEnded
    from sensortrack.session_analysis import resolve_context

    session = load_session(SQUATS)
    s = session.samples
    analyzer = StreamingAnalyzer(resolve_context(session))
    half = int(np.searchsorted(s.t_s, 16.5))  # inside the first set, after its third rep
    analyzer.feed(s.t_s[:half], s.acc_g[:half], s.gyro_dps[:half])
    [ended] = analyzer.end_set()
    assert isinstance(ended, SetEnded) and ended.kept and len(ended.exercise_set.reps) == 3
    analyzer.feed(s.t_s[half:], s.acc_g[half:], s.gyro_dps[half:])
    result = analyzer.finish()
    assert [len(x.reps) for x in result.sets][:2] == [3, 3]
    assert any(isinstance(e, SetEnded) for e in analyzer.drain_events())


@pytest.mark.parametrize("size", [(80, 24), (200, 60)], ids=["80x24", "200x60"])
async def test_layout_at_80x24_and_200x60(size: tuple[int, int], until) -> None:  # type: ignore[no-untyped-def]
    """Counter, warning, status and the q/? keys visible and apart; the counter grows with the screen."""
    from sensortrack.core.plans import load_plan
    from sensortrack.tui.widgets import AlertBanner, PlanLine, StatusLine

    app = replay_app(SQUATS, speed=1000.0, plan=load_plan("squats"))
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: app.result is not None)
        await pilot.press("escape")
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()
        text = screen_text(app)
        regions = {
            name: app.query_one(kind).region
            for name, kind in [("alert", AlertBanner), ("plan", PlanLine), ("counter", RepCounter), ("status", StatusLine)]
        }
        screen = app.screen.region
        for name, region in regions.items():
            assert region.height > 0 and screen.contains_region(region), (name, region)
        names = list(regions)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                assert not regions[a].overlaps(regions[b]), (a, b)
        footer = text.splitlines()[-1]
        assert "q quit" in footer and "? help" in footer
        assert "KNEE DRIFTING INWARD" in text and "replay squat_thigh_left.csv" in text
        digits_rows = app.query_one(RepCounter).query_one("#rep-digits").region.height
        assert digits_rows == (5 if size == (80, 24) else 15)
        check_snapshot(f"replay_squat_plan_{size[0]}x{size[1]}", text)


@pytest.mark.parametrize("size", [(80, 24), (200, 60)], ids=["80x24", "200x60"])
async def test_note_after_the_last_set_at_80x24_and_200x60(size: tuple[int, int], until) -> None:  # type: ignore[no-untyped-def]
    """The note bar fits with the counter, warning, status and the q/? keys; the summary waits for it."""
    from sensortrack.core.plans import load_plan
    from sensortrack.tui.note import NoteBar
    from sensortrack.tui.screens import SessionSummaryScreen
    from sensortrack.tui.widgets import AlertBanner, PlanLine, StatusLine

    app = replay_app(SQUATS, speed=1000.0, plan=load_plan("squats"))
    app.ask_notes = True  # as live does: a replay has no recording to keep it in
    async with app.run_test(size=size) as pilot:
        bar = app.query_one(NoteBar)
        await until(pilot, lambda: app.result is not None and bar.set_index == len(app.result.sets))
        assert not isinstance(app.screen, SessionSummaryScreen)
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()
        text = screen_text(app)
        regions = {
            name: app.query_one(kind).region
            for name, kind in [
                ("alert", AlertBanner), ("plan", PlanLine), ("counter", RepCounter), ("note", NoteBar), ("status", StatusLine)
            ]
        }
        for name, region in regions.items():
            assert region.height > 0 and app.screen.region.contains_region(region), (name, region)
        names = list(regions)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                assert not regions[a].overlaps(regions[b]), (a, b)
        assert app.query_one("#note-rpe").region.height == 3  # the fields themselves, not cut
        footer = text.splitlines()[-1]
        # the fields take the letter keys while the note is open (q, ? are typed): the way out is shown
        assert "esc skip note" in footer and "^p palette" in footer
        assert "Set 3 (squat): effort RPE 1–10 · pain 0–10 · where?  Enter saves, Esc skips" in text
        check_snapshot(f"replay_squat_note_{size[0]}x{size[1]}", text)
        await pilot.press("escape")  # skipped: now the summary
        await until(pilot, lambda: isinstance(app.screen, SessionSummaryScreen))
        assert app.notes == {}


async def test_the_no_baseline_limit_is_not_called_the_persons_own(until, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Before the session's first `drift_baseline_reps` reps a rep is judged against the fixed
    `drift_no_baseline_deg` (18°): the gauge must not say that limit came "from your own reps"
    (the demo's first two reps did); once the reps set it, the 6° floor is plain."""
    shown: list[str] = []
    original = DriftGauge.show

    def spy(self: DriftGauge, index: int | None, number: float | None, limit: DriftLimit, *args: Any, **kwargs: Any) -> None:
        if index is not None:
            shown.append(limit.describe())
        original(self, index, number, limit, *args, **kwargs)

    monkeypatch.setattr(DriftGauge, "show", spy)
    app = replay_app(SQUATS, speed=1000.0)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.result is not None)
    assert app.result is not None
    first_limits = [r.drift_limit_deg for r in app.result.sets[0].reps[:2]]
    assert first_limits == [18.0, 18.0], first_limits  # the fixture's first reps: no baseline yet
    assert shown[:2] == ["limit 18° until your first reps set it"] * 2, shown
    assert not any("18°, from your own reps" in s for s in shown), shown
    assert "limit 6°" in shown, shown


def test_a_drift_limit_names_where_it_came_from() -> None:
    settings = AnalysisSettings()
    assert DriftLimit.judged(18.0, settings, reference=False).describe() == "limit 18° until your first reps set it"
    assert DriftLimit.judged(6.0, settings, reference=False).describe() == "limit 6°"
    assert DriftLimit.judged(9.4, settings, reference=False).describe() == "limit 9.4°, from your own reps"
    assert DriftLimit.judged(18.0, settings, reference=True).describe() == "limit 18°, from your reference"

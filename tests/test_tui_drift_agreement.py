"""One drift number per rep: the banner, the gauge, the rep table and the summaries show, for every
rep, the number `analyze` gives for it, and a warning only for reps `analyze` counts and warns on.

Run on the bundled recordings (the demo's and fixtures of several exercises and placements).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sensortrack.core.loading import load_session
from sensortrack.session_analysis import analyze_session
from sensortrack.tui.app import replay_app
from sensortrack.tui.screens import SessionSummaryScreen
from sensortrack.tui.widgets import fmt_drift, set_summary_line

ROOT = Path(__file__).parent.parent
RECORDINGS = [
    ROOT / "sensortrack" / "data" / "demo_squats.csv",
    ROOT / "fixtures" / "simulated" / "squat_thigh_left.csv",
    ROOT / "fixtures" / "simulated" / "bridge_shank_left.csv",
    ROOT / "fixtures" / "simulated" / "lunge_thigh_right.csv",
    ROOT / "fixtures" / "simulated" / "band_walk_thigh_left.csv",
]
SENSORTRACK = Path(sys.executable).parent / "sensortrack"


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
async def test_every_place_shows_analyzes_drift_for_each_rep(path: Path) -> None:
    expected = analyze_session(load_session(path))
    by_start = {round(r.start_s, 6): r for r in expected.reps}
    app = replay_app(path, speed=1000.0)
    async with app.run_test(size=(100, 36)) as pilot:
        deadline = time.monotonic() + 60
        while app.result is None:
            assert time.monotonic() < deadline
            await pilot.pause(0.05)
        await pilot.pause(0.2)
        summary = app.screen
        assert isinstance(summary, SessionSummaryScreen)
        assert app.result.to_dict() == expected.to_dict()
    shown = {where for where, _, _ in app.drift_log}
    assert {"table", "gauge"} <= shown
    for where, start_s, text in app.drift_log:
        rep = by_start.get(round(start_s, 6))
        if where == "banner":  # a warning only for a rep analyze counts and warns on
            assert rep is not None and rep.warnings, (where, start_s)
        if rep is not None:
            assert text == fmt_drift(rep.knee_drift_deg), (where, start_s, text, rep.knee_drift_deg)
    warned = [r for r in expected.reps if r.warnings]
    assert len([e for e in app.drift_log if e[0] == "banner"]) == len(warned)
    # the set summary names each drift rep with the same number
    for s in expected.sets:
        line = set_summary_line(s)
        for r in s.reps:
            if r.warnings:
                assert f"{r.index} ({fmt_drift(r.knee_drift_deg)})" in line


def test_analyze_json_gives_the_same_numbers() -> None:
    path = RECORDINGS[1]
    done = subprocess.run([str(SENSORTRACK), "analyze", "--json", str(path)], capture_output=True, text=True, check=True)
    report = json.loads(done.stdout)
    expected = analyze_session(load_session(path))
    json_drifts = [r["knee_drift_deg"] for s in report["sets"] for r in s["reps"]]
    assert json_drifts == [round(r.knee_drift_deg, 1) for r in expected.reps if r.knee_drift_deg is not None]
    # shown to the degree, the JSON's tenth rounds the same way as the screen's number
    assert [fmt_drift(v) for v in json_drifts] == [fmt_drift(r.knee_drift_deg) for r in expected.reps]

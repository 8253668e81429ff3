"""The live view with two sensors through the real BLE path: a thigh + shank pair (knee-angle gauge,
each sensor's state, one of them stalling mid-set while the other keeps streaming) and a left +
right pair (symmetry panel), each recorded into one two-sensor session as it streams.

No mocks: virtual sensors play simulated recordings on the in-process bumble link, the real
drivers find, connect and time-stamp them, the recording service writes the file, and the
view's analysis is held to the batch analysis of what was written.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from sensortrack.analysis.knee_pair import KneePairAnalyzer
from sensortrack.analysis.pair_settings import PairSettings
from sensortrack.drivers.virtual.faults import Faults
from sensortrack.session_analysis import analyze_session, resolve_context
from sensortrack.core.sessionfile import read_session
from sensortrack.simulation.pair import DeviceClock, simulate_knee_pair, simulate_sides_pair
from sensortrack.simulation.spec import Distractor, SessionSpec, SetSpec
from sensortrack.tui.live import open_virtual_pair
from sensortrack.tui.pair_view import KneeGauge, SensorsPanel, SymmetryPanel, symmetry_of
from sensortrack.library.text import fmt_number
from sensortrack.tui.widgets import RepTable

SPEED = 2.0  # two sensors and the view on a loaded 2-core machine: slower than the recording tests
SIZE = (120, 40)


def _spec(side: str = "right") -> SessionSpec:
    return SessionSpec(exercise="squat", placement="thigh", side=side, rate_hz=100.0,  # type: ignore[arg-type]
                       sets=(SetSpec(n_reps=8, drift=True, drift_from_rep=6),),
                       lead_in=(Distractor("stand", 3.0),), lead_out=(Distractor("stand", 2.0),))


@pytest.mark.slow
async def test_knee_pair_live_with_the_shank_stalling_mid_set(tmp_path: Path, until, live_app) -> None:  # type: ignore[no-untyped-def]
    thigh, shank, _ = simulate_knee_pair(_spec(), 41, DeviceClock())
    out = tmp_path / "knee.csv"
    # the shank sends nothing for 8 s from 20 s in (mid-set, after the knee axis is calibrated; 4 real
    # seconds); the thigh streams on
    source, choice = await open_virtual_pair(
        [("movesense", thigh, "thigh", "right"), ("movesense", shank, "shank", "right")], out, exercise="squat",
        speed=SPEED, faults=[Faults(), Faults(stall_at_s=(20.0,), stall_s=8.0)],
    )  # fmt: skip
    app = live_app(source, choice)
    seen_out: list[str] = []
    try:
        async with app.run_test(size=SIZE) as pilot:
            panel = app.query_one(SensorsPanel)
            await until(pilot, lambda: str(panel.content).count("● streaming") == 2)
            assert "right thigh" in str(panel.content) and "right shank" in str(panel.content)

            def shank_out() -> bool:
                text = str(panel.content)
                if "the right shank sensor is out" in text:
                    seen_out.append(text)
                return bool(seen_out) or app.result is not None

            await until(pilot, shank_out)
            await until(pilot, lambda: app.result is not None)
            await pilot.pause(0.1)
            gauge = str(app.query_one(KneeGauge).content)
            table = app.query_one(RepTable)
            headers = [str(c.label) for c in table.columns.values()]
            rows = [[str(c) for c in table.get_row_at(k)] for k in range(table.row_count)]
    finally:
        summary = await source.close()
    # shown honestly while it happened: the shank out, the thigh still streaming, what it costs
    assert seen_out, "the shank's stall was never shown"
    assert "● streaming" in seen_out[0] and "no knee angle until it is back" in seen_out[0]
    assert summary is not None and summary.path == out
    recorded = read_session(out)
    assert len(recorded.companions) == 1 and recorded.companions[0].meta.sensor.placement == "shank"
    shank_gaps = [g for g in recorded.companions[0].gaps if g.end_s - g.start_s > 3.0]
    assert shank_gaps and recorded.gaps == (), (recorded.gaps, recorded.companions[0].gaps)  # the dropout is the shank's alone
    # the view counted the thigh's reps as the batch analysis of the recorded thigh stream does
    assert app.result is not None and len(app.result.reps) >= 6
    assert app.result.to_dict()["sets"] == analyze_session(recorded).to_dict()["sets"]
    assert app.knee_log and "valgus" in gauge
    # the same knee angles as the pair analysis of the recorded file (one host timeline, no re-alignment)
    ctx_thigh, ctx_shank = resolve_context(recorded), resolve_context(recorded.companions[0])
    batch = KneePairAnalyzer(ctx_thigh, ctx_shank, pair_settings=PairSettings())
    x, y = recorded.samples, recorded.companions[0].samples
    batch.feed_thigh(x.t_s, x.acc_g, x.gyro_dps)
    batch.feed_shank(y.t_s, y.acc_g, y.gyro_dps)
    batch_knee = batch.finish().knee

    def same(start_s: float) -> float:  # the file keeps times to the µs: the batch rep's start
        near = min(batch_knee, key=lambda s: abs(s - start_s))
        assert abs(near - start_s) < 1e-3
        return near

    knee = {start_s: batch_knee[same(start_s)] for start_s, _ in app.knee_log}
    for start_s, valgus_deg in app.knee_log:
        assert knee[start_s].valgus_deg == pytest.approx(valgus_deg, abs=0.05)
    # no rep inside the shank's stall got a knee angle
    lo, hi = shank_gaps[0].start_s, shank_gaps[0].end_s
    assert all(not (lo < s < hi) for s, _ in app.knee_log)
    # reps before the stall were measured (after it, the end of the stream may be cut on a loaded machine)
    assert min(s for s, _ in app.knee_log) < lo
    # a rep whose knee angle passed the limit raised the knee-angle warning, and only such a rep
    shown = dict(app.knee_log)
    warned = {s for s in shown if knee[s].warning is not None}
    raised = {i for kind, _, i in app.alert_log if kind == "raised"}
    assert bool(raised) == bool(warned)
    assert {r.index for r in app.pair_reps if r.start_s in warned} <= raised
    # the rep table's drift column is the knee angle's where it was measured (the thigh's own
    # estimate only for a rep the knee angle never came for, as the pair analysis reports it)
    final = app.result.sets[-1].reps
    assert len(rows) == len(final)
    drift = headers.index("Drift°")
    for row, rep in zip(rows, final, strict=True):
        measured = app.knees.get(rep.start_s)
        expected = measured.valgus_deg if measured is not None else rep.knee_drift_deg
        assert row[drift] == fmt_number(None if expected is None else round(expected, 1), 1), (row, rep)
        warned = measured.warning is not None if measured is not None else rep.drifted
        assert ("KNEE DRIFTING INWARD" in row[-1]) == warned, (row, rep)
    assert any(app.knees.get(r.start_s) is not None for r in final)


@pytest.mark.slow
async def test_sides_pair_live_shows_symmetry(tmp_path: Path, until, live_app) -> None:  # type: ignore[no-untyped-def]
    left, right, _ = simulate_sides_pair(
        replace(_spec("left"), sets=(SetSpec(n_reps=8),)), 5, one_sided="range", affected_side="left", clock=DeviceClock()
    )  # one clock: the two recordings start together, as two sensors strapped on at once stream
    out = tmp_path / "sides.csv"
    source, choice = await open_virtual_pair(
        [("movesense", left, "thigh", "left"), ("movesense", right, "thigh", "right")], out, exercise="squat", speed=SPEED,
    )  # fmt: skip
    app = live_app(source, choice)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.result is not None)
            await pilot.pause(0.1)
            text = str(app.query_one(SymmetryPanel).content)
    finally:
        await source.close()
    assert app.pair is not None and app.pair.kind == "left+right"
    assert len(app.pair_reps) >= 6 and len(app.other_reps) >= 6
    assert "left/right" in text and "rep pairs" in text and "range" in text and "tempo" in text
    # the left leg was simulated with a short range: the range median passes its limit, the tempo's not
    sym = symmetry_of(app.pair_reps, app.other_reps, app.pair.pair_settings)
    assert sym.pairs >= 6 and sym.median["range"] > app.pair.pair_settings.range_asymmetry_limit_pct
    assert sym.median["tempo"] < app.pair.pair_settings.tempo_asymmetry_limit_pct
    assert f"median {sym.median['range']:.0f} %, limit 15 %" in text


async def test_setup_screen_chooses_two_sensors(tmp_path: Path, until, choose) -> None:  # type: ignore[no-untyped-def]
    """Two sensors found by a real scan of the virtual link: `2` marks the second, "5 · Second
    sensor" says where it sits; its placement and side follow from the first one's."""
    from textual.widgets import DataTable

    from sensortrack.drivers.protocols.registry import FAMILIES
    from sensortrack.drivers.scan import scan_sensors
    from sensortrack.drivers.virtual.rig import start_rig
    from sensortrack.tui.setup import Remembered, SetupApp

    thigh, _, _ = simulate_knee_pair(_spec(), 41, DeviceClock())
    rig = await start_rig([(FAMILIES["movesense"], thigh), (FAMILIES["witmotion"], thigh)])
    try:
        backend = rig.link.backend
        app = SetupApp(lambda: scan_sensors(1.0, backend=backend), Remembered(side="right", sensor=rig.sensors[0].name))
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.scans >= 1 and len(app.sensors) == 2)
            table = app.query_one("#sensors", DataTable)
            assert app.sensors[table.cursor_row].name == rig.sensors[0].name  # the remembered one first
            await choose(pilot, "#pairing-same_leg")
            await pilot.press("s")  # a pair chosen, but no second sensor marked: a note, not an exit
            assert app.is_running
            table.focus()
            await pilot.press("down", "2")  # the other sensor is the second
            assert table.get_row_at(1)[-1] == "2nd" and table.get_row_at(0)[-1] == ""
            await pilot.press("up")
            await choose(pilot, "#placement-thigh")
            await pilot.press("s")
        choice = app.return_value
        assert choice is not None and choice.second is not None
        assert (choice.sensor.name, choice.placement, choice.side) == (rig.sensors[0].name, "thigh", "right")
        assert (choice.second.sensor.name, choice.second.placement, choice.second.side) == (rig.sensors[1].name, "shank", "right")

        app = SetupApp(lambda: scan_sensors(1.0, backend=backend), Remembered(side="left", placement="shank"))
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.scans >= 1 and len(app.sensors) == 2)
            app.query_one("#sensors", DataTable).focus()
            await pilot.press("down", "2")  # marking picks "same leg" (thigh + shank); then the other leg instead
            assert app.query_one("#pairing-same_leg").value
            await choose(pilot, "#pairing-other_leg")
            await pilot.press("s")  # the cursor is on the second: the first is the other sensor
        choice = app.return_value
        assert choice is not None and choice.second is not None
        assert (choice.placement, choice.side, choice.second.placement, choice.second.side) == ("shank", "left", "shank", "right")
        assert choice.sensor.address != choice.second.sensor.address
    finally:
        await rig.close()


@pytest.mark.parametrize(
    "argv",
    [
        ["record", "--virtual", "movesense:thigh:right", "--from", "x.csv", "--virtual", "movesense:shank:right", "--from", "y.csv"],
        ["record", "--virtual", "witmotion", "--from", "x.csv"],
        ["live", "--virtual", "movesense:thigh:right", "--from", "x.csv", "--virtual", "movesense:shank:right", "--from", "y.csv"],
        ["live", "--virtual", "open_profile", "--from", "x.csv"],
        ["demo"],
    ],
)
def test_every_recording_face_refuses_an_existing_file_with_one_message(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One recording service: the same one line, before anything connects, from every command."""
    from sensortrack import cli

    out = tmp_path / "precious.csv"
    out.write_text("my recording\n")
    code = cli.main([*argv, "-o", str(out), "--no-library"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].endswith(f"{out}: already exists; recordings are never overwritten — choose another name")
    assert out.read_text() == "my recording\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--virtual", "movesense:thigh:right", "--from", "x.csv", "--virtual", "movesense:shank:right", "--from", "y.csv",
          "--set", "pair.nonsense=1"], "--set: unknown pair setting(s): nonsense"),
        (["--virtual", "movesense:thigh:right", "--from", "x.csv", "--virtual", "movesense:shank:right", "--from", "y.csv",
          "--set", "pair.knee_valgus_limit_deg=abc"], "must be a number"),
        (["--virtual", "movesense", "--from", "x.csv", "--set", "pair.knee_valgus_limit_deg=4"], "two sensors only"),
    ],
)
def test_live_says_in_one_line_what_is_wrong_with_a_pair_setting(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sensortrack import cli

    out = tmp_path / "new.csv"
    code = cli.main(["live", *argv, "-o", str(out), "--no-library", "--no-setup"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err
    assert not out.exists()


@pytest.mark.slow
async def test_knee_pair_live_recognises_the_exercise(tmp_path: Path, until, live_app) -> None:  # type: ignore[no-untyped-def]
    """`live --exercise auto` with two sensors: the exercise of the bout is recognised from the thigh's
    stream while it plays, the pair (knee angles included) analyses it as that exercise, and the
    recording says no exercise it was not told (the library recognises it from both sensors)."""
    from sensortrack.pair_analysis import analyze_pair
    from sensortrack.tui.widgets import StatusLine

    thigh, shank, _ = simulate_knee_pair(_spec("left"), 41, DeviceClock(), flat=True)
    unsaid = [replace(s, meta=replace(s.meta, exercise=None)) for s in (thigh, shank)]
    out = tmp_path / "auto.csv"
    source, choice = await open_virtual_pair(
        [("movesense", unsaid[0], "thigh", "left"), ("movesense", unsaid[1], "shank", "left")], out, exercise="auto",
        speed=4.0,
    )  # fmt: skip
    app = live_app(source, choice)
    assert app.auto is not None and app.auto.placement == "thigh"
    statuses: list[str] = []
    try:
        async with app.run_test(size=SIZE) as pilot:
            def watch() -> bool:
                statuses.append(str(app.query_one(StatusLine).content))
                return app.result is not None

            await until(pilot, watch, timeout_s=120.0)
            await pilot.pause(0.1)
    finally:
        await source.close()
    assert any("auto: recognising the exercise…" in s for s in statuses)
    assert [st.exercise for st in app.recognised] == ["squat"], app.recognised
    assert any(app.recognised[0].describe() in s for s in statuses)
    assert app.result is not None and [s.exercise for s in app.result.sets] == ["squat"]
    assert len(app.result.reps) >= 6 and len(app.knee_log) >= 4  # the pair measured knee angles
    recorded = read_session(out)
    assert recorded.meta.exercise is None and len(recorded.companions) == 1
    batch = analyze_pair(recorded, recorded.companions[0]).to_dict()
    assert batch["exercise"] == "squat" and batch["sets"][0]["exercise_source"] == "recognised"

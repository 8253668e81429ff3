"""`live --exercise auto` on a virtual sensor through the real BLE path: lunges, then squats, with
nothing said about either; the view recognises each set's exercise while it streams (LiveRecogniser
on analysis/recognition.py), switches as the sets change, and shows it as recognised or unsure."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sensortrack.analysis.recognition_live import LiveRecogniser
from sensortrack.core.model import SampleBlock, SensorInfo, Session, SessionMeta
from sensortrack.recognising import packaged_model
from sensortrack.session_analysis import analyze_session
from sensortrack.core.sessionfile import read_session, write_session
from sensortrack.simulation import Distractor, SessionSpec, SetSpec
from sensortrack.simulation.recognition_scenes import simulate_flat
from sensortrack.tui.app import make_app
from sensortrack.tui.live import open_virtual_source
from sensortrack.tui.widgets import StatusLine

SPEED = 10.0


def _sim(exercise: str, quiet: str, seed: int) -> Session:
    spec = SessionSpec(exercise, "thigh", "left", 100.0, sets=(SetSpec(8),),  # type: ignore[arg-type]
                       lead_in=(Distractor(quiet, 4.0),), lead_out=(Distractor(quiet, 8.0),))  # type: ignore[arg-type]
    return simulate_flat(spec, seed)[0]  # strapped flat on the skin, as the recogniser expects


def lunges_then_squats(path: Path) -> tuple[float, Session]:
    """A set of lunges, a set of squats: one plain recording (no exercise, placement or side).
    Seeds whose sets the packaged model recognises live from their first two reps (simulated thigh
    lunges and squats are read right from two reps only about 3 times in 5:
    `benchmarks/recognition.py`'s live section, docs/recognition.md)."""
    a, b = _sim("lunge", "stand", 1012).samples, _sim("squat", "stand", 1002).samples
    dt = float(np.median(np.diff(a.t_s)))
    shift = float(a.t_s[-1]) + dt - float(b.t_s[0])
    sensor = SensorInfo(model="test", nominal_rate_hz=100.0)
    joined = SampleBlock.concat([a, SampleBlock(b.t_s + shift, b.acc_g, b.gyro_dps, sensor=a.sensor)]).with_sensor(sensor)
    session = Session(SessionMeta(sensor=sensor), joined)
    write_session(path, session)
    return float(a.t_s[-1]), session


async def test_auto_recognises_each_set_and_switches(tmp_path: Path, until) -> None:  # type: ignore[no-untyped-def]
    boundary_s, _ = lunges_then_squats(tmp_path / "plain.csv")
    out = tmp_path / "auto.csv"
    source, choice = await open_virtual_source(
        "open_profile", tmp_path / "plain.csv", out, speed=SPEED, exercise="auto", placement="thigh", side="left"
    )
    app = make_app(source, choice.exercise, choice.placement, choice.side,
                   rate_hz=source.supervisor.info.nominal_rate_hz, has_gyro=True)  # fmt: skip
    statuses: list[str] = []
    try:
        async with app.run_test(size=(110, 36)) as pilot:
            def watch() -> bool:
                statuses.append(str(app.query_one(StatusLine).content))
                return app.result is not None

            await until(pilot, watch, timeout_s=90.0)
    finally:
        await source.close()
    assert app.auto is not None
    assert any("auto: recognising the exercise…" in s for s in statuses)
    decided = [(st.exercise, st.start_s) for st in app.recognised]
    assert [ex for ex, _ in decided][:2] == ["lunge", "squat"], app.recognised
    assert app.result is not None
    kinds = [st.exercise for st in app.result.sets]
    assert kinds == ["lunge", "squat"], kinds
    # the view names what it recognised, with how sure
    for st in app.recognised:
        assert any(st.describe() in s for s in statuses)
    # the recording says nothing it did not know: no exercise in the file (analyze recognises it too)
    recorded = read_session(out)
    assert recorded.meta.exercise is None and len(recorded.samples) > 1000


def test_live_recogniser_decides_the_same_in_any_chunking(tmp_path: Path) -> None:
    boundary_s, session = lunges_then_squats(tmp_path / "plain.csv")
    s = session.samples

    def decisions(chunk: int) -> list[tuple[str, float]]:
        rec = LiveRecogniser(packaged_model(), "thigh")
        out = []
        for i in range(0, len(s), chunk):
            d = rec.feed(s.t_s[i : i + chunk], s.acc_g[i : i + chunk])
            if d is not None:
                out.append((d.exercise, round(d.decided_s, 6)))
                rec.start_after(boundary_s if d.exercise == "lunge" else np.inf)  # as a set's end does in the view
        return out

    assert decisions(7) == decisions(100) == decisions(333)
    decided = decisions(100)
    assert [e for e, _ in decided] == ["lunge", "squat"]
    assert decided[1][1] > boundary_s  # the squats' own decision, from their own samples
    # each set's decision comes from its own first two reps: known by the end of its second rep
    lunges = analyze_session(session, exercise="lunge", placement="thigh", side="left").sets[0].reps
    assert decided[0][1] <= lunges[1].end_s + 0.5

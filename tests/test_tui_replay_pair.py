"""`replay` of a two-sensor session: both sensors are shown (each one's state, the knee-angle gauge of
a thigh + shank pair, the symmetry panel of a left + right pair), and every value the view shows is
the batch pair analysis's (`analyze_pair`, which `analyze SESSION` prints) of the same file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from sensortrack.analysis.knee_pair import PairResult
from sensortrack.analysis.pair_settings import PairSettings
from sensortrack.analysis.sides_pair import SidesResult
from sensortrack.core.errors import ConfigError
from sensortrack.core.sessionfile import read_session, write_session
from sensortrack.pair_analysis import analyze_pair
from sensortrack.report_text import rep_columns
from sensortrack.simulation.pair import DeviceClock, simulate_knee_pair, simulate_sides_pair
from sensortrack.simulation.spec import Distractor, SessionSpec, SetSpec
from sensortrack.tui.app import replay_app
from sensortrack.tui.pair_view import KneeGauge, SensorsPanel, SymmetryPanel
from sensortrack.tui.widgets import RepTable

SIZE = (120, 40)
SPEED = 100.0


def _spec(side: str, sets: tuple[SetSpec, ...]) -> SessionSpec:
    return SessionSpec(exercise="squat", placement="thigh", side=side, rate_hz=100.0,  # type: ignore[arg-type]
                       sets=sets, lead_in=(Distractor("stand", 3.0),), lead_out=(Distractor("stand", 2.0),))


def _knee_file(tmp_path: Path) -> Path:
    """Thigh + shank of the right leg, the shank on its own clock (offset and skew), valgus from rep 6;
    written shank first, so the replay must put the pair in its order itself."""
    thigh, shank, _ = simulate_knee_pair(_spec("right", (SetSpec(n_reps=8, drift=True, drift_from_rep=6),)), 41,
                                         DeviceClock(offset_s=1.5, skew_ppm=80.0))  # fmt: skip
    path = tmp_path / "knee_pair.csv"
    write_session(path, replace(shank, companions=(thigh,)))
    return path


def _sides_file(tmp_path: Path) -> Path:
    left, right, _ = simulate_sides_pair(_spec("left", (SetSpec(n_reps=8),)), 5, one_sided="range", affected_side="left",
                                         clock=DeviceClock())  # fmt: skip
    path = tmp_path / "sides_pair.csv"
    write_session(path, replace(left, companions=(right,)))
    return path


def _table(app: object) -> tuple[list[str], list[list[str]]]:
    table = app.query_one(RepTable)  # type: ignore[attr-defined]
    headers = [str(c.label) for c in table.columns.values()]
    return headers, [[str(c) for c in table.get_row_at(k)] for k in range(table.row_count)]


async def test_replay_of_a_knee_pair_shows_both_sensors_and_the_pair_analysis(tmp_path: Path, until) -> None:  # type: ignore[no-untyped-def]
    path = _knee_file(tmp_path)
    session = read_session(path)
    batch = analyze_pair(session, session.companions[0])
    assert isinstance(batch.result, PairResult) and batch.result.knee
    app = replay_app(path, 8.0)  # slow enough to see both sensors stream, then sped up with `+`
    assert app.pair is not None and app.pair.kind == "thigh+shank"
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(SensorsPanel)
        await until(pilot, lambda: len(app.knee_log) >= 1)
        playing = str(panel.content)
        await pilot.press("plus", "plus", "plus", "plus")
        await until(pilot, lambda: app.result is not None)
        await pilot.pause(0.1)
        ended = str(panel.content)
        gauge = str(app.query_one(KneeGauge).content)
        headers, rows = _table(app)
    # each segment's state while it played, and at the end
    assert "right thigh" in playing and "right shank" in playing and playing.count("● streaming") == 2, playing
    assert ended.count("○ ended") == 2, ended
    # the view's reps are the pair analysis's (the thigh's), its knee angles are the pair's
    assert app.result is not None
    assert app.result.to_dict()["sets"] == batch.result.thigh.to_dict()["sets"]
    assert len(app.knee_log) == len(batch.result.knee)
    for start_s, valgus_deg in app.knee_log:
        assert batch.result.knee[start_s].valgus_deg == pytest.approx(valgus_deg, abs=1e-6)  # chunking: float rounding only
    assert "valgus" in gauge and f"{app.knee_log[-1][1]:+.1f}°" in gauge
    # the rep table is `analyze`'s of the pair, drawn by the one terminal renderer: its drift column
    # the knee angle's (issue 14), its knee flexion column the pair's
    reps = batch.to_dict()["sets"][-1]["reps"]
    columns = rep_columns(reps, with_set=False)
    assert headers == [h for h, _, _ in columns] and "Knee flex°" in headers
    assert rows == [[cell(r) for _, cell, _ in columns] for r in reps]
    drift = headers.index("Drift°")
    assert [row[drift] for row in rows] == [f"{r['knee_drift_deg']:.1f}" for r in reps]
    warned = [r["index"] for r in reps if r["warnings"]]
    assert warned and warned == [int(row[0]) for row in rows if "KNEE DRIFTING INWARD" in row[-1]]


async def test_replay_of_a_sides_pair_shows_the_batch_symmetry(tmp_path: Path, until) -> None:  # type: ignore[no-untyped-def]
    path = _sides_file(tmp_path)
    session = read_session(path)
    batch = analyze_pair(session, session.companions[0])
    assert isinstance(batch.result, SidesResult)
    app = replay_app(path, SPEED)
    assert app.pair is not None and app.pair.kind == "left+right"
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.result is not None)
        await pilot.pause(0.1)
        text = str(app.query_one(SymmetryPanel).content)
        sensors = str(app.query_one(SensorsPanel).content)
    assert "left thigh" in sensors and "right thigh" in sensors
    sym = batch.result
    assert app.result is not None and app.result.to_dict()["sets"] == sym.left.to_dict()["sets"]
    assert f"{len(sym.pairs)} rep pairs" in text
    for measure in ("range", "tempo"):
        median = sym.median_pct(measure)
        assert median is not None
        limit = sym.limit_pct(measure)  # type: ignore[arg-type]
        assert f"(median {median:.0f} %, limit {limit:g} %)" in text
        last = sym.pairs[-1].asymmetry_pct[measure]
        assert last is not None and f"{measure} {last:.0f} % (median" in text
    assert sym.median_pct("range") > sym.limit_pct("range")  # the short left leg: flagged on screen too


async def test_replay_of_a_pair_takes_pair_settings(tmp_path: Path, until) -> None:  # type: ignore[no-untyped-def]
    path = _knee_file(tmp_path)
    strict = PairSettings(knee_valgus_limit_deg=1.0)
    app = replay_app(path, SPEED, pair_settings=strict)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.result is not None)
        await pilot.pause(0.1)
        gauge = str(app.query_one(KneeGauge).content)
    assert "(limit 1°)" in gauge


def test_a_pair_replay_refuses_placement_and_side_flags(tmp_path: Path) -> None:
    path = _knee_file(tmp_path)
    with pytest.raises(ConfigError, match="leave out --placement/--side"):
        replay_app(path, SPEED, placement="thigh")


async def test_replay_of_a_pair_that_says_neither_exercise_nor_places(tmp_path: Path, until) -> None:  # type: ignore[no-untyped-def]
    """A two-sensor file from a tool that wrote neither the exercise nor where each sensor sat:
    `replay --sensor 1:thigh:left --sensor 2:shank:left` recognises the exercise from both sensors
    as `analyze` does, says so in the view, and shows the pair analysis's reps and knee angles."""
    from sensortrack.commands.replay import recognised_pair_stretch
    from sensortrack.core.sensor_bodies import parse_sensor_body, with_sensor_bodies
    from sensortrack.tui.widgets import StatusLine

    thigh, shank, _ = simulate_knee_pair(_spec("left", (SetSpec(n_reps=8, drift=True, drift_from_rep=6),)), 41,
                                         DeviceClock(offset_s=0.4, skew_ppm=0.0), flat=True)  # fmt: skip

    def unsaid(s):  # type: ignore[no-untyped-def]
        sensor = replace(s.meta.sensor, placement=None, side=None)
        return replace(s, meta=replace(s.meta, exercise=None, sensor=sensor), samples=s.samples.with_sensor(sensor))

    path = tmp_path / "bare.csv"
    write_session(path, replace(unsaid(thigh), companions=(unsaid(shank),)))
    bodies = [parse_sensor_body("1:thigh:left"), parse_sensor_body("2:shank:left")]
    exercise, recognised = recognised_pair_stretch(str(path), bodies, None)
    # both straps on the side of the leg: neither sensor's posture is read, so shown as unsure (session 9)
    assert exercise == "squat" and recognised and recognised[0].unsure
    placed = with_sensor_bodies(read_session(path), bodies, str(path))
    batch = analyze_pair(placed, placed.companions[0])
    assert batch.recognition is not None and isinstance(batch.result, PairResult)
    app = replay_app(path, SPEED, exercise=exercise, recognised=recognised, sensors=tuple(bodies))
    statuses: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        def done() -> bool:
            statuses.append(str(app.query_one(StatusLine).content))
            return app.result is not None

        await until(pilot, done)
        await pilot.pause(0.1)
    assert any(recognised[0].describe() in s for s in statuses), statuses[-1]
    assert app.result is not None
    assert [r.to_dict(1) for r in app.result.reps] == [r.to_dict(1) for r in batch.result.thigh.reps]
    assert len(app.knee_log) == len(batch.result.knee) >= 6
    for start_s, valgus_deg in app.knee_log:
        assert batch.result.knee[start_s].valgus_deg == pytest.approx(valgus_deg, abs=1e-6)

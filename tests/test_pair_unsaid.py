"""Two sensors whose recording does not say everything (issue 14): the exercise recognised from both
sensors' movement in `analyze`, `import` and `sessions reanalyze`, and where each sensor sat given
with `--sensor ID:PLACEMENT:SIDE` when the file does not say it (bad values: one line, exit 2).

Simulated pairs strapped flat on the skin (as real straps sit, and as the recogniser expects);
seeds whose movement the packaged model reads right (it reads simulated lunges right about 4 times
in 5: docs/recognition.md)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest

from sensortrack.cli import main
from sensortrack.core.model import SampleBlock, SensorInfo, Session
from sensortrack.core.sessionfile import read_session, write_session
from sensortrack.pair_analysis import analyze_pair
from sensortrack.simulation.pair import DeviceClock, simulate_knee_pair, simulate_sides_pair
from sensortrack.simulation.spec import Distractor, SessionSpec, SetSpec

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "docs" / "result-schema.json").read_text(encoding="utf-8"))


def _spec(exercise: str, side: str = "left", drift: bool = False) -> SessionSpec:
    return SessionSpec(exercise=exercise, placement="thigh", side=side, rate_hz=100.0,  # type: ignore[arg-type]
                       sets=(SetSpec(n_reps=8, drift=drift, drift_from_rep=6),),
                       lead_in=(Distractor("stand", 3.0),), lead_out=(Distractor("stand", 4.0),))


def _unsaid(session: Session, body: bool = False) -> Session:
    """The session as a tool that wrote neither the exercise (nor, with `body`, placement and side) would."""
    sensor = replace(session.meta.sensor, placement=None, side=None) if body else session.meta.sensor
    return replace(session, meta=replace(session.meta, exercise=None, sensor=sensor), samples=session.samples.with_sensor(sensor))


def _joined(a: Session, b: Session) -> Session:
    """`b` done right after `a`, in one recording (another exercise next)."""
    sa, sb = a.samples, b.samples
    shift = float(sa.t_s[-1]) + 0.01 - float(sb.t_s[0])
    block = SampleBlock.concat([sa, SampleBlock(sb.t_s + shift, sb.acc_g, sb.gyro_dps, sensor=sa.sensor)])
    return replace(a, samples=block, gaps=())


def _pair_file(path: Path, first: Session, second: Session, body: bool = False) -> Path:
    write_session(path, replace(_unsaid(first, body), companions=(_unsaid(second, body),)))
    return path


@pytest.fixture(scope="module")
def sims() -> dict[str, tuple[Session, Session]]:
    clock = DeviceClock(offset_s=0.4, skew_ppm=0.0)
    knee = simulate_knee_pair(_spec("squat", drift=True), 41, clock, flat=True)
    lunge = simulate_knee_pair(_spec("lunge"), 41, clock, flat=True)
    squat = simulate_knee_pair(_spec("squat"), 40, clock, flat=True)
    sides = simulate_sides_pair(_spec("squat"), 41, one_sided="range", clock=clock, flat=True)
    return {
        "knee": knee[:2],
        "lunge+squat": (_joined(lunge[0], squat[0]), _joined(lunge[1], squat[1])),
        "sides": sides[:2],
    }


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _analysis(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, "analyze", *argv, "--json")
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    jsonschema.Draft202012Validator({**SCHEMA, "$ref": "#/$defs/analysis_result"}).validate(data)
    return data


def _reps(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for s in data["sets"] for r in s["reps"]]


# ---------------------------------------------------------------- the exercise recognised


def test_a_pair_set_is_sure_only_where_either_sensor_reads_the_posture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Session 9: the posture gate applies to pairs too. Seed 43's knee pair has its shank strap on
    the front of the shank (that sensor's posture is read): its squats are shown as sure; seed 41's
    straps both sit on the side of the leg (neither is read): the same squats are shown as unsure."""
    clock = DeviceClock(offset_s=0.4, skew_ppm=0.0)
    for seed, unsure in ((43, False), (41, True)):
        thigh, shank = simulate_knee_pair(_spec("squat"), seed, clock, flat=True)[:2]
        data = _analysis(capsys, str(_pair_file(tmp_path / f"knee{seed}.csv", thigh, shank)))
        assert [s["exercise"] for s in data["sets"]] == ["squat"]
        assert data["sets"][0]["exercise_confidence"] >= 0.6 and data["sets"][0]["exercise_unsure"] is unsure


def test_a_knee_pair_without_its_exercise_is_recognised_and_analysed_as_if_given(
    sims: dict[str, tuple[Session, Session]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    thigh, shank = sims["knee"]
    path = _pair_file(tmp_path / "knee.csv", thigh, shank)
    data = _analysis(capsys, str(path))
    given = _analysis(capsys, str(path), "--exercise", "squat")
    assert data["sensors"] == 2 and data["pair"] == "thigh+shank" and data["exercise"] == "squat"
    assert [s["exercise"] for s in data["sets"]] == ["squat"]
    st = data["sets"][0]
    assert st["exercise_source"] == "recognised" and 0.6 <= st["exercise_confidence"] <= 1.0
    # both straps of this pair sit on the side of the leg: neither sensor's posture can be read, so
    # the set is shown as unsure however sure the trees (session 9, as for one sensor)
    assert st["exercise_unsure"] is True
    assert given["sets"][0]["exercise_source"] == "given" and given["sets"][0]["exercise_confidence"] is None
    # the same reps, knee angles and warnings as with the exercise given
    assert _reps(data) == _reps(given) and len(_reps(data)) == 8
    assert any(r["warnings"] == ["knee_drift"] for r in _reps(data))
    rec = data["recognition"]
    assert rec["placement"] == "thigh" and rec["placement_source"] == "given"
    assert [seg["exercise"] for seg in rec["segments"] if seg["exercise"] != "none"] == ["squat"]
    assert "recognition" not in given
    code, out, _ = run(capsys, "analyze", str(path))
    assert code == 0 and "set 1 (squat, recognised from both sensors (0." in out


def test_a_pair_doing_two_exercises_gets_each_stretch_recognised(
    sims: dict[str, tuple[Session, Session]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    thigh, shank = sims["lunge+squat"]
    data = _analysis(capsys, str(_pair_file(tmp_path / "two.csv", thigh, shank)))
    assert [s["exercise"] for s in data["sets"]] == ["lunge", "squat"]
    assert [s["index"] for s in data["sets"]] == [1, 2]
    assert all(s["exercise_source"] == "recognised" and s["exercise_confidence"] is not None for s in data["sets"])
    assert [s["rep_count"] for s in data["sets"]] == [8, 8]
    # each stretch calibrates its own knee axis: a lunge's and a squat's are not the same movement
    stretches = data["knee"]["stretches"]
    assert [st["exercise"] for st in stretches] == ["lunge", "squat"]
    assert all(st["axis"] is not None for st in stretches) and data["knee"]["measured_reps"] == 16
    assert stretches[0]["end_s"] <= data["sets"][1]["start_s"]
    # the replay of a pair shows one exercise: it says so in one line rather than show a part wrong
    code, out, err = run(capsys, "replay", str(tmp_path / "two.csv"))
    assert code == 2 and out == "" and err.count("\n") == 1 and "several exercises (lunge, squat)" in err


def test_a_left_right_pair_without_its_exercise(
    sims: dict[str, tuple[Session, Session]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    left, right = sims["sides"]
    path = _pair_file(tmp_path / "sides.csv", left, right)
    data = _analysis(capsys, str(path))
    given = _analysis(capsys, str(path), "--exercise", "squat")
    assert data["pair"] == "left+right" and data["exercise"] == "squat" and data["recognition"]["segments"]
    assert {s["side"] for s in data["sets"]} == {"left", "right"}
    assert all(s["exercise"] == "squat" and s["exercise_source"] == "recognised" for s in data["sets"])
    assert data["symmetry"] == given["symmetry"] and data["rep_pairs"] == given["rep_pairs"] == 8
    assert [f["measure"] for f in data["symmetry"]["flagged"]] == ["range"]


def test_import_and_reanalyze_recognise_a_pair_as_analyze_does(
    sims: dict[str, tuple[Session, Session]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    thigh, shank = sims["knee"]
    path = _pair_file(tmp_path / "knee.csv", thigh, shank)
    library = str(tmp_path / "lib.sqlite3")
    batch = analyze_pair(*[s for s in (read_session(path),) for s in (s, s.companions[0])]).to_dict()
    code, out, err = run(capsys, "import", str(path), "--library", library, "--json")
    assert code == 0, err
    session = json.loads(out)["session"]
    assert session["analysis_status"] == "ok" and session["pair"] == "thigh+shank"
    assert session["rep_count"] == len(_reps(batch)) == 8
    assert session["pair_measures"]["recognition"]["segments"] == batch["recognition"]["segments"]
    code, out, err = run(capsys, "sessions", "show", str(session["id"]), "--library", library, "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert [(s["exercise"], s["exercise_source"], s["exercise_confidence"]) for s in shown["sets"]] == [
        (s["exercise"], s["exercise_source"], s["exercise_confidence"]) for s in batch["sets"]
    ]
    code, _, err = run(capsys, "sessions", "reanalyze", "--library", library, "--jobs", "1")
    assert code == 0, err
    code, out, _ = run(capsys, "sessions", "show", str(session["id"]), "--library", library, "--json")
    assert json.loads(out)["sets"] == shown["sets"]


# ---------------------------------------------------------------- where each sensor sat


def test_sensor_flags_place_a_pair_the_file_does_not_place(
    sims: dict[str, tuple[Session, Session]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    thigh, shank = sims["knee"]
    placed = _analysis(capsys, str(_pair_file(tmp_path / "placed.csv", thigh, shank)), "--exercise", "squat")
    bare = _pair_file(tmp_path / "bare.csv", thigh, shank, body=True)
    code, out, err = run(capsys, "analyze", str(bare), "--exercise", "squat")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "sensor 1" in err and "--sensor 1:PLACEMENT:SIDE" in err
    data = _analysis(capsys, str(bare), "--exercise", "squat", "--sensor", "1:thigh:left", "--sensor", "2:shank:left")
    assert _reps(data) == _reps(placed) and data["pair"] == "thigh+shank"
    assert [(s["placement"], s["side"]) for s in data["streams"]] == [("thigh", "left"), ("shank", "left")]
    # by the sensor's name as the file says it, in any order; and without the exercise too
    named = _analysis(capsys, str(bare), "--sensor", "simulator shank:shank:left", "--sensor", "simulator thigh:thigh:left")
    assert _reps(named) == _reps(data) and named["sets"][0]["exercise_source"] == "recognised"
    # FILE --with FILE2: 1 is FILE, 2 is FILE2
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    write_session(one, _unsaid(thigh, body=True))
    write_session(two, _unsaid(shank, body=True))
    data = _analysis(capsys, str(one), "--with", str(two), "--exercise", "squat", "--sensor", "2:shank:left",
                     "--sensor", "1:thigh:left")
    assert data["pair"] == "thigh+shank" and len(_reps(data)) == 8


@pytest.mark.parametrize(
    ("sensors", "message"),
    [
        (["1:knee:left"], "unknown placement 'knee'"),
        (["1:thigh:middle"], "unknown side 'middle'"),
        (["thigh:left"], "give ID:PLACEMENT:SIDE"),
        (["3:thigh:left"], "has no such sensor (its sensors: 1 'simulator thigh', 2 'simulator shank')"),
        (["nobody:thigh:left"], "has no such sensor"),
        (["1:thigh:left", "1:shank:left"], "sensor 1 of"),
        (["1:thigh:left", "2:thigh:left"], "thigh and shank of one leg or the same segment of both legs"),
        (["1:thigh:left"], "sensor 2"),  # the other one still unplaced
    ],
)
def test_bad_sensor_flags_are_one_line_and_exit_2(
    sims: dict[str, tuple[Session, Session]], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    sensors: list[str], message: str,
) -> None:
    thigh, shank = sims["knee"]
    bare = _pair_file(tmp_path / "bare.csv", thigh, shank, body=True)
    flags = [x for s in sensors for x in ("--sensor", s)]
    for command in (["analyze", str(bare), "--exercise", "squat"], ["replay", str(bare), "--exercise", "squat"]):
        code, out, err = run(capsys, *command, *flags)
        assert code == 2 and out == "", (command, err)
        assert err.count("\n") == 1 and message in err, (command, err)


def test_sensor_flags_are_for_two_sensors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          sims: dict[str, tuple[Session, Session]]) -> None:
    thigh, _ = sims["knee"]
    one = tmp_path / "one.csv"
    write_session(one, thigh)
    for command in ("analyze", "replay"):
        code, out, err = run(capsys, command, str(one), "--sensor", "1:thigh:left")
        assert code == 2 and out == "" and err.count("\n") == 1 and "--sensor is for" in err


def test_import_with_sensor_flags_keeps_each_sensors_place_in_the_library(
    sims: dict[str, tuple[Session, Session]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    thigh, shank = sims["knee"]
    bare = _pair_file(tmp_path / "bare.csv", thigh, shank, body=True)
    library = str(tmp_path / "lib.sqlite3")
    # imported without: kept, and marked as needing its sensors' places
    code, out, err = run(capsys, "import", str(bare), "--library", library)
    assert code == 0, err
    assert "--sensor 1:PLACEMENT:SIDE --sensor 2:PLACEMENT:SIDE" in out
    code, out, _ = run(capsys, "sessions", "show", "1", "--library", library, "--json")
    assert json.loads(out)["session"]["analysis_status"] == "needs_metadata"
    # a bad --sensor: one line, exit 2, nothing changed
    code, out, err = run(capsys, "import", str(bare), "--library", library, "--sensor", "1:hip:left")
    assert code == 2 and err.count("\n") == 1 and "unknown placement 'hip'" in err
    code, out, err = run(capsys, "import", str(bare), "--library", library, "--sensor", "5:thigh:left")
    assert code == 2 and err.count("\n") == 1 and "has no such sensor" in err
    # completed with --sensor: analysed as the pair, and the library's copy says where each sat
    code, out, err = run(capsys, "import", str(bare), "--library", library, "--json",
                         "--sensor", "1:thigh:left", "--sensor", "2:shank:left")
    assert code == 0, err
    entry = json.loads(out)
    assert entry["action"] == "updated"
    session = entry["session"]
    assert session["analysis_status"] == "ok" and session["pair"] == "thigh+shank" and session["rep_count"] == 8
    copy = read_session(Path(session["file_path"]))
    assert (copy.meta.sensor.placement, copy.companions[0].meta.sensor.placement) == ("thigh", "shank")
    assert np.array_equal(copy.samples.t_s, read_session(bare).samples.t_s)
    code, _, err = run(capsys, "sessions", "reanalyze", "--library", library, "--jobs", "1")
    assert code == 0, err
    code, out, _ = run(capsys, "sessions", "show", str(session["id"]), "--library", library, "--json")
    assert json.loads(out)["session"]["rep_count"] == 8
    # a fresh import with --sensor straight away
    code, out, err = run(capsys, "import", str(_pair_file(tmp_path / "again.csv", thigh, _unsaid(shank, True), body=True)),
                         "--library", str(tmp_path / "lib2.sqlite3"), "--json", "--sensor", "1:thigh:left",
                         "--sensor", "2:shank:left", "--exercise", "squat")
    assert code == 0, err
    assert json.loads(out)["session"]["rep_count"] == 8
    # a one-sensor file with --sensor: that file's error, one line
    one = tmp_path / "one.csv"
    write_session(one, replace(thigh, meta=replace(thigh.meta, sensor=SensorInfo(model="x", nominal_rate_hz=100.0))))
    code, out, err = run(capsys, "import", str(one), "--library", str(tmp_path / "lib3.sqlite3"), "--sensor", "1:thigh:left")
    assert code == 2 and err.count("\n") == 1 and "holds one sensor" in err


def test_a_clamshell_pair_says_why_it_has_no_knee_angle() -> None:
    """A stretch of clamshells (given or recognised) gets no knee angle, and each rep says why,
    rather than blaming gyroscopes the sensors have."""
    spec = SessionSpec(exercise="clamshell", placement="thigh", side="left", rate_hz=100.0,  # type: ignore[arg-type]
                       sets=(SetSpec(n_reps=8),))
    thigh, shank, _ = simulate_knee_pair(spec, 41, DeviceClock(offset_s=0.4, skew_ppm=0.0), flat=True)
    data = analyze_pair(thigh, shank).to_dict()
    reps = _reps(data)
    assert len(reps) == 8 and data["knee"]["measured_reps"] == 0
    assert all(r["knee_drift_source"] == "thigh only: no knee angle for clamshells (the knee axis stands near vertical)"
               for r in reps)

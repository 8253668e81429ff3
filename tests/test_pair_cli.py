"""`sensortrack analyze` of two sensors end to end: a two-sensor session file, FILE --with FILE2
(placement and side from sidecars or flags), and bad input as one line with exit code 2."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sensortrack.cli import main
from sensortrack.core.model import Session
from sensortrack.core.sessionfile import write_session
from sensortrack.simulation.pair import DeviceClock, KneePairTruth, simulate_knee_pair, simulate_sides_pair
from sensortrack.simulation.spec import Distractor, SessionSpec, SetSpec


def _spec(side: str) -> SessionSpec:
    return SessionSpec(exercise="squat", placement="thigh", side=side, rate_hz=100.0,  # type: ignore[arg-type]
                       sets=(SetSpec(n_reps=8, drift=True, drift_from_rep=6),),
                       lead_in=(Distractor("stand", 3.0),), lead_out=(Distractor("stand", 2.0),))


def _write_csv(path: Path, session: Session, sidecar: dict[str, str] | None) -> Path:
    s = session.samples
    rows = np.column_stack((s.t_s, s.acc_g, s.gyro_dps))
    np.savetxt(path, rows, fmt="%.6f", delimiter=",", header="t,ax,ay,az,gx,gy,gz", comments="")
    if sidecar is not None:
        path.with_suffix(".json").write_text(json.dumps(sidecar))
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, KneePairTruth]:
    d = tmp_path_factory.mktemp("pair")
    thigh, shank, truth = simulate_knee_pair(_spec("left"), 31, DeviceClock(offset_s=0.8, skew_ppm=-120.0))
    write_session(d / "pair.csv", replace(thigh, companions=(shank,)))
    _write_csv(d / "thigh.csv", thigh, {"exercise": "squat", "placement": "thigh", "side": "left"})
    _write_csv(d / "shank.csv", shank, {"exercise": "squat", "placement": "shank", "side": "left"})
    _write_csv(d / "bare.csv", shank, None)
    left, right, _ = simulate_sides_pair(_spec("left"), 32, one_sided="range", affected_side="right")
    _write_csv(d / "left.csv", left, {"exercise": "squat", "placement": "thigh", "side": "left"})
    _write_csv(d / "right.csv", right, {"exercise": "squat", "placement": "thigh", "side": "right"})
    return d, truth


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _no_nan(value: object) -> None:
    if isinstance(value, float):
        assert math.isfinite(value)
    elif isinstance(value, dict):
        for v in value.values():
            _no_nan(v)
    elif isinstance(value, list):
        for v in value:
            _no_nan(v)


def _reps(data: dict) -> list[dict]:  # type: ignore[type-arg]
    return [r for s in data["sets"] for r in s["reps"]]


def test_two_sensor_session_file(files: tuple[Path, KneePairTruth], capsys: pytest.CaptureFixture[str]) -> None:
    d, truth = files
    code, out, err = run(capsys, "analyze", str(d / "pair.csv"), "--json")
    assert code == 0, err
    data = json.loads(out)
    _no_nan(data)
    assert data["sensors"] == 2 and data["pair"] == "thigh+shank"
    assert data["rep_count"] == 8 and data["knee_drift_reps"] == 3
    assert "Seel" in data["knee"]["method"]
    assert data["clock_alignment"]["offset_s"] == pytest.approx(0.8, abs=0.05)
    reps = _reps(data)
    assert [bool(r["warnings"]) for r in reps] == [False] * 5 + [True] * 3
    for rep, true_rep in zip(reps, truth.reps, strict=True):
        assert rep["knee_flexion_range_deg"] == pytest.approx(true_rep.flexion_range_deg, abs=3.0)
        assert rep["knee_drift_source"] == "knee angle (thigh + shank)"
    assert [s["placement"] for s in data["streams"]] == ["thigh", "shank"]


def test_with_second_csv_gives_the_same_answer(files: tuple[Path, KneePairTruth], capsys: pytest.CaptureFixture[str]) -> None:
    d, _ = files
    _, out_file, _ = run(capsys, "analyze", str(d / "pair.csv"), "--json")
    # given the other way round: the pair is recognised from the sidecars
    code, out, err = run(capsys, "analyze", str(d / "shank.csv"), "--with", str(d / "thigh.csv"), "--json")
    assert code == 0, err
    a, b = json.loads(out_file), json.loads(out)
    # (the CSV states no sample rate: it is estimated from the timestamps, so values differ by a hair)
    assert [r["knee_valgus_deg"] for r in _reps(b)] == pytest.approx([r["knee_valgus_deg"] for r in _reps(a)], abs=0.3)
    assert [bool(r["warnings"]) for r in _reps(b)] == [bool(r["warnings"]) for r in _reps(a)]
    assert b["with_file"].endswith("thigh.csv")


def test_flags_give_the_second_sensors_body(files: tuple[Path, KneePairTruth], capsys: pytest.CaptureFixture[str]) -> None:
    d, _ = files
    code, out, err = run(capsys, "analyze", str(d / "thigh.csv"), "--with", str(d / "bare.csv"),
                         "--with-placement", "shank", "--with-side", "left")
    assert code == 0, err
    assert "KNEE DRIFTING INWARD" in out and "thigh+shank" in out
    code, out, err = run(capsys, "analyze", str(d / "thigh.csv"), "--with", str(d / "bare.csv"))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "--sensor 2:PLACEMENT:SIDE" in err


def test_left_right_symmetry(files: tuple[Path, KneePairTruth], capsys: pytest.CaptureFixture[str]) -> None:
    d, _ = files
    code, out, err = run(capsys, "analyze", str(d / "left.csv"), "--with", str(d / "right.csv"), "--json")
    assert code == 0, err
    data = json.loads(out)
    _no_nan(data)
    assert data["pair"] == "left+right" and data["rep_pairs"] == 8
    assert [f["measure"] for f in data["symmetry"]["flagged"]] == ["range"]
    assert data["symmetry"]["flagged"][0]["side"] == "right"
    code, out, _ = run(capsys, "analyze", str(d / "left.csv"), "--with", str(d / "right.csv"),
                       "--set", "pair.range_asymmetry_limit_pct=80")
    assert code == 0 and "no asymmetry past its limit" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--with", "missing.csv"], "no such file"),
        (["--with", "thigh.csv"], "thigh and shank of one leg or the same segment of both legs"),
        (["--with", "shank.csv", "--set", "pair.nonsense=1"], "unknown pair setting"),
        (["--with", "shank.csv", "--set", "pair.knee_valgus_limit_deg=abc"], "must be a number"),
        (["--with", "shank.csv", "--reference", "x.csv"], "--reference is for one sensor"),
        (["--set", "pair.knee_valgus_limit_deg=5"], "two sensors only"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    files: tuple[Path, KneePairTruth], capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    d, _ = files
    argv = [a if not a.endswith(".csv") or a == "x.csv" else str(d / a) for a in args]
    code, out, err = run(capsys, "analyze", str(d / "thigh.csv"), *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err


def test_pair_file_with_with_is_refused(files: tuple[Path, KneePairTruth], capsys: pytest.CaptureFixture[str]) -> None:
    d, _ = files
    code, _, err = run(capsys, "analyze", str(d / "pair.csv"), "--with", str(d / "shank.csv"))
    assert code == 2 and "already holds two sensors" in err


def test_live_with_two_sensors_needs_each_ones_place(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # `live` takes two sensors as `record` does (issue 14): each one's placement and side with it
    code, out, err = run(capsys, "live", "--device", "A", "--device", "B", "-o", str(tmp_path / "x.csv"), "--no-library")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "NAME:PLACEMENT:SIDE" in err
    code, out, err = run(capsys, "live", "--device", "A:thigh:right", "--device", "B:thigh:right", "-o", str(tmp_path / "x.csv"), "--no-library")
    assert code == 2 and "both sensors are on the right thigh" in err and err.count("\n") == 1

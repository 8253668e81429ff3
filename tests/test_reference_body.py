"""`analyze FILE --reference REF` without --exercise/--placement/--side (issue 13): what FILE does not
say is taken from REF, what neither says of exercise and placement is recognised, and the side is
never guessed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sensortrack.cli import main
from sensortrack.core.loading import load_session

SIMULATED = Path(__file__).resolve().parents[1] / "fixtures" / "simulated"
REF = SIMULATED / "squat_thigh_left.csv"  # a session file: says squat, thigh, left


def _plain(path: Path, source: Path) -> Path:
    """`source` as a plain t,ax,ay,az,gx,gy,gz CSV: no exercise, placement or side."""
    s = load_session(source).samples
    cols = [s.t_s[:, None], s.acc_g] + ([s.gyro_dps] if s.gyro_dps is not None else [])
    header = "t,ax,ay,az" + (",gx,gy,gz" if s.gyro_dps is not None else "")
    np.savetxt(path, np.hstack(cols), delimiter=",", header=header, comments="", fmt="%.6f")
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_exercise_placement_side_from_the_reference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = _plain(tmp_path / "plain.csv", REF)
    code, out, err = _run(capsys, "analyze", str(plain), "--reference", str(REF), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["exercise"], doc["placement"], doc["side"]) == ("squat", "thigh", "left")
    assert doc["drift_reference"]["kind"] == "personal" and doc["drift_reference"]["source"] == str(REF)
    assert all(s["exercise_source"] == "given" for s in doc["sets"])
    # The same as with the flags given.
    code, out, err = _run(capsys, "analyze", str(plain), "--reference", str(REF), "--json",
                          "--exercise", "squat", "--placement", "thigh", "--side", "left")
    assert code == 0, err
    flagged = json.loads(out)
    assert [r["knee_drift_over_reference_deg"] for s in flagged["sets"] for r in s["reps"]] == \
        [r["knee_drift_over_reference_deg"] for s in doc["sets"] for r in s["reps"]]


def test_a_plain_reference_with_the_side_given_recognises_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = _plain(tmp_path / "plain.csv", REF)
    plain_ref = _plain(tmp_path / "plain_ref.csv", REF)
    code, out, err = _run(capsys, "analyze", str(plain), "--reference", str(plain_ref), "--side", "left", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["exercise"], doc["placement"], doc["side"]) == ("squat", "thigh", "left")
    assert doc["recognition"]["placement_source"] == "recognised"
    assert doc["sets"] and all(s["exercise_source"] == "recognised" for s in doc["sets"])
    assert doc["drift_reference"]["kind"] == "personal" and doc["drift_reference"]["source"] == str(plain_ref)
    assert any(r["knee_drift_over_reference_deg"] is not None for s in doc["sets"] for r in s["reps"])


def test_no_side_anywhere_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = _plain(tmp_path / "plain.csv", REF)
    plain_ref = _plain(tmp_path / "plain_ref.csv", REF)
    code, out, err = _run(capsys, "analyze", str(plain), "--reference", str(plain_ref))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "pass --side" in err, err

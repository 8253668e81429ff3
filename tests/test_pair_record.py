"""`sensortrack record` with two sensors through the real bleak code path on virtual peripherals:
both supervised on one host timeline into one two-sensor session file, one of them dropping out
mid-set while the other keeps streaming, and the recording analysed as a pair."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sensortrack import cli
from sensortrack.commands.record_pair import split_body
from sensortrack.core.sessionfile import read_session, write_session
from sensortrack.simulation.pair import DeviceClock, simulate_knee_pair
from sensortrack.simulation.spec import Distractor, SessionSpec, SetSpec

SPEED = 8.0  # two sensors on a loaded 2-core machine: slower than the single-sensor tests' 20×


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("sources")
    spec = SessionSpec(exercise="squat", placement="thigh", side="right", rate_hz=100.0,
                       sets=(SetSpec(n_reps=8, drift=True, drift_from_rep=6),),
                       lead_in=(Distractor("stand", 3.0),), lead_out=(Distractor("stand", 2.0),))
    thigh, shank, _ = simulate_knee_pair(spec, 41, DeviceClock())
    write_session(d / "thigh.csv", thigh)
    write_session(d / "shank.csv", shank)
    write_session(d / "pair.csv", replace(thigh, companions=(shank,)))
    return d


def test_device_specs_keep_addresses_whole() -> None:
    spec = split_body("AA:BB:CC:DD:EE:FF:thigh:right")
    assert (spec.what, spec.placement, spec.side) == ("AA:BB:CC:DD:EE:FF", "thigh", "right")
    spec = split_body("AA:BB:CC:DD:EE:FF")
    assert (spec.what, spec.placement, spec.side) == ("AA:BB:CC:DD:EE:FF", None, None)


def test_virtual_pair_with_one_sensor_dropping_out(sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "knee.csv"
    args = ["record", "--virtual", "movesense:thigh:right", "--from", str(sources / "thigh.csv"),
            "--virtual", "movesense:shank:right", "--from", str(sources / "shank.csv"), "-o", str(out),
            "--speed", str(SPEED), "--no-library", "--stall-at", "12", "--stall-for", "6", "--fault-sensor", "1"]
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    assert "both sensors on one host timeline" in printed
    assert "right thigh:" in printed and "right shank:" in printed and "ppm against the host" in printed
    session = read_session(out)
    assert out.read_text().startswith("# sensortrack-session 2")
    shank = session.companions[0]
    assert session.meta.sensor.placement == "thigh" and shank.meta.sensor.placement == "shank"
    # the thigh went silent for ~6 s mid-set; the shank kept streaming through it
    thigh_gaps = [g for g in session.gaps if g.end_s - g.start_s > 4.0]
    assert len(thigh_gaps) == 1
    assert thigh_gaps[0].lost_samples > 500
    # the shank streamed its whole source without a gap (resampled to the virtual Movesense's 104 Hz)
    source_s = float(read_session(sources / "shank.csv").samples.t_s[-1])
    assert shank.gaps == () and float(shank.samples.t_s[-1] - shank.samples.t_s[0]) == pytest.approx(source_s, abs=0.2)
    # and the thigh's samples plus those it lost make up as many
    assert len(session.samples) + thigh_gaps[0].lost_samples == pytest.approx(len(shank.samples), rel=0.02)

    # analysed as a pair: the reps the thigh missed are counted from the shank
    assert cli.main(["analyze", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sensors"] == 2
    assert data["rep_count"] == 8


def test_two_sensor_session_plays_as_a_virtual_pair(sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "copy.csv"
    assert cli.main(["record", "--virtual", "movesense", "--from", str(sources / "pair.csv"), "-o", str(out),
                     "--speed", str(SPEED), "--no-library"]) == 0
    capsys.readouterr()
    session = read_session(out)
    assert len(session.companions) == 1
    assert cli.main(["analyze", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    reps = [r for s in data["sets"] for r in s["reps"]]
    assert len(reps) == 8
    assert [bool(r["warnings"]) for r in reps] == [False] * 5 + [True] * 3
    # virtual sensors start playing when connected: the second one later; the analysis finds it
    assert abs(data["clock_alignment"]["offset_s"]) < 10.0 and data["clock_alignment"]["correlation"] > 0.8
    assert np.all(np.diff(session.companions[0].samples.t_s) > 0)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--device", "A", "--device", "B"], "NAME:PLACEMENT:SIDE"),
        (["--virtual", "movesense", "--virtual", "movesense", "--from", "x.csv"], "its own --from"),
        (["--device", "A:thigh:right", "--device", "B:thigh:right"], "both sensors are on the right thigh"),
    ],
)
def test_bad_pair_options_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    code = cli.main(["record", *argv, "-o", str(tmp_path / "x_out.csv"), "--no-library", "--timeout", "0.5"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err

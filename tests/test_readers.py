"""Readers: good files load, bad files give one clear InputFileError naming file and line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sensortrack.core.errors import InputFileError
from sensortrack.core.loading import load_session
from sensortrack.core.model import Gap, SampleBlock, SensorInfo, Session, SessionMeta
from sensortrack.core.sessionfile import read_session, write_session

BAD = Path(__file__).resolve().parent.parent / "fixtures" / "bad"

EXPECTED_ERRORS = {
    "empty.csv": ("file is empty", None),
    "header_only.csv": ("no samples", None),
    "truncated_mid_line.csv": ("truncated line", 7),
    "non_numeric.csv": ("'abc' is not a number", 5),
    "nan.csv": ("NaN", 4),
    "time_backwards.csv": ("time goes backwards", 5),
    "time_repeats.csv": ("time repeats", 5),
    "missing_columns.csv": ("missing column(s) az", 1),
    "ms2_units.csv": ("m/s²", None),
    "partial_gyro_columns.csv": ("gyro columns must come as a set", 1),
}


@pytest.mark.parametrize("name", sorted(EXPECTED_ERRORS))
def test_bad_file_names_problem_and_line(name: str) -> None:
    text, line = EXPECTED_ERRORS[name]
    with pytest.raises(InputFileError) as info:
        load_session(BAD / name)
    assert text in str(info.value)
    assert info.value.line == line
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", ["nan.csv", "empty.csv", "time_backwards.csv"])
def test_cli_bad_file_is_one_line_and_exit_2(name: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sensortrack", "analyze", str(BAD / name), "--exercise", "squat",
         "--placement", "thigh", "--side", "left"],
        capture_output=True, text=True, cwd="/", timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("sensortrack: error: ")
    assert "Traceback" not in proc.stderr


def test_interchange_csv_with_sidecar_and_extra_columns() -> None:
    session = load_session(BAD / "interchange_ok.csv")
    assert len(session.samples) > 10
    assert session.meta.exercise is not None
    assert session.meta.sensor.placement in ("thigh", "shank")
    assert session.samples.acc_g.shape[1] == 3


def test_crashed_session_loads_up_to_last_whole_row() -> None:
    session = load_session(BAD / "crashed_session.csv")
    assert session.interrupted
    assert len(session.samples) > 0
    assert np.all(np.diff(session.samples.t_s) > 0)


def _session(n: int = 500, rate_hz: float = 100.0, gyro: bool = True) -> Session:
    rng = np.random.default_rng(1)
    sensor = SensorInfo(model="test", placement="thigh", side="left", nominal_rate_hz=rate_hz)
    t = np.arange(n) / rate_hz
    acc = np.tile([0.0, 0.0, 1.0], (n, 1)) + rng.normal(0, 0.01, (n, 3))
    block = SampleBlock(t, acc, rng.normal(0, 1, (n, 3)) if gyro else None, sensor=sensor)
    return Session(SessionMeta(sensor=sensor, exercise="squat", source="test"), block)


def test_session_file_round_trip_with_gaps(tmp_path: Path) -> None:
    s = _session()
    keep = np.r_[0:200, 230:500]  # 30 samples lost
    block = s.samples
    cut = SampleBlock(block.t_s[keep], block.acc_g[keep], block.gyro_dps[keep], sensor=block.sensor)  # type: ignore[index]
    gap = Gap(start_s=float(block.t_s[199]), end_s=float(block.t_s[230]), lost_samples=30)
    write_session(tmp_path / "s.csv", Session(s.meta, cut, (gap,)))
    back = read_session(tmp_path / "s.csv")
    assert not back.interrupted
    assert back.meta.exercise == "squat" and back.meta.sensor.side == "left"
    np.testing.assert_allclose(back.samples.t_s, cut.t_s, atol=1e-6)
    np.testing.assert_allclose(back.samples.acc_g, cut.acc_g, atol=1e-6)
    assert back.gaps == (gap,)
    # Other tools read it directly: pandas with comment="#".
    import pandas as pd

    frame = pd.read_csv(tmp_path / "s.csv", comment="#")
    assert list(frame.columns)[:4] == ["t_s", "ax_g", "ay_g", "az_g"]
    assert len(frame) == len(cut)
    import duckdb

    con = duckdb.connect()
    rows = con.execute(f"SELECT count(*), max(t_s) FROM read_csv('{tmp_path / 's.csv'}', comment='#', header=true)").fetchall()
    assert rows[0][0] == len(cut) and abs(rows[0][1] - cut.t_s[-1]) < 1e-6


def test_accelerometer_only_session_round_trip(tmp_path: Path) -> None:
    s = _session(gyro=False)
    write_session(tmp_path / "a.csv", s)
    assert read_session(tmp_path / "a.csv").samples.gyro_dps is None


def test_writer_refuses_to_overwrite(tmp_path: Path) -> None:
    s = _session()
    write_session(tmp_path / "s.csv", s)
    with pytest.raises(FileExistsError):
        write_session(tmp_path / "s.csv", s)


_WRITER_CHILD = """
import sys, time, numpy as np
from pathlib import Path
from sensortrack.core.model import SampleBlock, SensorInfo, SessionMeta
from sensortrack.core.sessionfile import SessionWriter
sensor = SensorInfo(model="test", placement="thigh", side="left", nominal_rate_hz=100.0)
w = SessionWriter(Path(sys.argv[1]), SessionMeta(sensor=sensor, exercise="squat"), flush_interval_s=0.5)
i = 0
while True:
    t = (i + np.arange(10)) / 100.0
    w.append(SampleBlock(t, np.tile([0.0, 0.0, 1.0], (10, 1)), np.zeros((10, 3)), sensor=sensor))
    i += 10
    print(i, flush=True)
    time.sleep(0.1)
"""


def test_kill_9_while_recording_loses_at_most_one_second(tmp_path: Path) -> None:
    path = tmp_path / "rec.csv"
    child = subprocess.Popen([sys.executable, "-c", _WRITER_CHILD, str(path)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    written = 0
    deadline = time.monotonic() + 30
    while written < 250 and time.monotonic() < deadline:
        written = int(child.stdout.readline())
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    session = read_session(path)
    assert session.interrupted
    assert written - len(session.samples) <= 100  # 1 s at 100 Hz


_row = st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.text(max_size=5)), min_size=0, max_size=9)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.sampled_from(["t,ax,ay,az", "t,ax,ay,az,gx,gy,gz", "x,t,ax,ay,az,gx", "", "t;ax;ay;az"]),
       rows=st.lists(_row, max_size=20))
def test_interchange_reader_never_raises_anything_but_input_error(tmp_path: Path, header: str, rows: list[list[str]]) -> None:
    path = tmp_path / "random.csv"
    path.write_text(header + "\n" + "\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    try:
        session = load_session(path)
    except InputFileError:
        return
    assert len(session.samples) > 0 and np.all(np.isfinite(session.samples.acc_g))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=10_000), noise=st.binary(max_size=40), pos=st.integers(min_value=0, max_value=10_000))
def test_session_reader_survives_truncation_and_garbage(tmp_path: Path, cut: int, noise: bytes, pos: int) -> None:
    src = tmp_path / "src.csv"
    if not src.exists():
        write_session(src, _session(n=120))
    data = src.read_bytes()
    data = data[: min(cut, len(data))]
    p = min(pos, len(data))
    mangled = data[:p] + noise + data[p:]
    path = tmp_path / "mangled.csv"
    path.write_bytes(mangled)
    try:
        load_session(path)
    except InputFileError:
        pass


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_random_bytes_are_an_input_error_or_a_session(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "bytes.csv"
    path.write_bytes(data)
    try:
        load_session(path)
    except InputFileError:
        pass


def test_json_beside_csv_that_is_no_sidecar_is_left_alone(tmp_path: Path) -> None:
    """A user's own NAME.json (a phone app's export, notes of another tool) beside NAME.csv is not
    taken for a sidecar: the CSV reads as if it had none, instead of being refused."""
    csv = tmp_path / "walk.csv"
    csv.write_text((BAD / "interchange_ok.csv").read_text())
    for other in ('[{"time": 1, "x": 0.1}]', '{"app": "Sensor Logger", "version": 3}', '"just a string"'):
        csv.with_suffix(".json").write_text(other)
        session = load_session(csv)
        assert session.meta.exercise is None and session.meta.sensor.placement is None
        assert len(session.samples) > 10


def test_sidecar_is_still_read_and_checked(tmp_path: Path) -> None:
    csv = tmp_path / "set.csv"
    csv.write_text((BAD / "interchange_ok.csv").read_text())
    csv.with_suffix(".json").write_text('{"exercise": "bridge", "placement": "thigh"}')
    session = load_session(csv)
    assert session.meta.exercise == "bridge" and session.meta.sensor.placement == "thigh"
    for bad, says in (('{"exercise": "pushup"}', "exercise 'pushup' is not one of"), ("{exercise: squat", "not valid JSON")):
        csv.with_suffix(".json").write_text(bad)
        with pytest.raises(InputFileError, match=says):
            load_session(csv)

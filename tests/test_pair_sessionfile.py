"""Two-sensor session files (format version 2): round trip, old files still readable, bad input."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sensortrack.core.errors import InputFileError
from sensortrack.core.loading import load_session
from sensortrack.core.model import Gap, SampleBlock, SensorInfo, Session, SessionMeta
from sensortrack.core.sessionfile import SessionWriter, read_session, write_session

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _stream(placement: str, t0: float, n: int, seed: int) -> Session:
    rng = np.random.default_rng(seed)
    sensor = SensorInfo(model="test IMU", placement=placement, side="right", nominal_rate_hz=100.0,  # type: ignore[arg-type]
                        name=f"{placement} sensor", address=f"AA:{seed:02d}", clock="device")
    t = np.round(t0 + np.arange(n) / 100.0, 6)
    acc = np.round(rng.normal(0, 0.1, (n, 3)) + [0, 0, 1], 6)
    gyro = np.round(rng.normal(0, 5, (n, 3)), 4)
    meta = SessionMeta(sensor=sensor, exercise="squat", start_time_utc="2026-12-01T10:00:00+00:00", source="test")
    return Session(meta=meta, samples=SampleBlock(t_s=t, acc_g=acc, gyro_dps=gyro, sensor=sensor))


def _pair() -> Session:
    thigh = _stream("thigh", 0.0, 500, 1)
    shank = _stream("shank", 0.37, 450, 2)
    # a link drop on the shank only: samples 200–239 lost
    keep = np.r_[0:200, 240:450]
    s = shank.samples
    shank = replace(shank, samples=SampleBlock(s.t_s[keep], s.acc_g[keep], s.gyro_dps[keep], sensor=s.sensor),  # type: ignore[index]
                    gaps=(Gap(float(s.t_s[199]), float(s.t_s[240]), 40),))
    return replace(thigh, companions=(shank,))


@pytest.mark.parametrize("fast", [True, False])
def test_two_sensor_round_trip(tmp_path: Path, fast: bool) -> None:
    original = _pair()
    path = tmp_path / "pair.csv"
    write_session(path, original)
    assert path.read_text().startswith("# sensortrack-session 2\n")
    back = read_session(path, fast=fast)
    assert len(back.companions) == 1
    for a, b in ((original, back), (original.companions[0], back.companions[0])):
        assert b.meta.sensor == a.meta.sensor
        np.testing.assert_array_equal(b.samples.t_s, a.samples.t_s)
        np.testing.assert_array_equal(b.samples.acc_g, a.samples.acc_g)
        np.testing.assert_array_equal(b.samples.gyro_dps, a.samples.gyro_dps)  # type: ignore[arg-type]
    assert back.gaps == ()
    assert back.companions[0].gaps == (Gap(original.companions[0].samples.t_s[199], original.companions[0].samples.t_s[200], 40),)
    assert not back.interrupted


def test_pandas_reads_both_streams_with_the_sensor_column(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    path = tmp_path / "pair.csv"
    write_session(path, _pair())
    frame = pd.read_csv(path, comment="#")
    assert sorted(frame["sensor"].unique()) == [0, 1]
    assert (frame["sensor"] == 1).sum() == 410


def test_interleaved_rows_as_a_recorder_writes_them(tmp_path: Path) -> None:
    pair = _pair()
    path = tmp_path / "live.csv"
    with SessionWriter(path, pair.meta, companions=(pair.companions[0].meta.sensor,), flush_interval_s=0.0) as w:
        for i in range(0, 500, 50):  # blocks of both sensors alternate, as they arrive
            w.append(pair.samples.slice(i, i + 50), 0)
            w.append(pair.companions[0].samples.slice(i, i + 50), 1)
    back = read_session(path)
    np.testing.assert_array_equal(back.samples.t_s, pair.samples.t_s)
    np.testing.assert_array_equal(back.companions[0].samples.t_s, pair.companions[0].samples.t_s)


def test_single_sensor_is_still_written_and_read_as_version_1(tmp_path: Path) -> None:
    single = _stream("thigh", 0.0, 300, 3)
    path = tmp_path / "one.csv"
    write_session(path, single)
    assert path.read_text().startswith("# sensortrack-session 1\n")
    assert read_session(path).companions == ()


def test_committed_version_1_files_read_as_before() -> None:
    session = load_session(FIXTURES / "simulated" / "squat_thigh_left.csv")
    assert session.companions == ()
    assert len(session.samples) > 1000


def test_interrupted_two_sensor_file_keeps_both_streams(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    write_session(path, _pair())
    text = path.read_text()
    cut = text[: text.index("# end")]
    cut = cut[: len(cut) - 7]  # a torn last row, no end line: a crash
    path.write_text(cut)
    back = read_session(path)
    assert back.interrupted
    assert len(back.samples) == 500 and len(back.companions[0].samples) == 409


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace(",1\n", ",7\n", 1), "sensor 7 is not one of the 2 sensors"),
        (lambda t: t.replace('"sensors": [', '"sensorz": [', 1), "lists 2–8 sensors"),
        (lambda t: t.replace(",sensor\n", "\n", 1), "must end with the 'sensor' column"),
        (lambda t: t.replace("# sensortrack-session 2", "# sensortrack-session 3", 1), "reads 1 and 2"),
    ],
)
def test_bad_two_sensor_files_give_one_clear_error(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "pair.csv"
    write_session(path, _pair())
    path.write_text(edit(path.read_text()))
    with pytest.raises(InputFileError, match=message):
        read_session(path)

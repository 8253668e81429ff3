"""`record --range-g/--range-dps` end to end: the range request reaches the virtual sensor through
bleak and bumble, changes what it sends, and is stated in the file; impossible ranges are one
clear error line (exit 2) before anything connects; a sensor refusing its range stops the
recording with one line instead of retrying forever."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sensortrack import cli
from sensortrack.drivers.ble_errors import SensorRefusedError
from sensortrack.drivers.protocols import polar
from sensortrack.drivers.protocols.base import GattWrite
from sensortrack.drivers.protocols.registry import FAMILIES
from sensortrack.drivers.scan import find_sensor
from sensortrack.drivers.status import DriverItem
from sensortrack.drivers.supervisor import SensorSupervisor
from sensortrack.drivers.virtual.link import VirtualLink
from sensortrack.drivers.virtual.peripheral import VirtualSensor
from sensortrack.drivers.virtual.playback import resample
from sensortrack.core.loading import load_session
from sensortrack.core.model import SampleBlock, SensorInfo, Session
from sensortrack.core.sessionfile import read_session, write_session

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "simulated" / "squat_thigh_right.csv"
SPEED = 40.0
FILE_ROUNDING_G = 0.5e-6  # the session file keeps 6 decimals of g


@pytest.fixture(scope="module")
def hard_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The squat fixture with a short impact every 2 s (up to ~11 g, like jump landings on the
    shank): more than the default ±8 g can hold."""
    source = load_session(FIXTURE)
    s = source.samples
    acc = s.acc_g.copy()
    for start in range(50, len(acc) - 3, 104):
        acc[start : start + 3, 0] += (9.0, 10.0, 9.0)
    path = tmp_path_factory.mktemp("src") / "hard.csv"
    write_session(path, Session(source.meta, SampleBlock(s.t_s, acc, s.gyro_dps, sensor=s.sensor)))
    return path


def record(tmp_path: Path, model: str, source: Path, *extra: str) -> tuple[Session, str]:
    out = tmp_path / f"{model}.csv"
    args = ["record", "--virtual", model, "--from", str(source), "-o", str(out), "--speed", str(SPEED), "--no-library"]
    assert cli.main([*args, "--duration", "30", *extra]) == 0
    return read_session(out), out.read_text(encoding="utf-8")


def start_in(recorded: np.ndarray, expected: np.ndarray) -> int:
    """Index of the expected sample the recording starts at."""
    errors = [np.abs(recorded[:100] - expected[k : k + 100]).max() for k in range(300)]
    return int(np.argmin(errors))


def test_verity_at_16g_records_what_8g_would_clip(tmp_path: Path, hard_landing: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recording, _ = record(tmp_path, "polar_verity", hard_landing, "--range-g", "16", "--range-dps", "1000")
    started = capsys.readouterr().out.splitlines()[0]
    assert "measuring range ±16 g, ±1000 °/s (set by sensortrack)" in started
    assert "measuring range ±16 g, ±1000 °/s (set by sensortrack)" in recording.meta.notes
    expected = resample(load_session(hard_landing).samples, 52.0)
    got = recording.samples.acc_g
    k0 = start_in(got, expected.acc_g)
    want = expected.acc_g[k0 : k0 + len(got)]
    # The sensor was configured for ±16 g: nothing saturates at 8 g, and values are within half a
    # count of the new, coarser scale (16 g / 2^15).
    assert np.abs(want).max() > 9.0 and np.abs(got).max() > 9.0
    assert np.abs(got - want).max() <= 16 / 32768 / 2 + FILE_ROUNDING_G + 1e-12
    assert recording.samples.gyro_dps is not None and expected.gyro_dps is not None
    gyro_error = np.abs(recording.samples.gyro_dps - expected.gyro_dps[k0 : k0 + len(got)]).max()
    assert gyro_error <= 1000 / 32768 / 2 + 0.5e-4 + 1e-12


def test_open_profile_streams_at_the_requested_range(tmp_path: Path) -> None:
    recording, _ = record(tmp_path, "open_profile", FIXTURE, "--range-g", "16")
    # Every value is a whole number of counts of the ±16 g scale (the default ±8 g has finer ones).
    counts = recording.samples.acc_g / (16 / 32768)
    assert np.abs(counts - np.rint(counts)).max() < 0.01
    assert "measuring range ±16 g, ±2000 °/s (set by sensortrack)" in recording.meta.notes


def test_a_fixed_range_is_stated_in_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recording, _ = record(tmp_path, "witmotion", FIXTURE)
    assert "measuring range ±16 g, ±2000 °/s (fixed by the sensor)" in recording.meta.notes
    assert "(fixed by the sensor)" in capsys.readouterr().out.splitlines()[0]


@pytest.mark.parametrize(
    ("model", "flags", "message"),
    [
        ("polar_h10", ("--range-g", "16"), "Polar H10 (accelerometer only) cannot measure at ±16 g; choose ±2/4/8 g"),
        ("polar_verity", ("--range-dps", "300"), "cannot measure at ±300 °/s; choose ±250/500/1000/2000 °/s"),
        ("witmotion", ("--range-g", "8"), "the measuring range cannot be chosen: WitMotion BLE 5.0 sensors stream at a fixed ±16 g"),
        ("movesense", ("--range-g", "8"), "which the GATT SensorData protocol cannot send"),
        ("open_profile", ("--range-g", "0"), "--range-g must be positive"),
    ],
)
def test_an_unsupported_range_is_one_error_line_and_exit_2(
    model: str, flags: tuple[str, ...], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "never.csv"
    code = cli.main(["record", "--virtual", model, "--from", str(FIXTURE), "-o", str(out), "--speed", "40", *flags])
    captured = capsys.readouterr()
    assert code == 2
    [line] = captured.err.strip().splitlines()
    assert line.startswith("sensortrack: error: ") and message in line
    assert not out.exists()


async def test_a_sensor_refusing_its_range_ends_the_recording_with_its_reason() -> None:
    """A start the device refuses (status 9, invalid range) is not retried: it would refuse again."""
    link = VirtualLink()
    family = FAMILIES["polar_verity"]
    sensor = VirtualSensor(link, family, load_session(FIXTURE))
    await sensor.start()
    try:
        found = await find_sensor(sensor.name, 2.0, backend=link.backend)
        # A host asking for ±16 g without entering SDK mode first: normal mode only offers ±8 g.
        asks_16g = replace(
            family,
            start_writes=lambda rate_hz, full_scale=None: (
                GattWrite(polar.CONTROL_POINT_UUID, polar.acc_start_request(rate_hz, 16, channels=3), True, polar.CP_DELAY_S),
            ),
        )
        queue: asyncio.Queue[DriverItem] = asyncio.Queue()
        info = SensorInfo(placement="thigh", side="right", nominal_rate_hz=52.0)
        supervisor = SensorSupervisor(replace(found, family=asks_16g), info, queue, backend=link.backend, clock=link.clock)
        with pytest.raises(SensorRefusedError, match=r"refused to start ACC: invalid range; asking again would get the same answer \(asked for 52 Hz, ±8 g, ±2000 °/s\)"):
            await asyncio.wait_for(supervisor.run(), timeout=10.0)
        assert supervisor.connections == 1  # no retry loop
    finally:
        await sensor.close()

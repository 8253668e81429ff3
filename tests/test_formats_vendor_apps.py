"""Vendor apps' CSV exports: Polar Sensor Logger, Movesense Showcase, Movella DOT, WitMotion."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sensortrack.core.errors import InputFileError
from sensortrack.core.formats.common import AmbiguousUnitsError
from sensortrack.core.formats.movella_dot import unwrap_us
from sensortrack.core.formats.registry import recognise_head
from sensortrack.core.loading import load_session

POLAR_ACC = "Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]"
POLAR_GYRO = "Phone timestamp;sensor timestamp [ns];X [dps];Y [dps];Z [dps]"
POLAR_T0 = 599_628_000_000_000_000  # ns since 2000-01-01 (the sensor's clock)


def _recognised(path: Path) -> str:
    fmt = recognise_head({path.name: path.read_bytes()})
    assert fmt is not None
    return fmt.name


# --- Polar Sensor Logger ---------------------------------------------------------------------

def _polar(folder: Path, acc_header: str = POLAR_ACC, n: int = 104) -> Path:
    folder.mkdir()
    step = 19_230_769  # 52 Hz
    acc = [acc_header] + [f"2026-06-10T22:00:00.{i % 1000:03d};{POLAR_T0 + i * step};0;-1000;250" for i in range(n)]
    gyro = [POLAR_GYRO] + [f"2026-06-10T22:00:00.{i % 1000:03d};{POLAR_T0 + i * step + 7_000_000};12.5;0.00;-90.25" for i in range(-1, n)]
    stem = "Polar_Sense_B5C3F123_20260610220000"
    (folder / f"{stem}_ACC.txt").write_text("\n".join(acc) + "\n")
    (folder / f"{stem}_GYRO.txt").write_text("\n".join(gyro) + "\n")
    (folder / f"{stem}_HR.txt").write_text("Phone timestamp;HR [bpm];HRV [ms];Breathing interval [rpm];\n2026-06-10T22:00:00.000;70;;;\n")
    return folder


def test_polar_mg_to_g_ns_to_s_and_acc_gyro_joined_on_the_sensor_clock(tmp_path: Path) -> None:
    session = load_session(_polar(tmp_path / "rec"))
    s = session.samples
    assert session.meta.source == "import:polar-sensor-logger" and session.meta.sensor.model == "Polar Sense"
    np.testing.assert_allclose(s.acc_g[:, 1], -1.0)  # -1000 mG → -1 g
    np.testing.assert_allclose(s.acc_g[:, 2], 0.25)
    assert s.gyro_dps is not None
    np.testing.assert_allclose(s.gyro_dps, np.tile([12.5, 0.0, -90.25], (s.t_s.size, 1)))  # °/s stays °/s
    np.testing.assert_allclose(s.t_s, np.arange(s.t_s.size) * 0.019230769, atol=1e-9)
    assert session.meta.sensor.clock == "device"


def test_polar_acc_file_alone_is_recognised_and_read(tmp_path: Path) -> None:
    acc = next(_polar(tmp_path / "rec").glob("*_ACC.txt"))
    assert _recognised(acc) == "polar-sensor-logger"
    s = load_session(acc).samples
    assert s.gyro_dps is None and s.t_s.size == 104


def test_polar_header_without_units_is_ambiguous(tmp_path: Path) -> None:
    folder = _polar(tmp_path / "rec", acc_header="Phone timestamp;sensor timestamp [ns];X;Y;Z")
    with pytest.raises(AmbiguousUnitsError, match="no unit"):
        load_session(folder)


def test_polar_truncated_row_names_its_line(tmp_path: Path) -> None:
    folder = _polar(tmp_path / "rec")
    acc = next(folder.glob("*_ACC.txt"))
    acc.write_text(acc.read_text() + "2026-06-10T22:00:02.000;599628002000000000;12\n")
    with pytest.raises(InputFileError) as info:
        load_session(folder)
    assert info.value.line == 106 and "truncated" in str(info.value)


# --- Movesense Showcase ------------------------------------------------------------------------

IMU_HEADER = "Timestamp,AccX,AccY,AccZ,GyroX,GyroY,GyroZ,MagnX,MagnY,MagnZ"


def test_movesense_imu6_m_s2_to_g_ms_to_s_short_rows_accepted(tmp_path: Path) -> None:
    path = tmp_path / "imu.csv"
    rows = [f"{120000 + i * 20},9.806650,0.000000,0.000000,0.000000,{math.degrees(math.pi):.6f},-45.500000" for i in range(100)]
    path.write_text("\n".join([IMU_HEADER, *rows]) + "\n")
    assert _recognised(path) == "movesense-showcase"
    s = load_session(path).samples
    np.testing.assert_allclose(s.acc_g[:, 0], 1.0, atol=1e-7)
    assert s.gyro_dps is not None
    np.testing.assert_allclose(s.gyro_dps[:, 1], 180.0, atol=1e-6)
    np.testing.assert_allclose(s.t_s, np.arange(100) * 0.02, atol=1e-12)


def test_movesense_decimal_commas_are_ambiguous(tmp_path: Path) -> None:
    path = tmp_path / "imu.csv"
    rows = [f"{120000 + i * 20},9,806650,0,000000,0,000000,0,000000,180,000000,-45,500000" for i in range(20)]
    path.write_text("\n".join([IMU_HEADER, *rows]) + "\n")
    with pytest.raises(AmbiguousUnitsError, match="decimal commas"):
        load_session(path)


def test_movesense_single_sensor_logs_in_a_folder_are_joined(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    folder.mkdir()
    acc = ["Timestamp,X: (m/s^2),Y: (m/s^2),Z: (m/s^2)"] + [f"{1000 + i * 10},0.0,9.80665,0.0" for i in range(100)]
    gyro = ["Timestamp,X: (degree per second),Y: (degree per second),Z: (degree per second)"] + [
        f"{995 + i * 10},{(995 + i * 10) / 10:.3f},0,0" for i in range(102)
    ]
    (folder / "acc.csv").write_text("\n".join(acc) + "\n")
    (folder / "gyro.csv").write_text("\n".join(gyro) + "\n")
    s = load_session(folder).samples
    np.testing.assert_allclose(s.acc_g[:, 1], 1.0)
    assert s.gyro_dps is not None
    np.testing.assert_allclose(s.gyro_dps[:, 0], 100.0 + s.t_s * 100.0, atol=1e-9)  # the ramp at the accelerometer's times


# --- Movella DOT -----------------------------------------------------------------------------------

DOT_HEADER = "PacketCounter,SampleTimeFine,Euler_X,Euler_Y,Euler_Z,Acc_X,Acc_Y,Acc_Z,Gyr_X,Gyr_Y,Gyr_Z"


def _dot(path: Path, acc_z: float = 9.80665, header: str = DOT_HEADER, start_us: int = 2**32 - 500_000) -> Path:
    preamble = ["sep=,", "Device Tag:,DOT 3", "Firmware Version:,2.6.0", ""]
    rows = [f"{i},{(start_us + i * 16_667) % 2**32},0,0,0,0.000000,0.000000,{acc_z:.6f},90.000000,0.000000,0.000000" for i in range(120)]
    path.write_text("\n".join([*preamble, header, *rows]) + "\n")
    return path


def test_movella_dot_skips_the_preamble_unwraps_us_and_converts(tmp_path: Path) -> None:
    path = _dot(tmp_path / "DOT3.csv")
    assert _recognised(path) == "movella-dot"
    session = load_session(path)
    s = session.samples
    np.testing.assert_allclose(s.acc_g[:, 2], 1.0, atol=1e-9)
    assert s.gyro_dps is not None
    np.testing.assert_allclose(s.gyro_dps[:, 0], 90.0)
    np.testing.assert_allclose(s.t_s, np.arange(120) * 0.016667, atol=1e-9)  # across the 2^32 µs wrap
    assert session.gaps == ()


def test_unwrap_us_counts_every_wrap() -> None:
    # Two wraps of the 32-bit µs counter; a step forward of half the range is not a wrap.
    out = unwrap_us(np.array([2**32 - 2, 1, 2**31, 2**32 - 1, 5], dtype=np.int64))
    assert list(np.diff(out)) == [3, 2**31 - 1, 2**31 - 1, 6]


def test_movella_dot_values_in_g_are_an_ambiguous_unit(tmp_path: Path) -> None:
    with pytest.raises(AmbiguousUnitsError, match="were the values written in g"):
        load_session(_dot(tmp_path / "DOT3.csv", acc_z=1.0))


def test_movella_dot_free_acceleration_only_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "free.csv"
    rows = [f"{i},{i * 16_667},0.1,0.2,0.3" for i in range(20)]
    path.write_text("\n".join(["PacketCounter,SampleTimeFine,FreeAcc_X,FreeAcc_Y,FreeAcc_Z", *rows]) + "\n")
    with pytest.raises(InputFileError, match="gravity removed"):
        load_session(path)


# --- WitMotion --------------------------------------------------------------------------------------

WIT_HEADER = ("Time\tDevice name\tChip Time()\tAcceleration X(g)\tAcceleration Y(g)\tAcceleration Z(g)\t"
              "Angular velocity X(°/s)\tAngular velocity Y(°/s)\tAngular velocity Z(°/s)\tAngle X(°)\tAngle Y(°)\tAngle Z(°)")


def _wit_rows(n: int = 100, chip: str = "2024-3-19 16:44:{s:02d}.{ms:03d}", device: str = "WT901BLE67(d0:1c:1b:3a:ee:9d)") -> list[str]:
    rows = []
    for i in range(n):
        ms_total = 20 * (i | 1)  # two records per notification share one arrival stamp
        s, ms = divmod(ms_total, 1000)
        rows.append(f"16:44:{s:02d}.{ms:03d}\t{device}\t{chip.format(s=s, ms=ms)}\t0.0100\t-0.0200\t0.9900\t1.500\t0.000\t-2.000\t1.0\t2.0\t3.0")
    return rows


def test_witmotion_gb2312_degree_sign_ties_spread_and_units_kept(tmp_path: Path) -> None:
    path = tmp_path / "20240319164400.txt"
    path.write_bytes(("\r\n".join([WIT_HEADER, *_wit_rows()]) + "\r\n").encode("gb18030"))
    assert _recognised(path) == "witmotion"
    session = load_session(path)
    s = session.samples
    assert session.meta.sensor.model == "WitMotion WT901BLE67"
    np.testing.assert_allclose(s.acc_g[0], [0.01, -0.02, 0.99])
    assert s.gyro_dps is not None
    np.testing.assert_allclose(s.gyro_dps[0], [1.5, 0.0, -2.0])
    assert np.all(np.diff(s.t_s) > 0)  # shared stamps spread, none lost
    np.testing.assert_allclose(s.t_s[:4], [0.0, 0.02, 0.04, 0.06], atol=1e-9)
    assert s.t_s.size == 100


def test_witmotion_colon_milliseconds_and_comma_csv(tmp_path: Path) -> None:
    header = WIT_HEADER.replace("\t", ",").replace("(°/s)", "(rad/s)")
    rows = [r.replace("\t", ",") for r in _wit_rows(chip="2024-01-02 12:34:{s:02d}:{ms:03d}")]
    path = tmp_path / "_WT901BLE67(d6-a8-b9-ee-a0-b7)_0.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    s = load_session(path).samples
    assert s.gyro_dps is not None
    np.testing.assert_allclose(s.gyro_dps[0, 0], math.degrees(1.5))  # rad/s → °/s
    np.testing.assert_allclose(s.t_s[2], 0.04, atol=1e-9)


def test_witmotion_unknown_unit_is_ambiguous_and_two_devices_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("\n".join([WIT_HEADER.replace("X(g)", "X(ft/s2)"), *_wit_rows()]) + "\n")
    with pytest.raises(AmbiguousUnitsError, match="ft/s2"):
        load_session(path)
    two = tmp_path / "b.txt"
    two.write_text("\n".join([WIT_HEADER, *_wit_rows(), *_wit_rows(device="WT901BLE67(aa:bb)")]) + "\n")
    with pytest.raises(InputFileError, match="holds 2 sensors"):
        load_session(two)


def test_movella_dot_recording_export_with_label_column_trailing_separator_and_start_time(tmp_path: Path) -> None:
    # Exported recordings: "Label" first when labels were set, every row ends with ", ".
    pad = ",,,,,,,,,,,,,,,,,"
    preamble = ["sep=,", f"DeviceTag:,DOT 2{pad}", f"StartTime:,2025-03-04 09:30:00.250 +0200{pad}", "Movella Technologies B. V. 2005-2025,,", ""]
    header = "Label,PacketCounter,SampleTimeFine,Acc_X,Acc_Y,Acc_Z,Gyr_X,Gyr_Y,Gyr_Z,"
    rows = [f"squat,{i}, {1000 + i * 8333}, 0.0, 9.80665, 0.0, 0.0, 0.0, 360.0, " for i in range(240)]
    path = tmp_path / "DOT2.csv"
    path.write_text("\n".join([*preamble, header, *rows]) + "\n")
    session = load_session(path)
    s = session.samples
    np.testing.assert_allclose(s.acc_g[:, 1], 1.0)
    assert s.gyro_dps is not None
    np.testing.assert_allclose(s.gyro_dps[:, 2], 360.0)
    np.testing.assert_allclose(s.t_s[-1], 239 * 0.008333)
    assert session.meta.start_time_utc == "2025-03-04T07:30:00+00:00"


def test_polar_magnetometer_in_gauss_is_not_taken_for_an_accelerometer(tmp_path: Path) -> None:
    folder = _polar(tmp_path / "rec")
    rows = [f"2026-06-10T22:00:00.000;{POLAR_T0 + i * 19_230_769};0.3;0.1;-0.4" for i in range(50)]
    (folder / "magnetometer.txt").write_text("\n".join(["Phone timestamp;sensor timestamp [ns];X [G];Y [G];Z [G]", *rows]) + "\n")
    s = load_session(folder).samples  # the ACC file is still the only accelerometer
    np.testing.assert_allclose(s.acc_g[:, 1], -1.0)

"""phyphox exports: units converted, sensors joined on one timeline, ambiguity and garbage refused."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np
import pytest

from sensortrack.cli import main
from sensortrack.core.errors import InputFileError
from sensortrack.core.formats.common import AmbiguousUnitsError
from sensortrack.core.formats.registry import recognise_head
from sensortrack.core.loading import load_session

ACC_HEADER = '"Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)","Acceleration z (m/s^2)","Absolute acceleration (m/s^2)"'
GYRO_HEADER = '"Time (s)","Gyroscope x (rad/s)","Gyroscope y (rad/s)","Gyroscope z (rad/s)","Absolute (rad/s)"'


def _acc_rows(n: int = 200, rate_hz: float = 100.0) -> list[str]:
    # Gravity on +z (9.80665 m/s² = 1 g exactly) plus a small x sway in m/s².
    return [f"{i / rate_hz:.9E},{0.980665 * math.sin(i / 10):.9E},0.0,9.80665,9.80665" for i in range(n)]


def _gyro_rows(n: int = 200, rate_hz: float = 100.0, offset_s: float = 0.004) -> list[str]:
    # x turns at π·t rad/s: linear in time, so interpolation onto the accelerometer's times is exact.
    rows = []
    for i in range(n):
        t = i / rate_hz + offset_s
        rows.append(f"{t:.9E},{math.pi * t:.12E},{math.pi:.12E},0.0,0.0")
    return rows


def _zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def test_multi_file_zip_converts_units_and_joins_the_gyro_onto_the_accelerometer_timeline(tmp_path: Path) -> None:
    path = _zip(tmp_path / "squats 2026-01-01 10-00-00.zip", {
        "Accelerometer.csv": "\n".join([ACC_HEADER, *_acc_rows()]) + "\n",
        "Gyroscope.csv": "\n".join([GYRO_HEADER, *_gyro_rows()]) + "\n",
        "meta/device.csv": '"property","value"\n"version","1.1.15"\n',
    })
    session = load_session(path)
    s = session.samples
    assert session.meta.source == "import:phyphox"
    np.testing.assert_allclose(s.acc_g[:, 2], 1.0, atol=1e-12)  # 9.80665 m/s² → 1 g
    np.testing.assert_allclose(s.acc_g[:, 0], 0.1 * np.sin(np.round(s.t_s * 100) / 10), atol=1e-9)  # 0.980665 m/s² → 0.1 g
    assert s.gyro_dps is not None
    np.testing.assert_allclose(s.gyro_dps[:, 1], 180.0, atol=1e-9)  # π rad/s → 180 °/s
    np.testing.assert_allclose(s.gyro_dps[:, 0], 180.0 * s.t_s, atol=1e-9)  # interpolated at the accelerometer's times
    # The first accelerometer sample precedes the first gyro sample: it has no gyro value and is dropped.
    assert s.t_s[0] == pytest.approx(0.01)
    assert s.t_s.size == 199


def test_x_sway_keeps_its_value_in_g(tmp_path: Path) -> None:
    path = tmp_path / "Raw Data.csv"
    path.write_text("\n".join([ACC_HEADER, *_acc_rows()]) + "\n")
    s = load_session(path).samples
    np.testing.assert_allclose(s.acc_g[:, 0], 0.1 * np.sin(np.arange(200) / 10), atol=1e-9)
    assert s.gyro_dps is None


def test_recognised_by_header_not_by_name_and_semicolon_decimal_comma_variant(tmp_path: Path) -> None:
    header = ACC_HEADER.replace(",", ";")
    rows = [f"{i / 100:.9E};0,0;0,0;9,80665;9,80665".replace(".", ",") for i in range(100)]
    path = tmp_path / "my export.dat"
    path.write_text("\n".join([header, *rows]) + "\n")
    fmt = recognise_head({path.name: path.read_bytes()})
    assert fmt is not None and fmt.name == "phyphox"
    session = load_session(path)
    np.testing.assert_allclose(session.samples.acc_g[:, 2], 1.0)
    np.testing.assert_allclose(session.samples.t_s[1], 0.01)


def test_unknown_unit_is_ambiguous_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "Raw Data.csv"
    path.write_text("\n".join([ACC_HEADER.replace("(m/s^2)", "(ft/s^2)"), *_acc_rows()]) + "\n")
    with pytest.raises(AmbiguousUnitsError, match="unit 'ft/s\\^2'"):
        load_session(path)
    code = main(["analyze", str(path), "--exercise", "squat", "--placement", "thigh", "--side", "left"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "cannot tell how to convert" in err


def test_linear_acceleration_alone_says_to_record_with_g(tmp_path: Path) -> None:
    path = tmp_path / "Raw Data.csv"
    header = '"Time (s)","Linear Acceleration x (m/s^2)","Linear Acceleration y (m/s^2)","Linear Acceleration z (m/s^2)"'
    path.write_text("\n".join([header] + [f"{i / 100},0.1,0.0,0.2" for i in range(50)]) + "\n")
    with pytest.raises(InputFileError, match="Acceleration with g"):
        load_session(path)


def test_garbage_row_names_its_line_and_impossible_values_become_a_gap(tmp_path: Path) -> None:
    rows = _acc_rows()
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([ACC_HEADER, *rows[:10], "1.0E-1,abc,0,9.8,9.8", *rows[11:]]) + "\n")
    with pytest.raises(InputFileError) as info:
        load_session(bad)
    assert info.value.line == 12 and "'abc' is not a number" in str(info.value)
    # 1000 m/s² (~102 g) is beyond any body-worn sensor: that sample is dropped and marked as lost.
    spiky = tmp_path / "spiky.csv"
    rows[50] = "5.0E-1,1000.0,0.0,9.80665,9.80665"
    spiky.write_text("\n".join([ACC_HEADER, *rows]) + "\n")
    session = load_session(spiky)
    assert session.samples.t_s.size == 199
    assert any(g.start_s < 0.5 < g.end_s for g in session.gaps)
    every = tmp_path / "every.csv"
    every.write_text("\n".join([ACC_HEADER] + [f"{i / 100},0,0,500.0,500" for i in range(50)]) + "\n")
    with pytest.raises(InputFileError, match="beyond what a sensor can measure|not in g"):
        load_session(every)


def test_one_set_with_two_sensors_each_after_its_own_time_column_and_a_shorter_buffer(tmp_path: Path) -> None:
    """A custom experiment's single set: acceleration and gyroscope each with their own "Time (s)";
    the shorter buffer is padded with "" (phyphox-ios ExperimentExportSet.swift)."""
    header = ACC_HEADER + "," + GYRO_HEADER
    acc, gyro = _acc_rows(200), _gyro_rows(190)
    rows = [a + "," + (gyro[i] if i < len(gyro) else '"","","","",""') for i, a in enumerate(acc)]
    path = tmp_path / "Raw Data.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    s = load_session(path).samples
    assert s.gyro_dps is not None
    np.testing.assert_allclose(s.gyro_dps[:, 0], 180.0 * s.t_s, atol=1e-9)  # the gyro's own times were used
    assert s.t_s[0] == pytest.approx(0.01) and s.t_s[-1] == pytest.approx(1.89)  # within the gyro's span


# --- the Excel (.xlsx) export: one worksheet per set, "NaN" where a shorter column ends -------------


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def _numbers(rows: list[str]) -> list[list[object]]:
    return [[float(v) for v in row.split(",")[:4]] for row in rows]


def test_xlsx_export_reads_like_the_csv_zip(tmp_path: Path) -> None:
    header_acc = [c.strip('"') for c in ACC_HEADER.split(",")][:4]
    header_gyro = [c.strip('"') for c in GYRO_HEADER.split(",")][:4]
    gyro = _numbers(_gyro_rows())
    gyro[-3:] = [["NaN"] * 4 for _ in range(3)]  # a set's shorter buffer, padded as phyphox pads it
    xlsx = _workbook(tmp_path / "squats.xlsx", {"Accelerometer": [header_acc, *_numbers(_acc_rows())],
                                                "Gyroscope": [header_gyro, *gyro]})
    from_xlsx = load_session(xlsx)
    from_zip = load_session(_zip(tmp_path / "squats.zip", {
        "Accelerometer.csv": "\n".join([ACC_HEADER, *_acc_rows()]) + "\n",
        "Gyroscope.csv": "\n".join([GYRO_HEADER, *_gyro_rows()[:-3]]) + "\n"}))
    assert from_xlsx.meta.source == "import:phyphox"
    np.testing.assert_allclose(from_xlsx.samples.acc_g, from_zip.samples.acc_g)
    np.testing.assert_allclose(from_xlsx.samples.gyro_dps, from_zip.samples.gyro_dps)
    np.testing.assert_allclose(from_xlsx.samples.acc_g[:, 2], 1.0)  # 9.80665 m/s² → 1 g


def test_damaged_or_foreign_workbooks_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _workbook(tmp_path / "whole.xlsx", {"Accelerometer": [["Time (s)", "Acceleration x (m/s^2)",
                                                                    "Acceleration y (m/s^2)", "Acceleration z (m/s^2)"],
                                                                   *_numbers(_acc_rows())]})
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(tmp_path / "whole.xlsx") as src, zipfile.ZipFile(damaged, "w") as dst:
        for info in src.infolist():  # the workbook part's XML cut in half
            data = src.read(info)
            dst.writestr(info, data[: len(data) // 2] if info.filename == "xl/workbook.xml" else data)
    foreign = _workbook(tmp_path / "budget.xlsx", {"Sheet": [["month", "spent"], ["jan", 3.0]]})
    for path, says in ((damaged, "damaged Excel workbook"), (foreign, "holds no recording")):
        code = main(["analyze", str(path), "--exercise", "squat", "--placement", "thigh", "--side", "left"])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and says in err, err

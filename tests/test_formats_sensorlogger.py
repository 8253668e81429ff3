"""Sensor Logger exports: ns clocks, Accelerometer + Gravity recombined, iOS signs, ambiguity."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np
import pytest

from sensortrack.core.errors import InputFileError
from sensortrack.core.formats.common import AmbiguousUnitsError
from sensortrack.core.loading import load_session

T0_NS = 1_718_030_736_872_695_300
HEADER = "time,seconds_elapsed,z,y,x"
META_HEADER = ("version,device name,recording epoch time,recording time,recording timezone,platform,appVersion,"
               "device id,sensors,sampleRateMs,standardisation,platform version")


def _csv(rows: list[tuple[int, float, float, float]]) -> str:
    """rows of (time ns, x, y, z), written in the app's column order z,y,x."""
    lines = [HEADER] + [f"{ns},{(ns - T0_NS) / 1e9 + 0.07},{z!r},{y!r},{x!r}" for ns, x, y, z in rows]
    return "\n".join(lines) + "\n"


def _metadata(platform: str, standardised: bool = False) -> str:
    return f"{META_HEADER}\n3,Phone,{T0_NS // 10**6},2024-06-10_14-45-36,Europe/London,{platform},1.30,id,Accelerometer|Gravity|Gyroscope,10|10|10,{str(standardised).lower()},17\n"


def _export(folder: Path, platform: str | None, sign: float = 1.0, standardised: bool = False) -> Path:
    """200 samples at 100 Hz: user acceleration 0.5 m/s² on x, gravity 9.80665 on z (times `sign`),
    gravity stamped 2 ms after the accelerometer, gyro 5 ms after with y = π rad/s."""
    folder.mkdir()
    n, step = 200, 10_000_000
    acc = [(T0_NS + i * step, sign * 0.5, 0.0, 0.0) for i in range(n)]
    grav = [(T0_NS + i * step + 2_000_000, 0.0, 0.0, sign * 9.80665) for i in range(-1, n)]
    gyro = [(T0_NS + i * step + 5_000_000, 0.0, math.pi, 0.0) for i in range(-1, n)]
    (folder / "Accelerometer.csv").write_text(_csv(acc))
    (folder / "Gravity.csv").write_text(_csv(grav))
    (folder / "Gyroscope.csv").write_text(_csv(gyro))
    if platform is not None:
        (folder / "Metadata.csv").write_text(_metadata(platform, standardised))
    return folder


def _zip(folder: Path) -> Path:
    path = folder.with_suffix(".zip")
    with zipfile.ZipFile(path, "w") as archive:
        for f in sorted(folder.iterdir()):
            archive.write(f, f"{folder.name}/{f.name}")
    return path


@pytest.mark.parametrize(("platform", "sign", "standardised"), [("android", 1.0, False), ("ios", -1.0, False), ("ios", 1.0, True)])
def test_known_answer_total_acceleration_in_g_gyro_in_dps_time_in_s(tmp_path: Path, platform: str, sign: float, standardised: bool) -> None:
    session = load_session(_export(tmp_path / "rec", platform, sign, standardised))
    s = session.samples
    assert session.meta.source == "import:sensor-logger"
    # Accelerometer (without gravity) + Gravity, in the Android convention: +1 g up at rest.
    np.testing.assert_allclose(s.acc_g[:, 2], 1.0, atol=1e-12)
    np.testing.assert_allclose(s.acc_g[:, 0], 0.5 / 9.80665, atol=1e-12)
    assert s.gyro_dps is not None
    np.testing.assert_allclose(s.gyro_dps[:, 1], 180.0, atol=1e-9)
    np.testing.assert_allclose(s.t_s, np.arange(s.t_s.size) * 0.01, atol=1e-9)  # ns since the first sample → s
    assert s.t_s.size == 200
    assert session.meta.start_time_utc.startswith("2024-06-10T14:45:36")


def test_folder_and_zip_give_the_same_session(tmp_path: Path) -> None:
    folder = _export(tmp_path / "2024-06-10_14-45-36", "android")
    a, b = load_session(folder).samples, load_session(_zip(folder)).samples
    np.testing.assert_array_equal(a.acc_g, b.acc_g)
    np.testing.assert_array_equal(a.t_s, b.t_s)


def test_gravity_is_interpolated_onto_the_accelerometer_times(tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    folder.mkdir()
    n, step = 100, 10_000_000
    (folder / "Accelerometer.csv").write_text(_csv([(T0_NS + i * step, 0.0, 0.0, 0.0) for i in range(n)]))
    # Gravity tilts linearly from z toward y over the second; stamped half a period late.
    grav = [(T0_NS + i * step + 5_000_000, 0.0, 0.01 * i, 9.80665) for i in range(-1, n)]
    (folder / "Gravity.csv").write_text(_csv(grav))
    (folder / "Metadata.csv").write_text(_metadata("android"))
    s = load_session(folder).samples
    expected_y = 0.01 * (s.t_s / 0.01 - 0.5) / 9.80665  # the ramp at the accelerometer's own times
    np.testing.assert_allclose(s.acc_g[:, 1], expected_y, atol=1e-12)


def test_without_metadata_the_sign_is_ambiguous(tmp_path: Path) -> None:
    with pytest.raises(AmbiguousUnitsError, match="Metadata.csv") as info:
        load_session(_export(tmp_path / "rec", None))
    assert "\n" not in str(info.value)


def test_accelerometer_file_alone_needs_gravity_and_total_acceleration_alone_is_read(tmp_path: Path) -> None:
    folder = _export(tmp_path / "rec", "android")
    with pytest.raises(InputFileError, match="excludes gravity"):
        load_session(folder / "Accelerometer.csv")
    total = tmp_path / "TotalAcceleration.csv"
    total.write_text(_csv([(T0_NS + i * 10_000_000, 0.0, 9.80665, 0.0) for i in range(50)]))
    s = load_session(total).samples
    np.testing.assert_allclose(s.acc_g[:, 1], 1.0)
    assert s.gyro_dps is None


def test_garbage_time_names_the_line(tmp_path: Path) -> None:
    folder = _export(tmp_path / "rec", "android")
    lines = (folder / "Gyroscope.csv").read_text().splitlines()
    lines[5] = "12:30:01," + lines[5].split(",", 1)[1]
    (folder / "Gyroscope.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputFileError) as info:
        load_session(folder)
    assert info.value.line == 6 and "not a whole number" in str(info.value) and "Gyroscope.csv" in str(info.value)


def test_a_renamed_sensor_file_is_recognised_and_says_to_keep_the_names(tmp_path: Path) -> None:
    path = tmp_path / "acc.csv"
    path.write_text(_csv([(T0_NS + i * 10_000_000, 0.0, 9.80665, 0.0) for i in range(50)]))
    with pytest.raises(InputFileError, match="keep them"):
        load_session(path)


def test_an_accelerometer_file_that_already_holds_gravity_is_not_added_to_gravity_again(tmp_path: Path) -> None:
    folder = _export(tmp_path / "rec", "android")
    n, step = 200, 10_000_000
    (folder / "Accelerometer.csv").write_text(_csv([(T0_NS + i * step, 0.0, 0.0, 9.80665) for i in range(n)]))
    session = load_session(folder)
    np.testing.assert_allclose(session.samples.acc_g[:, 2], 1.0)  # not 2 g
    assert "already included gravity" in session.meta.notes


# --- the JSON export (one file: an array of records, each naming its sensor) ---------------------


def _json_export(path: Path, platform: str | None, sign: float = 1.0, extra: list[object] | None = None) -> Path:
    """The same 200 samples as _export, as the JSON export writes them: every value a string."""
    import json

    def records(sensor: str, rows: list[tuple[int, float, float, float]]) -> list[dict[str, str]]:
        return [{"sensor": sensor, "time": str(ns), "seconds_elapsed": str((ns - T0_NS) / 1e9),
                 "z": repr(z), "y": repr(y), "x": repr(x)} for ns, x, y, z in rows]

    n, step = 200, 10_000_000
    out: list[object] = []
    if platform is not None:
        out.append({"sensor": "Metadata", "version": "3", "platform": platform, "device name": "Phone"})
    out += records("Accelerometer", [(T0_NS + i * step, sign * 0.5, 0.0, 0.0) for i in range(n)])
    out += records("Gravity", [(T0_NS + i * step + 2_000_000, 0.0, 0.0, sign * 9.80665) for i in range(-1, n)])
    out += records("Gyroscope", [(T0_NS + i * step + 5_000_000, 0.0, math.pi, 0.0) for i in range(-1, n)])
    out += records("Location", [(T0_NS, 0.0, 0.0, 0.0)])  # another sensor: ignored
    out += extra or []
    path.write_text(json.dumps(out, indent=2))
    return path


@pytest.mark.parametrize(("platform", "sign"), [("android", 1.0), ("ios", -1.0)])
def test_json_export_reads_like_the_csv_export(tmp_path: Path, platform: str, sign: float) -> None:
    from_json = load_session(_json_export(tmp_path / "export.json", platform, sign))
    from_csv = load_session(_export(tmp_path / "rec", platform, sign))
    assert from_json.meta.source == "import:sensor-logger"
    np.testing.assert_allclose(from_json.samples.acc_g, from_csv.samples.acc_g)
    np.testing.assert_allclose(from_json.samples.gyro_dps, from_csv.samples.gyro_dps)
    np.testing.assert_allclose(from_json.samples.acc_g[:, 2], 1.0, atol=1e-9)  # gravity up: +1 g
    np.testing.assert_allclose(from_json.samples.gyro_dps[:, 1], 180.0, atol=1e-9)  # π rad/s


def test_json_records_that_are_not_samples_are_skipped_and_counted(tmp_path: Path) -> None:
    session = load_session(_json_export(tmp_path / "rec.json", "android", extra=[42, "x", {"no": "sensor"}]))
    assert session.samples.acc_g.shape[0] == 200
    assert "3 JSON record(s)" in session.meta.notes


def test_json_without_metadata_is_ambiguous_and_bad_json_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(AmbiguousUnitsError, match="Metadata"):
        load_session(_json_export(tmp_path / "rec.json", None))
    broken = tmp_path / "broken.json"
    broken.write_text(_json_export(tmp_path / "whole.json", "android").read_text()[:5000])
    with pytest.raises(InputFileError, match="not valid JSON") as info:
        load_session(broken)
    assert "\n" not in str(info.value)


def test_json_garbage_value_names_the_sensor_table(tmp_path: Path) -> None:
    bad = {"sensor": "Gyroscope", "time": "soon", "seconds_elapsed": "1", "z": "0", "y": "0", "x": "0"}
    path = _json_export(tmp_path / "rec.json", "android", extra=[bad])
    # as a garbage time in Gyroscope.csv is (test_garbage_time_names_the_line): the sensor's table and
    # its row (the header is line 1, so the 202nd gyroscope record is line 203)
    with pytest.raises(InputFileError, match=r"rec\.json/Gyroscope\.csv:203: 'soon' is not a whole number") as info:
        load_session(path)
    assert "\n" not in str(info.value)

"""The one reader registry: every vendor sample recognised by its headers, analysed and imported
end to end; unknown folders, broken zips and mangled exports give one line, never a traceback."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sensortrack.cli import main
from sensortrack.core.errors import InputFileError
from sensortrack.core.formats.samples import EXPECTED_REPS, expected_files
from sensortrack.core.loading import load_session

REPO = Path(__file__).resolve().parents[1]
VENDOR = REPO / "fixtures" / "vendor"
BODY = ["--exercise", "squat", "--placement", "thigh", "--side", "right"]

# Each sample and the format it must be recognised as (a folder or zip where the app exports several files).
SAMPLES = {
    "phyphox/squats 2026-01-01 10-00-00.zip": "phyphox",
    "phyphox/Raw Data.csv": "phyphox",
    "phyphox/squats 2026-01-01 10-00-00.xlsx": "phyphox",
    "sensor-logger/2026-01-01_10-00-00.zip": "sensor-logger",
    "sensor-logger/android_2026-01-01_10-00-00.json": "sensor-logger",
    "polar-sensor-logger": "polar-sensor-logger",
    "polar-sensor-logger/Polar_Sense_B5C3F123_20260101100000_ACC.txt": "polar-sensor-logger",
    "movesense/MovesenseShowcase_IMU6_52Hz.csv": "movesense-showcase",
    "movella-dot/DOT1_20260101_100000.csv": "movella-dot",
    "witmotion/20260101100000.txt": "witmotion",
}


def test_regenerating_the_vendor_samples_reproduces_them() -> None:
    expected = expected_files(REPO)
    on_disk = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()}
    assert on_disk == set(expected)
    for rel, data in expected.items():
        assert (VENDOR / rel).read_bytes() == data, rel


@pytest.mark.parametrize("rel", sorted(SAMPLES))
def test_each_sample_is_recognised_and_analysed_end_to_end(rel: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = VENDOR / rel
    session = load_session(path)
    assert session.meta.source == f"import:{SAMPLES[rel]}"
    assert session.meta.exercise is None and session.meta.sensor.placement is None  # the app does not say
    assert 50.0 < session.meta.sensor.nominal_rate_hz < 54.0
    code = main(["analyze", str(path), *BODY, "--json"])
    out = capsys.readouterr().out
    assert code == 0
    result = json.loads(out)
    reps = [len(s["reps"]) for s in result["sets"]]
    assert reps == [EXPECTED_REPS]  # the simulated first set: six squats


@pytest.mark.parametrize("rel", ["sensor-logger/2026-01-01_10-00-00.zip", "witmotion/20260101100000.txt"])
def test_without_flags_the_exercise_is_recognised_and_the_side_said_missing(
    rel: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An app export says nothing about the body: exercise and placement come from recognition,
    the side is never guessed (the six simulated squats on the right thigh)."""
    code = main(["analyze", "--json", str(VENDOR / rel)])
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (result["exercise"], result["placement"], result["side"]) == ("squat", "thigh", None)
    assert [(s["exercise_source"], len(s["reps"])) for s in result["sets"]] == [("recognised", EXPECTED_REPS)]
    assert any("side not given" in note for note in result["notes"])


def test_import_reads_each_sample_into_the_library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    library = tmp_path / "library.sqlite3"
    # A Sensor Logger export unpacked into a folder, as the phone's Files app leaves it.
    with zipfile.ZipFile(VENDOR / "sensor-logger/2026-01-01_10-00-00.zip") as archive:
        archive.extractall(tmp_path)
    folder = tmp_path / "2026-01-01_10-00-00"
    paths = [str(VENDOR / rel) for rel in sorted(SAMPLES) if not rel.endswith("_ACC.txt")] + [str(folder)]
    code = main(["import", *paths, *BODY, "--library", str(library), "--json"])
    entries = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert [e["action"] for e in entries] == ["imported"] * len(paths)
    for entry in entries:
        session = entry["session"]
        assert session["analysis_status"] == "ok", entry["file"]
        assert (session["set_count"], session["rep_count"]) == (1, EXPECTED_REPS), entry["file"]
    sensor_logger = next(e for e in entries if e["file"] == str(folder))["session"]
    assert sensor_logger["start_time_utc"].startswith("2026-01-01T10:00:00")  # from the phone's ns clock
    # The same folder again is recognised by its content, like a file.
    code = main(["import", str(folder), "--library", str(library), "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["action"] == "unchanged"


def test_a_folder_or_zip_without_a_recording_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "holiday photos"
    empty.mkdir()
    (empty / "notes.txt").write_text("nothing to see\n")
    broken = tmp_path / "export.zip"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.md", "# not a recording\n")
    for path in (empty, broken, other):
        code = main(["analyze", str(path), *BODY])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and err.startswith("sensortrack: error: "), err
        assert "Traceback" not in err


def test_interchange_csv_and_session_files_still_go_their_own_way() -> None:
    assert load_session(REPO / "fixtures" / "bad" / "interchange_ok.csv").meta.source == "import:csv"
    assert load_session(REPO / "fixtures" / "simulated" / "squat_thigh_right.csv").meta.source == "simulated"


def _head(rel: str, lines: int = 400) -> bytes:
    data = (VENDOR / rel).read_bytes()
    return b"\n".join(data.split(b"\n")[:lines]) + b"\n"


@pytest.mark.parametrize("rel", [
    "phyphox/Raw Data.csv",
    "polar-sensor-logger/Polar_Sense_B5C3F123_20260101100000_ACC.txt",
    "movesense/MovesenseShowcase_IMU6_52Hz.csv",
    "movella-dot/DOT1_20260101_100000.csv",
    "witmotion/20260101100000.txt",
])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pos=st.integers(min_value=0, max_value=20_000), noise=st.binary(min_size=1, max_size=40))
def test_mangled_exports_are_a_session_or_one_input_error(tmp_path: Path, rel: str, pos: int, noise: bytes) -> None:
    data = _head(rel)
    pos = pos % len(data)
    path = tmp_path / Path(rel).name
    path.write_bytes(data[:pos] + noise + data[pos + len(noise):])
    try:
        session = load_session(path)
    except InputFileError as exc:
        assert "\n" not in str(exc)
        return
    assert session.samples.t_s.size >= 2


def test_mangled_sensor_logger_zip_member_is_one_input_error(tmp_path: Path) -> None:
    with zipfile.ZipFile(VENDOR / "sensor-logger/2026-01-01_10-00-00.zip") as archive:
        archive.extractall(tmp_path)
    folder = tmp_path / "2026-01-01_10-00-00"
    gravity = folder / "Gravity.csv"
    gravity.write_bytes(gravity.read_bytes()[:5000] + b"\xff\xfe garbage;;;\n" + b"1,2\n")
    with pytest.raises(InputFileError) as info:
        load_session(folder)
    assert "Gravity.csv" in str(info.value) and "\n" not in str(info.value)
    shutil.rmtree(folder)


@pytest.mark.parametrize(("rel", "row", "spike"), [
    ("movesense/MovesenseShowcase_IMU6_52Hz.csv", 300, lambda f: f[:4] + ["100000.0"] + f[5:]),  # 1e5 °/s
    ("polar-sensor-logger/Polar_Sense_B5C3F123_20260101100000_ACC.txt", 300, lambda f: f[:2] + ["1000000000"] + f[3:]),  # 1e6 g
])
def test_one_impossible_sample_is_a_gap_and_leaves_the_count(tmp_path: Path, rel: str, row: int, spike, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    src = VENDOR / rel
    sep = ";" if src.suffix == ".txt" else ","
    lines = src.read_text().splitlines()
    lines[row] = sep.join(spike(lines[row].split(sep)))
    path = tmp_path / src.name
    path.write_text("\n".join(lines) + "\n")
    session = load_session(path)
    assert len(session.samples) == len(lines) - 2  # header and the impossible sample
    code = main(["analyze", str(path), *BODY, "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and [len(s["reps"]) for s in result["sets"]] == [EXPECTED_REPS]
    assert len(result["gaps"]) == len(load_session(src).gaps) + 1  # marked where it was taken out


@pytest.mark.parametrize(("rel", "sep", "field", "encoding"), [
    ("phyphox/Raw Data.csv", ",", 2, "utf-8"),
    ("polar-sensor-logger/Polar_Sense_B5C3F123_20260101100000_ACC.txt", ";", 3, "utf-8"),
    ("movesense/MovesenseShowcase_IMU6_52Hz.csv", ",", 3, "utf-8"),
    ("movella-dot/DOT1_20260101_100000.csv", ",", 6, "utf-8"),
    ("witmotion/20260101100000.txt", "\t", 3, "gb18030"),
])
def test_text_where_a_number_belongs_names_file_and_line(tmp_path: Path, rel: str, sep: str, field: int, encoding: str, capsys: pytest.CaptureFixture[str]) -> None:
    src = VENDOR / rel
    lines = src.read_bytes().decode(encoding).splitlines()
    fields = lines[99].split(sep)
    fields[field] = "x!"
    lines[99] = sep.join(fields)
    path = tmp_path / src.name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    code = main(["analyze", str(path), *BODY])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert f"{path.name}:100: 'x!' is not a number" in err


def test_a_folder_reads_only_its_text_tables(tmp_path: Path) -> None:
    folder = tmp_path / "polar"
    shutil.copytree(VENDOR / "polar-sensor-logger", folder)
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 100)
    (folder / "video.mp4").write_bytes(b"\x00" * 10_000)
    from sensortrack.core.formats.sources import open_source

    assert sorted(open_source(folder).members) == sorted(p.name for p in (VENDOR / "polar-sensor-logger").iterdir())
    assert load_session(folder).meta.source == "import:polar-sensor-logger"


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_a_truncated_zip_is_said_to_be_damaged_not_read_as_csv(
    tmp_path: Path, cut: float, capsys: pytest.CaptureFixture[str]
) -> None:
    data = (VENDOR / "phyphox/squats 2026-01-01 10-00-00.zip").read_bytes()
    for name in ("squats.zip", "squats.csv"):  # the bytes say zip whatever the name
        path = tmp_path / name
        path.write_bytes(data[: int(cut * len(data))])
        with pytest.raises(InputFileError, match="damaged zip archive"):
            load_session(path)
        code = main(["analyze", str(path), *BODY])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and "damaged zip archive" in err, err
        assert "missing column" not in err


def test_a_dot_zip_that_is_really_a_csv_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    path.write_bytes((REPO / "fixtures" / "bad" / "interchange_ok.csv").read_bytes())
    assert load_session(path).meta.source == "import:csv"

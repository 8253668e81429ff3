"""`sensortrack export`: samples and rep tables round-trip through CSV, JSON and Parquet."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sensortrack.cli import main
from sensortrack.library.store import Library
from sensortrack.core.sessionfile import read_session

REPO = Path(__file__).resolve().parents[1]
SQUAT = REPO / "fixtures" / "simulated" / "squat_thigh_right.csv"
MEX = REPO / "fixtures" / "mex" / "bridge_subject01.csv"  # accelerometer only


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "lib.sqlite3"
    assert run(capsys, "import", str(SQUAT), "--library", str(path))[0] == 0
    return path


def stored_reps(path: Path) -> list[dict[str, object]]:
    with Library.open(path) as library:
        return [
            {"set": r.set_index, "index": r.rep_index, "range_deg": r.range_deg, "warn": r.knee_drift_warning}
            for r in library.reps(1)
        ]


def test_csv_export_of_a_library_session(library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "squats.csv"
    code, stdout, err = run(capsys, "export", "1", "--format", "csv", "-o", str(out), "--library", str(library))
    assert code == 0, err
    reps_path = tmp_path / "squats-reps.csv"
    assert stdout.split() == [str(out), str(reps_path)]

    source = read_session(SQUAT)
    assert source.samples.gyro_dps is not None
    text = out.read_text()
    assert "#" not in text  # no comment lines: spreadsheets open it as is
    samples = pd.read_csv(out)
    assert list(samples.columns) == ["t_s", "ax_g", "ay_g", "az_g", "gx_dps", "gy_dps", "gz_dps"]
    np.testing.assert_allclose(samples["t_s"], source.samples.t_s, atol=1e-6)
    np.testing.assert_allclose(samples[["ax_g", "ay_g", "az_g"]], source.samples.acc_g, atol=1e-6)
    np.testing.assert_allclose(samples[["gx_dps", "gy_dps", "gz_dps"]], source.samples.gyro_dps, atol=1e-4)

    reps = pd.read_csv(reps_path)
    assert list(reps.columns)[:3] == ["set", "index", "start_s"]
    expected = stored_reps(library)
    assert len(reps) == len(expected) > 0
    assert reps["warnings"].fillna("").tolist() == ["knee_drift" if r["warn"] else "" for r in expected]
    assert reps["shallow"].isin([0, 1]).all() and reps["calibrated"].isin([0, 1]).all()
    np.testing.assert_allclose(reps["range_deg"], [r["range_deg"] for r in expected], atol=0.05)
    np.testing.assert_allclose(reps["duration_s"], reps["end_s"] - reps["start_s"], atol=0.011)


def test_parquet_export_keeps_units_and_metadata(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "squats.parquet"
    code, _, err = run(capsys, "export", "#1", "-o", str(out), "--library", str(library))  # format from the suffix
    assert code == 0, err
    table = pq.read_table(out)
    source = read_session(SQUAT)
    np.testing.assert_array_equal(table.column("t_s").to_numpy(), source.samples.t_s)
    np.testing.assert_array_equal(
        np.column_stack([table.column(c).to_numpy() for c in ("ax_g", "ay_g", "az_g")]), source.samples.acc_g
    )
    assert table.schema.field("gx_dps").metadata == {b"unit": b"deg/s"}
    meta = json.loads(table.schema.metadata[b"sensortrack"])
    assert (meta["library_id"], meta["exercise"], meta["side"], meta["placement"]) == (1, "squat", "right", "thigh")
    assert meta["sample_count"] == len(source.samples)
    assert meta["analysis"]["status"] == "ok" and meta["analysis"]["settings"]["drift_threshold_deg"] == 6.0
    assert len(meta["gaps"]) == len(source.gaps)

    reps = pq.read_table(tmp_path / "squats-reps.parquet")
    assert str(reps.schema.field("shallow").type) == "bool"
    assert reps.column("warnings").to_pylist() == ["knee_drift" if r["warn"] else "" for r in stored_reps(library)]
    assert json.loads(reps.schema.metadata[b"sensortrack"])["library_id"] == 1


def test_json_export_of_a_file_analyses_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mex.json"
    code, _, err = run(capsys, "export", str(MEX), "--format", "json", "-o", str(out))
    assert code == 0, err
    doc = json.loads(out.read_text())
    source = read_session(MEX)
    assert set(doc["samples"]) == {"t_s", "ax_g", "ay_g", "az_g"}  # no gyro columns for an acc-only sensor
    np.testing.assert_allclose(doc["samples"]["az_g"], source.samples.acc_g[:, 2], atol=1e-6)
    assert doc["library_id"] is None and doc["exercise"] == "bridge"
    assert "CC BY 4.0" in doc["attribution"]
    assert doc["analysis"]["status"] == "ok"
    assert len(doc["reps"]) == sum(s["rep_count"] for s in doc["sets"])
    assert not (tmp_path / "mex-reps.json").exists()


def test_export_to_a_folder_and_without_metadata(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "log.csv"
    plain.write_text((REPO / "fixtures" / "bad" / "interchange_ok.csv").read_text())  # no sidecar: no exercise
    folder = tmp_path / "out"
    folder.mkdir()
    code, stdout, err = run(capsys, "export", str(plain), "-o", str(folder))
    assert code == 0
    # issue 13: the exercise is recognised (here: none, the sensor lies still), not asked for
    assert "the rep table is empty" not in err
    assert stdout.split() == [str(folder / "log.csv"), str(folder / "log-reps.csv")]
    assert pd.read_csv(folder / "log-reps.csv").empty
    exported, original = pd.read_csv(folder / "log.csv"), pd.read_csv(plain)
    assert len(exported) == len(original)
    np.testing.assert_allclose(exported["ax_g"], original["ax"], atol=1e-6)


def test_never_overwrites_without_force_and_never_the_source(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.csv"
    out.write_text("keep me")
    code, _, err = run(capsys, "export", "1", "-o", str(out), "--library", str(library))
    assert code == 2 and err.strip() == f"sensortrack: error: {out}: exists already (use --force to overwrite)"
    assert out.read_text() == "keep me"
    assert run(capsys, "export", "1", "-o", str(out), "--force", "--library", str(library))[0] == 0
    assert out.read_text().startswith("t_s,")

    recording = tmp_path / "recording.csv"
    recording.write_bytes(SQUAT.read_bytes())
    code, _, err = run(capsys, "export", str(recording), "-o", str(recording), "--force")
    assert code == 2 and "refusing to overwrite the session" in err
    assert recording.read_bytes() == SQUAT.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp files left


def test_bad_targets_are_one_line_errors(library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "export", "7", "-o", str(tmp_path / "o.csv"), "--library", str(library))
    assert code == 2 and err.strip() == f"sensortrack: error: no session #7 in library {library}"
    code, _, err = run(capsys, "export", "nothing-here.csv", "-o", str(tmp_path / "o.csv"))
    assert (
        code == 2 and err.strip() == "sensortrack: error: nothing-here.csv: no such file (and not a library session ID)"
    )
    code, _, err = run(capsys, "export", "1", "-o", str(tmp_path / "no" / "dir" / "o.csv"), "--library", str(library))
    assert code == 2 and "the output folder does not exist" in err
    code, _, err = run(
        capsys, "export", "1", "--exercise", "squat", "-o", str(tmp_path / "o.csv"), "--library", str(library)
    )
    assert code == 2 and "apply to files" in err


def test_standard_output_is_refused_not_written_as_a_file(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, out, err = run(capsys, "export", "1", "-o", "-", "--library", str(library))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "not standard output" in err and list(work.iterdir()) == []  # no "-.csv", no "--reps.csv"

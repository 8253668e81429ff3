"""One result shape (docs/result-schema.json): the real outputs of `analyze --json`, `sessions show
--json` and `export` validate against it, describe the same rep with the same fields and values, and
a two-sensor session's library entry, export and report carry the pair's measures."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow.parquet as pq
import pytest

from sensortrack.cli import main
from sensortrack.library.export import REP_COLUMNS
from sensortrack.core.result_schema import REP_FIELDS, RESULT_SCHEMA_VERSION
from sensortrack.core.sessionfile import write_session
from sensortrack.simulation.pair import DeviceClock, simulate_knee_pair, simulate_sides_pair
from sensortrack.simulation.spec import Distractor, SessionSpec, SetSpec

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((REPO / "docs" / "result-schema.json").read_text(encoding="utf-8"))
SQUAT = REPO / "fixtures" / "simulated" / "squat_thigh_right.csv"


def validator(definition: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({**SCHEMA, "$ref": f"#/$defs/{definition}"})


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def _spec(side: str) -> SessionSpec:
    return SessionSpec(exercise="squat", placement="thigh", side=side, rate_hz=100.0,  # type: ignore[arg-type]
                       sets=(SetSpec(n_reps=8, drift=True, drift_from_rep=6),),
                       lead_in=(Distractor("stand", 3.0),), lead_out=(Distractor("stand", 2.0),))


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One sensor, thigh + shank of one leg, and both thighs, each as one session file."""
    d = tmp_path_factory.mktemp("shape")
    thigh, shank, _ = simulate_knee_pair(_spec("left"), 31, DeviceClock(offset_s=0.8, skew_ppm=-120.0))
    write_session(d / "knee.csv", replace(thigh, companions=(shank,)))
    left, right, _ = simulate_sides_pair(_spec("left"), 32, one_sided="range", affected_side="right")
    write_session(d / "sides.csv", replace(left, companions=(right,)))
    return {"one": SQUAT, "knee": d / "knee.csv", "sides": d / "sides.csv"}


@pytest.fixture(scope="module")
def library(sessions: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lib") / "lib.sqlite3"
    for name in ("one", "knee", "sides"):  # ids 1, 2, 3
        assert main(["import", str(sessions[name]), "--library", str(path)]) == 0
    return path


def _analyze(capsys: pytest.CaptureFixture[str], path: Path) -> dict[str, Any]:
    return json.loads(run(capsys, "analyze", str(path), "--json"))


def _reps(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for s in result["sets"] for r in s["reps"]]


def test_the_schema_is_valid_and_names_the_fields_the_code_writes() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert tuple(SCHEMA["$defs"]["rep"]["properties"]) == REP_FIELDS
    assert SCHEMA["$defs"]["rep"]["required"] == list(REP_FIELDS)
    assert SCHEMA["$defs"]["analysis_result"]["properties"]["schema_version"]["const"] == RESULT_SCHEMA_VERSION


@pytest.mark.parametrize("name", ["one", "knee", "sides"])
def test_analyze_json_validates(name: str, sessions: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    result = _analyze(capsys, sessions[name])
    validator("analysis_result").validate(result)
    assert result["schema_version"] == RESULT_SCHEMA_VERSION
    assert result["sensors"] == (1 if name == "one" else 2)
    reps = _reps(result)
    assert reps and all(list(r) == list(REP_FIELDS) for r in reps)  # the same fields in the same order
    assert result["rep_count"] >= len(reps) and result["set_count"] == len(result["sets"])


@pytest.mark.parametrize(("name", "session_id"), [("one", 1), ("knee", 2), ("sides", 3)])
def test_sessions_show_json_describes_each_rep_as_analyze_does(
    name: str, session_id: int, sessions: dict[str, Path], library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = json.loads(run(capsys, "sessions", "show", str(session_id), "--json", "--library", str(library)))
    validator("library_session").validate(shown)
    analysed = _reps(_analyze(capsys, sessions[name]))
    assert shown["reps"] == analysed  # same rep, same fields, same values
    assert shown["session"]["sensors"] == (1 if name == "one" else 2)


def test_a_knee_pair_in_the_library_has_the_knee_angles(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shown = json.loads(run(capsys, "sessions", "show", "2", "--json", "--library", str(library)))
    assert shown["session"]["pair"] == "thigh+shank"
    assert shown["session"]["pair_measures"]["knee"]["measured_reps"] > 0
    measured = [r for r in shown["reps"] if r["knee_drift_source"] == "knee angle (thigh + shank)"]
    assert len(measured) >= 6
    for rep in measured:
        assert rep["knee_flexion_range_deg"] > 30 and rep["knee_drift_deg"] == rep["knee_valgus_deg"]
    # the fixture's set caves from rep 6: the knee angle warns on those, judged with no personal reference
    assert [r["index"] for r in shown["reps"] if r["warnings"]] == [6, 7, 8]
    assert shown["session"]["drift_reference"]["kind"] == "knee angle"
    text = run(capsys, "sessions", "show", "2", "--library", str(library))
    assert "Knee flex°" in text and "thigh + shank" in text


def test_a_left_right_pair_in_the_library_has_both_legs_and_their_asymmetry(
    library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = json.loads(run(capsys, "sessions", "show", "3", "--json", "--library", str(library)))
    assert shown["session"]["pair"] == "left+right"
    assert {s["side"] for s in shown["sets"]} == {"left", "right"}
    assert {r["side"] for r in shown["reps"]} == {"left", "right"}
    assert [f["measure"] for f in shown["session"]["pair_measures"]["symmetry"]["flagged"]] == ["range"]
    paired = [r for r in shown["reps"] if r["range_asymmetry_pct"] is not None]
    assert len(paired) == 16  # 8 rep pairs, both reps of each
    assert sorted(r["range_asymmetry_pct"] for r in paired if r["side"] == "left") == sorted(
        r["range_asymmetry_pct"] for r in paired if r["side"] == "right"
    )


def test_export_columns_and_json_follow_the_schema(library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "export", "2", "-o", str(tmp_path / "knee.json"), "--library", str(library))
    doc = json.loads((tmp_path / "knee.json").read_text())
    validator("export_document").validate(doc)
    assert doc["pair"] == "thigh+shank" and doc["sensors"] == 2 and doc["pair_measures"]["knee"]["axis"]
    shown = json.loads(run(capsys, "sessions", "show", "2", "--json", "--library", str(library)))
    assert [{k: r[k] for k in REP_FIELDS} for r in doc["reps"]] == shown["reps"]

    run(capsys, "export", "3", "-o", str(tmp_path / "sides.csv"), "--library", str(library))
    with (tmp_path / "sides-reps.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    props = SCHEMA["$defs"]["export_rep"]["properties"]
    assert list(rows[0]) == list(props) == REP_COLUMNS
    assert {r["side"] for r in rows} == {"left", "right"}
    assert all(r["range_asymmetry_pct"] for r in rows if r["side"] == "left")

    run(capsys, "export", "2", "-o", str(tmp_path / "knee.parquet"), "--library", str(library))
    table = pq.read_table(tmp_path / "knee-reps.parquet")
    assert table.column_names == list(props)
    assert sum(v is not None for v in table.column("knee_flexion_range_deg").to_pylist()) >= 6


def test_the_report_of_a_pair_shows_the_pairs_measures(
    sessions: dict[str, Path], library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "report", "2", "-o", str(tmp_path / "knee.html"), "--library", str(library))
    page = (tmp_path / "knee.html").read_text()
    assert "Knee flexion" in page and "thigh + shank" in page
    run(capsys, "report", "3", "-o", str(tmp_path / "sides.html"), "--library", str(library))
    page = (tmp_path / "sides.html").read_text()
    assert "Left / right symmetry" in page and "Range asymmetry" in page

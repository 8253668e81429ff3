"""A pair's settings (config.toml's [pair], then `--set pair.KEY=VALUE`) judge a two-sensor session
alike in `analyze`, `import`, `sessions reanalyze`, `export` and the live view's library entry."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from sensortrack.cli import main
from sensortrack.config import load_all_settings, load_pair_settings
from sensortrack.core.errors import ConfigError
from sensortrack.core.sessionfile import write_session
from sensortrack.library.cli_options import register_recording_or_note
from sensortrack.simulation.pair import DeviceClock, simulate_knee_pair
from sensortrack.simulation.spec import Distractor, SessionSpec, SetSpec

LENIENT = 60.0  # a knee-valgus limit no rep of the fixture reaches


@pytest.fixture(scope="module")
def pair_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = SessionSpec(exercise="squat", placement="thigh", side="left", rate_hz=100.0,
                       sets=(SetSpec(n_reps=8, drift=True, drift_from_rep=6),),
                       lead_in=(Distractor("stand", 3.0),), lead_out=(Distractor("stand", 2.0),))
    thigh, shank, _ = simulate_knee_pair(spec, 31, DeviceClock(offset_s=0.8, skew_ppm=-120.0))
    path = tmp_path_factory.mktemp("pair") / "pair.csv"
    write_session(path, replace(thigh, companions=(shank,)))
    return path


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:  # type: ignore[type-arg]
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def _config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("SENSORTRACK_CONFIG", str(path))


def _drift_reps(capsys: pytest.CaptureFixture[str], session_id: int = 1) -> int:
    shown = _json(capsys, "sessions", "show", str(session_id), "--json")
    reps = shown["reps"]
    assert len(reps) == 8
    return sum("knee_drift" in r["warnings"] for r in reps)


def test_config_pair_table_then_set_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_pair_settings().knee_valgus_limit_deg == 5.0
    _config(tmp_path, monkeypatch, "[pair]\nknee_valgus_limit_deg = 9\n")
    assert load_pair_settings().knee_valgus_limit_deg == 9.0
    assert load_pair_settings({"knee_valgus_limit_deg": "7"}).knee_valgus_limit_deg == 7.0
    engine, pair = load_all_settings(["drift_threshold_deg=8", "pair.knee_valgus_limit_deg=6"])
    assert engine.drift_threshold_deg == 8.0 and pair.knee_valgus_limit_deg == 6.0


def test_a_bad_pair_table_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str], pair_file: Path) -> None:
    _config(tmp_path, monkeypatch, "[pair]\nknee_valgus_limt_deg = 9\n")
    with pytest.raises(ConfigError, match=r"\[pair\] unknown pair setting"):
        load_pair_settings()
    assert main(["analyze", str(pair_file)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "knee_valgus_limt_deg" in err


def test_analyze_uses_the_configured_pair_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str], pair_file: Path) -> None:
    assert _json(capsys, "analyze", str(pair_file), "--json")["knee_drift_reps"] == 3
    _config(tmp_path, monkeypatch, f"[pair]\nknee_valgus_limit_deg = {LENIENT}\n")
    assert _json(capsys, "analyze", str(pair_file), "--json")["knee_drift_reps"] == 0


def test_import_and_reanalyze_judge_the_pair_with_its_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], pair_file: Path
) -> None:
    assert main(["import", str(pair_file), f"--set=pair.knee_valgus_limit_deg={LENIENT}"]) == 0
    capsys.readouterr()
    assert _drift_reps(capsys) == 0
    assert main(["sessions", "reanalyze", "--jobs", "1"]) == 0  # the default limit again
    capsys.readouterr()
    assert _drift_reps(capsys) == 3
    _config(tmp_path, monkeypatch, f"[pair]\nknee_valgus_limit_deg = {LENIENT}\n")
    assert main(["sessions", "reanalyze", "--jobs", "1"]) == 0
    capsys.readouterr()
    assert _drift_reps(capsys) == 0


def test_the_live_views_pair_settings_reach_its_library_entry(capsys: pytest.CaptureFixture[str], pair_file: Path) -> None:
    import sys

    from sensortrack.analysis.settings import AnalysisSettings

    register_recording_or_note(None, pair_file, AnalysisSettings(), sys.stderr, use_reference=False,
                               pair_settings=load_pair_settings({"knee_valgus_limit_deg": str(LENIENT)}))
    assert "not added" not in capsys.readouterr().err
    assert _drift_reps(capsys) == 0


def test_a_one_sensor_recording_reads_no_pair_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str], fixtures_dir: Path) -> None:
    """A recording's library entry needs [pair] only for two sensors: a bad [pair] does not keep a
    one-sensor recording out of the library."""
    import shutil
    import sys

    from sensortrack.analysis.settings import AnalysisSettings

    one = tmp_path / "one.csv"
    shutil.copyfile(fixtures_dir / "simulated" / "squat_thigh_left.csv", one)
    _config(tmp_path, monkeypatch, "[pair]\nknee_valgus_limt_deg = 9\n")
    register_recording_or_note(None, one, AnalysisSettings(), sys.stderr, use_reference=False)
    assert "not added" not in capsys.readouterr().err
    assert _json(capsys, "sessions", "show", "1", "--json")["reps"]

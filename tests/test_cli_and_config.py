"""The CLI: --help everywhere, analyze's JSON contract, metadata errors, and settings overrides."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.cli import COMMANDS, main
from sensortrack.config import load_settings
from sensortrack.core.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "sensortrack" / "data" / "demo_squats.csv"


@pytest.mark.parametrize("command", [None] + [name for name, _, _ in COMMANDS])
def test_help_for_every_command(command: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"] if command is None else [command, "--help"])
    assert info.value.code == 0
    assert "usage: sensortrack" in capsys.readouterr().out


def test_console_script_and_module_agree() -> None:
    script = Path(sys.executable).parent / "sensortrack"
    a = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=True)
    b = subprocess.run([sys.executable, "-m", "sensortrack", "--version"], capture_output=True, text=True, cwd="/", check=True)
    assert a.stdout == b.stdout and a.stdout.startswith("sensortrack ")


def test_analyze_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(DEMO), "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    data = json.loads(out)
    assert data["sets"], "the demo has two sets"
    for st in data["sets"]:
        assert {"exercise", "start_s", "end_s", "reps"} <= set(st)
        for rep in st["reps"]:
            assert {"start_s", "peak_s", "end_s", "range_deg", "knee_drift_deg", "warnings"} <= set(rep)
            assert rep["start_s"] < rep["peak_s"] < rep["end_s"]
    warned = [r for st in data["sets"] for r in st["reps"] if "knee_drift" in r["warnings"]]
    assert warned and all(r["knee_drift_deg"] > 6 for r in warned)


def test_analyze_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(DEMO)]) == 0
    out = capsys.readouterr().out
    assert "Set 1:" in out and "KNEE DRIFTING INWARD" in out


def test_analyze_text_says_drift_not_measured_rather_than_on_0_reps(capsys: pytest.CaptureFixture[str]) -> None:
    """Without the side no rep has a drift value: the set lines and the total must not say
    "knee drifting inward on 0 rep(s)" (a claim about what was not measured); with it they do."""
    assert main(["analyze", str(DEMO), "--library", "/nonexistent/lib.sqlite3", "--no-reference"]) == 0
    measured = capsys.readouterr().out
    assert "knee drifting inward on 0 rep(s)" in measured and "knee drifting inward on 5." in measured
    dot = REPO / "fixtures" / "vendor" / "movella-dot" / "DOT1_20260101_100000.csv"  # says no side
    assert main(["analyze", str(dot), "--exercise", "squat", "--placement", "thigh"]) == 0
    out = capsys.readouterr().out
    assert "knee drifting inward on" not in out, out
    assert out.count("knee drift not measured") == out.count("\nSet ") + 1, out  # each set and the total


def test_flags_override_metadata_and_missing_metadata_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "plain.csv"
    csv.write_text("t,ax,ay,az\n" + "".join(f"{i / 100:.2f},0,0,1\n" for i in range(300)), encoding="utf-8")
    # Issue 13: what neither flags nor file say is recognised; a still sensor is no exercise.
    assert main(["analyze", str(csv), "--json"]) == 0
    unsaid = json.loads(capsys.readouterr().out)
    assert unsaid["exercise"] == "none" and unsaid["sets"] == [] and unsaid["side"] is None
    assert unsaid["placement"] is None  # nothing moved: not guessed either
    assert main(["analyze", str(csv), "--exercise", "squat", "--placement", "thigh", "--side", "left", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sets"] == []


def test_settings_from_toml_then_command_line(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("[analysis]\ndrift_threshold_deg = 9.5\nlowpass_hz = 5\n", encoding="utf-8")
    s = load_settings(["analysis.lowpass_hz=3.5"], path=cfg)
    assert s.drift_threshold_deg == 9.5 and s.lowpass_hz == 3.5
    assert AnalysisSettings().drift_threshold_deg != 9.5


def test_threshold_override_changes_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(DEMO), "--json", "--set", "drift_threshold_deg=40"]) == 0
    assert json.loads(capsys.readouterr().out)["knee_drift_reps"] == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [("[analysis\n", "not valid TOML"), ("[analysis]\nno_such = 1\n", "unknown analysis setting"),
     ("[analysis]\nlowpass_hz = 'fast'\n", "needs a number")],
)
def test_bad_config_is_a_config_error(tmp_path: Path, content: str, message: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings([], path=cfg)


def test_bad_set_option_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(DEMO), "--set", "nonsense"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err

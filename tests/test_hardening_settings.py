"""Settings are range-checked before any analysis runs, and a failing analysis never costs a session.

`vqf_tau_acc_s = 0` used to abort the process inside VQF's C++ code (exit 134): a `record` with it in
the config played to the end and was never added to the library, and `sessions reanalyze` replaced
every stored analysis with "failed".
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from sensortrack.analysis.front_end import ANALYSIS_RATE_HZ
from sensortrack.analysis.settings import AnalysisSettings
from sensortrack.cli import main
from sensortrack.config import load_settings
from sensortrack.core.errors import ConfigError
from sensortrack.library.store import Library
from sensortrack.core.settings_validation import check_settings, validated_overrides

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "sensortrack" / "data" / "demo_squats.csv"
FIXTURE = REPO / "fixtures" / "simulated" / "squat_thigh_right.csv"
SENSORTRACK = Path(sys.executable).with_name("sensortrack")

BAD_VALUES = [
    "vqf_tau_acc_s=0", "vqf_tau_acc_s=-1", "vqf_tau_acc_s=nan", "vqf_tau_acc_s=inf", "vqf_tau_acc_s=1e999",
    "vqf_tau_acc_s=1e300", "lowpass_hz=0", "lowpass_hz=12.5", "lowpass_hz=40", "lowpass_hz=NaN",
    "lowpass_order=2.5", "lowpass_order=0", "lowpass_order=true", "lowpass_order=1_0", "lowpass_order=٣",
    "lowpass_order=99", "min_reps_per_set=0", "shallow_share_of_best=1.5", "shank_range_scale=0",
    "drift_threshold_deg=nan", "drift_threshold_deg=720", "rhythm_break_pause_share=0",
    "min_rep_duration_s=20", "set_break_s=", "drift_threshold_deg=7 deg", "drift_threshold_deg=1_0",
]  # fmt: skip


def test_defaults_pass_their_own_rules() -> None:
    s = AnalysisSettings()
    check_settings({f.name: getattr(s, f.name) for f in fields(s)}, ANALYSIS_RATE_HZ)


@pytest.mark.parametrize("item", BAD_VALUES)
def test_bad_setting_is_one_line_and_exit_2(item: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(DEMO), "--json", "--set", item]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("sensortrack: error: --set: analysis setting ")
    assert item.split("=")[0] in err


def test_good_text_values_parse_to_their_types() -> None:
    s = load_settings(["lowpass_order=3", "lowpass_hz=6.5", "vqf_tau_acc_s=2e0", "min_reps_per_set=+4"])
    assert (s.lowpass_order, s.lowpass_hz, s.vqf_tau_acc_s, s.min_reps_per_set) == (3, 6.5, 2.0, 4)
    assert type(s.lowpass_order) is int


def test_rules_go_by_the_unit_in_the_name_so_new_fields_are_checked() -> None:
    """A setting the analysis adds later is checked without anyone listing it here."""
    defaults = {"settle_window_s": 1.0, "highpass_hz": 0.3, "min_fill_share_of_set": 0.5, "use_gyro": True,
                "peak_count": 3, "max_lean_deg": 30.0}  # fmt: skip
    assert validated_overrides(defaults, {"settle_window_s": "2", "use_gyro": "false"}, 25.0) == {
        "settle_window_s": 2.0,
        "use_gyro": False,
    }
    for key, value, message in [
        ("settle_window_s", 0, "duration"),
        ("highpass_hz", 13, "Nyquist"),
        ("min_fill_share_of_set", 1.01, "fraction"),
        ("use_gyro", 1, "true or false"),
        ("use_gyro", "maybe", "true or false"),
        ("peak_count", 2.5, "whole number"),
        ("peak_count", True, "whole number"),
        ("max_lean_deg", -1, "angle"),
        ("unknown_s", 1, "unknown analysis setting"),
    ]:
        with pytest.raises(ValueError, match=message):
            validated_overrides(defaults, {key: value}, 25.0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[analysis]\nvqf_tau_acc_s = 0\n", "'vqf_tau_acc_s' is a duration"),
        ("[analysis]\nlowpass_hz = nan\n", "finite"),
        ("[analysis]\nlowpass_hz = inf\n", "finite"),
        ("[analysis]\nlowpass_hz = true\n", "needs a number"),
        ("[analysis]\nlowpass_order = 2.5\n", "whole number"),
        ("[analysis]\nlowpass_order = [2]\n", "whole number"),
        ("[analysis]\nlowpass_hz = {a = 1}\n", "needs a number"),
        ("[analyis]\nlowpass_hz = 5\n", "unknown table 'analyis'"),
        ("lowpass_hz = 5\n", "unknown key 'lowpass_hz'"),
        ("analysis = 5\n", "must be a table"),
        ("x = " + "[" * 5000 + "]" * 5000 + "\n", "not valid TOML"),
        (b"[analysis]\xff\n", "not valid TOML"),
    ],
)
def test_bad_config_file_is_a_config_error(tmp_path: Path, content: str | bytes, message: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(ConfigError, match=message):
        load_settings([], path=cfg)


def test_config_path_that_is_a_folder_or_a_pipe_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a regular file"):
        load_settings([], path=tmp_path)
    fifo = tmp_path / "pipe.toml"
    import os

    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):  # reading it would hang
        load_settings([], path=fifo)


def test_console_script_with_a_zero_time_constant_in_the_config(tmp_path: Path) -> None:
    """The real process: no abort (exit 134), one line, exit 2."""
    cfg = tmp_path / "config.toml"
    cfg.write_text("[analysis]\nvqf_tau_acc_s = 0\n", encoding="utf-8")
    env = {**__import__("os").environ, "SENSORTRACK_CONFIG": str(cfg)}
    done = subprocess.run([str(SENSORTRACK), "analyze", str(DEMO)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "vqf_tau_acc_s" in done.stderr and "Traceback" not in done.stderr


def test_record_refuses_a_broken_config_before_recording(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("[analysis]\nvqf_tau_acc_s = 0\n", encoding="utf-8")
    monkeypatch.setenv("SENSORTRACK_CONFIG", str(cfg))
    out = tmp_path / "rec.csv"
    code = main(["record", "--virtual", "open_profile", "--from", str(FIXTURE), "-o", str(out), "--speed", "40"])
    assert code == 2 and not out.exists()
    assert "vqf_tau_acc_s" in capsys.readouterr().err


def test_record_whose_analysis_fails_is_still_added_to_the_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sensortrack.session_analysis as session_analysis

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("analysis bug")

    monkeypatch.setattr(session_analysis, "analyze_session", broken)
    out, library = tmp_path / "rec.csv", tmp_path / "lib.sqlite3"
    args = ["record", "--virtual", "open_profile", "--from", str(FIXTURE), "-o", str(out), "--speed", "40"]
    assert main([*args, "--duration", "5", "--library", str(library)]) == 0
    assert "added to the library as session 1" in capsys.readouterr().out
    with Library.open(library, create=False) as lib:
        [record] = lib.list()
    assert record.file_path == out.resolve()
    assert record.analysis_status == "failed" and "analysis bug" in record.analysis_message


def test_reanalyze_keeps_a_working_analysis_when_sensortrack_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    library = tmp_path / "lib.sqlite3"
    assert main(["import", str(FIXTURE), "--library", str(library)]) == 0
    capsys.readouterr()
    import sensortrack.session_analysis as session_analysis

    monkeypatch.setattr(session_analysis, "analyze_session", lambda *a, **k: 1 / 0)
    assert main(["sessions", "reanalyze", "--jobs", "1", "--library", str(library)]) == 1
    out = capsys.readouterr().out
    assert "previous analysis is kept" in out
    assert main(["sessions", "show", "1", "--json", "--library", str(library)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["session"]["analysis_status"] == "ok" and shown["session"]["rep_count"] > 0


def test_reanalysis_taken_down_from_c_code_keeps_every_stored_analysis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A reanalysis taken down from inside C code (VQF's assertion on a zero time constant, which
    config checks now stop before it gets here), in a helper or in the process itself, must not cost
    any session its stored analysis: each session is written in a transaction of its own."""
    import subprocess
    import sys

    library = tmp_path / "lib.sqlite3"
    for name in ("squat_thigh_left.csv", "squat_thigh_right.csv"):
        assert main(["import", str(FIXTURE.with_name(name)), "--library", str(library)]) == 0
    with Library.open(library, create=False) as lib:
        before = {r.id: r.rep_count for r in lib.list()}
    script = (
        "import sys\n"
        "from sensortrack.analysis.settings import AnalysisSettings\n"
        "from sensortrack.library.reanalyze import reanalyze\n"
        "from sensortrack.library.store import Library\n"
        "unchecked = AnalysisSettings(vqf_tau_acc_s=0.0)  # the constructor does not check: the config path does\n"
        "with Library.open(sys.argv[1], create=False) as lib:\n"
        "    report = reanalyze(lib, lib.list(), unchecked, jobs=2, helpers=1)\n"
        "print(report.analyzed, len(report.failed))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(library)], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 or done.stdout.split() == ["0", "2"]
    with Library.open(library, create=False) as lib:
        after = {r.id: (r.analysis_status, r.rep_count) for r in lib.list()}
    assert after == {i: ("ok", n) for i, n in before.items()} and all(before.values())

"""`sensortrack import` and `sensortrack sessions` through the real CLI, against real library files."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sensortrack.cli import main
from sensortrack.library.store import Library

REPO = Path(__file__).resolve().parents[1]
SIMULATED = REPO / "fixtures" / "simulated"
SENSORTRACK = Path(sys.executable).with_name("sensortrack")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def library(tmp_path: Path, capsys: pytest.CaptureFixture[str], dated_copy: Callable[[Path, Path, str], Path]) -> Path:
    """Three sessions: squat left (March 1), squat right (March 8), bridge left (March 15)."""
    path = tmp_path / "lib.sqlite3"
    files = [
        dated_copy(SIMULATED / "squat_thigh_left.csv", tmp_path / "a.csv", "2025-03-01T10:00:00+00:00"),
        dated_copy(SIMULATED / "squat_thigh_right.csv", tmp_path / "b.csv", "2025-03-08T10:00:00+00:00"),
        dated_copy(SIMULATED / "bridge_thigh_left.csv", tmp_path / "c.csv", "2025-03-15T10:00:00+00:00"),
    ]
    code, out, err = run(capsys, "import", *map(str, files), "--library", str(path))
    assert code == 0, err
    assert out.count("imported #") == 3
    return path


def listed(capsys: pytest.CaptureFixture[str], path: Path, *filters: str) -> list[dict[str, object]]:
    code, out, err = run(capsys, "sessions", "--library", str(path), "--json", *filters)
    assert code == 0, err
    return json.loads(out)


def test_sessions_lists_and_filters(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    everything = listed(capsys, library)
    assert [(s["id"], s["exercise"], s["side"]) for s in everything] == [
        (1, "squat", "left"),
        (2, "squat", "right"),
        (3, "bridge", "left"),
    ]
    assert all(s["analysis_status"] == "ok" and s["rep_count"] > 0 for s in everything)
    assert [s["id"] for s in listed(capsys, library, "--exercise", "squat")] == [1, 2]
    assert [s["id"] for s in listed(capsys, library, "--side", "left")] == [1, 3]
    assert [s["id"] for s in listed(capsys, library, "--since", "2025-03-05", "--until", "2025-03-08")] == [2]
    # The same filters after the explicit `list` action.
    code, out, _ = run(capsys, "sessions", "list", "--exercise", "bridge", "--json", "--library", str(library))
    assert code == 0 and [s["id"] for s in json.loads(out)] == [3]

    code, out, _ = run(capsys, "sessions", "--library", str(library))
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["ID", "Date", "Exercise", "Side"]
    assert len(lines) == 2 + 3
    squat_right = next(s for s in everything if s["id"] == 2)
    assert f"{squat_right['knee_drift_reps']}/{squat_right['rep_count']}" in lines[3]


def test_bad_date_filter_is_one_line(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "sessions", "--since", "March", "--library", str(library))
    assert code == 2 and out == ""
    assert err.strip() == "sensortrack: error: --since needs a date like 2025-03-01, got 'March'"


def test_show_text_and_json(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sessions", "show", "2", "--json", "--library", str(library))
    assert code == 0
    doc = json.loads(out)
    assert doc["session"]["id"] == 2
    assert len(doc["reps"]) == doc["session"]["rep_count"]
    assert sum(s["rep_count"] for s in doc["sets"]) == len(doc["reps"])
    assert sum("knee_drift" in r["warnings"] for r in doc["reps"]) == doc["session"]["knee_drift_reps"]
    assert doc["analysis_settings"]["drift_threshold_deg"] == 6.0

    code, out, _ = run(capsys, "sessions", "--library", str(library), "show", "2")
    assert code == 0
    assert out.startswith("Session #2")
    assert "squat" in out and "right thigh" in out
    assert out.count("KNEE DRIFTING INWARD") == doc["session"]["knee_drift_reps"]


def test_unknown_id_and_missing_library_are_one_line_errors(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "sessions", "show", "99", "--library", str(library))
    assert code == 2 and err.strip() == f"sensortrack: error: no session #99 in library {library}"
    missing = tmp_path / "nowhere.sqlite3"
    code, out, err = run(capsys, "sessions", "--library", str(missing))
    assert code == 0 and "No sessions yet" in out
    code, out, _ = run(capsys, "sessions", "--json", "--library", str(missing))
    assert code == 0 and json.loads(out) == []
    code, _, err = run(capsys, "sessions", "show", "1", "--library", str(missing))
    assert code == 2 and err.count("\n") == 1 and "no library at" in err
    assert not missing.exists()


def test_delete_asks_and_respects_no(
    library: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Library.open(library) as lib:
        copy = lib.get(1).file_path
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    code, out, err = run(capsys, "sessions", "delete", "1", "--library", str(library))
    assert code == 1 and "[y/N]" in err and "Nothing deleted" in err
    assert copy.exists() and len(listed(capsys, library)) == 3

    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # EOF (no terminal): no answer can come
    code, out, err = run(capsys, "sessions", "delete", "1", "--library", str(library))
    error_lines = [line for line in err.splitlines() if "error" in line]
    assert code == 2 and error_lines == [err.splitlines()[-1]] and "--yes" in error_lines[0]
    assert copy.exists() and len(listed(capsys, library)) == 3

    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    code, out, _ = run(capsys, "sessions", "delete", "1", "--library", str(library))
    assert code == 0 and "Deleted session #1" in out
    assert not copy.exists()
    assert [s["id"] for s in listed(capsys, library)] == [2, 3]

    code, out, _ = run(capsys, "sessions", "delete", "2", "--yes", "--library", str(library))
    assert code == 0
    assert [s["id"] for s in listed(capsys, library)] == [3]


def test_reanalyze_uses_new_settings_and_records_them(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = {s["id"]: s for s in listed(capsys, library)}
    assert before[2]["knee_drift_reps"] > 0
    code, out, err = run(
        capsys, "sessions", "reanalyze", "--set", "drift_threshold_deg=40", "--jobs", "2", "--library", str(library)
    )
    assert code == 0, err
    assert "Re-analysed 3 sessions" in out and "3 analysed" in out
    assert "analysing [" in err and "3/3" in err  # the progress bar, on stderr
    after = {s["id"]: s for s in listed(capsys, library)}
    assert all(s["knee_drift_reps"] == 0 for s in after.values())
    assert [after[i]["rep_count"] for i in (1, 2, 3)] == [before[i]["rep_count"] for i in (1, 2, 3)]
    code, out, _ = run(capsys, "sessions", "show", "2", "--json", "--library", str(library))
    assert json.loads(out)["analysis_settings"]["drift_threshold_deg"] == 40.0

    # Only the filtered sessions, and a session whose file vanished is reported, not fatal.
    with Library.open(library) as lib:
        lib.get(1).file_path.unlink()
    code, out, err = run(capsys, "sessions", "reanalyze", "--side", "left", "--jobs", "1", "--library", str(library))
    assert code == 1
    assert "Re-analysed 2 sessions" in out and "1 failed" in out and "#1: cannot read" in out
    after = {s["id"]: s for s in listed(capsys, library)}
    assert after[1]["analysis_status"] == "failed" and after[2]["knee_drift_reps"] == 0  # #2 untouched


def test_import_errors_do_not_stop_other_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "lib.sqlite3"
    bad = REPO / "fixtures" / "bad" / "time_backwards.csv"
    code, out, err = run(
        capsys,
        "import",
        str(bad),
        str(SIMULATED / "bridge_thigh_left.csv"),
        str(tmp_path / "missing.csv"),
        "--library",
        str(path),
    )
    assert code == 2
    assert out.count("imported #") == 1
    errors = err.strip().splitlines()
    assert len(errors) == 2 and all(e.startswith("sensortrack: error: ") for e in errors)
    assert "time goes backwards" in errors[0] and "no such file" in errors[1]


def test_plain_csv_needs_metadata_then_import_completes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "lib.sqlite3"
    plain = tmp_path / "log.csv"
    plain.write_text((REPO / "fixtures" / "bad" / "interchange_ok.csv").read_text())  # no sidecar here
    code, out, _ = run(capsys, "import", str(plain), "--library", str(path))
    # Issue 13: what the file does not say is recognised, so the session is analysed at once
    # (a sensor lying still: no exercise, no sets); the flags then complete what it says of itself.
    assert code == 0 and out.startswith("imported #1") and "needs metadata" not in out
    assert listed(capsys, path, "--status", "needs_metadata") == []
    assert listed(capsys, path)[0]["exercise"] is None
    code, out, _ = run(
        capsys,
        "import",
        str(plain),
        "--exercise",
        "squat",
        "--placement",
        "thigh",
        "--side",
        "left",
        "--library",
        str(path),
    )
    assert code == 0 and out.startswith("updated #1")
    assert listed(capsys, path, "--status", "needs_metadata") == []
    assert listed(capsys, path)[0]["exercise"] == "squat"


def test_environment_variable_chooses_the_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "from-env.sqlite3"
    monkeypatch.setenv("SENSORTRACK_LIBRARY", str(path))
    code, _, _ = run(capsys, "import", str(SIMULATED / "bridge_thigh_left.csv"))
    assert code == 0 and path.exists()
    code, out, _ = run(capsys, "sessions", "--json")
    assert [s["exercise"] for s in json.loads(out)] == ["bridge"]


def cli(*argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SENSORTRACK_LIBRARY": "/nonexistent/never-used.sqlite3"}
    return subprocess.run([str(SENSORTRACK), *argv], input=stdin, capture_output=True, text=True, timeout=120, env=env)


def test_console_script_one_line_errors_for_damaged_and_newer_libraries(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(os.urandom(8192))
    done = cli("sessions", "--library", str(garbage))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "not a sensortrack library" in done.stderr
    assert "Traceback" not in done.stderr

    newer = tmp_path / "newer.sqlite3"
    Library.open(newer).close()
    import sqlite3

    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    done = cli("import", str(SIMULATED / "bridge_thigh_left.csv"), "--library", str(newer))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "schema version 99" in done.stderr and "upgrade sensortrack" in done.stderr


def test_console_script_delete_with_piped_answer(tmp_path: Path) -> None:
    path = tmp_path / "lib.sqlite3"
    assert cli("import", str(SIMULATED / "bridge_thigh_left.csv"), "--library", str(path)).returncode == 0
    done = cli("sessions", "delete", "1", "--library", str(path), stdin="y\n")
    assert done.returncode == 0, done.stderr
    assert "Delete #1" in done.stderr and "Deleted session #1" in done.stdout
    done = cli("sessions", "delete", "1", "--yes", "--library", str(path))
    assert done.returncode == 2 and done.stderr.strip() == f"sensortrack: error: no session #1 in library {path}"

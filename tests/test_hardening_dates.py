"""Start times are checked when a file is read, and one bad date never breaks a report of the others.

A session dated 0001-01-01 or 9999-12-31 used to be accepted by `import` and then broke every later
progress report of the whole library (matplotlib's date range).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sensortrack.cli import main
from sensortrack.core.errors import InputFileError
from sensortrack.core.sessionfile import read_session
from sensortrack.core.start_time import start_time_problem

SIMULATED = Path(__file__).resolve().parent.parent / "fixtures" / "simulated"
FAR_DATES = ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "1969-12-31T23:00:00+00:00",
             "0001-01-01T00:00:00+01:00", "2300-01-01T00:00:00"]  # fmt: skip


@pytest.mark.parametrize("start", FAR_DATES)
def test_implausible_start_time_is_refused_on_read_and_import(
    start: str, tmp_path: Path, dated_copy: Callable[[Path, Path, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = dated_copy(SIMULATED / "squat_thigh_left.csv", tmp_path / "far.csv", start)
    with pytest.raises(InputFileError, match="not plausible"):
        read_session(path)
    library = tmp_path / "lib.sqlite3"
    assert main(["import", str(path), "--library", str(library)]) == 2
    err = capsys.readouterr().err
    assert "start time" in err and "Traceback" not in err


def test_start_time_rules() -> None:
    now = datetime(2026, 12, 7, tzinfo=UTC)
    assert start_time_problem("2025-03-01T10:00:00+00:00", now) is None
    assert start_time_problem("2018-06-06 09:15:48.898000", now) is None  # the MEx files' style
    assert start_time_problem("2026-12-08T12:00:00+00:00", now) is None  # a clock a zone ahead
    assert "not plausible" in (start_time_problem("2027-01-01T00:00:00+00:00", now) or "")
    assert "not an ISO 8601" in (start_time_problem("yesterday", now) or "")


@pytest.fixture
def library_with_bad_dates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dated_copy: Callable[[Path, Path, str], Path]
) -> Path:
    """Four sessions, then three rows dated impossibly by hand (or by an older sensortrack)."""
    library = tmp_path / "lib.sqlite3"
    files = [
        dated_copy(SIMULATED / "squat_thigh_left.csv", tmp_path / f"{i}.csv", f"2025-03-0{i + 1}T10:00:00+00:00")
        for i in range(4)
    ]
    assert main(["import", *map(str, files), "--library", str(library)]) == 0
    capsys.readouterr()
    with sqlite3.connect(library) as conn:
        for session_id, start in ((2, "0001-01-01T00:00:00+00:00"), (3, "9999-12-31T23:59:59+00:00"), (4, "soon")):
            conn.execute("UPDATE sessions SET start_time_utc = ? WHERE id = ?", (start, session_id))
    return library


def test_progress_report_leaves_out_undated_sessions_and_says_so(
    library_with_bad_dates: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "progress.html"
    assert main(["report", "-o", str(out), "--library", str(library_with_bad_dates)]) == 0
    assert "(1 sessions)" in capsys.readouterr().out
    page = out.read_text(encoding="utf-8")
    for session_id in (2, 3, 4):
        assert f"#{session_id} (start time not plausible)" in page


def test_session_report_keeps_its_trend_despite_undated_sessions(
    library_with_bad_dates: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], dated_copy: Callable[[Path, Path, str], Path]
) -> None:
    extra = dated_copy(SIMULATED / "squat_thigh_right.csv", tmp_path / "r.csv", "2025-04-01T10:00:00+00:00")
    assert main(["import", str(extra), "--library", str(library_with_bad_dates)]) == 0
    out = tmp_path / "one.html"
    assert main(["report", "5", "-o", str(out), "--library", str(library_with_bad_dates)]) == 0
    assert "2 sessions from" in out.read_text(encoding="utf-8")  # #1 and #5 on the time axis
    # The undated ones themselves still get their own report, and list and show work.
    assert main(["report", "2", "-o", str(tmp_path / "two.html"), "--library", str(library_with_bad_dates)]) == 0
    assert main(["sessions", "--library", str(library_with_bad_dates)]) == 0
    listing = capsys.readouterr().out
    assert "9999-12-31" in listing and "soon" in listing
    assert main(["sessions", "show", "3", "--library", str(library_with_bad_dates)]) == 0

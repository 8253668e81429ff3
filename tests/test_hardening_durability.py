"""`kill -9` while recording: the file is readable and the next run adds it to the library.

A recording cut by SIGKILL used to be readable but never added to the library, and nothing told
the user. The real console script is killed at random moments (seeded, so a failure reproduces).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sensortrack.cli import main
from sensortrack.library.recovery import marker_dir
from sensortrack.core.sessionfile import read_session

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "simulated" / "squat_thigh_right.csv"
SENSORTRACK = Path(sys.executable).with_name("sensortrack")


def _start(out: Path, library: Path, command: str = "record") -> subprocess.Popen[str]:
    args = [command, "--virtual", "open_profile", "--from", str(FIXTURE), "-o", str(out), "--speed", "4",
            "--library", str(library)]  # fmt: skip
    if command == "live":
        args.append("--no-setup")  # the live view runs on whatever terminal it has (here: pipes)
    return subprocess.Popen(
        [str(SENSORTRACK), *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_for_samples(out: Path, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if out.is_file() and out.read_text(encoding="utf-8").count("\n") > 20:
            return
        time.sleep(0.05)
    raise AssertionError("the recorder wrote no samples")


@pytest.mark.slow
@pytest.mark.parametrize(("command", "seed"), [("record", 1), ("record", 2), ("live", 3)])
def test_sigkill_at_a_random_moment_then_the_next_run_adds_the_recording(
    command: str, seed: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, library = tmp_path / "cut.csv", tmp_path / "lib.sqlite3"
    recorder = _start(out, library, command)
    try:
        _wait_for_samples(out)
        time.sleep(random.Random(seed).uniform(0.0, 3.0))
    finally:
        os.kill(recorder.pid, signal.SIGKILL)
        recorder.communicate(timeout=30)
    assert recorder.returncode == -signal.SIGKILL
    session = read_session(out)  # readable, up to the last whole sample
    assert session.interrupted and len(session.samples) > 0
    assert list(marker_dir().glob("*.json")), "the cut recording left no marker"

    assert main(["sessions", "--library", str(library)]) == 0
    said = capsys.readouterr().out
    assert f"recovered the recording {out}" in said and "added as session 1" in said
    assert main(["sessions", "--json", "--library", str(library)]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert Path(listed["file_path"]) == out.resolve() and listed["interrupted"]
    assert not list(marker_dir().glob("*.json"))  # said once
    assert main(["sessions", "--library", str(library)]) == 0
    assert "recovered" not in capsys.readouterr().out


def test_a_recording_that_finished_leaves_no_marker(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, library = tmp_path / "ok.csv", tmp_path / "lib.sqlite3"
    args = ["record", "--virtual", "open_profile", "--from", str(FIXTURE), "-o", str(out), "--speed", "40"]
    assert main([*args, "--duration", "3", "--library", str(library)]) == 0
    assert not list(marker_dir().glob("*.json"))
    # An existing output is refused, and its file is not someone's cut recording.
    assert main([*args, "--duration", "3", "--library", str(library)]) == 2
    assert not list(marker_dir().glob("*.json"))


def test_a_cut_recording_whose_library_cannot_take_it_gets_the_import_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cut.csv"
    out.write_text(FIXTURE.read_text(encoding="utf-8"), encoding="utf-8")
    not_a_library = tmp_path / "notes.txt"
    not_a_library.write_text("my notes\n", encoding="utf-8")
    marker_dir().mkdir(parents=True, exist_ok=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    entry = {"path": str(out), "library": str(not_a_library), "pid": int(dead.stdout)}
    (marker_dir() / "1-deadbeef.json").write_text(json.dumps(entry), encoding="utf-8")
    assert main(["sessions", "--library", str(tmp_path / "lib.sqlite3")]) == 0
    err = capsys.readouterr().err
    assert f"`sensortrack import {out}` adds it" in err
    assert not_a_library.read_text(encoding="utf-8") == "my notes\n"

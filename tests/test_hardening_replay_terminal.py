"""`sensortrack replay` of a broken file in a real terminal (tmux): one line, exit 2, no traceback.

Such files used to print a full traceback from inside the terminal UI and exit 0. Skipped where
tmux is not installed (CI images need `apt-get install tmux`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "fixtures" / "simulated" / "squat_thigh_left.csv"
SENSORTRACK = Path(sys.executable).parent / "sensortrack"
TMUX = shutil.which("tmux")


def _tmux(name: str) -> list[str]:
    """tmux with a server of this session alone (-L): on a shared machine, or when this run's previous
    session has just ended, a server shutting down must not take the next session with it ("server
    exited unexpectedly"); the session's last kill-session ends its server."""
    return [TMUX or "tmux", "-L", name]


pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (CI: apt-get install tmux)")


def _broken(kind: str) -> str:
    lines = GOOD.read_text(encoding="utf-8").split("\n")
    first = next(i for i, line in enumerate(lines) if i > 2 and line and line[0].isdigit())
    if kind == "digits":
        row = lines[first + 5].split(",")
        row[1] = "1_0"
        lines[first + 5] = ",".join(row)
    elif kind == "nested":
        lines[1] = "# meta " + "[" * 50_000 + "]" * 50_000
    elif kind == "rate":
        meta = json.loads(lines[1][len("# meta ") :])
        lines[1] = "# meta " + json.dumps({**meta, "sensor": {**meta["sensor"], "nominal_rate_hz": "1e999"}})
    else:
        meta = json.loads(lines[1][len("# meta ") :])
        lines[1] = "# meta " + json.dumps({**meta, "start_time_utc": "0001-01-01T00:00:00+00:00"})
    return "\n".join(lines) + "\n"


def _screen(name: str) -> str:
    return subprocess.run([*_tmux(name), "capture-pane", "-p", "-t", name], capture_output=True, text=True, check=False).stdout


@pytest.mark.parametrize("kind", ["digits", "nested", "rate", "year_1"])
def test_replay_of_a_broken_file_in_a_terminal(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text(_broken(kind), encoding="utf-8")
    name = f"sensortrack-bad-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        [*_tmux(name), "-f", "/dev/null", "new-session", "-d", "-s", name, "-x", "120", "-y", "30", "bash --norc --noprofile"],
        check=True,
    )
    try:
        subprocess.run([*_tmux(name), "send-keys", "-t", name, f"clear; {SENSORTRACK} replay {path}; echo EXIT=$?", "Enter"], check=True)
        deadline = time.monotonic() + 60
        while not re.search(r"EXIT=\d", screen := _screen(name)):
            assert time.monotonic() < deadline, f"replay did not end; the screen was:\n{screen}"
            time.sleep(0.1)  # polling an external process: there is no event to await
    finally:
        subprocess.run([*_tmux(name), "kill-session", "-t", name], check=False, capture_output=True)
    assert "EXIT=2" in screen, screen
    assert "Traceback" not in screen and "internal error" not in screen, screen
    assert screen.count("sensortrack: error: ") == 1, screen  # (a long path may wrap the line)
    assert "broken.csv" in screen.split("sensortrack: error: ")[1].replace("\n", ""), screen

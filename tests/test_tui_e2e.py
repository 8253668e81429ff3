"""End to end: the real `sensortrack replay` command in a real terminal (tmux), read off the screen.

The replay runs at high speed on a fixture whose later sets drift; the captured screen must show
the same number of reps as `sensortrack analyze --json` on that file, and the knee-drift warning
must name the right rep. tmux is not installed by this test: without it the test is skipped
(CI images need `apt-get install tmux`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SQUATS = ROOT / "fixtures" / "simulated" / "squat_thigh_left.csv"
SENSORTRACK = Path(sys.executable).parent / "sensortrack"
TMUX = shutil.which("tmux")

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (CI: apt-get install tmux)")


class Terminal:
    """A detached tmux session of a fixed size running one command."""

    def __init__(self, name: str) -> None:
        self.name = name

    def capture(self) -> str:
        done = subprocess.run([TMUX, "capture-pane", "-p", "-t", self.name], capture_output=True, text=True, check=False)
        return done.stdout

    def keys(self, *keys: str) -> None:
        subprocess.run([TMUX, "send-keys", "-t", self.name, *keys], check=True)

    def wait_for(self, pattern: str, timeout_s: float = 60.0, *, gone: str | None = None) -> re.Match[str]:
        """The first match of `pattern` on a screen that no longer shows `gone`."""
        deadline = time.monotonic() + timeout_s
        while True:
            screen = self.capture()
            found = re.search(pattern, screen)
            if found and not (gone and gone in screen):
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"'{pattern}' never appeared; the screen was:\n{screen}")
            time.sleep(0.1)  # polling an external process: there is no event to await


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    name = f"sensortrack-e2e-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "SENSORTRACK_LIBRARY": str(tmp_path / "library.sqlite3"),
        "TERM": "xterm-256color",
    }
    term = Terminal(name)
    term_env = [f"-e{k}={env[k]}" for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "SENSORTRACK_LIBRARY")]
    # The shell stays after the command so its exit status and last output can be read.
    subprocess.run(
        [TMUX, "-f", "/dev/null", "new-session", "-d", "-s", name, "-x", "100", "-y", "36", *term_env, "bash --norc --noprofile"],
        check=True,
        env=env,
    )
    try:
        yield term
    finally:
        subprocess.run([TMUX, "kill-session", "-t", name], check=False, capture_output=True)


def test_replay_in_a_real_terminal_counts_like_analyze_and_names_the_drift_rep(terminal: Terminal) -> None:
    analyzed = subprocess.run(
        [str(SENSORTRACK), "analyze", "--json", str(SQUATS)], capture_output=True, text=True, check=True
    )
    report = json.loads(analyzed.stdout)
    sets = report["sets"]
    n_reps = sum(len(s["reps"]) for s in sets)
    n_drift = sum(1 for s in sets for r in s["reps"] if r["warnings"])
    last = sets[-1]
    last_drift = [i + 1 for i, r in enumerate(last["reps"]) if r["warnings"]]
    assert n_drift and last_drift, "the fixture must end with knee-drift reps"

    terminal.keys(f"{SENSORTRACK} replay {SQUATS} --speed 200; echo EXIT=$?", "Enter")
    found = terminal.wait_for(r"Session: (\d+) sets · (\d+) reps · (\d+) with knee drift")
    assert (int(found[1]), int(found[2]), int(found[3])) == (len(sets), n_reps, n_drift)

    terminal.keys("Escape")  # back from the session summary to the live view
    screen = terminal.wait_for(r"REP \d+: KNEE DRIFTING INWARD", gone="esc goes back").string
    # The banner names the last drift rep, and the set's table marks exactly the drift reps.
    assert f"⚠ REP {last_drift[-1]}: KNEE DRIFTING INWARD" in screen, screen
    marked = [int(m[1]) for m in re.finditer(r"^\s*(\d+)\s+\d+°.*KNEE IN", screen, re.MULTILINE)]
    assert marked == last_drift[-len(marked) :] and marked, screen  # the rows the table has room for

    terminal.keys("q")
    terminal.wait_for(r"EXIT=0")


def test_plan_with_two_exercises_and_a_rest_countdown(terminal: Terminal, tmp_path: Path) -> None:
    plan = tmp_path / "two.toml"
    plan.write_text(
        "name = 'Two'\n[[exercise]]\nexercise = 'squat'\nsets = 2\nreps = 6\nrest_s = 9\n"
        "[[exercise]]\nexercise = 'lunge'\nsets = 1\nreps = 6\nrest_s = 5\n",
        encoding="utf-8",
    )
    terminal.keys(f"{SENSORTRACK} replay {SQUATS} --plan {plan} --speed 6 --mute; echo EXIT=$?", "Enter")
    terminal.wait_for(r"Two · squat set 1 of 2 · target 6 reps · then lunge 1×6")
    # the first set ends: its count stays with a tick, the plan line counts the rest down
    screen = terminal.wait_for(r"REST 0:0\d  → set 2 of 2 · squat · 6 reps").string
    assert "SET 1 DONE · squat" in screen, screen
    terminal.wait_for(r"Two · squat set 2 of 2")
    # after the second set the plan moves on to the next exercise, and the analysis with it
    terminal.wait_for(r"REST 0:0\d  → next exercise: lunge 1×6|Two · lunge set 1 of 1", 90.0)
    terminal.wait_for(r"lunge · thigh · left", 90.0)
    terminal.wait_for(r"Plan Two \((complete|not finished)\): squat 6/6, 6/6", 90.0)
    terminal.keys("q")
    terminal.wait_for(r"EXIT=0")

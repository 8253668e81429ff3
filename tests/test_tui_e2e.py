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


def _tmux(name: str) -> list[str]:
    """tmux with a server of this session alone (-L): on a shared machine, or when this run's previous
    session has just ended, a server shutting down must not take the next session with it ("server
    exited unexpectedly"); the session's last kill-session ends its server."""
    return [TMUX or "tmux", "-L", name]


pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (CI: apt-get install tmux)")


class Terminal:
    """A detached tmux session of a fixed size running one command."""

    def __init__(self, name: str) -> None:
        self.name = name

    def capture(self) -> str:
        done = subprocess.run([*_tmux(self.name), "capture-pane", "-p", "-t", self.name], capture_output=True, text=True, check=False)
        return done.stdout

    def keys(self, *keys: str) -> None:
        subprocess.run([*_tmux(self.name), "send-keys", "-t", self.name, *keys], check=True)

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
        [*_tmux(name), "-f", "/dev/null", "new-session", "-d", "-s", name, "-x", "100", "-y", "36", *term_env, "bash --norc --noprofile"],
        check=True,
        env=env,
    )
    try:
        yield term
    finally:
        subprocess.run([*_tmux(name), "kill-session", "-t", name], check=False, capture_output=True)


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
    found = terminal.wait_for(r"Session: (\d+) sets? · (\d+) reps? · (\d+) with knee drift")
    assert (int(found[1]), int(found[2]), int(found[3])) == (len(sets), n_reps, n_drift)

    terminal.keys("Escape")  # back from the session summary to the live view
    screen = terminal.wait_for(r"REP \d+: KNEE DRIFTING INWARD", gone="esc goes back").string
    # The banner names the last drift rep, and the set's table marks exactly the drift reps.
    assert f"⚠ REP {last_drift[-1]}: KNEE DRIFTING INWARD" in screen, screen
    marked = [int(m[1]) for m in re.finditer(r"^\s*(\d+)\s+\d+:\d\d\.\d\s.*KNEE DRIFTING INWARD", screen, re.MULTILINE)]
    assert marked == last_drift[-len(marked) :] and marked, screen  # the rows the table has room for

    terminal.keys("q")
    terminal.wait_for(r"EXIT=0")


def test_replay_and_live_judge_knee_drift_by_the_stored_reference(
    terminal: Terminal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`reference set` in the library the terminal uses; `replay` and `live` then warn every rep of an
    all-valgus set that the session's own reps cannot judge, and `--no-reference` goes back."""
    from dataclasses import replace

    import numpy as np

    from sensortrack.cli import main
    from sensortrack.core.sessionfile import read_session, write_session
    from sensortrack.simulation import load_labels

    whole, labels = read_session(SQUATS), load_labels(SQUATS)
    for name, st in (("clean", labels.sets[0]), ("valgus", labels.sets[1])):  # set 1 clean, set 2 all valgus
        lo, hi = np.searchsorted(whole.samples.t_s, [st.start_s - 2.0, st.end_s + 3.0])
        block = whole.samples.slice(int(lo), int(hi))
        write_session(tmp_path / f"{name}.csv", replace(whole, samples=replace(block, t_s=block.t_s - block.t_s[0]), gaps=()))
    library = str(tmp_path / "library.sqlite3")  # the terminal's library (fixture)

    def cli(*argv: str) -> str:
        assert main([*argv, "--library", library]) == 0
        return capsys.readouterr().out

    cli("import", str(tmp_path / "clean.csv"))
    cli("reference", "set", "1")
    valgus = tmp_path / "valgus.csv"
    by_reference = json.loads(cli("analyze", "--json", str(valgus)))
    alone = json.loads(cli("analyze", "--json", "--no-reference", str(valgus)))
    n_reps = by_reference["rep_count"]
    assert by_reference["knee_drift_reps"] == n_reps > alone["knee_drift_reps"]

    for flags, n_drift in (("", n_reps), (" --no-reference", alone["knee_drift_reps"])):
        terminal.keys(f"clear; {SENSORTRACK} replay {valgus} --speed 200{flags}; echo EXIT=$?", "Enter")
        terminal.wait_for(rf"Session: 1 set · {n_reps} reps · {n_drift} with knee drift")
        terminal.keys("q")
        terminal.wait_for(r"EXIT=0")

    for flags, kind, n_drift in (("", "personal", n_reps), (" --no-reference", "session", alone["knee_drift_reps"])):
        out = tmp_path / f"live-{kind}.csv"
        terminal.keys(
            f"clear; {SENSORTRACK} live --virtual open_profile --from {valgus} --speed 20 --no-setup -o {out}{flags}; echo EXIT=$?",
            "Enter",
        )
        terminal.wait_for(r"Set 1 \(squat\): effort RPE 1–10")  # live asks the note first: skipped
        terminal.keys("Escape")
        terminal.wait_for(rf"Session: 1 set · {n_reps} reps · {n_drift} with knee drift")
        terminal.keys("q")
        terminal.wait_for(r"EXIT=0")
        recorded = next(s for s in json.loads(cli("sessions", "--json")) if s["file_path"] == str(out))
        assert recorded["drift_reference"]["kind"] == kind and recorded["knee_drift_reps"] == n_drift


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


def test_demo_with_a_plan_records_each_exercise_and_the_note_after_a_set(
    terminal: Terminal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The whole live path in a real terminal: a plan of two exercises with a rest countdown, the
    note typed after the first set, the other skipped; the library then has both sets with their
    own exercise and the note."""
    from sensortrack.cli import main

    plan = tmp_path / "two.toml"
    plan.write_text(
        "name = 'Two'\n[[exercise]]\nexercise = 'squat'\nsets = 1\nreps = 6\nrest_s = 8\n"
        "[[exercise]]\nexercise = 'lunge'\nsets = 1\nreps = 6\nrest_s = 5\n",
        encoding="utf-8",
    )
    out = tmp_path / "demo.csv"
    terminal.keys(f"{SENSORTRACK} demo --plan {plan} --speed 4 --mute -o {out}; echo EXIT=$?", "Enter")
    terminal.wait_for(r"Two · squat set 1 of 1 · target 6 reps · then lunge 1×6")
    screen = terminal.wait_for(r"Set 1 \(squat\): effort RPE 1–10 · pain 0–10 · where\?").string
    assert "SET 1 DONE · squat" in screen, screen
    for key in ("8", "Tab", "3", "Tab", *"knee"):  # one at a time, as a person types
        terminal.keys(key)
        time.sleep(0.15)
    terminal.wait_for(r"where ▊ +knee")
    terminal.keys("Enter")
    terminal.wait_for(r"Two · lunge set 1 of 1|REST 0:0\d  → next exercise: lunge 1×6|SET 2 DONE · lunge", 60.0)
    terminal.wait_for(r"Set 2 \(lunge\): effort", 60.0)
    terminal.keys("Escape")
    terminal.wait_for(r"Plan Two \(complete\): squat \d+/6 · lunge \d+/6", 30.0)
    terminal.keys("q")
    terminal.wait_for(r"added to the library as session 1")
    terminal.wait_for(r"EXIT=0")

    assert main(["sessions", "show", "1", "--json", "--library", str(tmp_path / "library.sqlite3")]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [(s["exercise"], s["rpe"], s["pain"], s["pain_where"]) for s in shown["sets"]] == [
        ("squat", 8, 3, "knee"),
        ("lunge", None, None, ""),
    ]


@pytest.mark.slow
def test_live_on_a_recorded_pair_shows_both_sensors_and_the_knee(terminal: Terminal, tmp_path: Path) -> None:
    """`live` with one two-sensor session played as a virtual pair (thigh + shank) in a real
    terminal: both sensors' state, the knee-angle gauge; one two-sensor recording at the end."""
    from dataclasses import replace

    from sensortrack.core.sessionfile import read_session, write_session
    from sensortrack.simulation.pair import DeviceClock, simulate_knee_pair
    from sensortrack.simulation.spec import Distractor, SessionSpec, SetSpec

    spec = SessionSpec(exercise="squat", placement="thigh", side="right", rate_hz=100.0,
                       sets=(SetSpec(n_reps=8, drift=True, drift_from_rep=6),),
                       lead_in=(Distractor("stand", 3.0),), lead_out=(Distractor("stand", 2.0),))
    thigh, shank, _ = simulate_knee_pair(spec, 41, DeviceClock())
    pair = tmp_path / "pair.csv"
    write_session(pair, replace(thigh, companions=(shank,)))
    out = tmp_path / "live_pair.csv"
    # a pair setting reaches the view: the knee gauge's limit (5° by default)
    terminal.keys(f"{SENSORTRACK} live --virtual movesense --from {pair} --no-setup --speed 2 --mute -o {out} "
                  "--set pair.knee_valgus_limit_deg=4; echo EXIT=$?", "Enter")
    terminal.wait_for(r"right thigh +● streaming", 60.0)
    terminal.wait_for(r"right shank +● streaming", 30.0)
    terminal.wait_for(r"knee +.*rep \d+ valgus [+-]\d+\.\d° \(limit 4°\)", 90.0)  # flexion follows (cut at 100 columns)
    screen = terminal.wait_for(r"Set 1 \(squat\): effort", 90.0).string  # the note after the set: skipped
    assert "KNEE CAVING INWARD" in screen, screen  # the simulated valgus reps, judged by the knee angle
    terminal.wait_for(r"right thigh +○ ended", 30.0)
    terminal.keys("Escape")
    terminal.wait_for(r"Session: 1 set · \d+ reps", 30.0)
    terminal.keys("q")
    terminal.wait_for(r"recording saved: ", 30.0)
    terminal.wait_for(r"EXIT=0", 30.0)
    recorded = read_session(out)
    assert recorded.meta.source == "live:virtual" and len(recorded.companions) == 1
    assert {recorded.meta.sensor.placement, recorded.companions[0].meta.sensor.placement} == {"thigh", "shank"}


def _knee_pair_file(tmp_path: Path) -> Path:
    from dataclasses import replace

    from sensortrack.core.sessionfile import write_session
    from sensortrack.simulation.pair import DeviceClock, simulate_knee_pair
    from sensortrack.simulation.spec import Distractor, SessionSpec, SetSpec

    spec = SessionSpec(exercise="squat", placement="thigh", side="right", rate_hz=100.0,
                       sets=(SetSpec(n_reps=8, drift=True, drift_from_rep=6),),
                       lead_in=(Distractor("stand", 3.0),), lead_out=(Distractor("stand", 2.0),))
    thigh, shank, _ = simulate_knee_pair(spec, 41, DeviceClock(offset_s=1.5, skew_ppm=80.0))
    pair = tmp_path / "pair.csv"
    write_session(pair, replace(thigh, companions=(shank,)))
    return pair


def test_replay_of_a_pair_in_a_real_terminal(terminal: Terminal, tmp_path: Path) -> None:
    """`replay` of a two-sensor session shows both sensors, the knee gauge with the pair setting
    given, and the knee-angle warning; a pair key for a one-sensor file is one line of error."""
    pair = _knee_pair_file(tmp_path)
    terminal.keys(f"{SENSORTRACK} replay {pair} --speed 4 --mute --set pair.knee_valgus_limit_deg=4; echo EXIT=$?", "Enter")
    terminal.wait_for(r"right thigh +● streaming", 60.0)
    terminal.wait_for(r"right shank +● streaming", 30.0)
    terminal.wait_for(r"knee +.*rep \d+ valgus [+-]\d+\.\d° \(limit 4°\)", 60.0)
    terminal.keys("plus", "plus", "plus")
    screen = terminal.wait_for(r"Session: 1 set · \d+ reps", 60.0).string
    terminal.keys("Escape")
    screen = terminal.wait_for(r"KNEE CAVING INWARD", 30.0, gone="Session:").string
    assert re.search(r"right thigh +○ ended", screen) and re.search(r"right shank +○ ended", screen), screen
    terminal.keys("q")
    terminal.wait_for(r"EXIT=0", 30.0)
    # Its own marker: the first command's EXIT=0 stays on screen until `clear` has run.
    terminal.keys(f"clear; {SENSORTRACK} replay {SQUATS} --mute --set pair.knee_valgus_limit_deg=4; echo ONE_SENSOR_EXIT=$?", "Enter")
    found = terminal.wait_for(r"ONE_SENSOR_EXIT=(\d+)", 30.0)
    assert found[1] == "2" and "pair.* settings apply to two sensors only" in found.string, found.string
    assert "Traceback" not in found.string

"""`sensortrack replay` on a terminal draws its view before it reads the file (issue 12: first frame).

The LoadingView must give the same replay as the view built after reading, put its first frame out
(footer keys included) before NumPy and the engine are imported, and still end a file it cannot
replay with one line of error and exit 2, the terminal restored (no traceback, no view left behind).
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sensortrack.commands import replay
from sensortrack.tui.app import LoadingView, replay_app

REPO = Path(__file__).resolve().parent.parent
GOOD = REPO / "fixtures" / "simulated" / "squat_thigh_left.csv"
SENSORTRACK = Path(sys.executable).parent / "sensortrack"


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    replay.add_arguments(parser)
    return parser.parse_args(list(argv))


async def test_loading_view_replays_as_the_view_built_after_reading(until) -> None:  # type: ignore[no-untyped-def]
    args = _args(str(GOOD), "--speed", "300")
    loading = LoadingView("replay squat", lambda view: replay.load_replay(args, None, None, None, view))
    built = replay_app(GOOD, speed=300.0)
    results = []
    for app in (loading, built):
        async with app.run_test(size=(110, 36)) as pilot:
            await until(pilot, lambda app=app: app.result is not None)
        assert app.result is not None and app.error is None
        results.append(app.result.to_dict())
    assert results[0] == results[1]
    assert results[0]["sets"], "the fixture's reps were counted"
    assert loading.sub_title == built.sub_title == f"replay {GOOD.name}"


# Run apart: this process has imported NumPy long ago. `_load_pending` runs once the first frame is
# whole; what is imported then, and the footer's keys, are recorded there.
_FIRST_FRAME = """
import asyncio, json, sys
from textual.widgets import Footer
from sensortrack.commands import replay
from sensortrack.tui.app import LoadingView

seen = {"numpy_before_view": "numpy" in sys.modules}
loading = LoadingView._load_pending

def spy(self):
    seen["numpy_at_first_frame"] = "numpy" in sys.modules
    seen["engine_at_first_frame"] = "sensortrack.analysis.pipeline" in sys.modules
    seen["keys"] = len(self.screen_stack[0].query_one(Footer).children)
    loading(self)

LoadingView._load_pending = spy

async def main():
    import argparse
    parser = argparse.ArgumentParser()
    replay.add_arguments(parser)
    args = parser.parse_args([sys.argv[1], "--speed", "300"])
    app = LoadingView("replay", lambda view: replay.load_replay(args, None, None, None, view))
    async with app.run_test(size=(110, 36)) as pilot:
        while app.result is None:
            await pilot.pause(0.05)
    seen["sets"] = len(app.result.sets)
    print(json.dumps(seen))

asyncio.run(main())
"""


def test_first_frame_is_out_before_numpy_and_the_engine_are_imported(tmp_path: Path) -> None:
    # -P: the working directory stays off sys.path
    done = subprocess.run([sys.executable, "-P", "-c", _FIRST_FRAME, str(GOOD)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["numpy_before_view"] is False
    assert seen["numpy_at_first_frame"] is False and seen["engine_at_first_frame"] is False
    assert seen["keys"] > 1  # the footer's keys were in it (greyed out until the file is read)
    assert seen["sets"] >= 1  # and the replay then ran


def _on_a_terminal(argv: list[str], timeout_s: float = 120.0) -> tuple[int, str]:
    """Run `argv` on a pseudo-terminal to its end: (exit code, everything it wrote)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env={**os.environ, "TERM": "xterm-256color"},
                            start_new_session=True)  # fmt: skip
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the other end closed: the process has ended
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return code, out.decode("utf-8", "replace")


@pytest.mark.parametrize("kind", ["digits", "missing exercise", "not a recording"])
def test_a_file_it_cannot_replay_is_one_line_and_exit_2_on_a_terminal(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    lines = GOOD.read_text(encoding="utf-8").split("\n")
    if kind == "digits":  # read after the first frame: the view closes, then the error
        first = next(i for i, line in enumerate(lines) if i > 2 and line[:1].isdigit())
        row = lines[first + 5].split(",")
        row[1] = "1_0"
        lines[first + 5] = ",".join(row)
        path.write_text("\n".join(lines), encoding="utf-8")
    elif kind == "missing exercise":  # recognition finds nothing in a still recording
        path.write_text("t,ax,ay,az,gx,gy,gz\n" + "".join(f"{i / 100:.2f},0,0,1,0,0,0\n" for i in range(600)),
                        encoding="utf-8")  # fmt: skip
    else:
        path.write_text("hello\nworld\n", encoding="utf-8")
    code, out = _on_a_terminal([str(SENSORTRACK), "replay", str(path), "--placement", "thigh", "--side", "left"])
    assert code == 2, out[-2000:]
    assert "Traceback" not in out and "internal error" not in out, out[-2000:]
    assert out.count("sensortrack: error: ") == 1, out[-2000:]
    error = out.split("sensortrack: error: ")[1]
    assert "broken.csv" in error.split("\n")[0], error
    # the view had been drawn and was taken down: the alternate screen was left before the error
    assert "\x1b[?1049h" in out and out.rindex("\x1b[?1049l") < out.index("sensortrack: error: ")


# The whole command on a terminal (the way a user starts it): at the first frame neither the
# library (sqlite3, the stored reference's lookup) nor the view's later screens are imported yet,
# and the footer's keys came in the first composition (no second one was needed for them).
_COMMAND_FIRST_FRAME = """
import json, sys
from textual.widgets import Footer
from sensortrack import cli
from sensortrack.tui.app import LoadingView

seen = {}

def first_frame(self):
    for name in ("sqlite3", "sensortrack.personal_reference", "sensortrack.library.store",
                 "sensortrack.library.records", "sensortrack.tui.screens", "numpy"):
        seen[name] = name in sys.modules
    seen["keys"] = len(self.screen_stack[0].query_one(Footer).children)
    self._pending = None
    self.exit(0)

LoadingView._load_pending = first_frame
code = cli.main(["replay", sys.argv[1]])
print("SEEN " + json.dumps(seen) + " CODE " + str(code))
"""


def test_the_command_draws_its_first_frame_before_the_library_is_imported(tmp_path: Path) -> None:
    code, out = _on_a_terminal([sys.executable, "-P", "-c", _COMMAND_FIRST_FRAME, str(GOOD)])
    assert code == 0, out[-2000:]
    line = out[out.rindex("SEEN ") :].splitlines()[0]
    seen = json.loads(line[len("SEEN ") : line.rindex(" CODE ")])
    assert line.endswith("CODE 0")
    assert not any(seen[name] for name in seen if name != "keys"), seen
    assert seen["keys"] > 1
